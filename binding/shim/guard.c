/* See guard.h. Compiled without darknet_shim.h, so exit() here is the real one. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include "guard.h"
#include "platform_file.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

#if defined(_MSC_VER)
#define DN_THREAD_LOCAL __declspec(thread)
#else
#define DN_THREAD_LOCAL _Thread_local
#endif

typedef enum { LAST_NONE, LAST_PRINT, LAST_PERROR } last_kind;

static DN_THREAD_LOCAL jmp_buf *current_target;
static DN_THREAD_LOCAL dn_error *current_error;
static DN_THREAD_LOCAL int current_fatal_code;
/* What darknet printed to stderr last: the reason for the exit that follows. */
static DN_THREAD_LOCAL char last_message[DN_MESSAGE_SIZE];
static DN_THREAD_LOCAL last_kind last_message_kind;

/* DARKNET_NAPI_VERBOSE=1 lets darknet's own chatter (layer table, "Loading
 * weights...") through to the process's stdout/stderr, as the CLI prints it. */
static int verbose(void) {
  const char *v = getenv("DARKNET_NAPI_VERBOSE");
  return v && *v && strcmp(v, "0") != 0;
}

void dn_error_set(dn_error *err, int code, const char *fmt, ...) {
  va_list ap;
  if (!err) return;
  err->code = code;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
}

static void remember(const char *text, last_kind kind) {
  size_t n;
  /* Keep the message on one line: darknet's are "a\nb\n". */
  snprintf(last_message, sizeof last_message, "%s", text);
  for (n = 0; last_message[n]; ++n) {
    if (last_message[n] == '\n') last_message[n] = ' ';
  }
  while (n > 0 && last_message[n - 1] == ' ') last_message[--n] = '\0';
  last_message_kind = n ? kind : LAST_NONE;
}

static void unwind(const char *fallback) {
  jmp_buf *target = current_target;
  if (!target) {
    /* Not inside a guard: a programming error of ours. Keep darknet's
     * original behaviour rather than jumping nowhere. */
    fprintf(stderr, "darknet-napi: darknet fatal error outside a guard: %s\n",
            last_message_kind != LAST_NONE ? last_message : fallback);
    abort();
  }
  if (current_error) {
    dn_error_set(current_error, current_fatal_code, "%s",
                 last_message_kind != LAST_NONE ? last_message : fallback);
  }
  longjmp(*target, 1);
}

int dn_guard(void (*fn)(void *), void *arg, int fatal_code, dn_error *err) {
  jmp_buf target;
  jmp_buf *volatile saved_target = current_target;
  dn_error *volatile saved_error = current_error;
  volatile int saved_code = current_fatal_code;
  volatile int failed = 0;

  last_message[0] = '\0';
  last_message_kind = LAST_NONE;
  current_target = &target;
  current_error = err;
  current_fatal_code = fatal_code ? fatal_code : DN_E_DARKNET;
  if (setjmp(target) == 0) {
    fn(arg);
  } else {
    failed = 1;
  }
  current_target = saved_target;
  current_error = saved_error;
  current_fatal_code = saved_code;
  return failed ? -1 : 0;
}

void dn_shim_exit(int status) {
  char fallback[64];
  snprintf(fallback, sizeof fallback, "darknet called exit(%d)", status);
  unwind(fallback);
  abort(); /* not reached */
}

void dn_shim_fatal(const char *message) {
  last_message_kind = LAST_NONE;
  unwind(message);
  abort(); /* not reached */
}

void dn_shim_abort(void) {
  unwind("darknet called abort()");
  abort(); /* not reached */
}

void dn_shim_assert_fail(const char *expr, const char *file, unsigned int line, const char *func) {
  char fallback[DN_MESSAGE_SIZE];
  const char *base = strrchr(file, '/');
  /* darknet's error(msg) is perror(msg) followed by assert(0): report msg. */
  if (last_message_kind == LAST_PERROR) unwind(last_message);
  snprintf(fallback, sizeof fallback, "darknet internal check failed: %s (%s:%u, %s)", expr,
           base ? base + 1 : file, line, func ? func : "?");
  last_message_kind = LAST_NONE;
  unwind(fallback);
  abort(); /* not reached */
}

int dn_shim_fprintf(FILE *stream, const char *fmt, ...) {
  va_list ap;
  int n;
  if (stream != stderr && stream != stdout) {
    va_start(ap, fmt);
    n = vfprintf(stream, fmt, ap);
    va_end(ap);
    return n;
  }
  {
    char text[DN_MESSAGE_SIZE];
    va_start(ap, fmt);
    n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (stream == stderr) remember(text, LAST_PRINT);
    if (verbose()) fputs(text, stream);
  }
  return n;
}

int dn_shim_printf(const char *fmt, ...) {
  va_list ap;
  int n;
  char text[DN_MESSAGE_SIZE];
  va_start(ap, fmt);
  n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (verbose()) fputs(text, stdout);
  return n;
}

static DN_THREAD_LOCAL size_t budget;    /* 0: no budget */
static DN_THREAD_LOCAL size_t allocated; /* bytes asked for since the budget was set */
static DN_THREAD_LOCAL int exceeded;

void dn_set_allocation_budget(size_t bytes) {
  budget = bytes;
  allocated = 0;
  exceeded = 0;
}

int dn_allocation_budget_exceeded(void) { return exceeded; }

size_t dn_allocation_budget_left(void) {
  if (!budget) return SIZE_MAX;
  return allocated < budget ? budget - allocated : 0;
}

/* Counts `bytes` against the budget, or unwinds when they don't fit. */
static void spend(size_t bytes) {
  if (!budget) return;
  if (bytes > budget - allocated || allocated > budget) {
    char message[160];
    snprintf(message, sizeof message,
             "the network needs more memory than the limit of %zu bytes (one allocation of %zu bytes "
             "after %zu)",
             budget, bytes, allocated);
    last_message_kind = LAST_NONE;
    exceeded = 1;
    budget = 0; /* darknet's own cleanup, if any, may allocate */
    unwind(message);
  }
  allocated += bytes;
}

/* ---- tracking: an open-addressing set of live blocks ---- */

#define TOMBSTONE ((void *)1)
static DN_THREAD_LOCAL int tracking;
static DN_THREAD_LOCAL void **slots;
static DN_THREAD_LOCAL size_t slot_count, used; /* used: live + tombstones */

static size_t slot_of(uintptr_t key) { return (size_t)((key >> 4) * 0x9E3779B97F4A7C15ull) & (slot_count - 1); }

static void track_add(void *p);

static void grow(void) {
  void **old = slots;
  size_t old_count = slot_count, i;
  slot_count = slot_count ? slot_count * 2 : 1024;
  slots = (void **)calloc(slot_count, sizeof(void *));
  used = 0;
  if (!slots) { /* cannot track: stop, and let the blocks leak rather than crash */
    slots = old;
    slot_count = old_count;
    tracking = 0;
    return;
  }
  for (i = 0; i < old_count; ++i) {
    if (old[i] && old[i] != TOMBSTONE) track_add(old[i]);
  }
  free(old);
}

static void track_add(void *p) {
  size_t i;
  if (!tracking || !p) return;
  if ((used + 1) * 2 > slot_count) grow();
  if (!tracking) return;
  for (i = slot_of((uintptr_t)p); slots[i] && slots[i] != TOMBSTONE; i = (i + 1) & (slot_count - 1)) {
  }
  if (!slots[i]) ++used;
  slots[i] = p;
}

static void track_remove(uintptr_t key) {
  size_t i;
  if (!tracking || !key || !slot_count) return;
  for (i = slot_of(key); slots[i]; i = (i + 1) & (slot_count - 1)) {
    if ((uintptr_t)slots[i] == key) {
      slots[i] = TOMBSTONE;
      return;
    }
  }
}

void dn_track_allocations_begin(void) {
  tracking = 1;
  used = 0;
  if (slots) memset(slots, 0, slot_count * sizeof(void *));
}

void dn_track_allocations_end(int free_them) {
  size_t i;
  if (free_them && slots) {
    for (i = 0; i < slot_count; ++i) {
      if (slots[i] && slots[i] != TOMBSTONE) free(slots[i]);
    }
  }
  tracking = 0;
  free(slots);
  slots = NULL;
  slot_count = used = 0;
}

void *dn_shim_malloc(size_t n) {
  void *p;
  spend(n);
  p = malloc(n);
  track_add(p);
  return p;
}

void *dn_shim_calloc(size_t n, size_t size) {
  void *p;
  if (size && n > (size_t)-1 / size) spend((size_t)-1);
  spend(n * size);
  p = calloc(n, size);
  track_add(p);
  return p;
}

void *dn_shim_realloc(void *p, size_t n) {
  void *q;
  spend(n);
  /* untracked before realloc, which may free it; tracked again if it fails */
  track_remove((uintptr_t)p);
  q = realloc(p, n);
  /* realloc(p, 0) may free p and return NULL: then nothing is left to track */
  track_add(q ? q : (n ? p : NULL));
  return q;
}

void dn_shim_free(void *p) {
  track_remove((uintptr_t)p);
  free(p);
}

static DN_THREAD_LOCAL const char *override_path;
static DN_THREAD_LOCAL const char *override_text;
static DN_THREAD_LOCAL size_t override_length;

void dn_set_file_override(const char *path, const char *text, size_t length) {
  override_path = path;
  override_text = text;
  override_length = length;
}

FILE *dn_shim_fopen(const char *path, const char *mode) {
  if (override_path && path && mode && mode[0] == 'r' && strcmp(path, override_path) == 0) {
#ifdef _WIN32
    /* No fmemopen in the Windows CRT: a temporary file, deleted on close ('D'). */
    char dir[MAX_PATH], name[MAX_PATH];
    if (!GetTempPathA(sizeof dir, dir) || !GetTempFileNameA(dir, "dnc", 0, name)) return NULL;
    FILE *f = fopen(name, "w+bD"); /* GetTempFileNameA's ANSI name */
    if (!f) return NULL;
    if (fwrite(override_text, 1, override_length, f) != override_length) { fclose(f); return NULL; }
    rewind(f);
    return f;
#else
    return fmemopen((void *)override_text, override_length, "r");
#endif
  }
  return dn_fopen(path, mode);
}

static DN_THREAD_LOCAL int random_init_skipped;

void dn_set_random_init_skipped(int skipped) { random_init_skipped = skipped; }

extern float rand_normal(void); /* darknet's utils.c */

float dn_shim_rand_normal(void) { return random_init_skipped ? 0.0f : rand_normal(); }

void dn_shim_perror(const char *s) {
  remember(s ? s : "darknet error", LAST_PERROR);
  if (verbose()) perror(s);
}
