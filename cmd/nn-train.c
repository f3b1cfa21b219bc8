/* nn-train: train a network described by a .net file (or resume a
   checkpoint) on a dataset stream; writes the model, a checkpoint and a
   metrics log. */
#include "backend/backend.h"
#include "formats/dataset.h"
#include "dist/dist.h"
#include "base/filekind.h"
#include "nn/model.h"
#include "base/opt.h"
#include "base/output.h"
#include "nn/provenance.h"
#include "nn/resume.h"
#include "formats/runlog.h"
#include "nn/train.h"
#include "base/util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#include <math.h>
#include <errno.h>
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
	int quiet, other_data, fresh_log;
	char *own_out, *own_ckpt, *own_log;
	const backend *be;
	net *n;
	model_info info;
	optim *o;
	train_loop loop;  /* the steps: their order, learning rate and trainer */
	sched schedule;
	augment aug;
	float *class_w;   /* on the device; NULL: every class weighs 1 */
	dataset *train, *val;
	devdata *train_data, *val_data;
	dist_trainer ranks;   /* several ranks: their agreement on each step */
	runlog_out *log;  /* the metrics log, put in place when the run ends */
	int tty;          /* progress bar on stderr */
	double t_start;   /* when the program started */
	time_t started;   /* the same as a date */
	double t0;        /* when training started */
	double t_last, t_bar;  /* the last log point and progress bar */
	double last_loss; /* training loss of the last log interval */
	double val_loss, val_acc, val_map;  /* of the last validation */
	best_score best;  /* --keep-best, --early-stop; kept across a resume */
	char fingerprint[17]; /* of the training samples */
	resumed res;      /* what the checkpoint resumed brought; res.step: the first step */
	char *commit;     /* git describe of the source checkout, or NULL */
	char *command;    /* this program's command line */
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

/* A bad setting is bad usage when it was given on the command line (the
   option named), and bad input when it came from the checkpoint being
   resumed. */
static __attribute__((noreturn, format(printf, 3, 4))) void setting_error(const run *r, const char *option,
									 const char *fmt, ...)
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

/* Writes the model (with the optimiser state: the checkpoint) with the
   "run" metadata of now. */
static void save(run *r, const char *path, const net *n, int checkpoint)
{
	if (dist_rank() > 0)   /* rank 0 alone writes */
		return;
	double now = now_seconds();
	char *cpu = r->be->is_gpu ? NULL : provenance_cpu_model();
	run_record rec = {
		.prev = r->res.run, .command = r->command, .net_file = r->net_path, .log = r->log_path,
		.device = r->be->name, .device_name = r->be->is_gpu ? backend_gpu_name() : cpu, .commit = r->commit,
		.started = r->started, .train_seconds = r->t0 ? now - r->t0 : 0, .wall_seconds = now - r->t_start,
		.steps = r->loop.step, .train_samples = r->loop.samples,
		.val_samples = r->val ? dataset_len(r->val) : -1,
	};
#ifdef _OPENMP
	rec.threads = r->be->is_gpu ? 0 : omp_get_max_threads();
#endif
	if (r->c.keep_best || r->c.early_stop) {
		rec.best_metric = r->n->dense ? "validation mean AP" : "validation accuracy";
		rec.best_step = r->best.step;
		rec.best_score = r->best.score;
		rec.validations_since_best = r->best.stale;
		rec.stopped_early = r->best.stopped;
	}
	free(r->info.run);
	r->info.run = run_record_json(&rec);
	free(cpu);
	model_save(path, n, &r->info, checkpoint ? r->o : NULL);
}

/* The option table of nn-train, pointing into r; freed with the run. */
static opt *options_new(run *r)
{
	opt outputs[] = {
		{NULL, 'o', OPT_STRING, &r->out, .arg = "FILE",
		 .help = "model file (default model.safetensors; NAME when resuming NAME.ckpt)"},
		{"checkpoint", 0, OPT_STRING, &r->ckpt, .arg = "FILE",
		 .help = "checkpoint for --resume (default: the model file + .ckpt)"},
		{"resume", 0, OPT_STRING, &r->resume, .arg = "FILE", .help = "continue a checkpoint where it stopped"},
		{"other-data", 0, OPT_FLAG, &r->other_data,
		 .help = "resume on a training stream other than the checkpoint's"},
		OPT_END,
	};
	opt rest[] = {
		OPT_BACKEND(&r->threads, &r->device, &r->precision, "train"),
		{"val", 0, OPT_STRING, &r->val_path, .arg = "FILE", .help = "validation dataset stream"},
		{"log", 0, OPT_STRING, &r->log_path, .arg = "FILE",
		 .help = "metrics log (TSV: step epoch split loss accuracy lr seconds)"},
		{"fresh-log", 0, OPT_FLAG, &r->fresh_log, .help =
		 "with --resume: a new metrics log, not the resumed run's continued"},
		{"quiet", 'q', OPT_FLAG, &r->quiet, .help = "no progress on stderr"},
		OPT_END,
	};
	return train_config_options(&r->c, outputs, rest);
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
	r->best = (best_score){.score = NAN, .step = -1};
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
	if (k == FK_NPY || k == FK_SAFETENSORS)
		fatal("%s: %s, not a network description: %s", r->net_path, file_kind_name(k),
		      k == FK_NPY ? "NET.net comes first (nn-train [options] NET.net [TRAIN])"
				  : "continue a checkpoint with --resume CHECKPOINT");
	if (r->train_path && r->val_path && !strcmp(r->train_path, r->val_path) && strcmp(r->train_path, "-"))
		note("warning: validating on the training data");
	/* resuming NAME.ckpt as the interrupt message says writes NAME, as the
	   interrupted run would have */
	if (r->resume && !opt_given(r->opts, "o") && (r->own_out = path_strip_suffix(r->resume, ".ckpt")))
		r->out = r->own_out;
	if (!r->ckpt)
		r->ckpt = r->own_ckpt = path_with_suffix(r->out, ".ckpt");
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

/* Resuming without --log continues the metrics log of the run resumed,
   which its checkpoint names; --keep-best, with the best model so far
   where it was written. */
static void resume_outputs(run *r)
{
	const char *log = r->res.log;
	if (log && strcmp(log, "-") && !opt_given(r->opts, "log") && dist_rank() == 0) {
		r->log_path = r->own_log = xstrdup(log);
		outputs_check(r);
		if (!r->quiet)
			note("%s the metrics log %s", r->fresh_log ? "starting anew" : "continuing", r->log_path);
	}
	if (r->c.keep_best && r->best.step >= 0 && access(r->out, R_OK))
		fatal("%s: the best model so far (step %ld) is not there: %s (resume with the -o of the run)",
		      r->out, r->best.step, strerror(errno));
}

/* Step 4: the network and, when resuming, its optimiser, step and
   configuration. */
static void model_open(run *r)
{
	if (r->resume) {
		r->n = resume_open(r->resume, r->be, &r->c, r->opts, &r->info, &r->o, &r->res);
		resume_same_ranks(&r->res, &r->c, dist_size());
		r->best = r->res.best;
		resume_outputs(r);
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

/* Step 5: the settings that need the network: schedule, augmentation and
   class weights (uploaded). */
static void settings_check(run *r)
{
	char why[160];
	float *w;
	int side = r->n->in_h < r->n->in_w ? r->n->in_h : r->n->in_w;
	const char *bad = train_settings(&r->c, r->n->nclass, side, &r->schedule, &r->aug, &w, why, sizeof why);
	if (bad)
		setting_error(r, bad, "--%s: %s", bad, why);
	if (w) {
		r->class_w = r->be->alloc(r->n->nclass * sizeof(float), "class weights");
		r->be->upload(r->class_w, w, r->n->nclass * sizeof(float));
		free(w);
	}
	if (r->c.keep_best && !r->val_path)
		setting_error(r, "keep-best", "--keep-best: the best model is chosen on the validation set: give --val");
	if (r->c.early_stop && !r->val_path)
		setting_error(r, "early-stop", "--early-stop: training stops on the validation set: give --val");
}

/* Step 6b: the validation data, on the device with a share a batch. */
static void val_load(run *r, int share)
{
	const char *train_name = display_name(r->train_path);
	r->val = dataset_read_labelled(r->val_path, "validation");
	class_names_agree(r->val_path, r->val->names, r->val->nclass, train_name, r->train->names, r->train->nclass,
			  0);
	if (r->resume)
		class_names_agree(r->val_path, r->val->names, r->val->nclass, r->resume, r->info.names, r->info.nclass,
				  0);
	r->val_data = devdata_new(r->be, r->val, r->n, &r->info, share, r->val_path);
}

/* Step 6: the data, on the device, and the number of steps. */
static void data_load(run *r)
{
	const char *name = display_name(r->train_path);
	r->train = dataset_read_labelled(r->train_path, "training");
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
	train_loop *l = &r->loop;
	int share = train_loop_plan(l, &r->c, dataset_len(r->train), dist_rank(), dist_size());
	l->step = r->res.step;
	snprintf(r->fingerprint, sizeof r->fingerprint, "%016llx", (unsigned long long)dataset_fingerprint(r->train));
	if (r->resume && !r->other_data)
		resume_same_data(&r->res, &r->c, l->samples, r->fingerprint, name);
	train_config_data(&r->c, l->samples, r->fingerprint, dist_size());
	free(r->info.config);
	r->info.config = train_config_json(&r->c);
	r->train_data = devdata_new(r->be, r->train, r->n, &r->info, share, name);
	if (r->val_path)
		val_load(r, share);
	net_set_batch(r->n, share);
	long last = l->samples - (l->steps_per_epoch - 1) * l->batch;
	if (last < dist_size())
		setting_error(r, "batch", "--batch: the last batch of an epoch has %ld sample%s, fewer than the %d "
			      "ranks: choose another batch size", last, last == 1 ? "" : "s", dist_size());
	if (l->step > l->total)
		fatal("%s: the checkpoint is at step %ld, past the %ld steps of %ld epochs", r->resume, l->step,
		      l->total, r->c.epochs);
	if (r->resume && !r->quiet)
		note("resuming %s at step %ld of %ld (epoch %ld)", r->resume, l->step, l->total,
		     l->step / l->steps_per_epoch + 1);
}

/* Step 7: the metrics log, put in place when the run ends (complete or
   interrupted). Resuming continues the log of the run resumed (its rows up
   to the checkpoint), unless --fresh-log. */
static void log_open(run *r)
{
	if (r->log_path)
		r->log = runlog_create(r->log_path, r->resume && !r->fresh_log ? r->loop.step : -1);
}

/* The progress line on a terminal. */
static void progress_bar(run *r, int epoch, double now)
{
	const train_loop *l = &r->loop;
	double images_per_s = (l->step - r->res.step) * (double)l->batch / (now - r->t0), sums[STAT_N];
	char eta[32];
	double rate = images_per_s > 0 ? images_per_s : 1;
	format_duration((l->total - l->step) * (double)l->batch / rate, eta, sizeof eta);
	fprintf(stderr, "\r  epoch %d/%ld  step %ld/%ld  loss %.4f  %.0f img/s  ETA %s   ", epoch + 1, r->c.epochs,
		l->step, l->total, trainer_sums(&l->t, sums), images_per_s, eta);
	r->t_bar = now;
}

/* After a validation: a better score than the best so far becomes the best
   (written as the output model with --keep-best), or counts towards
   --early-stop. Both go to the log, as rows of splits "best" and "stop"
   whose accuracy column holds the score. */
static void track_best(run *r, double epochs_done)
{
	double score = r->n->dense ? r->val_map : r->val_acc;
	int verdict = best_score_update(&r->best, score, r->loop.step, r->c.early_stop);
	if (verdict)
		runlog_row(r->log, r->loop.step, epochs_done, verdict > 0 ? "best" : "stop", r->val_loss, score,
			   r->loop.lr, now_seconds() - r->t0);
	if (verdict > 0 && r->c.keep_best) {
		train_check_finite(r->n, r->loop.step);
		save(r, r->out, r->n, 0);
	}
}

/* The line of a log point on stderr: the training loss and accuracy since
   the last one, the validation's when there was one, the pace, the time
   since this program's training began and the rest at the pace so far
   (validation included). */
static void log_line(const run *r, double loss, double acc, int validated, double images_per_s)
{
	const train_loop *l = &r->loop;
	char elapsed[32], eta[32], val[128] = "";
	double spent = now_seconds() - r->t0;
	format_duration(spent, elapsed, sizeof elapsed);
	format_duration(l->step > r->res.step ? spent * (l->total - l->step) / (l->step - r->res.step) : 0, eta,
		 sizeof eta);
	if (validated)
		snprintf(val, sizeof val, "  val_loss %.4f  val_acc %.4f", r->val_loss, r->val_acc);
	if (validated && r->n->dense && (r->c.keep_best || r->c.early_stop))
		snprintf(val + strlen(val), sizeof val - strlen(val), "  val_map %.4f", r->val_map);
	if (r->tty)
		fprintf(stderr, "\r\033[K");
	fprintf(stderr, "step %ld/%ld  epoch %.2f  loss %.4f  acc %.4f%s  %.0f img/s  elapsed %s  ETA %s\n", l->step,
		l->total, (double)l->step / l->steps_per_epoch, loss, acc, val, images_per_s, elapsed, eta);
}

/* A log point: the training loss and accuracy since the last one, the
   validation when due, to the log and to stderr. */
static void log_point(run *r)
{
	train_loop *l = &r->loop;
	double sums[STAT_N];
	trainer_sums(&l->t, sums);
	trainer_reset(&l->t);
	r->ranks.weight_before = 0;
	dist_sum_double(sums, STAT_N);
	/* the download waited for the device: only now are its steps done */
	double now = now_seconds();
	double loss = sums[STAT_LOSS] / sums[STAT_WEIGHT], acc = sums[STAT_CORRECT] / sums[STAT_COUNT];
	double images_per_s = l->seen / (now - r->t_last);
	double epochs_done = (double)l->step / l->steps_per_epoch;
	runlog_row(r->log, l->step, epochs_done, "train", loss, acc, l->lr, now - r->t0);
	int validate = r->val_data && (r->c.val_every ? l->step % r->c.val_every == 0 || l->step == l->total : 1);
	int tracked = r->c.keep_best || r->c.early_stop;
	if (validate) {
		dist_evaluate(r->n, r->val_data, r->class_w, l->step, &r->val_loss, &r->val_acc,
			      r->n->dense && tracked ? &r->val_map : NULL);
		runlog_row(r->log, l->step, epochs_done, "val", r->val_loss, r->val_acc, l->lr, now_seconds() - r->t0);
	}
	if (validate && tracked)
		track_best(r, epochs_done);
	runlog_flush(r->log);
	if (!r->quiet)
		log_line(r, loss, acc, validate, images_per_s);
	if (!isfinite(loss))
		fatal("training diverged: the loss is %g at step %ld (try a smaller --lr)", loss, l->step);
	r->last_loss = loss;
	l->seen = 0;
	r->t_last = now_seconds();
}

/* Step 8: the training loop, until the last step or a signal; a checkpoint
   at the end of each epoch and every --checkpoint-every steps. */
static void train(run *r)
{
	train_loop *l = &r->loop;
	r->tty = isatty(2) && !r->quiet;
	train_loop_start(l, r->n, r->o, r->class_w, r->train_data, &r->aug, &r->schedule);
	if (dist_size() > 1)
		dist_trainer_attach(&l->t, &r->ranks, &interrupted);
	r->t0 = r->t_last = now_seconds();
	r->val_loss = r->val_acc = NAN;
	/* the loss is checked between log points too: on the CPU at every step,
	   on a GPU every 16 (each check waits for the device) */
	int check_every = r->be->is_gpu ? 16 : 1;
	while (l->step < l->total && !(dist_size() > 1 ? r->ranks.stop : interrupted) && !r->best.stopped) {
		int epoch = train_loop_step(l);
		long step = l->step;
		int epoch_end = step % l->steps_per_epoch == 0;
		int log_now = step % r->c.log_every == 0 || epoch_end || step == l->total;
		if (!log_now && step % check_every == 0 && !trainer_loss_finite(&l->t))
			fatal("training diverged: the loss is not finite at step %ld (try a smaller --lr)", step);
		double now = now_seconds();
		if (r->tty && (now - r->t_bar > 0.25 || log_now))
			progress_bar(r, epoch, now);
		if (log_now)
			log_point(r);
		if (epoch_end || (r->c.ckpt_every && step % r->c.ckpt_every == 0)) {
			r->info.step = step;
			dist_replicas_check(r->n, step);
			train_check_finite(r->n, step);
			save(r, r->ckpt, r->n, 1);
		}
	}
	if (dist_size() > 1)
		interrupted = r->ranks.stop;
	if (r->tty && interrupted)
		fprintf(stderr, "\r\033[K");
	train_loop_release(l);
}

/* The notes of a complete run: how it ended, which model it kept, a loss
   worse than guessing, where the model went and the ranks' pace. */
static void finish_notes(const run *r)
{
	const train_loop *l = &r->loop;
	if (r->best.stopped && !r->quiet)
		note("stopped early at step %ld of %ld: no better validation score in %ld validations", l->step,
		     l->total, r->best.stale);
	if (r->c.keep_best && !r->quiet)
		note("kept the model of step %ld, the best %s (%.4f)", r->best.step,
		     r->n->dense ? "validation mean AP" : "validation accuracy", r->best.score);
	/* finite but useless: say so, whatever --quiet says. Training starts
	   near the loss of guessing every class equally, log K; ending at twice
	   that is worse than where it began */
	float guess = logf((float)r->n->nclass);
	if (r->last_loss > 2 * guess)
		note("warning: training ended worse than it began: loss %.4g in the last log interval, "
		     "more than twice the %.4g of guessing every class equally (try a smaller --lr)",
		     r->last_loss, guess);
	if (!r->quiet)
		note("wrote %s after %ld steps in %.1f s", r->out, l->step, now_seconds() - r->t0);
	if (!r->quiet)
		dist_pace_note(l->step - r->res.step, now_seconds() - r->t0);
}

/* Step 9: the checkpoint, the model when training is complete, and what
   happened; returns the exit status. */
static int finish(run *r)
{
	long step = r->loop.step;
	r->info.step = step;
	dist_replicas_check(r->n, step);
	train_check_finite(r->n, step);
	if (dist_rank() > 0)   /* rank 0 writes */
		return interrupted ? 130 : 0;
	save(r, r->ckpt, r->n, 1);
	if (interrupted) {
		note("interrupted at step %ld of %ld; checkpoint written to %s (continue with --resume %s)", step,
		     r->loop.total, r->ckpt, r->ckpt);
	} else if (r->c.keep_best && r->best.step >= 0 && r->best.step != step) {
		/* the best model, written when it was reached, again with the
		   facts of the whole run */
		model_info best_info = {0};
		net *best = model_load(r->out, r->be, &best_info, NULL);
		save(r, r->out, best, 0);
		net_free(best);
		model_info_free(&best_info);
	} else {
		save(r, r->out, r->n, 0);
	}
	if (!interrupted)
		finish_notes(r);
	runlog_close(r->log);
	return interrupted ? 130 : 0;
}

static void run_free(run *r)
{
	r->be->free(r->class_w);
	devdata_free(r->train_data);
	devdata_free(r->val_data);
	dataset_free(r->train);
	dataset_free(r->val);
	optim_free(r->o);
	net_free(r->n);
	model_info_free(&r->info);
	resumed_free(&r->res);
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
