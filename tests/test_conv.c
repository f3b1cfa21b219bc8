/* test_conv: the CPU convolution (forward, and backward's input, weight and
   bias gradients) against a plain reference written here: the sums of the
   definition in double, window by window. The shapes take every route of
   the backend: stride 1 (a padded copy of the input rows), stride 2 (the
   general im2col and col2im), pointwise, no padding, and large enough
   channels and images that the columns are made a block of rows at a time,
   for the forward and weight gradient (many input channels) and for the
   input gradient (many output channels). At one and at two threads, with
   im2col and GEMM and, where it fits (stride 1, 3x3 and 5x5), with
   Winograd's route: its error grows with the sums' length and the tile
   size, so its tolerance is wider (bench/winograd.md has the measured
   errors); one shape has enough channels that its tiles are taken in more
   than one block. */
#include "backend/backend.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* y = b + conv(x, w); dx, dw and db add the gradients of dy's sum */
static void reference(const conv_desc *d, const float *x, const float *w, const float *b,
		      const float *dy, double *y, double *dx, double *dw, double *db)
{
	for (int i = 0; i < d->n; i++)
		for (int o = 0; o < d->oc; o++)
			for (int oy = 0; oy < d->oh; oy++)
				for (int ox = 0; ox < d->ow; ox++) {
					size_t yo = (((size_t)i * d->oc + o) * d->oh + oy) * d->ow + ox;
					double s = b[o], g = dy[yo];
					db[o] += g;
					for (int c = 0; c < d->c; c++)
						for (int ky = 0; ky < d->k; ky++)
							for (int kx = 0; kx < d->k; kx++) {
								int iy = oy * d->stride - d->pad + ky;
								int ix = ox * d->stride - d->pad + kx;
								if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w)
									continue;
								size_t xo = (((size_t)i * d->c + c) * d->h + iy) * d->w + ix;
								size_t wo = (((size_t)o * d->c + c) * d->k + ky) * d->k + kx;
								s += (double)w[wo] * x[xo];
								dw[wo] += g * x[xo];
								dx[xo] += g * w[wo];
							}
					y[yo] = s;
				}
}

static float *random_floats(rng *r, size_t n)
{
	float *p = xmalloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = rng_uniform_range(r, -1, 1);
	return p;
}

/* got (float) against want (double), within a tolerance scaled by the
   largest |want|: sums of up to c*k*k or n*oh*ow terms */
static void check(const char *what, const conv_desc *d, int threads, const float *got, const double *want,
		  size_t n, double tol)
{
	float *w = xmalloc(n * sizeof *w);
	double mx = 0;
	for (size_t i = 0; i < n; i++) {
		w[i] = (float)want[i];
		mx = fabs(want[i]) > mx ? fabs(want[i]) : mx;
	}
	char name[160];
	snprintf(name, sizeof name, "conv %s %s n=%d c=%d %dx%d oc=%d k=%d stride=%d pad=%d, %d thread%s",
		 backend_conv, what, d->n, d->c, d->h, d->w, d->oc, d->k, d->stride, d->pad, threads,
		 threads > 1 ? "s" : "");
	CHECK_CLOSE(name, got, w, (long)n, tol * mx + 1e-6, 1e-4);
	free(w);
}

/* One shape: n, c, h, w, oc, k, stride, pad */
static void check_conv(const int *a)
{
	int n = a[0], c = a[1], h = a[2], w = a[3], oc = a[4], k = a[5], stride = a[6], pad = a[7];
	conv_desc d = {n, c, h, w, oc, k, stride, pad, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1};
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * oc * d.oh * d.ow, nw = (size_t)oc * c * k * k;
	rng r;
	rng_seed(&r, (uint64_t)(c * 1000 + oc * 10 + k), 7);
	float *x = random_floats(&r, nx), *wt = random_floats(&r, nw), *b = random_floats(&r, oc);
	float *dy = random_floats(&r, ny);
	/* the backward adds: start the gradients from values of their own */
	float *dx0 = random_floats(&r, nx), *dw0 = random_floats(&r, nw), *db0 = random_floats(&r, oc);
	double *ry = xcalloc(ny, sizeof *ry), *rdx = xcalloc(nx, sizeof *rdx), *rdw = xcalloc(nw, sizeof *rdw);
	double *rdb = xcalloc(oc, sizeof *rdb);
	for (size_t i = 0; i < nx; i++)
		rdx[i] = dx0[i];
	for (size_t i = 0; i < nw; i++)
		rdw[i] = dw0[i];
	for (int i = 0; i < oc; i++)
		rdb[i] = db0[i];
	reference(&d, x, wt, b, dy, ry, rdx, rdw, rdb);
	float *y = xmalloc(ny * sizeof *y), *dx = xmalloc(nx * sizeof *dx), *dw = xmalloc(nw * sizeof *dw);
	float *db = xmalloc(oc * sizeof *db);
	static const char *const routes[] = {"gemm", "direct", "winograd"};
	for (int run = 0; run < 6; run++) {
		int threads = 1 + run % 2, wino = run >= 4;
		double tol = wino ? 2e-4 : 2e-5;
		if (run / 2 == 1 && !(stride == 1 && k > 1))
			continue;
		if (wino && !(stride == 1 && (k == 3 || k == 5)))
			break;
		backend_conv = routes[run / 2];
		backend_cpu.set_threads(threads);
		void *work = backend_cpu.alloc(backend_cpu.conv_workspace(&d), "workspace");
		memcpy(dx, dx0, nx * sizeof *dx);
		memcpy(dw, dw0, nw * sizeof *dw);
		memcpy(db, db0, oc * sizeof *db);
		backend_cpu.conv_forward(&d, x, wt, b, y, work);
		backend_cpu.conv_backward(&d, x, wt, dy, dx, dw, db, work);
		check("forward", &d, threads, y, ry, ny, tol);
		check("input gradient", &d, threads, dx, rdx, nx, tol);
		check("weight gradient", &d, threads, dw, rdw, nw, tol);
		check("bias gradient", &d, threads, db, rdb, oc, tol);
		backend_cpu.free(work);
	}
	free(x), free(wt), free(b), free(dy), free(dx0), free(dw0), free(db0);
	free(ry), free(rdx), free(rdw), free(rdb), free(y), free(dx), free(dw), free(db);
}

/* n, c, h, w, oc, k, stride, pad: n, c, h and w all different, so that a
   swapped pair of dimensions changes the result */
static const int shapes[][8] = {
	{2, 3, 9, 7, 4, 3, 1, 1},
	{2, 3, 9, 7, 4, 3, 2, 1},
	{2, 3, 9, 7, 4, 3, 1, 0},
	{2, 5, 6, 7, 3, 1, 1, 0},
	{1, 2, 8, 6, 3, 5, 1, 2},
	/* columns in blocks of rows: c*k*k*ow floats a row */
	{2, 64, 96, 90, 4, 5, 1, 2},
	{1, 4, 96, 88, 64, 5, 1, 2},
	/* Winograd's tiles in two blocks, in every pass */
	{1, 1024, 64, 60, 4, 5, 1, 2},
	{2, 8, 13, 11, 6, 3, 1, 2},
	{2, 4, 5, 3, 6, 5, 1, 2},
	/* the direct route's blocks of 8 output channels and a remainder */
	{2, 3, 10, 12, 11, 3, 1, 1},
	{1, 19, 6, 9, 2, 3, 1, 1},
};

int main(void)
{
	nn_prog = "test_conv";
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
		check_conv(shapes[i]);
	return check_failures ? 1 : 0;
}
