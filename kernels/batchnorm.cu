/* batchnorm.cu: BatchNorm2d over [n, c, hw] as the CPU computes it. Sums run
   in double: one block per (sample, channel) plane writes a partial, one
   thread per channel adds the partials in order (deterministic) and derives
   the per-channel coefficients, then an element-wise pass applies them. The
   variance takes two passes, the mean then the squared deviations from it,
   as the CPU does: E[x^2] - mean^2 cancels when the mean is large against the
   spread (raw 0..255 pixels into a batch-norm). */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

/* What a plane's block sums, in double, into part[(ch * n + i) * 2 + {0,1}] */
enum {
	SUM_X,      /* [0] sum of x (forward, first pass) */
	SUM_DEV2,   /* [1] sum of (x - mu)^2, mu the double mean (forward, second pass) */
	SUM_DY,     /* [0] sum of dy, [1] sum of dy * (x - mean) in float (backward) */
};

template <int MODE>
static __global__ void plane_sums_kernel(const float *x, const float *dy, const float *mean, const double *mu,
					 int n, int c, int hw, double *part)
{
	int i = blockIdx.x / c, ch = blockIdx.x % c;
	size_t off = ((size_t)i * c + ch) * hw;
	double s = 0, s2 = 0;
	if (MODE == SUM_X) {
		for (int j = threadIdx.x; j < hw; j += blockDim.x)
			s += x[off + j];
	} else if (MODE == SUM_DEV2) {
		double m = mu[ch];
		for (int j = threadIdx.x; j < hw; j += blockDim.x) {
			double d = x[off + j] - m;
			s2 += d * d;
		}
	} else {
		float m = mean[ch];
		for (int j = threadIdx.x; j < hw; j += blockDim.x) {
			float g = dy[off + j];
			s += g;
			s2 += g * (x[off + j] - m);
		}
	}
	if (MODE != SUM_DEV2)
		s = block_sum(s);
	if (MODE != SUM_X)
		s2 = block_sum(s2);
	if (threadIdx.x == 0) {
		if (MODE != SUM_DEV2)
			part[((size_t)ch * n + i) * 2] = s;
		if (MODE != SUM_X)
			part[((size_t)ch * n + i) * 2 + 1] = s2;
	}
}

/* training forward, between the passes: the mean of each channel */
static __global__ void forward_mean_kernel(const double *part, int n, int c, int hw, double *mu)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c)
		return;
	double s = 0;
	for (int i = 0; i < n; i++)
		s += part[((size_t)ch * n + i) * 2];
	mu[ch] = s / ((double)n * hw);
}

/* training forward, after them: batch and running statistics, y = x*a + b */
static __global__ void forward_stats_kernel(const double *part, const double *mu, int n, int c, int hw,
					    const float *gamma, const float *beta, float *run_mean, float *run_var,
					    float momentum, float eps, float *save_mean, float *save_invstd,
					    float *coef)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c)
		return;
	double s2 = 0;
	for (int i = 0; i < n; i++)
		s2 += part[((size_t)ch * n + i) * 2 + 1];
	batchnorm_stats(mu[ch], s2, (double)n * hw, momentum, eps, &save_mean[ch], &save_invstd[ch],
			&run_mean[ch], &run_var[ch]);
	float a = gamma[ch] * save_invstd[ch];
	coef[ch] = a;
	coef[c + ch] = beta[ch] - save_mean[ch] * a;
}

static __global__ void eval_coef_kernel(int c, const float *gamma, const float *beta, const float *run_mean,
					const float *run_var, float eps, float *coef)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c)
		return;
	float invstd = 1.0f / sqrtf(run_var[ch] + eps);
	float a = gamma[ch] * invstd;
	coef[ch] = a;
	coef[c + ch] = beta[ch] - run_mean[ch] * a;
}

template <typename I>
static __global__ void apply_kernel(I total, divider cd, divider hwd, const float *x, const float *coef, float *y)
{
	int c = (int)cd.d;
	INDEX_LOOP(I, e, total) {
		I t = idiv(e, hwd);
		int ch = (int)divmod(t, cd);
		y[e] = x[e] * coef[ch] + coef[c + ch];
	}
}

/* backward: dgamma, dbeta, and the coefficients of dx */
static __global__ void backward_stats_kernel(const double *part, int n, int c, int hw, const float *gamma,
					     const float *save_invstd, float *dgamma, float *dbeta, float *coef)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c)
		return;
	double sdy = 0, sdyx = 0, cnt = (double)n * hw;
	for (int i = 0; i < n; i++) {
		sdy += part[((size_t)ch * n + i) * 2];
		sdyx += part[((size_t)ch * n + i) * 2 + 1];
	}
	float is = save_invstd[ch];
	dgamma[ch] += (float)(sdyx * is);
	dbeta[ch] += (float)sdy;
	coef[ch] = gamma[ch] * is;
	coef[c + ch] = (float)(sdy / cnt);
	coef[2 * c + ch] = (float)(sdyx * is / cnt);
}

/* dx = gamma*invstd * (dy - mean(dy) - xhat * mean(dy*xhat)) */
template <typename I>
static __global__ void backward_apply_kernel(I total, divider cd, divider hwd, const float *x, const float *dy,
					     const float *save_mean, const float *save_invstd, const float *coef,
					     float *dx)
{
	int c = (int)cd.d;
	INDEX_LOOP(I, e, total) {
		I t = idiv(e, hwd);
		int ch = (int)divmod(t, cd);
		float xhat = (x[e] - save_mean[ch]) * save_invstd[ch];
		dx[e] += coef[ch] * (dy[e] - coef[c + ch] - xhat * coef[2 * c + ch]);
	}
}

static unsigned channel_blocks(int c) { return (unsigned)((c + CU_THREADS - 1) / CU_THREADS); }

void cuda_batchnorm_forward(int n, int c, int hw, const float *x, const float *gamma, const float *beta,
			    float *run_mean, float *run_var, float momentum, float eps, int train, float *y,
			    float *save_mean, float *save_invstd)
{
	size_t total = (size_t)n * c * hw;
	if (!total)
		return;
	size_t part_bytes = (size_t)2 * n * c * sizeof(double), mu_bytes = (size_t)c * sizeof(double);
	char *scratch = (char *)cu_scratch(part_bytes + mu_bytes + 2 * c * sizeof(float));
	double *part = (double *)scratch, *mu = (double *)(scratch + part_bytes);
	float *coef = (float *)(scratch + part_bytes + mu_bytes);
	cudaStream_t st = cu_stream();
	if (train) {
		plane_sums_kernel<SUM_X><<<n * c, CU_THREADS, 0, st>>>(x, NULL, NULL, NULL, n, c, hw, part);
		LAUNCH_CHECK("plane_sums_kernel<SUM_X>");
		forward_mean_kernel<<<channel_blocks(c), CU_THREADS, 0, st>>>(part, n, c, hw, mu);
		LAUNCH_CHECK("forward_mean_kernel");
		plane_sums_kernel<SUM_DEV2><<<n * c, CU_THREADS, 0, st>>>(x, NULL, NULL, mu, n, c, hw, part);
		LAUNCH_CHECK("plane_sums_kernel<SUM_DEV2>");
		forward_stats_kernel<<<channel_blocks(c), CU_THREADS, 0, st>>>(part, mu, n, c, hw, gamma, beta,
									       run_mean, run_var, momentum, eps,
									       save_mean, save_invstd, coef);
		LAUNCH_CHECK("forward_stats_kernel");
	} else {
		eval_coef_kernel<<<channel_blocks(c), CU_THREADS, 0, st>>>(c, gamma, beta, run_mean, run_var, eps,
									     coef);
		LAUNCH_CHECK("eval_coef_kernel");
	}
	LAUNCH_ELEMENTS(apply_kernel, total, divider_make(c), divider_make(hw), x, coef, y);
}

void cuda_batchnorm_backward(int n, int c, int hw, const float *x, const float *gamma, const float *dy,
			     const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
			     float *dbeta)
{
	size_t total = (size_t)n * c * hw;
	if (!total)
		return;
	size_t part_bytes = (size_t)2 * n * c * sizeof(double);
	char *scratch = (char *)cu_scratch(part_bytes + 3 * c * sizeof(float));
	double *part = (double *)scratch;
	float *coef = (float *)(scratch + part_bytes);
	cudaStream_t st = cu_stream();
	plane_sums_kernel<SUM_DY><<<n * c, CU_THREADS, 0, st>>>(x, dy, save_mean, NULL, n, c, hw, part);
	LAUNCH_CHECK("plane_sums_kernel<SUM_DY>");
	backward_stats_kernel<<<channel_blocks(c), CU_THREADS, 0, st>>>(part, n, c, hw, gamma, save_invstd,
									  dgamma, dbeta, coef);
	LAUNCH_CHECK("backward_stats_kernel");
	if (dx) {
		LAUNCH_ELEMENTS(backward_apply_kernel, total, divider_make(c), divider_make(hw), x, dy, save_mean,
				save_invstd, coef, dx);
	}
}
