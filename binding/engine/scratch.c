/* The fast engine's per-thread scratch (see scratch.h). */
#include "scratch.h"

#include <pthread.h>
#include <stdlib.h>

#include "dn_aligned.h"

typedef struct scratch_set {
  float *data[DN_SCRATCH_SLOTS];
  size_t floats[DN_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p) {
  scratch_set *set = (scratch_set *)p;
  int i;
  for (i = 0; i < DN_SCRATCH_SLOTS; ++i) dn_aligned_free(set->data[i]);
  free(set);
}

static void scratch_key_create(void) { pthread_key_create(&scratch_key, scratch_free); }

static scratch_set *thread_set(void) {
  scratch_set *set;
  pthread_once(&scratch_once, scratch_key_create);
  set = (scratch_set *)pthread_getspecific(scratch_key);
  if (set) return set;
  set = (scratch_set *)calloc(1, sizeof *set);
  if (set && pthread_setspecific(scratch_key, set) != 0) {
    free(set);
    set = NULL;
  }
  return set;
}

float *dn_scratch(dn_scratch_slot slot, size_t floats) {
  scratch_set *set = thread_set();
  if (!set || slot < 0 || slot >= DN_SCRATCH_SLOTS) return NULL;
  if (set->floats[slot] < floats || !set->data[slot]) {
    /* a whole number of cache lines: aligned_alloc wants a multiple of the alignment */
    const size_t rounded = (floats + 15) & ~(size_t)15;
    dn_aligned_free(set->data[slot]);
    set->data[slot] = (float *)dn_aligned_alloc(64, sizeof(float) * (rounded ? rounded : 16));
    set->floats[slot] = set->data[slot] ? rounded : 0;
  }
  return set->data[slot];
}
