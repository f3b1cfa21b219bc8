/* pool.cu: max-pool. Forward keeps the flat input index of each maximum (a
   NaN wins, as in PyTorch); backward gathers, for each input pixel, the
   gradients of the outputs whose maximum it was, in the CPU's order. */
#include "cuda_common.cuh"

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
				float v = xp[j];
				if (!(v <= m) && !isnan(m)) {
					m = v;
					best = j;
				}
			}
		y[e] = m;
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
