/* concat.cu: channel concatenation [n, ca, hw] ++ [n, cb, hw] and its
   gradient split, one thread per element of y. */
#include "cuda_common.cuh"

static __global__ void concat_forward_kernel(size_t total, int ca, int cb, size_t hw, const float *a,
					     const float *b, float *y)
{
	int cy = ca + cb;
	GRID_LOOP(e, total) {
		size_t j = e % hw, t = e / hw;
		int ch = (int)(t % cy);
		size_t i = t / cy;
		y[e] = ch < ca ? a[(i * ca + ch) * hw + j] : b[(i * cb + ch - ca) * hw + j];
	}
}

static __global__ void concat_backward_kernel(size_t total, int ca, int cb, size_t hw, const float *dy,
					      float *da, float *db)
{
	int cy = ca + cb;
	GRID_LOOP(e, total) {
		size_t j = e % hw, t = e / hw;
		int ch = (int)(t % cy);
		size_t i = t / cy;
		if (ch < ca)
			da[(i * ca + ch) * hw + j] += dy[e];
		else
			db[(i * cb + ch - ca) * hw + j] += dy[e];
	}
}

void cuda_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
	size_t total = (size_t)n * (ca + cb) * hw;
	if (!total)
		return;
	concat_forward_kernel<<<cu_blocks(total), CU_THREADS, 0, cu_stream()>>>(total, ca, cb, hw, a, b, y);
	LAUNCH_CHECK("concat_forward_kernel");
}

void cuda_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db)
{
	size_t total = (size_t)n * (ca + cb) * hw;
	if (!total)
		return;
	concat_backward_kernel<<<cu_blocks(total), CU_THREADS, 0, cu_stream()>>>(total, ca, cb, hw, dy, da, db);
	LAUNCH_CHECK("concat_backward_kernel");
}
