/* cpu_loss.c: the CPU backend's loss: softmax cross-entropy and softmax. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

void cpu_softmax_xent(int n, int k, int s, const float *logits, const int32_t *labels,
		      const float *class_w, float smooth, float *dlogits, double *stats)
{
	double wsum = 0;
	for (long i = 0; i < (long)n * s; i++)
		wsum += class_w ? class_w[labels[i]] : 1.0;
	double loss = 0, correct = 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, correct)
	for (long i = 0; i < (long)n * s; i++) {
		long b = i / s, j = i % s;
		int y = labels[i], arg;
		float *g = dlogits ? dlogits + b * k * s + j : NULL;
		loss += xent_position(logits + b * k * s + j, k, s, y, class_w, smooth, wsum, g, &arg);
		correct += arg == y;
	}
	stats[STAT_LOSS] += loss;
	stats[STAT_WEIGHT] += wsum;
	stats[STAT_CORRECT] += correct;
	stats[STAT_COUNT] += (double)n * s;
}

void cpu_softmax(int n, int k, int s, const float *logits, float *probs)
{
#pragma omp parallel for schedule(static)
	for (long i = 0; i < (long)n * s; i++) {
		long b = i / s, j = i % s;
		softmax_position(logits + b * k * s + j, k, s, probs + b * k * s + j);
	}
}
