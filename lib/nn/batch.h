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

/* Checks that a dataset fits a network: input shape, label shape and
   label range; dies with "path: reason". */
void check_fit(const net *n, const dataset *d, const char *path);

#endif
