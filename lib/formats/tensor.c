/* tensor.c: host tensors and class-name arrays. */
#include "formats/tensor.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t dtype_size(dtype t)
{
	switch (t) {
	case DT_U8: return 1;
	case DT_I32: return 4;
	case DT_I64: return 8;
	case DT_F32: return 4;
	case DT_STR: return 1;
	}
	return 0;
}

const char *dtype_name(dtype t)
{
	switch (t) {
	case DT_U8: return "uint8";
	case DT_I32: return "int32";
	case DT_I64: return "int64";
	case DT_F32: return "float32";
	case DT_STR: return "bytes";
	}
	return "?";
}

tensor *tensor_header(dtype t, int ndim, const int64_t *shape, size_t itemsize)
{
	if (ndim < 0 || ndim > TENSOR_MAXDIM)
		fatal("tensor with %d dimensions (at most %d supported)", ndim, TENSOR_MAXDIM);
	tensor *x = xcalloc(1, sizeof *x);
	x->dtype = t;
	x->ndim = ndim;
	x->itemsize = t == DT_STR ? itemsize : dtype_size(t);
	for (int i = 0; i < ndim; i++)
		x->shape[i] = shape[i];
	return x;
}

tensor *tensor_new(dtype t, int ndim, const int64_t *shape, size_t itemsize)
{
	tensor *x = tensor_header(t, ndim, shape, itemsize);
	x->data = xcalloc(tensor_bytes(x), 1);
	return x;
}

tensor *tensor_new4(dtype t, int64_t a, int64_t b, int64_t c, int64_t d, int ndim)
{
	int64_t s[4] = {a, b, c, d};
	return tensor_new(t, ndim, s, 0);
}

void tensor_free(tensor *t)
{
	if (!t)
		return;
	free(t->data);
	free(t);
}

int64_t tensor_numel(const tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->ndim; i++)
		n *= t->shape[i];
	return n;
}

size_t tensor_bytes(const tensor *t)
{
	return (size_t)tensor_numel(t) * t->itemsize;
}

const char *shape_str(const tensor *t, char *buf, size_t n)
{
	size_t k = 0;
	k += snprintf(buf + k, n - k, "[");
	for (int i = 0; i < t->ndim && k < n; i++)
		k += snprintf(buf + k, n - k, "%s%lld", i ? "," : "", (long long)t->shape[i]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

tensor *names_to_tensor(char **names, int k)
{
	size_t w = 1;
	for (int i = 0; i < k; i++)
		if (strlen(names[i]) > w)
			w = strlen(names[i]);
	int64_t shape[1] = {k};
	tensor *t = tensor_new(DT_STR, 1, shape, w);
	for (int i = 0; i < k; i++)
		memcpy((char *)t->data + i * w, names[i], strlen(names[i]));
	return t;
}

char **tensor_to_names(const tensor *t, int *k)
{
	*k = t->ndim == 1 ? (int)t->shape[0] : 0;
	char **names = xcalloc(*k ? *k : 1, sizeof *names);
	for (int i = 0; i < *k; i++) {
		names[i] = xcalloc(t->itemsize + 1, 1);
		memcpy(names[i], (char *)t->data + i * t->itemsize, t->itemsize);
	}
	return names;
}

void names_free(char **names, int k)
{
	if (!names)
		return;
	for (int i = 0; i < k; i++)
		free(names[i]);
	free(names);
}
