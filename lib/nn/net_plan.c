/* net_plan.c: the memory plan for a batch size: one arena for the layers'
   outputs, one for their gradients shared where their lives do not meet,
   views and in-place layers without memory of their own, and each kind's
   aux and scratch. */
#include "nn/net.h"
#include "nn/layers.h"
#include "base/util.h"

#include <stdint.h>
#include <stdlib.h>

/* The layer whose memory layer i's output is: i itself, or through views
   the layer they alias; -1 for the network input */
static int layer_owner(const net *n, int i)
{
	while (i >= 0 && n->l[i].def->view)
		i = n->l[i].src;
	return i;
}

/* Whether layer i (a kind that may work in place) overwrites its input:
   when the input is a layer's own output that no other layer reads. The
   input's layer must not read its own output in its backward (no kind
   does but relu, whose output a relu in place leaves as it was). */
static int layer_in_place(const net *n, int i)
{
	const layer *L = &n->l[i];
	if (!L->def->in_place || L->src < 0 || n->l[L->src].def->view)
		return 0;
	int readers = 0;
	for (int j = 0; j < n->nl; j++) {
		readers += layer_owner(n, n->l[j].src) == L->src;
		readers += n->l[j].other >= 0 && layer_owner(n, n->l[j].other) == L->src;
	}
	return readers == 1;
}

/* The activation gradients share memory where their lives do not meet. The
   gradient of layer j's output (its own, not a view's or an in-place
   layer's) lives during the backward steps dy_first down to j: from the
   first layer that adds into it, when it is zeroed, to j's own step. Two
   that live at a common step get disjoint places in the arena; the rest
   are placed first-fit, the largest first. A chain of layers then needs
   about two of the largest gradients instead of all of them. Sets
   dy_first, and doff[j] for each owner j; returns the arena's floats. */
static size_t plan_gradients(net *n, int batch, const int *root, size_t *doff)
{
	int nl = n->nl;
	size_t *size = xcalloc(nl, sizeof *size), total = 0;
	int *placed = xmalloc(nl * sizeof *placed), np = 0;
	char *done = xcalloc(nl, 1);
	for (int j = 0; j < nl; j++)
		n->l[j].dy_first = -1;
	if (root[nl - 1] >= 0)
		n->l[root[nl - 1]].dy_first = nl;
	for (int i = 0; i < nl; i++) {
		int r = n->l[i].src >= 0 ? root[n->l[i].src] : -1;
		if (r >= 0 && n->l[r].dy_first < i)
			n->l[r].dy_first = i;
		r = n->l[i].other >= 0 ? root[n->l[i].other] : -1;
		if (r >= 0 && n->l[r].dy_first < i)
			n->l[r].dy_first = i;
	}
	for (int j = 0; j < nl; j++)
		if (root[j] == j) {
			if (n->l[j].dy_first < j)
				n->l[j].dy_first = j;
			size[j] = (layer_out_size(&n->l[j]) * batch + 15) / 16 * 16;
		}
	for (;;) {
		int j = -1;
		for (int c = 0; c < nl; c++)
			if (root[c] == c && !done[c] && (j < 0 || size[c] > size[j]))
				j = c;
		if (j < 0)
			break;
		/* the lowest place, at 0 or at the end of a placed gradient living
		   at a common step, where it meets none of those */
		size_t best = SIZE_MAX;
		for (int a = -1; a < np; a++) {
			size_t at = a < 0 ? 0 : doff[placed[a]] + size[placed[a]];
			int fits = at < best;
			for (int b = 0; b < np && fits; b++) {
				int p = placed[b];
				int meet = j <= n->l[p].dy_first && p <= n->l[j].dy_first;
				if (meet && at < doff[p] + size[p] && doff[p] < at + size[j])
					fits = 0;
			}
			if (fits)
				best = at;
		}
		doff[j] = best;
		if (best + size[j] > total)
			total = best + size[j];
		placed[np++] = j;
		done[j] = 1;
	}
	free(size);
	free(done);
	free(placed);
	return total;
}

void net_free_batch(net *n)
{
	if (!n->batch)
		return;
	const backend *be = n->be;
	be->free(n->acts);
	be->free(n->dacts);
	be->free(n->work);
	for (int i = 0; i < n->nl; i++)
		if (n->l[i].aux)
			be->free(n->l[i].aux);
}

void net_set_batch(net *n, int batch)
{
	const backend *be = n->be;
	if (n->batch >= batch)
		return;
	net_free_batch(n);
	n->batch = batch;
	/* one arena for every layer's output, one for their gradients; views
	   (flatten) and layers in place (a relu after a convolution) have none */
	size_t total = 0, work = 0;
	int *root = xmalloc(n->nl * sizeof *root);
	size_t *doff = xcalloc(n->nl, sizeof *doff);
	for (int i = 0; i < n->nl; i++) {
		int alias = n->l[i].def->view || layer_in_place(n, i);
		root[i] = !alias ? i : n->l[i].src >= 0 ? root[n->l[i].src] : -1;
		if (!alias)
			total += layer_out_size(&n->l[i]) * batch;
	}
	n->acts = be->alloc(total * sizeof(float), "activations");
	n->dacts = be->alloc(plan_gradients(n, batch, root, doff) * sizeof(float), "activation gradients");
	size_t off = 0;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		const layer_def *def = L->def;
		L->aux = NULL;
		if (root[i] != i) {
			L->y = L->src >= 0 ? n->l[L->src].y : NULL;
			L->dy = L->src >= 0 ? n->l[L->src].dy : NULL;
			if (def->view)
				continue;
		} else {
			L->y = n->acts + off;
			L->dy = n->dacts + doff[i];
			off += layer_out_size(L) * batch;
		}
		size_t aux = def->aux_bytes ? def->aux_bytes(L, batch) : 0;
		if (aux)
			L->aux = be->alloc(aux, def->word);
		size_t ws = def->work_bytes ? def->work_bytes(be, L, batch) : 0;
		work = ws > work ? ws : work;
	}
	n->work = be->alloc(work ? work : 64, "convolution workspace");
	free(root);
	free(doff);
}
