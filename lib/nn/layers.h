/* layers.h: the table of layer kinds. Each kind is one entry: its word in
   .net files, its arguments and options, the shape it makes, the state it
   holds (named and initialised as PyTorch's state_dict), the memory it
   needs, and its forward and backward over a backend. lib/nn/net_parse.c,
   net_state.c, net_plan.c and net.c parse, allocate and run a network by
   walking this table; nothing else tests layer kinds. The kinds call only
   down (parser.h with net_add_state, net.h's inline helpers), never back into
   the files that walk them. lib/LAYERS.md is the recipe for adding one. */
#ifndef NN_LAYERS_H
#define NN_LAYERS_H

#include "nn/net.h"
#include "nn/parser.h"

#include <stddef.h>

/* A key=value option of a layer: an int or a float field of struct layer,
   checked against [lo, hi]. */
typedef struct layer_option {
	const char *key;
	char type;             /* 'i' int, 'f' float */
	size_t offset;         /* offsetof(layer, field) */
	double lo, hi;
} layer_option;

/* What a layer needs of its input, and what its output is. */
enum { IN_ANY, IN_IMAGE, IN_FLAT };          /* [C,H,W], or a vector after flatten/linear */
enum { OUT_IMAGE, OUT_FLAT, OUT_AS_INPUT };

/* How a state entry starts: U(-bound, bound) with bound 1/sqrt(fan_in)
   (PyTorch's kaiming_uniform(a=sqrt(5)) for weights and its bias rule both
   come to that), or a constant. */
enum { INIT_FAN_IN, INIT_ZERO, INIT_ONE };

typedef struct layer_def {
	const char *word;
	const char *syntax;    /* "conv OUT K [stride=S] [pad=P] [bias=0]" */
	const char *help;      /* one line: what it computes, its PyTorch equivalent */
	int min_args, max_args;
	const layer_option *options;  /* NULL-key terminated; label= is every layer's */
	int in, out;
	unsigned view : 1;             /* output aliases the input (flatten): no memory */
	unsigned in_place : 1;         /* may overwrite its input where nothing else reads
					  it (net_in_place): forward then gets in == L->y,
					  backward din == L->dy */
	unsigned tracks_batches : 1;   /* has num_batches_tracked (batch norm) */
	unsigned filters : 1;          /* weight [OUT, C, K, K] pictures as filters */

	/* Positional arguments (args[0..nargs)) into L; defaults are set first. */
	void (*parse)(const parser *ps, net *n, layer *L, char **args, int nargs);
	/* Output shape from the input shape (L->c, h, w); dies on a misfit. */
	void (*shape)(const parser *ps, const net *n, layer *L);
	/* State entries through net_add_state, in PyTorch's order. */
	void (*state)(net *n, int i);
	/* Backend memory per layer beyond its output: aux (kept from forward to
	   backward) and shared scratch; either may be NULL (none). */
	size_t (*aux_bytes)(const layer *L, int batch);
	size_t (*work_bytes)(const backend *be, const layer *L, int batch);
	void (*forward)(net *n, layer *L, const float *in, int count, int train, uint64_t seed);
	/* din is NULL where the input has no gradient (the network input). */
	void (*backward)(net *n, layer *L, const float *in, float *din, int count);
	/* The short form in the layer table net_print writes; NULL: the word. */
	void (*describe)(const net *n, const layer *L, char *buf, size_t cap);
} layer_def;

extern const layer_def *const layer_defs[];   /* NULL terminated */
const layer_def *layer_def_find(const char *word);


#endif
