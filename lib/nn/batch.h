/* batch.h: a dataset resident in backend memory, batches gathered from it
   (normalised, optionally augmented). */
#ifndef NN_BATCH_H
#define NN_BATCH_H

#include "backend/backend.h"
#include "formats/dataset.h"
#include "nn/model.h"
#include "nn/net.h"

typedef struct devdata {
	const backend *be;
	long n;
	int c, h, w;
	int seg;              /* labels are [N,H,W] */
	void *x;              /* [N,C,H,W] uint8 or float32 */
	int is_u8;
	int32_t *y;           /* NULL when the set has no labels */
	float *mean, *inv_std;
	int cap;              /* batch capacity */
	int32_t *order;       /* [N] sample order of the current pass (an epoch) */
	sample_xform *xf;     /* [N] per-position transforms of the current pass */
	float *xb;            /* [cap,C,H,W] the gathered batch */
	int32_t *yb;          /* [cap] or [cap,H,W] */
} devdata;

/* Uploads d once. Dies when its shape does not fit the net (path names
   the data in the message). */
devdata *devdata_new(const backend *be, const dataset *d, const net *n, const model_info *mi,
		     int batch, const char *path);
/* Sets the order of the next pass over the data (order NULL: 0..N-1) and
   each position's transform (xf NULL: none). One upload per pass, so that
   a step needs no transfer from the host. */
void devdata_set_order(devdata *dd, const int32_t *order, const sample_xform *xf);
/* Gathers positions [start, start+count) of the current order into xb and yb. */
void devdata_gather(devdata *dd, long start, int count);
void devdata_free(devdata *dd);

/* Mirrors batches of [n,c,h,w] float maps left to right in backend memory
   (test-time augmentation) through the gather op: sample i taken as it
   comes, flipped, normalised with mean 0 and scale 1. The flip's source
   coordinates are whole numbers, so each output value is an input value
   exactly. */
typedef struct mirror {
	const backend *be;
	int cap, c, h, w;
	int32_t *idx;         /* [cap] 0, 1, 2, ... */
	sample_xform *xf;     /* [cap] each a flip */
	float *zero, *one;    /* [c] the mean and inverse deviation */
} mirror;

/* For batches of up to cap samples of c x h x w. */
mirror *mirror_new(const backend *be, int cap, int c, int h, int w);
/* y = x mirrored, for n <= cap samples; x and y must not overlap. */
void mirror_apply(const mirror *m, const float *x, float *y, int n);
void mirror_free(mirror *m);

/* Checks that a dataset fits a network: input shape, label shape and
   label range; dies with "path: reason". */
void check_fit(const net *n, const dataset *d, const char *path);

#endif
