/* cpu_elementwise.c: the CPU backend's element-wise ops: activations, bias, sums and dropout. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

void cpu_relu_forward(size_t n, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = relu(x[i]);
}

void cpu_relu_backward(size_t n, const float *y, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dx[i] += relu_grad(y[i], dy[i]);
}

void cpu_relu_backward_inplace(size_t n, const float *y, float *dy)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dy[i] = relu_grad(y[i], dy[i]);
}

void cpu_leakyrelu_forward(size_t n, float slope, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = leaky_relu(x[i], slope);
}

void cpu_leakyrelu_backward(size_t n, float slope, const float *x, const float *dy, float *dx)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		dx[i] += dy[i] * leaky_relu_grad(x[i], slope);
}

void cpu_bias_add(int n, int c, int hw, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
	for (int p = 0; p < n * c; p++)
		for (int j = 0; j < hw; j++)
			y[(size_t)p * hw + j] += b[p % c];
}

/* per channel over samples in order: deterministic */
void cpu_bias_backward(int n, int c, int hw, const float *dy, float *db)
{
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < c; ch++) {
		double s = 0;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < hw; j++)
				s += dy[((size_t)i * c + ch) * hw + j];
		db[ch] += (float)s;
	}
}

void cpu_add(size_t n, const float *a, const float *b, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] = a[i] + b[i];
}

void cpu_axpy(size_t n, float alpha, const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		y[i] += alpha * x[i];
}

void cpu_dropout_forward(size_t n, float p, uint64_t seed, const float *x, float *y,
			 uint8_t *mask)
{
	float s = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++) {
		mask[i] = dropout_keep(seed, i, p);
		y[i] = mask[i] ? x[i] * s : 0.0f;
	}
}

void cpu_dropout_backward(size_t n, float p, const uint8_t *mask, const float *dy, float *dx)
{
	float s = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		if (mask[i])
			dx[i] += dy[i] * s;
}
