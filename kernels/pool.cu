/* pool.cu: max-pool, average pool and the mean of whole planes. Forward keeps the flat input index of each maximum (a
   NaN wins, as in PyTorch: elementwise.h's maxpool_step); backward gathers, for each input pixel, the
   gradients of the outputs whose maximum it was, in the CPU's order. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

template <typename I>
static __global__ void maxpool_forward_kernel(I total, const float *x, float *y, int32_t *arg, int h, int w,
					      int k, int stride, divider ohd, divider owd)
{
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ox = (int)divmod(t, owd), oy = (int)divmod(t, ohd);
		const float *xp = x + (size_t)t * h * w;
		int best = (oy * stride) * w + ox * stride;
		float m = xp[best];
		for (int ky = 0; ky < k; ky++)
			for (int kx = 0; kx < k; kx++) {
				int j = (oy * stride + ky) * w + ox * stride + kx;
				maxpool_step(xp[j], j, &m, &best);
			}
		y[e] = m;
		if (arg)
			arg[e] = best;
	}
}

template <typename I>
static __global__ void maxpool_backward_kernel(I total, const float *dy, const int32_t *arg, float *dx,
					       divider hd, divider wd, int k, int stride, int oh, int ow)
{
	int w = (int)wd.d;
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ix = (int)divmod(t, wd), iy = (int)divmod(t, hd);
		size_t p = t;
		/* outputs whose window holds (iy, ix): o*stride <= i <= o*stride + k-1 */
		int oy0 = iy - k + 1 > 0 ? (iy - k + stride) / stride : 0;
		int ox0 = ix - k + 1 > 0 ? (ix - k + stride) / stride : 0;
		int oy1 = iy / stride < oh - 1 ? iy / stride : oh - 1;
		int ox1 = ix / stride < ow - 1 ? ix / stride : ow - 1;
		int self = iy * w + ix;
		const float *g = dy + p * oh * ow;
		const int32_t *a = arg + p * oh * ow;
		float acc = dx[e];
		for (int oy = oy0; oy <= oy1; oy++)
			for (int ox = ox0; ox <= ox1; ox++)
				if (a[oy * ow + ox] == self)
					acc += g[oy * ow + ox];
		dx[e] = acc;
	}
}

void cuda_maxpool_forward(const pool_desc *d, const float *x, float *y, int32_t *arg)
{
	size_t total = (size_t)d->n * d->c * d->oh * d->ow;
	if (!total)
		return;
	LAUNCH_ELEMENTS(maxpool_forward_kernel, total, x, y, arg, d->h, d->w, d->k, d->stride, divider_make(d->oh),
			divider_make(d->ow));
}

void cuda_maxpool_backward(const pool_desc *d, const float *dy, const int32_t *arg, float *dx)
{
	size_t total = (size_t)d->n * d->c * d->h * d->w;
	if (!total)
		return;
	LAUNCH_ELEMENTS(maxpool_backward_kernel, total, dy, arg, dx, divider_make(d->h), divider_make(d->w), d->k,
			d->stride, d->oh, d->ow);
}

/* ---- average pool: forward a thread per output, backward a thread per
   input pixel gathering the outputs whose window holds it (no atomics) ---- */

template <typename I>
static __global__ void avgpool_forward_kernel(I total, const float *x, float *y, int h, int w, int k,
					      int stride, divider ohd, divider owd)
{
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ox = (int)divmod(t, owd), oy = (int)divmod(t, ohd);
		y[e] = window_mean(x + (size_t)t * h * w, w, oy * stride, ox * stride, k);
	}
}

template <typename I>
static __global__ void avgpool_backward_kernel(I total, const float *dy, float *dx, divider hd, divider wd,
					       int k, int stride, int oh, int ow)
{
	float inv = 1.0f / (float)(k * k);
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ix = (int)divmod(t, wd), iy = (int)divmod(t, hd);
		int oy0 = iy - k + 1 > 0 ? (iy - k + stride) / stride : 0;
		int ox0 = ix - k + 1 > 0 ? (ix - k + stride) / stride : 0;
		int oy1 = iy / stride < oh - 1 ? iy / stride : oh - 1;
		int ox1 = ix / stride < ow - 1 ? ix / stride : ow - 1;
		const float *g = dy + (size_t)t * oh * ow;
		float acc = 0;
		for (int oy = oy0; oy <= oy1; oy++)
			for (int ox = ox0; ox <= ox1; ox++)
				acc += g[oy * ow + ox] * inv;
		dx[e] += acc;
	}
}

void cuda_avgpool_forward(const pool_desc *d, const float *x, float *y)
{
	size_t total = (size_t)d->n * d->c * d->oh * d->ow;
	if (!total)
		return;
	LAUNCH_ELEMENTS(avgpool_forward_kernel, total, x, y, d->h, d->w, d->k, d->stride, divider_make(d->oh),
			divider_make(d->ow));
}

void cuda_avgpool_backward(const pool_desc *d, const float *dy, float *dx)
{
	size_t total = (size_t)d->n * d->c * d->h * d->w;
	if (!total)
		return;
	LAUNCH_ELEMENTS(avgpool_backward_kernel, total, dy, dx, divider_make(d->h), divider_make(d->w), d->k,
			d->stride, d->oh, d->ow);
}

/* one block per plane */
static __global__ void plane_mean_kernel(const float *x, float *y, int hw)
{
	const float *p = x + (size_t)blockIdx.x * hw;
	float s = 0;
	for (int j = threadIdx.x; j < hw; j += blockDim.x)
		s += p[j];
	s = block_sum(s);
	if (threadIdx.x == 0)
		y[blockIdx.x] = s / (float)hw;
}

template <typename I>
static __global__ void plane_mean_backward_kernel(I total, const float *dy, float *dx, divider hwd)
{
	float inv = 1.0f / (float)hwd.d;
	INDEX_LOOP(I, e, total) {
		I t = idiv(e, hwd);
		dx[e] += dy[t] * inv;
	}
}

void cuda_plane_mean_forward(size_t planes, int hw, const float *x, float *y)
{
	for (size_t p0 = 0; p0 < planes; p0 += 65535u * 1024u) {
		size_t m = planes - p0 < 65535u * 1024u ? planes - p0 : 65535u * 1024u;
		plane_mean_kernel<<<(unsigned)m, CU_THREADS, 0, cu_stream()>>>(x + p0 * hw, y + p0, hw);
		LAUNCH_CHECK("plane_mean_kernel");
	}
}

void cuda_plane_mean_backward(size_t planes, int hw, const float *dy, float *dx)
{
	size_t total = planes * hw;
	if (!total)
		return;
	LAUNCH_ELEMENTS(plane_mean_backward_kernel, total, dy, dx, divider_make(hw));
}
