/* parser.h: what reading a .net line needs, shared by the parser
   (lib/nn/net_parse.c) and the layer kinds (lib/nn/layers.c): messages that name
   the file and line, numbers checked against a range, and the labels seen
   so far, and the state entries a layer kind declares. */
#ifndef NN_PARSER_H
#define NN_PARSER_H

#include "nn/net.h"

#include <stddef.h>

/* The labels seen so far while parsing, to layer indices (-1: the network
   input): open addressing on a hash of the name, so that a description with
   many labelled layers parses in linear time. A slot holds index + 2, 0 when
   empty; the names stay in the layers (which move as n->l grows). Starts
   zeroed; the parser frees slot. */
typedef struct labels {
	int *slot;
	size_t cap, n;
} labels;

/* Where the parser stands, for messages: "file:line: reason". */
typedef struct parser {
	const char *path;
	int line;
	labels *labels;          /* the labels defined so far */
} parser;

void perr(const parser *ps, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
long need_int(const parser *ps, const char *what, const char *s, long lo, long hi);
double need_float(const parser *ps, const char *what, const char *s, double lo, double hi);

/* The layer labelled name among those parsed so far: -1 is the network
   input, LABEL_NONE no such label. */
#define LABEL_NONE (-2)
int parser_find_label(const parser *ps, const net *n, const char *name);
/* Enters layer's label (the input's for -1), already checked, in the table. */
void parser_add_label(const parser *ps, const net *n, int layer);

/* For the layer table's entries: a state entry of layer i (trainable or a
   buffer), with its initialisation (INIT_*, layers.h); fan_in for INIT_FAN_IN. */
void net_add_state(net *n, int i, const char *suffix, int ndim, const int64_t *shape, int trainable,
		   int init, double fan_in);

#endif
