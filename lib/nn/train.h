/* train.h: what trains a network, apart from the program that drives it:
   the run's configuration and its JSON, augmentation, the input
   statistics, the order of an epoch, the training step (forward, loss,
   backward, the sum over ranks, the optimiser) and evaluation over a set. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "nn/batch.h"
#include "base/json.h"
#include "base/opt.h"
#include "nn/optim.h"

/* The training configuration, as nn-train's options set it and the
   checkpoint's "config" metadata keeps it. */
typedef struct train_config {
	const char *opt;
	double lr, momentum, wd, beta1, beta2, eps;
	int nesterov;
	long batch, epochs, seed, warmup, log_every, val_every, ckpt_every;
	const char *sched, *augment, *class_weights, *normalize;
	int keep_best;     /* the output model is the best validated one */
	long early_stop;   /* stop after this many validations without improvement; 0: never */
	int sync_bn;       /* batch-norm statistics over all ranks' shares */
	/* what the run trained on: its samples, their fingerprint (16 hex
	   digits) and the number of ranks */
	long train_samples, ranks;
	const char *train_fingerprint;
	char *owned[8];    /* strings read from JSON, freed by train_config_free */
	int nowned;
	unsigned long read; /* one bit a field: those train_config_read found */
} train_config;

/* nn-train's defaults. */
void train_config_defaults(train_config *c);
/* The configuration as JSON (new memory), its keys in a fixed order. */
char *train_config_json(const train_config *c);
/* The fields of j into c, each where its type is right, except those
   whose option opts records as given (opts NULL: every field). */
void train_config_read(train_config *c, const json *j, const opt *opts);
/* Whether train_config_read found key; whether key is a field at all. */
int train_config_has(const train_config *c, const char *key);
int train_config_known(const char *key);
void train_config_free(train_config *c);
/* The optimiser's settings from the configuration. */
void train_config_optim(const train_config *c, optim *o);

/* --class-weights: one finite, non-negative weight per class of nclass,
   at least one positive (new memory); NULL with the reason in why. */
float *class_weights_parse(const char *spec, int nclass, char *why, size_t why_size);

/* --augment: random horizontal flips, random crops of scale crop..1. */
typedef struct augment {
	int flip;
	float crop;   /* smallest scale; 1 = no crop */
} augment;

/* "none", "" or a comma list of "flip" and "crop=S" (0 < S <= 1); 0 on a
   bad spec. */
int augment_parse(const char *s, augment *a);

/* Per-channel mean and standard deviation of the pixels of x [N,C,H,W]
   in [0,1]. */
void data_stats(const tensor *x, float *mean, float *std);

/* What a fresh run takes from its training data into info: the input
   normalisation (normalize "data": data_stats; else none) and the class
   names. */
void train_model_info(model_info *info, const dataset *train, const char *normalize);

/* The sample order of an epoch of dd (shuffled from seed and epoch) and
   each sample's transform, drawn per step of batch samples from (seed,
   step) so that a resumed run draws the same; uploaded to dd. perm and xf
   are the caller's scratch of dd->n entries. */
void epoch_order(devdata *dd, const augment *a, uint64_t seed, int epoch, int batch, int32_t *perm,
		 sample_xform *xf);

/* The training step of a net with its optimiser. */
typedef struct trainer {
	net *n;
	optim *o;
	const float *class_w;  /* on the device, [K]; NULL: every class weighs 1 */
	float *dlogits;        /* on the device: the loss gradient of a batch */
	double *stats;         /* on the device: the loss sums (STAT_*) since trainer_reset */
	/* the multi-rank hooks, NULL with one rank (ctx is the caller's):
	   after_loss, before the backward pass, may scale dlogits to this
	   rank's share of the batch; sum_gradients adds the gradients over the
	   ranks before the optimiser's step */
	void (*after_loss)(struct trainer *t, int count, void *ctx);
	void (*sum_gradients)(struct trainer *t, void *ctx);
	void *ctx;
} trainer;

/* A trainer for batches of at most batch samples (net_set_batch is the
   caller's); its stats zeroed. */
void trainer_init(trainer *t, net *n, optim *o, const float *class_w, int batch);
/* Forward (in training mode, dropout drawn from seed), loss of the
   count samples x with labels y, backward into zeroed gradients, and the
   multi-rank hooks. */
void trainer_gradients(trainer *t, const float *x, const int32_t *y, int count, uint64_t seed);
/* trainer_gradients, then the optimiser's step at learning rate lr. */
void trainer_step(trainer *t, const float *x, const int32_t *y, int count, float lr, uint64_t seed);
/* The loss sums since the last reset (downloaded), and their mean loss. */
double trainer_sums(const trainer *t, double sums[STAT_N]);
void trainer_reset(trainer *t);
/* Frees what trainer_init allocated (not the net or the optimiser). */
void trainer_release(trainer *t);

/* Dies when a weight or a batch-norm statistic of n is not finite. The loss
   can stay finite while the weights are not (relu turns NaN into 0 on the
   way forward), so the state is checked before it is written: a diverged
   run keeps its last good checkpoint. */
void train_check_finite(const net *n, long step);

/* Loss and accuracy over the whole set in evaluation mode. With map, also
   the mean over classes of the average precision of the softmax
   probabilities, every pixel of the set pooled, as ap-score computes it
   (NaN when no class has a positive). */
void evaluate(net *n, devdata *dd, const float *class_w, double *loss, double *acc, double *map);
/* The sums behind them (STAT_*) over positions [start, end) of the current
   order: a share of the set, as each rank of a run takes; with map, the
   mean AP of those positions alone. */
void evaluate_sums(net *n, devdata *dd, const float *class_w, long start, long end, double sums[STAT_N],
		   double *map);

#endif
