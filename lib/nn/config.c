/* config.c: the training configuration: one table of its fields, from
   which its JSON is written, read back and checked. */
#include "nn/config.h"
#include "base/jsonfield.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CF_DOUBLE, CF_LONG, CF_FLAG, CF_STRING } config_kind;

static void betas_option(const opt *o, const char *v);
static void optimiser_option(const opt *o, const char *v);

/* One field of the configuration: its JSON key, the nn-train option that
   sets it (NULL: none, it records the data), where it lives, a number's
   range as the option takes it (a flag's is 0 to 1; a file may also hold
   the default, 0 for "at each log point", "each epoch", "never"), and the
   option's row in --help (help NULL: the row is another field's). */
typedef struct config_field {
	const char *key, *option;
	config_kind kind;
	size_t offset;
	double lo, hi;
	const char *arg, *help;
	void (*parse)(const opt *o, const char *v);   /* a value checked as it is read */
} config_field;

#define F(key, option, kind, member, lo, hi, arg, help, parse) \
	{key, option, kind, offsetof(train_config, member), lo, hi, arg, help, parse}
static const config_field fields[] = {
	F("opt", "opt", CF_STRING, opt, 0, 0, "sgd|adam|adamw", "optimiser (default adam)", optimiser_option),
	F("lr", "lr", CF_DOUBLE, lr, 0, INFINITY, "X", "learning rate (default 1e-3)", NULL),
	F("momentum", "momentum", CF_DOUBLE, momentum, 0, INFINITY, "X", "SGD momentum (default 0)", NULL),
	F("nesterov", "nesterov", CF_FLAG, nesterov, 0, 1, NULL, "SGD with Nesterov momentum", NULL),
	F("wd", "wd", CF_DOUBLE, wd, 0, INFINITY, "X", "weight decay (default 0; 1e-2 for adamw)", NULL),
	F("beta1", "betas", CF_DOUBLE, beta1, 0, JSON_BELOW_1, "B1,B2",
	  "Adam betas (default 0.9,0.999)", betas_option),
	F("beta2", "betas", CF_DOUBLE, beta2, 0, JSON_BELOW_1, NULL, NULL, NULL),
	F("eps", "eps", CF_DOUBLE, eps, 0, INFINITY, "X", "Adam epsilon (default 1e-8)", NULL),
	F("batch", "batch", CF_LONG, batch, 1, INT_MAX, "N", "samples per step (default 64)", NULL),
	F("epochs", "epochs", CF_LONG, epochs, 1, INT_MAX, "N", "passes over the training data (default 3)", NULL),
	F("seed", "seed", CF_LONG, seed, 0, (double)LONG_MAX, "N",
	  "data order, initialisation and augmentation (default 1)", NULL),
	F("sched", "sched", CF_STRING, sched, 0, 0, "SPEC",
	  "const, step:EPOCHS[:GAMMA] or cosine[:MIN_LR] (default const)", NULL),
	F("warmup", "warmup", CF_LONG, warmup, 0, (double)LONG_MAX, "N",
	  "linear learning-rate warm-up over N steps", NULL),
	F("class_weights", "class-weights", CF_STRING, class_weights, 0, 0, "LIST",
	  "loss weight per class, e.g. 1,1,5,1,1", NULL),
	F("label_smoothing", "label-smoothing", CF_DOUBLE, label_smoothing, 0, JSON_BELOW_1, "X",
	  "label smoothing of the loss, 0 <= X < 1 (default 0)", NULL),
	F("augment", "augment", CF_STRING, augment, 0, 0, "SPEC",
	  "none, or a comma list of flip, crop=S (random crop of scale S..1), shift=P (random shift by up to "
	  "P pixels) and erase=P (random erasing, probability P), e.g. flip,crop=0.7,erase=0.25", NULL),
	F("normalize", "normalize", CF_STRING, normalize, 0, 0, "data|none",
	  "per-channel input normalisation from the training data (default data)", opt_choice),
	F("log_every", "log-every", CF_LONG, log_every, 1, (double)LONG_MAX, "N",
	  "log every N steps (default 100)", NULL),
	F("val_every", "val-every", CF_LONG, val_every, 1, (double)LONG_MAX, "N",
	  "validate every N steps (default: at each log point)", NULL),
	F("checkpoint_every", "checkpoint-every", CF_LONG, ckpt_every, 1, (double)LONG_MAX, "N",
	  "also write the checkpoint every N steps (default: each epoch)", NULL),
	F("keep_best", "keep-best", CF_FLAG, keep_best, 0, 1, NULL,
	  "the output model is the one of the best validation accuracy\n"
	  "(mean AP for segmentation), not the last", NULL),
	F("early_stop", "early-stop", CF_LONG, early_stop, 1, (double)LONG_MAX, "N",
	  "stop after N validations without a better score", NULL),
	F("train_samples", NULL, CF_LONG, train_samples, 0, (double)LONG_MAX, NULL, NULL, NULL),
	F("train_fingerprint", NULL, CF_STRING, train_fingerprint, 0, 0, NULL, NULL, NULL),
	F("ranks", NULL, CF_LONG, ranks, 1, INT_MAX, NULL, NULL, NULL),
	F("sync_bn", "sync-bn", CF_FLAG, sync_bn, 0, 1, NULL,
	  "under mpirun: batch-norm statistics over the global batch (default: each rank's share)", NULL),
};
#undef F
enum { NFIELDS = sizeof fields / sizeof *fields };

void train_config_defaults(train_config *c)
{
	*c = (train_config){.opt = "adam", .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .batch = 64,
			    .epochs = 3, .seed = 1, .log_every = 100, .sched = "const", .augment = "none",
			    .class_weights = "", .normalize = "data", .ranks = 1, .train_fingerprint = ""};
}

void train_config_data(train_config *c, long samples, const char *fingerprint, long ranks)
{
	c->train_samples = samples;
	c->train_fingerprint = fingerprint;
	c->ranks = ranks;
}

char *train_config_json(const train_config *c)
{
	json_writer w = {0};
	json_object_begin(&w);
	for (int i = 0; i < NFIELDS; i++) {
		const void *p = (const char *)c + fields[i].offset;
		json_key(&w, fields[i].key);
		switch (fields[i].kind) {
		case CF_DOUBLE: json_number(&w, *(const double *)p); break;
		case CF_LONG: json_int(&w, *(const long *)p); break;
		case CF_FLAG: json_int(&w, *(const int *)p); break;
		case CF_STRING: json_string(&w, *(const char *const *)p); break;
		}
	}
	json_object_end(&w);
	return json_writer_finish(&w);
}

void train_config_read(train_config *c, const json *j, const opt *opts)
{
	for (int i = 0; j && i < NFIELDS; i++) {
		const config_field *f = &fields[i];
		const json *v = json_get(j, f->key);
		void *p = (char *)c + f->offset;
		if (!v || (f->kind == CF_STRING) != (v->kind == JSON_STRING) ||
		    (f->kind != CF_STRING && v->kind != JSON_NUMBER))
			continue;
		c->read |= 1UL << i;
		if (opts && f->option && opt_given(opts, f->option))
			continue;
		long whole = v->is_int ? (long)v->integer : (long)v->number;
		switch (f->kind) {
		case CF_DOUBLE: *(double *)p = v->number; break;
		case CF_LONG: *(long *)p = whole; break;
		case CF_FLAG: *(int *)p = (int)whole; break;
		case CF_STRING:
			if (c->nowned == (int)(sizeof c->owned / sizeof *c->owned))
				fatal("training configuration: too many strings");
			*(const char **)p = c->owned[c->nowned++] = xstrdup(v->str);
			break;
		}
	}
}

static int field_index(const char *key)
{
	for (int i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i].key, key))
			return i;
	return -1;
}

int train_config_has(const train_config *c, const char *key)
{
	int i = field_index(key);
	return i >= 0 && (c->read >> i & 1);
}

int train_config_known(const char *key) { return field_index(key) >= 0; }

void train_config_free(train_config *c)
{
	for (int i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	c->nowned = 0;
}

void train_config_optim(const train_config *c, optim *o)
{
	o->momentum = c->momentum;
	o->nesterov = c->nesterov;
	o->wd = c->wd;
	o->beta1 = c->beta1;
	o->beta2 = c->beta2;
	o->eps = c->eps;
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

opt *train_config_options(train_config *c, const opt *before, const opt *after)
{
	size_t nb = opt_count(before), na = opt_count(after), k;
	opt *t = xcalloc(nb + NFIELDS + na + 1, sizeof *t);
	memcpy(t, before, nb * sizeof *t);
	k = nb;
	for (int i = 0; i < NFIELDS; i++) {
		const config_field *f = &fields[i];
		if (!f->help)
			continue;
		static const opt_kind kinds[] = {[CF_DOUBLE] = OPT_FLOAT, [CF_LONG] = OPT_INT, [CF_FLAG] = OPT_FLAG,
						 [CF_STRING] = OPT_STRING};
		t[k++] = (opt){f->option, 0, f->parse ? OPT_CUSTOM : kinds[f->kind],
			       f->parse == betas_option ? (void *)c : (char *)c + f->offset, f->lo, f->hi,
			       .arg = f->arg, .help = f->help, .parse = f->parse};
	}
	memcpy(t + k, after, na * sizeof *t);
	return t;
}

void train_config_check(const char *where, const json *j)
{
	static const char types[] = {[CF_DOUBLE] = 'n', [CF_LONG] = 'i', [CF_FLAG] = 'i', [CF_STRING] = 's'};
	train_config dflt;
	train_config_defaults(&dflt);
	for (int i = 0; i < NFIELDS; i++) {
		const config_field *f = &fields[i];
		const json *v = json_get(j, f->key);
		const void *p = (const char *)&dflt + f->offset;
		double d = f->kind == CF_DOUBLE ? *(const double *)p
			   : f->kind == CF_LONG ? (double)*(const long *)p : f->kind == CF_FLAG ? *(const int *)p : 0;
		json_field jf = {f->key, types[f->kind], d < f->lo ? d : f->lo, f->hi};
		if (v)
			json_field_check(where, &jf, v);
	}
}
