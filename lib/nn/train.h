/* train.h: what trains a network, apart from the program that drives it:
   augmentation, the input statistics, the order of an epoch, the training
   step (forward, loss, backward, the sum over ranks, the optimiser), the
   loop's state from step to step, and evaluation over a set. The run's
   configuration is config.h's. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "nn/batch.h"
#include "nn/config.h"

/* --class-weights: one finite, non-negative weight per class of nclass,
   at least one positive (new memory); NULL with the reason in why. */
float *class_weights_parse(const char *spec, int nclass, char *why, size_t why_size);

/* --augment: random horizontal flips, random crops of scale crop..1,
   random shifts of up to shift pixels in x and y, random erasing (as
   torchvision's RandomErasing) with probability erase. */
typedef struct augment {
	int flip;
	float crop;   /* smallest scale; 1 = no crop */
	int shift;    /* 0 = no shift */
	float erase;  /* 0 = no erasing */
} augment;

/* "none", "" or a comma list of "flip", "crop=S" (0 < S <= 1), "shift=P"
   (an integer P >= 1) and "erase=P" (0 < P <= 1); 0 on a bad spec. */
int augment_parse(const char *s, augment *a);

/* Whether a transforms the samples at all. */
int augment_any(const augment *a);

/* The transforms of the count samples of one step, drawn from (seed,
   step), for images h x w. Each sample draws, in this order and only when
   a asks for it: the flip, the crop, the shift, the erasing; so a spec
   without shift and erase draws what it drew before they existed. */
void augment_draw(const augment *a, uint64_t seed, long step, int count, int h, int w, sample_xform *xf);

/* The settings of c that are parsed, for a net of nclass classes whose
   input's shorter side is side pixels: the learning-rate schedule with its
   warm-up, the augmentation and the class weights (*class_w: new memory;
   NULL when every class weighs 1). NULL when all are good, else the option
   of the bad one ("sched"), the reason in why. */
const char *train_settings(const train_config *c, int nclass, int side, sched *s, augment *a, float **class_w,
			   char *why, size_t why_size);

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
	float smooth;          /* label smoothing of the loss (0 from trainer_init) */
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
/* Whether the loss summed since the last reset is finite: it is not as
   soon as one step's is not. The check waits for the device. */
int trainer_loss_finite(const trainer *t);
/* The loss sums since the last reset (downloaded), and their mean loss. */
double trainer_sums(const trainer *t, double sums[STAT_N]);
void trainer_reset(trainer *t);
/* Frees what trainer_init allocated (not the net or the optimiser). */
void trainer_release(trainer *t);

/* Rank rank's share [lo, hi) of count samples split over ranks. */
void batch_share(long count, int rank, int ranks, long *lo, long *hi);

/* A training run's loop from step to step: the epoch order, the step's
   share of the batch, the learning rate and the trainer; the caller's
   program decides when to log, validate and write. */
typedef struct train_loop {
	trainer t;           /* its stats: the loss sums since trainer_reset */
	devdata *data;       /* the training samples on the device */
	augment aug;
	sched schedule;
	uint64_t seed;
	float base_lr, lr;   /* the configured rate; that of the last step */
	float smooth;        /* label smoothing */
	long samples, steps_per_epoch, total, step;  /* step: the steps done */
	int batch;           /* the global batch: all ranks' shares */
	int rank, ranks;     /* this process's rank and their number */
	int epoch;           /* the epoch whose order data holds; -1: none */
	long seen;           /* samples of all ranks since the caller zeroed it */
	int32_t *perm;
	sample_xform *xf;
} train_loop;

/* The sizes of a run of c over samples on ranks ranks: the global batch
   (no more than the samples), the steps of an epoch and of the run, and
   the most samples one rank takes of a batch (returned); the last batch
   of an epoch is samples - (steps_per_epoch - 1) * batch. */
int train_loop_plan(train_loop *l, const train_config *c, long samples, int rank, int ranks);
/* The loop from l->step (0 unless the caller sets it) on data (of at
   most train_loop_plan's share a batch), with the trainer of n and o; a
   and s as parsed. */
void train_loop_start(train_loop *l, net *n, optim *o, const float *class_w, devdata *data, const augment *a,
		      const sched *s);
/* One step: this rank's share of the next batch, forward, loss, backward,
   the hooks and the optimiser; returns the step's epoch. */
int train_loop_step(train_loop *l);
void train_loop_release(train_loop *l);

/* The best validation score so far, for --keep-best and --early-stop:
   its step (-1: none yet) and the validations since. */
typedef struct best_score {
	double score;
	long step, stale;
	int stopped;         /* patience ran out */
} best_score;

/* A validation's score at step: 1 when it is the best so far (a NaN is
   beaten by any number), -1 when it is the patience-th in a row that is
   not (patience 0: never), else 0. */
int best_score_update(best_score *b, double score, long step, long patience);

/* Dies when a weight or a batch-norm statistic of n is not finite. The loss
   can stay finite while the state is not (training's forward pass reads no
   running statistic of batch norm), so the state is checked before it is
   written: a diverged run keeps its last good checkpoint. */
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
