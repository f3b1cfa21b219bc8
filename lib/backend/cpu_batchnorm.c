/* cpu_batchnorm.c: the CPU backend's batch-norm. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>

/* Batch-norm's sums, per channel over [n,c,hw]: of x (center NULL), or of
   (x - center[ch])^2. */
static void bn_sums(int n, int c, int hw, const float *x, const double *center, double *out)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double s = 0;
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			if (center)
				for (int j = 0; j < hw; j++)
					s += (p[j] - center[ch]) * (p[j] - center[ch]);
			else
				for (int j = 0; j < hw; j++)
					s += p[j];
		}
		out[ch] = s;
	}
}

/* y = gamma * (x - mean) * invstd + beta, per channel */
static void bn_apply(int n, int c, int hw, const float *x, const float *gamma, const float *beta,
		     const float *mean, const float *invstd, float *y)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		float a = gamma[ch] * invstd[ch], b = beta[ch] - mean[ch] * a;
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			float *q = y + ((size_t)i * c + ch) * hw;
			for (int j = 0; j < hw; j++)
				q[j] = p[j] * a + b;
		}
	}
}

/* Training statistics, the sums reduced across the parts of the batch
   when reduce is not NULL: the mean first, then the squared deviations
   from it (two passes, as the variance of one pass loses digits). */
static void bn_train_stats(int n, int c, int hw, const float *x, float *run_mean, float *run_var,
			   float momentum, float eps, float *save_mean, float *save_invstd,
			   void (*reduce)(double *, size_t))
{
	double *s = xmalloc((2 * (size_t)c + 1) * sizeof *s), *mu = s + c + 1;
	bn_sums(n, c, hw, x, NULL, s);
	s[c] = (double)n * hw;
	if (reduce)
		reduce(s, c + 1);
	double cnt = s[c];
	for (int ch = 0; ch < c; ch++)
		mu[ch] = s[ch] / cnt;
	bn_sums(n, c, hw, x, mu, s);
	if (reduce)
		reduce(s, c);
	for (int ch = 0; ch < c; ch++)
		batchnorm_stats(mu[ch], s[ch], cnt, momentum, eps, &save_mean[ch], &save_invstd[ch], &run_mean[ch],
				&run_var[ch]);
	free(s);
}

void cpu_batchnorm_forward(int n, int c, int hw, const float *x, const float *gamma,
			   const float *beta, float *run_mean, float *run_var, float momentum,
			   float eps, int train, float *y, float *save_mean, float *save_invstd)
{
	if (train) {
		bn_train_stats(n, c, hw, x, run_mean, run_var, momentum, eps, save_mean, save_invstd, NULL);
		bn_apply(n, c, hw, x, gamma, beta, save_mean, save_invstd, y);
		return;
	}
	float *is = xmalloc((size_t)c * sizeof *is);
	for (int ch = 0; ch < c; ch++)
		is[ch] = 1.0f / sqrtf(run_var[ch] + eps);
	bn_apply(n, c, hw, x, gamma, beta, run_mean, is, y);
	free(is);
}

void cpu_batchnorm_forward_sync(int n, int c, int hw, const float *x, const float *gamma,
				const float *beta, float *run_mean, float *run_var, float momentum,
				float eps, float *y, float *save_mean, float *save_invstd,
				void (*reduce)(double *, size_t))
{
	bn_train_stats(n, c, hw, x, run_mean, run_var, momentum, eps, save_mean, save_invstd, reduce);
	bn_apply(n, c, hw, x, gamma, beta, save_mean, save_invstd, y);
}

/* Backward, with the sums of dy and dy*(x-mean) over the whole batch
   when reduce is not NULL; dgamma and dbeta take this part's. */
static void bn_backward(int n, int c, int hw, const float *x, const float *gamma, const float *dy,
			const float *save_mean, const float *save_invstd, float *dx, float *dgamma, float *dbeta,
			void (*reduce)(double *, size_t))
{
	double *t = xmalloc((2 * (size_t)c + 1) * sizeof *t), *sdy = t, *sdyx = t + c;
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double a = 0, b = 0;
		float mu = save_mean[ch];
		for (int i = 0; i < n; i++) {
			const float *p = x + ((size_t)i * c + ch) * hw;
			const float *g = dy + ((size_t)i * c + ch) * hw;
			for (int j = 0; j < hw; j++) {
				a += g[j];
				b += g[j] * (p[j] - mu);
			}
		}
		sdy[ch] = a;
		sdyx[ch] = b;
		dgamma[ch] += (float)(b * save_invstd[ch]);
		dbeta[ch] += (float)a;
	}
	t[2 * c] = (double)n * hw;
	if (reduce)
		reduce(t, 2 * (size_t)c + 1);
	double cnt = t[2 * c];
	if (dx) {
#pragma omp parallel for schedule(static)
		for (int ch = 0; ch < c; ch++) {
			/* dx = gamma*invstd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
			float mu = save_mean[ch], is = save_invstd[ch], k = gamma[ch] * is;
			float mdy = (float)(sdy[ch] / cnt), mdyx = (float)(sdyx[ch] * is / cnt);
			for (int i = 0; i < n; i++) {
				const float *p = x + ((size_t)i * c + ch) * hw;
				const float *g = dy + ((size_t)i * c + ch) * hw;
				float *q = dx + ((size_t)i * c + ch) * hw;
				for (int j = 0; j < hw; j++) {
					float xhat = (p[j] - mu) * is;
					q[j] += k * (g[j] - mdy - xhat * mdyx);
				}
			}
		}
	}
	free(t);
}

void cpu_batchnorm_backward(int n, int c, int hw, const float *x, const float *gamma,
			    const float *dy, const float *save_mean, const float *save_invstd,
			    float *dx, float *dgamma, float *dbeta)
{
	bn_backward(n, c, hw, x, gamma, dy, save_mean, save_invstd, dx, dgamma, dbeta, NULL);
}

void cpu_batchnorm_backward_sync(int n, int c, int hw, const float *x, const float *gamma,
				 const float *dy, const float *save_mean, const float *save_invstd,
				 float *dx, float *dgamma, float *dbeta, void (*reduce)(double *, size_t))
{
	bn_backward(n, c, hw, x, gamma, dy, save_mean, save_invstd, dx, dgamma, dbeta, reduce);
}
