/* concat.cu: channel concatenation [n, ca, hw] ++ [n, cb, hw] and its
   gradient split, one thread per element of y. */
#include "cuda_common.cuh"

template <typename I>
static __global__ void concat_forward_kernel(I total, int ca, int cb, divider hwd, divider cyd, const float *a,
					     const float *b, float *y)
{
	size_t hw = hwd.d;
	INDEX_LOOP(I, e, total) {
		I t = e;
		size_t j = divmod(t, hwd);
		int ch = (int)divmod(t, cyd);
		size_t i = t;
		y[e] = ch < ca ? a[(i * ca + ch) * hw + j] : b[(i * cb + ch - ca) * hw + j];
	}
}

template <typename I>
static __global__ void concat_backward_kernel(I total, int ca, int cb, divider hwd, divider cyd, const float *dy,
					      float *da, float *db)
{
	size_t hw = hwd.d;
	INDEX_LOOP(I, e, total) {
		I t = e;
		size_t j = divmod(t, hwd);
		int ch = (int)divmod(t, cyd);
		size_t i = t;
		if (ch < ca) {
			if (da)
				da[(i * ca + ch) * hw + j] += dy[e];
		} else if (db) {
			db[(i * cb + ch - ca) * hw + j] += dy[e];
		}
	}
}

void cuda_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
	size_t total = (size_t)n * (ca + cb) * hw;
	if (!total)
		return;
	LAUNCH_ELEMENTS(concat_forward_kernel, total, ca, cb, divider_make(hw), divider_make(ca + cb), a, b, y);
}

void cuda_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db)
{
	size_t total = (size_t)n * (ca + cb) * hw;
	if (!total)
		return;
	LAUNCH_ELEMENTS(concat_backward_kernel, total, ca, cb, divider_make(hw), divider_make(ca + cb), dy, da, db);
}
