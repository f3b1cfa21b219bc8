/* resume.h: continuing a checkpoint: what it restores (the net, the
   optimiser, the step, the configuration, the best score so far, the log it
   wrote) and what the run that continues it must agree with (the data and
   the number of ranks). */
#ifndef NN_RESUME_H
#define NN_RESUME_H

#include "nn/model.h"
#include "nn/train.h"

/* What a checkpoint brings besides its net and optimiser. */
typedef struct resumed {
	const char *path;    /* the checkpoint (the caller's string) */
	long step;           /* the steps done */
	struct json *run;    /* its "run" record (provenance.h), or NULL */
	best_score best;     /* {NAN, -1} when it tracked none */
	const char *log;     /* the metrics log its run wrote, or NULL ("-": none) */
} resumed;

/* Loads the checkpoint at path onto be: its net (returned), optimiser,
   model info and the rest into res; its configuration into c, except the
   fields whose options opts records as given. Each metadata field has been
   checked for its type and range, so that a damaged file cannot bring a
   batch of 0 or an epoch count whose steps overflow. */
net *resume_open(const char *path, const backend *be, train_config *c, const opt *opts, model_info *info,
		 optim **o, resumed *res);
/* Dies unless the checkpoint was written by a run on ranks ranks: each
   rank's share of a batch, and with it the batch-norm statistics, depend
   on their number (a checkpoint written before ranks were kept had one). */
void resume_same_ranks(const resumed *res, const train_config *c, int ranks);
/* Dies unless c, the checkpoint's configuration, was trained on samples
   samples of this fingerprint, the data of name (a checkpoint written
   before fingerprints were kept is compared by count alone). */
void resume_same_data(const resumed *res, const train_config *c, long samples, const char *fingerprint,
		      const char *name);
void resumed_free(resumed *res);

#endif
