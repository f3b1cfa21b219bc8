/* test_gradcheck: every layer's backward against central differences of the
   loss, Caffe style. Each case is a tiny network whose first layer is an
   identity 1x1 convolution (the probe: its output gradient is the gradient
   of the loss with respect to the network input) and whose output goes into
   softmax cross-entropy. The backend computes in float32; the loss is summed
   in double, the step actually taken is measured as float(v+h) - float(v-h),
   and a point where the step changes the sign of a relu input or the argmax
   of a max-pool window (a kink) is skipped; a tensor with more than half its
   points skipped fails, as its check would say nothing. */
#include "backend/backend.h"
#include "nn/layers.h"
#include "nn/net.h"
#include "nn/train.h"
#include "base/util.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

#define SEED 7
#define RTOL 1e-2      /* relative to the larger of the two gradients */
#define ATOL_REL 1e-3  /* absolute, relative to the largest gradient of the tensor */

typedef struct gcase {
	const char *name;
	const char *text;   /* description; layer 0 must be the probe "conv C 1 bias=0" */
	int n;              /* samples */
	float h;            /* step of the central difference */
	const float *class_w;
} gcase;

/* What one loss evaluation needs, in backend memory. */
typedef struct ctx {
	const backend *be;
	net *n;
	float *x;
	int count, spatial;
	int32_t *labels;
	float *class_w;
	double *stats;
	uint8_t *sig, *sig_now;   /* kink signatures: base point and latest */
	size_t nsig;
} ctx;

static float get1(const backend *be, const float *p)
{
	float v;
	be->download(&v, p, sizeof v);
	return v;
}

static void set1(const backend *be, float *p, float v) { be->upload(p, &v, sizeof v); }

/* Which relu inputs are positive and where every max-pool window's maximum
   is, after the last forward. Returns the size in bytes; sig may be NULL. */
static size_t signature(const ctx *c, uint8_t *sig)
{
	const net *n = c->n;
	size_t off = 0;
	for (int i = 0; i < n->nl; i++) {
		const layer *L = &n->l[i];
		size_t m = (size_t)c->count * L->oc * L->oh * L->ow;
		if (!strcmp(L->def->word, "relu") || !strcmp(L->def->word, "leakyrelu")) {
			if (sig) {
				float *y = xmalloc(m * sizeof *y);
				c->be->download(y, L->y, m * sizeof *y);
				for (size_t j = 0; j < m; j++)
					sig[off + j] = y[j] > 0;
				free(y);
			}
			off += m;
		} else if (!strcmp(L->def->word, "maxpool")) {
			if (sig)
				c->be->download(sig + off, L->aux, m * sizeof(int32_t));
			off += m * sizeof(int32_t);
		}
	}
	return off;
}

/* Mean (weighted) cross-entropy of the current parameters and input. */
static double eval_loss(ctx *c)
{
	const backend *be = c->be;
	net_forward(c->n, c->x, c->count, 1, SEED);
	be->zero(c->stats, STAT_N * sizeof(double));
	be->softmax_xent(c->count, c->n->nclass, c->spatial, net_output(c->n), c->labels, c->class_w, 0, NULL,
			 c->stats);
	double s[STAT_N];
	be->download(s, c->stats, sizeof s);
	return s[STAT_LOSS] / s[STAT_WEIGHT];
}

/* Central difference at *p; returns 1 when either step crossed a kink. */
static int central_diff(ctx *c, float *p, float h, double *g)
{
	const backend *be = c->be;
	float v = get1(be, p), vp = v + h, vm = v - h;
	int kink = 0;
	set1(be, p, vp);
	double lp = eval_loss(c);
	signature(c, c->sig_now);
	kink |= memcmp(c->sig, c->sig_now, c->nsig) != 0;
	set1(be, p, vm);
	double lm = eval_loss(c);
	signature(c, c->sig_now);
	kink |= memcmp(c->sig, c->sig_now, c->nsig) != 0;
	set1(be, p, v);
	*g = (lp - lm) / ((double)vp - (double)vm);
	return kink;
}

/* Compares the backward's gradient (host) of the count values at p
   (backend memory) with central differences; one result line. */
static void check_tensor(ctx *c, const char *name, float *p, const float *grad, size_t count, float h,
			 double rtol)
{
	double *fd = xmalloc(count * sizeof *fd);
	char *kink = xmalloc(count);
	double gmax = 0;
	size_t skipped = 0;
	for (size_t j = 0; j < count; j++) {
		kink[j] = (char)central_diff(c, p + j, h, &fd[j]);
		skipped += kink[j];
		if (!kink[j]) {
			double m = fmax(fabs(fd[j]), fabs(grad[j]));
			gmax = m > gmax ? m : gmax;
		}
	}
	double atol = ATOL_REL * gmax + 1e-7, worst = 0;
	long wj = -1;
	for (size_t j = 0; j < count; j++) {
		if (kink[j])
			continue;
		double e = fabs(grad[j] - fd[j]) / (atol + rtol * fmax(fabs(fd[j]), fabs(grad[j])));
		if (!(e <= worst)) {
			worst = e;
			wj = (long)j;
		}
	}
	if (skipped * 2 > count)
		FAIL("%s: %zu of %zu points at kinks; the check says nothing", name, skipped, count);
	else if (gmax == 0)
		FAIL("%s: every gradient is zero; the check says nothing", name);
	else if (worst <= 1)
		PASS("%s (%zu points, %zu at kinks skipped, max |g| %.3g, worst %.2f of tolerance)", name,
		     count - skipped, skipped, gmax, worst);
	else
		FAIL("%s: element %ld: backward %.7g, central difference %.7g", name, wj, grad[wj], fd[wj]);
	free(fd);
	free(kink);
}

static void fill_uniform(rng *r, float *v, size_t n, float lo, float hi)
{
	for (size_t i = 0; i < n; i++)
		v[i] = rng_uniform_range(r, lo, hi);
}

static void run_case(const gcase *gc, const backend *be)
{
	net *n = net_parse(gc->text, gc->name);
	net_init(n, be, SEED);
	net_set_batch(n, gc->n);
	const layer *P = &n->l[0];
	if (strcmp(P->def->word, "conv") || P->k != 1 || P->has_bias || P->oc != P->c)
		fatal("%s: layer 0 must be the probe 'conv C 1 bias=0'", gc->name);
	/* the probe is the identity, so its output gradient is the input's */
	float *eye = xcalloc((size_t)P->c * P->c, sizeof *eye);
	for (int i = 0; i < P->c; i++)
		eye[i * P->c + i] = 1;
	net_state_set(n, net_find_state(n, "0.weight"), eye);
	free(eye);

	ctx c = {.be = be, .n = n, .count = gc->n, .spatial = net_spatial(n)};
	rng r;
	rng_seed(&r, SEED, 1);
	size_t xn = (size_t)gc->n * n->in_c * n->in_h * n->in_w;
	float *hx = xmalloc(xn * sizeof *hx);
	fill_uniform(&r, hx, xn, -1, 1);
	c.x = be->alloc(xn * sizeof *hx, "x");
	be->upload(c.x, hx, xn * sizeof *hx);
	size_t ny = (size_t)gc->n * c.spatial;
	int32_t *hy = xmalloc(ny * sizeof *hy);
	for (size_t i = 0; i < ny; i++)
		hy[i] = (int32_t)rng_below(&r, n->nclass);
	c.labels = be->alloc(ny * sizeof *hy, "labels");
	be->upload(c.labels, hy, ny * sizeof *hy);
	if (gc->class_w) {
		c.class_w = be->alloc(n->nclass * sizeof(float), "class weights");
		be->upload(c.class_w, gc->class_w, n->nclass * sizeof(float));
	}
	c.stats = be->alloc(STAT_N * sizeof(double), "stats");

	/* the backward at the base point: nn-train's step without the optimiser */
	trainer t;
	trainer_init(&t, n, NULL, c.class_w, gc->n);
	trainer_gradients(&t, c.x, c.labels, gc->n, SEED);
	trainer_release(&t);
	float *grads = xmalloc((n->nparams + 1) * sizeof *grads);
	be->download(grads, n->grads, n->nparams * sizeof *grads);
	float *dx = xmalloc(xn * sizeof *dx);
	be->download(dx, P->dy, xn * sizeof *dx);
	c.nsig = signature(&c, NULL);
	c.sig = xmalloc(c.nsig + 1);
	c.sig_now = xmalloc(c.nsig + 1);
	signature(&c, c.sig);

	char name[160];
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		if (!e->trainable)
			continue;
		snprintf(name, sizeof name, "gradcheck %s: %s", gc->name, e->name);
		/* a step in the probe scales a whole channel, and with it every
		   kink downstream: a tenth of the step crosses few */
		float h = e->layer == 0 ? gc->h / 10 : gc->h;
		check_tensor(&c, name, n->params + e->offset, grads + e->offset, e->count, h, RTOL);
	}
	snprintf(name, sizeof name, "gradcheck %s: input", gc->name);
	check_tensor(&c, name, c.x, dx, xn, gc->h, RTOL);

	be->free(c.x);
	be->free(c.labels);
	if (c.class_w)
		be->free(c.class_w);
	be->free(c.stats);
	free(hx), free(hy), free(grads), free(dx), free(c.sig), free(c.sig_now);
	net_free(n);
}

/* The loss alone: softmax cross-entropy of logits [n,k,s] against central
   differences in each logit. */
static void check_loss(const char *name, int n, int k, int s, const float *class_w, float smooth,
		       const backend *be)
{
	rng r;
	rng_seed(&r, SEED, 2);
	size_t m = (size_t)n * k * s;
	float *z = xmalloc(m * sizeof *z), *g = xmalloc(m * sizeof *g);
	fill_uniform(&r, z, m, -3, 3);
	int32_t *y = xmalloc((size_t)n * s * sizeof *y);
	for (int i = 0; i < n * s; i++)
		y[i] = (int32_t)rng_below(&r, k);
	float *dz = be->alloc(m * sizeof *z, "logits"), *dg = be->alloc(m * sizeof *z, "dlogits");
	int32_t *dy = be->alloc((size_t)n * s * sizeof *y, "labels");
	float *dw = NULL;
	be->upload(dz, z, m * sizeof *z);
	be->upload(dy, y, (size_t)n * s * sizeof *y);
	if (class_w) {
		dw = be->alloc(k * sizeof(float), "class weights");
		be->upload(dw, class_w, k * sizeof(float));
	}
	double *stats = be->alloc(STAT_N * sizeof(double), "stats"), st[STAT_N];
	be->zero(stats, STAT_N * sizeof(double));
	be->softmax_xent(n, k, s, dz, dy, dw, smooth, dg, stats);
	be->download(g, dg, m * sizeof *g);
	double gmax = 0, worst = 0;
	long wj = 0;
	double *fd = xmalloc(m * sizeof *fd);
	for (size_t j = 0; j < m; j++) {
		double l[2];
		float v[2] = {z[j] + 1e-3f, z[j] - 1e-3f};
		for (int t = 0; t < 2; t++) {
			set1(be, dz + j, v[t]);
			be->zero(stats, STAT_N * sizeof(double));
			be->softmax_xent(n, k, s, dz, dy, dw, smooth, NULL, stats);
			be->download(st, stats, sizeof st);
			l[t] = st[STAT_LOSS] / st[STAT_WEIGHT];
		}
		set1(be, dz + j, z[j]);
		fd[j] = (l[0] - l[1]) / ((double)v[0] - v[1]);
		gmax = fmax(gmax, fmax(fabs(fd[j]), fabs(g[j])));
	}
	for (size_t j = 0; j < m; j++) {
		double e = fabs(g[j] - fd[j]) / (ATOL_REL * gmax + 1e-3 * fmax(fabs(fd[j]), fabs(g[j])));
		if (!(e <= worst))
			worst = e, wj = (long)j;
	}
	if (worst <= 1)
		PASS("gradcheck %s (%zu logits, worst %.2f of tolerance)", name, m, worst);
	else
		FAIL("gradcheck %s: logit %ld: gradient %.7g, central difference %.7g", name, wj, g[wj], fd[wj]);
	be->free(dz), be->free(dg), be->free(dy), be->free(stats);
	if (dw)
		be->free(dw);
	free(z), free(g), free(y), free(fd);
}

/* Backward accumulates: two backward passes without zeroing give twice the
   gradient of one (the trainer relies on zeroing once per step). */
static void check_accumulate(const backend *be)
{
	const char *text = "input 2 4 6\nconv 2 1 bias=0 label=a\nconv 3 3 pad=1\nbatchnorm\nrelu\n"
			   "maxpool 2\nupsample 2\nconv 2 1\nadd a\nflatten\nlinear 4\n";
	net *n = net_parse(text, "accumulate");
	net_init(n, be, SEED);
	net_set_batch(n, 3);
	rng r;
	rng_seed(&r, SEED, 3);
	float hx[3 * 2 * 4 * 6];
	size_t xn = sizeof hx / sizeof *hx;
	fill_uniform(&r, hx, xn, -1, 1);
	int32_t hy[3] = {0, 3, 1};
	float *x = be->alloc(sizeof hx, "x");
	int32_t *y = be->alloc(sizeof hy, "y");
	be->upload(x, hx, sizeof hx);
	be->upload(y, hy, sizeof hy);
	float *once = xmalloc(n->nparams * sizeof *once), *twice = xmalloc(n->nparams * sizeof *twice);
	trainer t;
	trainer_init(&t, n, NULL, NULL, 3);
	trainer_gradients(&t, x, y, 3, SEED);
	be->download(once, n->grads, n->nparams * sizeof *once);
	net_backward(n, t.dlogits);
	be->download(twice, n->grads, n->nparams * sizeof *twice);
	for (size_t j = 0; j < n->nparams; j++)
		once[j] *= 2;
	CHECK_CLOSE("gradcheck accumulate: two backward passes give twice the gradient", twice, once,
		    (long)n->nparams, 1e-7, 1e-5);
	trainer_release(&t);
	be->free(x), be->free(y);
	free(once), free(twice);
	net_free(n);
}

static const float cw4[] = {0.5f, 2.0f, 1.0f, 3.0f};
static const float cw3[] = {1.0f, 0.25f, 4.0f};
static const float cw5[] = {0.5f, 1.0f, 3.0f, 1.5f, 2.0f};

/* Every case starts with the probe and ends in a small random projection
   (a trainable 1x1 convolution or linear layer) into the classes, so the
   loss depends on every output of the layer under test. */
static const gcase cases[] = {
	{"conv 3x3 pad 1", "input 2 5 4\nconv 2 1 bias=0\nconv 3 3 pad=1\nconv 4 1\n", 3, 1e-2f, NULL},
	{"conv 3x3 stride 2 pad 1", "input 2 7 6\nconv 2 1 bias=0\nconv 3 3 stride=2 pad=1\nconv 4 1\n", 3, 1e-2f, NULL},
	{"conv 1x1", "input 3 4 5\nconv 3 1 bias=0\nconv 2 1\nconv 4 1\n", 2, 1e-2f, NULL},
	{"conv 1x1 stride 2", "input 2 5 4\nconv 2 1 bias=0\nconv 3 1 stride=2\nconv 4 1\n", 3, 1e-2f, NULL},
	{"conv 3x3 no bias", "input 2 5 6\nconv 2 1 bias=0\nconv 3 3 bias=0\nconv 4 1\n", 3, 1e-2f, NULL},
	{"conv 5x5 pad 2", "input 2 6 5\nconv 2 1 bias=0\nconv 3 5 pad=2\nconv 4 1\n", 3, 1e-2f, NULL},
	{"conv 5x5 pad 2 stride 3", "input 2 8 7\nconv 2 1 bias=0\nconv 2 5 pad=2 stride=3\nconv 4 1\n", 3, 1e-2f, NULL},
	{"linear", "input 2 4 5\nconv 2 1 bias=0\nflatten\nlinear 6\nlinear 4\n", 3, 1e-2f, NULL},
	{"linear no bias", "input 2 4 5\nconv 2 1 bias=0\nflatten\nlinear 6 bias=0\nlinear 4\n", 3, 1e-2f, NULL},
	{"relu", "input 2 4 5\nconv 2 1 bias=0\nrelu\nconv 4 1\n", 3, 1e-3f, NULL},
	{"maxpool 2", "input 2 6 4\nconv 2 1 bias=0\nmaxpool 2\nconv 4 1\n", 3, 1e-3f, NULL},
	{"maxpool 3 stride 2", "input 2 7 5\nconv 2 1 bias=0\nmaxpool 3 stride=2\nconv 4 1\n", 3, 1e-3f, NULL},
	{"batchnorm train", "input 3 4 5\nconv 3 1 bias=0\nbatchnorm\nconv 4 1\n", 2, 1e-2f, NULL},
	{"conv batchnorm relu", "input 2 5 4\nconv 2 1 bias=0\nconv 3 3 pad=1 bias=0\nbatchnorm\nrelu\nconv 4 1\n", 3, 1e-3f, NULL},
	{"convt 3x3 stride 2 pad 1 outpad 1", "input 3 4 5\nconv 3 1 bias=0\nconvt 3 3 stride=2 pad=1 outpad=1\nconv 4 1\n",
	 2, 1e-2f, NULL},
	{"convt 2x2 stride 2 no bias", "input 3 4 5\nconv 3 1 bias=0\nconvt 3 2 stride=2 bias=0\nconv 4 1\n", 2, 1e-2f, NULL},
	{"convt 3x3 pad 2", "input 3 4 5\nconv 3 1 bias=0\nconvt 2 3 pad=2\nconv 4 1\n", 2, 1e-2f, NULL},
	{"convt 1x1", "input 3 4 5\nconv 3 1 bias=0\nconvt 3 1\nconv 4 1\n", 2, 1e-2f, NULL},
	{"leakyrelu", "input 2 4 5\nconv 2 1 bias=0\nleakyrelu\nconv 4 1\n", 3, 1e-3f, NULL},
	{"leakyrelu 0.3", "input 2 4 5\nconv 2 1 bias=0\nleakyrelu 0.3\nconv 4 1\n", 3, 1e-3f, NULL},
	{"avgpool 2", "input 2 6 4\nconv 2 1 bias=0\navgpool 2\nconv 4 1\n", 3, 1e-2f, NULL},
	{"avgpool 3 stride 2", "input 2 7 6\nconv 2 1 bias=0\navgpool 3 stride=2\nconv 4 1\n", 3, 1e-2f, NULL},
	{"avgpool global", "input 2 3 5\nconv 2 1 bias=0\navgpool global\nflatten\nlinear 4\n", 4, 1e-2f, NULL},
	{"upsample 2", "input 2 3 5\nconv 2 1 bias=0\nupsample 2\nconv 4 1\n", 4, 1e-2f, NULL},
	{"upsample 3", "input 3 2 5\nconv 3 1 bias=0\nupsample 3\nconv 4 1\n", 4, 1e-2f, NULL},
	{"dropout 0.5", "input 2 4 5\nconv 2 1 bias=0\ndropout 0.5\nconv 4 1\n", 3, 1e-2f, NULL},
	{"concat", "input 2 4 5\nconv 2 1 bias=0 label=a\nconv 3 3 pad=1\nconcat a\nconv 4 1\n", 3, 1e-2f, NULL},
	{"add", "input 2 4 5\nconv 2 1 bias=0 label=a\nconv 2 3 pad=1\nadd a\nconv 4 1\n", 3, 1e-2f, NULL},
	/* fan-out: a layer's input gradient must add to what the other consumer left */
	{"add after conv 1x1", "input 2 4 5\nconv 2 1 bias=0 label=a\nconv 2 1\nadd a\nconv 4 1\n", 3, 1e-2f, NULL},
	{"add after linear", "input 2 4 5\nconv 2 1 bias=0\nflatten label=f\nlinear 40\nadd f\nlinear 4\n", 3, 1e-2f, NULL},
	{"fan-out through batchnorm, relu, dropout, add, concat",
	 "input 2 4 5\nconv 2 1 bias=0 label=a\nbatchnorm label=b\nrelu label=c\ndropout 0.3\nadd c\nconcat c\n"
	 "concat b\nconcat a\nconv 4 1\n", 3, 1e-3f, NULL},
	{"fan-out through upsample", "input 2 4 5\nconv 2 1 bias=0 label=a\nupsample 2\nmaxpool 2\nadd a\nconv 4 1\n",
	 3, 1e-3f, NULL},
	{"flatten", "input 2 4 6\nconv 2 1 bias=0\nmaxpool 2\nflatten\nlinear 4\n", 3, 1e-3f, NULL},
	/* relus in place (the ones whose input nothing else reads), relu after
	   relu, and gradients sharing memory along a chain while a skip's
	   gradient lives across it */
	{"relus in place around a skip", "input 2 5 4\nconv 2 1 bias=0 label=a\nrelu\nconv 3 3 pad=1\nrelu\nrelu\n"
	 "conv 2 3 pad=1\nrelu\nadd a\nconv 4 1\n", 3, 1e-3f, NULL},
	{"relu read by a concat", "input 2 4 5\nconv 2 1 bias=0\nconv 3 3 pad=1\nrelu label=r\nrelu\nconv 3 1\n"
	 "relu\nconcat r\nconv 4 1\n", 3, 1e-3f, NULL},
	{"class weights [N,K]", "input 2 3 5\nconv 2 1 bias=0\nflatten\nlinear 4\n", 4, 1e-2f, cw4},
	{"class weights [N,K,H,W]", "input 2 4 5\nconv 2 1 bias=0\nconv 3 3 pad=1\n", 3, 1e-2f, cw3},
	/* the course networks, narrow and small */
	{"fashion-mnist network", "input 1 8 6\nconv 1 1 bias=0\nconv 3 3 pad=1\nrelu\nmaxpool 2\nconv 3 3 pad=1\n"
	 "relu\nmaxpool 2\nflatten\nlinear 6\nrelu\nlinear 10\n", 2, 2e-3f, NULL},
	{"facade network", "input 3 8 4\nconv 3 1 bias=0\nconv 4 5 pad=2 bias=0\nbatchnorm\nrelu\nmaxpool 2\n"
	 "conv 4 5 pad=2 bias=0\nbatchnorm\nrelu\nupsample 2\nconv 5 5 pad=2\n", 2, 2e-3f, cw5},
};

/* The cases with stride-1 3x3 and 5x5 convolutions again, by Winograd's
   route (backend_conv): its gradients must be those of its own forward.
   Its rounding error, 10 to 20 times the GEMM route's (bench/winograd.md),
   is noise in a central difference divided by the step, so the step is at
   least 3e-3 (tests/test_conv.c checks the gradients themselves against
   sums in double). The course networks are left out: at that step, their
   relus and max-pools put most of the probe's points at kinks. */
static void run_winograd(const backend *be)
{
	static const char *const names[] = {"conv 3x3 pad 1", "conv 3x3 no bias", "conv batchnorm relu",
					    "conv 5x5 pad 2"};
	backend_conv = "winograd";
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		for (size_t j = 0; j < sizeof names / sizeof *names; j++)
			if (!strcmp(cases[i].name, names[j])) {
				char name[128];
				gcase c = cases[i];
				snprintf(name, sizeof name, "%s (winograd)", c.name);
				c.name = name;
				c.h = c.h > 3e-3f ? c.h : 3e-3f;
				run_case(&c, be);
			}
	backend_conv = "auto";
}

int main(void)
{
	nn_prog = "test_gradcheck";
	const backend *be = &backend_cpu;
	be->set_threads(1);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		run_case(&cases[i], be);
	run_winograd(be);
	check_loss("softmax xent [N,K]", 4, 5, 1, NULL, 0, be);
	check_loss("softmax xent [N,K] class weights", 4, 4, 1, cw4, 0, be);
	check_loss("softmax xent [N,K,H,W]", 2, 3, 6, NULL, 0, be);
	check_loss("softmax xent [N,K,H,W] class weights", 2, 3, 6, cw3, 0, be);
	check_loss("softmax xent [N,K] label smoothing 0.1", 4, 5, 1, NULL, 0.1f, be);
	check_loss("softmax xent [N,K] class weights, label smoothing 0.3", 4, 4, 1, cw4, 0.3f, be);
	check_loss("softmax xent [N,K,H,W] class weights, label smoothing 0.2", 2, 3, 6, cw3, 0.2f, be);
	check_accumulate(be);
	return check_failures ? 1 : 0;
}
