/* dataset.c: dataset and prediction streams (see dataset.h for the layout). */
#include "formats/dataset.h"
#include "formats/npy.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Element i of an integer tensor (uint8, int32 or int64). */
static int64_t label_at(const tensor *y, int64_t i)
{
	switch (y->dtype) {
	case DT_U8: return ((const uint8_t *)y->data)[i];
	case DT_I32: return ((const int32_t *)y->data)[i];
	default: return ((const int64_t *)y->data)[i];
	}
}

/* Dies on label v, element i of y: negative, or not below nclass (0: no
   bound but int32's), naming the sample and the pixel of a label map. */
static void label_error(const tensor *y, int64_t i, int64_t v, int64_t nclass, const char *path)
	__attribute__((noreturn));
static void label_error(const tensor *y, int64_t i, int64_t v, int64_t nclass, const char *path)
{
	int64_t per = tensor_numel(y) / y->shape[0];
	char pixel[64] = "";
	if (y->ndim == 3)
		snprintf(pixel, sizeof pixel, ", pixel (%lld,%lld)", (long long)(i % per / y->shape[2]),
			 (long long)(i % y->shape[2]));
	if (v < 0)
		fatal("%s: negative label %lld at sample %lld%s", path, (long long)v, (long long)(i / per), pixel);
	fatal("%s: label %lld out of range 0..%lld at sample %lld%s", path, (long long)v,
	      (long long)(nclass ? nclass - 1 : INT32_MAX), (long long)(i / per), pixel);
}

/* Converts uint8, int32 or int64 labels to int32, checking their range as we go:
   negative ids are always wrong, ids >= nclass only when nclass says how many
   classes there are (names, or a prediction's scores). */
static tensor *labels_to_int32(const tensor *y, int64_t nclass, const char *path)
{
	tensor *out = tensor_new(DT_I32, y->ndim, y->shape, 0);
	int32_t *o = out->data;
	for (int64_t i = 0, n = tensor_numel(y); i < n; i++) {
		int64_t v = label_at(y, i);
		if (v < 0 || (nclass && v >= nclass) || v > INT32_MAX)
			label_error(y, i, v, nclass, path);
		o[i] = (int32_t)v;
	}
	return out;
}

void dataset_labels_check(const tensor *y, int64_t nclass, const char *path)
{
	const int32_t *v = y->data;
	for (int64_t i = 0, n = tensor_numel(y); i < n; i++)
		if (v[i] < 0 || v[i] >= nclass)
			label_error(y, i, v[i], nclass, path);
}

void dataset_labels_fit(const tensor *y, const tensor *p, const char *path)
{
	int ok = y->ndim == p->ndim - 1 && y->shape[0] == p->shape[0];
	for (int d = 1; ok && d < y->ndim; d++)
		ok = y->shape[d] == p->shape[d + 1];
	char sy[128], sp[128];
	if (!ok)
		fatal("%s: labels %s do not fit predictions %s", path, shape_str(y, sy, sizeof sy),
		      shape_str(p, sp, sizeof sp));
	dataset_labels_check(y, p->shape[1], path);
}

/* Pixels must be finite (a NaN pixel would not stop training: relu turns
   it into 0 on the way forward, and only the weights turn to NaN; a
   picture or a summary of it means nothing). Scores may be infinite (raw
   logits of -inf order like any others) but not NaN, which has no order. */
static void values_check(const tensor *x, int pred, const char *name)
{
	if (x->dtype != DT_F32)
		return;
	const float *v = x->data;
	int64_t m = tensor_numel(x), per = m / (x->shape[0] ? x->shape[0] : 1);
	int64_t s = x->ndim == 4 ? x->shape[2] * x->shape[3] : 1;
	for (int64_t i = 0; i < m; i++) {
		if (pred && isnan(v[i]))
			fatal("%s: score is NaN at sample %lld, class %lld", name, (long long)(i / per),
			      (long long)(i / s % x->shape[1]));
		if (!pred && !isfinite(v[i]))
			fatal("%s: x holds %g at sample %lld (pixels must be finite)", name, v[i],
			      (long long)(i / per));
	}
}

dataset *dataset_read_stream(FILE *f, const char *path, const char *kind)
{
	const char *name = display_name(path);
	int pred = !strcmp(kind, "prediction");
	const char *xn = pred ? "p" : "x";
	char s[128];
	tensor *x = npy_read(f, path);
	if (!x)
		fatal("%s: empty stream, expected a %s stream", name, kind);
	if (pred ? (x->dtype != DT_F32 || (x->ndim != 2 && x->ndim != 4))
		 : ((x->dtype != DT_U8 && x->dtype != DT_F32) || x->ndim != 4))
		fatal("%s: %s must be %s, not %s %s (is this a %s stream?)", name, xn,
		      pred ? "[N,K] or [N,K,H,W] float32" : "[N,C,H,W] uint8 or float32",
		      dtype_name(x->dtype), shape_str(x, s, sizeof s), kind);

	tensor *y = NULL, *names = NULL, *t;
	while ((t = npy_read(f, path))) {
		if (t->dtype == DT_STR) {
			if (names)
				fatal("%s: two class-name arrays", name);
			if (t->ndim != 1 || t->shape[0] < 1)
				fatal("%s: class names must be a non-empty [K] array, not %s", name,
				      shape_str(t, s, sizeof s));
			names = t;
		} else if (!y) {
			y = t;
		} else {
			fatal("%s: unexpected array %s %s after %s and y", name, dtype_name(t->dtype),
			      shape_str(t, s, sizeof s), xn);
		}
	}

	if (pred && x->shape[1] < 1)
		fatal("%s: p has 0 classes: a prediction stream scores at least one", name);
	values_check(x, pred, name);

	dataset *d = xcalloc(1, sizeof *d);
	d->x = x;
	if (names)
		d->names = tensor_to_names(names, &d->nclass);
	tensor_free(names);
	/* names reach terminals and TSV files: no control bytes (a tab or a
	   newline would break a table, an escape sequence a terminal) */
	for (int k = 0; k < d->nclass; k++) {
		const char *c = control_byte(d->names[k]);
		if (c)
			fatal("%s: class name %d holds the control byte 0x%02x", name, k, (unsigned char)*c);
	}
	if (pred && d->names && d->nclass != x->shape[1])
		fatal("%s: %d class names but p has %lld classes", name, d->nclass, (long long)x->shape[1]);
	if (y) {
		if (y->dtype != DT_U8 && y->dtype != DT_I32 && y->dtype != DT_I64)
			fatal("%s: labels y must be uint8, int32 or int64, not %s", name, dtype_name(y->dtype));
		int seg = pred ? x->ndim == 4 : y->ndim == 3;
		if (seg ? y->ndim != 3 : y->ndim != 1)
			fatal("%s: labels y must be %s, not %s", name, seg ? "[N,H,W]" : "[N]",
			      shape_str(y, s, sizeof s));
		if (y->shape[0] != x->shape[0])
			fatal("%s: y has %lld samples but %s has %lld", name, (long long)y->shape[0], xn,
			      (long long)x->shape[0]);
		if (seg && (y->shape[1] != x->shape[2] || y->shape[2] != x->shape[3]))
			fatal("%s: label maps are %lldx%lld but %s is %lldx%lld", name,
			      (long long)y->shape[2], (long long)y->shape[1], xn, (long long)x->shape[3],
			      (long long)x->shape[2]);
		/* a prediction's labels index its scores */
		d->y = labels_to_int32(y, pred ? x->shape[1] : d->nclass, name);
		tensor_free(y);
	}
	return d;
}

dataset *dataset_read(const char *path, const char *kind)
{
	FILE *f = xfopen_read(path);
	dataset *d = dataset_read_stream(f, path, kind);
	if (f != stdin)
		fclose(f);
	return d;
}

void dataset_write(FILE *f, const char *path, const tensor *x, const tensor *y,
		   char **names, int nclass)
{
	npy_write(f, path, x);
	dataset_write_tail(f, path, y, names, nclass);
}

void dataset_write_tail(FILE *f, const char *path, const tensor *y, char **names, int nclass)
{
	if (y) {
		if (y->dtype != DT_U8 && y->dtype != DT_I32 && y->dtype != DT_I64)
			fatal("%s: labels must be integers, not %s", display_name(path), dtype_name(y->dtype));
		int64_t n = tensor_numel(y), lo = 0, hi = 0;
		for (int64_t i = 0; i < n; i++) {
			int64_t v = label_at(y, i);
			if (i == 0 || v < lo)
				lo = v;
			if (i == 0 || v > hi)
				hi = v;
		}
		if (lo < INT32_MIN || hi > INT32_MAX)
			fatal("%s: label %lld does not fit in int32", display_name(path),
			      (long long)(hi > INT32_MAX ? hi : lo));
		dtype want = (lo >= 0 && hi <= 255) ? DT_U8 : DT_I32;
		if (y->dtype == want) {
			npy_write(f, path, y);
		} else {
			tensor *c = tensor_new(want, y->ndim, y->shape, 0);
			for (int64_t i = 0; i < n; i++) {
				int64_t v = label_at(y, i);
				if (want == DT_U8)
					((uint8_t *)c->data)[i] = (uint8_t)v;
				else
					((int32_t *)c->data)[i] = (int32_t)v;
			}
			npy_write(f, path, c);
			tensor_free(c);
		}
	}
	if (names && nclass > 0) {
		tensor *t = names_to_tensor(names, nclass);
		npy_write(f, path, t);
		tensor_free(t);
	}
}

void dataset_free(dataset *d)
{
	if (!d)
		return;
	tensor_free(d->x);
	tensor_free(d->y);
	names_free(d->names, d->nclass);
	free(d);
}

void class_names_agree(const char *a, char **a_names, int a_n, const char *b, char **b_names, int b_n,
		       int warn)
{
	if (!a_names || !b_names)
		return;
	char msg[512];
	int k = 0;
	while (k < a_n && k < b_n && !strcmp(a_names[k], b_names[k]))
		k++;
	if (a_n != b_n)
		snprintf(msg, sizeof msg, "%s: %d class names, but %s has %d", a, a_n, b, b_n);
	else if (k < a_n)
		snprintf(msg, sizeof msg, "%s: class %d is '%s' but %s calls it '%s'", a, k, a_names[k], b,
			 b_names[k]);
	else
		return;
	if (!warn)
		fatal("%s", msg);
	note("warning: %s: drawing the names of %s", msg, a);
}

long dataset_len(const dataset *d)
{
	return (long)d->x->shape[0];
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

uint64_t dataset_fingerprint(const dataset *d)
{
	uint64_t h = 1469598103934665603ULL;
	const tensor *t[2] = {d->x, d->y};
	for (int k = 0; k < 2; k++) {
		if (!t[k])
			continue;
		h = fnv1a(h, &t[k]->dtype, sizeof t[k]->dtype);
		h = fnv1a(h, t[k]->shape, sizeof t[k]->shape[0] * t[k]->ndim);
		h = fnv1a(h, t[k]->data, tensor_bytes(t[k]));
	}
	return h;
}

dataset *dataset_read_labelled(const char *path, const char *what)
{
	dataset *d = dataset_read(path, "dataset");
	if (!d->y)
		fatal("%s: no labels in stream: %s needs the class ids y (ds-load images writes none)",
		      display_name(path), what);
	/* no validation samples: no score, and a "best" of nothing */
	if (dataset_len(d) == 0)
		fatal("%s: no samples: %s needs at least one", display_name(path), what);
	return d;
}
