/* optim.h: optimisers (SGD, Adam, AdamW as PyTorch defines them) over a
   net's flat parameter arena, and learning-rate schedules. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include "nn/net.h"

typedef enum { OPTIM_SGD, OPTIM_ADAM, OPTIM_ADAMW } optim_kind;

typedef struct optim {
	optim_kind kind;
	float lr, momentum, wd, beta1, beta2, eps;
	int nesterov;
	long t;              /* steps taken */
	float *m, *v;        /* Adam moments, or m = SGD momentum buffer (backend memory) */
	size_t n;
	const backend *be;
} optim;

/* name: "sgd", "adam" or "adamw"; returns -1 for anything else. */
int optim_kind_parse(const char *name);
const char *optim_kind_name(optim_kind k);
optim *optim_new(optim_kind kind, const net *n);
/* One update of every parameter with learning rate lr. */
void optim_step(optim *o, net *n, float lr);
void optim_free(optim *o);

typedef enum { SCHED_CONST, SCHED_STEP, SCHED_COSINE } sched_kind;
typedef struct sched {
	sched_kind kind;
	int step_epochs;     /* SCHED_STEP: multiply by gamma every step_epochs epochs */
	float gamma;
	long warmup;         /* linear warm-up over this many steps */
	float min_lr;        /* SCHED_COSINE: the floor */
} sched;

/* "const", "step:EPOCHS[:GAMMA]" or "cosine[:MIN_LR]"; 0 on a bad spec. */
int sched_parse(const char *spec, sched *s);
/* Learning rate at 0-based step, in epoch (0-based), of total steps. As
   PyTorch's StepLR stepped per epoch and CosineAnnealingLR stepped per step. */
float sched_lr(const sched *s, float base, long step, int epoch, long total);

#endif
