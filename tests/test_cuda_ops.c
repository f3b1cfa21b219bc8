/* test_cuda_ops: every op of the CUDA backend against the CPU backend on
   random inputs (odd sizes, strides, padding, k=1 and k=5), forward and
   backward, one "op(params)" line per case with the largest error normalised
   by the reference's largest magnitude; then a few training steps of small
   networks and 20 of the course net and of the small U-Net (examples/) on
   both backends (losses must agree) and a save/resume on CUDA
   that must continue the same. The CUDA backend is the one the tools load
   (libnnpipe-cuda.so, found through ../lib/nnpipe from build/tests/).
   Without it or without a CUDA device the program runs itself again on the
   same CUDA sources under the CPU emulation (kernels/emu/,
   build/emu/libnnpipe-cuda-emu.so), and every line it prints says so;
   without that too every group is reported as skipped. */
#include "backend/backend.h"
#include "nn/model.h"
#include "nn/net.h"
#include "nn/optim.h"
#include "base/util.h"
#include "emulated.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *groups[] = {"gather", "conv", "linear", "elementwise", "pool", "batchnorm",
			       "upsample", "concat", "loss", "optim", "training", "resume"};

static int skip_all(const char *why)
{
	for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
		printf("SKIP: cuda %s: NOT TESTABLE: %s\n", groups[i], why);
	return 0;
}

/* "emulated: " before every result line when the device is the emulation;
   its failures name the device, whose name carries the emulation's seed */
static const char *label = "", *device = "";

static const backend *C = &backend_cpu, *G;
static int failures;
static rng R;

/* ---- buffers held on both backends ---- */

typedef struct buf {
	size_t bytes;
	void *c, *g;
} buf;

static buf buf_new(size_t bytes)
{
	buf b = {bytes, C->alloc(bytes, "test"), G->alloc(bytes, "test")};
	return b;
}

static buf buf_from(const void *host, size_t bytes)
{
	buf b = buf_new(bytes);
	C->upload(b.c, host, bytes);
	G->upload(b.g, host, bytes);
	return b;
}

static buf buf_rand(size_t n, float lo, float hi)
{
	float *h = xmalloc((n ? n : 1) * sizeof *h);
	for (size_t i = 0; i < n; i++)
		h[i] = rng_uniform_range(&R, lo, hi);
	buf b = buf_from(h, n * sizeof *h);
	free(h);
	return b;
}

static buf buf_ints(size_t n, int below)
{
	int32_t *h = xmalloc((n ? n : 1) * sizeof *h);
	for (size_t i = 0; i < n; i++)
		h[i] = (int32_t)rng_below(&R, below);
	buf b = buf_from(h, n * sizeof *h);
	free(h);
	return b;
}

static void buf_free(buf *b)
{
	C->free(b->c);
	G->free(b->g);
}

/* ---- comparison ---- */

/* max |gpu - cpu| / max |cpu| (1 where the reference is all zero); a NaN
   anywhere but in the same place of both is infinite */
static double nerr(const float *gpu, const float *cpu, size_t n)
{
	double d = 0, m = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(cpu[i]) || isnan(gpu[i])) {
			if (isnan(cpu[i]) && isnan(gpu[i]))
				continue;
			return INFINITY;
		}
		double e = gpu[i] == cpu[i] ? 0 : fabs((double)gpu[i] - cpu[i]);
		if (e > d)
			d = e;
		if (isfinite(cpu[i]) && fabs(cpu[i]) > m)
			m = fabs(cpu[i]);
	}
	return d / (m > 0 ? m : 1);
}

/* error of a float buffer; downloads the device copy */
static double buf_err(const buf *b)
{
	size_t n = b->bytes / sizeof(float);
	float *h = xmalloc(b->bytes ? b->bytes : 1);
	G->download(h, b->g, b->bytes);
	double e = nerr(h, b->c, n);
	free(h);
	return e;
}

/* 0 when the bytes are equal, else infinite (indices, masks, labels) */
static double buf_diff(const buf *b)
{
	unsigned char *h = xmalloc(b->bytes ? b->bytes : 1);
	G->download(h, b->g, b->bytes);
	double e = memcmp(h, b->c, b->bytes) ? INFINITY : 0;
	free(h);
	return e;
}

/* One case: the worst of its outputs against tol. */
typedef struct result {
	double err;
	const char *worst;
} result;

static void out_err(result *r, const char *what, double e)
{
	if (isnan(e))   /* else a later finite error would replace it */
		e = INFINITY;
	if (e > r->err) {
		r->err = e;
		r->worst = what;
	}
}

static void report(result r, double tol, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(result r, double tol, const char *fmt, ...)
{
	char name[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	if (r.err <= tol) {
		printf("PASS: %s%s: OK (max normalised error %.2g)\n", label, name, r.err);
	} else {
		failures++;
		printf("FAIL: %s%s: %s max normalised error %.3g > %.2g%s%s\n", label, name,
		       r.worst ? r.worst : "output", r.err, tol, *label ? " on the " : "", device);
	}
}

#define TOL_GEMM 2e-5   /* fp32 sums in another order */
#define TOL_EW 1e-6     /* element-wise maths */

/* ---- the op families: each runs one case on both backends and reports
   its lines ("op(params): OK"), with the case's tolerance for each ---- */

/* One case: its family's test, shapes and parameters in the order the
   family's comment lists them, and the tolerance of each line it reports
   (the largest normalised error), in order. */
typedef struct op_case {
	void (*run)(const struct op_case *t);
	long a[11];        /* shapes and integer parameters */
	float f[2];        /* float parameters */
	double tol[5];
} op_case;

/* n transforms of h x w images: random flips and crops as asked, and with
   erase a random erased rectangle on every other sample (drawn from R only
   then, so that the cases without it keep their inputs). */
static void random_xforms(sample_xform *xf, int n, int h, int w, int flip, float crop, int erase)
{
	for (int i = 0; i < n; i++) {
		sample_xform t = {0, 0, 0, (float)w, (float)h, 0, 0, 0, 0};
		if (flip)
			t.flip = rng_below(&R, 2);
		if (crop < 1) {
			float s = rng_uniform_range(&R, crop, 1);
			t.sw = s * w;
			t.sh = s * h;
			t.x0 = rng_uniform_range(&R, 0, w - t.sw);
			t.y0 = rng_uniform_range(&R, 0, h - t.sh);
		}
		if (erase && i % 2 == 0) {
			t.ew = 1 + (int)rng_below(&R, w), t.eh = 1 + (int)rng_below(&R, h);
			t.ex = (int)rng_below(&R, w - t.ew + 1), t.ey = (int)rng_below(&R, h - t.eh + 1);
		}
		xf[i] = t;
	}
}

/* a: u8, n, c, h, w, flip, erase; f: crop. tol: images */
static void test_gather_images(const op_case *t)
{
	int is_u8 = t->a[0], n = t->a[1], c = t->a[2], h = t->a[3], w = t->a[4], flip = t->a[5], erase = t->a[6];
	float crop = t->f[0];
	int N = 10;
	size_t plane = (size_t)h * w, nx = (size_t)N * c * plane;
	unsigned char *hx = xmalloc(nx * (is_u8 ? 1 : 4));
	for (size_t i = 0; i < nx; i++) {
		if (is_u8)
			hx[i] = (unsigned char)rng_below(&R, 256);
		else
			((float *)hx)[i] = rng_uniform_range(&R, -2, 2);
	}
	buf x = buf_from(hx, nx * (is_u8 ? 1 : 4));
	buf idx = buf_ints(n, N);
	sample_xform xf[64];
	random_xforms(xf, n, h, w, flip, crop, erase);
	buf bxf = buf_from(xf, n * sizeof *xf);
	float mean[4], inv[4];
	for (int i = 0; i < c; i++)
		mean[i] = rng_uniform_range(&R, 0.2f, 0.6f), inv[i] = rng_uniform_range(&R, 2, 5);
	buf bm = buf_from(mean, c * sizeof(float)), bi = buf_from(inv, c * sizeof(float));
	buf out = buf_new((size_t)n * c * plane * sizeof(float));
	C->gather_images(out.c, x.c, is_u8, idx.c, bxf.c, n, c, h, w, bm.c, bi.c);
	G->gather_images(out.g, x.g, is_u8, idx.g, bxf.g, n, c, h, w, bm.g, bi.g);
	result r = {0, NULL};
	out_err(&r, "images", buf_err(&out));
	report(r, t->tol[0], "gather_images(%s,n=%d,c=%d,h=%d,w=%d,flip=%d,crop=%g,erase=%d)",
	       is_u8 ? "u8" : "f32", n, c, h, w, flip, crop, erase);
	free(hx);
	buf_free(&x), buf_free(&idx), buf_free(&bxf), buf_free(&bm), buf_free(&bi), buf_free(&out);
}

/* a: seg, n, h, w, flip, erase (which label maps ignore); f: crop. tol: labels */
static void test_gather_labels(const op_case *t)
{
	int seg = t->a[0], n = t->a[1], h = t->a[2], w = t->a[3], flip = t->a[4], erase = t->a[5];
	float crop = t->f[0];
	int N = 10;
	size_t per = seg ? (size_t)h * w : 1;
	buf y = buf_ints(N * per, 5);
	buf idx = buf_ints(n, N);
	sample_xform xf[64];
	random_xforms(xf, n, h, w, flip, crop, erase);
	buf bxf = buf_from(xf, n * sizeof *xf);
	buf out = buf_new(n * per * sizeof(int32_t));
	C->gather_labels(out.c, y.c, idx.c, bxf.c, n, h, w, seg);
	G->gather_labels(out.g, y.g, idx.g, bxf.g, n, h, w, seg);
	result r = {0, NULL};
	out_err(&r, "labels", buf_diff(&out));
	report(r, t->tol[0], "gather_labels(seg=%d,n=%d,h=%d,w=%d,flip=%d,crop=%g,erase=%d)", seg, n, h, w, flip,
	       crop, erase);
	buf_free(&y), buf_free(&idx), buf_free(&bxf), buf_free(&out);
}

/* a: n, c, h, w, oc, k, stride, pad, bias, dx, tf32 (the device on its
   TF32 tensor cores). tol: forward, backward */
static void test_conv(const op_case *t)
{
	int n = t->a[0], c = t->a[1], h = t->a[2], w = t->a[3], oc = t->a[4], k = t->a[5], s = t->a[6];
	int p = t->a[7], bias = t->a[8], with_dx = t->a[9], tf32 = t->a[10];
	const char *mode = tf32 ? ",tf32" : "";
	G->set_precision(tf32);
	conv_desc d = {n, c, h, w, oc, k, s, p, (h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1};
	size_t nx = (size_t)n * c * h * w, nw = (size_t)oc * c * k * k, ny = (size_t)n * oc * d.oh * d.ow;
	buf x = buf_rand(nx, -1, 1), wt = buf_rand(nw, -0.5f, 0.5f), b = buf_rand(oc, -1, 1);
	buf y = buf_new(ny * sizeof(float));
	void *wc = C->alloc(C->conv_workspace(&d), "work"), *wg = G->alloc(G->conv_workspace(&d), "work");
	C->conv_forward(&d, x.c, wt.c, bias ? b.c : NULL, y.c, wc);
	G->conv_forward(&d, x.g, wt.g, bias ? b.g : NULL, y.g, wg);
	result r = {0, NULL};
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "conv_forward(n=%d,c=%d,h=%d,w=%d,oc=%d,k=%d,s=%d,p=%d%s%s)", n, c, h, w, oc, k,
	       s, p, bias ? "" : ",nobias", mode);

	/* backward accumulates: start from non-zero gradients */
	buf dy = buf_rand(ny, -1, 1), dx = buf_rand(nx, -1, 1), dw = buf_rand(nw, -1, 1), db = buf_rand(oc, -1, 1);
	C->conv_backward(&d, x.c, wt.c, dy.c, with_dx ? dx.c : NULL, dw.c, bias ? db.c : NULL, wc);
	G->conv_backward(&d, x.g, wt.g, dy.g, with_dx ? dx.g : NULL, dw.g, bias ? db.g : NULL, wg);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	out_err(&r, "dw", buf_err(&dw));
	out_err(&r, "db", buf_err(&db));
	report(r, t->tol[1], "conv_backward(n=%d,c=%d,h=%d,w=%d,oc=%d,k=%d,s=%d,p=%d%s%s%s)", n, c, h, w, oc,
	       k, s, p, bias ? "" : ",nobias", with_dx ? "" : ",no dx", mode);
	C->free(wc);
	G->free(wg);
	buf_free(&x), buf_free(&wt), buf_free(&b), buf_free(&y);
	buf_free(&dy), buf_free(&dx), buf_free(&dw), buf_free(&db);
	G->set_precision(0);
}

/* a: n, in, out, bias, dx. tol: forward, backward */
static void test_linear(const op_case *t)
{
	int n = t->a[0], in = t->a[1], out = t->a[2], bias = t->a[3], with_dx = t->a[4];
	buf x = buf_rand((size_t)n * in, -1, 1), wt = buf_rand((size_t)out * in, -0.5f, 0.5f);
	buf b = buf_rand(out, -1, 1), y = buf_new((size_t)n * out * sizeof(float));
	C->linear_forward(n, in, out, x.c, wt.c, bias ? b.c : NULL, y.c);
	G->linear_forward(n, in, out, x.g, wt.g, bias ? b.g : NULL, y.g);
	result r = {0, NULL};
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "linear_forward(n=%d,in=%d,out=%d%s)", n, in, out, bias ? "" : ",nobias");
	buf dy = buf_rand((size_t)n * out, -1, 1), dx = buf_rand((size_t)n * in, -1, 1);
	buf dw = buf_rand((size_t)out * in, -1, 1), db = buf_rand(out, -1, 1);
	C->linear_backward(n, in, out, x.c, wt.c, dy.c, with_dx ? dx.c : NULL, dw.c, bias ? db.c : NULL);
	G->linear_backward(n, in, out, x.g, wt.g, dy.g, with_dx ? dx.g : NULL, dw.g, bias ? db.g : NULL);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	out_err(&r, "dw", buf_err(&dw));
	out_err(&r, "db", buf_err(&db));
	report(r, t->tol[1], "linear_backward(n=%d,in=%d,out=%d%s%s)", n, in, out, bias ? "" : ",nobias",
	       with_dx ? "" : ",no dx");
	buf_free(&x), buf_free(&wt), buf_free(&b), buf_free(&y);
	buf_free(&dy), buf_free(&dx), buf_free(&dw), buf_free(&db);
}

/* a: n. tol: relu_forward, relu_backward, relu_backward_inplace, add, axpy */
static void test_elementwise(const op_case *t)
{
	size_t n = t->a[0];
	buf x = buf_rand(n, -1, 1), a = buf_rand(n, -1, 1), y = buf_new(n * sizeof(float));
	buf dy = buf_rand(n, -1, 1), dx = buf_rand(n, -1, 1);
	result r = {0, NULL};
	C->relu_forward(n, x.c, y.c);
	G->relu_forward(n, x.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "relu_forward(n=%zu)", n);
	r = (result){0, NULL};
	C->relu_backward(n, y.c, dy.c, dx.c);
	G->relu_backward(n, y.g, dy.g, dx.g);
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "relu_backward(n=%zu)", n);
	r = (result){0, NULL};
	C->relu_backward_inplace(n, y.c, dy.c);
	G->relu_backward_inplace(n, y.g, dy.g);
	out_err(&r, "dy", buf_err(&dy));
	report(r, t->tol[2], "relu_backward_inplace(n=%zu)", n);
	r = (result){0, NULL};
	C->add(n, x.c, a.c, y.c);
	G->add(n, x.g, a.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[3], "add(n=%zu)", n);
	r = (result){0, NULL};
	C->axpy(n, -0.7f, x.c, dx.c);
	G->axpy(n, -0.7f, x.g, dx.g);
	out_err(&r, "y", buf_err(&dx));
	report(r, t->tol[4], "axpy(n=%zu,alpha=-0.7)", n);
	buf_free(&x), buf_free(&a), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

/* a: n; f: slope. tol: forward, backward */
static void test_leakyrelu(const op_case *t)
{
	size_t n = t->a[0];
	float slope = t->f[0];
	buf x = buf_rand(n, -1, 1), y = buf_new(n * sizeof(float)), dy = buf_rand(n, -1, 1), dx = buf_rand(n, -1, 1);
	result r = {0, NULL};
	C->leakyrelu_forward(n, slope, x.c, y.c);
	G->leakyrelu_forward(n, slope, x.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "leakyrelu_forward(n=%zu,slope=%g)", n, slope);
	r = (result){0, NULL};
	C->leakyrelu_backward(n, slope, x.c, dy.c, dx.c);
	G->leakyrelu_backward(n, slope, x.g, dy.g, dx.g);
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "leakyrelu_backward(n=%zu,slope=%g)", n, slope);
	buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

/* a: n, c, hw. tol: bias_add, bias_backward */
static void test_bias(const op_case *t)
{
	int n = t->a[0], c = t->a[1], hw = t->a[2];
	size_t ny = (size_t)n * c * hw;
	buf b = buf_rand(c, -1, 1), y = buf_rand(ny, -1, 1), db = buf_rand(c, -1, 1);
	result r = {0, NULL};
	C->bias_add(n, c, hw, b.c, y.c);
	G->bias_add(n, c, hw, b.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "bias_add(n=%d,c=%d,hw=%d)", n, c, hw);
	r = (result){0, NULL};
	C->bias_backward(n, c, hw, y.c, db.c);
	G->bias_backward(n, c, hw, y.g, db.g);
	out_err(&r, "db", buf_err(&db));
	report(r, t->tol[1], "bias_backward(n=%d,c=%d,hw=%d)", n, c, hw);
	buf_free(&b), buf_free(&y), buf_free(&db);
}

/* a: n, seed; f: p. tol: forward, backward */
static void test_dropout(const op_case *t)
{
	size_t n = t->a[0];
	uint64_t seed = t->a[1];
	float p = t->f[0];
	buf x = buf_rand(n, -1, 1), y = buf_new(n * sizeof(float)), mask = buf_new(n);
	buf dy = buf_rand(n, -1, 1), dx = buf_rand(n, -1, 1);
	C->dropout_forward(n, p, seed, x.c, y.c, mask.c);
	G->dropout_forward(n, p, seed, x.g, y.g, mask.g);
	result r = {0, NULL};
	out_err(&r, "mask", buf_diff(&mask));
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "dropout_forward(n=%zu,p=%g)", n, p);
	C->dropout_backward(n, p, mask.c, dy.c, dx.c);
	G->dropout_backward(n, p, mask.g, dy.g, dx.g);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "dropout_backward(n=%zu,p=%g)", n, p);
	buf_free(&x), buf_free(&y), buf_free(&mask), buf_free(&dy), buf_free(&dx);
}

/* a: n, c, h, w, k, stride, ties. tol: forward, backward. ties: inputs from
   a few values with some NaNs, so that which maximum wins (the first; a
   NaN, the first NaN) decides the indices */
static void test_maxpool(const op_case *t)
{
	int n = t->a[0], c = t->a[1], h = t->a[2], w = t->a[3], k = t->a[4], s = t->a[5], ties = t->a[6];
	pool_desc d = {n, c, h, w, k, s, (h - k) / s + 1, (w - k) / s + 1};
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * d.oh * d.ow;
	float *hx = xmalloc(nx * sizeof *hx);
	for (size_t i = 0; i < nx; i++) {
		static const float few[] = {-1, 0, 0.5f, 1};
		hx[i] = !ties ? rng_uniform_range(&R, -1, 1) : rng_below(&R, 16) ? few[rng_below(&R, 4)] : NAN;
	}
	buf x = buf_from(hx, nx * sizeof *hx), y = buf_new(ny * sizeof(float)), arg = buf_new(ny * sizeof(int32_t));
	free(hx);
	C->maxpool_forward(&d, x.c, y.c, arg.c);
	G->maxpool_forward(&d, x.g, y.g, arg.g);
	result r = {0, NULL};
	out_err(&r, "y", buf_err(&y));
	out_err(&r, "argmax", buf_diff(&arg));
	report(r, t->tol[0], "maxpool_forward(n=%d,c=%d,h=%d,w=%d,k=%d,s=%d%s)", n, c, h, w, k, s,
	       ties ? ",ties,NaN" : "");
	/* without indices (inference): the same values */
	buf vy = buf_new(ny * sizeof(float));
	C->maxpool_forward(&d, x.c, vy.c, NULL);
	G->maxpool_forward(&d, x.g, vy.g, NULL);
	r = (result){0, NULL};
	out_err(&r, "y", buf_err(&vy));
	out_err(&r, "y against the indexed pass", memcmp(vy.c, y.c, vy.bytes) != 0);
	report(r, t->tol[0], "maxpool_forward(n=%d,c=%d,h=%d,w=%d,k=%d,s=%d%s, no indices)", n, c, h, w, k, s,
	       ties ? ",ties,NaN" : "");
	buf_free(&vy);
	buf dy = buf_rand(ny, -1, 1), dx = buf_rand(nx, -1, 1);
	C->maxpool_backward(&d, dy.c, arg.c, dx.c);
	G->maxpool_backward(&d, dy.g, arg.g, dx.g);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "maxpool_backward(n=%d,c=%d,h=%d,w=%d,k=%d,s=%d%s)", n, c, h, w, k, s,
	       ties ? ",ties,NaN" : "");
	buf_free(&x), buf_free(&y), buf_free(&arg), buf_free(&dy), buf_free(&dx);
}

/* a: n, c, h, w, k, stride. tol: forward, backward */
static void test_avgpool(const op_case *t)
{
	int n = t->a[0], c = t->a[1], h = t->a[2], w = t->a[3], k = t->a[4], s = t->a[5];
	pool_desc d = {n, c, h, w, k, s, (h - k) / s + 1, (w - k) / s + 1};
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * d.oh * d.ow;
	buf x = buf_rand(nx, -1, 1), y = buf_new(ny * sizeof(float)), dy = buf_rand(ny, -1, 1), dx = buf_rand(nx, -1, 1);
	result r = {0, NULL};
	C->avgpool_forward(&d, x.c, y.c);
	G->avgpool_forward(&d, x.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "avgpool_forward(n=%d,c=%d,h=%d,w=%d,k=%d,s=%d)", n, c, h, w, k, s);
	r = (result){0, NULL};
	C->avgpool_backward(&d, dy.c, dx.c);
	G->avgpool_backward(&d, dy.g, dx.g);
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "avgpool_backward(n=%d,c=%d,h=%d,w=%d,k=%d,s=%d)", n, c, h, w, k, s);
	buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

/* a: planes, hw. tol: forward, backward */
static void test_plane_mean(const op_case *t)
{
	size_t planes = t->a[0];
	int hw = t->a[1];
	buf x = buf_rand(planes * hw, -1, 1), y = buf_new(planes * sizeof(float));
	buf dy = buf_rand(planes, -1, 1), dx = buf_rand(planes * hw, -1, 1);
	result r = {0, NULL};
	C->plane_mean_forward(planes, hw, x.c, y.c);
	G->plane_mean_forward(planes, hw, x.g, y.g);
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "plane_mean_forward(planes=%zu,hw=%d)", planes, hw);
	r = (result){0, NULL};
	C->plane_mean_backward(planes, hw, dy.c, dx.c);
	G->plane_mean_backward(planes, hw, dy.g, dx.g);
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "plane_mean_backward(planes=%zu,hw=%d)", planes, hw);
	buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

/* a: n, c, hw, dx; f: mean. tol: forward in training, backward, forward in
   evaluation. mean 0: inputs in [0.5, 3); otherwise standard deviation 1
   around mean, where E[x^2] - mean^2 would cancel and only the CPU's two
   passes agree */
static void test_batchnorm(const op_case *t)
{
	int n = t->a[0], c = t->a[1], hw = t->a[2], with_dx = t->a[3];
	float mean = t->f[0];
	size_t nx = (size_t)n * c * hw;
	char what[32] = "";
	if (mean != 0)
		snprintf(what, sizeof what, ",mean=%g", mean);
	buf x = mean != 0 ? buf_rand(nx, mean - sqrtf(3), mean + sqrtf(3)) : buf_rand(nx, 0.5f, 3), gamma = buf_rand(c, 0.5f, 1.5f), beta = buf_rand(c, -1, 1);
	buf rm = buf_rand(c, -0.2f, 0.2f), rv = buf_rand(c, 0.5f, 2), y = buf_new(nx * sizeof(float));
	buf save = buf_new(2 * c * sizeof(float));
	result r = {0, NULL};
	C->batchnorm_forward(n, c, hw, x.c, gamma.c, beta.c, rm.c, rv.c, 0.1f, 1e-5f, 1, y.c, save.c,
			     (float *)save.c + c);
	G->batchnorm_forward(n, c, hw, x.g, gamma.g, beta.g, rm.g, rv.g, 0.1f, 1e-5f, 1, y.g, save.g,
			     (float *)save.g + c);
	out_err(&r, "y", buf_err(&y));
	out_err(&r, "saved mean/invstd", buf_err(&save));
	out_err(&r, "running mean", buf_err(&rm));
	out_err(&r, "running var", buf_err(&rv));
	report(r, t->tol[0], "batchnorm_forward(train,n=%d,c=%d,hw=%d%s)", n, c, hw, what);

	buf dy = buf_rand(nx, -1, 1), dx = buf_rand(nx, -1, 1), dg = buf_rand(c, -1, 1), dbt = buf_rand(c, -1, 1);
	C->batchnorm_backward(n, c, hw, x.c, gamma.c, dy.c, save.c, (float *)save.c + c, with_dx ? dx.c : NULL,
			      dg.c, dbt.c);
	G->batchnorm_backward(n, c, hw, x.g, gamma.g, dy.g, save.g, (float *)save.g + c, with_dx ? dx.g : NULL,
			      dg.g, dbt.g);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	out_err(&r, "dgamma", buf_err(&dg));
	out_err(&r, "dbeta", buf_err(&dbt));
	report(r, t->tol[1], "batchnorm_backward(n=%d,c=%d,hw=%d%s%s)", n, c, hw, what, with_dx ? "" : ",no dx");

	C->batchnorm_forward(n, c, hw, x.c, gamma.c, beta.c, rm.c, rv.c, 0.1f, 1e-5f, 0, y.c, save.c,
			     (float *)save.c + c);
	G->batchnorm_forward(n, c, hw, x.g, gamma.g, beta.g, rm.g, rv.g, 0.1f, 1e-5f, 0, y.g, save.g,
			     (float *)save.g + c);
	r = (result){0, NULL};
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[2], "batchnorm_forward(eval,n=%d,c=%d,hw=%d%s)", n, c, hw, what);
	buf_free(&x), buf_free(&gamma), buf_free(&beta), buf_free(&rm), buf_free(&rv), buf_free(&y);
	buf_free(&save), buf_free(&dy), buf_free(&dx), buf_free(&dg), buf_free(&dbt);
}

/* a: n, c, h, w, oh, ow. tol: forward, backward */
static void test_upsample(const op_case *t)
{
	int n = t->a[0], c = t->a[1], h = t->a[2], w = t->a[3], oh = t->a[4], ow = t->a[5];
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
	buf x = buf_rand(nx, -1, 1), y = buf_new(ny * sizeof(float));
	C->upsample_forward(n, c, h, w, oh, ow, x.c, y.c);
	G->upsample_forward(n, c, h, w, oh, ow, x.g, y.g);
	result r = {0, NULL};
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "upsample_forward(n=%d,c=%d,h=%d,w=%d,oh=%d,ow=%d)", n, c, h, w, oh, ow);
	buf dy = buf_rand(ny, -1, 1), dx = buf_rand(nx, -1, 1);
	C->upsample_backward(n, c, h, w, oh, ow, dy.c, dx.c);
	G->upsample_backward(n, c, h, w, oh, ow, dy.g, dx.g);
	r = (result){0, NULL};
	out_err(&r, "dx", buf_err(&dx));
	report(r, t->tol[1], "upsample_backward(n=%d,c=%d,h=%d,w=%d,oh=%d,ow=%d)", n, c, h, w, oh, ow);
	buf_free(&x), buf_free(&y), buf_free(&dy), buf_free(&dx);
}

/* a: n, ca, cb, hw, nulls. tol: forward, backward. nulls: 0 both
   gradients, 1 no da, 2 no db (a network input's side) */
static void test_concat(const op_case *t)
{
	int n = t->a[0], ca = t->a[1], cb = t->a[2], hw = t->a[3], nulls = t->a[4];
	buf a = buf_rand((size_t)n * ca * hw, -1, 1), b = buf_rand((size_t)n * cb * hw, -1, 1);
	buf y = buf_new((size_t)n * (ca + cb) * hw * sizeof(float));
	C->concat_forward(n, ca, cb, hw, a.c, b.c, y.c);
	G->concat_forward(n, ca, cb, hw, a.g, b.g, y.g);
	result r = {0, NULL};
	out_err(&r, "y", buf_err(&y));
	report(r, t->tol[0], "concat_forward(n=%d,ca=%d,cb=%d,hw=%d)", n, ca, cb, hw);
	buf dy = buf_rand((size_t)n * (ca + cb) * hw, -1, 1);
	C->concat_backward(n, ca, cb, hw, dy.c, nulls == 1 ? NULL : a.c, nulls == 2 ? NULL : b.c);
	G->concat_backward(n, ca, cb, hw, dy.g, nulls == 1 ? NULL : a.g, nulls == 2 ? NULL : b.g);
	r = (result){0, NULL};
	out_err(&r, "da", buf_err(&a));
	out_err(&r, "db", buf_err(&b));
	report(r, t->tol[1], "concat_backward(n=%d,ca=%d,cb=%d,hw=%d%s)", n, ca, cb, hw,
	       nulls == 1 ? ",no da" : nulls == 2 ? ",no db" : "");
	buf_free(&a), buf_free(&b), buf_free(&y), buf_free(&dy);
}

/* a: n, k, s, weighted, grad; f: label smoothing. tol: gradient and
   statistics */
static void test_xent(const op_case *t)
{
	int n = t->a[0], k = t->a[1], s = t->a[2], weighted = t->a[3], with_grad = t->a[4];
	float smooth = t->f[0];
	size_t nz = (size_t)n * k * s;
	buf z = buf_rand(nz, -4, 4), y = buf_ints((size_t)n * s, k), g = buf_new(nz * sizeof(float));
	float cw[16];
	for (int i = 0; i < k; i++)
		cw[i] = rng_uniform_range(&R, 0.5f, 5);
	buf w = buf_from(cw, k * sizeof(float));
	buf stats = buf_new(STAT_N * sizeof(double));
	C->zero(stats.c, stats.bytes);
	G->zero(stats.g, stats.bytes);
	/* twice: the statistics accumulate */
	for (int rep = 0; rep < 2; rep++) {
		C->softmax_xent(n, k, s, z.c, y.c, weighted ? w.c : NULL, smooth, with_grad ? g.c : NULL, stats.c);
		G->softmax_xent(n, k, s, z.g, y.g, weighted ? w.g : NULL, smooth, with_grad ? g.g : NULL, stats.g);
	}
	result r = {0, NULL};
	if (with_grad)
		out_err(&r, "dlogits", buf_err(&g));
	double hs[STAT_N], *cs = stats.c;
	G->download(hs, stats.g, sizeof hs);
	for (int i = 0; i < STAT_N; i++)
		out_err(&r, "statistics", fabs(hs[i] - cs[i]) / (fabs(cs[i]) > 1 ? fabs(cs[i]) : 1));
	report(r, t->tol[0], "softmax_xent(n=%d,k=%d,s=%d%s%s,smooth=%g)", n, k, s, weighted ? ",weights" : "",
	       with_grad ? "" : ",no grad", smooth);
	buf_free(&z), buf_free(&y), buf_free(&g), buf_free(&w), buf_free(&stats);
}

/* a: n, k, s. tol: probabilities */
static void test_softmax(const op_case *t)
{
	int n = t->a[0], k = t->a[1], s = t->a[2];
	size_t nz = (size_t)n * k * s;
	buf z = buf_rand(nz, -6, 6), p = buf_new(nz * sizeof(float));
	C->softmax(n, k, s, z.c, p.c);
	G->softmax(n, k, s, z.g, p.g);
	result r = {0, NULL};
	out_err(&r, "probabilities", buf_err(&p));
	report(r, t->tol[0], "softmax(n=%d,k=%d,s=%d)", n, k, s);
	buf_free(&z), buf_free(&p);
}

/* a: n, decoupled, steps; f: weight decay. tol: parameters and moments */
static void test_adam(const op_case *t)
{
	size_t n = t->a[0];
	int decoupled = t->a[1], steps = t->a[2];
	float wd = t->f[0];
	buf p = buf_rand(n, -1, 1), m = buf_new(n * sizeof(float)), v = buf_new(n * sizeof(float));
	C->zero(m.c, m.bytes), G->zero(m.g, m.bytes), C->zero(v.c, v.bytes), G->zero(v.g, v.bytes);
	for (int s = 1; s <= steps; s++) {
		buf g = buf_rand(n, -1, 1);
		C->adam_step(n, p.c, g.c, m.c, v.c, 1e-2f, 0.9f, 0.999f, 1e-8f, wd, decoupled, s);
		G->adam_step(n, p.g, g.g, m.g, v.g, 1e-2f, 0.9f, 0.999f, 1e-8f, wd, decoupled, s);
		buf_free(&g);
	}
	result r = {0, NULL};
	out_err(&r, "parameters", buf_err(&p));
	out_err(&r, "m", buf_err(&m));
	out_err(&r, "v", buf_err(&v));
	report(r, t->tol[0], "%s_step(n=%zu,wd=%g,steps=%d)", decoupled ? "adamw" : "adam", n, wd, steps);
	buf_free(&p), buf_free(&m), buf_free(&v);
}

/* a: n, nesterov, steps; f: momentum, weight decay. tol: parameters and
   momentum buffer */
static void test_sgd(const op_case *t)
{
	size_t n = t->a[0];
	int nesterov = t->a[1], steps = t->a[2];
	float momentum = t->f[0], wd = t->f[1];
	buf p = buf_rand(n, -1, 1), b = buf_new(n * sizeof(float));
	C->zero(b.c, b.bytes), G->zero(b.g, b.bytes);
	for (int s = 1; s <= steps; s++) {
		buf g = buf_rand(n, -1, 1);
		C->sgd_step(n, p.c, g.c, b.c, 0.05f, momentum, wd, nesterov);
		G->sgd_step(n, p.g, g.g, b.g, 0.05f, momentum, wd, nesterov);
		buf_free(&g);
	}
	result r = {0, NULL};
	out_err(&r, "parameters", buf_err(&p));
	out_err(&r, "momentum buffer", buf_err(&b));
	report(r, t->tol[0], "sgd_step(n=%zu,momentum=%g,wd=%g,nesterov=%d,steps=%d)", n, momentum, wd,
	       nesterov, steps);
	buf_free(&p), buf_free(&b);
}

/* ---- the cases: odd sizes, strides and padding, k=1 and k=5, sizes past
   a kernel's block or a workspace's chunk; batch, channels, height and
   width all different wherever there are four ---- */

static const op_case cases[] = {
	{test_gather_images, {1, 5, 1, 28, 24, 0}, {1}, {TOL_EW}},
	{test_gather_images, {1, 4, 3, 13, 11, 1}, {0.6f}, {TOL_EW}},
	{test_gather_images, {0, 3, 2, 9, 16, 0}, {0.8f}, {TOL_EW}},
	{test_gather_images, {1, 6, 3, 13, 11, 1, 1}, {0.6f}, {TOL_EW}},
	{test_gather_images, {0, 5, 2, 9, 16, 0, 1}, {1}, {TOL_EW}},
	{test_gather_labels, {0, 7, 1, 1, 0}, {1}, {0}},
	{test_gather_labels, {1, 4, 13, 11, 1}, {0.6f}, {0}},
	{test_gather_labels, {1, 3, 8, 6, 0}, {1}, {0}},
	{test_gather_labels, {1, 4, 13, 11, 1, 1}, {0.6f}, {0}},

	{test_conv, {2, 3, 9, 7, 5, 3, 2, 1, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {3, 4, 8, 6, 6, 1, 1, 0, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {2, 3, 11, 13, 4, 5, 1, 2, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {1, 5, 6, 4, 4, 3, 1, 0, 0, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {4, 3, 10, 9, 8, 5, 2, 2, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {2, 3, 7, 6, 4, 3, 1, 1, 1, 0}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {3, 2, 9, 8, 3, 2, 2, 0, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {2, 3, 6, 9, 4, 1, 2, 1, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {64, 32, 14, 12, 32, 3, 1, 1, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	/* larger than one chunk of the workspace: three samples in two chunks */
	{test_conv, {3, 64, 128, 120, 40, 5, 1, 2, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	/* thin: a few output channels from many, stride 1, 4096 pixels or more */
	{test_conv, {2, 16, 48, 44, 5, 3, 1, 1, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {4, 12, 33, 35, 3, 5, 1, 2, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {3, 8, 40, 36, 2, 3, 1, 0, 0, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {2, 16, 50, 46, 8, 1, 1, 0, 1, 0}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_conv, {3, 64, 128, 120, 4, 5, 1, 2, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	/* tf32 tensor cores: 10-bit mantissas, so a looser tolerance */
	{test_conv, {8, 64, 32, 30, 64, 3, 1, 1, 1, 1, 1}, {0}, {1e-2, 1e-2}},

	{test_linear, {5, 7, 3, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_linear, {64, 1568, 120, 1, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_linear, {3, 10, 4, 0, 1}, {0}, {TOL_GEMM, TOL_GEMM}},
	{test_linear, {2, 5, 6, 1, 0}, {0}, {TOL_GEMM, TOL_GEMM}},

	{test_elementwise, {1}, {0}, {0, 0, 0, 0, TOL_EW}},
	{test_elementwise, {1001}, {0}, {0, 0, 0, 0, TOL_EW}},
	{test_elementwise, {1 << 20}, {0}, {0, 0, 0, 0, TOL_EW}},
	{test_leakyrelu, {1001}, {0.01f}, {0, TOL_EW}},
	{test_leakyrelu, {1 << 20}, {0.2f}, {0, TOL_EW}},
	{test_bias, {3, 5, 37}, {0}, {TOL_EW, 1e-5}},
	{test_bias, {2, 64, 4096}, {0}, {TOL_EW, 1e-5}},
	{test_dropout, {4099, 77}, {0.3f}, {0, TOL_EW}},
	{test_dropout, {1000, 5}, {0}, {0, TOL_EW}},
	{test_dropout, {100003, 0x123456789abc}, {0.5f}, {0, TOL_EW}},

	{test_maxpool, {2, 3, 9, 7, 2, 2, 0}, {0}, {0, TOL_EW}},
	{test_maxpool, {2, 3, 9, 8, 3, 2, 0}, {0}, {0, TOL_EW}},
	{test_maxpool, {1, 4, 8, 6, 3, 1, 0}, {0}, {0, TOL_EW}},
	{test_maxpool, {3, 2, 5, 6, 5, 5, 0}, {0}, {0, TOL_EW}},
	{test_maxpool, {64, 32, 28, 26, 2, 2, 0}, {0}, {0, TOL_EW}},
	{test_maxpool, {4, 3, 12, 10, 2, 2, 1}, {0}, {0, TOL_EW}},
	{test_maxpool, {4, 3, 11, 9, 3, 2, 1}, {0}, {0, TOL_EW}},
	{test_maxpool, {2, 3, 8, 7, 3, 1, 1}, {0}, {0, TOL_EW}},
	{test_avgpool, {2, 3, 9, 7, 2, 2}, {0}, {TOL_EW, TOL_EW}},
	{test_avgpool, {2, 3, 9, 8, 3, 2}, {0}, {TOL_EW, TOL_EW}},
	{test_avgpool, {1, 4, 8, 6, 3, 1}, {0}, {TOL_EW, TOL_EW}},
	{test_avgpool, {64, 32, 28, 26, 2, 2}, {0}, {TOL_EW, TOL_EW}},
	{test_plane_mean, {7, 25}, {0}, {1e-5, TOL_EW}},
	{test_plane_mean, {64 * 512, 49}, {0}, {1e-5, TOL_EW}},

	{test_batchnorm, {4, 3, 25, 1}, {0}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {2, 5, 49, 1}, {0}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {16, 2, 1, 1}, {0}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {3, 7, 1000, 0}, {0}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {8, 16, 4096, 1}, {0}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {8, 16, 4096, 1}, {1e4f}, {1e-5, 1e-5, TOL_EW}},
	{test_batchnorm, {4, 5, 999, 1}, {1e6f}, {1e-5, 1e-5, TOL_EW}},

	{test_upsample, {2, 3, 5, 4, 10, 8}, {0}, {TOL_EW, TOL_EW * 4}},
	{test_upsample, {1, 2, 7, 9, 21, 27}, {0}, {TOL_EW, TOL_EW * 4}},
	{test_upsample, {2, 1, 5, 7, 9, 11}, {0}, {TOL_EW, TOL_EW * 4}},
	{test_upsample, {1, 2, 9, 8, 4, 5}, {0}, {TOL_EW, TOL_EW * 4}},
	{test_upsample, {2, 8, 32, 30, 64, 60}, {0}, {TOL_EW, TOL_EW * 4}},

	{test_concat, {2, 3, 5, 35, 0}, {0}, {0, 0}},
	{test_concat, {3, 1, 1, 1, 0}, {0}, {0, 0}},
	{test_concat, {2, 16, 8, 4096, 0}, {0}, {0, 0}},
	{test_concat, {2, 3, 5, 35, 1}, {0}, {0, 0}},
	{test_concat, {2, 3, 5, 35, 2}, {0}, {0, 0}},

	{test_xent, {64, 10, 1, 0, 1}, {0}, {TOL_EW}},
	{test_xent, {64, 10, 1, 1, 1}, {0}, {TOL_EW}},
	{test_xent, {3, 5, 37, 1, 1}, {0}, {TOL_EW}},
	{test_xent, {2, 5, 4096, 1, 1}, {0}, {TOL_EW}},
	{test_xent, {5, 7, 9, 0, 0}, {0}, {TOL_EW}},
	{test_xent, {64, 10, 1, 0, 1}, {0.1f}, {TOL_EW}},
	{test_xent, {3, 5, 37, 1, 1}, {0.25f}, {TOL_EW}},
	{test_softmax, {3, 5, 37}, {0}, {TOL_EW}},
	{test_softmax, {17, 10, 1}, {0}, {TOL_EW}},

	{test_adam, {1000, 0, 1}, {0}, {TOL_EW}},
	{test_adam, {1001, 0, 5}, {1e-4f}, {TOL_EW}},
	{test_adam, {4097, 1, 5}, {1e-2f}, {TOL_EW}},
	{test_sgd, {1000, 0, 3}, {0, 0}, {TOL_EW}},
	{test_sgd, {1003, 0, 5}, {0.9f, 1e-4f}, {TOL_EW}},
	{test_sgd, {1003, 1, 5}, {0.9f, 0}, {TOL_EW}},
};

/* ---- training ---- */

#include "nn/train.h"

/* a classifier with batch-norm and dropout, and a small U-Net-like
   segmenter with a skip connection, upsampling and class weights */
static const char *NET_CLS = "input 1 12 12\n"
			     "conv 6 3 pad=1 bias=0\nbatchnorm\nrelu\nmaxpool 2\n"
			     "conv 8 5 pad=2 label=a\nrelu\nconv 8 1\nadd a\n"
			     "dropout 0.25\nflatten\nlinear 16\nrelu\nlinear 10\n";
static const char *NET_SEG = "input 3 16 16\n"
			     "conv 8 3 pad=1 label=skip\nrelu\nmaxpool 2\n"
			     "conv 16 3 pad=1 bias=0\nbatchnorm\nrelu\nconv 16 3 stride=2 pad=1\nrelu\n"
			     "upsample 4\nconcat skip\nconv 8 3 pad=1\nrelu\nconv 5 1\n";
/* the decoder and head layers: transposed convolutions (the input
   gradient alone, through conv_backward without dw), leaky relu,
   average pooling */
static const char *NET_NEW = "input 3 16 16\n"
			     "conv 8 3 pad=1 label=skip\nleakyrelu\navgpool 2\n"
			     "conv 16 3 pad=1\nleakyrelu 0.2\nconvt 8 3 stride=2 pad=1 outpad=1\n"
			     "concat skip\nconvt 5 1 bias=0\n";
static const char *NET_GAP = "input 3 12 12\n"
			     "conv 8 3 pad=1\nleakyrelu\navgpool 3 stride=2\nconv 16 3 pad=1\n"
			     "avgpool global\nflatten\nlinear 10\n";

/* A net, its optimiser and random data drawn from a seed (every run of a
   net sees the same), trained by nn-train's step. */
typedef struct training {
	trainer t;
	float *x, *cw;
	int32_t *y;
	int batch;
} training;

static void training_setup(training *tr, net *n, optim *o, int batch, uint64_t seed, int weighted)
{
	const backend *be = n->be;
	tr->batch = batch;
	net_set_batch(n, batch);
	rng r;
	rng_seed(&r, seed, 7);
	size_t nx = (size_t)batch * n->in_c * n->in_h * n->in_w, ny = (size_t)batch * net_spatial(n);
	float *hx = xmalloc(nx * sizeof *hx);
	int32_t *hy = xmalloc(ny * sizeof *hy);
	for (size_t i = 0; i < nx; i++)
		hx[i] = rng_uniform_range(&r, -1, 1);
	for (size_t i = 0; i < ny; i++)
		hy[i] = (int32_t)rng_below(&r, n->nclass);
	tr->x = be->alloc(nx * sizeof *hx, "x");
	tr->y = be->alloc(ny * sizeof *hy, "y");
	be->upload(tr->x, hx, nx * sizeof *hx);
	be->upload(tr->y, hy, ny * sizeof *hy);
	free(hx), free(hy);
	tr->cw = NULL;
	if (weighted) {
		float cw[5] = {1, 1, 5, 1, 1};
		tr->cw = be->alloc(sizeof cw, "class weights");
		be->upload(tr->cw, cw, sizeof cw);
	}
	trainer_init(&tr->t, n, o, tr->cw, batch);
}

/* One training step (step numbers the dropout seed); returns its loss. */
static double training_step(training *tr, long step)
{
	double sums[STAT_N];
	trainer_reset(&tr->t);
	trainer_step(&tr->t, tr->x, tr->y, tr->batch, 1e-3f, 1234 + step);
	return trainer_sums(&tr->t, sums);
}

static void training_free(training *tr)
{
	const backend *be = tr->t.n->be;
	be->free(tr->x), be->free(tr->y);
	if (tr->cw)
		be->free(tr->cw);
	trainer_release(&tr->t);
	optim_free(tr->t.o);
	net_free(tr->t.n);
}

static training training_new(const char *text, const backend *be, optim_kind kind, int batch, int weighted)
{
	net *n = net_parse(text, "test.net");
	net_init(n, be, 42);
	optim *o = optim_new(kind, n);
	if (kind == OPTIM_SGD)
		o->momentum = 0.9f;
	training tr;
	training_setup(&tr, n, o, batch, 99, weighted);
	return tr;
}

static void test_training_steps(const char *name, const char *text, optim_kind kind, int batch, int weighted,
				int steps)
{
	training tc = training_new(text, C, kind, batch, weighted), tg = training_new(text, G, kind, batch, weighted);
	result r = {0, NULL};
	char what[32];
	for (int s = 0; s < steps; s++) {
		double lc = training_step(&tc, s), lg = training_step(&tg, s);
		snprintf(what, sizeof what, "loss at step %d", s + 1);
		out_err(&r, what, fabs(lg - lc) / fabs(lc));
	}
	report(r, 1e-4, "training(%s,%s,batch=%d,steps=%d)", name, optim_kind_name(kind), batch, steps);
	training_free(&tc);
	training_free(&tg);
}

static void test_training(const char *name, const char *text, optim_kind kind, int batch, int weighted)
{
	test_training_steps(name, text, kind, batch, weighted, 6);
}

/* A network of examples/ (from NN_ROOT, the source tree), its input line
   replaced by input when that is given (a smaller image, so that the
   emulation takes seconds), trained 20 steps on both backends. */
static void test_example(const char *file, const char *input, optim_kind kind, int batch, int weighted)
{
	const char *root = getenv("NN_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/examples/%s", root && *root ? root : ".", file);
	FILE *f = fopen(path, "r");
	if (!f) {
		failures++;
		printf("FAIL: %straining(%s): cannot open %s\n", label, file, path);
		return;
	}
	size_t cap = 1 << 16, n = 0;
	char *text = xmalloc(cap + 64), line[512];
	while (fgets(line, sizeof line, f)) {
		const char *l = input && !strncmp(line, "input ", 6) ? input : line;
		if (n + strlen(l) + 1 >= cap)
			fatal("%s: larger than this test reads", path);
		n += (size_t)sprintf(text + n, "%s%s", l, l == input ? "\n" : "");
	}
	fclose(f);
	char name[128];
	snprintf(name, sizeof name, "%s%s%s", file, input ? " at " : "", input ? input + 6 : "");
	test_training_steps(name, text, kind, batch, weighted, 20);
	free(text);
}

/* Train 3 steps on CUDA, checkpoint, 3 more; resume the checkpoint in a
   fresh net: its 3 steps must give the same losses. */
static void test_resume(const char *name, const char *text, optim_kind kind, int batch, int weighted)
{
	char path[] = "/tmp/test_cuda_ops.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		fatal("mkstemp: cannot create a temporary file");
	close(fd);
	training a = training_new(text, G, kind, batch, weighted);
	for (int s = 0; s < 3; s++)
		training_step(&a, s);
	model_info mi;
	memset(&mi, 0, sizeof mi);
	mi.nchan = a.t.n->in_c;
	for (int c = 0; c < mi.nchan; c++)
		mi.mean[c] = 0, mi.std[c] = 1;
	mi.step = 3;
	model_save(path, a.t.n, &mi, a.t.o);
	double want[3];
	for (int s = 0; s < 3; s++)
		want[s] = training_step(&a, 3 + s);

	model_info mi2;
	optim *o = NULL;
	net *n = model_load(path, G, &mi2, &o);
	training b;
	training_setup(&b, n, o, batch, 99, weighted);
	result r = {0, NULL};
	char what[32];
	for (int s = 0; s < 3; s++) {
		double got = training_step(&b, 3 + s);
		snprintf(what, sizeof what, "loss at step %d", 4 + s);
		out_err(&r, what, fabs(got - want[s]) / fabs(want[s]));
	}
	report(r, 1e-6, "resume(%s,%s,batch=%d,at step %ld)", name, optim_kind_name(kind), batch, mi2.step);
	model_info_free(&mi2);
	training_free(&a);
	training_free(&b);
	unlink(path);
}

int main(int argc, char **argv)
{
	(void)argc;
	nn_prog = "test_cuda_ops";
	const char *why;
	G = backend_cuda_open(&why);
	if (!G && !getenv("NN_CUDA_LIB"))
		cuda_emulated_rerun(argv);
	if (!G)
		return skip_all(why);
	device = backend_gpu_name();
	if (!device)
		device = "an unnamed device";
	if (cuda_is_emulated())
		label = "emulated: ";
	printf("device: %s\n", device);
	C->set_threads(0);
	G->set_threads(0);
	G->set_precision(0);
	rng_seed(&R, 2024, 1);

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		cases[i].run(&cases[i]);

	test_training("classifier", NET_CLS, OPTIM_ADAM, 16, 0);
	test_training("segmenter", NET_SEG, OPTIM_ADAMW, 4, 1);
	test_training("segmenter", NET_SEG, OPTIM_SGD, 4, 1);
	test_training("convt segmenter", NET_NEW, OPTIM_ADAM, 4, 1);
	test_training("global-pool classifier", NET_GAP, OPTIM_ADAM, 16, 0);

	test_example("fashion-mnist.net", NULL, OPTIM_ADAM, 8, 0);
	/* 16x16 (its deepest level 2x2) and SGD: a batch of 2 at 32x32 or of
	   8 at 16x16 already diverges chaotically under Adam (its steps on
	   gradients near 0 take their sign, maxpool's near ties): there the CPU
	   backend on 1 thread and on 2 differs by 1e-3 at step 20, as much as
	   the CUDA sources do, and so does Adam at 16x16 when only OpenBLAS's
	   kernels change (AVX2 against AVX-512: 5e-5 from step 11, a near tie
	   flipped). SGD's steps follow the gradients' size: 5e-8 at step 20. */
	test_example("facade-unet-small.net", "input 3 16 16", OPTIM_SGD, 2, 1);

	test_resume("classifier", NET_CLS, OPTIM_ADAM, 16, 0);
	test_resume("segmenter", NET_SEG, OPTIM_ADAMW, 4, 1);

	G->sync();
	return failures ? 1 : 0;
}
