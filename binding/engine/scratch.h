/*
 * The fast engine's per-thread scratch memory: one set of named slots per
 * thread that computes (the pool's threads, Node's main and libuv threads),
 * each a 64-byte aligned float buffer grown on demand and kept for the
 * thread's life, freed when the thread ends. Tasks of one parallel section
 * each use their own thread's slots; a slot's contents are the caller's
 * until its next call for that slot.
 */
#ifndef DARKNET_NAPI_SCRATCH_H
#define DARKNET_NAPI_SCRATCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dn_scratch_slot {
  DN_SCRATCH_GEMM_A,        /* sgemm.c: a task's packed A block */
  DN_SCRATCH_GEMM_B,        /* sgemm.c: a task's packed B block */
  DN_SCRATCH_GEMM_SHARED_B, /* sgemm.c: B packed whole for the pool (caller's thread) */
  DN_SCRATCH_GEMM_PADDED,   /* sgemm.c: a convolution's zero-padded input (caller's thread) */
  DN_SCRATCH_WINO_V,        /* winograd.c: a block's transformed input */
  DN_SCRATCH_WINO_M,        /* winograd.c: a block's GEMM results */
  DN_SCRATCH_WINO_PADDED,   /* winograd.c: a block's rows of the zero-padded input (transform_input) */
  DN_SCRATCH_WINO_SHARED_V, /* winograd.c: every block's transformed input (caller's thread) */
  DN_SCRATCH_WINO_U,        /* winograd.c: a panel's weights transformed on the fly */
  DN_SCRATCH_CONV_POOL_PADDED, /* conv_pool.c: the zero-padded input (caller's thread) */
  DN_SCRATCH_SLOTS
} dn_scratch_slot;

/* The calling thread's slot with room for at least `floats` floats (its old
 * contents lost when it grows), or NULL when out of memory. */
float *dn_scratch(dn_scratch_slot slot, size_t floats);

#ifdef __cplusplus
}
#endif

#endif
