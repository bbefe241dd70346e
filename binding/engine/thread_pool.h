/*
 * One process-wide pool of compute threads for the fast engine, shared by
 * every network and every Node environment (main thread and workers).
 * A parallel section runs its tasks on the calling thread plus the pool's
 * threads; while one section runs, a second caller runs its own tasks alone
 * on its own thread, so concurrent networks never oversubscribe the pool.
 * Idle pool threads spin for a few microseconds, then sleep on a condition
 * variable: nothing keeps spinning after a classify.
 */
#ifndef DARKNET_NAPI_THREAD_POOL_H
#define DARKNET_NAPI_THREAD_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*dn_task_fn)(void *context, int task);

/* Runs fn(context, t) for every t in [0, tasks), in parallel, and returns when
 * all have run. Tasks must not call dn_parallel_for; per-thread scratch memory
 * belongs in thread-local storage. */
void dn_parallel_for(int tasks, dn_task_fn fn, void *context);

/* Threads a parallel section uses, caller included (default: the cores this
 * process may run on). Takes effect for the next section; 1 disables the pool. */
void dn_pool_set_threads(int threads);
int dn_pool_threads(void);

/* Around each prediction, its image's decoding included (outside dn_guard:
 * always paired): while n predictions run at once, a section takes about 1/n
 * of the threads, so networks predicting side by side each compute on their
 * own thread instead of racing for the pool. */
void dn_pool_enter(void);
void dn_pool_leave(void);

/* The most threads the pool runs: package.json's "darknet"."maxThreads",
 * defined by cmake/kernels.cmake (lib/ reads the same field). */
#ifndef DN_POOL_MAX_THREADS
#error "DN_POOL_MAX_THREADS comes from package.json through CMake"
#endif

#ifdef __cplusplus
}
#endif

#endif
