/* net_state.c: a network's named state (parameters and batch-norm buffers,
   as PyTorch's state_dict names them), its arenas on a backend and their
   PyTorch-style initialisation. */
#include "nn/net.h"
#include "nn/layers.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void net_init(net *n, const backend *be, uint64_t seed)
{
	n->be = be;
	n->params = be->alloc((n->nparams ? n->nparams : 1) * sizeof(float), "parameters");
	n->grads = be->alloc((n->nparams ? n->nparams : 1) * sizeof(float), "gradients");
	n->buffers = be->alloc((n->nbuffers ? n->nbuffers : 1) * sizeof(float), "batch-norm statistics");
	be->zero(n->grads, (n->nparams ? n->nparams : 1) * sizeof(float));
	float *hp = xcalloc(n->nparams + 1, sizeof(float));
	float *hb = xcalloc(n->nbuffers + 1, sizeof(float));
	rng r;
	rng_seed(&r, seed, 0x1417);
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		float *dst = e->trainable ? hp + e->offset : hb + e->offset;
		float bound = e->init == INIT_FAN_IN ? (float)(1.0 / sqrt(e->fan_in)) : 0.0f;
		for (size_t j = 0; j < e->count; j++)
			dst[j] = e->init == INIT_FAN_IN ? rng_uniform_range(&r, -bound, bound) : e->init == INIT_ONE;
	}
	be->upload(n->params, hp, n->nparams * sizeof(float));
	be->upload(n->buffers, hb, n->nbuffers * sizeof(float));
	free(hp);
	free(hb);
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		L->weight = L->bias = L->dweight = L->dbias = L->run_mean = L->run_var = NULL;
	}
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		layer *L = &n->l[e->layer];
		const char *suffix = strchr(e->name, '.') + 1;
		if (!strcmp(suffix, "weight")) {
			L->weight = n->params + e->offset;
			L->dweight = n->grads + e->offset;
		} else if (!strcmp(suffix, "bias")) {
			L->bias = n->params + e->offset;
			L->dbias = n->grads + e->offset;
		} else if (!strcmp(suffix, "running_mean")) {
			L->run_mean = n->buffers + e->offset;
		} else if (!strcmp(suffix, "running_var")) {
			L->run_var = n->buffers + e->offset;
		}
	}
}

const state_entry *net_find_state(const net *n, const char *name)
{
	for (int s = 0; s < n->nstate; s++)
		if (!strcmp(n->state[s].name, name))
			return &n->state[s];
	return NULL;
}

void net_state_get(const net *n, const state_entry *e, float *dst)
{
	n->be->download(dst, (e->trainable ? n->params : n->buffers) + e->offset, e->count * sizeof(float));
}

void net_state_set(net *n, const state_entry *e, const float *src)
{
	n->be->upload((e->trainable ? n->params : n->buffers) + e->offset, src, e->count * sizeof(float));
}
