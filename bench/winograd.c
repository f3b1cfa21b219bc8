/* winograd.c: the CPU backend's convolution by im2col and GEMM against
   Winograd's route (backend_conv "gemm" and "winograd"), layer by layer:
     winograd time THREADS REPS   forward and backward (dx, dw, db) seconds
                                  of each convolution of the course
                                  network, the facade course network at 64
                                  and 128 and the small U-Net, alternating,
                                  medians of REPS; one Markdown row a layer
     winograd error               the error of each route against sums in
                                  double, per layer size (random inputs in
                                  [-1, 1], filters scaled by 1/sqrt(c*k*k))
   bench/winograd.sh builds and runs it and writes bench/winograd.md. */
#include "backend/backend.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct layer {
	const char *net;
	int n, c, hw, oc, k;
} layer;

/* stride 1, padding k/2 ("same"), as every such layer of examples/ */
static const layer layers[] = {
	{"fashion-mnist b64", 64, 1, 28, 32, 3},
	{"fashion-mnist b64", 64, 32, 14, 32, 3},
	{"facade 64 b8", 8, 3, 64, 64, 5},
	{"facade 64 b8", 8, 64, 32, 128, 5},
	{"facade 64 b8", 8, 128, 16, 256, 5},
	{"facade 64 b8", 8, 256, 16, 512, 5},
	{"facade 64 b8", 8, 512, 32, 512, 5},
	{"facade 64 b8", 8, 512, 64, 5, 3},
	{"facade 128 b8", 8, 64, 64, 128, 5},
	{"facade 128 b8", 8, 128, 32, 256, 5},
	{"facade 128 b8", 8, 256, 32, 512, 5},
	{"facade 128 b8", 8, 512, 64, 512, 5},
	{"unet-small b8", 8, 16, 128, 16, 3},
	{"unet-small b8", 8, 16, 64, 32, 3},
	{"unet-small b8", 8, 32, 64, 32, 3},
	{"unet-small b8", 8, 32, 32, 64, 3},
	{"unet-small b8", 8, 64, 32, 64, 3},
	{"unet-small b8", 8, 64, 16, 128, 3},
	{"unet-small b8", 8, 128, 16, 128, 3},
	{"unet-small b8", 8, 192, 32, 64, 3},
	{"unet-small b8", 8, 96, 64, 32, 3},
	{"unet-small b8", 8, 48, 128, 16, 3},
};

static conv_desc desc_of(const layer *l, int n)
{
	int p = l->k / 2;
	conv_desc d = {n, l->c, l->hw, l->hw, l->oc, l->k, 1, p, l->hw, l->hw};
	return d;
}

static float *randoms(size_t n, float scale, unsigned *seed)
{
	float *p = xmalloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = scale * (2.0f * rand_r(seed) / RAND_MAX - 1.0f);
	return p;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Forward and backward seconds of one route, with its workspace */
static void time_route(const char *route, void *work, const conv_desc *d, const float *x, const float *w,
		       const float *b, const float *dy, float *y, float *dx, float *dw, float *db, double *fwd,
		       double *bwd)
{
	backend_conv = route;
	double t0 = now();
	backend_cpu.conv_forward(d, x, w, b, y, work);
	double t1 = now();
	backend_cpu.conv_backward(d, x, w, dy, dx, dw, db, work);
	*fwd = t1 - t0, *bwd = now() - t1;
}

/* A workspace for route, touched once by a first call */
static void *route_work(const char *route, const conv_desc *d, const float *x, const float *w, const float *b,
			const float *dy, float *y, float *dx, float *dw, float *db)
{
	double f, g;
	backend_conv = route;
	void *work = backend_cpu.alloc(backend_cpu.conv_workspace(d), "workspace");
	time_route(route, work, d, x, w, b, dy, y, dx, dw, db, &f, &g);
	return work;
}

static void time_layers(int threads, int reps)
{
	backend_cpu.set_threads(threads);
	printf("| network | c -> oc | k | input | gemm fwd ms | wino fwd ms | fwd x | gemm bwd ms | wino bwd ms | bwd x |\n");
	printf("|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
		const layer *l = &layers[i];
		conv_desc d = desc_of(l, l->n);
		size_t nx = (size_t)d.n * d.c * d.h * d.w, ny = (size_t)d.n * d.oc * d.oh * d.ow;
		size_t nw = (size_t)d.oc * d.c * d.k * d.k;
		unsigned seed = 1;
		float *x = randoms(nx, 1, &seed), *w = randoms(nw, 0.1f, &seed), *b = randoms(d.oc, 1, &seed);
		float *dy = randoms(ny, 1, &seed), *y = xmalloc(ny * 4), *dx = xcalloc(nx, 4), *dw = xcalloc(nw, 4);
		float *db = xcalloc(d.oc, 4);
		double gf[16], gb[16], wf[16], wb[16];
		void *gw = route_work("gemm", &d, x, w, b, dy, y, dx, dw, db);
		void *ww = route_work("winograd", &d, x, w, b, dy, y, dx, dw, db);
		reps = reps < 16 ? reps : 16;
		for (int r = 0; r < reps; r++) {
			time_route("gemm", gw, &d, x, w, b, dy, y, dx, dw, db, &gf[r], &gb[r]);
			time_route("winograd", ww, &d, x, w, b, dy, y, dx, dw, db, &wf[r], &wb[r]);
		}
		backend_cpu.free(gw), backend_cpu.free(ww);
		double mgf = median(gf, reps), mwf = median(wf, reps), mgb = median(gb, reps), mwb = median(wb, reps);
		printf("| %s | %d -> %d | %d | %dx%d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n", l->net, l->c, l->oc,
		       l->k, l->hw, l->hw, mgf * 1e3, mwf * 1e3, mgf / mwf, mgb * 1e3, mwb * 1e3, mgb / mwb);
		fflush(stdout);
		free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db);
	}
}

/* y = conv(x, w) and the gradients of sum(y * dy), in double */
static void reference(const conv_desc *d, const float *x, const float *w, const float *dy, double *y,
		      double *dx, double *dw)
{
	for (int o = 0; o < d->oc; o++)
		for (int oy = 0; oy < d->oh; oy++)
			for (int ox = 0; ox < d->ow; ox++) {
				double s = 0, g = dy[((size_t)o * d->oh + oy) * d->ow + ox];
				for (int c = 0; c < d->c; c++)
					for (int ky = 0; ky < d->k; ky++)
						for (int kx = 0; kx < d->k; kx++) {
							int iy = oy - d->pad + ky, ix = ox - d->pad + kx;
							if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w)
								continue;
							size_t xo = ((size_t)c * d->h + iy) * d->w + ix;
							size_t wo = (((size_t)o * d->c + c) * d->k + ky) * d->k + kx;
							s += (double)w[wo] * x[xo];
							dw[wo] += g * x[xo];
							dx[xo] += g * w[wo];
						}
				y[((size_t)o * d->oh + oy) * d->ow + ox] = s;
			}
}

/* "max / rms": the largest error over the largest |want|, and the rms
   error over the rms of want */
static void print_error(const float *got, const double *want, size_t n)
{
	double me = 0, mw = 0, se = 0, sw = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs(got[i] - want[i]);
		me = e > me ? e : me;
		mw = fabs(want[i]) > mw ? fabs(want[i]) : mw;
		se += e * e, sw += want[i] * want[i];
	}
	printf(" %.1e / %.1e |", me / mw, sqrt(se / sw));
}

static void error_layers(void)
{
	printf("| c -> oc | k | input | gemm y | wino y | gemm dx | wino dx | gemm dw | wino dw |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof layers / sizeof *layers; i++) {
		layer l = layers[i];
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= layers[j].c == l.c && layers[j].oc == l.oc && layers[j].k == l.k;
		if (seen)
			continue;
		l.hw = l.hw < 16 ? l.hw : 16;
		conv_desc d = desc_of(&l, 1);
		size_t nx = (size_t)d.c * d.h * d.w, ny = (size_t)d.oc * d.oh * d.ow, nw = (size_t)d.oc * d.c * d.k * d.k;
		unsigned seed = 7;
		float *x = randoms(nx, 1, &seed), *w = randoms(nw, 1 / sqrtf(d.c * d.k * d.k), &seed);
		float *dy = randoms(ny, 1, &seed), *y = xmalloc(ny * 4), *dx = xmalloc(nx * 4), *dw = xmalloc(nw * 4);
		double *ry = xcalloc(ny, 8), *rdx = xcalloc(nx, 8), *rdw = xcalloc(nw, 8);
		reference(&d, x, w, dy, ry, rdx, rdw);
		float *got[2][3];
		for (int r = 0; r < 2; r++) {
			backend_conv = r ? "winograd" : "gemm";
			void *work = backend_cpu.alloc(backend_cpu.conv_workspace(&d), "workspace");
			memset(dx, 0, nx * 4), memset(dw, 0, nw * 4);
			backend_cpu.conv_forward(&d, x, w, NULL, y, work);
			backend_cpu.conv_backward(&d, x, w, dy, dx, dw, NULL, work);
			got[r][0] = xmalloc(ny * 4), got[r][1] = xmalloc(nx * 4), got[r][2] = xmalloc(nw * 4);
			memcpy(got[r][0], y, ny * 4), memcpy(got[r][1], dx, nx * 4), memcpy(got[r][2], dw, nw * 4);
			backend_cpu.free(work);
		}
		printf("| %d -> %d | %d | %dx%d |", l.c, l.oc, l.k, l.hw, l.hw);
		for (int r = 0; r < 2; r++)
			print_error(got[r][0], ry, ny);
		for (int r = 0; r < 2; r++)
			print_error(got[r][1], rdx, nx);
		for (int r = 0; r < 2; r++)
			print_error(got[r][2], rdw, nw);
		printf("\n");
		fflush(stdout);
		for (int r = 0; r < 2; r++)
			for (int q = 0; q < 3; q++)
				free(got[r][q]);
		free(x), free(w), free(dy), free(y), free(dx), free(dw), free(ry), free(rdx), free(rdw);
	}
}

int main(int argc, char **argv)
{
	nn_prog = "winograd";
	if (argc == 4 && !strcmp(argv[1], "time"))
		time_layers(atoi(argv[2]), atoi(argv[3]));
	else if (argc == 2 && !strcmp(argv[1], "error"))
		error_layers();
	else
		fatal("usage: winograd time THREADS REPS | winograd error");
	return 0;
}
