/* optim.c: optimiser state and updates; learning-rate schedules. */
#include "nn/optim.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int optim_kind_parse(const char *name)
{
	if (!strcmp(name, "sgd"))
		return OPTIM_SGD;
	if (!strcmp(name, "adam"))
		return OPTIM_ADAM;
	if (!strcmp(name, "adamw"))
		return OPTIM_ADAMW;
	return -1;
}

const char *optim_kind_name(optim_kind k)
{
	return k == OPTIM_SGD ? "sgd" : k == OPTIM_ADAM ? "adam" : "adamw";
}

optim *optim_new(optim_kind kind, const net *n)
{
	optim *o = xcalloc(1, sizeof *o);
	o->kind = kind;
	o->lr = 1e-3f;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->wd = kind == OPTIM_ADAMW ? 1e-2f : 0.0f;
	o->be = n->be;
	o->n = n->nparams;
	size_t bytes = (o->n ? o->n : 1) * sizeof(float);
	o->m = o->be->alloc(bytes, "optimiser state");
	o->be->zero(o->m, bytes);
	if (kind != OPTIM_SGD) {
		o->v = o->be->alloc(bytes, "optimiser state");
		o->be->zero(o->v, bytes);
	}
	return o;
}

void optim_step(optim *o, net *n, float lr)
{
	o->t++;
	if (o->kind == OPTIM_SGD)
		o->be->sgd_step(o->n, n->params, n->grads, o->m, lr, o->momentum, o->wd, o->nesterov);
	else
		o->be->adam_step(o->n, n->params, n->grads, o->m, o->v, lr, o->beta1, o->beta2, o->eps, o->wd,
				 o->kind == OPTIM_ADAMW, o->t);
}

void optim_free(optim *o)
{
	if (!o)
		return;
	o->be->free(o->m);
	if (o->v)
		o->be->free(o->v);
	free(o);
}

int sched_parse(const char *spec, sched *s)
{
	memset(s, 0, sizeof *s);
	s->gamma = 0.1f;
	char *copy = xstrdup(spec);
	char *a = strchr(copy, ':'), *b = NULL;
	if (a) {
		*a++ = 0;
		b = strchr(a, ':');
		if (b)
			*b++ = 0;
	}
	int ok = 1;
	long iv;
	double fv;
	if (!strcmp(copy, "const")) {
		s->kind = SCHED_CONST;
		ok = !a;
	} else if (!strcmp(copy, "step")) {
		s->kind = SCHED_STEP;
		ok = a && parse_int(a, &iv) && iv > 0;
		if (ok)
			s->step_epochs = iv;
		if (ok && b) {
			ok = parse_float(b, &fv) && fv > 0;
			s->gamma = fv;
		}
	} else if (!strcmp(copy, "cosine")) {
		s->kind = SCHED_COSINE;
		if (a) {
			ok = parse_float(a, &fv) && fv >= 0 && !b;
			s->min_lr = fv;
		}
	} else {
		ok = 0;
	}
	free(copy);
	return ok;
}

float sched_lr(const sched *s, float base, long step, int epoch, long total)
{
	double lr = base;
	switch (s->kind) {
	case SCHED_CONST:
		break;
	case SCHED_STEP:
		lr = base * pow(s->gamma, epoch / s->step_epochs);
		break;
	case SCHED_COSINE:
		lr = s->min_lr + (base - s->min_lr) * (1 + cos(M_PI * (double)step / (total > 0 ? total : 1))) / 2;
		break;
	}
	if (s->warmup > 0 && step < s->warmup)
		lr *= (double)(step + 1) / s->warmup;
	return (float)lr;
}
