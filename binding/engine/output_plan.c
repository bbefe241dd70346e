/* See output_plan.h. */
#include "output_plan.h"

#include <pthread.h>
#include <stdlib.h>

#include "dn_aligned.h"

#define ALIGN_FLOATS 16 /* 64 bytes: every block starts on a cache line */

static size_t round_up(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

int dn_output_plan_init(dn_output_plan *plan, int layers) {
  const size_t n = layers > 0 ? (size_t)layers : 1;
  plan->layers = layers;
  plan->w = plan->h = 0;
  plan->floats = 0;
  plan->offset = (size_t *)malloc(n * sizeof(size_t));
  plan->last_use = (int *)malloc(n * sizeof(int));
  plan->live = (int *)malloc(n * sizeof(int));
  plan->with_next = (unsigned char *)calloc(n, 1);
  if (plan->offset && plan->last_use && plan->live && plan->with_next) return 0;
  dn_output_plan_free(plan);
  return -1;
}

void dn_output_plan_free(dn_output_plan *plan) {
  free(plan->offset);
  free(plan->last_use);
  free(plan->live);
  free(plan->with_next);
  plan->offset = NULL;
  plan->last_use = plan->live = NULL;
  plan->with_next = NULL;
}

/* Who reads layer k's output, in darknet's forward functions: the next layer
 * (net.input), a [route] through input_layers, a [shortcut] through index;
 * and a layer whose own output is darknet's buffer of the layers before it
 * (parse_network_cfg gives [dropout] the previous layer's), which pins them. */
static void note_reads(const network *net, int *last_use, int *pinned, int (*movable)(const network *, int)) {
  int j, k;
  for (j = 0; j < net->n; ++j) last_use[j] = j; /* written, so live while it runs */
  for (j = 1; j < net->n; ++j) {
    const layer *l = &net->layers[j];
    last_use[j - 1] = j;
    if (!movable(net, j))
      for (k = j - 1; k >= 0 && net->layers[k].output == l->output; --k) pinned[k] = 1;
    /* darknet's own route and shortcut read the layers' own buffers */
    if (l->type == ROUTE) {
      for (k = 0; k < l->n; ++k) {
        const int from = l->input_layers[k];
        if (from < 0 || from >= j) continue;
        if (last_use[from] < j) last_use[from] = j;
        if (!movable(net, j)) pinned[from] = 1;
      }
    } else if (l->type == SHORTCUT && l->index >= 0 && l->index < j) {
      if (last_use[l->index] < j) last_use[l->index] = j;
      if (!movable(net, j)) pinned[l->index] = 1;
    }
  }
}

void dn_output_plan_update(dn_output_plan *plan, const network *net, int (*movable)(const network *net, int i),
                           int (*with_next)(const void *context, const network *net, int i), const void *context) {
  int i, j, live = 0;
  size_t end = 0;
  int *pinned = plan->live; /* borrowed as flags, before the placing */
  if (plan->w == net->w && plan->h == net->h && plan->floats) return;
  for (i = 0; i < net->n; ++i) pinned[i] = 0;
  note_reads(net, plan->last_use, pinned, movable);
  for (i = 0; i < net->n; ++i) plan->offset[i] = pinned[i] || !movable(net, i) ? DN_PLAN_OWN : 0;
  for (i = 0; i < net->n; ++i) {
    const int pair = plan->offset[i] != DN_PLAN_OWN && plan->last_use[i] == i + 1 && with_next
                         ? with_next(context, net, i)
                         : 0;
    plan->with_next[i] = pair == DN_WITH_NEXT;
    /* (a convolution reads only the layer before it) */
    if (pair && i > 0 && plan->last_use[i - 1] < i + 1) plan->last_use[i - 1] = i + 1;
  }
  /* First fit, layer by layer, among the blocks still read at layer i (kept
   * sorted by offset). */
  for (i = 0; i < net->n; ++i) {
    size_t size, at = 0;
    int kept = 0, slot;
    for (j = 0; j < live; ++j)
      if (plan->last_use[plan->live[j]] >= i) plan->live[kept++] = plan->live[j];
    live = kept;
    if (plan->offset[i] == DN_PLAN_OWN || plan->with_next[i]) continue; /* (never written: offset 0, no room) */
    size = round_up((size_t)net->layers[i].outputs);
    for (slot = 0; slot < live; ++slot) {
      const int other = plan->live[slot];
      if (at + size <= plan->offset[other]) break;
      at = plan->offset[other] + round_up((size_t)net->layers[other].outputs);
    }
    plan->offset[i] = at;
    for (j = live; j > slot; --j) plan->live[j] = plan->live[j - 1];
    plan->live[slot] = i;
    ++live;
    if (at + size > end) end = at + size;
  }
  plan->floats = end ? end : 1;
  plan->w = net->w;
  plan->h = net->h;
}

/* ---- the arenas ---- */

struct dn_relay {
  float *arena;
  size_t floats;
  struct dn_relay *next;
};

static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;
static dn_relay *relay_free;

dn_relay *dn_relay_acquire(void) {
  dn_relay *relay;
  pthread_mutex_lock(&relay_lock);
  relay = relay_free;
  if (relay) relay_free = relay->next;
  pthread_mutex_unlock(&relay_lock);
  if (!relay) relay = (dn_relay *)calloc(1, sizeof(dn_relay));
  return relay;
}

void dn_relay_release(dn_relay *relay) {
  if (!relay) return;
  pthread_mutex_lock(&relay_lock);
  relay->next = relay_free;
  relay_free = relay;
  pthread_mutex_unlock(&relay_lock);
}

float *dn_relay_arena(dn_relay *relay, size_t floats) {
  if (!relay) return NULL;
  if (floats <= relay->floats) return relay->arena;
  dn_aligned_free(relay->arena);
  relay->arena = (float *)dn_aligned_alloc(64, round_up(floats) * sizeof(float));
  relay->floats = relay->arena ? round_up(floats) : 0;
  return relay->arena;
}
