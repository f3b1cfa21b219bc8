/* nn-train: train a network described by a .net file (or resume a
   checkpoint) on a dataset stream; writes the model, a checkpoint and a
   metrics log. */
#include "backend.h"
#include "batch.h"
#include "dataset.h"
#include "json.h"
#include "model.h"
#include "net.h"
#include "optim.h"
#include "output.h"
#include "util.h"

#include <math.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	printf("usage: nn-train [options] NET.net [TRAIN]\n"
	       "       nn-train [options] --resume CHECKPOINT [TRAIN]\n"
	       "Train the network described in NET.net on the dataset stream TRAIN\n"
	       "(default: standard input) and write the model.\n\n"
	       "  -o FILE               model file (default model.safetensors; NAME when resuming NAME.ckpt)\n"
	       "  --checkpoint FILE     checkpoint for --resume (default: the model file + .ckpt)\n"
	       "  --checkpoint-every N  also write the checkpoint every N steps (default: each epoch)\n"
	       "  --resume FILE         continue a checkpoint where it stopped\n"
	       "  --other-data          resume on a training stream other than the checkpoint's\n"	       "  --epochs N            passes over the training data (default 3)\n"
	       "  --batch N             samples per step (default 64)\n"
	       "  --opt sgd|adam|adamw  optimiser (default adam)\n"
	       "  --lr X                learning rate (default 1e-3)\n"
	       "  --momentum X          SGD momentum (default 0)\n"
	       "  --nesterov            SGD with Nesterov momentum\n"
	       "  --wd X                weight decay (default 0; 1e-2 for adamw)\n"
	       "  --betas B1,B2         Adam betas (default 0.9,0.999)\n"
	       "  --sched SPEC          const, step:EPOCHS[:GAMMA] or cosine[:MIN_LR] (default const)\n"
	       "  --warmup N            linear learning-rate warm-up over N steps\n"
	       "  --class-weights LIST  loss weight per class, e.g. 1,1,5,1,1\n"
	       "  --augment SPEC        none, or flip and/or crop=S (random crop of scale S..1), e.g. flip,crop=0.7\n"
	       "  --normalize data|none per-channel input normalisation from the training data (default data)\n"
	       "  --seed N              data order, initialisation and augmentation (default 1)\n"
	       "  --threads N           CPU threads, 1 to 1024 (default: all cores)\n"
	       "  --device auto|cpu|cuda\n"
	       "  --precision fp32|tf32 matrix maths on the GPU (default fp32)\n"
	       "  --val FILE            validation dataset stream\n"
	       "  --val-every N         validate every N steps (default: at each log point)\n"
	       "  --log FILE            metrics log (TSV: step epoch split loss accuracy lr seconds)\n"
	       "  --log-every N         log every N steps (default 100)\n"
	       "  -q, --quiet           no progress on stderr\n"
	       "  --help                this help\n");
}

typedef struct config {
	const char *opt;
	double lr, momentum, wd, beta1, beta2, eps;
	int nesterov;
	long batch, epochs, seed, warmup, log_every, val_every, ckpt_every;
	const char *sched, *augment, *class_weights, *normalize;
	char *owned[8];   /* strings restored from a checkpoint, freed at the end */
	int nowned;
} config;

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

static char *config_json(const config *c, long train_n, uint64_t train_fp)
{
	char *s = xmalloc(2048);
	char *cw = json_quote(c->class_weights), *au = json_quote(c->augment), *sc = json_quote(c->sched);
	char *no = json_quote(c->normalize);
	snprintf(s, 2048,
		 "{\"opt\": \"%s\", \"lr\": %.9g, \"momentum\": %.9g, \"nesterov\": %d, \"wd\": %.9g, "
		 "\"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, \"batch\": %ld, \"epochs\": %ld, "
		 "\"seed\": %ld, \"sched\": %s, \"warmup\": %ld, \"class_weights\": %s, \"augment\": %s, "
		 "\"normalize\": %s, \"log_every\": %ld, \"val_every\": %ld, \"checkpoint_every\": %ld, "
		 "\"train_samples\": %ld, \"train_fingerprint\": \"%016llx\"}",
		 c->opt, c->lr, c->momentum, c->nesterov, c->wd, c->beta1, c->beta2, c->eps, c->batch,
		 c->epochs, c->seed, sc, c->warmup, cw, au, no, c->log_every, c->val_every, c->ckpt_every,
		 train_n, (unsigned long long)train_fp);
	free(cw), free(au), free(sc), free(no);
	return s;
}

/* Restores the configuration saved in a checkpoint; options given on the
   command line (set[] flags) win. A restored number must pass the checks of
   its option: a damaged file must not bring a batch of 0 (a division by zero)
   or an epoch count whose steps overflow. */
static void config_restore(config *c, const char *cfg, const char *path, const char *given)
{
	const char *err;
	json *j = cfg ? json_parse(cfg, strlen(cfg), &err) : NULL;
	if (!j || j->kind != JSON_OBJECT)
		fatal("%s: checkpoint has no readable training configuration", path);
#define RESTORE(key, type)                                                     \
	json *v = json_get(j, key);                                            \
	if (v && v->kind == (type) && !strstr(given, " " key " "))
#define NUM(key, field, ok)                                                    \
	do {                                                                   \
		RESTORE(key, JSON_NUMBER) {                                    \
			double x = v->number;                                  \
			if (!(ok))                                             \
				fatal("%s: training configuration: bad %s", path, key); \
			c->field = x;                                          \
		}                                                              \
	} while (0)
#define INT(key, field, lo, hi)                                                \
	do {                                                                   \
		RESTORE(key, JSON_NUMBER) {                                    \
			if (!v->is_int || v->integer < (lo) || v->integer > (hi)) \
				fatal("%s: training configuration: bad %s", path, key); \
			c->field = v->integer;                                 \
		}                                                              \
	} while (0)
#define STR(key, field)                                                        \
	do {                                                                   \
		RESTORE(key, JSON_STRING)                                      \
			c->field = c->owned[c->nowned++] = xstrdup(v->str);   \
	} while (0)
	STR("opt", opt);
	NUM("lr", lr, x >= 0);
	NUM("momentum", momentum, x >= 0);
	INT("nesterov", nesterov, 0, 1);
	NUM("wd", wd, x >= 0);
	NUM("beta1", beta1, x >= 0 && x < 1);
	NUM("beta2", beta2, x >= 0 && x < 1);
	NUM("eps", eps, x >= 0);
	INT("batch", batch, 1, INT_MAX);
	INT("epochs", epochs, 1, INT_MAX);
	INT("seed", seed, 0, LONG_MAX);
	STR("sched", sched);
	INT("warmup", warmup, 0, LONG_MAX);
	STR("class_weights", class_weights);
	STR("augment", augment);
	STR("normalize", normalize);
	INT("log_every", log_every, 1, LONG_MAX);
	INT("val_every", val_every, 0, LONG_MAX);
	INT("checkpoint_every", ckpt_every, 0, LONG_MAX);
#undef RESTORE
#undef NUM
#undef INT
#undef STR
	json_free(j);
}

/* A resumed run continues on the data it was trained on: the checkpoint's
   sample count and fingerprint against the stream's (a checkpoint written
   before fingerprints were kept is compared by count alone). */
static void same_data(const char *resume, const char *cfg, long n, uint64_t fp, const char *name)
{
	const char *err;
	json *j = json_parse(cfg, strlen(cfg), &err);
	const json *jn = j ? json_get(j, "train_samples") : NULL, *jf = j ? json_get(j, "train_fingerprint") : NULL;
	char have[20];
	snprintf(have, sizeof have, "%016llx", (unsigned long long)fp);
	if (jn && jn->kind == JSON_NUMBER && jn->is_int && jn->integer != n)
		fatal("%s: trained on %lld samples, but %s has %ld: resuming on other data changes the run "
		      "(--other-data to do it anyway)", resume, (long long)jn->integer, name, n);
	if (jf && jf->kind == JSON_STRING && strcmp(jf->str, have))
		fatal("%s: trained on other samples than those of %s (fingerprint %.16s, not %s): resuming on "
		      "other data changes the run (--other-data to do it anyway)", resume, name, jf->str, have);
	json_free(j);
}

/* A bad setting is bad usage when it was given on the command line, and bad
   input when it came from the checkpoint being resumed. */
static void setting_error(const char *resume, const char *given, const char *key, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
static void setting_error(const char *resume, const char *given, const char *key, const char *fmt, ...)
{
	char msg[256], k[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(k, sizeof k, " %s ", key);
	if (resume && !strstr(given, k))
		fatal("%s: training configuration: %s", resume, msg);
	usage_error("%s", msg);
}

typedef struct augment {
	int flip;
	float crop;   /* smallest scale; 1 = no crop */
} augment;

static int augment_parse(const char *s, augment *a)
{
	a->flip = 0;
	a->crop = 1;
	if (!strcmp(s, "none") || !*s)
		return 1;
	char *copy = xstrdup(s), *save = NULL;
	int ok = 1;
	for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		double v;
		if (!strcmp(t, "flip"))
			a->flip = 1;
		else if (!strncmp(t, "crop=", 5) && parse_float(t + 5, &v) && v > 0 && v <= 1)
			a->crop = v;
		else
			ok = 0;
	}
	free(copy);
	return ok;
}

/* Transforms for the count samples of one step, drawn from (seed, step) so
   that a resumed run draws the same. */
static void draw_xforms(const augment *a, uint64_t seed, long step, int count, int h, int w,
			sample_xform *xf)
{
	rng r;
	rng_seed(&r, seed, 0xa5000000000ULL + step);
	for (int i = 0; i < count; i++) {
		sample_xform t = {0, 0, 0, (float)w, (float)h};
		if (a->flip)
			t.flip = rng_uniform(&r) < 0.5;
		if (a->crop < 1) {
			float s = rng_uniform_range(&r, a->crop, 1);
			t.sw = s * w;
			t.sh = s * h;
			t.x0 = rng_uniform_range(&r, 0, w - t.sw);
			t.y0 = rng_uniform_range(&r, 0, h - t.sh);
		}
		xf[i] = t;
	}
}

/* Per-channel mean and standard deviation of the training pixels in [0,1]. */
static void data_stats(const tensor *x, float *mean, float *std)
{
	long n = x->shape[0], c = x->shape[1], plane = x->shape[2] * x->shape[3];
	for (long ch = 0; ch < c; ch++) {
		double s = 0, s2 = 0;
#pragma omp parallel for reduction(+ : s, s2) schedule(static)
		for (long i = 0; i < n; i++) {
			double a = 0, a2 = 0;
			for (long j = 0; j < plane; j++) {
				size_t k = (i * c + ch) * plane + j;
				double v = x->dtype == DT_U8 ? ((const uint8_t *)x->data)[k] / 255.0
							    : ((const float *)x->data)[k];
				a += v;
				a2 += v * v;
			}
			s += a;
			s2 += a2;
		}
		double cnt = (double)n * plane, m = s / cnt, var = s2 / cnt - m * m;
		mean[ch] = (float)m;
		std[ch] = (float)sqrt(var > 1e-12 ? var : 1.0);
	}
}

/* The loss can stay finite while the weights are not (relu turns NaN into 0
   on the way forward), so the state is checked before it is written: a
   diverged run keeps its last good checkpoint. */
static void check_finite(const net *n, long step)
{
	size_t count[2] = {n->nparams, n->nbuffers};
	const float *src[2] = {n->params, n->buffers};
	for (int k = 0; k < 2; k++) {
		float *h = xmalloc((count[k] ? count[k] : 1) * sizeof *h);
		n->be->download(h, src[k], count[k] * sizeof *h);
		for (size_t i = 0; i < count[k]; i++)
			if (!isfinite(h[i]))
				fatal("training diverged: %s not finite at step %ld (try a smaller --lr)",
				      k ? "batch-norm statistics are" : "a weight is", step);
		free(h);
	}
}

static void fmt_time(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

int main(int argc, char **argv)
{
	tool_start("nn-train");
	config c = {"adam", 1e-3, 0, 0, 0.9, 0.999, 1e-8, 0, 64, 3, 1, 0, 100, 0, 0,
		    "const", "none", "", "data", {0}, 0};
	const char *net_path = NULL, *train_path = NULL, *out = "model.safetensors", *ckpt = NULL;
	const char *resume = NULL, *val_path = NULL, *log_path = NULL, *device = "auto";
	const char *precision = "fp32";
	long threads = 0;
	int quiet = 0, wd_given = 0, out_given = 0, other_data = 0;
	char given[512] = " ";
	for (int i = 1; i < argc; i++) {
		const char *v;
		char *a = argv[i];
		long iv;
		double fv;
#define MARK(key) strncat(given, key " ", sizeof given - strlen(given) - 1)
#define INTOPT(name, key, field, lo, hi)                                                      \
	if (opt_value(argv, argc, &i, name, &v)) {                                            \
		if (!parse_int(v, &iv) || iv < (lo) || iv > (hi))                             \
			usage_error("%s: bad value '%s'", name, v);                           \
		c.field = iv;                                                                 \
		MARK(key);                                                                    \
		continue;                                                                     \
	}
#define FLOATOPT(name, key, field, lo)                                                        \
	if (opt_value(argv, argc, &i, name, &v)) {                                            \
		if (!parse_float(v, &fv) || fv < (lo))                                        \
			usage_error("%s: bad value '%s'", name, v);                           \
		c.field = fv;                                                                 \
		MARK(key);                                                                    \
		continue;                                                                     \
	}
		if (opt_flag(argv, &i, "--help") || opt_flag(argv, &i, "-h")) {
			usage();
			return 0;
		}
		if (opt_value(argv, argc, &i, "-o", &v)) {
			out = v;
			out_given = 1;
			continue;
		}
		if (opt_value(argv, argc, &i, "--checkpoint", &v)) {
			ckpt = v;
			continue;
		}
		if (opt_value(argv, argc, &i, "--resume", &v)) {
			resume = v;
			continue;
		}
		/* epochs and steps fit in int and their product in long */
		INTOPT("--epochs", "epochs", epochs, 1, INT_MAX)
		INTOPT("--batch", "batch", batch, 1, INT_MAX)
		INTOPT("--seed", "seed", seed, 0, LONG_MAX)
		INTOPT("--warmup", "warmup", warmup, 0, LONG_MAX)
		INTOPT("--log-every", "log_every", log_every, 1, LONG_MAX)
		INTOPT("--val-every", "val_every", val_every, 1, LONG_MAX)
		INTOPT("--checkpoint-every", "checkpoint_every", ckpt_every, 1, LONG_MAX)
		FLOATOPT("--lr", "lr", lr, 0)
		FLOATOPT("--momentum", "momentum", momentum, 0)
		FLOATOPT("--eps", "eps", eps, 0)
		if (opt_value(argv, argc, &i, "--wd", &v)) {
			if (!parse_float(v, &fv) || fv < 0)
				usage_error("--wd: bad value '%s'", v);
			c.wd = fv;
			wd_given = 1;
			MARK("wd");
			continue;
		}
		if (opt_flag(argv, &i, "--nesterov")) {
			c.nesterov = 1;
			MARK("nesterov");
			continue;
		}
		if (opt_value(argv, argc, &i, "--betas", &v)) {
			float b[2];
			if (parse_float_list(v, b, 2) != 2 || b[0] < 0 || b[0] >= 1 || b[1] < 0 || b[1] >= 1)
				usage_error("--betas: expected two numbers in [0,1), e.g. 0.9,0.999");
			c.beta1 = b[0], c.beta2 = b[1];
			MARK("beta1");
			MARK("beta2");
			continue;
		}
		if (opt_value(argv, argc, &i, "--opt", &v)) {
			if (optim_kind_parse(v) < 0)
				usage_error("--opt: unknown optimiser '%s' (sgd, adam, adamw)", v);
			c.opt = v;
			MARK("opt");
			continue;
		}
		if (opt_value(argv, argc, &i, "--sched", &v)) {
			c.sched = v;
			MARK("sched");
			continue;
		}
		if (opt_value(argv, argc, &i, "--class-weights", &v)) {
			c.class_weights = v;
			MARK("class_weights");
			continue;
		}
		if (opt_value(argv, argc, &i, "--augment", &v)) {
			c.augment = v;
			MARK("augment");
			continue;
		}
		if (opt_value(argv, argc, &i, "--normalize", &v)) {
			if (strcmp(v, "data") && strcmp(v, "none"))
				usage_error("--normalize: 'data' or 'none'");
			c.normalize = v;
			MARK("normalize");
			continue;
		}
		if (opt_value(argv, argc, &i, "--threads", &v)) {
			if (!parse_int(v, &threads) || threads < 0 || threads > 1024)
				usage_error("--threads: expected 0 (every core) to 1024, got '%s'", v);
			continue;
		}
		if (opt_value(argv, argc, &i, "--device", &v)) {
			device = v;
			continue;
		}
		if (opt_value(argv, argc, &i, "--precision", &v)) {
			if (strcmp(v, "fp32") && strcmp(v, "tf32"))
				usage_error("--precision: 'fp32' or 'tf32'");
			precision = v;
			continue;
		}
		if (opt_value(argv, argc, &i, "--val", &v)) {
			val_path = v;
			continue;
		}
		if (opt_value(argv, argc, &i, "--log", &v)) {
			log_path = v;
			continue;
		}
		if (opt_flag(argv, &i, "-q") || opt_flag(argv, &i, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (opt_flag(argv, &i, "--other-data")) {
			other_data = 1;
			continue;
		}
		if (a[0] == '-' && a[1])
			usage_error("unknown option '%s'", a);
		if (!resume && !net_path)
			net_path = a;
		else if (!train_path)
			train_path = a;
		else
			usage_error("too many arguments");
	}
#undef INTOPT
#undef FLOATOPT
	if (!resume && !net_path)
		usage_error("no network description given");
	if (train_path && val_path && !strcmp(train_path, val_path) && strcmp(train_path, "-"))
		note("warning: validating on the training data");
	/* resuming NAME.ckpt as the interrupt message says writes NAME, as the
	   interrupted run would have */
	size_t rl = resume ? strlen(resume) : 0;
	char *own_out = NULL, *own_ckpt = NULL;
	if (resume && !out_given && rl > 5 && !strcmp(resume + rl - 5, ".ckpt")) {
		out = own_out = xstrdup(resume);
		own_out[rl - 5] = 0;
	}
	if (!ckpt) {
		ckpt = own_ckpt = xmalloc(strlen(out) + 8);
		sprintf(own_ckpt, "%s.ckpt", out);
	}

	/* no output may be an input; the checkpoint that --resume continues
	   into is the exception: it is read whole first, replaced atomically */
	const char *model_in = resume ? resume : net_path, *train_in = train_path ? train_path : "-";
	int into_resumed = resume && same_file(ckpt, resume);
	io_check(IO_LIST(model_in, train_in, val_path), IO_LIST(out, log_path, into_resumed ? NULL : ckpt));
	io_check(IO_LIST(train_in, val_path), IO_LIST(out, log_path, ckpt));

	/* fail now, not after an epoch, when the outputs cannot be written */
	const char *outs[2] = {out, ckpt};
	for (int k = 0; k < 2; k++) {
		char *dir = xstrdup(outs[k]), *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir] = 0;
		if (access(slash ? dir : ".", W_OK) != 0)
			fatal("%s: cannot write there: %s", outs[k], strerror(errno));
		free(dir);
	}
	const backend *be = backend_get(device);
	be->set_threads((int)threads);
	be->set_precision(!strcmp(precision, "tf32"));

	/* the network and, when resuming, its optimiser and step */
	net *n;
	model_info mi;
	optim *o = NULL;
	long step = 0;
	if (resume) {
		n = model_load(resume, be, &mi, &o);
		config_restore(&c, mi.config, resume, given);
		step = mi.step;
		if (optim_kind_parse(c.opt) != (int)o->kind)
			setting_error(resume, given, "opt", "--opt: the checkpoint was trained with %s",
				      optim_kind_name(o->kind));
	} else {
		char *text = read_text(net_path);
		n = net_parse(text, net_path);
		free(text);
		net_init(n, be, (uint64_t)c.seed);
		memset(&mi, 0, sizeof mi);
	}
	if (!wd_given && !resume && optim_kind_parse(c.opt) == OPT_ADAMW)
		c.wd = 1e-2;
	if (!quiet)
		net_print(n, stderr);

	sched sc;
	if (!sched_parse(c.sched, &sc))
		setting_error(resume, given, "sched",
			      "--sched: bad schedule '%s' (const, step:EPOCHS[:GAMMA], cosine[:MIN_LR])", c.sched);
	sc.warmup = c.warmup;
	augment aug;
	if (!augment_parse(c.augment, &aug))
		setting_error(resume, given, "augment", "--augment: bad spec '%s' (none, flip, crop=S)", c.augment);
	float cw[256];
	float *class_w = NULL;
	if (c.class_weights[0]) {
		int k = parse_float_list(c.class_weights, cw, 256);
		if (k != n->nclass)
			setting_error(resume, given, "class_weights", "--class-weights: %d weights for %d classes",
				      k < 0 ? 0 : k, n->nclass);
		float sum = 0;
		for (int i = 0; i < k; i++) {
			if (!(cw[i] >= 0) || !isfinite(cw[i]))
				setting_error(resume, given, "class_weights",
					      "--class-weights: weights must be finite and not negative");
			sum += cw[i];
		}
		/* the loss is a weighted mean: no weight at all is 0/0 */
		if (!(sum > 0))
			setting_error(resume, given, "class_weights", "--class-weights: at least one must be positive");
		class_w = be->alloc(k * sizeof(float), "class weights");
		be->upload(class_w, cw, k * sizeof(float));
	}

	/* data */
	dataset *train = dataset_read(train_path, "dataset");
	if (!train->y)
		fatal("%s: the training stream has no labels", path_name(train_path));
	if (train->x->ndim != 4 || train->x->shape[1] > MODEL_MAXCHAN)
		fatal("%s: expected images [N,C,H,W] with at most %d channels", path_name(train_path), MODEL_MAXCHAN);
	check_fit(n, train, path_name(train_path));
	if (!resume) {
		mi.nchan = n->in_c;
		if (!strcmp(c.normalize, "data")) {
			data_stats(train->x, mi.mean, mi.std);
		} else {
			for (int ch = 0; ch < n->in_c; ch++)
				mi.mean[ch] = 0, mi.std[ch] = 1;
		}
		if (train->names) {
			mi.nclass = train->nclass;
			mi.names = xcalloc(train->nclass, sizeof *mi.names);
			for (int k = 0; k < train->nclass; k++)
				mi.names[k] = xstrdup(train->names[k]);
		}
		o = optim_new(optim_kind_parse(c.opt), n);
	}
	o->momentum = c.momentum;
	o->nesterov = c.nesterov;
	o->wd = c.wd;
	o->beta1 = c.beta1;
	o->beta2 = c.beta2;
	o->eps = c.eps;
	long N = dataset_len(train);
	if (N == 0)
		fatal("%s: no samples", path_name(train_path));
	uint64_t fp = dataset_fingerprint(train);
	if (resume && !other_data)
		same_data(resume, mi.config, N, fp, path_name(train_path));
	free(mi.config);
	mi.config = config_json(&c, N, fp);
	int batch = c.batch < N ? (int)c.batch : (int)N;
	devdata *dd = devdata_new(be, train, n, &mi, batch, path_name(train_path));
	devdata *vd = NULL;
	dataset *val = NULL;
	if (val_path) {
		val = dataset_read(val_path, "dataset");
		if (!val->y)
			fatal("%s: the validation stream has no labels", val_path);
		vd = devdata_new(be, val, n, &mi, batch, val_path);
	}
	net_set_batch(n, batch);
	long spe = (N + batch - 1) / batch, total = spe * c.epochs;
	if (step > total)
		fatal("%s: the checkpoint is at step %ld, past the %ld steps of %ld epochs", resume, step, total,
		      c.epochs);
	if (resume && !quiet)
		note("resuming %s at step %ld of %ld (epoch %ld)", resume, step, total, step / spe + 1);

	FILE *log = NULL;
	if (log_path) {
		int fresh = !resume || access(log_path, F_OK) != 0;
		log = fopen(log_path, resume ? "a" : "w");
		if (!log)
			fatal("%s: cannot open: %s", log_path, strerror(errno));
		if (fresh)
			fprintf(log, "step\tepoch\tsplit\tloss\taccuracy\tlr\tseconds\n");
		fflush(log);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int tty = isatty(2) && !quiet;
	int spatial = n->dense ? n->out_h * n->out_w : 1;
	size_t outsz = net_output_size(n);
	float *dlogits = be->alloc((size_t)batch * outsz * sizeof(float), "loss gradient");
	double *stats = be->alloc(STAT_N * sizeof(double), "loss statistics");
	be->zero(stats, STAT_N * sizeof(double));
	int32_t *perm = xmalloc(N * sizeof *perm);
	sample_xform *xf = xmalloc(N * sizeof *xf);
	int perm_epoch = -1;
	double t0 = now_seconds(), t_last = t0, t_bar = 0;
	long seen_since = 0, step0 = step;
	double last_val_loss = NAN, last_val_acc = NAN;
	/* the loss is checked between log points too: on the CPU at every step,
	   on a GPU every 16 (each check waits for the device); the sum since the
	   last log point is not finite as soon as one step's loss is not */
	int check_every = strcmp(be->name, "cpu") ? 16 : 1;
	double last_loss = NAN;
	float lr = (float)c.lr;

	while (step < total && !interrupted) {
		int epoch = (int)(step / spe);
		long j = step % spe;
		if (epoch != perm_epoch) {
			/* the epoch's order and transforms, uploaded once */
			rng r;
			rng_seed(&r, (uint64_t)c.seed, 0x5eed0000ULL + epoch);
			for (long i = 0; i < N; i++)
				perm[i] = (int32_t)i;
			rng_shuffle(&r, (int *)perm, (int)N);
			int augmented = aug.flip || aug.crop < 1;
			for (long s = 0; augmented && s < spe; s++) {
				long at = s * batch;
				draw_xforms(&aug, (uint64_t)c.seed, (long)epoch * spe + s,
					    (int)(N - at < batch ? N - at : batch), n->in_h, n->in_w, xf + at);
			}
			devdata_set_order(dd, perm, augmented ? xf : NULL);
			perm_epoch = epoch;
		}
		int count = (int)(N - j * batch < batch ? N - j * batch : batch);
		devdata_gather(dd, j * batch, count);
		lr = sched_lr(&sc, (float)c.lr, step, epoch, total);
		net_zero_grad(n);
		net_forward(n, dd->xb, count, 1, (uint64_t)c.seed * 0x100000001b3ULL + step);
		be->softmax_xent(count, n->nclass, spatial, net_output(n), dd->yb, class_w, dlogits, stats);
		net_backward(n, dlogits);
		optim_step(o, n, lr);
		step++;
		seen_since += count;

		int epoch_end = step % spe == 0;
		int log_now = step % c.log_every == 0 || epoch_end || step == total;
		if (!log_now && step % check_every == 0) {
			double h[STAT_N];
			be->download(h, stats, sizeof h);
			if (!isfinite(h[STAT_LOSS]))
				fatal("training diverged: the loss is not finite at step %ld (try a smaller --lr)", step);
		}
		double now = now_seconds();
		if (tty && (now - t_bar > 0.25 || log_now)) {
			double ips = (step - step0) * (double)batch / (now - t0), h[STAT_N];
			char eta[32];
			fmt_time((total - step) * (double)batch / (ips > 0 ? ips : 1), eta, sizeof eta);
			be->download(h, stats, sizeof h);
			fprintf(stderr, "\r  epoch %d/%ld  step %ld/%ld  loss %.4f  %.0f img/s  ETA %s   ", epoch + 1,
				c.epochs, step, total, h[STAT_LOSS] / h[STAT_WEIGHT], ips, eta);
			t_bar = now;
		}
		if (log_now) {
			double h[STAT_N];
			be->download(h, stats, sizeof h);
			be->zero(stats, STAT_N * sizeof(double));
			/* the download waited for the device: only now are its steps done */
			now = now_seconds();
			double loss = h[STAT_LOSS] / h[STAT_WEIGHT], acc = h[STAT_CORRECT] / h[STAT_COUNT];
			double ips = seen_since / (now - t_last);
			double ep = (double)step / spe;
			if (log)
				fprintf(log, "%ld\t%.4f\ttrain\t%.6f\t%.6f\t%.6g\t%.3f\n", step, ep, loss, acc, lr,
					now - t0);
			int do_val = vd && (c.val_every ? step % c.val_every == 0 || step == total : 1);
			if (do_val) {
				evaluate(n, vd, class_w, &last_val_loss, &last_val_acc);
				if (log)
					fprintf(log, "%ld\t%.4f\tval\t%.6f\t%.6f\t%.6g\t%.3f\n", step, ep,
						last_val_loss, last_val_acc, lr, now_seconds() - t0);
			}
			if (log && (fflush(log) || ferror(log)))
				fatal("%s: write error", log_path);
			if (!quiet) {
				if (tty)
					fprintf(stderr, "\r\033[K");
				if (do_val)
					fprintf(stderr, "step %ld/%ld  epoch %.2f  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.0f img/s\n",
						step, total, ep, loss, acc, last_val_loss, last_val_acc, ips);
				else
					fprintf(stderr, "step %ld/%ld  epoch %.2f  loss %.4f  acc %.4f  %.0f img/s\n",
						step, total, ep, loss, acc, ips);
			}
			if (!isfinite(loss))
				fatal("training diverged: the loss is %g at step %ld (try a smaller --lr)", loss, step);
			last_loss = loss;
			seen_since = 0;
			t_last = now_seconds();
		}
		if (epoch_end || (c.ckpt_every && step % c.ckpt_every == 0)) {
			mi.step = step;
			check_finite(n, step);
			model_save(ckpt, n, &mi, o);
		}
	}
	mi.step = step;
	check_finite(n, step);
	int status = 0;
	if (interrupted) {
		model_save(ckpt, n, &mi, o);
		if (tty)
			fprintf(stderr, "\r\033[K");
		note("interrupted at step %ld of %ld; checkpoint written to %s (continue with --resume %s)", step,
		     total, ckpt, ckpt);
		status = 130;
	} else {
		model_save(ckpt, n, &mi, o);
		model_save(out, n, &mi, NULL);
		/* finite but useless: say so, whatever --quiet says. Training
		   starts near the loss of guessing every class equally, log K;
		   ending at twice that is worse than where it began */
		if (last_loss > 2 * logf((float)n->nclass))
			note("warning: training ended worse than it began: loss %.4g in the last log interval, "
			     "more than twice the %.4g of guessing every class equally (try a smaller --lr)",
			     last_loss, logf((float)n->nclass));
		if (!quiet)
			note("wrote %s after %ld steps in %.1f s", out, step, now_seconds() - t0);
	}
	if (log && fclose(log))
		fatal("%s: write error: %s", log_path, strerror(errno));
	free(perm);
	free(xf);
	be->free(dlogits);
	be->free(stats);
	if (class_w)
		be->free(class_w);
	devdata_free(dd);
	devdata_free(vd);
	dataset_free(train);
	dataset_free(val);
	optim_free(o);
	net_free(n);
	model_info_free(&mi);
	free(own_out);
	free(own_ckpt);
	for (int i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	return status;
}
