/* cpu_upsample.c: the CPU backend's bilinear upsample. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

void cpu_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y)
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

void cpu_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx)
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
