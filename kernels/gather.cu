/* gather.cu: a batch gathered from the device-resident dataset: pixels
   scaled, normalised, resampled by each sample's transform and erased in its
   rectangle, labels picked (nearest pixel for label maps; never erased). The
   same per-element maths as the CPU. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

template <typename I>
static __global__ void gather_images_kernel(I total, float *out, const void *x, int is_u8, const int32_t *idx,
					    const sample_xform *xf, divider cd, divider hd, divider wd,
					    const float *mean, const float *inv_std)
{
	int h = (int)hd.d, w = (int)wd.d, c = (int)cd.d;
	size_t plane = (size_t)h * w;
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ox = (int)divmod(t, wd), oy = (int)divmod(t, hd), ch = (int)divmod(t, cd), i = (int)t;
		sample_xform T = xf[i];
		int ident = !T.flip && T.x0 == 0 && T.y0 == 0 && T.sw == w && T.sh == h;
		size_t src = ((size_t)idx[i] * c + ch) * plane;
		float s = (is_u8 ? 1.0f / 255.0f : 1.0f) * inv_std[ch], m = mean[ch] * inv_std[ch];
		float v;
		if (ident) {
			size_t j = (size_t)oy * w + ox;
			v = is_u8 ? (float)((const uint8_t *)x)[src + j] : ((const float *)x)[src + j];
		} else {
			float sy = xform_coord(oy, h, 0, T.y0, T.sh);
			float sx = xform_coord(ox, w, T.flip, T.x0, T.sw);
			const void *plane_p = is_u8 ? (const void *)((const uint8_t *)x + src)
						    : (const void *)((const float *)x + src);
			v = bilinear_read(plane_p, is_u8, h, w, sy, sx);
		}
		out[e] = xform_erased(ox, oy, T.ex, T.ey, T.ew, T.eh) ? 0.0f : v * s - m;
	}
}

static __global__ void gather_labels_kernel(int32_t *out, const int32_t *y, const int32_t *idx, int n)
{
	GRID_LOOP(i, (size_t)n)
		out[i] = y[idx[i]];
}

template <typename I>
static __global__ void gather_label_maps_kernel(I total, int32_t *out, const int32_t *y, const int32_t *idx,
						const sample_xform *xf, divider hd, divider wd)
{
	int h = (int)hd.d, w = (int)wd.d;
	size_t plane = (size_t)h * w;
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ox = (int)divmod(t, wd), oy = (int)divmod(t, hd), i = (int)t;
		sample_xform T = xf[i];
		int sy = nearest_index(xform_coord(oy, h, 0, T.y0, T.sh), h);
		int sx = nearest_index(xform_coord(ox, w, T.flip, T.x0, T.sw), w);
		out[e] = y[(size_t)idx[i] * plane + (size_t)sy * w + sx];
	}
}

void cuda_gather_images(float *out, const void *x, int is_u8, const int32_t *idx, const sample_xform *xf,
			int n, int c, int h, int w, const float *mean, const float *inv_std)
{
	size_t total = (size_t)n * c * h * w;
	if (!total)
		return;
	LAUNCH_ELEMENTS(gather_images_kernel, total, out, x, is_u8, idx, xf, divider_make(c), divider_make(h),
			divider_make(w), mean, inv_std);
}

void cuda_gather_labels(int32_t *out, const int32_t *y, const int32_t *idx, const sample_xform *xf, int n,
			int h, int w, int seg)
{
	if (n <= 0)
		return;
	if (!seg) {
		gather_labels_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(out, y, idx, n);
		LAUNCH_CHECK("gather_labels_kernel");
		return;
	}
	LAUNCH_ELEMENTS(gather_label_maps_kernel, (size_t)n * h * w, out, y, idx, xf, divider_make(h),
			divider_make(w));
}
