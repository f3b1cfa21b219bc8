/* provenance.h: how a model was made, for the "run" metadata that nn-train
   writes and nn-report shows: the machine, the source, the command, the
   dates. */
#ifndef NN_PROVENANCE_H
#define NN_PROVENANCE_H

#include "base/json.h"

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU's model name as /proc/cpuinfo gives it (new memory), or NULL. */
char *provenance_cpu_model(void);
/* The commit of the source checkout this program was built in, as
   `git describe --always --dirty` says now (new memory): the checkout is
   the folder above the program's (bin/..) when it holds a .git. NULL for
   an installed copy, or where git is missing or fails. */
char *provenance_commit(void);
/* The command line as a shell would take it back (new memory): words of
   plain characters bare, others in single quotes. */
char *provenance_command(int argc, char **argv);
/* t as an ISO 8601 date in UTC, 2026-12-06T23:18:51Z. */
void provenance_date(time_t t, char *buf, size_t n);

/* The "run" metadata of a model: what a reader needs to know of how it
   was made. A resumed run carries on the record of its checkpoint (prev):
   the commands add up, the network file and the start date stay, and the
   times add up (training seconds are those of the training loops, wall
   seconds those of the whole programs). */
typedef struct run_record {
	const json *prev;          /* the checkpoint's record, or NULL */
	const char *command;       /* this program's command line */
	const char *net_file, *log, *device, *device_name, *commit;  /* NULL: not said */
	time_t started;            /* this program's start */
	double train_seconds, wall_seconds;  /* this program's */
	long steps, train_samples, val_samples;  /* val_samples < 0: no validation */
	long threads;              /* CPU threads; 0: not said */
	/* --keep-best and --early-stop; best_metric NULL: neither */
	const char *best_metric;
	long best_step, validations_since_best;
	double best_score;
	int stopped_early;
} run_record;

/* The record as JSON (new memory), dated now. */
char *run_record_json(const run_record *r);
/* Dies unless each field of j that a record has is of its type and range;
   where names j in the message ("PATH: metadata run"). */
void run_record_check(const char *where, const json *j);

#ifdef __cplusplus
}
#endif

#endif
