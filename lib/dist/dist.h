/* dist.h: data-parallel training across processes started by mpirun. A
   build without MPI, or a process started without mpirun, is rank 0 of 1
   and every call here is a no-op. */
#ifndef NN_DIST_H
#define NN_DIST_H

#include "backend/backend.h"
#include "nn/batch.h"
#include "nn/net.h"
#include "nn/train.h"

#include <signal.h>

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

/* With several ranks, a note of the pace of steps steps that took seconds:
   a step's time, of which moving and adding the sums, and waiting for the
   other ranks to arrive. */
void dist_pace_note(long steps, double seconds);

/* [lo, hi) of count items: this rank's contiguous share. */
void dist_share(long count, long *lo, long *hi);

/* Data-parallel training: each rank's trainer takes its share of every
   batch. */
typedef struct dist_trainer {
	double weight_before;   /* this rank's STAT_WEIGHT before the step; 0 when the trainer's sums are reset */
	volatile sig_atomic_t *interrupted;   /* this rank's stop request */
	int stop;               /* every rank stops after this step */
} dist_trainer;
/* Sets t's hooks: after the loss, the gradient scaled by this rank's share
   of the global batch's weight (the loss is the mean over the global
   batch) and the ranks' stop requests agreed (one stops, all stop after
   the step: d->stop); after the backward pass, the gradients summed. */
void dist_trainer_attach(trainer *t, dist_trainer *d, volatile sig_atomic_t *interrupted);
/* Before a checkpoint or a validation: batch-norm's running statistics
   become rank 0's (each rank's own follow its share of the batches, as with
   PyTorch's DistributedDataParallel, which broadcasts them), and the
   weights must be equal on every rank (dies naming the step). */
void dist_replicas_check(net *n, long step);
/* Validation split across ranks, its sums added: the loss and accuracy of
   the whole set; the mean AP (*map, when not NULL), which pools every pixel
   of the set, each rank's own over the whole set. With one rank, evaluate. */
void dist_evaluate(net *n, devdata *val, const float *class_w, long step, double *loss, double *acc, double *map);

#endif
