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

/* A copy of bytes of host memory in be's memory. */
static void *upload_new(const backend *be, const void *host, size_t bytes, const char *what)
{
	void *p = be->alloc(bytes, what);
	be->upload(p, host, bytes);
	return p;
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
	dd->x = upload_new(be, d->x->data, tensor_bytes(d->x), "dataset");
	if (d->y)
		dd->y = upload_new(be, d->y->data, tensor_bytes(d->y), "labels");
	float inv[MODEL_MAXCHAN];
	for (int c = 0; c < dd->c; c++)
		inv[c] = 1.0f / mi->std[c];
	dd->mean = upload_new(be, mi->mean, dd->c * sizeof(float), "normalisation");
	dd->inv_std = upload_new(be, inv, dd->c * sizeof(float), "normalisation");
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
			none[i] = (sample_xform){.sw = (float)dd->w, .sh = (float)dd->h};
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

mirror *mirror_new(const backend *be, int cap, int c, int h, int w)
{
	mirror *m = xcalloc(1, sizeof *m);
	m->be = be;
	m->cap = cap, m->c = c, m->h = h, m->w = w;
	int32_t *idx = xmalloc(cap * sizeof *idx);
	sample_xform *xf = xmalloc(cap * sizeof *xf);
	for (int i = 0; i < cap; i++) {
		idx[i] = i;
		xf[i] = (sample_xform){.flip = 1, .sw = (float)w, .sh = (float)h};
	}
	float *zero = xcalloc(c, sizeof *zero), *one = xmalloc(c * sizeof *one);
	for (int i = 0; i < c; i++)
		one[i] = 1;
	m->idx = upload_new(be, idx, cap * sizeof *idx, "mirror order");
	m->xf = upload_new(be, xf, cap * sizeof *xf, "mirror transforms");
	m->zero = upload_new(be, zero, c * sizeof *zero, "mirror scaling");
	m->one = upload_new(be, one, c * sizeof *one, "mirror scaling");
	free(idx);
	free(xf);
	free(zero);
	free(one);
	return m;
}

void mirror_apply(const mirror *m, const float *x, float *y, int n)
{
	m->be->gather_images(y, x, 0, m->idx, m->xf, n, m->c, m->h, m->w, m->zero, m->one);
}

void mirror_free(mirror *m)
{
	if (!m)
		return;
	m->be->free(m->idx);
	m->be->free(m->xf);
	m->be->free(m->zero);
	m->be->free(m->one);
	free(m);
}
