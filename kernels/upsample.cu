/* upsample.cu: bilinear resize with align_corners=False. Backward gathers:
   each input pixel sums the outputs that read it (those whose left/top
   neighbour is the pixel or the one before it), found by scanning a window
   around the inverse of the coordinate map. No atomics: deterministic. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

template <typename I>
static __global__ void upsample_forward_kernel(I total, const float *x, float *y, int h, int w, divider ohd,
					       divider owd, float sh, float sw)
{
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ox = (int)divmod(t, owd), oy = (int)divmod(t, ohd);
		const float *xp = x + (size_t)t * h * w;
		int y0, y1, x0, x1;
		float ly, lx;
		bilinear_coord(oy, sh, h, &y0, &y1, &ly);
		bilinear_coord(ox, sw, w, &x0, &x1, &lx);
		y[e] = bilinear_mix(xp[y0 * w + x0], xp[y0 * w + x1], xp[y1 * w + x0], xp[y1 * w + x1], ly, lx);
	}
}

/* Outputs o of an axis of out that may read input i: i0(o) is i-1 or i, and
   i0 grows with o, so they lie near (i - 0.5) * out/in - 0.5 .. (i + 1.5) *
   out/in - 0.5; the window is one wider on each side for rounding. */
__device__ static inline void output_window(int i, int in, int out, int *lo, int *hi)
{
	float r = (float)out / (float)in;
	int a = (int)floorf((i - 0.5f) * r - 0.5f) - 1, b = (int)ceilf((i + 1.5f) * r - 0.5f) + 1;
	*lo = a < 0 ? 0 : a;
	*hi = b > out - 1 ? out - 1 : b;
}

/* weight with which output o (of the axis) reads input i */
__device__ static inline float axis_weight(int o, float scale, int in, int i)
{
	int i0, i1;
	float l1;
	bilinear_coord(o, scale, in, &i0, &i1, &l1);
	return (i0 == i ? 1 - l1 : 0.0f) + (i1 == i ? l1 : 0.0f);
}

template <typename I>
static __global__ void upsample_backward_kernel(I total, const float *dy, float *dx, divider hd, divider wd,
						int oh, int ow, float sh, float sw)
{
	int h = (int)hd.d, w = (int)wd.d;
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ix = (int)divmod(t, wd), iy = (int)divmod(t, hd);
		const float *g = dy + (size_t)t * oh * ow;
		int oy0, oy1, ox0, ox1;
		output_window(iy, h, oh, &oy0, &oy1);
		output_window(ix, w, ow, &ox0, &ox1);
		float sum = 0;
		for (int oy = oy0; oy <= oy1; oy++) {
			float wy = axis_weight(oy, sh, h, iy);
			if (wy == 0)
				continue;
			float row = 0;
			for (int ox = ox0; ox <= ox1; ox++) {
				float wx = axis_weight(ox, sw, w, ix);
				if (wx != 0)
					row += wx * g[oy * ow + ox];
			}
			sum += wy * row;
		}
		dx[e] += sum;
	}
}

void cuda_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y)
{
	size_t total = (size_t)n * c * oh * ow;
	if (!total)
		return;
	LAUNCH_ELEMENTS(upsample_forward_kernel, total, x, y, h, w, divider_make(oh), divider_make(ow),
			(float)h / oh, (float)w / ow);
}

void cuda_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx)
{
	size_t total = (size_t)n * c * h * w;
	if (!total)
		return;
	LAUNCH_ELEMENTS(upsample_backward_kernel, total, dy, dx, divider_make(h), divider_make(w), oh, ow,
			(float)h / oh, (float)w / ow);
}
