/* cpu_winograd.c: stride-1 convolutions by Winograd's minimal filtering
   (Lavin and Gray, 2016). An r x r filter over m x m output tiles reads
   a x a input tiles (a = m + r - 1) and takes a*a products per tile and
   channel pair where the definition takes m*m*r*r: F(4x4, 3x3) 36 for 144,
   F(4x4, 5x5) 64 for 400. The products are a*a matrix products, one per
   position of the tile, over the channels and a block of tiles of every
   sample, so that OpenBLAS does the work at its peak.
   The forward pass, the input gradient (the forward pass of dy with the
   filters turned by 180 degrees and their channels swapped) and the weight
   gradient (the same algorithm with dy's tiles as the filters: F(r, m)) all
   use it. The transforms are built in double from the interpolation points
   0, 1, -1, 2, -2, 1/2, -1/2 and infinity (the Cook-Toom construction) and
   applied to LANES tiles or channels at a time, which vectorises. Threads
   share each block: the transforms split the tiles, the products split the
   tile positions, so the result does not depend on the thread count. */
#include "backend/cpu_ops.h"
#include "backend/gemm.h"

#include <math.h>
#include <string.h>

enum { WINO_MAX = 8, LANES = 8 };

typedef struct wino {
	int m, r, a;
	float at[WINO_MAX * WINO_MAX]; /* [m][a]: the output transform A^T */
	float g[WINO_MAX * WINO_MAX];  /* [a][r]: the filter transform G */
	float bt[WINO_MAX * WINO_MAX]; /* [a][a]: the input transform B^T */
} wino;

static const double points[WINO_MAX - 1] = {0, 1, -1, 2, -2, 0.5, -0.5};

/* The output tile of each filter size; 0: no Winograd route */
static int wino_tile(int r)
{
	return r == 3 ? 4 : r == 5 ? 4 : 0;
}

/* F(m, r): y_i = sum_k d_{i+k} g_k, i < m, is A^T ((G g) .* (B^T d)). A
   convolution is the transpose of that correlation: evaluate at the points
   (G, A), multiply, interpolate (B) with the Lagrange polynomials
   prod_{l != j} (x - p_l) / N_j and, for infinity, prod_l (x - p_l). */
static void wino_make(wino *t, int m, int r)
{
	int a = m + r - 1, np = a - 1;
	t->m = m, t->r = r, t->a = a;
	for (int j = 0; j < a; j++) {
		double poly[WINO_MAX + 1] = {1}, norm = 1;
		int deg = 0;
		for (int l = 0; l < np; l++) {
			if (l == j)
				continue;
			for (int q = deg + 1; q > 0; q--)
				poly[q] = poly[q - 1] - points[l] * poly[q];
			poly[0] *= -points[l];
			deg++;
			norm *= j < np ? points[j] - points[l] : 1;
		}
		for (int q = 0; q < a; q++)
			t->bt[j * a + q] = (float)poly[q];
		for (int k = 0; k < r; k++)
			t->g[j * r + k] = j < np ? (float)(pow(points[j], k) / norm) : k == r - 1;
		for (int i = 0; i < m; i++)
			t->at[i * a + j] = j < np ? (float)pow(points[j], i) : i == m - 1;
	}
}

/* LANES floats, one per tile or channel, as one vector (GCC's vector
   extension): the transforms work on these */
typedef float lanes_t __attribute__((vector_size(LANES * sizeof(float))));

/* out [p][p] = L in L^T lane by lane, for L [p][q], in [q][q] */
static inline __attribute__((always_inline)) void sandwich_of(const float *l, int p, int q, const lanes_t *in,
							      lanes_t *out)
{
	lanes_t tmp[WINO_MAX * WINO_MAX];
	for (int i = 0; i < p; i++)
		for (int j = 0; j < q; j++) {
			lanes_t s = {0};
			for (int k = 0; k < q; k++)
				s += l[i * q + k] * in[k * q + j];
			tmp[i * q + j] = s;
		}
	for (int i = 0; i < p; i++)
		for (int j = 0; j < p; j++) {
			lanes_t s = {0};
			for (int k = 0; k < q; k++)
				s += l[j * q + k] * tmp[i * q + k];
			out[i * p + j] = s;
		}
}

/* The same, its loops unrolled for the shapes of F(4, 3) and F(4, 5) and
   their weight gradients' F(3, 4) and F(5, 4) */
#define SANDWICH_CASE(p, q) \
	case (p) * 16 + (q): \
		sandwich_of(l, p, q, in, out); \
		return;

static void sandwich(const float *l, int p, int q, const lanes_t *in, lanes_t *out)
{
	switch (p * 16 + q) {
		SANDWICH_CASE(6, 6)
		SANDWICH_CASE(6, 3)
		SANDWICH_CASE(4, 6)
		SANDWICH_CASE(6, 4)
		SANDWICH_CASE(3, 6)
		SANDWICH_CASE(8, 8)
		SANDWICH_CASE(8, 5)
		SANDWICH_CASE(4, 8)
		SANDWICH_CASE(8, 4)
		SANDWICH_CASE(5, 8)
	default:
		sandwich_of(l, p, q, in, out);
	}
}

/* The tiles of a convolution's output: ty x tx per sample */
typedef struct tiling {
	int m, ty, tx;
	long count;
} tiling;

static tiling tiles_of(const wino *t, const conv_desc *d)
{
	tiling g = {t->m, (d->oh + t->m - 1) / t->m, (d->ow + t->m - 1) / t->m, 0};
	g.count = (long)d->n * g.ty * g.tx;
	return g;
}

/* Tile i: its sample, and the top-left corner (*y, *x) of its output */
static int tile_at(const tiling *g, long i, int *y, int *x)
{
	long per = (long)g->ty * g->tx, r = i % per;
	*y = (int)(r / g->tx) * g->m, *x = (int)(r % g->tx) * g->m;
	return (int)(i / per);
}

/* The planes [n][c][h][w] a transform reads, each tile's window starting
   off rows and columns above and left of its output tile */
typedef struct planes {
	const float *base;
	int c, h, w, off;
} planes;

/* p [s][s] lane e = the s x s window at (y0, x0) of plane e, zero
   outside h x w; a NULL plane is zeros */
static void load_windows(const float *const *plane, int h, int w, const int *y0, const int *x0, int s,
			 lanes_t *p)
{
	memset(p, 0, (size_t)s * s * sizeof *p);
	for (int e = 0; e < LANES; e++) {
		if (!plane[e])
			continue;
		for (int i = 0; i < s; i++) {
			int y = y0[e] + i;
			if (y < 0 || y >= h)
				continue;
			const float *row = plane[e] + (size_t)y * w;
			for (int j = 0; j < s; j++) {
				int x = x0[e] + j;
				if (x >= 0 && x < w)
					p[i * s + j][e] = row[x];
			}
		}
	}
}

/* v [a*a][c][nb] = L f L^T for the s x s window f of each tile [t0, t0+nb)
   and channel of src, L [a][s]; lanes over the tiles */
static void tiles_transform(const tiling *g, const planes *src, const float *l, int a, int s, long t0, int nb,
			    float *v)
{
	int groups = (nb + LANES - 1) / LANES;
#pragma omp for collapse(2) schedule(static)
	for (int ch = 0; ch < src->c; ch++)
		for (int q = 0; q < groups; q++) {
			const float *plane[LANES];
			int y0[LANES], x0[LANES], lanes = nb - q * LANES < LANES ? nb - q * LANES : LANES;
			lanes_t p[WINO_MAX * WINO_MAX], o[WINO_MAX * WINO_MAX];
			for (int e = 0; e < LANES; e++) {
				int i = tile_at(g, t0 + q * LANES + e, &y0[e], &x0[e]);
				y0[e] -= src->off, x0[e] -= src->off;
				plane[e] = e < lanes ? src->base + ((size_t)i * src->c + ch) * src->h * src->w : NULL;
			}
			load_windows(plane, src->h, src->w, y0, x0, s, p);
			sandwich(l, a, s, p, o);
			for (int xi = 0; xi < a * a; xi++) {
				float *dst = v + ((size_t)xi * src->c + ch) * nb + q * LANES;
				for (int e = 0; e < lanes; e++)
					dst[e] = o[xi][e];
			}
		}
}

/* u [a*a][oc][c]: G f G^T of each filter f; turned, the filter of output
   channel o and input channel ch is w [ch][o] turned by 180 degrees (w is
   then [c][oc][r][r]: the input gradient's); lanes over the input channels */
static void wino_filters(const wino *t, const conv_desc *d, const float *w, int turned, float *u)
{
	int a = t->a, r = t->r, rr = r * r, groups = (d->c + LANES - 1) / LANES;
#pragma omp for collapse(2) schedule(static)
	for (int o = 0; o < d->oc; o++)
		for (int q = 0; q < groups; q++) {
			lanes_t f[WINO_MAX * WINO_MAX] = {0}, out[WINO_MAX * WINO_MAX];
			int lanes = d->c - q * LANES < LANES ? d->c - q * LANES : LANES;
			for (int e = 0; e < lanes; e++) {
				int ch = q * LANES + e;
				const float *src = turned ? w + ((size_t)ch * d->oc + o) * rr : w + ((size_t)o * d->c + ch) * rr;
				for (int k = 0; k < rr; k++)
					f[k][e] = turned ? src[rr - 1 - k] : src[k];
			}
			sandwich(t->g, a, r, f, out);
			for (int xi = 0; xi < a * a; xi++) {
				float *dst = u + ((size_t)xi * d->oc + o) * d->c + q * LANES;
				for (int e = 0; e < lanes; e++)
					dst[e] = out[xi][e];
			}
		}
}

/* y [n][oc][oh][ow] (+)= A^T M A (+ bias) of each tile [t0, t0+nb) and
   output channel, from mm [a*a][oc][nb]; lanes over the tiles */
static void wino_output(const wino *t, const conv_desc *d, const tiling *g, const float *mm, long t0, int nb,
			const float *bias, int add, float *y)
{
	int a = t->a, m = t->m, groups = (nb + LANES - 1) / LANES;
#pragma omp for collapse(2) schedule(static)
	for (int o = 0; o < d->oc; o++)
		for (int q = 0; q < groups; q++) {
			lanes_t p[WINO_MAX * WINO_MAX] = {0}, out[WINO_MAX * WINO_MAX];
			int lanes = nb - q * LANES < LANES ? nb - q * LANES : LANES;
			float b0 = bias ? bias[o] : 0;
			for (int xi = 0; xi < a * a; xi++) {
				const float *src = mm + ((size_t)xi * d->oc + o) * nb + q * LANES;
				for (int e = 0; e < lanes; e++)
					p[xi][e] = src[e];
			}
			sandwich(t->at, m, a, p, out);
			for (int e = 0; e < lanes; e++) {
				int y0, x0, i = tile_at(g, t0 + q * LANES + e, &y0, &x0);
				float *plane = y + ((size_t)i * d->oc + o) * d->oh * d->ow;
				for (int ii = 0; ii < m && y0 + ii < d->oh; ii++)
					for (int jj = 0; jj < m && x0 + jj < d->ow; jj++) {
						float *dst = plane + (size_t)(y0 + ii) * d->ow + x0 + jj;
						float val = out[ii * m + jj][e] + b0;
						*dst = add ? *dst + val : val;
					}
			}
		}
}

/* The tiles of a block: its input transform [a*a][c] and products
   [a*a][oc] per tile take about BLOCK_FLOATS (64 MB), a multiple of LANES:
   256 tiles for 512 -> 512 5x5, wide enough that the matrix products'
   packing is a small part of their work */
#define BLOCK_FLOATS ((size_t)16 << 20)

static int block_tiles(const wino *t, const conv_desc *d)
{
	long count = tiles_of(t, d).count;
	long nb = (long)(BLOCK_FLOATS / ((size_t)t->a * t->a * (d->c + d->oc)));
	nb = nb < LANES ? LANES : nb / LANES * LANES;
	return (int)(nb > count ? count : nb);
}

/* Floats of a pass: the transformed filters (or the weight gradient's
   sums), [a*a][oc][c], then a block's input transform and products */
static size_t pass_floats(const wino *t, const conv_desc *d)
{
	size_t a2 = (size_t)t->a * t->a;
	return a2 * d->oc * d->c + a2 * (d->c + d->oc) * block_tiles(t, d);
}

/* y (+)= conv(x, w) (+ bias) over tiles of F(m, r) */
static void wino_conv(const wino *t, const conv_desc *d, const float *x, const float *w, int turned,
		      const float *bias, int add, float *y, float *work)
{
	tiling g = tiles_of(t, d);
	int a2 = t->a * t->a, nbmax = block_tiles(t, d);
	float *u = work, *v = u + (size_t)a2 * d->oc * d->c, *mm = v + (size_t)a2 * d->c * nbmax;
	planes src = {x, d->c, d->h, d->w, d->pad};
#pragma omp parallel
	{
		wino_filters(t, d, w, turned, u);
		for (long t0 = 0; t0 < g.count; t0 += nbmax) {
			int nb = g.count - t0 < nbmax ? (int)(g.count - t0) : nbmax;
			tiles_transform(&g, &src, t->bt, t->a, t->a, t0, nb, v);
			/* mm [xi] (oc x nb) = u [xi] (oc x c) v [xi] (c x nb) */
#pragma omp for schedule(static)
			for (int xi = 0; xi < a2; xi++)
				gemm(CblasNoTrans, CblasNoTrans, d->oc, nb, d->c, 1.0f,
				     u + (size_t)xi * d->oc * d->c, d->c, v + (size_t)xi * d->c * nb, nb, 0.0f,
				     mm + (size_t)xi * d->oc * nb, nb);
			wino_output(t, d, &g, mm, t0, nb, bias, add, y);
		}
	}
}

/* dw [oc][c][r][r] += A'^T s A' of each channel pair's sums s [a*a][oc][c];
   tw is F(r, m); lanes over the input channels */
static void wino_dw_out(const wino *tw, const conv_desc *d, const float *s, float *dw)
{
	int a = tw->a, r = tw->m, rr = r * r, groups = (d->c + LANES - 1) / LANES;
#pragma omp for collapse(2) schedule(static)
	for (int o = 0; o < d->oc; o++)
		for (int q = 0; q < groups; q++) {
			lanes_t p[WINO_MAX * WINO_MAX] = {0}, out[WINO_MAX * WINO_MAX];
			int lanes = d->c - q * LANES < LANES ? d->c - q * LANES : LANES;
			for (int xi = 0; xi < a * a; xi++) {
				const float *src = s + ((size_t)xi * d->oc + o) * d->c + q * LANES;
				for (int e = 0; e < lanes; e++)
					p[xi][e] = src[e];
			}
			sandwich(tw->at, r, a, p, out);
			for (int e = 0; e < lanes; e++) {
				float *dst = dw + ((size_t)o * d->c + q * LANES + e) * rr;
				for (int k = 0; k < rr; k++)
					dst[k] += out[k][e];
			}
		}
}

/* dw += the weight gradient: for each tile, the correlation of its input
   window (a x a) with its dy tile (m x m) is F(r, m) with the same input
   transform; the products are summed over tiles by GEMMs before the one
   output transform */
static void wino_dw(const wino *t, const conv_desc *d, const float *x, const float *dy, float *dw, float *work)
{
	wino tw;
	wino_make(&tw, t->r, t->m);
	tiling g = tiles_of(t, d);
	int a2 = t->a * t->a, nbmax = block_tiles(t, d);
	float *s = work, *v = s + (size_t)a2 * d->oc * d->c, *gd = v + (size_t)a2 * d->c * nbmax;
	planes src = {x, d->c, d->h, d->w, d->pad}, grad = {dy, d->oc, d->oh, d->ow, 0};
	memset(s, 0, (size_t)a2 * d->oc * d->c * sizeof(float));
#pragma omp parallel
	{
		for (long t0 = 0; t0 < g.count; t0 += nbmax) {
			int nb = g.count - t0 < nbmax ? (int)(g.count - t0) : nbmax;
			tiles_transform(&g, &src, t->bt, t->a, t->a, t0, nb, v);
			tiles_transform(&g, &grad, tw.g, t->a, t->m, t0, nb, gd);
			/* s [xi] (oc x c) += gd [xi] (oc x nb) v [xi]^T (nb x c) */
#pragma omp for schedule(static)
			for (int xi = 0; xi < a2; xi++)
				gemm(CblasNoTrans, CblasTrans, d->oc, d->c, nb, 1.0f,
				     gd + (size_t)xi * d->oc * nb, nb, v + (size_t)xi * d->c * nb, nb, 1.0f,
				     s + (size_t)xi * d->oc * d->c, d->c);
		}
		wino_dw_out(&tw, d, s, dw);
	}
}

/* The input gradient's convolution: dy [n][oc][oh][ow] with the turned
   filters, padded k-1-pad, gives [n][c][h][w] */
static conv_desc dx_desc(const conv_desc *d)
{
	conv_desc t = {d->n, d->oc, d->oh, d->ow, d->c, d->k, 1, d->k - 1 - d->pad, d->h, d->w};
	return t;
}

int cpu_winograd_fits(const conv_desc *d)
{
	return d->stride == 1 && wino_tile(d->k) && d->pad <= d->k - 1 && d->oh > 0 && d->ow > 0;
}

size_t cpu_winograd_workspace(const conv_desc *d)
{
	wino t;
	wino_make(&t, wino_tile(d->k), d->k);
	conv_desc td = dx_desc(d);
	size_t a = pass_floats(&t, d), b = pass_floats(&t, &td);
	return (a > b ? a : b) * sizeof(float);
}

void cpu_winograd_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y,
			  void *work)
{
	wino t;
	wino_make(&t, wino_tile(d->k), d->k);
	wino_conv(&t, d, x, w, 0, b, 0, y, work);
}

void cpu_winograd_backward(const conv_desc *d, const float *x, const float *w, const float *dy, float *dx,
			   float *dw, float *db, void *work)
{
	wino t;
	wino_make(&t, wino_tile(d->k), d->k);
	int ohw = d->oh * d->ow;
	if (db) {
#pragma omp parallel for schedule(static)
		for (int o = 0; o < d->oc; o++) {
			float s = 0;
			for (int i = 0; i < d->n; i++)
				for (int j = 0; j < ohw; j++)
					s += dy[((size_t)i * d->oc + o) * ohw + j];
			db[o] += s;
		}
	}
	if (dw)
		wino_dw(&t, d, x, dy, dw, work);
	if (dx) {
		conv_desc td = dx_desc(d);
		wino_conv(&t, &td, dy, w, 1, NULL, 1, dx, work);
	}
}
