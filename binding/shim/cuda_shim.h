/*
 * Forced include (-include) for darknet's sources in the GPU build (C and CUDA),
 * placed BEFORE binding/shim/darknet_shim.h. It adapts darknet (pjreddie, 61c9d02e)
 * to current CUDA (12.x/13.x) and cuDNN (8.x/9.x) without touching its files.
 *
 * The toolkit headers are included here first, so that darknet_shim.h's
 * printf/exit/abort/assert macros never rewrite declarations inside them, and
 * so that the macros below are defined after the real declarations.
 */
#ifndef DARKNET_CUDA_SHIM_H
#define DARKNET_CUDA_SHIM_H

#ifdef GPU

/* cuda.c calls ceil()/sqrt() without including <math.h>: an implicit
 * declaration, a hard error with GCC >= 14 and Clang >= 16. */
#include <math.h>
#include <stddef.h>

#include <cuda_runtime.h>

/* CUDA 13 removed cudaThreadSynchronize() (deprecated since CUDA 4.0) from
 * both cuda_runtime_api.h and libcudart.so.13; gemm.c's time_gpu() calls it.
 * cudaDeviceSynchronize() is its documented replacement, on every version. */
#define cudaThreadSynchronize() cudaDeviceSynchronize()

#ifdef CUDNN
#include <cudnn.h>

#if CUDNN_MAJOR >= 8
/* cuDNN 8 removed cudnnGetConvolution{Forward,BackwardData,BackwardFilter}Algorithm
 * and their *_SPECIFY_WORKSPACE_LIMIT preference enums, which
 * convolutional_layer.c's cudnn_convolutional_setup() calls. Re-create them on
 * top of the *_v7 queries (present in cuDNN 7, 8 and 9): take the fastest
 * algorithm the heuristics rank as supported whose workspace fits the limit. */
#define DN_CUDNN_NO_WORKSPACE 0
#define DN_CUDNN_PREFER_FASTEST 1
#define DN_CUDNN_SPECIFY_WORKSPACE_LIMIT 2
#define CUDNN_CONVOLUTION_FWD_NO_WORKSPACE DN_CUDNN_NO_WORKSPACE
#define CUDNN_CONVOLUTION_FWD_PREFER_FASTEST DN_CUDNN_PREFER_FASTEST
#define CUDNN_CONVOLUTION_FWD_SPECIFY_WORKSPACE_LIMIT DN_CUDNN_SPECIFY_WORKSPACE_LIMIT
#define CUDNN_CONVOLUTION_BWD_DATA_NO_WORKSPACE DN_CUDNN_NO_WORKSPACE
#define CUDNN_CONVOLUTION_BWD_DATA_PREFER_FASTEST DN_CUDNN_PREFER_FASTEST
#define CUDNN_CONVOLUTION_BWD_DATA_SPECIFY_WORKSPACE_LIMIT DN_CUDNN_SPECIFY_WORKSPACE_LIMIT
#define CUDNN_CONVOLUTION_BWD_FILTER_NO_WORKSPACE DN_CUDNN_NO_WORKSPACE
#define CUDNN_CONVOLUTION_BWD_FILTER_PREFER_FASTEST DN_CUDNN_PREFER_FASTEST
#define CUDNN_CONVOLUTION_BWD_FILTER_SPECIFY_WORKSPACE_LIMIT DN_CUDNN_SPECIFY_WORKSPACE_LIMIT

static inline size_t dn_cudnn_limit(int preference, size_t limit)
{
    if (preference == DN_CUDNN_NO_WORKSPACE) return 0;
    if (preference == DN_CUDNN_PREFER_FASTEST) return (size_t)-1;
    return limit;
}

/* The fallbacks (IMPLICIT_GEMM, ALGO_0) need no workspace. */
#define DN_CUDNN_PICK(PerfT, AlgoT, query, count, fallback)                      \
    PerfT perf[count];                                                           \
    int returned = 0, i;                                                         \
    size_t max_ws = dn_cudnn_limit(preference, limit);                           \
    cudnnStatus_t status = query;                                                \
    *algo = fallback;                                                            \
    if (status != CUDNN_STATUS_SUCCESS) return status;                           \
    for (i = 0; i < returned; ++i) {                                             \
        if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= max_ws) { \
            *algo = perf[i].algo;                                                \
            break;                                                               \
        }                                                                        \
    }                                                                            \
    return CUDNN_STATUS_SUCCESS;

static inline cudnnStatus_t dn_cudnnGetConvolutionForwardAlgorithm(
    cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
    cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y, int preference,
    size_t limit, cudnnConvolutionFwdAlgo_t *algo)
{
    DN_CUDNN_PICK(cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t,
                  cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y,
                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf),
                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM)
}

static inline cudnnStatus_t dn_cudnnGetConvolutionBackwardDataAlgorithm(
    cudnnHandle_t handle, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t dx, int preference,
    size_t limit, cudnnConvolutionBwdDataAlgo_t *algo)
{
    DN_CUDNN_PICK(cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t,
                  cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, dy, conv, dx,
                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf),
                  CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0)
}

static inline cudnnStatus_t dn_cudnnGetConvolutionBackwardFilterAlgorithm(
    cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t conv, cudnnFilterDescriptor_t dw, int preference,
    size_t limit, cudnnConvolutionBwdFilterAlgo_t *algo)
{
    DN_CUDNN_PICK(cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t,
                  cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, dy, conv, dw,
                      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, perf),
                  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0)
}
#undef DN_CUDNN_PICK

#define cudnnGetConvolutionForwardAlgorithm dn_cudnnGetConvolutionForwardAlgorithm
#define cudnnGetConvolutionBackwardDataAlgorithm dn_cudnnGetConvolutionBackwardDataAlgorithm
#define cudnnGetConvolutionBackwardFilterAlgorithm dn_cudnnGetConvolutionBackwardFilterAlgorithm
#endif /* CUDNN_MAJOR >= 8 */
#endif /* CUDNN */

#endif /* GPU */
#endif /* DARKNET_CUDA_SHIM_H */
