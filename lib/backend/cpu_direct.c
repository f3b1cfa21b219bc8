/* cpu_direct.c: a stride-1 convolution as sums of shifted input rows, one
   sample at a time, without im2col's columns or a GEMM's packed copies.

   The input is copied once inside a zero border, [c, h+2p, w+2p]. In that
   layout, output (oy, ox) at position j = oy*(w+2p) + ox reads input
   j + ky*(w+2p) + kx of each channel: for every filter tap the outputs of
   a run of positions read a run of the input, however the run crosses
   rows. So the outputs are computed over the padded width, 2p columns a
   row too many (discarded), in tiles of TILE positions by MB output
   channels held in registers: each tap is TILE/16 vector loads and MB *
   TILE/16 fused multiply-adds with a broadcast weight. The sums run over
   channels, then filter rows, then taps, in that order for every output:
   the result does not depend on the thread count. The weights are taken
   as [c*k*k, oc] (cpu_direct_weights), so that a tap's MB weights are
   adjacent.

   For few output channels (the U-Nets' 16 to 64) the columns and the
   packing cost as much as the products (bench/cpu-facade.md). This file is
   built at -O3 with fused multiply-add contraction in every build (the
   Makefile), as OpenBLAS's kernels use them. */
#include "backend/cpu_ops.h"

#include <string.h>

typedef float vec __attribute__((vector_size(64)));
#define VL 16          /* floats a vector */
#define TV 3           /* vectors a tile */
#define TILE (VL * TV) /* output positions a tile */
#define MB 8           /* output channels a tile */

int cpu_direct_fits(const conv_desc *d)
{
	return d->stride == 1 && d->k > 1;
}

/* The padded input's row width and plane size, and the outputs' positions
   over the padded width, rounded up to whole tiles */
static int padded_w(const conv_desc *d) { return d->w + 2 * d->pad; }
static size_t padded_plane(const conv_desc *d) { return (size_t)(d->h + 2 * d->pad) * padded_w(d); }
static size_t wide_positions(const conv_desc *d)
{
	size_t j = (size_t)d->oh * padded_w(d);
	return (j + TILE - 1) / TILE * TILE;
}

/* Floats of the padded input and what the last tile reads past it, a
   whole number of vectors: the wide outputs after it start 64-byte aligned
   where the buffer does (a load that crosses a cache line costs two) */
static size_t padded_floats(const conv_desc *d)
{
	size_t n = (size_t)d->c * padded_plane(d) + TILE + (size_t)d->k * (padded_w(d) + 1);
	return (n + VL - 1) / VL * VL;
}

/* The padded input, then the last tile's reach past it (zeros), then the
   wide outputs [oc, wide_positions] */
size_t cpu_direct_floats(const conv_desc *d)
{
	return padded_floats(d) + (size_t)d->oc * wide_positions(d);
}

void cpu_direct_weights(const conv_desc *d, const float *w, float *wt)
{
	size_t ckk = (size_t)d->c * d->k * d->k;
	for (int o = 0; o < d->oc; o++)
		for (size_t q = 0; q < ckk; q++)
			wt[q * d->oc + o] = w[o * ckk + q];
}

/* out [mb, TILE] (row stride ldo) = the sums of the tile whose first input
   is xp (channel planes `plane` apart), weights wt [c*k*k, oc] from its
   first output channel. Inlined with mb a constant, so that the
   accumulators stay in registers. */
static inline __attribute__((always_inline)) void tile(const float *xp, size_t plane, int wp, int k, int c,
							const float *wt, int oc, int mb, float *out, size_t ldo)
{
	vec a[MB][TV];
	for (int m = 0; m < mb; m++)
		for (int v = 0; v < TV; v++)
			a[m][v] = (vec){0};
	for (int ch = 0; ch < c; ch++)
		for (int ky = 0; ky < k; ky++) {
			const float *row = xp + ch * plane + (size_t)ky * wp;
			const float *w = wt + (size_t)(ch * k + ky) * k * oc;
			for (int kx = 0; kx < k; kx++, w += oc) {
				vec x[TV];
				for (int v = 0; v < TV; v++)
					memcpy(&x[v], row + kx + v * VL, sizeof x[v]);
				for (int m = 0; m < mb; m++)
					for (int v = 0; v < TV; v++)
						a[m][v] += w[m] * x[v];
			}
		}
	for (int m = 0; m < mb; m++)
		for (int v = 0; v < TV; v++)
			memcpy(out + m * ldo + v * VL, &a[m][v], sizeof a[m][v]);
}

/* The input x [c, h, w] inside its zero border at the start of buf, then
   the zeros the last tile reads past it; returns where the wide outputs go.
   buf: 64-byte aligned (cpu_direct_floats is a whole number of vectors) */
static float *pad_input(const conv_desc *d, const float *x, float *buf)
{
	int wp = padded_w(d), p = d->pad;
	size_t plane = padded_plane(d), floats = padded_floats(d);
	memset(buf, 0, floats * sizeof *buf);
	for (int ch = 0; ch < d->c; ch++)
		for (int iy = 0; iy < d->h; iy++)
			memcpy(buf + ch * plane + (size_t)(iy + p) * wp + p, x + ((size_t)ch * d->h + iy) * d->w,
			       d->w * sizeof *x);
	return buf + floats;
}

void cpu_direct_sample(const conv_desc *d, const float *x, const float *wt, const float *b, float *y, int add,
		       float *buf)
{
	int wp = padded_w(d);
	size_t plane = padded_plane(d), nw = wide_positions(d);
	float *xp = buf, *yw = pad_input(d, x, buf);
	for (size_t j0 = 0; j0 < nw; j0 += TILE) {
		int m0 = 0;
		for (; m0 + MB <= d->oc; m0 += MB)
			tile(xp + j0, plane, wp, d->k, d->c, wt + m0, d->oc, MB, yw + m0 * nw + j0, nw);
		for (; m0 < d->oc; m0++)
			tile(xp + j0, plane, wp, d->k, d->c, wt + m0, d->oc, 1, yw + m0 * nw + j0, nw);
	}
	/* the outputs of the real columns, with the bias, set or added */
	size_t ohw = (size_t)d->oh * d->ow;
	for (int o = 0; o < d->oc; o++) {
		float bo = b ? b[o] : 0.0f, *yo = y + o * ohw;
		for (int oy = 0; oy < d->oh; oy++) {
			const float *src = yw + o * nw + (size_t)oy * wp;
			float *dst = yo + (size_t)oy * d->ow;
			if (add)
				for (int ox = 0; ox < d->ow; ox++)
					dst[ox] += src[ox];
			else
				for (int ox = 0; ox < d->ow; ox++)
					dst[ox] = src[ox] + bo;
		}
	}
}

/* The weight gradient's sums for output channels [o0, o0+ob) and taps
   [kx0, kx0+nk) of one channel and filter row: dot products of dy's wide
   rows dyw (zeros in the discarded columns) with the input row xrow shifted
   by each tap, in vectors, then across each vector's lanes. Inlined with ob
   and nk constants. */
typedef float vec8 __attribute__((vector_size(32)));
typedef float vec4 __attribute__((vector_size(16)));

/* The sum of a vector's lanes, by halves (a few independent steps, where
   lane by lane would be 16 additions each waiting for the last) */
static inline float lanes_sum(vec v)
{
	vec8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
		 __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
	vec4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
	return (q[0] + q[2]) + (q[1] + q[3]);
}

#define OB 8 /* output channels a pass */
#define KC 3 /* taps a pass */
#define DW_CHUNK 1024 /* positions a chunk: a multiple of VL */
static inline __attribute__((always_inline)) void taps(const float *xrow, const float *dyw, size_t nw, size_t nj,
							int ob, int nk, float *dw, size_t ckk)
{
	vec a[OB][KC];
	for (int o = 0; o < ob; o++)
		for (int t = 0; t < nk; t++)
			a[o][t] = (vec){0};
	for (size_t j = 0; j < nj; j += VL) {
		vec xv[KC];
		for (int t = 0; t < nk; t++)
			memcpy(&xv[t], xrow + t + j, sizeof xv[t]);
		for (int o = 0; o < ob; o++) {
			vec g;
			memcpy(&g, dyw + o * nw + j, sizeof g);
			for (int t = 0; t < nk; t++)
				a[o][t] += g * xv[t];
		}
	}
	for (int o = 0; o < ob; o++)
		for (int t = 0; t < nk; t++)
			dw[o * ckk + t] += lanes_sum(a[o][t]);
}

/* taps() for nk taps from kx0, with nk a constant */
static void taps_block(const float *xrow, const float *dyw, size_t nw, size_t nj, int ob, int nk, float *dw,
		       size_t ckk)
{
	if (ob == OB) {
		if (nk == 3)
			taps(xrow, dyw, nw, nj, OB, 3, dw, ckk);
		else if (nk == 2)
			taps(xrow, dyw, nw, nj, OB, 2, dw, ckk);
		else
			taps(xrow, dyw, nw, nj, OB, 1, dw, ckk);
	} else {
		for (int o = 0; o < ob; o++)
			for (int t = 0; t < nk; t++)
				taps(xrow + t, dyw + o * nw, nw, nj, 1, 1, dw + o * ckk + t, ckk);
	}
}

void cpu_direct_weight_grad(const conv_desc *d, const float *x, const float *dy, float *dw, float *buf)
{
	int wp = padded_w(d), k = d->k;
	size_t plane = padded_plane(d), nw = wide_positions(d), ckk = (size_t)d->c * k * k;
	float *xp = buf, *dyw = pad_input(d, x, buf);
	/* dy over the padded width, zeros in the columns past ow and after */
	memset(dyw, 0, (size_t)d->oc * nw * sizeof *dyw);
	for (int o = 0; o < d->oc; o++)
		for (int oy = 0; oy < d->oh; oy++)
			memcpy(dyw + o * nw + (size_t)oy * wp, dy + ((size_t)o * d->oh + oy) * d->ow, d->ow * sizeof *dy);
	/* positions a chunk at a time, so that a block of dy's rows stays in
	   the first-level cache while every channel and filter row passes */
	for (size_t j0 = 0; j0 < nw; j0 += DW_CHUNK) {
		size_t nj = nw - j0 < DW_CHUNK ? nw - j0 : DW_CHUNK;
		for (int o0 = 0; o0 < d->oc; o0 += OB) {
			int ob = d->oc - o0 < OB ? d->oc - o0 : OB;
			for (int ch = 0; ch < d->c; ch++)
				for (int ky = 0; ky < k; ky++)
					for (int kx0 = 0; kx0 < k; kx0 += KC)
						taps_block(xp + ch * plane + (size_t)ky * wp + kx0 + j0, dyw + o0 * nw + j0, nw,
							   nj, ob, k - kx0 < KC ? k - kx0 : KC,
							   dw + o0 * ckk + (size_t)(ch * k + ky) * k + kx0, ckk);
		}
	}
}
