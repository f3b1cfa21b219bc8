/* nn-train: train a network described by a .net file (or resume a
   checkpoint) on a dataset stream; writes the model, a checkpoint and a
   metrics log. */
#include "backend/backend.h"
#include "formats/dataset.h"
#include "dist/dist.h"
#include "base/filekind.h"
#include "base/json.h"
#include "nn/model.h"
#include "nn/net.h"
#include "base/opt.h"
#include "nn/optim.h"
#include "base/output.h"
#include "nn/provenance.h"
#include "formats/runlog.h"
#include "nn/train.h"
#include "base/util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <math.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: nn-train [options] NET.net [TRAIN]\n"
	"       nn-train [options] --resume CHECKPOINT [TRAIN]\n"
	"Train the network described in NET.net on the dataset stream TRAIN\n"
	"(default: standard input) and write the model.\n\n";

/* One training run: what the command line asks for, then what each step of
   main() makes of it. */
typedef struct run {
	train_config c;
	opt *opts;        /* the option table, which records what was given */
	const char *net_path, *train_path, *out, *ckpt, *resume, *val_path, *log_path;
	const char *device, *precision;
	long threads;
	int quiet, other_data;
	char *own_out, *own_ckpt, *own_log;
	const backend *be;
	net *n;
	model_info info;
	optim *o;
	long step;        /* steps done */
	sched schedule;
	augment aug;
	float *class_w;   /* on the device; NULL: every class weighs 1 */
	dataset *train, *val;
	devdata *train_data, *val_data;
	long samples, steps_per_epoch, total;   /* training samples; steps per epoch and in all */
	int batch;        /* the global batch: all ranks' shares */
	int share;        /* the most samples of a batch one rank takes */
	FILE *log;
	outfile *logf;    /* the log, renamed into place when the run ends */
	int fresh_log;    /* when resuming: a new log, not the resumed run's */
	double t_start;   /* when the program started */
	time_t started;   /* the same as a date */
	double t0;        /* when training started */
	double last_loss; /* training loss of the last log interval */
	/* --keep-best and --early-stop: the best validation score so far (the
	   accuracy, or the mean AP for segmentation) and its step (-1: none
	   yet), the validations since, and whether training stopped early;
	   kept in the checkpoint's "run" metadata across a resume */
	double best_score;
	long best_step, stale;
	int stopped_early;
	char fingerprint[17]; /* of the training samples */
	json *prev_run;   /* the "run" metadata of the checkpoint resumed, or NULL */
	char *commit;     /* git describe of the source checkout, or NULL */
	char *command;    /* this program's command line */
	long first_step;  /* the step this run started at */
} run;

static volatile sig_atomic_t interrupted;

/* The first signal stops training after the current step; a second one ends
   the program at once. */
static void on_signal(int sig)
{
	if (interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
}

/* Restores the configuration saved in a checkpoint; options given on the
   command line win. model_load has checked each field's type and range
   (the ranges of its option): a damaged file must not bring a batch of 0
   (a division by zero) or an epoch count whose steps overflow. */
static void config_restore(train_config *c, const char *cfg, const char *path, const opt *opts)
{
	json *j = model_meta_json(path, "config", cfg);
	if (!j)
		fatal("%s: checkpoint has no training configuration", path);
	train_config_read(c, j, opts);
	json_free(j);
}

/* A resumed run continues on the data it was trained on: the checkpoint's
   sample count and fingerprint against the stream's (a checkpoint written
   before fingerprints were kept is compared by count alone). */
static void same_data(const run *r, const char *name)
{
	const train_config *c = &r->c;
	if (train_config_has(c, "train_samples") && c->train_samples != r->samples)
		fatal("%s: trained on %ld samples, but %s has %ld: resuming on other data changes the run "
		      "(--other-data to do it anyway)", r->resume, c->train_samples, name, r->samples);
	if (train_config_has(c, "train_fingerprint") && strcmp(c->train_fingerprint, r->fingerprint))
		fatal("%s: trained on other samples than those of %s (fingerprint %.16s, not %s): resuming on "
		      "other data changes the run (--other-data to do it anyway)", r->resume, name,
		      c->train_fingerprint, r->fingerprint);
}

/* A checkpoint continues on as many ranks as wrote it: each rank's share
   of a batch, and with it the batch-norm statistics, depend on their number
   (a checkpoint written before ranks were kept had one). */
static void same_ranks(const run *r)
{
	long ranks = r->c.ranks;
	if (ranks != dist_size())
		fatal("%s: written by a run on %ld rank%s; resume it on as many (mpirun -np %ld), not %d", r->resume,
		      ranks, ranks == 1 ? "" : "s", ranks, dist_size());
}

/* A bad setting is bad usage when it was given on the command line (the
   option named), and bad input when it came from the checkpoint being
   resumed. */
static void setting_error(const run *r, const char *option, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
static void setting_error(const run *r, const char *option, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	if (r->resume && !opt_given(r->opts, option))
		fatal("%s: training configuration: %s", r->resume, msg);
	usage_error("%s", msg);
}

static void fmt_time(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* A number of the resumed checkpoint's "run" metadata, or dflt. */
static double prev_number(const run *r, const char *key, double dflt)
{
	const json *v = r->prev_run ? json_get(r->prev_run, key) : NULL;
	return v && v->kind == JSON_NUMBER ? v->number : dflt;
}

/* The "run" metadata now: what a reader needs to know of how the model was
   made. Times add up over resumes: training seconds are those of the
   training loops, wall seconds those of the whole programs. */
static char *run_json(const run *r)
{
	double now = now_seconds();
	const json *v;
	char date[32];
	json_writer w = {0};
	json_object_begin(&w);
	json_key(&w, "commands");
	json_array_begin(&w);
	v = r->prev_run ? json_get(r->prev_run, "commands") : NULL;
	for (int i = 0; v && v->kind == JSON_ARRAY && i < v->n; i++)
		if (v->items[i]->kind == JSON_STRING)
			json_string(&w, v->items[i]->str);
	json_string(&w, r->command);
	json_array_end(&w);
	v = r->prev_run ? json_get(r->prev_run, "net_file") : NULL;
	const char *net_file = v && v->kind == JSON_STRING ? v->str : r->net_path;
	if (net_file)
		json_key(&w, "net_file"), json_string(&w, net_file);
	if (r->log_path)
		json_key(&w, "log"), json_string(&w, r->log_path);
	v = r->prev_run ? json_get(r->prev_run, "started") : NULL;
	provenance_date(r->started, date, sizeof date);
	json_key(&w, "started"), json_string(&w, v && v->kind == JSON_STRING ? v->str : date);
	provenance_date(time(NULL), date, sizeof date);
	json_key(&w, "finished"), json_string(&w, date);
	json_key(&w, "train_seconds"), json_number(&w, prev_number(r, "train_seconds", 0) + (r->t0 ? now - r->t0 : 0));
	json_key(&w, "wall_seconds"), json_number(&w, prev_number(r, "wall_seconds", 0) + now - r->t_start);
	json_key(&w, "steps"), json_int(&w, r->step);
	json_key(&w, "train_samples"), json_int(&w, r->samples);
	if (r->val)
		json_key(&w, "val_samples"), json_int(&w, dataset_len(r->val));
	json_key(&w, "device"), json_string(&w, r->be->name);
	const char *gpu = r->be->is_gpu ? backend_gpu_name() : NULL;
	char *cpu = r->be->is_gpu ? NULL : provenance_cpu_model();
	if (gpu || cpu)
		json_key(&w, "device_name"), json_string(&w, gpu ? gpu : cpu);
	free(cpu);
#ifdef _OPENMP
	if (!r->be->is_gpu)
		json_key(&w, "threads"), json_int(&w, omp_get_max_threads());
#endif
	if (r->commit)
		json_key(&w, "commit"), json_string(&w, r->commit);
	if (r->c.keep_best || r->c.early_stop) {
		json_key(&w, "best_metric"), json_string(&w, r->n->dense ? "validation mean AP" : "validation accuracy");
		json_key(&w, "best_step"), json_int(&w, r->best_step);
		json_key(&w, "best_score"), json_number(&w, r->best_score);
		json_key(&w, "validations_since_best"), json_int(&w, r->stale);
		json_key(&w, "stopped_early"), json_int(&w, r->stopped_early);
	}
	json_object_end(&w);
	return json_writer_finish(&w);
}

/* Writes the model (with the optimiser state: the checkpoint) with the
   "run" metadata of now. */
static void save(run *r, const char *path, const net *n, int checkpoint)
{
	if (dist_rank() > 0)   /* rank 0 alone writes */
		return;
	free(r->info.run);
	r->info.run = run_json(r);
	model_save(path, n, &r->info, checkpoint ? r->o : NULL);
}

/* --betas B1,B2 into the configuration (dest). */
static void betas_option(const opt *o, const char *v)
{
	train_config *c = o->dest;
	float b[2];
	if (parse_float_list(v, b, 2) != 2 || b[0] < 0 || b[0] >= 1 || b[1] < 0 || b[1] >= 1)
		usage_error("--betas: expected two numbers in [0,1), e.g. 0.9,0.999, got '%s'", v);
	c->beta1 = b[0], c->beta2 = b[1];
}

static void optimiser_option(const opt *o, const char *v)
{
	if (optim_kind_parse(v) < 0)
		usage_error("--opt: unknown optimiser '%s' (sgd, adam, adamw)", v);
	*(const char **)o->dest = v;
}

/* The option table of nn-train, pointing into r; freed with the run. */
static opt *options_new(run *r)
{
	train_config *c = &r->c;
	/* epochs and steps fit in int and their product in long */
	opt t[] = {
		{NULL, 'o', OPT_STRING, &r->out, .arg = "FILE",
		 .help = "model file (default model.safetensors; NAME when resuming NAME.ckpt)"},
		{"checkpoint", 0, OPT_STRING, &r->ckpt, .arg = "FILE",
		 .help = "checkpoint for --resume (default: the model file + .ckpt)"},
		{"checkpoint-every", 0, OPT_INT, &c->ckpt_every, 1, LONG_MAX, .arg = "N", .help =
		 "also write the checkpoint every N steps (default: each epoch)"},
		{"resume", 0, OPT_STRING, &r->resume, .arg = "FILE", .help = "continue a checkpoint where it stopped"},
		{"other-data", 0, OPT_FLAG, &r->other_data,
		 .help = "resume on a training stream other than the checkpoint's"},
		{"epochs", 0, OPT_INT, &c->epochs, 1, INT_MAX, .arg = "N", .help = "passes over the training data (default 3)"},
		{"batch", 0, OPT_INT, &c->batch, 1, INT_MAX, .arg = "N", .help = "samples per step (default 64)"},
		{"opt", 0, OPT_CUSTOM, &c->opt, .arg = "sgd|adam|adamw", .help = "optimiser (default adam)",
		 .parse = optimiser_option},
		{"lr", 0, OPT_FLOAT, &c->lr, 0, INFINITY, .arg = "X", .help = "learning rate (default 1e-3)"},
		{"momentum", 0, OPT_FLOAT, &c->momentum, 0, INFINITY, .arg = "X", .help = "SGD momentum (default 0)"},
		{"nesterov", 0, OPT_FLAG, &c->nesterov, .help = "SGD with Nesterov momentum"},
		{"wd", 0, OPT_FLOAT, &c->wd, 0, INFINITY, .arg = "X", .help = "weight decay (default 0; 1e-2 for adamw)"},
		{"betas", 0, OPT_CUSTOM, c, .arg = "B1,B2", .help = "Adam betas (default 0.9,0.999)",
		 .parse = betas_option},
		{"eps", 0, OPT_FLOAT, &c->eps, 0, INFINITY, .arg = "X", .help = "Adam epsilon (default 1e-8)"},
		{"sched", 0, OPT_STRING, &c->sched, .arg = "SPEC",
		 .help = "const, step:EPOCHS[:GAMMA] or cosine[:MIN_LR] (default const)"},
		{"warmup", 0, OPT_INT, &c->warmup, 0, LONG_MAX, .arg = "N", .help = "linear learning-rate warm-up over N steps"},
		{"class-weights", 0, OPT_STRING, &c->class_weights, .arg = "LIST",
		 .help = "loss weight per class, e.g. 1,1,5,1,1"},
		{"augment", 0, OPT_STRING, &c->augment, .arg = "SPEC",
		 .help = "none, or flip and/or crop=S (random crop of scale S..1), e.g. flip,crop=0.7"},
		{"normalize", 0, OPT_CUSTOM, &c->normalize, .arg = "data|none",
		 .help = "per-channel input normalisation from the training data (default data)",
		 .parse = opt_choice},
		{"seed", 0, OPT_INT, &c->seed, 0, LONG_MAX, .arg = "N", .help =
		 "data order, initialisation and augmentation (default 1)"},
		OPT_BACKEND(&r->threads, &r->device, &r->precision, "train"),
		{"val", 0, OPT_STRING, &r->val_path, .arg = "FILE", .help = "validation dataset stream"},
		{"val-every", 0, OPT_INT, &c->val_every, 1, LONG_MAX, .arg = "N", .help =
		 "validate every N steps (default: at each log point)"},
		{"log", 0, OPT_STRING, &r->log_path, .arg = "FILE",
		 .help = "metrics log (TSV: step epoch split loss accuracy lr seconds)"},
		{"fresh-log", 0, OPT_FLAG, &r->fresh_log, .help =
		 "with --resume: a new metrics log, not the resumed run's continued"},
		{"log-every", 0, OPT_INT, &c->log_every, 1, LONG_MAX, .arg = "N", .help = "log every N steps (default 100)"},
		{"keep-best", 0, OPT_FLAG, &c->keep_best, .help =
		 "the output model is the one of the best validation accuracy\n(mean AP for segmentation), not the last"},
		{"early-stop", 0, OPT_INT, &c->early_stop, 1, LONG_MAX, .arg = "N", .help =
		 "stop after N validations without a better score"},
		{"sync-bn", 0, OPT_FLAG, &c->sync_bn,
		 .help = "under mpirun: batch-norm statistics over the global batch (default: each rank's share)"},
		{"quiet", 'q', OPT_FLAG, &r->quiet, .help = "no progress on stderr"},
		OPT_END,
	};
	return memcpy(xmalloc(sizeof t), t, sizeof t);
}

/* Step 1, the configuration: options and operands, and the names of the
   outputs. */
static void configure(run *r, int argc, char **argv)
{
	train_config_defaults(&r->c);
	r->out = "model.safetensors";
	r->device = "auto";
	r->precision = "fp32";
	r->last_loss = NAN;
	r->best_score = NAN;
	r->best_step = -1;
	r->command = provenance_command(argc, argv);
	r->opts = options_new(r);
	int nargs = opt_parse(r->opts, argc, argv, usage);
	int need = r->resume ? 0 : 1;
	if (nargs < need)
		usage_error("no network description given");
	if (nargs > need + 1)
		usage_error("too many arguments");
	r->net_path = r->resume ? NULL : argv[0];
	r->train_path = nargs > need ? argv[need] : NULL;
	/* the operands swapped, or a model where the description belongs */
	file_kind k = file_kind_at(r->net_path);
	if (k == FK_NPY)
		fatal("%s: %s, not a network description: NET.net comes first (nn-train [options] NET.net [TRAIN])",
		      r->net_path, file_kind_name(k));
	if (k == FK_SAFETENSORS)
		fatal("%s: %s, not a network description: continue a checkpoint with --resume CHECKPOINT",
		      r->net_path, file_kind_name(k));
	if (r->train_path && r->val_path && !strcmp(r->train_path, r->val_path) && strcmp(r->train_path, "-"))
		note("warning: validating on the training data");
	/* resuming NAME.ckpt as the interrupt message says writes NAME, as the
	   interrupted run would have */
	size_t resume_len = r->resume ? strlen(r->resume) : 0;
	if (r->resume && !opt_given(r->opts, "o") && resume_len > 5 && !strcmp(r->resume + resume_len - 5, ".ckpt")) {
		r->out = r->own_out = xstrdup(r->resume);
		r->own_out[resume_len - 5] = 0;
	}
	if (!r->ckpt) {
		r->ckpt = r->own_ckpt = xmalloc(strlen(r->out) + 8);
		sprintf(r->own_ckpt, "%s.ckpt", r->out);
	}
}

/* Step 2: no output may be an input, and each can be written. */
static void outputs_check(const run *r)
{
	/* the checkpoint that --resume continues into is the exception: it is
	   read whole first, replaced atomically */
	const char *model_in = r->resume ? r->resume : r->net_path;
	const char *train_in = r->train_path ? r->train_path : "-";
	int into_resumed = r->resume && same_file(r->ckpt, r->resume);
	io_check(IO_LIST(model_in, train_in, r->val_path), IO_LIST(r->out, r->log_path, into_resumed ? NULL : r->ckpt));
	io_check(IO_LIST(train_in, r->val_path), IO_LIST(r->out, r->log_path, r->ckpt));
	out_refuse_terminal(r->out);
	out_refuse_terminal(r->ckpt);
}

/* Step 2b: several ranks. Each reads the training data; rank 0 alone
   writes, logs and shows progress. */
static void ranks_open(run *r)
{
	if (dist_size() == 1)
		return;
	if (!r->train_path || !strcmp(r->train_path, "-"))
		usage_error("%d ranks cannot share standard input: name the training data file", dist_size());
	if (dist_rank() > 0) {
		r->quiet = 1;
		r->log_path = NULL;
	}
	if (!r->quiet)
		note("%d ranks, %s; each takes its share of every batch", dist_size(), dist_engine());
}

/* --sync-bn: batch-norm's sums are added across the ranks. */
static void sync_bn_open(run *r)
{
	if (!r->c.sync_bn || dist_size() == 1)
		return;
	if (!backend_supports(r->be, BACKEND_SYNC_BATCHNORM))
		setting_error(r, "sync-bn", "--sync-bn: the %s backend has no %s", r->be->name,
			      backend_op_name(BACKEND_SYNC_BATCHNORM));
	r->n->bn_reduce = dist_sum_double;
}

/* Step 3: the device. */
static void device_open(run *r)
{
	r->be = backend_get(r->device);
	r->be->set_threads((int)r->threads);
	r->be->set_precision(!strcmp(r->precision, "tf32"));
}

/* The best-so-far state of --keep-best and --early-stop, from the "run"
   metadata of the checkpoint being resumed; the best model so far must
   still be where it was written. */
static void best_restore(run *r)
{
	r->prev_run = model_meta_json(r->resume, "run", r->info.run);
	const json *v = r->prev_run ? json_get(r->prev_run, "best_step") : NULL;
	if (!v)
		return;
	if (v->integer > r->info.step)
		fatal("%s: metadata run: field 'best_step' is %lld, past the checkpoint's step %ld", r->resume,
		      (long long)v->integer, r->info.step);
	r->best_step = v->integer;
	r->best_score = prev_number(r, "best_score", NAN);
	r->stale = (long)prev_number(r, "validations_since_best", 0);
	r->stopped_early = prev_number(r, "stopped_early", 0) != 0;
	if (r->c.keep_best && r->best_step >= 0 && access(r->out, R_OK))
		fatal("%s: the best model so far (step %ld) is not there: %s (resume with the -o of the run)",
		      r->out, r->best_step, strerror(errno));
}

/* Resuming without --log continues the metrics log of the run resumed,
   which its checkpoint names. */
static void log_restore(run *r)
{
	const json *v = r->prev_run ? json_get(r->prev_run, "log") : NULL;
	if (!v || opt_given(r->opts, "log") || dist_rank() > 0)
		return;
	if (v->kind != JSON_STRING || !*v->str)
		fatal("%s: metadata run: log: not a file name", r->resume);
	if (!strcmp(v->str, "-"))
		return;
	r->log_path = r->own_log = xstrdup(v->str);
	outputs_check(r);
	if (!r->quiet)
		note("%s the metrics log %s", r->fresh_log ? "starting anew" : "continuing", r->log_path);
}

/* Step 4: the network and, when resuming, its optimiser, step and
   configuration. */
static void model_open(run *r)
{
	if (r->resume) {
		r->n = model_load(r->resume, r->be, &r->info, &r->o);
		config_restore(&r->c, r->info.config, r->resume, r->opts);
		same_ranks(r);
		r->step = r->info.step;
		best_restore(r);
		log_restore(r);
		if (optim_kind_parse(r->c.opt) != (int)r->o->kind)
			setting_error(r, "opt", "--opt: the checkpoint was trained with %s", optim_kind_name(r->o->kind));
	} else {
		char *text = read_text(r->net_path);
		r->n = net_parse(text, r->net_path);
		free(text);
		net_init(r->n, r->be, (uint64_t)r->c.seed);
		memset(&r->info, 0, sizeof r->info);
	}
	if (!opt_given(r->opts, "wd") && !r->resume && optim_kind_parse(r->c.opt) == OPTIM_ADAMW)
		r->c.wd = 1e-2;
}

/* --class-weights, uploaded. */
static void class_weights_load(run *r)
{
	char why[128];
	float *w = class_weights_parse(r->c.class_weights, r->n->nclass, why, sizeof why);
	if (!w)
		setting_error(r, "class-weights", "--class-weights: %s", why);
	r->class_w = r->be->alloc(r->n->nclass * sizeof(float), "class weights");
	r->be->upload(r->class_w, w, r->n->nclass * sizeof(float));
	free(w);
}

/* Step 5: the settings that need the network: schedule, augmentation and
   class weights. */
static void settings_check(run *r)
{
	if (!sched_parse(r->c.sched, &r->schedule))
		setting_error(r, "sched", "--sched: bad schedule '%s' (const, step:EPOCHS[:GAMMA], cosine[:MIN_LR])",
			      r->c.sched);
	r->schedule.warmup = r->c.warmup;
	if (!augment_parse(r->c.augment, &r->aug))
		setting_error(r, "augment", "--augment: bad spec '%s' (none, flip, crop=S)", r->c.augment);
	if (r->c.class_weights[0])
		class_weights_load(r);
	if (r->c.keep_best && !r->val_path)
		setting_error(r, "keep-best", "--keep-best: the best model is chosen on the validation set: give --val");
	if (r->c.early_stop && !r->val_path)
		setting_error(r, "early-stop", "--early-stop: training stops on the validation set: give --val");
}

/* Step 6: the data, on the device, and the number of steps. */
static void data_load(run *r)
{
	const char *name = display_name(r->train_path);
	r->train = dataset_read(r->train_path, "dataset");
	if (!r->train->y)
		fatal("%s: no labels in stream: training needs the class ids y (ds-load images writes none)", name);
	if (r->train->x->ndim != 4 || r->train->x->shape[1] > MODEL_MAXCHAN)
		fatal("%s: expected images [N,C,H,W] with at most %d channels", name, MODEL_MAXCHAN);
	check_fit(r->n, r->train, name);
	if (r->resume) {
		class_names_agree(name, r->train->names, r->train->nclass, r->resume, r->info.names, r->info.nclass,
				  0);
	} else {
		train_model_info(&r->info, r->train, r->c.normalize);
		r->o = optim_new(optim_kind_parse(r->c.opt), r->n);
	}
	train_config_optim(&r->c, r->o);
	r->samples = dataset_len(r->train);
	if (r->samples == 0)
		fatal("%s: no samples", name);
	snprintf(r->fingerprint, sizeof r->fingerprint, "%016llx",
		 (unsigned long long)dataset_fingerprint(r->train));
	if (r->resume && !r->other_data)
		same_data(r, name);
	r->c.train_samples = r->samples;
	r->c.train_fingerprint = r->fingerprint;
	r->c.ranks = dist_size();
	free(r->info.config);
	r->info.config = train_config_json(&r->c);
	r->batch = r->c.batch < r->samples ? (int)r->c.batch : (int)r->samples;
	r->share = (r->batch + dist_size() - 1) / dist_size();
	r->train_data = devdata_new(r->be, r->train, r->n, &r->info, r->share, name);
	if (r->val_path) {
		r->val = dataset_read(r->val_path, "dataset");
		if (!r->val->y)
			fatal("%s: no labels in stream: validation needs the class ids y", r->val_path);
		/* no samples: no score, and a "best" of nothing */
		if (dataset_len(r->val) == 0)
			fatal("%s: no samples: validation needs at least one", r->val_path);
		class_names_agree(r->val_path, r->val->names, r->val->nclass, name, r->train->names,
				  r->train->nclass, 0);
		if (r->resume)
			class_names_agree(r->val_path, r->val->names, r->val->nclass, r->resume, r->info.names,
					  r->info.nclass, 0);
		r->val_data = devdata_new(r->be, r->val, r->n, &r->info, r->share, r->val_path);
	}
	net_set_batch(r->n, r->share);
	r->steps_per_epoch = (r->samples + r->batch - 1) / r->batch;
	long last = r->samples - (r->steps_per_epoch - 1) * r->batch;
	if (last < dist_size())
		setting_error(r, "batch", "--batch: the last batch of an epoch has %ld sample%s, fewer than the %d "
			      "ranks: choose another batch size", last, last == 1 ? "" : "s", dist_size());
	r->total = r->steps_per_epoch * r->c.epochs;
	if (r->step > r->total)
		fatal("%s: the checkpoint is at step %ld, past the %ld steps of %ld epochs", r->resume, r->step,
		      r->total, r->c.epochs);
	if (r->resume && !r->quiet)
		note("resuming %s at step %ld of %ld (epoch %ld)", r->resume, r->step, r->total, r->step / r->steps_per_epoch + 1);
}

/* Step 7: the metrics log, written to a temporary file and put in place
   when the run ends (complete or interrupted), so that a run that fails
   leaves the old log as it was. Resuming continues the log of the run
   resumed (its rows up to the checkpoint), unless --fresh-log. */
static void log_open(run *r)
{
	if (!r->log_path)
		return;
	r->logf = out_open(r->log_path);
	r->log = r->logf->f;
	fputs(RUNLOG_HEADER, r->log);
	if (r->resume && !r->fresh_log)
		runlog_keep(r->log_path, r->step, r->log);
	if (fflush(r->log) || ferror(r->log))
		fatal("%s: write error: %s", r->log_path, strerror(errno));
}

/* The state of the training loop between steps. */
typedef struct loop {
	int tty, check_every, perm_epoch;
	trainer t;            /* its stats: the loss sums since the last log point */
	int32_t *perm;
	sample_xform *xf;
	double t_last, t_bar;
	long seen_since, step0;
	double last_val_loss, last_val_acc, last_val_map;
	float lr;
	dist_trainer ranks;   /* several ranks: their agreement on each step */
} loop;

/* One step of this rank's share of the batch. */
static int train_step(run *r, loop *l)
{
	int epoch = (int)(r->step / r->steps_per_epoch);
	long at = r->step % r->steps_per_epoch * r->batch;   /* the batch's first position */
	if (epoch != l->perm_epoch) {
		epoch_order(r->train_data, &r->aug, (uint64_t)r->c.seed, epoch, r->batch, l->perm, l->xf);
		l->perm_epoch = epoch;
	}
	int count = (int)(r->samples - at < r->batch ? r->samples - at : r->batch);
	long lo, hi;   /* this rank's share of the batch; the whole with one rank */
	dist_share(count, &lo, &hi);
	int mine = (int)(hi - lo);
	devdata_gather(r->train_data, at + lo, mine);
	l->lr = sched_lr(&r->schedule, (float)r->c.lr, r->step, epoch, r->total);
	/* dropout draws per rank; rank 0 draws what one process draws */
	trainer_step(&l->t, r->train_data->xb, r->train_data->yb, mine, l->lr,
		     (uint64_t)r->c.seed * 0x100000001b3ULL + r->step + ((uint64_t)dist_rank() << 40));
	r->step++;
	l->seen_since += count;
	return epoch;
}

/* The progress line on a terminal. */
static void progress_bar(const run *r, loop *l, int epoch, double now)
{
	double images_per_s = (r->step - l->step0) * (double)r->batch / (now - r->t0), sums[STAT_N];
	char eta[32];
	fmt_time((r->total - r->step) * (double)r->batch / (images_per_s > 0 ? images_per_s : 1), eta, sizeof eta);
	trainer_sums(&l->t, sums);
	fprintf(stderr, "\r  epoch %d/%ld  step %ld/%ld  loss %.4f  %.0f img/s  ETA %s   ", epoch + 1, r->c.epochs,
		r->step, r->total, sums[STAT_LOSS] / sums[STAT_WEIGHT], images_per_s, eta);
	l->t_bar = now;
}

/* After a validation: a better score than the best so far becomes the best
   (written as the output model with --keep-best), or counts towards
   --early-stop. Both go to the log, as rows of splits "best" and "stop"
   whose accuracy column holds the score. */
static void track_best(run *r, loop *l, double epochs_done)
{
	double score = r->n->dense ? l->last_val_map : l->last_val_acc;
	int better = r->best_step < 0 || score > r->best_score || (isnan(r->best_score) && !isnan(score));
	const char *split = NULL;
	if (better) {
		r->best_score = score;
		r->best_step = r->step;
		r->stale = 0;
		split = "best";
	} else if (++r->stale >= r->c.early_stop && r->c.early_stop) {
		r->stopped_early = 1;
		split = "stop";
	}
	if (split && r->log)
		fprintf(r->log, "%ld\t%.4f\t%s\t%.6f\t%.6f\t%.6g\t%.3f\n", r->step, epochs_done, split, l->last_val_loss, score,
			l->lr, now_seconds() - r->t0);
	if (better && r->c.keep_best) {
		train_check_finite(r->n, r->step);
		save(r, r->out, r->n, 0);
	}
}

/* A log point: the training loss and accuracy since the last one, the
   validation when due, to the log and to stderr. */
static void log_point(run *r, loop *l)
{
	double sums[STAT_N];
	trainer_sums(&l->t, sums);
	trainer_reset(&l->t);
	l->ranks.weight_before = 0;
	dist_sum_double(sums, STAT_N);
	/* the download waited for the device: only now are its steps done */
	double now = now_seconds();
	double loss = sums[STAT_LOSS] / sums[STAT_WEIGHT], acc = sums[STAT_CORRECT] / sums[STAT_COUNT];
	double images_per_s = l->seen_since / (now - l->t_last);
	double epochs_done = (double)r->step / r->steps_per_epoch;
	long step = r->step;
	if (r->log)
		fprintf(r->log, "%ld\t%.4f\ttrain\t%.6f\t%.6f\t%.6g\t%.3f\n", step, epochs_done, loss, acc, l->lr, now - r->t0);
	int do_val = r->val_data && (r->c.val_every ? step % r->c.val_every == 0 || step == r->total : 1);
	if (do_val) {
		int want_map = r->n->dense && (r->c.keep_best || r->c.early_stop);
		if (dist_size() > 1)
			dist_evaluate(r->n, r->val_data, r->class_w, r->step, &l->last_val_loss, &l->last_val_acc,
				      want_map ? &l->last_val_map : NULL);
		else
			evaluate(r->n, r->val_data, r->class_w, &l->last_val_loss, &l->last_val_acc,
				 want_map ? &l->last_val_map : NULL);
		if (r->log)
			fprintf(r->log, "%ld\t%.4f\tval\t%.6f\t%.6f\t%.6g\t%.3f\n", step, epochs_done, l->last_val_loss,
				l->last_val_acc, l->lr, now_seconds() - r->t0);
	}
	if (do_val && (r->c.keep_best || r->c.early_stop))
		track_best(r, l, epochs_done);
	if (r->log && (fflush(r->log) || ferror(r->log)))
		fatal("%s: write error", r->log_path);
	if (!r->quiet) {
		/* elapsed since this program's training began, and the rest at
		   the pace so far (validation included) */
		char elapsed[32], eta[32], map[32] = "";
		double spent = now_seconds() - r->t0;
		fmt_time(spent, elapsed, sizeof elapsed);
		fmt_time(step > l->step0 ? spent * (r->total - step) / (step - l->step0) : 0, eta, sizeof eta);
		if (do_val && r->n->dense && (r->c.keep_best || r->c.early_stop))
			snprintf(map, sizeof map, "  val_map %.4f", l->last_val_map);
		if (l->tty)
			fprintf(stderr, "\r\033[K");
		if (do_val)
			fprintf(stderr, "step %ld/%ld  epoch %.2f  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f%s  "
				"%.0f img/s  elapsed %s  ETA %s\n", step, r->total, epochs_done, loss, acc, l->last_val_loss,
				l->last_val_acc, map, images_per_s, elapsed, eta);
		else
			fprintf(stderr, "step %ld/%ld  epoch %.2f  loss %.4f  acc %.4f  %.0f img/s  elapsed %s  ETA %s\n",
				step, r->total, epochs_done, loss, acc, images_per_s, elapsed, eta);
	}
	if (!isfinite(loss))
		fatal("training diverged: the loss is %g at step %ld (try a smaller --lr)", loss, step);
	r->last_loss = loss;
	l->seen_since = 0;
	l->t_last = now_seconds();
}

/* Step 8: the training loop, until the last step or a signal; a checkpoint
   at the end of each epoch and every --checkpoint-every steps. */
static void train(run *r)
{
	const backend *be = r->be;
	loop l = {0};
	l.tty = isatty(2) && !r->quiet;
	trainer_init(&l.t, r->n, r->o, r->class_w, r->batch);
	if (dist_size() > 1)
		dist_trainer_attach(&l.t, &l.ranks, &interrupted);
	l.perm = xmalloc(r->samples * sizeof *l.perm);
	l.xf = xmalloc(r->samples * sizeof *l.xf);
	l.perm_epoch = -1;
	r->t0 = l.t_last = now_seconds();
	l.step0 = r->first_step = r->step;
	l.last_val_loss = l.last_val_acc = NAN;
	/* the loss is checked between log points too: on the CPU at every step,
	   on a GPU every 16 (each check waits for the device); the sum since the
	   last log point is not finite as soon as one step's loss is not */
	l.check_every = strcmp(be->name, "cpu") ? 16 : 1;
	l.lr = (float)r->c.lr;

	while (r->step < r->total && !(dist_size() > 1 ? l.ranks.stop : interrupted) && !r->stopped_early) {
		int epoch = train_step(r, &l);
		long step = r->step;
		int epoch_end = step % r->steps_per_epoch == 0;
		int log_now = step % r->c.log_every == 0 || epoch_end || step == r->total;
		if (!log_now && step % l.check_every == 0) {
			double sums[STAT_N];
			trainer_sums(&l.t, sums);
			if (!isfinite(sums[STAT_LOSS]))
				fatal("training diverged: the loss is not finite at step %ld (try a smaller --lr)", step);
		}
		double now = now_seconds();
		if (l.tty && (now - l.t_bar > 0.25 || log_now))
			progress_bar(r, &l, epoch, now);
		if (log_now)
			log_point(r, &l);
		if (epoch_end || (r->c.ckpt_every && step % r->c.ckpt_every == 0)) {
			r->info.step = step;
			dist_replicas_check(r->n, r->step);
			train_check_finite(r->n, step);
			save(r, r->ckpt, r->n, 1);
		}
	}
	if (dist_size() > 1)
		interrupted = l.ranks.stop;
	if (l.tty && interrupted)
		fprintf(stderr, "\r\033[K");
	free(l.perm);
	free(l.xf);
	trainer_release(&l.t);
}

/* Step 9: the checkpoint, the model when training is complete, and what
   happened; returns the exit status. */
static int finish(run *r)
{
	r->info.step = r->step;
	dist_replicas_check(r->n, r->step);
	train_check_finite(r->n, r->step);
	int status = 0;
	if (dist_rank() > 0)   /* rank 0 writes */
		return interrupted ? 130 : 0;
	save(r, r->ckpt, r->n, 1);
	if (interrupted) {
		note("interrupted at step %ld of %ld; checkpoint written to %s (continue with --resume %s)", r->step,
		     r->total, r->ckpt, r->ckpt);
		status = 130;
	} else {
		if (r->c.keep_best && r->best_step >= 0 && r->best_step != r->step) {
			/* the best model, written when it was reached, again with
			   the facts of the whole run */
			model_info best_info = {0};
			net *best = model_load(r->out, r->be, &best_info, NULL);
			save(r, r->out, best, 0);
			net_free(best);
			model_info_free(&best_info);
		} else {
			save(r, r->out, r->n, 0);
		}
		if (r->stopped_early && !r->quiet)
			note("stopped early at step %ld of %ld: no better validation score in %ld validations", r->step,
			     r->total, r->stale);
		if (r->c.keep_best && !r->quiet)
			note("kept the model of step %ld, the best %s (%.4f)", r->best_step,
			     r->n->dense ? "validation mean AP" : "validation accuracy", r->best_score);
		/* finite but useless: say so, whatever --quiet says. Training
		   starts near the loss of guessing every class equally, log K;
		   ending at twice that is worse than where it began */
		float guess = logf((float)r->n->nclass);
		if (r->last_loss > 2 * guess)
			note("warning: training ended worse than it began: loss %.4g in the last log interval, "
			     "more than twice the %.4g of guessing every class equally (try a smaller --lr)",
			     r->last_loss, guess);
		if (!r->quiet)
			note("wrote %s after %ld steps in %.1f s", r->out, r->step, now_seconds() - r->t0);
		long steps = r->step - r->first_step;
		double wait, sum = dist_seconds(&wait);
		if (!r->quiet && dist_size() > 1 && steps > 0)
			note("%d ranks: a step took %.1f ms, of which %.1f ms summing across ranks and %.1f ms "
			     "waiting for the slowest rank", dist_size(), 1e3 * (now_seconds() - r->t0) / steps,
			     1e3 * sum / steps, 1e3 * wait / steps);
	}
	if (r->logf)
		out_commit(r->logf);
	return status;
}

static void run_free(run *r)
{
	if (r->class_w)
		r->be->free(r->class_w);
	devdata_free(r->train_data);
	devdata_free(r->val_data);
	dataset_free(r->train);
	dataset_free(r->val);
	optim_free(r->o);
	net_free(r->n);
	model_info_free(&r->info);
	json_free(r->prev_run);
	free(r->commit);
	free(r->command);
	free(r->own_out);
	free(r->own_ckpt);
	free(r->own_log);
	free(r->opts);
	train_config_free(&r->c);
}

int main(int argc, char **argv)
{
	tool_start("nn-train");
	run r = {0};
	r.t_start = now_seconds();
	r.started = time(NULL);
	/* before MPI starts: Open MPI advises against fork() once it runs */
	r.commit = provenance_commit();
	dist_init(&argc, &argv);
	configure(&r, argc, argv);
	if (dist_rank() == 0)
		outputs_check(&r);
	ranks_open(&r);
	device_open(&r);
	dist_device(r.be);
	model_open(&r);
	settings_check(&r);
	sync_bn_open(&r);
	data_load(&r);
	log_open(&r);
	/* the layer table once every input has been checked: an error is the
	   last thing said, not lost above the table */
	if (!r.quiet)
		net_print(r.n, stderr);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	train(&r);
	int status = finish(&r);
	run_free(&r);
	return status;
}
