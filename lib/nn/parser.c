/* parser.c: what reading a .net line needs, for the parser (net_parse.c)
   and the layer kinds' parse and shape functions alike: messages naming
   file and line, numbers checked against a range, the labels seen so far,
   and the state entries a layer kind declares. */
#include "nn/parser.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void perr(const parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fatal("%s:%d: %s", ps->path, ps->line, msg);
}

long need_int(const parser *ps, const char *what, const char *s, long lo, long hi)
{
	long v;
	if (!parse_int(s, &v))
		perr(ps, "%s: '%s' is not an integer", what, s);
	if (v < lo || v > hi)
		perr(ps, "%s: %ld out of range %ld..%ld", what, v, lo, hi);
	return v;
}

double need_float(const parser *ps, const char *what, const char *s, double lo, double hi)
{
	double v;
	if (!parse_float(s, &v))
		perr(ps, "%s: '%s' is not a number", what, s);
	if (v < lo || v > hi)
		perr(ps, "%s: %g out of range %g..%g", what, v, lo, hi);
	return v;
}

static const char *label_of(const net *n, int i)
{
	return i >= 0 ? n->l[i].label : n->input_label;
}

static size_t label_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

int parser_find_label(const parser *ps, const net *n, const char *name)
{
	const labels *t = ps->labels;
	if (!t->cap)
		return LABEL_NONE;
	for (size_t i = label_hash(name) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i])
			return LABEL_NONE;
		if (!strcmp(label_of(n, t->slot[i] - 2), name))
			return t->slot[i] - 2;
	}
}

static void add_label(const net *n, labels *t, int layer)
{
	if (2 * (t->n + 1) > t->cap) {
		labels bigger = {xcalloc(t->cap ? 2 * t->cap : 64, sizeof *t->slot), t->cap ? 2 * t->cap : 64, 0};
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i])
				add_label(n, &bigger, t->slot[i] - 2);
		free(t->slot);
		*t = bigger;
	}
	size_t i = label_hash(label_of(n, layer)) & (t->cap - 1);
	while (t->slot[i])
		i = (i + 1) & (t->cap - 1);
	t->slot[i] = layer + 2;
	t->n++;
}

void parser_add_label(const parser *ps, const net *n, int layer)
{
	add_label(n, ps->labels, layer);
}

void net_add_state(net *n, int i, const char *suffix, int ndim, const int64_t *shape, int trainable,
		   int init, double fan_in)
{
	if ((n->nstate & (n->nstate - 1)) == 0)   /* 0, 1, 2, 4, ...: full at a power of two */
		n->state = xrealloc(n->state, (n->nstate ? 2 * n->nstate : 1) * sizeof *n->state);
	state_entry *e = &n->state[n->nstate++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%d.%s", i, suffix);
	e->ndim = ndim;
	e->count = 1;
	for (int d = 0; d < ndim; d++) {
		e->shape[d] = shape[d];
		e->count *= (size_t)shape[d];
	}
	e->trainable = trainable;
	e->layer = i;
	e->init = init;
	e->fan_in = fan_in;
	size_t *total = trainable ? &n->nparams : &n->nbuffers;
	e->offset = *total;
	*total += e->count;
}
