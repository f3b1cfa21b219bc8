/* tensor.h: a host tensor (shape, dtype, data) as read from and written to files. */
#ifndef NN_TENSOR_H
#define NN_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define TENSOR_MAXDIM 8

typedef enum {
	DT_U8,    /* |u1 */
	DT_I32,   /* <i4 */
	DT_I64,   /* <i8 */
	DT_F32,   /* <f4 */
	DT_STR,   /* |S<itemsize>: fixed-width, NUL-padded byte strings (class names) */
} dtype;

typedef struct tensor {
	dtype dtype;
	int ndim;
	int64_t shape[TENSOR_MAXDIM];
	size_t itemsize;   /* bytes per element (for DT_STR the string width) */
	void *data;        /* host memory, owned */
} tensor;

size_t dtype_size(dtype t);
const char *dtype_name(dtype t);   /* "uint8", "int32", "int64", "float32", "bytes" */

/* Allocates zeroed data. itemsize is used only for DT_STR. */
tensor *tensor_new(dtype t, int ndim, const int64_t *shape, size_t itemsize);
/* The shape alone, data NULL: for readers that fill data as bytes arrive. */
tensor *tensor_header(dtype t, int ndim, const int64_t *shape, size_t itemsize);
tensor *tensor_new4(dtype t, int64_t a, int64_t b, int64_t c, int64_t d, int ndim);
void tensor_free(tensor *t);
int64_t tensor_numel(const tensor *t);
size_t tensor_bytes(const tensor *t);
/* "[60000,1,28,28]" into buf */
const char *shape_str(const tensor *t, char *buf, size_t n);

/* Class names as a [K] DT_STR tensor and back. */
tensor *names_to_tensor(char **names, int k);
char **tensor_to_names(const tensor *t, int *k);   /* caller frees each and the array */
void names_free(char **names, int k);

#endif
