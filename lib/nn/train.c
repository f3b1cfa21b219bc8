/* train.c: augmentation, input statistics, epoch order, the training step,
   the training loop's state and evaluation. */
#include "nn/train.h"
#include "nn/metrics.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the settings ---- */

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
	*a = (augment){0, 1, 0, 0};
	if (!strcmp(s, "none") || !*s)
		return 1;
	char *copy = xstrdup(s), *save = NULL;
	int ok = 1;
	for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		double v;
		long p;
		if (!strcmp(t, "flip"))
			a->flip = 1;
		else if (!strncmp(t, "crop=", 5) && parse_float(t + 5, &v) && v > 0 && v <= 1)
			a->crop = v;
		else if (!strncmp(t, "shift=", 6) && parse_int(t + 6, &p) && p >= 1 && p <= INT_MAX)
			a->shift = (int)p;
		else if (!strncmp(t, "erase=", 6) && parse_float(t + 6, &v) && v > 0 && v <= 1)
			a->erase = v;
		else
			ok = 0;
	}
	free(copy);
	return ok;
}

int augment_any(const augment *a)
{
	return a->flip || a->crop < 1 || a->shift > 0 || a->erase > 0;
}

/* torchvision's RandomErasing.get_params for an h x w image, scale (0.02,
   0.33), ratio (0.3, 3.3): up to 10 tries at a rectangle that fits, else
   none (t->ew stays 0). */
static void draw_erase(rng *r, int h, int w, sample_xform *t)
{
	const double lo = log(0.3), hi = log(3.3);
	for (int k = 0; k < 10; k++) {
		double area = (double)h * w * (0.02 + (0.33 - 0.02) * rng_uniform(r));
		double ratio = exp(lo + (hi - lo) * rng_uniform(r));
		long eh = lrint(sqrt(area * ratio)), ew = lrint(sqrt(area / ratio));
		if (!(eh < h && ew < w))
			continue;
		t->ey = (int)rng_below(r, (uint32_t)(h - eh + 1));
		t->ex = (int)rng_below(r, (uint32_t)(w - ew + 1));
		t->eh = (int)eh;
		t->ew = (int)ew;
		return;
	}
}

void augment_draw(const augment *a, uint64_t seed, long step, int count, int h, int w, sample_xform *xf)
{
	rng r;
	rng_seed(&r, seed, 0xa5000000000ULL + step);
	for (int i = 0; i < count; i++) {
		sample_xform t = {0, 0, 0, (float)w, (float)h, 0, 0, 0, 0};
		if (a->flip)
			t.flip = rng_uniform(&r) < 0.5;
		if (a->crop < 1) {
			float s = rng_uniform_range(&r, a->crop, 1);
			t.sw = s * w;
			t.sh = s * h;
			t.x0 = rng_uniform_range(&r, 0, w - t.sw);
			t.y0 = rng_uniform_range(&r, 0, h - t.sh);
		}
		if (a->shift > 0) {
			/* whole output pixels: the crop window moves by as many of
			   its own pixels */
			int span = 2 * a->shift + 1;
			int dx = (int)rng_below(&r, span) - a->shift, dy = (int)rng_below(&r, span) - a->shift;
			t.x0 += dx * t.sw / w;
			t.y0 += dy * t.sh / h;
		}
		if (a->erase > 0 && rng_uniform(&r) < a->erase)
			draw_erase(&r, h, w, &t);
		xf[i] = t;
	}
}

const char *train_settings(const train_config *c, int nclass, int side, sched *s, augment *a, float **class_w,
			   char *why, size_t why_size)
{
	*class_w = NULL;
	if (!sched_parse(c->sched, s)) {
		snprintf(why, why_size, "bad schedule '%s' (const, step:EPOCHS[:GAMMA], cosine[:MIN_LR])", c->sched);
		return "sched";
	}
	s->warmup = c->warmup;
	if (!augment_parse(c->augment, a)) {
		snprintf(why, why_size, "bad spec '%s' (none, flip, crop=S, shift=P, erase=P)", c->augment);
		return "augment";
	}
	if (a->shift >= side) {
		snprintf(why, why_size, "bad spec '%s' (shift=%d is not less than the image side, %d)", c->augment,
			 a->shift, side);
		return "augment";
	}
	if (c->class_weights[0] && !(*class_w = class_weights_parse(c->class_weights, nclass, why, why_size)))
		return "class-weights";
	return NULL;
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
	int augmented = augment_any(a);
	for (long s = 0; augmented && s < steps_per_epoch; s++) {
		long at = s * batch;
		augment_draw(a, seed, (long)epoch * steps_per_epoch + s,
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
	be->softmax_xent(count, n->nclass, net_spatial(n), net_output(n), y, t->class_w, t->smooth,
			 t->dlogits, t->stats);
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

int trainer_loss_finite(const trainer *t)
{
	double sums[STAT_N];
	trainer_sums(t, sums);
	return isfinite(sums[STAT_LOSS]);
}

void trainer_reset(trainer *t) { t->n->be->zero(t->stats, STAT_N * sizeof(double)); }

void trainer_release(trainer *t)
{
	const backend *be = t->n->be;
	be->free(t->dlogits);
	be->free(t->stats);
}

/* ---- the loop ---- */

void batch_share(long count, int rank, int ranks, long *lo, long *hi)
{
	*lo = count * rank / ranks;
	*hi = count * (rank + 1) / ranks;
}

int train_loop_plan(train_loop *l, const train_config *c, long samples, int rank, int ranks)
{
	*l = (train_loop){.seed = (uint64_t)c->seed, .base_lr = (float)c->lr, .lr = (float)c->lr,
			  .smooth = (float)c->label_smoothing, .samples = samples, .rank = rank, .ranks = ranks, .epoch = -1};
	l->batch = c->batch < samples ? (int)c->batch : (int)samples;
	l->steps_per_epoch = (samples + l->batch - 1) / l->batch;
	l->total = l->steps_per_epoch * c->epochs;
	return (l->batch + ranks - 1) / ranks;
}

void train_loop_start(train_loop *l, net *n, optim *o, const float *class_w, devdata *data, const augment *a,
		      const sched *s)
{
	trainer_init(&l->t, n, o, class_w, l->batch);
	l->t.smooth = l->smooth;
	l->data = data;
	l->aug = *a;
	l->schedule = *s;
	l->perm = xmalloc(l->samples * sizeof *l->perm);
	l->xf = xmalloc(l->samples * sizeof *l->xf);
}

int train_loop_step(train_loop *l)
{
	int epoch = (int)(l->step / l->steps_per_epoch);
	long at = l->step % l->steps_per_epoch * l->batch;   /* the batch's first position */
	if (epoch != l->epoch) {
		epoch_order(l->data, &l->aug, l->seed, epoch, l->batch, l->perm, l->xf);
		l->epoch = epoch;
	}
	int count = (int)(l->samples - at < l->batch ? l->samples - at : l->batch);
	long lo, hi;
	batch_share(count, l->rank, l->ranks, &lo, &hi);
	devdata_gather(l->data, at + lo, (int)(hi - lo));
	l->lr = sched_lr(&l->schedule, l->base_lr, l->step, epoch, l->total);
	/* dropout draws per rank; rank 0 draws what one process draws */
	trainer_step(&l->t, l->data->xb, l->data->yb, (int)(hi - lo), l->lr,
		     l->seed * 0x100000001b3ULL + l->step + ((uint64_t)l->rank << 40));
	l->step++;
	l->seen += count;
	return epoch;
}

void train_loop_release(train_loop *l)
{
	free(l->perm);
	free(l->xf);
	trainer_release(&l->t);
}

int best_score_update(best_score *b, double score, long step, long patience)
{
	if (b->step < 0 || score > b->score || (isnan(b->score) && !isnan(score))) {
		b->score = score;
		b->step = step;
		b->stale = 0;
		return 1;
	}
	if (++b->stale >= patience && patience) {
		b->stopped = 1;
		return -1;
	}
	return 0;
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
		be->softmax_xent(count, k, spatial, net_output(n), dd->yb, class_w, 0, NULL, stats);
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
