/* train.c: the training configuration, augmentation, input statistics,
   epoch order, the training step and evaluation. */
#include "nn/train.h"
#include "nn/metrics.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- the configuration ---- */

typedef enum { CF_DOUBLE, CF_LONG, CF_FLAG, CF_STRING } config_kind;

/* One field of the configuration: its JSON key, the nn-train option that
   sets it (NULL: none, it records the data), and where it lives. */
typedef struct config_field {
	const char *key, *option;
	config_kind kind;
	size_t offset;
} config_field;

#define FIELD(key, option, kind, member) {key, option, kind, offsetof(train_config, member)}
static const config_field fields[] = {
	FIELD("opt", "opt", CF_STRING, opt),
	FIELD("lr", "lr", CF_DOUBLE, lr),
	FIELD("momentum", "momentum", CF_DOUBLE, momentum),
	FIELD("nesterov", "nesterov", CF_FLAG, nesterov),
	FIELD("wd", "wd", CF_DOUBLE, wd),
	FIELD("beta1", "betas", CF_DOUBLE, beta1),
	FIELD("beta2", "betas", CF_DOUBLE, beta2),
	FIELD("eps", "eps", CF_DOUBLE, eps),
	FIELD("batch", "batch", CF_LONG, batch),
	FIELD("epochs", "epochs", CF_LONG, epochs),
	FIELD("seed", "seed", CF_LONG, seed),
	FIELD("sched", "sched", CF_STRING, sched),
	FIELD("warmup", "warmup", CF_LONG, warmup),
	FIELD("class_weights", "class-weights", CF_STRING, class_weights),
	FIELD("augment", "augment", CF_STRING, augment),
	FIELD("normalize", "normalize", CF_STRING, normalize),
	FIELD("log_every", "log-every", CF_LONG, log_every),
	FIELD("val_every", "val-every", CF_LONG, val_every),
	FIELD("checkpoint_every", "checkpoint-every", CF_LONG, ckpt_every),
	FIELD("keep_best", "keep-best", CF_FLAG, keep_best),
	FIELD("early_stop", "early-stop", CF_LONG, early_stop),
	FIELD("train_samples", NULL, CF_LONG, train_samples),
	FIELD("train_fingerprint", NULL, CF_STRING, train_fingerprint),
	FIELD("ranks", NULL, CF_LONG, ranks),
	FIELD("sync_bn", "sync-bn", CF_FLAG, sync_bn),
};
#undef FIELD
enum { NFIELDS = sizeof fields / sizeof *fields };

void train_config_defaults(train_config *c)
{
	*c = (train_config){.opt = "adam", .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .batch = 64,
			    .epochs = 3, .seed = 1, .log_every = 100, .sched = "const", .augment = "none",
			    .class_weights = "", .normalize = "data", .ranks = 1, .train_fingerprint = ""};
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

float *class_weights_parse(const char *spec, int nclass, char *why, size_t why_size)
{
	int count = 1;
	for (const char *p = spec; *p; p++)
		count += *p == ',';
	float *w = xmalloc(count * sizeof *w), sum = 0;
	int k = parse_float_list(spec, w, count);
	if (k != nclass) {
		snprintf(why, why_size, "%d weights for %d classes", k < 0 ? 0 : k, nclass);
		free(w);
		return NULL;
	}
	for (int i = 0; i < k; i++) {
		if (!(w[i] >= 0) || !isfinite(w[i])) {
			snprintf(why, why_size, "weights must be finite and not negative");
			free(w);
			return NULL;
		}
		sum += w[i];
	}
	/* the loss is a weighted mean: no weight at all is 0/0 */
	if (!(sum > 0)) {
		snprintf(why, why_size, "at least one must be positive");
		free(w);
		return NULL;
	}
	return w;
}

/* ---- the data ---- */

int augment_parse(const char *s, augment *a)
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

/* Transforms for the count samples of one step, drawn from (seed, step). */
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

void data_stats(const tensor *x, float *mean, float *std)
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

void train_model_info(model_info *info, const dataset *train, const char *normalize)
{
	int channels = (int)train->x->shape[1];
	info->nchan = channels;
	if (!strcmp(normalize, "data")) {
		data_stats(train->x, info->mean, info->std);
	} else {
		for (int ch = 0; ch < channels; ch++)
			info->mean[ch] = 0, info->std[ch] = 1;
	}
	if (train->names) {
		info->nclass = train->nclass;
		info->names = xcalloc(train->nclass, sizeof *info->names);
		for (int k = 0; k < train->nclass; k++)
			info->names[k] = xstrdup(train->names[k]);
	}
}

void epoch_order(devdata *dd, const augment *a, uint64_t seed, int epoch, int batch, int32_t *perm,
		 sample_xform *xf)
{
	long samples = dd->n, steps_per_epoch = (samples + batch - 1) / batch;
	rng g;
	rng_seed(&g, seed, 0x5eed0000ULL + epoch);
	for (long i = 0; i < samples; i++)
		perm[i] = (int32_t)i;
	rng_shuffle(&g, (int *)perm, (int)samples);
	int augmented = a->flip || a->crop < 1;
	for (long s = 0; augmented && s < steps_per_epoch; s++) {
		long at = s * batch;
		draw_xforms(a, seed, (long)epoch * steps_per_epoch + s,
			    (int)(samples - at < batch ? samples - at : batch), dd->h, dd->w, xf + at);
	}
	devdata_set_order(dd, perm, augmented ? xf : NULL);
}

/* ---- the step ---- */

void trainer_init(trainer *t, net *n, optim *o, const float *class_w, int batch)
{
	const backend *be = n->be;
	*t = (trainer){.n = n, .o = o, .class_w = class_w};
	t->dlogits = be->alloc((size_t)batch * net_output_size(n) * sizeof(float), "loss gradient");
	t->stats = be->alloc(STAT_N * sizeof(double), "loss statistics");
	trainer_reset(t);
}

void trainer_gradients(trainer *t, const float *x, const int32_t *y, int count, uint64_t seed)
{
	net *n = t->n;
	const backend *be = n->be;
	net_zero_grad(n);
	net_forward(n, x, count, 1, seed);
	be->softmax_xent(count, n->nclass, net_spatial(n), net_output(n), y, t->class_w, t->dlogits, t->stats);
	if (t->after_loss)
		t->after_loss(t, count, t->ctx);
	net_backward(n, t->dlogits);
	if (t->sum_gradients)
		t->sum_gradients(t, t->ctx);
}

void trainer_step(trainer *t, const float *x, const int32_t *y, int count, float lr, uint64_t seed)
{
	trainer_gradients(t, x, y, count, seed);
	optim_step(t->o, t->n, lr);
}

double trainer_sums(const trainer *t, double sums[STAT_N])
{
	t->n->be->download(sums, t->stats, STAT_N * sizeof(double));
	return sums[STAT_LOSS] / sums[STAT_WEIGHT];
}

void trainer_reset(trainer *t) { t->n->be->zero(t->stats, STAT_N * sizeof(double)); }

void trainer_release(trainer *t)
{
	const backend *be = t->n->be;
	be->free(t->dlogits);
	be->free(t->stats);
}

void train_check_finite(const net *n, long step)
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

/* ---- evaluation ---- */

void evaluate_sums(net *n, devdata *dd, const float *class_w, long start, long end, double sums[STAT_N],
		   double *map)
{
	const backend *be = n->be;
	double *stats = be->alloc(STAT_N * sizeof(double), "loss statistics");
	be->zero(stats, STAT_N * sizeof(double));
	int spatial = net_spatial(n), k = n->nclass;
	size_t per = (size_t)k * spatial;
	long total = end - start;
	float *probs = NULL, *p = NULL;
	int32_t *y = NULL;
	if (map) {
		probs = be->alloc((size_t)dd->cap * per * sizeof(float), "probabilities");
		p = xmalloc(total * per * sizeof *p);
		y = xmalloc(total * (size_t)spatial * sizeof *y);
	}
	for (long s = start; s < end; s += dd->cap) {
		int count = end - s < dd->cap ? (int)(end - s) : dd->cap;
		devdata_gather(dd, s, count);
		net_forward(n, dd->xb, count, 0, 0);
		be->softmax_xent(count, k, spatial, net_output(n), dd->yb, class_w, NULL, stats);
		if (map) {
			be->softmax(count, k, spatial, net_output(n), probs);
			be->download(p + (s - start) * per, probs, count * per * sizeof *p);
			be->download(y + (s - start) * spatial, dd->yb, (size_t)count * spatial * sizeof *y);
		}
	}
	be->download(sums, stats, STAT_N * sizeof(double));
	be->free(stats);
	if (map) {
		double *ap = xmalloc(k * sizeof *ap), sum = 0;
		int defined = 0;
		metrics_average_precision_all(p, y, total, k, spatial, ap);
		for (int c = 0; c < k; c++)
			if (!isnan(ap[c]))
				sum += ap[c], defined++;
		*map = defined ? sum / defined : NAN;
		free(ap);
		free(p);
		free(y);
		be->free(probs);
	}
}

void evaluate(net *n, devdata *dd, const float *class_w, double *loss, double *acc, double *map)
{
	double sums[STAT_N];
	evaluate_sums(n, dd, class_w, 0, dd->n, sums, map);
	*loss = sums[STAT_WEIGHT] > 0 ? sums[STAT_LOSS] / sums[STAT_WEIGHT] : 0;
	*acc = sums[STAT_COUNT] > 0 ? sums[STAT_CORRECT] / sums[STAT_COUNT] : 0;
}
