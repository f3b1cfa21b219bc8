/* cpu_conv.c: the CPU backend's convolution: im2col + GEMM per sample,
   samples spread over threads; or the direct route (cpu_direct.c) or
   Winograd's (cpu_winograd.c), chosen here. */
#include "backend/cpu_ops.h"
#include "backend/gemm.h"

#include <string.h>

/* Winograd's route (cpu_winograd.c) where it fits and backend_conv asks
   for it. "auto" takes it where it measured faster than im2col and GEMM
   (bench/winograd.md): the 5x5 convolutions with 32 channels or more on
   both sides, where the products and not the transforms take the time.
   With 3x3 filters it saves less (36 products for 16 outputs against 144,
   where 5x5 has 64 against 400) and lost on most layers measured. */
static int conv_winograd(const conv_desc *d)
{
	if (!cpu_winograd_fits(d) || !strcmp(backend_conv, "gemm"))
		return 0;
	return !strcmp(backend_conv, "winograd") || (d->k == 5 && d->c >= 32 && d->oc >= 32);
}

static int conv_is_pointwise(const conv_desc *d)
{
	return d->k == 1 && d->stride == 1 && d->pad == 0;
}

/* The direct route (cpu_direct.c) for stride-1 convolutions where
   backend_conv is "direct", or "auto" and Winograd's route is not taken:
   it measured faster than im2col and GEMM on the course networks and the
   U-Nets (bench/cpu-facade.md). */
static int conv_direct(const conv_desc *d)
{
	return cpu_direct_fits(d) && (!strcmp(backend_conv, "direct") || !strcmp(backend_conv, "auto"));
}

/* Output columns [a, b) of a row whose input column ox*stride - pad + kx
   falls inside [0, w); outside it the row reads zero padding. */
static void valid_range(const conv_desc *d, int kx, int *a, int *b)
{
	int lo = d->pad - kx, hi = d->w + d->pad - kx; /* stride-1 bounds, scaled below */
	int s = d->stride;
	*a = lo <= 0 ? 0 : (lo + s - 1) / s;
	*b = hi <= 0 ? 0 : (hi + s - 1) / s;
	if (*b > d->ow)
		*b = d->ow;
	if (*a > *b)
		*a = *b;
}

/* Copies and zero fills of a few floats, inline: the rows of im2col are a
   convolution's output width (7 to 28 floats on the course network), too
   short for a call to memcpy or memset to pay (and a plain loop becomes
   one). Pieces of 8 floats, or of 4, the last one overlapping its
   neighbour when n is not a multiple. */
static inline void copy_short(float *restrict dst, const float *restrict src, int n)
{
	if (n >= 8) {
		for (int i = 0; i + 8 <= n; i += 8)
			memcpy(dst + i, src + i, 8 * sizeof(float));
		memcpy(dst + n - 8, src + n - 8, 8 * sizeof(float));
	} else if (n >= 4) {
		memcpy(dst, src, 4 * sizeof(float));
		memcpy(dst + n - 4, src + n - 4, 4 * sizeof(float));
	} else if (n > 0) {
		dst[0] = src[0];
		dst[n / 2] = src[n / 2];
		dst[n - 1] = src[n - 1];
	}
}

static inline void zero_short(float *dst, int n)
{
	static const float zeros[8];
	copy_short(dst, zeros, n < 8 ? n : 8);
	for (int i = 8; i + 8 <= n; i += 8)
		memcpy(dst + i, zeros, 8 * sizeof(float));
	if (n > 8)
		memcpy(dst + n - 8, zeros, 8 * sizeof(float));
}

/* The columns of a large convolution are made and multiplied a block of
   output rows at a time, about COL_BLOCK_FLOATS (16 MB) each, so that the
   workspace stays bounded (the 512->512 5x5 convolution of the facade
   network at 64x64 would need 210 MB per thread) and nearer the cache. The
   blocks are even and at least one row; a small convolution is one block. */
#define COL_BLOCK_FLOATS ((size_t)4 << 20)

static int conv_block_rows(const conv_desc *d)
{
	size_t per_row = (size_t)d->c * d->k * d->k * d->ow;
	int rows = COL_BLOCK_FLOATS / per_row < 1 ? 1 : (int)(COL_BLOCK_FLOATS / per_row);
	if (rows >= d->oh)
		return d->oh;
	int blocks = (d->oh + rows - 1) / rows;
	return (d->oh + blocks - 1) / blocks;
}

/* Floats of a block of columns [c*k*k, rows*ow] */
static size_t conv_col_floats(const conv_desc *d)
{
	return (size_t)d->c * d->k * d->k * conv_block_rows(d) * d->ow;
}

/* Floats of the zero-bordered input rows [rows+k-1, w+2*pad] that im2col
   copies a stride-1 convolution's input through */
static size_t im2col_padded_floats(const conv_desc *d)
{
	return d->stride == 1 ? (size_t)(conv_block_rows(d) + d->k - 1) * (d->w + 2 * d->pad) : 0;
}

/* col [c*k*k, (oy1-oy0)*ow]: the columns of output rows [oy0, oy1) of one
   image x [c,h,w]; pp: im2col_padded_floats. At stride 1 the input rows
   they read are first copied inside a zero border, so that every row of
   the columns is one copy of ow floats, without the bounds and zero fills
   of the general route below. */
static void im2col(const conv_desc *d, const float *x, int oy0, int oy1, float *col, float *pp)
{
	int k = d->k, ow = d->ow, n = (oy1 - oy0) * ow;
	if (d->stride == 1) {
		int wp = d->w + 2 * d->pad, prows = oy1 - oy0 + k - 1;
		for (int ch = 0; ch < d->c; ch++) {
			const float *plane = x + (size_t)ch * d->h * d->w;
			for (int r = 0; r < prows; r++) {
				int iy = oy0 + r - d->pad;
				float *dst = pp + (size_t)r * wp;
				if (iy < 0 || iy >= d->h) {
					zero_short(dst, wp);
					continue;
				}
				zero_short(dst, d->pad);
				copy_short(dst + d->pad, plane + (size_t)iy * d->w, d->w);
				zero_short(dst + d->pad + d->w, d->pad);
			}
			for (int ky = 0; ky < k; ky++)
				for (int kx = 0; kx < k; kx++) {
					float *row = col + (size_t)((ch * k + ky) * k + kx) * n;
					const float *src = pp + (size_t)ky * wp + kx;
					for (int oy = 0; oy < oy1 - oy0; oy++)
						copy_short(row + (size_t)oy * ow, src + (size_t)oy * wp, ow);
				}
		}
		return;
	}
	for (int ch = 0; ch < d->c; ch++)
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++) {
				float *row = col + (size_t)((ch * k + ky) * k + kx) * n;
				const float *plane = x + (size_t)ch * d->h * d->w;
				int a, b;
				valid_range(d, kx, &a, &b);
				for (int oy = oy0; oy < oy1; oy++) {
					int iy = oy * d->stride - d->pad + ky;
					float *r = row + (size_t)(oy - oy0) * ow;
					if (iy < 0 || iy >= d->h) {
						zero_short(r, ow);
						continue;
					}
					const float *src = plane + (size_t)iy * d->w - d->pad + kx;
					zero_short(r, a);
					for (int ox = a; ox < b; ox++)
						r[ox] = src[ox * d->stride];
					zero_short(r + b, ow - b);
				}
			}
}

/* dx [c,h,w] += col2im(dcol) */
static void col2im_add(const conv_desc *d, const float *col, float *dx)
{
	int k = d->k, ohw = d->oh * d->ow;
	for (int ch = 0; ch < d->c; ch++)
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++) {
				const float *row = col + (size_t)((ch * k + ky) * k + kx) * ohw;
				float *plane = dx + (size_t)ch * d->h * d->w;
				int a, b;
				valid_range(d, kx, &a, &b);
				for (int oy = 0; oy < d->oh; oy++) {
					int iy = oy * d->stride - d->pad + ky;
					if (iy < 0 || iy >= d->h)
						continue;
					float *dst = plane + (size_t)iy * d->w - d->pad + kx;
					const float *r = row + oy * d->ow;
					for (int ox = a; ox < b; ox++)
						dst[ox * d->stride] += r[ox];
				}
			}
}

/* The input gradient of a stride-1 convolution as a convolution of dy
   (pad k-1-pad) with the flipped weights [c, oc*k*k]: one GEMM that adds
   straight into dx, without the zeroed columns and col2im of the general
   route, and on columns oc*k*k tall rather than c*k*k. */
static int conv_dx_direct(const conv_desc *d)
{
	return d->stride == 1 && d->pad <= d->k - 1 && !conv_is_pointwise(d);
}

/* The direct route's columns: dy [oc, oh, ow] as the input of a stride-1
   convolution with an output of the input's size */
static conv_desc conv_dx_desc(const conv_desc *d)
{
	conv_desc t = {1, d->oc, d->oh, d->ow, d->c, d->k, 1, d->k - 1 - d->pad, d->h, d->w};
	return t;
}

/* im2col's zero-bordered plane, for the input's columns and for dy's */
static size_t conv_padded_floats(const conv_desc *d)
{
	conv_desc t = conv_dx_desc(d);
	size_t a = im2col_padded_floats(d), b = conv_dx_direct(d) ? im2col_padded_floats(&t) : 0;
	return a > b ? a : b;
}

/* Per thread: a block of columns (conv_col_floats); dcol, the input
   gradient's columns (a block of the direct route's, else [ckk, ohw]);
   im2col's padded rows; partial dw [oc, ckk] and db [oc]. After every
   thread's part, the flipped weights [c, oc*k*k]. */
static size_t conv_thread_floats(const conv_desc *d)
{
	size_t ckk = (size_t)d->c * d->k * d->k, ohw = (size_t)d->oh * d->ow;
	conv_desc t = conv_dx_desc(d);
	size_t dcol = conv_dx_direct(d) ? conv_col_floats(&t) : ckk * ohw;
	if (conv_direct(d)) /* no columns: only the partial dw and db */
		return (size_t)d->oc * ckk + d->oc + 16;
	return conv_col_floats(d) + dcol + conv_padded_floats(d) + (size_t)d->oc * ckk + d->oc + 16;
}

/* The direct route's buffer per thread, for the forward pass and for the
   input gradient's */
static size_t conv_direct_floats(const conv_desc *d)
{
	if (!conv_direct(d))
		return 0;
	conv_desc t = conv_dx_desc(d);
	size_t a = cpu_direct_floats(d), b = conv_dx_direct(d) ? cpu_direct_floats(&t) : 0;
	return a > b ? a : b;
}

/* The workspace: conv_thread_floats per thread; the flipped weights (or
   the direct route's [c*k*k, oc]); the direct route's buffer per thread. */
size_t cpu_conv_workspace(const conv_desc *d)
{
	if (conv_winograd(d))
		return cpu_winograd_workspace(d);
	return ((conv_thread_floats(d) + conv_direct_floats(d)) * nthreads() + (size_t)d->c * d->oc * d->k * d->k +
		16) * sizeof(float);
}

/* Thread t's buffer of the direct route, 64-byte aligned as the workspace */
static float *direct_buffer(const conv_desc *d, void *work, int t)
{
	size_t at = conv_thread_floats(d) * nthreads() + (size_t)d->c * d->oc * d->k * d->k;
	return (float *)work + (at + 15) / 16 * 16 + conv_direct_floats(d) * t;
}

void cpu_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b,
		      float *y, void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, rows = conv_block_rows(d);
	size_t per = conv_thread_floats(d);
	if (conv_winograd(d)) {
		cpu_winograd_forward(d, x, w, b, y, work);
		return;
	}
	if (conv_direct(d)) {
		float *wt = (float *)work + per * nthreads();
		cpu_direct_weights(d, w, wt);
#pragma omp parallel for schedule(static)
		for (int i = 0; i < d->n; i++)
			cpu_direct_sample(d, x + (size_t)i * d->c * d->h * d->w, wt, b, y + (size_t)i * d->oc * ohw, 0,
					  direct_buffer(d, work, thread_id()));
		return;
	}
#pragma omp parallel for schedule(static)
	for (int i = 0; i < d->n; i++) {
		const float *xi = x + (size_t)i * d->c * d->h * d->w;
		float *yi = y + (size_t)i * d->oc * ohw;
		if (b) {
			for (int o = 0; o < d->oc; o++)
				for (int j = 0; j < ohw; j++)
					yi[(size_t)o * ohw + j] = b[o];
		}
		if (conv_is_pointwise(d)) {
			gemm(CblasNoTrans, CblasNoTrans, d->oc, ohw, ckk, 1.0f, w, ckk, xi,
			     ohw, b ? 1.0f : 0.0f, yi, ohw);
			continue;
		}
		float *col = (float *)work + per * thread_id();
		float *pp = col + per - conv_padded_floats(d) - (size_t)d->oc * ckk - d->oc - 16;
		for (int oy0 = 0; oy0 < d->oh; oy0 += rows) {
			int oy1 = oy0 + rows < d->oh ? oy0 + rows : d->oh, cols = (oy1 - oy0) * d->ow;
			im2col(d, xi, oy0, oy1, col, pp);
			/* y [oc, block] (+)= w [oc, ckk] col [ckk, block] */
			gemm(CblasNoTrans, CblasNoTrans, d->oc, cols, ckk, 1.0f, w, ckk,
			     col, cols, b ? 1.0f : 0.0f, yi + (size_t)oy0 * d->ow, ohw);
		}
	}
}

void cpu_conv_backward(const conv_desc *d, const float *x, const float *w, const float *dy,
		       float *dx, float *dw, float *db, void *work)
{
	if (conv_winograd(d)) {
		cpu_winograd_backward(d, x, w, dy, dx, dw, db, work);
		return;
	}
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, kk = d->k * d->k, okk = d->oc * kk;
	size_t per = conv_thread_floats(d);
	int nt = nthreads(), direct = dx && conv_dx_direct(d);
	size_t wsz = (size_t)d->oc * ckk;
	conv_desc t_d = conv_dx_desc(d);
	int rows = conv_block_rows(d), trows = conv_block_rows(&t_d);
	float *w2 = (float *)work + per * nt;
	/* the input gradient by the direct route: dy's convolution with the
	   flipped weights, taken as [oc*k*k, c] */
	int by_direct = direct && conv_direct(d);
	for (int o = 0; by_direct && o < d->oc; o++)
		for (int ch = 0; ch < d->c; ch++)
			for (int q = 0; q < kk; q++)
				w2[((size_t)o * kk + kk - 1 - q) * d->c + ch] = w[((size_t)o * d->c + ch) * kk + q];
	for (int o = 0; direct && !by_direct && o < d->oc; o++)
		for (int ch = 0; ch < d->c; ch++)
			for (int q = 0; q < kk; q++)
				w2[(size_t)ch * okk + o * kk + kk - 1 - q] = w[((size_t)o * d->c + ch) * kk + q];
#pragma omp parallel
	{
		int t = thread_id();
		float *col = (float *)work + per * t;
		float *dcol = col + conv_col_floats(d);
		float *pdw = col + per - wsz - d->oc - 16;
		float *pdb = pdw + wsz, *pp = pdw - conv_padded_floats(d);
		memset(pdw, 0, (wsz + d->oc) * sizeof(float));
#pragma omp for schedule(static)
		for (int i = 0; i < d->n; i++) {
			const float *xi = x ? x + (size_t)i * d->c * d->h * d->w : NULL;
			const float *dyi = dy + (size_t)i * d->oc * ohw;
			/* dw [oc, ckk] += dy [oc, block] col [ckk, block]^T */
			if (dw && conv_is_pointwise(d))
				gemm(CblasNoTrans, CblasTrans, d->oc, ckk, ohw, 1.0f, dyi,
				     ohw, xi, ohw, 1.0f, pdw, ckk);
			if (dw && conv_direct(d))
				cpu_direct_weight_grad(d, xi, dyi, pdw, direct_buffer(d, work, t));
			for (int oy0 = 0; dw && !conv_is_pointwise(d) && !conv_direct(d) && oy0 < d->oh; oy0 += rows) {
				int oy1 = oy0 + rows < d->oh ? oy0 + rows : d->oh, cols = (oy1 - oy0) * d->ow;
				im2col(d, xi, oy0, oy1, col, pp);
				gemm(CblasNoTrans, CblasTrans, d->oc, ckk, cols, 1.0f,
				     dyi + (size_t)oy0 * d->ow, ohw, col, cols, 1.0f, pdw, ckk);
			}
			for (int o = 0; db && o < d->oc; o++) {
				float s = 0;
#pragma omp simd reduction(+ : s)
				for (int j = 0; j < ohw; j++)
					s += dyi[(size_t)o * ohw + j];
				pdb[o] += s;
			}
			if (dx) {
				float *dxi = dx + (size_t)i * d->c * d->h * d->w;
				if (conv_is_pointwise(d)) {
					gemm(CblasTrans, CblasNoTrans, ckk, ohw, d->oc, 1.0f,
					     w, ckk, dyi, ohw, 1.0f, dxi, ohw);
				} else if (by_direct) {
					cpu_direct_sample(&t_d, dyi, w2, NULL, dxi, 1, direct_buffer(d, work, t));
				} else if (direct) {
					int hw = d->h * d->w;
					for (int iy0 = 0; iy0 < d->h; iy0 += trows) {
						int iy1 = iy0 + trows < d->h ? iy0 + trows : d->h, cols = (iy1 - iy0) * d->w;
						im2col(&t_d, dyi, iy0, iy1, dcol, pp);
						/* dx [c, block] += w2 [c, okk] dcol [okk, block] */
						gemm(CblasNoTrans, CblasNoTrans, d->c, cols, okk, 1.0f,
						     w2, okk, dcol, cols, 1.0f, dxi + (size_t)iy0 * d->w, hw);
					}
				} else {
					gemm(CblasTrans, CblasNoTrans, ckk, ohw, d->oc, 1.0f,
					     w, ckk, dyi, ohw, 0.0f, dcol, ohw);
					col2im_add(d, dcol, dxi);
				}
			}
		}
	}
	/* sum the partials in thread order: deterministic for a given thread count */
	for (int t = 0; t < nt; t++) {
		const float *pdw = (const float *)work + per * (t + 1) - wsz - d->oc - 16;
		const float *pdb = pdw + wsz;
		for (size_t j = 0; dw && j < wsz; j++)
			dw[j] += pdw[j];
		if (db)
			for (int o = 0; o < d->oc; o++)
				db[o] += pdb[o];
	}
}
