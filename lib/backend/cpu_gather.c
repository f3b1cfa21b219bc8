/* cpu_gather.c: the CPU backend's batch gathering: samples picked by index,
   flipped, cropped, normalised and erased. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

void cpu_gather_images(float *out, const void *x, int is_u8, const int32_t *idx,
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
			} else {
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
			for (int oy = 0; oy < h && t->ew > 0; oy++)
				for (int ox = 0; ox < w; ox++)
					if (xform_erased(ox, oy, t->ex, t->ey, t->ew, t->eh))
						o[oy * w + ox] = 0;
		}
	}
}

void cpu_gather_labels(int32_t *out, const int32_t *y, const int32_t *idx,
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
