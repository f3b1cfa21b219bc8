/* net.h: a network built from a .net description: layers, shapes, parameter
   arenas, forward and backward on a backend. */
#ifndef NN_NET_H
#define NN_NET_H

#include <stdint.h>
#include <stdio.h>
#include "backend/backend.h"

struct layer_def;

typedef struct layer {
	const struct layer_def *def;   /* its kind: lib/nn/layers.h */
	int line;             /* line in the description, for messages */
	char label[32];       /* label=NAME, "" when none */
	int src;              /* layer whose output is this one's input; -1: the network input */
	int other;            /* concat/add: the labelled layer; -1: the network input */
	int c, h, w;          /* input shape of one sample */
	int oc, oh, ow;       /* output shape of one sample */
	/* arguments and options; each kind reads its own */
	int k, stride, pad, outpad, has_bias, scale, global;
	float p, eps, momentum, slope;
	/* parameters and their gradients (backend memory, inside the arenas) */
	float *weight, *bias, *dweight, *dbias;
	float *run_mean, *run_var;
	int64_t batches_tracked;
	/* activations of the current batch and their gradients */
	float *y, *dy;
	int dy_first;         /* the backward step (a layer, or nl: the loss) that
				 first adds into dy, which is zeroed just before */
	void *aux;            /* kept from forward to backward: max-pool argmax,
				 batch-norm saved stats, dropout mask */
} layer;

/* One named entry of the state (what a model file holds): a parameter or a
   batch-norm buffer, named as PyTorch's state_dict ("3.weight"). */
typedef struct state_entry {
	char name[48];
	int ndim;
	int64_t shape[4];
	size_t offset;        /* in floats, into params (trainable) or buffers */
	size_t count;
	int trainable;
	int layer;
	int init;             /* INIT_* of lib/nn/layers.h */
	double fan_in;
} state_entry;

typedef struct net {
	const backend *be;
	char *text;           /* the description it was built from */
	int in_c, in_h, in_w;
	char input_label[32]; /* label=NAME on the input line, "" when none */
	int nl;
	layer *l;
	int nclass;           /* output channels */
	int dense;            /* output keeps H,W: per-pixel classes */
	int out_h, out_w;

	int nstate;
	state_entry *state;
	size_t nparams, nbuffers;
	float *params, *grads, *buffers;   /* one allocation each, backend memory */

	int batch;            /* activations allocated for this many samples */
	float *acts, *dacts;
	void *work;
	const float *x;       /* input of the current forward */
	int n;                /* samples in the current forward */
	/* Set when the batch is split across processes and batch-norm takes
	   the whole batch's statistics: sums per channel made the sums over
	   every process (the backend's batchnorm_*_sync). NULL: local. */
	void (*bn_reduce)(double *sums, size_t k);
} net;

/* Floats of one sample's output of layer L */
static inline size_t layer_out_size(const layer *L) { return (size_t)L->oc * L->oh * L->ow; }
/* The output of a concat's or add's labelled layer, and its gradient (NULL
   for the network input, which has none). */
static inline const float *net_other_y(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].y : n->x;
}
static inline float *net_other_dy(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].dy : NULL;
}
/* The layer name an add or concat refers to ("" for an unlabelled input). */
static inline const char *net_other_label(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].label : n->input_label;
}

/* lib/nn/net_parse.c. Parses a description; path is used in messages
   ("file:line: reason"). Dies on an unknown word, a bad number or a shape
   that does not fit. */
net *net_parse(const char *text, const char *path);
/* The table of layers and shapes, as printed to stderr when loading. */
void net_print(const net *n, FILE *f);

/* lib/nn/net_state.c. Allocates the parameter arenas on be and fills them with
   PyTorch's default initialisation drawn from seed. */
void net_init(net *n, const backend *be, uint64_t seed);
const state_entry *net_find_state(const net *n, const char *name);
/* Host copy of a state entry's values into dst (count floats) and back. */
void net_state_get(const net *n, const state_entry *e, float *dst);
void net_state_set(net *n, const state_entry *e, const float *src);

/* lib/nn/net_plan.c. Allocates activations and scratch for batches of up to
   batch samples. */
void net_set_batch(net *n, int batch);
/* Frees what net_set_batch allocated (nothing before its first call). */
void net_free_batch(net *n);

/* lib/nn/net.c. x: [n, C, H, W] in backend memory. seed varies dropout per step. */
void net_forward(net *n, const float *x, int count, int train, uint64_t seed);
/* dlogits: gradient of the loss w.r.t. the output of the last forward.
   Accumulates into n->grads (zero them with net_zero_grad). */
void net_backward(net *n, const float *dlogits);
void net_zero_grad(net *n);
float *net_output(const net *n);
/* Floats per sample in the output (K or K*H*W). */
size_t net_output_size(const net *n);
/* Output positions per sample: each pixel's for a per-pixel (dense) net,
   one otherwise. */
static inline int net_spatial(const net *n) { return n->dense ? n->out_h * n->out_w : 1; }
void net_free(net *n);

#endif
