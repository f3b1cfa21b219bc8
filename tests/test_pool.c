/* test_pool: the CPU max-pool against a plain reference written here: the
   maximum of each window scanned row by row, the first NaN winning and, of
   equal values, the first; its flat input index kept for backward, which
   adds each output's gradient there. Inputs from a few values (ties) with
   NaNs in some planes and not in others, so that the fast 2x2 path and its
   NaN fallback both run; odd sizes leave a last row and column out. */
#include "backend/backend.h"
#include "base/util.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void reference(const pool_desc *d, const float *x, float *y, int32_t *arg)
{
	for (int p = 0; p < d->n * d->c; p++)
		for (int oy = 0; oy < d->oh; oy++)
			for (int ox = 0; ox < d->ow; ox++) {
				const float *xp = x + (size_t)p * d->h * d->w;
				int best = -1;
				for (int ky = 0; ky < d->k; ky++)
					for (int kx = 0; kx < d->k; kx++) {
						int j = (oy * d->stride + ky) * d->w + ox * d->stride + kx;
						if (best < 0 || (isnan(xp[j]) && !isnan(xp[best])) ||
						    (!isnan(xp[best]) && xp[j] > xp[best]))
							best = j;
					}
				size_t o = ((size_t)p * d->oh + oy) * d->ow + ox;
				y[o] = xp[best];
				arg[o] = best;
			}
}

/* One case: n, c, h, w, k, stride, and how many of every 3 planes hold NaNs */
static void check_pool(const int *a)
{
	int n = a[0], c = a[1], h = a[2], w = a[3], k = a[4], s = a[5], nan_planes = a[6];
	pool_desc d = {n, c, h, w, k, s, (h - k) / s + 1, (w - k) / s + 1};
	size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * d.oh * d.ow;
	/* nothing may be written past the outputs: a guard of GUARD values
	   after each */
	enum { GUARD = 64 };
	float *x = xmalloc(nx * sizeof *x), *y = xmalloc((ny + GUARD) * sizeof *y), *ry = xmalloc(ny * sizeof *ry);
	int32_t *arg = xmalloc((ny + GUARD) * sizeof *arg), *rarg = xmalloc(ny * sizeof *rarg);
	for (int i = 0; i < GUARD; i++)
		y[ny + i] = 12345.0f, arg[ny + i] = 12345;
	rng r;
	rng_seed(&r, (uint64_t)(n * 1000 + h * 10 + k), 5);
	static const float few[] = {-1, 0, 0.5f, 1, -0.0f};
	for (size_t i = 0; i < nx; i++) {
		int plane_has_nan = (int)(i / ((size_t)h * w)) % 3 < nan_planes;
		x[i] = plane_has_nan && rng_below(&r, 8) == 0 ? NAN : few[rng_below(&r, 5)];
	}
	backend_cpu.maxpool_forward(&d, x, y, arg);
	reference(&d, x, ry, rarg);
	size_t bad = ny;
	for (size_t i = 0; i < ny && bad == ny; i++)
		if (arg[i] != rarg[i] || memcmp(&y[i], &ry[i], sizeof y[i]))
			bad = i;
	for (int i = 0; i < GUARD; i++)
		if (y[ny + i] != 12345.0f || arg[ny + i] != 12345) {
			FAIL("maxpool_forward n=%d c=%d %dx%d k=%d s=%d: written past the end", n, c, h, w, k, s);
			break;
		}
	if (bad == ny)
		PASS("maxpool_forward n=%d c=%d %dx%d k=%d s=%d, NaN in %d of 3 planes: values and indices",
		     n, c, h, w, k, s, nan_planes);
	else
		FAIL("maxpool_forward n=%d c=%d %dx%d k=%d s=%d: output %zu is %g at %d, expected %g at %d", n, c,
		     h, w, k, s, bad, y[bad], arg[bad], ry[bad], rarg[bad]);
	/* without indices (inference): the same values, bit for bit */
	float *vy = xmalloc((ny + GUARD) * sizeof *vy);
	for (int i = 0; i < GUARD; i++)
		vy[ny + i] = 12345.0f;
	backend_cpu.maxpool_forward(&d, x, vy, NULL);
	bad = SIZE_MAX;
	for (size_t i = 0; i < ny + GUARD && bad == SIZE_MAX; i++)
		if (i < ny ? memcmp(&vy[i], &ry[i], sizeof vy[i]) != 0 : vy[i] != 12345.0f)
			bad = i;
	if (bad == SIZE_MAX)
		PASS("maxpool_forward n=%d c=%d %dx%d k=%d s=%d, NaN in %d of 3 planes: values without indices",
		     n, c, h, w, k, s, nan_planes);
	else
		FAIL("maxpool_forward n=%d c=%d %dx%d k=%d s=%d without indices: output %zu is %g, expected %g", n,
		     c, h, w, k, s, bad, vy[bad], bad < ny ? ry[bad] : 12345.0f);
	free(vy);
	/* backward: each output's gradient lands on its index */
	float *dy = xmalloc(ny * sizeof *dy), *dx = xcalloc(nx, sizeof *dx), *rdx = xcalloc(nx, sizeof *rdx);
	for (size_t i = 0; i < ny; i++)
		dy[i] = rng_uniform_range(&r, -1, 1);
	backend_cpu.maxpool_backward(&d, dy, arg, dx);
	for (size_t i = 0; i < ny; i++)
		rdx[(i / ((size_t)d.oh * d.ow)) * h * w + rarg[i]] += dy[i];
	char name[128];
	snprintf(name, sizeof name, "maxpool_backward n=%d c=%d %dx%d k=%d s=%d", n, c, h, w, k, s);
	CHECK_CLOSE(name, dx, rdx, (long)nx, 1e-6, 1e-6);
	free(x), free(y), free(ry), free(arg), free(rarg), free(dy), free(dx), free(rdx);
}

/* n, c, h, w, k, stride, NaN planes of 3; n, c, h and w all different */
static const int cases[][7] = {
	{3, 4, 8, 6, 2, 2, 0},
	{3, 4, 8, 10, 2, 2, 1},
	{2, 3, 29, 31, 2, 2, 2},
	{2, 3, 28, 26, 2, 2, 3},
	{2, 5, 9, 7, 3, 2, 1},
	{1, 5, 8, 6, 3, 1, 2},
	{2, 3, 5, 6, 5, 5, 1},
	/* rows of 7 windows: without indices each row runs on into the next
	   two, and the last rows of a plane stop at its end */
	{3, 5, 14, 15, 2, 2, 1},
	{5, 3, 15, 14, 2, 2, 3},
};

int main(void)
{
	nn_prog = "test_pool";
	for (int threads = 1; threads <= 2; threads++) {
		backend_cpu.set_threads(threads);
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
			check_pool(cases[i]);
	}
	return check_failures ? 1 : 0;
}
