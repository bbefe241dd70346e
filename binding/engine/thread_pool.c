/* The fast engine's thread pool (see thread_pool.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* About 20-50 microseconds of pause instructions: long enough to bridge the
 * gap between two layers, short enough that nothing spins after a classify. */
#define SPIN_ROUNDS 4000

static pthread_mutex_t section_lock = PTHREAD_MUTEX_INITIALIZER; /* one section on the pool at a time */
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;

static atomic_int wanted_threads;          /* 0: not set yet, use the cores */
static int started_workers;                /* pool threads running (caller not counted) */
static atomic_uint generation;             /* bumped for each posted section */
static dn_task_fn job_fn;
static void *job_context;
static int job_tasks;
static int job_workers;                    /* pool threads taking part in this section */
static atomic_int next_task;
static atomic_int finished_workers;
static atomic_int inline_callers;         /* sections running alone on their caller's thread */
static atomic_int active_callers;         /* predictions between dn_pool_enter and dn_pool_leave */
static unsigned start_generation[DN_POOL_MAX_THREADS]; /* each worker's first `seen` */

/* A busy neighbour (another process's threads on our cores, such as
 * onnxruntime's, which spin after each run) can take a pool thread's core
 * for a whole time slice; the caller then waits milliseconds for a task
 * that takes tenths. When the caller waited more than half a section, and
 * long enough to be a time slice rather than uneven tasks, sections run on
 * the caller's thread alone for a while: one free core at full speed beats
 * two where one is shared. */
#define CONTENDED_WAIT_NS 500000LL  /* 0.5 ms */
#define BACKOFF_NS 50000000LL       /* 50 ms */
static atomic_llong alone_until;   /* monotonic ns: sections before this run on their caller */

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int default_threads(void) {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
#if defined(_WIN32)
  long n = pthread_num_processors_np(); /* winpthreads: the process's affinity mask */
#else
  long n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
  return n > 0 ? (int)n : 1;
}

int dn_pool_threads(void) {
  int n = atomic_load(&wanted_threads);
  if (n <= 0) n = default_threads();
  return n > DN_POOL_MAX_THREADS ? DN_POOL_MAX_THREADS : n;
}

void dn_pool_set_threads(int threads) {
  if (threads > DN_POOL_MAX_THREADS) threads = DN_POOL_MAX_THREADS;
  atomic_store(&wanted_threads, threads < 1 ? 1 : threads);
}

static void run_tasks(dn_task_fn fn, void *context, int tasks) {
  int t;
  while ((t = atomic_fetch_add(&next_task, 1)) < tasks) fn(context, t);
}

static void *worker_main(void *arg) {
  int index = (int)(intptr_t)arg;
  /* The generation when it was created: a section posted before this thread
   * first runs is one it must take part in. */
  unsigned seen = start_generation[index];
  for (;;) {
    unsigned now;
    int spin;
    for (spin = 0; spin < SPIN_ROUNDS && (now = atomic_load_explicit(&generation, memory_order_acquire)) == seen; ++spin) {
      CPU_RELAX();
    }
    if (now == seen) {
      pthread_mutex_lock(&state_lock);
      while ((now = atomic_load(&generation)) == seen) pthread_cond_wait(&work_posted, &state_lock);
      pthread_mutex_unlock(&state_lock);
    }
    /* A consistent snapshot of the newest section: a section cannot end (and
     * the next be posted) before all its workers have taken part. */
    pthread_mutex_lock(&state_lock);
    seen = atomic_load(&generation);
    dn_task_fn fn = job_fn;
    void *context = job_context;
    int tasks = job_tasks, take_part = index < job_workers;
    pthread_mutex_unlock(&state_lock);
    if (!take_part) continue;
    run_tasks(fn, context, tasks);
    if (atomic_fetch_add(&finished_workers, 1) + 1 == job_workers) {
      pthread_mutex_lock(&state_lock);
      pthread_cond_signal(&work_done);
      pthread_mutex_unlock(&state_lock);
    }
  }
  return NULL;
}

/* Starts pool threads up to `count`; returns how many run. Called with section_lock held. */
static int ensure_workers(int count) {
  while (started_workers < count) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_generation[started_workers] = atomic_load(&generation);
    int rc = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)started_workers);
    pthread_attr_destroy(&attr);
    if (rc != 0) break; /* run with what we have */
    ++started_workers;
  }
  return started_workers < count ? started_workers : count;
}

void dn_pool_enter(void) { atomic_fetch_add(&active_callers, 1); }
void dn_pool_leave(void) { atomic_fetch_sub(&active_callers, 1); }

void dn_parallel_for(int tasks, dn_task_fn fn, void *context) {
  int workers, t, spin, share;
  const int threads = dn_pool_threads(), active = atomic_load(&active_callers);
  long long started, own_done, ended;
  if (tasks <= 0) return;
  /* This caller's share of the threads, and threads already computing alone
   * count against the pool's size. */
  share = active > 1 ? threads / active : threads;
  workers = threads - 1 - atomic_load(&inline_callers);
  if (workers > share - 1) workers = share - 1;
  if (workers > tasks - 1) workers = tasks - 1;
  started = workers > 0 ? now_ns() : 0;
  if (workers > 0 && started < atomic_load_explicit(&alone_until, memory_order_relaxed)) workers = 0;
  if (workers <= 0 || pthread_mutex_trylock(&section_lock) != 0) {
    /* One task, one thread wanted, or the pool busy with another network:
     * this caller's thread does the work alone. */
    atomic_fetch_add(&inline_callers, 1);
    for (t = 0; t < tasks; ++t) fn(context, t);
    atomic_fetch_sub(&inline_callers, 1);
    return;
  }
  workers = ensure_workers(workers);
  pthread_mutex_lock(&state_lock);
  job_fn = fn;
  job_context = context;
  job_tasks = tasks;
  job_workers = workers;
  atomic_store(&next_task, 0);
  atomic_store(&finished_workers, 0);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&work_posted);
  pthread_mutex_unlock(&state_lock);

  run_tasks(fn, context, tasks);
  own_done = now_ns();
  for (spin = 0; spin < SPIN_ROUNDS && atomic_load(&finished_workers) != workers; ++spin) CPU_RELAX();
  if (atomic_load(&finished_workers) != workers) {
    pthread_mutex_lock(&state_lock);
    while (atomic_load(&finished_workers) != workers) pthread_cond_wait(&work_done, &state_lock);
    pthread_mutex_unlock(&state_lock);
  }
  pthread_mutex_unlock(&section_lock);
  ended = now_ns();
  if (ended - own_done > CONTENDED_WAIT_NS && 2 * (ended - own_done) > ended - started)
    atomic_store_explicit(&alone_until, ended + BACKOFF_NS, memory_order_relaxed);
}
