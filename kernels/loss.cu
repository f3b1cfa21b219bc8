/* loss.cu: softmax cross-entropy with class weights over the class axis of
   [n, k, s] (s = 1 for classification, H*W per pixel), in double like the
   CPU. The weight sum is reduced on the device first, then each position's
   loss and gradient; the statistics add up in backend memory (double) and
   are read only at log points. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

enum { LOSS_THREADS = 1024 };

/* stats[STAT_WEIGHT] += wsum; *wsum_out = wsum: one block */
static __global__ void weight_sum_kernel(size_t m, const int32_t *labels, const float *class_w,
					 double *wsum_out, double *stats)
{
	double s = 0;
	for (size_t i = threadIdx.x; i < m; i += blockDim.x)
		s += class_w[labels[i]];
	s = block_sum(s);
	if (threadIdx.x == 0) {
		*wsum_out = s;
		stats[STAT_WEIGHT] += s;
	}
}

/* wsum_dev: the weight sum from weight_sum_kernel, or NULL: no class
   weights, the sum is m and this kernel adds it to the statistics */
static __global__ void xent_kernel(int n, int k, int s, const float *logits, const int32_t *labels,
				   const float *class_w, float smooth, const double *wsum_dev, float *dlogits,
				   double *stats)
{
	size_t m = (size_t)n * s;
	double wsum = wsum_dev ? *wsum_dev : (double)m;
	double loss = 0, correct = 0;
	GRID_LOOP(i, m) {
		size_t b = i / s, j = i % s;
		int y = labels[i], arg;
		float *g = dlogits ? dlogits + b * k * s + j : NULL;
		loss += xent_position(logits + b * k * s + j, k, s, y, class_w, smooth, wsum, g, &arg);
		correct += arg == y;
	}
	loss = block_sum(loss);
	correct = block_sum(correct);
	if (threadIdx.x == 0) {
		atomicAdd(&stats[STAT_LOSS], loss);
		atomicAdd(&stats[STAT_CORRECT], correct);
		if (blockIdx.x == 0) {
			atomicAdd(&stats[STAT_COUNT], (double)m);
			if (!wsum_dev)
				atomicAdd(&stats[STAT_WEIGHT], (double)m);
		}
	}
}

static __global__ void softmax_kernel(int n, int k, int s, const float *logits, float *probs)
{
	size_t m = (size_t)n * s;
	GRID_LOOP(i, m) {
		size_t b = i / s, j = i % s;
		softmax_position(logits + b * k * s + j, k, s, probs + b * k * s + j);
	}
}

void cuda_softmax_xent(int n, int k, int s, const float *logits, const int32_t *labels,
		       const float *class_w, float smooth, float *dlogits, double *stats)
{
	size_t m = (size_t)n * s;
	if (!m)
		return;
	cudaStream_t st = cu_stream();
	double *wsum = NULL;
	if (class_w) {
		wsum = (double *)cu_scratch(sizeof(double));
		weight_sum_kernel<<<1, LOSS_THREADS, 0, st>>>(m, labels, class_w, wsum, stats);
		LAUNCH_CHECK("weight_sum_kernel");
	}
	xent_kernel<<<cu_blocks(m), CU_THREADS, 0, st>>>(n, k, s, logits, labels, class_w, smooth, wsum, dlogits,
								 stats);
	LAUNCH_CHECK("xent_kernel");
}

void cuda_softmax(int n, int k, int s, const float *logits, float *probs)
{
	size_t m = (size_t)n * s;
	if (!m)
		return;
	softmax_kernel<<<cu_blocks(m), CU_THREADS, 0, cu_stream()>>>(n, k, s, logits, probs);
	LAUNCH_CHECK("softmax_kernel");
}
