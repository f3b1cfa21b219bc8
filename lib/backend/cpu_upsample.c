/* cpu_upsample.c: the CPU backend's bilinear upsample. Each output column's
   two source columns and weight are the same for every row and plane, so
   they are worked out once a call (bilinear_coord, as the CUDA kernels
   take them) and looked up; the values are the kernels' to the bit. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"
#include "base/util.h"

#include <stdlib.h>

/* The source columns x0, x1 and weight lx of each of ow outputs, in one
   allocation (free x0) */
typedef struct {
	int *x0, *x1;
	float *lx;
} columns;

static columns columns_of(int w, int ow)
{
	columns c;
	c.x0 = xmalloc((size_t)ow * (2 * sizeof(int) + sizeof(float)));
	c.x1 = c.x0 + ow;
	c.lx = (float *)(c.x1 + ow);
	float sw = (float)w / ow;
	for (int ox = 0; ox < ow; ox++)
		bilinear_coord(ox, sw, w, &c.x0[ox], &c.x1[ox], &c.lx[ox]);
	return c;
}

void cpu_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y)
{
	float sh = (float)h / oh;
	columns cols = columns_of(w, ow);
	const int *x0 = cols.x0, *x1 = cols.x1;
	const float *lx = cols.lx;
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++) {
		const float *xp = x + (size_t)p * h * w;
		float *yp = y + (size_t)p * oh * ow;
		for (int oy = 0; oy < oh; oy++) {
			int y0, y1;
			float ly;
			bilinear_coord(oy, sh, h, &y0, &y1, &ly);
			const float *r0 = xp + (size_t)y0 * w, *r1 = xp + (size_t)y1 * w;
			float *yr = yp + (size_t)oy * ow;
			for (int ox = 0; ox < ow; ox++)
				yr[ox] = bilinear_mix(r0[x0[ox]], r0[x1[ox]], r1[x0[ox]], r1[x1[ox]], ly, lx[ox]);
		}
	}
	free(cols.x0);
}

void cpu_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx)
{
	float sh = (float)h / oh;
	columns cols = columns_of(w, ow);
	const int *x0 = cols.x0, *x1 = cols.x1;
	const float *lx = cols.lx;
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++) {
		float *dp = dx + (size_t)p * h * w;
		const float *g = dy + (size_t)p * oh * ow;
		for (int oy = 0; oy < oh; oy++) {
			int y0, y1;
			float ly;
			bilinear_coord(oy, sh, h, &y0, &y1, &ly);
			float *d0 = dp + (size_t)y0 * w, *d1 = dp + (size_t)y1 * w;
			const float *gr = g + (size_t)oy * ow;
			for (int ox = 0; ox < ow; ox++) {
				float v = gr[ox], l = lx[ox];
				d0[x0[ox]] += (1 - ly) * (1 - l) * v;
				d0[x1[ox]] += (1 - ly) * l * v;
				d1[x0[ox]] += ly * (1 - l) * v;
				d1[x1[ox]] += ly * l * v;
			}
		}
	}
	free(cols.x0);
}
