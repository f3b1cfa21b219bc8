/* idx.h: reading IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or not. */
#ifndef NN_IDX_H
#define NN_IDX_H

#include "formats/tensor.h"

/* Reads an unsigned-byte IDX file of ndim dimensions (magic 0x801 for labels
   [N], 0x803 for images [N,H,W]) into a uint8 tensor. Dies with
   "prog: path: reason" on a bad magic, a wrong number of dimensions, a file
   shorter than its header says ("truncated") or longer ("trailing data"). */
tensor *idx_read(const char *path, int ndim);

#endif
