/* dist.h: data-parallel training across processes started by mpirun. A
   build without MPI, or a process started without mpirun, is rank 0 of 1
   and every call here is a no-op. */
#ifndef NN_DIST_H
#define NN_DIST_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

/* Joins the other ranks when started by mpirun (argc and argv as main
   gets them). From then on a program that ends on an error (fatal(),
   usage_error()) takes every rank down with it, and a normal end leaves
   MPI (at exit). */
void dist_init(int *argc, char ***argv);
int dist_rank(void);
int dist_size(void);
/* "MPI" or "none": what this build can use. */
const char *dist_engine(void);

/* Sums in be's memory from now on: with NCCL between GPUs when the backend
   has it, else through host memory. Dies when the ranks are not all on the
   same kind of device. */
void dist_device(const backend *be);

/* buf[n] (host memory) becomes the sum over ranks, added in rank order
   0, 1, ... whatever the transport, so that runs are bit-identical. */
void dist_sum_float(float *buf, size_t n);
void dist_sum_double(double *buf, size_t n);
/* The same for a buffer in be's memory: the gradients. (With NCCL, the
   order is NCCL's: fixed for a given set of GPUs and NCCL settings.) */
void dist_sum_device(const backend *be, float *buf, size_t n);
/* buf[n] in be's memory takes rank 0's values. */
void dist_bcast_device(const backend *be, float *buf, size_t n);
/* 1 when buf[n] in be's memory holds the same bits on every rank (a hash
   of them compared: one small message). */
int dist_same_device(const backend *be, const float *buf, size_t n);

/* Seconds spent in the sums so far: waiting for the other ranks to
   arrive (*wait), and moving and adding the numbers (the return value). */
double dist_seconds(double *wait);

/* [lo, hi) of count items: this rank's contiguous share. */
void dist_share(long count, long *lo, long *hi);

#endif
