/* net.c: the forward and backward passes of a network over a backend,
   walking its layers through their kinds' functions. */
#include "nn/net.h"
#include "nn/layers.h"
#include "base/util.h"

#include <stdlib.h>

static const float *layer_input(const net *n, const layer *L)
{
	return L->src >= 0 ? n->l[L->src].y : n->x;
}

void net_forward(net *n, const float *x, int count, int train, uint64_t seed)
{
	if (count > n->batch)
		fatal("internal: batch of %d exceeds allocated %d", count, n->batch);
	n->x = x;
	n->n = count;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		L->def->forward(n, L, layer_input(n, L), count, train, seed);
	}
}

void net_zero_grad(net *n)
{
	n->be->zero(n->grads, n->nparams * sizeof(float));
}

void net_backward(net *n, const float *dlogits)
{
	const backend *be = n->be;
	int count = n->n;
	layer *last = &n->l[n->nl - 1];
	for (int i = n->nl; i >= 0; i--) {
		/* the gradients that step i adds into first (plan_gradients) */
		for (int j = 0; j < n->nl; j++)
			if (n->l[j].dy_first == i)
				be->zero(n->l[j].dy, (size_t)count * layer_out_size(&n->l[j]) * sizeof(float));
		if (i == n->nl) {
			be->axpy((size_t)count * layer_out_size(last), 1.0f, dlogits, last->dy);
			continue;
		}
		layer *L = &n->l[i];
		L->def->backward(n, L, layer_input(n, L), L->src >= 0 ? n->l[L->src].dy : NULL, count);
	}
}

float *net_output(const net *n) { return n->l[n->nl - 1].y; }

size_t net_output_size(const net *n) { return layer_out_size(&n->l[n->nl - 1]); }

void net_free(net *n)
{
	if (!n)
		return;
	const backend *be = n->be;
	if (be) {
		be->free(n->params);
		be->free(n->grads);
		be->free(n->buffers);
		net_free_batch(n);
	}
	free(n->l);
	free(n->state);
	free(n->text);
	free(n);
}
