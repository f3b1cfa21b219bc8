/* config.h: the training configuration, as nn-train's options set it and a
   checkpoint's "config" metadata keeps it: one table of its fields gives
   its JSON, reads it back and checks it. */
#ifndef NN_CONFIG_H
#define NN_CONFIG_H

#include "base/json.h"
#include "base/opt.h"
#include "nn/optim.h"

/* The training configuration, as nn-train's options set it and the
   checkpoint's "config" metadata keeps it. */
typedef struct train_config {
	const char *opt;
	double lr, momentum, wd, beta1, beta2, eps, label_smoothing;
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

/* What the run trains on: its samples, their fingerprint (the caller's
   string) and the ranks. */
void train_config_data(train_config *c, long samples, const char *fingerprint, long ranks);
/* nn-train's defaults. */
void train_config_defaults(train_config *c);
/* The configuration as JSON (new memory), its keys in a fixed order. */
char *train_config_json(const train_config *c);
/* The fields of j into c, each where its type is right, except those
   whose option opts records as given (opts NULL: every field). */
void train_config_read(train_config *c, const json *j, const opt *opts);
/* The option table of nn-train: the rows of before, those of the
   configuration (pointing into c) and those of after, each list ended by
   OPT_END, as one table (new memory). */
opt *train_config_options(train_config *c, const opt *before, const opt *after);
/* Dies unless each field of j that the configuration has is of its type
   and in its range (its option's, or its default); where names j in the message ("PATH: metadata config"). */
void train_config_check(const char *where, const json *j);
/* Whether train_config_read found key; whether key is a field at all. */
int train_config_has(const train_config *c, const char *key);
int train_config_known(const char *key);
void train_config_free(train_config *c);
/* The optimiser's settings from the configuration. */
void train_config_optim(const train_config *c, optim *o);

#endif
