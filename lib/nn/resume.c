/* resume.c: continuing a checkpoint (see resume.h). */
#include "nn/resume.h"
#include "base/json.h"
#include "base/util.h"

#include <math.h>
#include <string.h>

static double run_number(const json *run, const char *key, double dflt)
{
	const json *v = run ? json_get(run, key) : NULL;
	return v && v->kind == JSON_NUMBER ? v->number : dflt;
}

/* The best score so far and the log, from the "run" record. */
static void run_restore(resumed *res)
{
	const json *v = res->run ? json_get(res->run, "best_step") : NULL;
	if (v && v->integer > res->step)
		fatal("%s: metadata run: field 'best_step' is %lld, past the checkpoint's step %ld", res->path,
		      (long long)v->integer, res->step);
	if (v)
		res->best = (best_score){.step = v->integer, .score = run_number(res->run, "best_score", NAN),
					 .stale = (long)run_number(res->run, "validations_since_best", 0),
					 .stopped = run_number(res->run, "stopped_early", 0) != 0};
	v = res->run ? json_get(res->run, "log") : NULL;
	if (v && !*v->str)
		fatal("%s: metadata run: log: not a file name", res->path);
	res->log = v ? v->str : NULL;
}

net *resume_open(const char *path, const backend *be, train_config *c, const opt *opts, model_info *info,
		 optim **o, resumed *res)
{
	*res = (resumed){.path = path, .best = {.score = NAN, .step = -1}};
	net *n = model_load(path, be, info, o);
	json *j = model_meta_json(path, "config", info->config);
	if (!j)
		fatal("%s: checkpoint has no training configuration", path);
	train_config_read(c, j, opts);
	json_free(j);
	res->step = info->step;
	res->run = model_meta_json(path, "run", info->run);
	run_restore(res);
	return n;
}

void resume_same_ranks(const resumed *res, const train_config *c, int ranks)
{
	if (c->ranks != ranks)
		fatal("%s: written by a run on %ld rank%s; resume it on as many (mpirun -np %ld), not %d", res->path,
		      c->ranks, c->ranks == 1 ? "" : "s", c->ranks, ranks);
}

void resume_same_data(const resumed *res, const train_config *c, long samples, const char *fingerprint,
		      const char *name)
{
	if (train_config_has(c, "train_samples") && c->train_samples != samples)
		fatal("%s: trained on %ld samples, but %s has %ld: resuming on other data changes the run "
		      "(--other-data to do it anyway)", res->path, c->train_samples, name, samples);
	if (train_config_has(c, "train_fingerprint") && strcmp(c->train_fingerprint, fingerprint))
		fatal("%s: trained on other samples than those of %s (fingerprint %.16s, not %s): resuming on "
		      "other data changes the run (--other-data to do it anyway)", res->path, name,
		      c->train_fingerprint, fingerprint);
}

void resumed_free(resumed *res) { json_free(res->run); }
