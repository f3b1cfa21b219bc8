/* backend_cpu.c: the reference backend: plain C, OpenMP over samples or
   channels, GEMM through OpenBLAS (kept at one thread; we parallelise). */
#include "backend.h"
#include "elementwise.h"
#include "gemm.h"
#include "util.h"

#include <float.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int nthreads(void)
{
#ifdef _OPENMP
	return omp_get_max_threads();
#else
	return 1;
#endif
}

static int thread_id(void)
{
#ifdef _OPENMP
	return omp_get_thread_num();
#else
	return 0;
#endif
}

static void cpu_set_threads(int n)
{
#ifdef _OPENMP
	if (n > 0)
		omp_set_num_threads(n);
#endif
	gemm_set_threads(1);
}

static void cpu_set_precision(int tf32) { (void)tf32; }

static void *cpu_alloc(size_t bytes, const char *what)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 64))
		fatal("out of memory: %s needs %.1f MiB (try a smaller --batch)", what, bytes / 1048576.0);
	return p;
}

static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }
/* Large buffers (the activation gradients, zeroed every step) in one piece
   per thread: a single thread's memset would leave the others waiting. */
static void cpu_zero(void *p, size_t bytes)
{
	int nt = nthreads();
	if (bytes < ((size_t)1 << 20) || nt == 1) {
		memset(p, 0, bytes);
		return;
	}
	size_t piece = (bytes / nt + 63) / 64 * 64;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		size_t at = (size_t)t * piece;
		if (at < bytes)
			memset((char *)p + at, 0, bytes - at < piece ? bytes - at : piece);
	}
}
static void cpu_sync(void) {}

static void cpu_gather_images(float *out, const void *x, int is_u8, const int32_t *idx,
			      const sample_xform *xf, int n, int c, int h, int w, const float *mean,
			      const float *inv_std)
{
	size_t plane = (size_t)h * w;
#pragma omp parallel for schedule(static)
	for (int i = 0; i < n; i++) {
		const sample_xform *t = &xf[i];
		int ident = !t->flip && t->x0 == 0 && t->y0 == 0 && t->sw == w && t->sh == h;
		for (int ch = 0; ch < c; ch++) {
			size_t src = ((size_t)idx[i] * c + ch) * plane;
			float *o = out + ((size_t)i * c + ch) * plane;
			float s = (is_u8 ? 1.0f / 255.0f : 1.0f) * inv_std[ch], m = mean[ch] * inv_std[ch];
			if (ident) {
				if (is_u8) {
					const uint8_t *p = (const uint8_t *)x + src;
					for (size_t j = 0; j < plane; j++)
						o[j] = p[j] * s - m;
				} else {
					const float *p = (const float *)x + src;
					for (size_t j = 0; j < plane; j++)
						o[j] = p[j] * s - m;
				}
				continue;
			}
			for (int oy = 0; oy < h; oy++) {
				float sy = xform_coord(oy, h, 0, t->y0, t->sh);
				for (int ox = 0; ox < w; ox++) {
					float sx = xform_coord(ox, w, t->flip, t->x0, t->sw);
					const void *plane_p = is_u8 ? (const void *)((const uint8_t *)x + src)
								    : (const void *)((const float *)x + src);
					float v = bilinear_read(plane_p, is_u8, h, w, sy, sx);
					o[oy * w + ox] = v * s - m;
				}
			}
		}
	}
}

static void cpu_gather_labels(int32_t *out, const int32_t *y, const int32_t *idx,
			      const sample_xform *xf, int n, int h, int w, int seg)
{
	if (!seg) {
		for (int i = 0; i < n; i++)
			out[i] = y[idx[i]];
		return;
	}
	size_t plane = (size_t)h * w;
#pragma omp parallel for schedule(static)
	for (int i = 0; i < n; i++) {
		const sample_xform *t = &xf[i];
		const int32_t *p = y + (size_t)idx[i] * plane;
		for (int oy = 0; oy < h; oy++) {
			int sy = nearest_index(xform_coord(oy, h, 0, t->y0, t->sh), h);
			for (int ox = 0; ox < w; ox++) {
				int sx = nearest_index(xform_coord(ox, w, t->flip, t->x0, t->sw), w);
				out[i * plane + oy * w + ox] = p[sy * w + sx];
			}
		}
	}
}

/* ---- convolution: im2col + GEMM per sample, samples spread over threads ---- */

static int conv_is_pointwise(const conv_desc *d)
{
	return d->k == 1 && d->stride == 1 && d->pad == 0;
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
	return conv_col_floats(d) + dcol + conv_padded_floats(d) + (size_t)d->oc * ckk + d->oc + 16;
}

static size_t cpu_conv_workspace(const conv_desc *d)
{
	return (conv_thread_floats(d) * nthreads() + (size_t)d->c * d->oc * d->k * d->k) * sizeof(float);
}

static void cpu_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b,
			     float *y, void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, rows = conv_block_rows(d);
	size_t per = conv_thread_floats(d);
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
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->oc, ohw, ckk, 1.0f, w, ckk, xi,
				    ohw, b ? 1.0f : 0.0f, yi, ohw);
			continue;
		}
		float *col = (float *)work + per * thread_id();
		float *pp = col + per - conv_padded_floats(d) - (size_t)d->oc * ckk - d->oc - 16;
		for (int oy0 = 0; oy0 < d->oh; oy0 += rows) {
			int oy1 = oy0 + rows < d->oh ? oy0 + rows : d->oh, cols = (oy1 - oy0) * d->ow;
			im2col(d, xi, oy0, oy1, col, pp);
			/* y [oc, block] (+)= w [oc, ckk] col [ckk, block] */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->oc, cols, ckk, 1.0f, w, ckk,
				    col, cols, b ? 1.0f : 0.0f, yi + (size_t)oy0 * d->ow, ohw);
		}
	}
}

static void cpu_conv_backward(const conv_desc *d, const float *x, const float *w, const float *dy,
			      float *dx, float *dw, float *db, void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, kk = d->k * d->k, okk = d->oc * kk;
	size_t per = conv_thread_floats(d);
	int nt = nthreads(), direct = dx && conv_dx_direct(d);
	size_t wsz = (size_t)d->oc * ckk;
	conv_desc t_d = conv_dx_desc(d);
	int rows = conv_block_rows(d), trows = conv_block_rows(&t_d);
	float *w2 = (float *)work + per * nt;
	for (int o = 0; direct && o < d->oc; o++)
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
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->oc, ckk, ohw, 1.0f, dyi,
					    ohw, xi, ohw, 1.0f, pdw, ckk);
			for (int oy0 = 0; dw && !conv_is_pointwise(d) && oy0 < d->oh; oy0 += rows) {
				int oy1 = oy0 + rows < d->oh ? oy0 + rows : d->oh, cols = (oy1 - oy0) * d->ow;
				im2col(d, xi, oy0, oy1, col, pp);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->oc, ckk, cols, 1.0f,
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
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ohw, d->oc, 1.0f,
						    w, ckk, dyi, ohw, 1.0f, dxi, ohw);
				} else if (direct) {
					int hw = d->h * d->w;
					for (int iy0 = 0; iy0 < d->h; iy0 += trows) {
						int iy1 = iy0 + trows < d->h ? iy0 + trows : d->h, cols = (iy1 - iy0) * d->w;
						im2col(&t_d, dyi, iy0, iy1, dcol, pp);
						/* dx [c, block] += w2 [c, okk] dcol [okk, block] */
						cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->c, cols, okk, 1.0f,
							    w2, okk, dcol, cols, 1.0f, dxi + (size_t)iy0 * d->w, hw);
					}
				} else {
					cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ohw, d->oc, 1.0f,
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

/* ---- linear ---- */

static void cpu_linear_forward(int n, int in, int out, const float *x, const float *w,
			       const float *b, float *y)
{
	int nt = nthreads(), chunk = (n + nt - 1) / nt;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		int lo = t * chunk, hi = lo + chunk < n ? lo + chunk : n;
		if (lo >= hi)
			continue;
		if (b)
			for (int i = lo; i < hi; i++)
				memcpy(y + (size_t)i * out, b, out * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, hi - lo, out, in, 1.0f,
			    x + (size_t)lo * in, in, w, in, b ? 1.0f : 0.0f, y + (size_t)lo * out, out);
	}
}

static void cpu_linear_backward(int n, int in, int out, const float *x, const float *w,
				const float *dy, float *dx, float *dw, float *db)
{
	int nt = nthreads();
	int ochunk = (out + nt - 1) / nt, nchunk = (n + nt - 1) / nt;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		/* dw [out,in] += dy^T [out,n] x [n,in], split over output rows */
		int lo = t * ochunk, hi = lo + ochunk < out ? lo + ochunk : out;
		if (lo < hi) {
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, hi - lo, in, n, 1.0f, dy + lo,
				    out, x, in, 1.0f, dw + (size_t)lo * in, in);
			if (db)
				for (int o = lo; o < hi; o++) {
					float s = 0;
					for (int i = 0; i < n; i++)
						s += dy[(size_t)i * out + o];
					db[o] += s;
				}
		}
		/* dx [n,in] += dy [n,out] w [out,in], split over samples */
		int nlo = t * nchunk, nhi = nlo + nchunk < n ? nlo + nchunk : n;
		if (dx && nlo < nhi)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nhi - nlo, in, out, 1.0f,
				    dy + (size_t)nlo * out, out, w, in, 1.0f, dx + (size_t)nlo * in, in);
	}
}

/* ---- element-wise ---- */

static void cpu_relu_forward(size_t n, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : 0;
}

static void cpu_relu_backward(size_t n, const float *y, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dx[i] += y[i] > 0 ? dy[i] : 0.0f;
}

static void cpu_relu_backward_inplace(size_t n, const float *y, float *dy)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dy[i] = y[i] > 0 ? dy[i] : 0.0f;
}

static void cpu_leakyrelu_forward(size_t n, float slope, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = leaky_relu(x[i], slope);
}

static void cpu_leakyrelu_backward(size_t n, float slope, const float *x, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dx[i] += dy[i] * leaky_relu_grad(x[i], slope);
}

static void cpu_bias_add(int n, int c, int hw, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++)
		for (int j = 0; j < hw; j++)
			y[(size_t)p * hw + j] += b[p % c];
}

/* per channel over samples in order: deterministic */
static void cpu_bias_backward(int n, int c, int hw, const float *dy, float *db)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double s = 0;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < hw; j++)
				s += dy[((size_t)i * c + ch) * hw + j];
		db[ch] += (float)s;
	}
}

static void cpu_add(size_t n, const float *a, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = a[i] + b[i];
}

static void cpu_axpy(size_t n, float alpha, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] += alpha * x[i];
}

static void cpu_dropout_forward(size_t n, float p, uint64_t seed, const float *x, float *y,
				uint8_t *mask)
{
	float s = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++) {
		mask[i] = dropout_keep(seed, i, p);
		y[i] = mask[i] ? x[i] * s : 0.0f;
	}
}

static void cpu_dropout_backward(size_t n, float p, const uint8_t *mask, const float *dy, float *dx)
{
	float s = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		if (mask[i])
			dx[i] += dy[i] * s;
}

/* ---- max-pool ---- */

/* Whether the two rows of a line of 2x2 windows hold a NaN (n floats each) */
static int maxpool_row2_nan(const float *restrict r0, const float *restrict r1, int n)
{
	int bad = 0;
	for (int i = 0; i < n; i++)
		bad |= (r0[i] != r0[i]) | (r1[i] != r1[i]);
	return bad;
}

/* A line of 2x2 windows without NaN: maxpool_step's order (each row's pair,
   then the two winners; of equal values the first) as selects in one loop
   that the compiler vectorises (with -fno-trapping-math). */
static void maxpool_row2(const float *restrict r0, const float *restrict r1, float *restrict y,
			 int32_t *restrict arg, int ow, int base, int w)
{
	for (int ox = 0; ox < ow; ox++) {
		float a = r0[2 * ox], b = r0[2 * ox + 1], e = r1[2 * ox], f = r1[2 * ox + 1];
		int nb = b > a, nf = f > e;
		float m1 = nb ? b : a, m2 = nf ? f : e;
		int n2 = m2 > m1;
		y[ox] = n2 ? m2 : m1;
		arg[ox] = base + 2 * ox + (n2 ? w + nf : nb);
	}
}

static void cpu_maxpool_forward(const pool_desc *d, const float *x, float *y, int32_t *arg)
{
#pragma omp parallel for schedule(static)
	for (int p = 0; p < d->n * d->c; p++) {
		const float *xp = x + (size_t)p * d->h * d->w;
		float *yp = y + (size_t)p * d->oh * d->ow;
		int32_t *ap = arg + (size_t)p * d->oh * d->ow;
		if (d->k == 2 && d->stride == 2) {
			/* the common case, without the general loop's index arithmetic */
			for (int oy = 0; oy < d->oh; oy++) {
				const float *r0 = xp + (size_t)(2 * oy) * d->w, *r1 = r0 + d->w;
				int base = 2 * oy * d->w;
				if (!maxpool_row2_nan(r0, r1, 2 * d->ow)) {
					maxpool_row2(r0, r1, yp + (size_t)oy * d->ow, ap + (size_t)oy * d->ow, d->ow, base, d->w);
					continue;
				}
				for (int ox = 0; ox < d->ow; ox++) {
					/* each row's pair, then the two winners: what four
					   steps in order give, with a shorter dependency chain */
					int j = base + 2 * ox, j2 = j + d->w;
					float m = r0[2 * ox], m2 = r1[2 * ox];
					maxpool_step(r0[2 * ox + 1], j + 1, &m, &j);
					maxpool_step(r1[2 * ox + 1], j2 + 1, &m2, &j2);
					maxpool_step(m2, j2, &m, &j);
					yp[oy * d->ow + ox] = m;
					ap[oy * d->ow + ox] = j;
				}
			}
			continue;
		}
		for (int oy = 0; oy < d->oh; oy++)
			for (int ox = 0; ox < d->ow; ox++) {
				int best = (oy * d->stride) * d->w + ox * d->stride;
				float m = xp[best];
				for (int ky = 0; ky < d->k; ky++)
					for (int kx = 0; kx < d->k; kx++) {
						int j = (oy * d->stride + ky) * d->w + ox * d->stride + kx;
						maxpool_step(xp[j], j, &m, &best);
					}
				yp[oy * d->ow + ox] = m;
				ap[oy * d->ow + ox] = best;
			}
	}
}

static void cpu_maxpool_backward(const pool_desc *d, const float *dy, const int32_t *arg, float *dx)
{
	size_t ohw = (size_t)d->oh * d->ow;
#pragma omp parallel for schedule(static)
	for (int p = 0; p < d->n * d->c; p++) {
		float *dxp = dx + (size_t)p * d->h * d->w;
		for (size_t o = 0; o < ohw; o++)
			dxp[arg[p * ohw + o]] += dy[p * ohw + o];
	}
}

/* ---- average pool ---- */

static void cpu_avgpool_forward(const pool_desc *d, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (int p = 0; p < d->n * d->c; p++) {
		const float *xp = x + (size_t)p * d->h * d->w;
		float *yp = y + (size_t)p * d->oh * d->ow;
		for (int oy = 0; oy < d->oh; oy++)
			for (int ox = 0; ox < d->ow; ox++)
				yp[oy * d->ow + ox] = window_mean(xp, d->w, oy * d->stride, ox * d->stride, d->k);
	}
}

static void cpu_avgpool_backward(const pool_desc *d, const float *dy, float *dx)
{
	float inv = 1.0f / (float)(d->k * d->k);
#pragma omp parallel for schedule(static)
	for (int p = 0; p < d->n * d->c; p++) {
		float *dxp = dx + (size_t)p * d->h * d->w;
		const float *g = dy + (size_t)p * d->oh * d->ow;
		for (int oy = 0; oy < d->oh; oy++)
			for (int ox = 0; ox < d->ow; ox++) {
				float v = g[oy * d->ow + ox] * inv;
				for (int ky = 0; ky < d->k; ky++)
					for (int kx = 0; kx < d->k; kx++)
						dxp[(oy * d->stride + ky) * d->w + ox * d->stride + kx] += v;
			}
	}
}

static void cpu_plane_mean_forward(size_t planes, int hw, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t p = 0; p < planes; p++) {
		float s = 0;
		for (int j = 0; j < hw; j++)
			s += x[p * hw + j];
		y[p] = s / (float)hw;
	}
}

static void cpu_plane_mean_backward(size_t planes, int hw, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t p = 0; p < planes; p++) {
		float v = dy[p] / (float)hw;
		for (int j = 0; j < hw; j++)
			dx[p * hw + j] += v;
	}
}

/* ---- batch-norm ---- */

/* Batch-norm's sums, per channel over [n,c,hw]: of x (center NULL), or of
   (x - center[ch])^2. */
static void bn_sums(int n, int c, int hw, const float *x, const double *center, double *out)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double s = 0;
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			if (center)
				for (int j = 0; j < hw; j++)
					s += (p[j] - center[ch]) * (p[j] - center[ch]);
			else
				for (int j = 0; j < hw; j++)
					s += p[j];
		}
		out[ch] = s;
	}
}

/* y = gamma * (x - mean) * invstd + beta, per channel */
static void bn_apply(int n, int c, int hw, const float *x, const float *gamma, const float *beta,
		     const float *mean, const float *invstd, float *y)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		float a = gamma[ch] * invstd[ch], b = beta[ch] - mean[ch] * a;
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			float *q = y + ((size_t)i * c + ch) * hw;
			for (int j = 0; j < hw; j++)
				q[j] = p[j] * a + b;
		}
	}
}

/* Training statistics, the sums reduced across the parts of the batch
   when reduce is not NULL: the mean first, then the squared deviations
   from it (two passes, as the variance of one pass loses digits). */
static void bn_train_stats(int n, int c, int hw, const float *x, float *run_mean, float *run_var,
			   float momentum, float eps, float *save_mean, float *save_invstd,
			   void (*reduce)(double *, size_t))
{
	double *s = xmalloc((2 * (size_t)c + 1) * sizeof *s), *mu = s + c + 1;
	bn_sums(n, c, hw, x, NULL, s);
	s[c] = (double)n * hw;
	if (reduce)
		reduce(s, c + 1);
	double cnt = s[c];
	for (int ch = 0; ch < c; ch++)
		mu[ch] = s[ch] / cnt;
	bn_sums(n, c, hw, x, mu, s);
	if (reduce)
		reduce(s, c);
	for (int ch = 0; ch < c; ch++)
		batchnorm_stats(mu[ch], s[ch], cnt, momentum, eps, &save_mean[ch], &save_invstd[ch], &run_mean[ch],
				&run_var[ch]);
	free(s);
}

static void cpu_batchnorm_forward(int n, int c, int hw, const float *x, const float *gamma,
				  const float *beta, float *run_mean, float *run_var, float momentum,
				  float eps, int train, float *y, float *save_mean, float *save_invstd)
{
	if (train) {
		bn_train_stats(n, c, hw, x, run_mean, run_var, momentum, eps, save_mean, save_invstd, NULL);
		bn_apply(n, c, hw, x, gamma, beta, save_mean, save_invstd, y);
		return;
	}
	float *is = xmalloc((size_t)c * sizeof *is);
	for (int ch = 0; ch < c; ch++)
		is[ch] = 1.0f / sqrtf(run_var[ch] + eps);
	bn_apply(n, c, hw, x, gamma, beta, run_mean, is, y);
	free(is);
}

static void cpu_batchnorm_forward_sync(int n, int c, int hw, const float *x, const float *gamma,
				       const float *beta, float *run_mean, float *run_var, float momentum,
				       float eps, float *y, float *save_mean, float *save_invstd,
				       void (*reduce)(double *, size_t))
{
	bn_train_stats(n, c, hw, x, run_mean, run_var, momentum, eps, save_mean, save_invstd, reduce);
	bn_apply(n, c, hw, x, gamma, beta, save_mean, save_invstd, y);
}

/* Backward, with the sums of dy and dy*(x-mean) over the whole batch
   when reduce is not NULL; dgamma and dbeta take this part's. */
static void bn_backward(int n, int c, int hw, const float *x, const float *gamma, const float *dy,
			const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
			void (*reduce)(double *, size_t))
{
	double *t = xmalloc((2 * (size_t)c + 1) * sizeof *t), *sdy = t, *sdyx = t + c;
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double a = 0, b = 0;
		float mu = save_mean[ch];
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			const float *g = dy + ((size_t)i * c + ch) * hw;
			for (int j = 0; j < hw; j++) {
				a += g[j];
				b += g[j] * (p[j] - mu);
			}
		}
		sdy[ch] = a;
		sdyx[ch] = b;
		dgamma[ch] += (float)(b * save_invstd[ch]);
		dbeta[ch] += (float)a;
	}
	t[2 * c] = (double)n * hw;
	if (reduce)
		reduce(t, 2 * (size_t)c + 1);
	double cnt = t[2 * c];
	if (dx) {
#pragma omp parallel for schedule(static)
		for (int ch = 0; ch < c; ch++) {
			/* dx = gamma*invstd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
			float mu = save_mean[ch], is = save_invstd[ch], k = gamma[ch] * is;
			float mdy = (float)(sdy[ch] / cnt), mdyx = (float)(sdyx[ch] * is / cnt);
			for (int i = 0; i < n; i++) {
				const float *p = x + ((size_t)i * c + ch) * hw;
				const float *g = dy + ((size_t)i * c + ch) * hw;
				float *q = dx + ((size_t)i * c + ch) * hw;
				for (int j = 0; j < hw; j++) {
					float xhat = (p[j] - mu) * is;
					q[j] += k * (g[j] - mdy - xhat * mdyx);
				}
			}
		}
	}
	free(t);
}

static void cpu_batchnorm_backward(int n, int c, int hw, const float *x, const float *gamma,
				   const float *dy, const float *save_mean, const float *save_invstd,
				   float *dx, float *dgamma, float *dbeta)
{
	bn_backward(n, c, hw, x, gamma, dy, save_mean, save_invstd, dx, dgamma, dbeta, NULL);
}

static void cpu_batchnorm_backward_sync(int n, int c, int hw, const float *x, const float *gamma,
					const float *dy, const float *save_mean, const float *save_invstd,
					float *dx, float *dgamma, float *dbeta, void (*reduce)(double *, size_t))
{
	bn_backward(n, c, hw, x, gamma, dy, save_mean, save_invstd, dx, dgamma, dbeta, reduce);
}

/* ---- bilinear upsample ---- */

static void cpu_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y)
{
	float sh = (float)h / oh, sw = (float)w / ow;
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++) {
		const float *xp = x + (size_t)p * h * w;
		float *yp = y + (size_t)p * oh * ow;
		for (int oy = 0; oy < oh; oy++) {
			int y0, y1;
			float ly;
			bilinear_coord(oy, sh, h, &y0, &y1, &ly);
			for (int ox = 0; ox < ow; ox++) {
				int x0, x1;
				float lx;
				bilinear_coord(ox, sw, w, &x0, &x1, &lx);
				yp[oy * ow + ox] = bilinear_mix(xp[y0 * w + x0], xp[y0 * w + x1], xp[y1 * w + x0],
								xp[y1 * w + x1], ly, lx);
			}
		}
	}
}

static void cpu_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx)
{
	float sh = (float)h / oh, sw = (float)w / ow;
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++) {
		float *dp = dx + (size_t)p * h * w;
		const float *g = dy + (size_t)p * oh * ow;
		for (int oy = 0; oy < oh; oy++) {
			int y0, y1;
			float ly;
			bilinear_coord(oy, sh, h, &y0, &y1, &ly);
			for (int ox = 0; ox < ow; ox++) {
				int x0, x1;
				float lx;
				bilinear_coord(ox, sw, w, &x0, &x1, &lx);
				float v = g[oy * ow + ox];
				dp[y0 * w + x0] += (1 - ly) * (1 - lx) * v;
				dp[y0 * w + x1] += (1 - ly) * lx * v;
				dp[y1 * w + x0] += ly * (1 - lx) * v;
				dp[y1 * w + x1] += ly * lx * v;
			}
		}
	}
}

/* ---- concat ---- */

static void cpu_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
	for (int i = 0; i < n; i++) {
		memcpy(y + (size_t)i * (ca + cb) * hw, a + (size_t)i * ca * hw, (size_t)ca * hw * sizeof(float));
		memcpy(y + ((size_t)i * (ca + cb) + ca) * hw, b + (size_t)i * cb * hw,
		       (size_t)cb * hw * sizeof(float));
	}
}

static void cpu_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db)
{
	for (int i = 0; i < n; i++) {
		const float *g = dy + (size_t)i * (ca + cb) * hw;
		if (da) {
			float *pa = da + (size_t)i * ca * hw;
			for (size_t j = 0; j < (size_t)ca * hw; j++)
				pa[j] += g[j];
		}
		if (db) {
			float *pb = db + (size_t)i * cb * hw;
			for (size_t j = 0; j < (size_t)cb * hw; j++)
				pb[j] += g[(size_t)ca * hw + j];
		}
	}
}

/* ---- loss ---- */

static void cpu_softmax_xent(int n, int k, int s, const float *logits, const int32_t *labels,
			     const float *class_w, float *dlogits, double *stats)
{
	double wsum = 0;
	for (long i = 0; i < (long)n * s; i++)
		wsum += class_w ? class_w[labels[i]] : 1.0;
	double loss = 0, correct = 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, correct)
	for (long i = 0; i < (long)n * s; i++) {
		long b = i / s, j = i % s;
		int y = labels[i], arg;
		double wy = class_w ? class_w[y] : 1.0;
		float *g = dlogits ? dlogits + b * k * s + j : NULL;
		loss += wy * xent_position(logits + b * k * s + j, k, s, y, (float)(wy / wsum), g, &arg);
		correct += arg == y;
	}
	stats[STAT_LOSS] += loss;
	stats[STAT_WEIGHT] += wsum;
	stats[STAT_CORRECT] += correct;
	stats[STAT_COUNT] += (double)n * s;
}

static void cpu_softmax(int n, int k, int s, const float *logits, float *probs)
{
#pragma omp parallel for schedule(static)
	for (long i = 0; i < (long)n * s; i++) {
		long b = i / s, j = i % s;
		softmax_position(logits + b * k * s + j, k, s, probs + b * k * s + j);
	}
}

/* ---- optimisers ---- */

static void cpu_adam_step(size_t n, float *p, const float *g, float *m, float *v, float lr,
			  float beta1, float beta2, float eps, float wd, int decoupled, long t)
{
	float step_size = (float)(lr / (1 - pow(beta1, (double)t)));
	float bc2_sqrt = (float)sqrt(1 - pow(beta2, (double)t));
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		adam_element(&p[i], g[i], &m[i], &v[i], lr, beta1, beta2, eps, wd, decoupled, step_size,
			     bc2_sqrt);
}

static void cpu_sgd_step(size_t n, float *p, const float *g, float *buf, float lr, float momentum,
			 float wd, int nesterov)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		sgd_element(&p[i], g[i], &buf[i], lr, momentum, wd, nesterov);
}

const backend backend_cpu = {
	.name = "cpu",
	.is_gpu = 0,
	.set_threads = cpu_set_threads,
	.set_precision = cpu_set_precision,
	.alloc = cpu_alloc,
	.free = cpu_free,
	.upload = cpu_copy,
	.download = cpu_copy,
	.zero = cpu_zero,
	.sync = cpu_sync,
	.gather_images = cpu_gather_images,
	.gather_labels = cpu_gather_labels,
	.conv_workspace = cpu_conv_workspace,
	.conv_forward = cpu_conv_forward,
	.conv_backward = cpu_conv_backward,
	.linear_forward = cpu_linear_forward,
	.linear_backward = cpu_linear_backward,
	.relu_forward = cpu_relu_forward,
	.relu_backward = cpu_relu_backward,
	.relu_backward_inplace = cpu_relu_backward_inplace,
	.leakyrelu_forward = cpu_leakyrelu_forward,
	.leakyrelu_backward = cpu_leakyrelu_backward,
	.bias_add = cpu_bias_add,
	.bias_backward = cpu_bias_backward,
	.maxpool_forward = cpu_maxpool_forward,
	.maxpool_backward = cpu_maxpool_backward,
	.avgpool_forward = cpu_avgpool_forward,
	.avgpool_backward = cpu_avgpool_backward,
	.plane_mean_forward = cpu_plane_mean_forward,
	.plane_mean_backward = cpu_plane_mean_backward,
	.batchnorm_forward = cpu_batchnorm_forward,
	.batchnorm_backward = cpu_batchnorm_backward,
	.batchnorm_forward_sync = cpu_batchnorm_forward_sync,
	.batchnorm_backward_sync = cpu_batchnorm_backward_sync,
	.upsample_forward = cpu_upsample_forward,
	.upsample_backward = cpu_upsample_backward,
	.concat_forward = cpu_concat_forward,
	.concat_backward = cpu_concat_backward,
	.add = cpu_add,
	.axpy = cpu_axpy,
	.dropout_forward = cpu_dropout_forward,
	.dropout_backward = cpu_dropout_backward,
	.softmax_xent = cpu_softmax_xent,
	.softmax = cpu_softmax,
	.adam_step = cpu_adam_step,
	.sgd_step = cpu_sgd_step,
};
