/* The fast engine (see fast_engine.h). */
#include "fast_engine.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activations.h"
#include "avgpool_layer.h"
#include "blas.h"
#include "convolutional_layer.h"
#include "shim/guard.h"
#include "image.h"
#include "leaky.h"
#include "maxpool_layer.h"
#include "output_plan.h"
#include "sgemm.h"
#include "thread_pool.h"
#include "conv_pool.h"
#include "fast_isa.h"
#include "winograd.h"

const char *dn_fast_kernel_name(void) { return dn_kernel_selected()->name; }
const char *dn_fast_kernel_runnable(int i) { return dn_kernel_runnable(i); }

/* Whether our batch norm gives darknet's bits (bn_span): it follows
 * normalize_cpu as darknet's x86 -Ofast build compiles it, a vector body of
 * (x - mean) * (1 / (sqrt(variance) + 1e-6f)) in double over the first
 * len & ~3 elements of a row (none when len < 4), and a division for the
 * rest. Checked once against darknet's own normalize_cpu; where it differs
 * (another compiler or architecture), darknet's function runs on whole rows. */
static pthread_once_t bn_check_once = PTHREAD_ONCE_INIT;
static int bn_span_exact;

static void bn_span(float *row, int n0, int n1, int len, float mean, float variance, float scale, float bias,
                    int leaky) {
  const int body = len >= 4 ? len & ~3 : 0, split = n1 < body ? n1 : (n0 > body ? n0 : body);
  const double den = sqrt((double)variance) + (double).000001f;
  int j;
  if (split > n0) dn_kernel_selected()->epilogue_bn(row, split - n0, mean, 1.0 / den, scale, bias, leaky);
  if (split == n1) return;
  /* The tail: darknet's division, then the same scale, bias and activation. */
  for (j = split; j < n1; ++j) row[j - n0] = (float)((double)(row[j - n0] - mean) / den);
  dn_kernel_selected()->epilogue(row + (split - n0), n1 - split, scale, bias, leaky);
}

/* The run-time checks' test values: a fixed sequence in [0, 1). */
static float check_value(unsigned *seed) {
  *seed = *seed * 1664525u + 1013904223u;
  return (float)(*seed >> 8) / 16777216.0f;
}

static void bn_check(void) {
  float theirs[48], ours[48];
  unsigned seed = 12345;
  int len, trial, i, same = 1;
  const char *forced = getenv("DARKNET_NAPI_FUSED_BATCHNORM"); /* "0": darknet's, for tests */
  if (forced && strcmp(forced, "0") == 0) return;
  for (len = 1; len <= 48 && same; ++len) {
    for (trial = 0; trial < 4 && same; ++trial) {
      float mean, variance;
      for (i = 0; i < len; ++i) {
        theirs[i] = ours[i] = check_value(&seed) * 8.0f - 4.0f;
      }
      mean = check_value(&seed) - 0.5f;
      variance = check_value(&seed) * 3.0f + (trial == 0 ? 0.0f : 1e-3f);
      normalize_cpu(theirs, &mean, &variance, 1, 1, len);
      bn_span(ours, 0, len, len, mean, variance, 1.0f, 0.0f, 0);
      for (i = 0; i < len; ++i) same = same && theirs[i] == ours[i];
    }
  }
  bn_span_exact = same;
}

int dn_fast_batchnorm_fused(void) {
  pthread_once(&bn_check_once, bn_check);
  return bn_span_exact;
}

typedef struct conv_job {
  const layer *l;
  int darknet_normalize; /* normalize_cpu itself, on whole rows */
} conv_job;

/* Batch norm (inference), bias and activation on rows [m0, m1) x columns
 * [n0, n1) of a convolution's output, in forward_convolutional_layer's order. */
static void conv_epilogue(void *context, float *c, int ldc, int m0, int m1, int n0, int n1) {
  const conv_job *job = (const conv_job *)context;
  const layer *l = job->l;
  const int len = n1 - n0, leaky = l->activation == LEAKY;
  int f;
  for (f = m0; f < m1; ++f) {
    float *row = c + (size_t)f * ldc + n0;
    const float scale = l->batch_normalize ? l->scales[f] : 1.0f, bias = l->biases[f];
    if (l->batch_normalize && !job->darknet_normalize) {
      /* normalize_cpu, scale_bias, add_bias and the activation: one pass. */
      bn_span(row, n0, n1, ldc, l->rolling_mean[f], l->rolling_variance[f], scale, bias, leaky);
    } else {
      if (l->batch_normalize) normalize_cpu(row, l->rolling_mean + f, l->rolling_variance + f, 1, 1, len);
      /* scale_bias, add_bias and the activation: one pass (sgemm_epilogue.c). */
      dn_kernel_selected()->epilogue(row, len, scale, bias, leaky);
    }
    if (!leaky && l->activation != LINEAR) activate_array(row, len, l->activation);
  }
}

/* The engine's state for one network, made with it and freed with it: each
 * layer's weights in the GEMM kernel's panels, packed on its first
 * prediction (about the weights' size again, instead of packing them on
 * every call). Calls on one network are serialized, so no lock. */
struct dn_engine_context {
  int layers;
  int fast;             /* the fast precision (dn_engine_set_fast): folded weights, fused kernels */
  float **panels;       /* per layer index; NULL until packed (fast: the folded weights) */
  float **bias;         /* fast: per layer index, the folded bias; NULL until packed */
  float **wino[2];      /* fast: per layer index, F(2,3)'s and F(4,3)'s packed weights (winograd.h), or NULL */
  float **conv_pool;    /* fast: per layer index, the weights for conv_pool.h (a first layer's shape), or NULL */
  int fuse;             /* fast: DARKNET_NAPI_FUSE (not "off"): a first convolution runs with its max-pool */
  int *algo;            /* fast: per layer index, its convolution's DN_ALGO_*, 0 until its first prediction */
  int wino_mode;        /* fast: DARKNET_NAPI_WINOGRAD: 0 off, 2 or 4 F(m,3) forced, -1 timed per layer */
  int wino_log;         /* DARKNET_NAPI_WINOGRAD_LOG: each layer's choice to stderr */
  dn_output_plan plan;  /* where the outputs go (output_plan.h) */
  const float **outputs; /* per layer: where this prediction wrote its output */
  double *seconds;       /* per layer: how long this prediction took on it */
};

dn_engine_context *dn_engine_create(const network *net) {
  dn_engine_context *ctx = (dn_engine_context *)calloc(1, sizeof *ctx);
  const size_t n = net->n > 0 ? (size_t)net->n : 1;
  if (!ctx) return NULL;
  ctx->layers = net->n;
  ctx->panels = (float **)calloc(n, sizeof(float *));
  ctx->bias = (float **)calloc(n, sizeof(float *));
  ctx->outputs = (const float **)calloc(n, sizeof(float *));
  ctx->seconds = (double *)calloc(n, sizeof(double));
  ctx->wino[0] = (float **)calloc(n, sizeof(float *));
  ctx->wino[1] = (float **)calloc(n, sizeof(float *));
  ctx->conv_pool = (float **)calloc(n, sizeof(float *));
  ctx->algo = (int *)calloc(n, sizeof(int));
  if (!ctx->panels || !ctx->bias || !ctx->outputs || !ctx->seconds || !ctx->wino[0] || !ctx->wino[1] ||
      !ctx->conv_pool || !ctx->algo || dn_output_plan_init(&ctx->plan, net->n) != 0) {
    free(ctx->panels);
    free(ctx->bias);
    free(ctx->wino[0]);
    free(ctx->wino[1]);
    free(ctx->conv_pool);
    free(ctx->algo);
    free(ctx->outputs);
    free(ctx->seconds);
    free(ctx);
    return NULL;
  }
  return ctx;
}

void dn_engine_free(dn_engine_context *ctx) {
  int i;
  if (!ctx) return;
  for (i = 0; i < ctx->layers; ++i) free(ctx->panels[i]);
  for (i = 0; i < ctx->layers; ++i) free(ctx->bias[i]);
  for (i = 0; i < ctx->layers; ++i) free(ctx->wino[0][i]);
  for (i = 0; i < ctx->layers; ++i) free(ctx->wino[1][i]);
  for (i = 0; i < ctx->layers; ++i) free(ctx->conv_pool[i]);
  free(ctx->panels);
  free(ctx->bias);
  free(ctx->wino[0]);
  free(ctx->wino[1]);
  free(ctx->conv_pool);
  free(ctx->algo);
  free(ctx->outputs);
  free(ctx->seconds);
  dn_output_plan_free(&ctx->plan);
  free(ctx);
}

/* The algorithms timed so far in this process, by layer shape, kernel and
 * thread count: later networks with such a layer (classifyMany's copies,
 * a model loaded again) take the first one's choice, so they give its bits
 * and skip the timing and the other candidates' packing. Shapes, not
 * pointers: nothing here outlives a network's memory. */
typedef struct algo_choice {
  const char *kernel;
  int K, C, h, w, pad, threads, algo;
} algo_choice;
#define DN_ALGO_CHOICES 512
static algo_choice algo_choices[DN_ALGO_CHOICES];
static int algo_choice_count;
static pthread_mutex_t algo_choice_lock = PTHREAD_MUTEX_INITIALIZER; /* held while a layer is timed */

/* Layer l's recorded choice at the pool's thread count, or 0. Called with the lock held. */
static int recorded_choice(const layer *l) {
  const char *kernel = dn_kernel_selected()->name;
  const int threads = dn_pool_threads();
  int i;
  for (i = 0; i < algo_choice_count; ++i) {
    const algo_choice *c = &algo_choices[i];
    if (c->kernel == kernel && c->K == l->n && c->C == l->c && c->h == l->h && c->w == l->w && c->pad == l->pad &&
        c->threads == threads)
      return c->algo;
  }
  return 0;
}

static void record_choice(const layer *l, int algo) {
  algo_choice *c;
  if (algo_choice_count == DN_ALGO_CHOICES || recorded_choice(l)) return;
  c = &algo_choices[algo_choice_count++];
  c->kernel = dn_kernel_selected()->name;
  c->K = l->n, c->C = l->c, c->h = l->h, c->w = l->w, c->pad = l->pad, c->threads = dn_pool_threads(), c->algo = algo;
}

/* Whether the fast precision may run layer l as a Winograd convolution: a
 * 3x3, stride-1 one (winograd.h) with enough input channels for the
 * transforms to pay (not a first layer's 3), through the fused kernels. */
static int winograd_eligible(const dn_engine_context *ctx, const layer *l) {
  return ctx->fast && ctx->wino_mode != 0 && l->type == CONVOLUTIONAL && l->groups == 1 && l->c >= 8 &&
         dn_winograd_shape(l->size, l->stride, l->pad, l->h, l->w, l->out_h, l->out_w) && dn_kernel_fused_usable();
}

/* The fast precision's weights and bias for layer index: batch norm folded
 * in, as forward_convolutional_layer's inference arithmetic rearranged,
 *   ((w * x) - mean) / (sqrt(variance) + .000001f) * scale + bias
 *   = (w * factor) * x + (bias - mean * factor),  factor = scale / (sqrt(variance) + .000001f)
 * computed in double and rounded once to float. The panels of the folded
 * weights into ctx->panels, the bias into ctx->bias; darknet's own arrays
 * are left as they are (layerParameters() and the ONNX export read them).
 * 0, or -1 when out of memory. */
static int fold_layer(dn_engine_context *ctx, int index, const layer *l) {
  const int K = l->size * l->size * l->c;
  float *weights = (float *)malloc(sizeof(float) * (size_t)l->n * (size_t)K);
  float *bias = (float *)malloc(sizeof(float) * (size_t)l->n);
  int f, k;
  if (!weights || !bias) {
    free(weights);
    free(bias);
    return -1;
  }
  for (f = 0; f < l->n; ++f) {
    const float *row = l->weights + (size_t)f * K;
    float *out = weights + (size_t)f * K;
    if (l->batch_normalize) {
      const double factor = (double)l->scales[f] / (sqrt((double)l->rolling_variance[f]) + (double).000001f);
      for (k = 0; k < K; ++k) out[k] = (float)((double)row[k] * factor);
      bias[f] = (float)((double)l->biases[f] - (double)l->rolling_mean[f] * factor);
    } else {
      memcpy(out, row, sizeof(float) * (size_t)K);
      bias[f] = l->biases[f];
    }
  }
  ctx->panels[index] = dn_sgemm_pack_a(l->n, K, weights);
  if (ctx->panels[index] && winograd_eligible(ctx, l)) {
    /* F(2,3)'s and F(4,3)'s transformed weights too (the first prediction
     * times them and keeps one), or the one chosen before for this shape;
     * without memory for them, the GEMM. */
    int known = 0;
    if (ctx->wino_mode < 0) {
      pthread_mutex_lock(&algo_choice_lock);
      known = recorded_choice(l);
      pthread_mutex_unlock(&algo_choice_lock);
    }
    if (ctx->wino_mode == 2 || (ctx->wino_mode < 0 && (known == 0 || known == DN_ALGO_F2)))
      ctx->wino[0][index] = dn_winograd_pack(2, weights, l->n, l->c, l->out_h, l->out_w);
    if (ctx->wino_mode == 4 || (ctx->wino_mode < 0 && (known == 0 || known == DN_ALGO_F4)))
      ctx->wino[1][index] = dn_winograd_pack(4, weights, l->n, l->c, l->out_h, l->out_w);
  }
  /* A first layer's shape: its weights for the pass with the max-pool after
   * it too (without memory for them, the GEMM and the pool apart). */
  if (ctx->panels[index] && ctx->fuse && dn_kernel_fused_usable() && dn_conv_pool_conv_shape(l))
    ctx->conv_pool[index] = dn_conv_pool_pack(weights, l->n, l->c);
  free(weights);
  if (!ctx->panels[index]) {
    free(bias);
    return -1;
  }
  ctx->bias[index] = bias;
  return 0;
}

/* The panels of layer index's weights, or NULL when out of memory. */
static const float *packed_weights_of(dn_engine_context *ctx, int index, const layer *l) {
  if (index < 0 || index >= ctx->layers) return NULL;
  if (ctx->fast) {
    if (!ctx->panels[index] && l->weights && fold_layer(ctx, index, l) != 0) return NULL;
    return ctx->panels[index];
  }
  if (!ctx->panels[index] && l->weights)
    ctx->panels[index] = dn_sgemm_pack_a(l->n, l->size * l->size * l->c, l->weights);
  return ctx->panels[index];
}

static int multiplies(const layer *l) { return l->type == CONVOLUTIONAL && dn_fast_layer_supported(l); }

void dn_engine_set_fast(dn_engine_context *ctx) {
  const char *mode = getenv("DARKNET_NAPI_WINOGRAD"), *log = getenv("DARKNET_NAPI_WINOGRAD_LOG");
  const char *fuse = getenv("DARKNET_NAPI_FUSE");
  ctx->fast = 1;
  ctx->wino_mode = -1;
  if (mode && (strcmp(mode, "0") == 0 || strcmp(mode, "off") == 0)) ctx->wino_mode = 0;
  if (mode && (strcmp(mode, "2") == 0 || strcmp(mode, "f2") == 0)) ctx->wino_mode = 2;
  if (mode && (strcmp(mode, "4") == 0 || strcmp(mode, "f4") == 0)) ctx->wino_mode = 4;
  ctx->wino_log = log && *log && strcmp(log, "0") != 0;
  ctx->fuse = !(fuse && (strcmp(fuse, "0") == 0 || strcmp(fuse, "off") == 0));
}

int dn_engine_is_fast(const dn_engine_context *ctx) { return ctx->fast; }

int dn_engine_fold_weights(dn_engine_context *ctx, const network *net) {
  int i;
  for (i = 0; i < net->n && i < ctx->layers; ++i) {
    const layer *l = &net->layers[i];
    if (!multiplies(l) || !l->weights) continue;
    if (!packed_weights_of(ctx, i, l)) return -1;
  }
  return 0;
}

int dn_engine_take_weights(dn_engine_context *ctx, network *net) {
  int i;
  for (i = 0; i < net->n && i < ctx->layers; ++i) {
    layer *l = &net->layers[i];
    if (!multiplies(l) || !l->weights) continue;
    if (!packed_weights_of(ctx, i, l)) return -1;
    free(l->weights);
    l->weights = NULL;
  }
  return 0;
}

int dn_engine_return_weights(dn_engine_context *ctx, network *net) {
  int i;
  for (i = 0; i < net->n && i < ctx->layers; ++i) {
    layer *l = &net->layers[i];
    const int K = l->size * l->size * l->c;
    if (l->weights || !ctx->panels[i]) continue;
    l->weights = (float *)malloc(sizeof(float) * (size_t)l->n * (size_t)K);
    if (!l->weights) return -1;
    dn_sgemm_unpack_a(l->n, K, ctx->panels[i], l->weights);
  }
  return 0;
}

/* The fast precision's epilogue where the kernel does not apply it: with
 * `bias`, the folded bias and leaky (the fused kernels' arithmetic) on a
 * tile; then any activation other than leaky and linear. */
typedef struct fast_job {
  const layer *l;
  const float *bias; /* NULL: the fused kernel added it */
} fast_job;

static void fast_epilogue(void *context, float *c, int ldc, int m0, int m1, int n0, int n1) {
  const fast_job *job = (const fast_job *)context;
  const layer *l = job->l;
  const int len = n1 - n0, leaky = l->activation == LEAKY;
  int f, j;
  for (f = m0; f < m1; ++f) {
    float *row = c + (size_t)f * ldc + n0;
    if (job->bias) {
      const float bias = job->bias[f];
      if (leaky) {
        for (j = 0; j < len; ++j) {
          const float x = row[j] + bias, y = x * 0.1f;
          row[j] = x > 0 ? x : y;
        }
      } else {
        for (j = 0; j < len; ++j) row[j] += bias;
      }
    }
    if (!leaky && l->activation != LINEAR) activate_array(row, len, l->activation);
  }
}

/* The direct GEMM path (im2col folded into the packing). */
static void convolution_gemm(dn_engine_context *ctx, int index, layer *l, const dn_matrix_b *b, float *out) {
  const int M = l->n, N = l->out_w * l->out_h, K = l->size * l->size * l->c;
  const int leaky = l->activation == LEAKY, other = !leaky && l->activation != LINEAR;
  const float *panels = packed_weights_of(ctx, index, l);
  fast_job job;
  int rc;
  if (!panels) dn_shim_fatal("out of memory for the fast precision's folded weights");
  job.l = l;
  if (dn_kernel_fused_usable()) {
    job.bias = NULL;
    rc = dn_sgemm_fused(M, N, K, NULL, panels, b, out, ctx->bias[index], leaky ? DN_ACT_LEAKY : DN_ACT_LINEAR,
                        other ? fast_epilogue : NULL, &job, 0);
  } else {
    job.bias = ctx->bias[index];
    rc = dn_sgemm(M, N, K, NULL, panels, b, out, fast_epilogue, &job, 0);
  }
  if (rc != 0) dn_shim_fatal("out of memory for the fast engine's scratch buffers");
}

/* F(m,3) (algo DN_ALGO_F2 or DN_ALGO_F4) into out. */
static void convolution_winograd(dn_engine_context *ctx, int index, layer *l, int algo, const float *input,
                                 float *out) {
  const int leaky = l->activation == LEAKY;
  if (dn_winograd_forward(algo == DN_ALGO_F2 ? 2 : 4, ctx->wino[algo == DN_ALGO_F2 ? 0 : 1][index], ctx->bias[index],
                          leaky ? DN_ACT_LEAKY : DN_ACT_LINEAR, l->n, l->c, l->h, l->w, l->pad, input, out, l->out_h,
                          l->out_w, NULL) != 0)
    dn_shim_fatal("out of memory for the fast engine's scratch buffers");
  if (!leaky && l->activation != LINEAR) activate_array(out, l->outputs, l->activation);
}

static double seconds_now(void);

/* The largest |x - ref| over the largest |ref|. */
static double relative_error(const float *x, const float *ref, int n) {
  double diff = 0, scale = 0;
  int i;
  for (i = 0; i < n; ++i) {
    const double d = fabs((double)x[i] - (double)ref[i]), r = fabs((double)ref[i]);
    if (d > diff || d != d) diff = d != d ? HUGE_VAL : d;
    if (r > scale) scale = r;
  }
  return scale > 0 ? diff / scale : diff;
}

/* A layer's first prediction: the candidates (the GEMM, F(2,3), F(4,3) where
 * packed) timed on its input at the pool's thread count, interleaved, the
 * least of DN_WINO_RUNS runs each (the machine may be shared); a Winograd one whose outputs differ from the GEMM's
 * by more than DN_WINO_TOLERANCE of their largest is dropped. The chosen one
 * writes out last, so this prediction gives the bits of the next ones. */
#define DN_WINO_TOLERANCE 1e-4
#define DN_WINO_RUNS 5
static const char *algorithm_name(int algo) { return algo == DN_ALGO_GEMM ? "gemm" : algo == DN_ALGO_F2 ? "F(2,3)" : "F(4,3)"; }
/* The log's note on a chosen Winograd whose weights stream (winograd.h). */
static const char *streaming_note(const layer *l, int algo) {
  return algo != DN_ALGO_GEMM && dn_winograd_on_the_fly(algo == DN_ALGO_F2 ? 2 : 4, l->n, l->c, l->out_h, l->out_w)
             ? " (weights transformed on the fly)"
             : "";
}

static void choose_algorithm(dn_engine_context *ctx, int index, layer *l, const dn_matrix_b *b) {
  double best[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, error[3] = {0, 0, 0}, t;
  const int have[3] = {1, ctx->wino[0][index] != NULL, ctx->wino[1][index] != NULL};
  float *ref = NULL, *tmp = NULL;
  int rep, a, recorded, reused = 0, chosen = DN_ALGO_GEMM;
  if (!have[1] && !have[2]) {
    ctx->algo[index] = DN_ALGO_GEMM;
    convolution_gemm(ctx, index, l, b, l->output);
    return;
  }
  if (ctx->wino_mode == 2 || ctx->wino_mode == 4) {
    chosen = ctx->wino_mode == 2 ? DN_ALGO_F2 : DN_ALGO_F4;
  } else {
    /* Held while timing: a copy loading beside this network waits for the
     * choice instead of timing on a shared core. */
    pthread_mutex_lock(&algo_choice_lock);
    recorded = recorded_choice(l);
    if (recorded && have[recorded - 1]) {
      chosen = recorded;
      reused = 1;
    } else {
      ref = (float *)malloc(sizeof(float) * (size_t)l->outputs);
      tmp = (float *)malloc(sizeof(float) * (size_t)l->outputs);
      if (ref && tmp) {
        for (rep = 0; rep < DN_WINO_RUNS; ++rep) {
          t = seconds_now();
          convolution_gemm(ctx, index, l, b, ref);
          t = seconds_now() - t;
          if (t < best[0]) best[0] = t;
          for (a = 1; a < 3; ++a) {
            if (!have[a]) continue;
            t = seconds_now();
            convolution_winograd(ctx, index, l, a == 1 ? DN_ALGO_F2 : DN_ALGO_F4, b->data, tmp);
            t = seconds_now() - t;
            if (t < best[a]) best[a] = t;
            if (rep == 0) error[a] = relative_error(tmp, ref, l->outputs);
          }
        }
        for (a = 1; a < 3; ++a)
          if (have[a] && error[a] <= DN_WINO_TOLERANCE && best[a] < best[chosen - 1]) chosen = a + 1;
        if (have[1] && have[2]) record_choice(l, chosen); /* a choice among all the candidates only */
      }
      free(ref);
      free(tmp);
    }
    pthread_mutex_unlock(&algo_choice_lock);
  }
  ctx->algo[index] = chosen;
  if (ctx->wino_log && reused)
    fprintf(stderr, "darknet-napi winograd: layer %d (%dx%dx%d -> %d), %d threads: %s%s, chosen before for this shape\n",
            index, l->w, l->h, l->c, l->n, dn_pool_threads(), algorithm_name(chosen), streaming_note(l, chosen));
  else if (ctx->wino_log)
    fprintf(stderr,
            "darknet-napi winograd: layer %d (%dx%dx%d -> %d): gemm %.3f ms, F(2,3) %.3f ms (error %.1e), F(4,3) "
            "%.3f ms (error %.1e), %d threads: %s%s\n",
            index, l->w, l->h, l->c, l->n, best[0] * 1e3, best[1] * 1e3, error[1], best[2] * 1e3, error[2],
            dn_pool_threads(), algorithm_name(chosen), streaming_note(l, chosen));
  /* The others' packed weights are no longer needed. */
  if (chosen != DN_ALGO_F2) {
    free(ctx->wino[0][index]);
    ctx->wino[0][index] = NULL;
  }
  if (chosen != DN_ALGO_F4) {
    free(ctx->wino[1][index]);
    ctx->wino[1][index] = NULL;
  }
  if (chosen == DN_ALGO_GEMM) convolution_gemm(ctx, index, l, b, l->output);
  else convolution_winograd(ctx, index, l, chosen, b->data, l->output);
}

static void forward_convolution_fast(dn_engine_context *ctx, int index, layer *l, const dn_matrix_b *b) {
  const int algo = index >= 0 && index < ctx->layers ? ctx->algo[index] : DN_ALGO_GEMM;
  if (algo == 0) choose_algorithm(ctx, index, l, b);
  else if (algo == DN_ALGO_GEMM) convolution_gemm(ctx, index, l, b, l->output);
  else convolution_winograd(ctx, index, l, algo, b->data, l->output);
}

static void forward_convolution(dn_engine_context *ctx, int index, layer *l, const float *input) {
  /* As forward_convolutional_layer: a 1x1 convolution multiplies the input
   * itself (row stride out_w*out_h, whatever the stride), others im2col. */
  dn_matrix_b b;
  conv_job job;
  b.data = input;
  b.channels = l->c;
  b.height = l->h;
  b.width = l->w;
  b.ksize = l->size == 1 ? 0 : l->size;
  b.stride = l->stride;
  b.pad = l->pad;
  b.out_w = l->out_w;
  if (ctx->fast) {
    forward_convolution_fast(ctx, index, l, &b);
    return;
  }
  job.l = l;
  job.darknet_normalize = !dn_fast_batchnorm_fused();
  /* Without memory for packed weights, the GEMM packs them per call. Other
   * activations than leaky and linear stay darknet's activate_array, on whole
   * rows: -Ofast may vectorize them with vector math whose bits differ from
   * its scalar tail's. */
  if (dn_sgemm(l->n, l->out_w * l->out_h, l->size * l->size * l->c, l->weights, packed_weights_of(ctx, index, l), &b,
               l->output, conv_epilogue, &job,
               job.darknet_normalize || (l->activation != LEAKY && l->activation != LINEAR)) != 0) {
    dn_shim_fatal("out of memory for the fast engine's scratch buffers");
  }
}

/* A layer's work, split into slices of `channels` channels (its input's for
 * pooling, its output's for shortcut). */
typedef struct channel_job {
  const layer *l;
  network net;
  int chunk, channels;
  const float *from; /* shortcut: the output it adds */
} channel_job;

static void for_channel_slices(const layer *l, network net, int channels, const float *from, dn_task_fn fn) {
  channel_job job;
  int tasks = 4 * dn_pool_threads();
  if (channels <= 0) return;
  if (tasks > channels) tasks = channels;
  job.l = l;
  job.net = net;
  job.channels = channels;
  job.from = from;
  job.chunk = (channels + tasks - 1) / tasks;
  dn_parallel_for((channels + job.chunk - 1) / job.chunk, fn, &job);
}

/* forward_maxpool_layer's arithmetic on a slice of the channels, without the
 * argmax indexes that only training reads. */
static void maxpool_task(void *context, int task) {
  channel_job *job = (channel_job *)context;
  const layer *l = job->l;
  const int c0 = task * job->chunk, c1 = c0 + job->chunk < l->c ? c0 + job->chunk : l->c;
  const int offset = -l->pad / 2, size = l->size, stride = l->stride;
  int k, i, j, n, m;
  if (size == 2 && stride == 2 && offset == 0 && 2 * l->out_w <= l->w && 2 * l->out_h <= l->h) {
    /* The common 2x2/2 pooling with every window inside: the same
     * comparisons in the same order, in a loop the compiler vectorizes. */
    for (k = c0; k < c1; ++k) {
      for (i = 0; i < l->out_h; ++i) {
        const float *r0 = job->net.input + ((size_t)k * l->h + 2 * i) * l->w, *r1 = r0 + l->w;
        float *out = l->output + ((size_t)k * l->out_h + i) * l->out_w;
        for (j = 0; j < l->out_w; ++j) {
          float max = -FLT_MAX, a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
          max = (a > max) ? a : max;
          max = (b > max) ? b : max;
          max = (c > max) ? c : max;
          max = (d > max) ? d : max;
          out[j] = max;
        }
      }
    }
    return;
  }
  if (size == 2 && stride == 1 && offset == 0 && l->out_w == l->w && l->out_h == l->h && l->w > 1) {
    /* yolov3-tiny's 2x2/1 pooling: windows (i..i+1, j..j+1), those past the
     * last row or column reading -FLT_MAX there, as darknet's; the same
     * comparisons in the same order, the inner loop vectorized */
    const int w = l->w, h = l->h;
    for (k = c0; k < c1; ++k) {
      for (i = 0; i < h; ++i) {
        const float *r0 = job->net.input + ((size_t)k * h + i) * w, *r1 = i + 1 < h ? r0 + w : NULL;
        float *out = l->output + ((size_t)k * h + i) * w;
        for (j = 0; j < w - 1; ++j) {
          const float c = r1 ? r1[j] : -FLT_MAX, d = r1 ? r1[j + 1] : -FLT_MAX;
          float max = -FLT_MAX;
          max = (r0[j] > max) ? r0[j] : max;
          max = (r0[j + 1] > max) ? r0[j + 1] : max;
          max = (c > max) ? c : max;
          max = (d > max) ? d : max;
          out[j] = max;
        }
        {
          const float c = r1 ? r1[w - 1] : -FLT_MAX;
          float max = -FLT_MAX;
          max = (r0[w - 1] > max) ? r0[w - 1] : max;
          max = (-FLT_MAX > max) ? -FLT_MAX : max;
          max = (c > max) ? c : max;
          max = (-FLT_MAX > max) ? -FLT_MAX : max;
          out[w - 1] = max;
        }
      }
    }
    return;
  }
  for (k = c0; k < c1; ++k) {
    const float *in = job->net.input + (size_t)k * l->h * l->w;
    float *out = l->output + (size_t)k * l->out_h * l->out_w;
    for (i = 0; i < l->out_h; ++i) {
      const int y0 = offset + i * stride;
      const int rows_inside = y0 >= 0 && y0 + size <= l->h;
      for (j = 0; j < l->out_w; ++j) {
        const int x0 = offset + j * stride;
        float max = -FLT_MAX;
        if (rows_inside && x0 >= 0 && x0 + size <= l->w) {
          for (n = 0; n < size; ++n)
            for (m = 0; m < size; ++m) {
              float val = in[(size_t)(y0 + n) * l->w + x0 + m];
              max = (val > max) ? val : max;
            }
        } else {
          for (n = 0; n < size; ++n)
            for (m = 0; m < size; ++m) {
              int y = y0 + n, x = x0 + m;
              float val = (y >= 0 && y < l->h && x >= 0 && x < l->w) ? in[(size_t)y * l->w + x] : -FLT_MAX;
              max = (val > max) ? val : max;
            }
        }
        out[i * l->out_w + j] = max;
      }
    }
  }
}

/* forward_avgpool_layer's arithmetic, AVG_LANES channels at a time: each
 * channel's sum from 0 in pixel order, as darknet's loop, but the channels'
 * chains side by side instead of one after another (its loop waits on each
 * add). Its division by h*w is what its compiler made of it: -Ofast turns it
 * into a multiply by the reciprocal. Checked once against darknet's own
 * function (avg_check), which runs where neither form gives its bits. */
#define AVG_LANES 16
enum { AVG_DARKNET, AVG_DIVIDE, AVG_RECIPROCAL };
static pthread_once_t avg_check_once = PTHREAD_ONCE_INIT;
static int avg_form;

static void avg_channels(const float *in, int hw, int c0, int c1, float *out, int form) {
  const float reciprocal = 1.0f / (float)hw;
  int c, lane, i;
  for (c = c0; c < c1; c += AVG_LANES) {
    const int lanes = c1 - c < AVG_LANES ? c1 - c : AVG_LANES;
    float sum[AVG_LANES] = {0};
    for (i = 0; i < hw; ++i)
      for (lane = 0; lane < lanes; ++lane) sum[lane] += in[(size_t)(c + lane) * hw + i];
    for (lane = 0; lane < lanes; ++lane)
      out[c + lane] = form == AVG_RECIPROCAL ? sum[lane] * reciprocal : sum[lane] / (float)hw;
  }
}

static void avg_check(void) {
  enum { HW = 49, C = 19 };
  static float in[HW * C];
  float theirs[C], ours[C];
  unsigned seed = 777;
  int i, form;
  layer l;
  network net;
  for (i = 0; i < HW * C; ++i) in[i] = check_value(&seed) * 6.0f - 3.0f;
  memset(&l, 0, sizeof l);
  memset(&net, 0, sizeof net);
  l.batch = 1, l.c = C, l.h = 7, l.w = 7, l.output = theirs;
  net.input = in;
  forward_avgpool_layer(l, net);
  avg_form = AVG_DARKNET;
  for (form = AVG_DIVIDE; form <= AVG_RECIPROCAL && avg_form == AVG_DARKNET; ++form) {
    avg_channels(in, HW, 0, C, ours, form);
    if (memcmp(theirs, ours, sizeof ours) == 0) avg_form = form;
  }
}

static void avgpool_task(void *context, int task) {
  channel_job *job = (channel_job *)context;
  const int c0 = task * job->chunk, c1 = c0 + job->chunk < job->l->c ? c0 + job->chunk : job->l->c;
  layer slice = *job->l;
  network net = job->net;
  pthread_once(&avg_check_once, avg_check);
  if (avg_form != AVG_DARKNET) {
    avg_channels(job->net.input, job->l->h * job->l->w, c0, c1, job->l->output, avg_form);
    return;
  }
  slice.c = c1 - c0;
  slice.output = job->l->output + c0;
  net.input = job->net.input + (size_t)c0 * slice.h * slice.w;
  forward_avgpool_layer(slice, net);
}

static void forward_pool(dn_engine_context *ctx, int index, layer *l, network *net) {
  (void)ctx;
  (void)index;
  for_channel_slices(l, *net, l->c, NULL, l->type == MAXPOOL ? maxpool_task : avgpool_task);
}

/* forward_upsample_layer on a slice of the channels: upsample_cpu's
 * scale * in for each output value (which it writes every one of, so no
 * fill_cpu first), each output row computed once and copied to the
 * stride - 1 rows that repeat it; stride 2 in a loop that vectorizes. */
static void upsample_task(void *context, int task) {
  channel_job *job = (channel_job *)context;
  const layer *l = job->l;
  const int c0 = task * job->chunk, c1 = c0 + job->chunk < l->c ? c0 + job->chunk : l->c;
  const int stride = l->stride, w = l->w, out_w = w * stride;
  const float scale = l->scale;
  const float *in = job->net.input + (size_t)c0 * l->h * w;
  float *out = l->output + (size_t)c0 * l->h * w * stride * stride;
  int k, y, r, x;
  for (k = c0; k < c1; ++k)
    for (y = 0; y < l->h; ++y, in += w) {
      if (stride == 2) {
        for (x = 0; x < w; ++x) {
          const float v = scale * in[x];
          out[2 * x] = v;
          out[2 * x + 1] = v;
        }
      } else {
        for (x = 0; x < out_w; ++x) out[x] = scale * in[x / stride];
      }
      for (r = 1; r < stride; ++r) memcpy(out + (size_t)r * out_w, out, sizeof(float) * (size_t)out_w);
      out += (size_t)stride * out_w;
    }
}

static void forward_upsample(dn_engine_context *ctx, int index, layer *l, network *net) {
  (void)ctx;
  (void)index;
  for_channel_slices(l, *net, l->c, NULL, upsample_task);
}

/* The reverse form accumulates into the layer before it: darknet's. */
static int upsample_supported(const layer *l) {
  return !l->reverse && l->out_w == l->w * l->stride && l->out_h == l->h * l->stride;
}

/* One output row of the shortcut: in (+ from, every stride-th value: NULL
 * past the channels both layers have), then leaky or linear. */
static void shortcut_row(float *out, const float *in, const float *from, int stride, int len, int leaky) {
  int i;
  if (from && stride == 1) {
    if (leaky)
      for (i = 0; i < len; ++i) out[i] = dn_leaky(in[i] + from[i]);
    else
      for (i = 0; i < len; ++i) out[i] = in[i] + from[i];
  } else if (from) {
    for (i = 0; i < len; ++i) out[i] = leaky ? dn_leaky(in[i] + from[(size_t)i * stride]) : in[i] + from[(size_t)i * stride];
  } else if (leaky) {
    for (i = 0; i < len; ++i) out[i] = dn_leaky(in[i]);
  } else {
    memcpy(out, in, (size_t)len * sizeof(float));
  }
}

/* forward_shortcut_layer on a slice of the output's channels. Where the
 * added layer's planes are no smaller (shortcut_cpu's sample 1), alpha and
 * beta are 1 (the cfg's default) and the activation is leaky or linear, in
 * one pass: 1*out + 1*add is out + add in any rounding, and leaky.h is
 * darknet's leaky. Otherwise darknet's own steps: the copy of the input,
 * shortcut_cpu on the channels both layers have (its indexes relative to the
 * slice's first channel), activate_array. */
static void shortcut_task(void *context, int task) {
  channel_job *job = (channel_job *)context;
  const layer *l = job->l;
  const int c0 = task * job->chunk, c1 = c0 + job->chunk < l->out_c ? c0 + job->chunk : l->out_c;
  const int minc = l->c < l->out_c ? l->c : l->out_c, added = (c1 < minc ? c1 : minc) - c0;
  const size_t out_plane = (size_t)l->out_w * l->out_h, from_plane = (size_t)l->w * l->h;
  const size_t len = (c1 - c0) * out_plane;
  const int stride = l->w / l->out_w;
  const float *in = job->net.input + c0 * out_plane, *from = job->from + c0 * from_plane;
  float *out = l->output + c0 * out_plane;
  int k, j;
  if (l->w >= l->out_w && l->h >= l->out_h && l->alpha == 1 && l->beta == 1 &&
      (l->activation == LEAKY || l->activation == LINEAR)) {
    const int leaky = l->activation == LEAKY;
    if (stride == 1 && from_plane == out_plane) { /* the planes as one row */
      const size_t sum_len = added > 0 ? added * out_plane : 0;
      shortcut_row(out, in, from, 1, (int)sum_len, leaky);
      shortcut_row(out + sum_len, in + sum_len, NULL, 1, (int)(len - sum_len), leaky);
      return;
    }
    for (k = 0; k < c1 - c0; ++k)
      for (j = 0; j < l->out_h; ++j)
        shortcut_row(out + k * out_plane + (size_t)j * l->out_w, in + k * out_plane + (size_t)j * l->out_w,
                     k < added ? from + k * from_plane + (size_t)j * stride * l->w : NULL, stride, l->out_w, leaky);
    return;
  }
  copy_cpu((int)len, (float *)in, 1, out, 1);
  if (added > 0)
    shortcut_cpu(1, l->w, l->h, added, (float *)from, l->out_w, l->out_h, added, l->alpha, l->beta, out);
  activate_array(out, (int)len, l->activation);
}

static void forward_shortcut(dn_engine_context *ctx, int index, layer *l, network *net) {
  (void)index;
  for_channel_slices(l, *net, l->out_c, ctx->outputs[l->index], shortcut_task);
}

/* forward_route_layer's copies, the concatenated output cut in equal parts. */
typedef struct route_job {
  const layer *l;
  const float *const *outputs;
  size_t chunk;
} route_job;

static void route_task(void *context, int task) {
  route_job *job = (route_job *)context;
  const layer *l = job->l;
  const size_t begin = (size_t)task * job->chunk, end = begin + job->chunk;
  size_t offset = 0;
  int i;
  for (i = 0; i < l->n && offset < end; ++i) {
    const size_t size = (size_t)l->input_sizes[i];
    const size_t from = begin > offset ? begin - offset : 0, to = end - offset < size ? end - offset : size;
    if (from < to)
      memcpy(l->output + offset + from, job->outputs[l->input_layers[i]] + from, (to - from) * sizeof(float));
    offset += size;
  }
}

static void forward_route(dn_engine_context *ctx, int index, layer *l, network *net) {
  route_job job;
  const size_t total = (size_t)l->outputs;
  const int tasks = 2 * dn_pool_threads();
  (void)net;
  (void)index;
  job.l = l;
  job.outputs = ctx->outputs;
  job.chunk = (total + (size_t)tasks - 1) / (size_t)tasks;
  if (job.chunk == 0) return;
  dn_parallel_for((int)((total + job.chunk - 1) / job.chunk), route_task, &job);
}

/* forward_yolo_layer at inference: the input copied and darknet's logistic
 * on each anchor's x, y and its objectness and classes, the output cut into
 * equal slices across the pool (its delta, training's, is not cleared).
 * Always the logistic: darknet's CPU forward leaves it out in a GPU build,
 * whose GPU forward applies it, so the CPU one is not that build's answer. */
typedef struct yolo_job {
  const layer *l;
  const float *input;
  size_t chunk;
  int fast; /* precision 'fast': its vectorized logistic (logistic.h), else darknet's */
} yolo_job;

static void yolo_task(void *context, int task) {
  yolo_job *job = (yolo_job *)context;
  const layer *l = job->l;
  const size_t plane = (size_t)l->w * l->h, entries = (size_t)(4 + 1 + l->classes) * plane;
  const size_t begin = (size_t)task * job->chunk, total = (size_t)l->outputs;
  const size_t end = begin + job->chunk < total ? begin + job->chunk : total;
  int n, part;
  memcpy(l->output + begin, job->input + begin, (end - begin) * sizeof(float));
  for (n = 0; n < l->n; ++n) {
    for (part = 0; part < 2; ++part) {
      /* entry_index(l, 0, n*w*h, 0) for 2*w*h, entry_index(l, 0, n*w*h, 4) for (1+classes)*w*h */
      const size_t from = n * entries + (part ? 4 * plane : 0), to = part ? (n + 1) * entries : from + 2 * plane;
      const size_t a = from > begin ? from : begin, b = to < end ? to : end;
      if (a < b && job->fast) dn_fast_isa_selected()->logistic(l->output + a, b - a);
      else if (a < b) activate_array(l->output + a, (int)(b - a), LOGISTIC);
    }
  }
}

static void forward_yolo(dn_engine_context *ctx, int index, layer *l, network *net) {
  yolo_job job;
  const size_t total = (size_t)l->outputs, tasks = 2 * (size_t)dn_pool_threads();
  (void)index;
  job.l = l;
  job.input = net->input;
  job.fast = ctx->fast;
  job.chunk = ((total + tasks - 1) / tasks + 15) & ~(size_t)15;
  if (job.chunk == 0) return;
  dn_parallel_for((int)((total + job.chunk - 1) / job.chunk), yolo_task, &job);
}

/* Whether darknet's activate_array(LOGISTIC) on part of an array gives the
 * bits the whole call gives those elements (an element-wise loop: it does,
 * unless a compiler vectorized exp with other rounding): checked once; where
 * not, the yolo layer stays darknet's. */
static pthread_once_t logistic_check_once = PTHREAD_ONCE_INIT;
static int logistic_sliceable;

static void logistic_check(void) {
  float whole[67], parts[67];
  int i, same = 1;
  for (i = 0; i < 67; ++i) whole[i] = parts[i] = (float)(i - 33) * 0.37f;
  activate_array(whole, 67, LOGISTIC);
  activate_array(parts, 5, LOGISTIC);
  activate_array(parts + 5, 29, LOGISTIC);
  activate_array(parts + 34, 33, LOGISTIC);
  for (i = 0; i < 67; ++i) same = same && whole[i] == parts[i];
  logistic_sliceable = same;
}

static int yolo_supported(const layer *l) {
  pthread_once(&logistic_check_once, logistic_check);
  return logistic_sliceable && l->outputs == l->n * (4 + 1 + l->classes) * l->w * l->h;
}

static void forward_conv(dn_engine_context *ctx, int index, layer *l, network *net) {
  forward_convolution(ctx, index, l, net->input);
}

static int conv_supported(const layer *l) { return l->groups == 1 && !l->xnor && !l->binary; }

/* The one table of the layer types the engine knows: `forward` (when
 * `supported` says yes for the layer, batch 1 only) runs it here, else
 * darknet's own l.forward does. A new layer type is one row here (and its
 * forward function above). */
typedef struct engine_layer {
  LAYER_TYPE type;
  void (*forward)(dn_engine_context *ctx, int index, layer *l, network *net);
  int (*supported)(const layer *l); /* NULL: always */
} engine_layer;

static const engine_layer engine_layers[] = {
    {CONVOLUTIONAL, forward_conv, conv_supported},
    {MAXPOOL, forward_pool, NULL},
    {AVGPOOL, forward_pool, NULL},
    {UPSAMPLE, forward_upsample, upsample_supported},
    {SHORTCUT, forward_shortcut, NULL},
    {ROUTE, forward_route, NULL},
    {YOLO, forward_yolo, yolo_supported},
};

static const engine_layer *engine_layer_of(LAYER_TYPE type) {
  size_t i;
  for (i = 0; i < sizeof engine_layers / sizeof engine_layers[0]; ++i) {
    if (engine_layers[i].type == type) return &engine_layers[i];
  }
  return NULL;
}

int dn_fast_layer_supported(const layer *l) {
  const engine_layer *e = engine_layer_of(l->type);
  return l->batch == 1 && e && (!e->supported || e->supported(l));
}

/* Outputs read after the prediction (the network's, the heads': darknet's
 * own layers) and those darknet's forward writes stay in their buffers. */
static int movable(const network *net, int i) {
  const layer *l = &net->layers[i];
  return dn_fast_layer_supported(l) && l->output != net->output && l->type != YOLO; /* heads: boxes read them */
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int dn_engine_layer_algorithm(const dn_engine_context *ctx, int index) {
  return ctx->fast && index >= 0 && index < ctx->layers ? ctx->algo[index] : 0;
}

int dn_engine_layer_seconds(const dn_engine_context *ctx, double *out, int n) {
  int i;
  for (i = 0; i < n && i < ctx->layers; ++i) out[i] = ctx->seconds[i];
  return i;
}

/* Whether layer i runs with the max-pool after it, asked by the output plan
 * where the pool is the only reader of the convolution's output: as one
 * pass (conv_pool.h: the convolution's output never written), or possibly
 * pooling in its Winograd F(4,3) output transform (pools_in_winograd,
 * decided on a later prediction: the convolution's room kept). Both pairs
 * the engine's. */
static int runs_with_pool(const void *context, const network *net, int i) {
  const dn_engine_context *ctx = (const dn_engine_context *)context;
  const layer *l = &net->layers[i];
  if (!ctx->fast || i + 1 >= net->n || i + 1 >= ctx->layers || !dn_fast_layer_supported(l) ||
      !dn_fast_layer_supported(&net->layers[i + 1]))
    return 0;
  if (ctx->conv_pool[i] && dn_conv_pool_pair(l, &net->layers[i + 1])) return DN_WITH_NEXT;
  if (ctx->fuse && ctx->wino[1][i] && (l->activation == LEAKY || l->activation == LINEAR) &&
      dn_conv_pool_pool_shape(l, &net->layers[i + 1]))
    return DN_MAY_WRITE_NEXT;
  return 0;
}

/* Whether layer i, a Winograd F(4,3) convolution (chosen on an earlier
 * prediction, leaky or linear), runs with the 2x2 max-pool after it, pooling
 * in its output transform: the pool the only reader of its output, which is
 * then not written (its room in the arena stays: the first prediction
 * wrote it, timing the candidates), and the pool's room planned apart from
 * the convolution's input (runs_with_pool), which its tasks read while
 * others write the pool. */
static int pools_in_winograd(const dn_engine_context *ctx, const network *net, int i) {
  const layer *l = &net->layers[i];
  return ctx->fast && ctx->fuse && i + 1 < net->n && i + 1 < ctx->layers && ctx->algo[i] == DN_ALGO_F4 &&
         (l->activation == LEAKY || l->activation == LINEAR) && dn_conv_pool_pool_shape(l, &net->layers[i + 1]) &&
         dn_fast_layer_supported(l) && dn_fast_layer_supported(&net->layers[i + 1]) &&
         ctx->plan.offset[i] != DN_PLAN_OWN && ctx->plan.last_use[i] == i + 1 && !ctx->plan.with_next[i] &&
         (i == 0 || ctx->plan.last_use[i - 1] > i);
}

float *dn_fast_predict(dn_engine_context *ctx, network *netp, float *input, dn_relay *relay) {
  /* network_predict + forward_network, without the training-only work
   * (zeroing every layer's delta, the cost). */
  network net = *netp;
  float *arena;
  double before;
  int i, pair;
  dn_output_plan_update(&ctx->plan, netp, movable, runs_with_pool, ctx);
  arena = dn_relay_arena(relay, ctx->plan.floats);
  net.input = input;
  net.truth = 0;
  net.train = 0;
  net.delta = 0;
  for (i = 0; i < net.n; ++i) {
    layer l = net.layers[i];
    /* this copy only: darknet's layer keeps its own buffer */
    if (arena && ctx->plan.offset[i] != DN_PLAN_OWN) l.output = arena + ctx->plan.offset[i];
    ctx->outputs[i] = l.output;
    net.index = i;
    before = seconds_now();
    pair = i >= ctx->layers ? 0 : ctx->plan.with_next[i] ? 1 : pools_in_winograd(ctx, &net, i) ? 2 : 0;
    if (pair) {
      /* the convolution with the max-pool after it: conv_pool.h (1) or
       * Winograd's pooling transform (2); only the pool's output written */
      layer pool = net.layers[i + 1];
      const int act = l.activation == LEAKY ? DN_ACT_LEAKY : DN_ACT_LINEAR;
      if (arena && ctx->plan.offset[i + 1] != DN_PLAN_OWN) pool.output = arena + ctx->plan.offset[i + 1];
      if ((pair == 1 ? dn_conv_pool_forward(ctx->conv_pool[i], ctx->bias[i], act, l.n, l.c, l.h, l.w, net.input,
                                            pool.output)
                     : dn_winograd_forward(4, ctx->wino[1][i], ctx->bias[i], act, l.n, l.c, l.h, l.w, l.pad, net.input,
                                           l.output, l.out_h, l.out_w, pool.output)) != 0)
        dn_shim_fatal("out of memory for the fast engine's scratch buffers");
      if (pair == 1) ctx->algo[i] = DN_ALGO_GEMM;
      ctx->seconds[i] = seconds_now() - before; /* the pair's time: the pool's is 0 */
      ctx->seconds[i + 1] = 0;
      ctx->algo[i + 1] = DN_ALGO_FUSED;
      ctx->outputs[i + 1] = pool.output;
      net.input = pool.output;
      ++i;
      continue;
    }
    if (i < ctx->layers && ctx->algo[i] == DN_ALGO_FUSED) ctx->algo[i] = 0; /* (on its own this time) */
    if (dn_fast_layer_supported(&l)) {
      engine_layer_of(l.type)->forward(ctx, i, &l, &net);
    } else {
      l.forward(l, net);
    }
    if (i < ctx->layers) ctx->seconds[i] = seconds_now() - before; /* two vDSO calls a layer */
    net.input = l.output;
    if (l.truth) net.truth = l.output;
  }
  return netp->output;
}

int dn_fast_precision_fma(void) {
  if (!dn_kernel_fused_usable()) return -1;
#if defined(__aarch64__)
  return 1; /* fmla: both builds contract (kernels.cmake) */
#else
  return dn_kernel_selected()->fma;
#endif
}
