/* batch.c: device-resident datasets and batch gathering. */
#include "nn/batch.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void check_fit(const net *n, const dataset *d, const char *path)
{
	const tensor *x = d->x;
	if (x->shape[1] != n->in_c || x->shape[2] != n->in_h || x->shape[3] != n->in_w)
		fatal("%s: data is %lldx%lldx%lld per sample but the model's input is %dx%dx%d", path,
		      (long long)x->shape[1], (long long)x->shape[2], (long long)x->shape[3], n->in_c, n->in_h,
		      n->in_w);
	if (!d->y)
		return;
	if (n->dense && d->y->ndim != 3)
		fatal("%s: the model gives per-pixel classes but the labels are one per sample", path);
	if (!n->dense && d->y->ndim != 1)
		fatal("%s: the model gives one class per sample but the labels are per pixel", path);
	if (n->dense && (d->y->shape[1] != n->out_h || d->y->shape[2] != n->out_w))
		fatal("%s: label maps are %lldx%lld but the model's output is %dx%d", path,
		      (long long)d->y->shape[1], (long long)d->y->shape[2], n->out_h, n->out_w);
	if (d->nclass && d->nclass != n->nclass)
		fatal("%s: data has %d classes but the model has %d outputs", path, d->nclass, n->nclass);
	dataset_labels_check(d->y, n->nclass, path);
}

devdata *devdata_new(const backend *be, const dataset *d, const net *n, const model_info *mi,
		     int batch, const char *path)
{
	check_fit(n, d, path);
	devdata *dd = xcalloc(1, sizeof *dd);
	dd->be = be;
	dd->n = d->x->shape[0];
	dd->c = n->in_c, dd->h = n->in_h, dd->w = n->in_w;
	dd->is_u8 = d->x->dtype == DT_U8;
	dd->seg = d->y && d->y->ndim == 3;
	size_t xb = tensor_bytes(d->x);
	dd->x = be->alloc(xb, "dataset");
	be->upload(dd->x, d->x->data, xb);
	if (d->y) {
		size_t yb = tensor_bytes(d->y);
		dd->y = be->alloc(yb, "labels");
		be->upload(dd->y, d->y->data, yb);
	}
	float inv[MODEL_MAXCHAN];
	for (int c = 0; c < dd->c; c++)
		inv[c] = 1.0f / mi->std[c];
	dd->mean = be->alloc(dd->c * sizeof(float), "normalisation");
	dd->inv_std = be->alloc(dd->c * sizeof(float), "normalisation");
	be->upload(dd->mean, mi->mean, dd->c * sizeof(float));
	be->upload(dd->inv_std, inv, dd->c * sizeof(float));
	dd->cap = batch;
	size_t plane = (size_t)dd->h * dd->w;
	dd->order = be->alloc((dd->n ? dd->n : 1) * sizeof(int32_t), "sample order");
	dd->xf = be->alloc((dd->n ? dd->n : 1) * sizeof(sample_xform), "sample transforms");
	devdata_set_order(dd, NULL, NULL);
	dd->xb = be->alloc((size_t)batch * dd->c * plane * sizeof(float), "input batch");
	dd->yb = be->alloc((size_t)batch * (dd->seg ? plane : 1) * sizeof(int32_t), "label batch");
	return dd;
}

void devdata_set_order(devdata *dd, const int32_t *order, const sample_xform *xf)
{
	long n = dd->n;
	int32_t *ident = NULL;
	sample_xform *none = NULL;
	if (!order) {
		ident = xmalloc((n ? n : 1) * sizeof *ident);
		for (long i = 0; i < n; i++)
			ident[i] = (int32_t)i;
		order = ident;
	}
	if (!xf) {
		none = xmalloc((n ? n : 1) * sizeof *none);
		for (long i = 0; i < n; i++)
			none[i] = (sample_xform){0, 0, 0, (float)dd->w, (float)dd->h, 0, 0, 0, 0};
		xf = none;
	}
	dd->be->upload(dd->order, order, n * sizeof(int32_t));
	dd->be->upload(dd->xf, xf, n * sizeof(sample_xform));
	free(ident);
	free(none);
}

void devdata_gather(devdata *dd, long start, int count)
{
	const backend *be = dd->be;
	be->gather_images(dd->xb, dd->x, dd->is_u8, dd->order + start, dd->xf + start, count, dd->c, dd->h,
			  dd->w, dd->mean, dd->inv_std);
	if (dd->y)
		be->gather_labels(dd->yb, dd->y, dd->order + start, dd->xf + start, count, dd->h, dd->w, dd->seg);
}

void devdata_free(devdata *dd)
{
	if (!dd)
		return;
	const backend *be = dd->be;
	be->free(dd->x);
	if (dd->y)
		be->free(dd->y);
	be->free(dd->mean);
	be->free(dd->inv_std);
	be->free(dd->order);
	be->free(dd->xf);
	be->free(dd->xb);
	be->free(dd->yb);
	free(dd);
}
