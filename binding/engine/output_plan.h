/*
 * Where the layers the fast engine runs write their outputs: darknet gives
 * every layer its own output buffer (yolov3 at 608x608: 464 MB of them),
 * though at batch 1 a layer's output is only read until its last reader has
 * run (the next layer, a [route] naming it, a [shortcut] from it). The plan
 * places the outputs that may move in one arena, a block reused once its
 * last reader is done; the others (darknet's own forward writes them, the
 * heads and the network's output, read after the prediction) stay where
 * darknet put them. Darknet's buffers for moved outputs are never written,
 * so never resident.
 */
#ifndef DARKNET_NAPI_OUTPUT_PLAN_H
#define DARKNET_NAPI_OUTPUT_PLAN_H

#include <stddef.h>

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DN_PLAN_OWN ((size_t)-1) /* the layer writes its own buffer */

typedef struct dn_output_plan {
  int layers;
  int w, h;       /* the network's size the plan is for (resize changes it) */
  size_t floats;  /* the arena's size */
  size_t *offset; /* per layer: where in the arena, or DN_PLAN_OWN */
  int *last_use;  /* per layer: the last layer that reads its output */
  unsigned char *with_next; /* per layer: computed with the next layer, its output never written (no room) */
  int *live;      /* scratch: the placed outputs still read */
} dn_output_plan;

/* 0, or -1 when out of memory. */
int dn_output_plan_init(dn_output_plan *plan, int layers);
void dn_output_plan_free(dn_output_plan *plan);

/* Plans for the network's current sizes (again only when they changed);
 * movable(net, i) says whether layer i's output may live in the arena;
 * with_next(context, net, i), asked of a movable layer whose only reader is
 * the next, whether it runs with it: DN_WITH_NEXT (its output then never
 * written), DN_MAY_WRITE_NEXT (it may write the next layer's output too,
 * its own kept), or 0. Either way the next layer's output is written while
 * this one still reads its input, which then stays live past the next. */
#define DN_WITH_NEXT 1
#define DN_MAY_WRITE_NEXT 2
void dn_output_plan_update(dn_output_plan *plan, const network *net, int (*movable)(const network *net, int i),
                           int (*with_next)(const void *context, const network *net, int i), const void *context);

/* An arena, taken for one prediction and given back after it, outside
 * dn_guard; pooled, as many as predictions have run at once. */
typedef struct dn_relay dn_relay;
dn_relay *dn_relay_acquire(void);
void dn_relay_release(dn_relay *relay);
/* The arena of at least `floats` floats (64-byte aligned), or NULL. */
float *dn_relay_arena(dn_relay *relay, size_t floats);

#ifdef __cplusplus
}
#endif

#endif
