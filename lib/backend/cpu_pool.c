/* cpu_pool.c: the CPU backend's max-pool, average pool and the mean of each plane. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

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

/* A line of n 2x2 windows, the maxima alone: the first NaN, else the first
   largest, as maxpool_step gives, in selects that the compiler vectorises. */
static void maxpool_line2(const float *restrict r0, const float *restrict r1, float *restrict y, int n)
{
	for (int ox = 0; ox < n; ox++) {
		float a = r0[2 * ox], b = r0[2 * ox + 1], e = r1[2 * ox], f = r1[2 * ox + 1];
		float m1 = b > a || (b != b && a == a) ? b : a;
		float m2 = f > e || (f != f && e == e) ? f : e;
		y[ox] = m2 > m1 || (m2 != m2 && m1 == m1) ? m2 : m1;
	}
}

/* How many 2x2 windows to compute for output row oy of a plane of oh rows
   of ow. Rows of a few windows (14 and 7 in the course network) would run
   almost wholly in the scalar tail of a vector loop, so a row is computed a
   multiple of PAD windows long, on into the next rows, whose outputs (and
   indices) are computed again, rightly, right after; only the rows whose
   overrun would leave the plane stop at ow. Its reads stay in the plane:
   the rows it runs into are at most the plane's. */
enum { PAD = 16 };
static int line_len(int oy, int oh, int ow)
{
	int n = (ow + PAD - 1) / PAD * PAD;
	return (long)oy * ow + n <= (long)oh * ow ? n : ow;
}

/* A plane of 2x2 windows, the maxima alone (inference) */
static void maxpool_plane2(const float *x, float *y, int oh, int ow, int w)
{
	for (int oy = 0; oy < oh; oy++) {
		const float *r0 = x + (size_t)2 * oy * w;
		maxpool_line2(r0, r0 + w, y + (size_t)oy * ow, line_len(oy, oh, ow));
	}
}

void cpu_maxpool_forward(const pool_desc *d, const float *x, float *y, int32_t *arg)
{
#pragma omp parallel for schedule(static)
	for (int p = 0; p < d->n * d->c; p++) {
		const float *xp = x + (size_t)p * d->h * d->w;
		float *yp = y + (size_t)p * d->oh * d->ow;
		int32_t *ap = arg ? arg + (size_t)p * d->oh * d->ow : NULL;
		if (d->k == 2 && d->stride == 2 && !ap) {
			maxpool_plane2(xp, yp, d->oh, d->ow, d->w);
			continue;
		}
		if (d->k == 2 && d->stride == 2) {
			/* the common case, without the general loop's index arithmetic */
			for (int oy = 0; oy < d->oh; oy++) {
				const float *r0 = xp + (size_t)(2 * oy) * d->w, *r1 = r0 + d->w;
				int base = 2 * oy * d->w, n = line_len(oy, d->oh, d->ow);
				if (!maxpool_row2_nan(r0, r1, 2 * n)) {
					maxpool_row2(r0, r1, yp + (size_t)oy * d->ow, ap + (size_t)oy * d->ow, n, base, d->w);
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
				if (ap)
					ap[oy * d->ow + ox] = best;
			}
	}
}

void cpu_maxpool_backward(const pool_desc *d, const float *dy, const int32_t *arg, float *dx)
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

void cpu_avgpool_forward(const pool_desc *d, const float *x, float *y)
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

void cpu_avgpool_backward(const pool_desc *d, const float *dy, float *dx)
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

void cpu_plane_mean_forward(size_t planes, int hw, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t p = 0; p < planes; p++) {
		float s = 0;
		for (int j = 0; j < hw; j++)
			s += x[p * hw + j];
		y[p] = s / (float)hw;
	}
}

void cpu_plane_mean_backward(size_t planes, int hw, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t p = 0; p < planes; p++) {
		float v = dy[p] / (float)hw;
		for (int j = 0; j < hw; j++)
			dx[p * hw + j] += v;
	}
}
