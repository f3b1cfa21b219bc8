/* npy.h: tensor streams, i.e. NPY arrays (format 1.0 or 2.0) one after another. */
#ifndef NN_NPY_H
#define NN_NPY_H

#include <stdio.h>
#include "formats/tensor.h"

/* Reads one array header. Returns 0 at a clean end of stream (no byte left),
   1 when a header was read into t (t->data is left NULL; the data follows in
   f). Dies with "prog: path: reason" on anything malformed or unsupported. */
int npy_read_header(FILE *f, const char *path, tensor *t);
/* Reads one whole array; NULL at a clean end of stream. */
tensor *npy_read(FILE *f, const char *path);
/* Writes the header of t (its data is not touched) or the whole array. */
void npy_write_header(FILE *f, const char *path, const tensor *t);
void npy_write(FILE *f, const char *path, const tensor *t);

#endif
