/* elementwise.cu: relu, leaky relu, add, axpy, inverted dropout (masks drawn with
   elementwise.h's dropout_keep, so they equal the CPU's) and bias broadcast. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

static __global__ void relu_forward_kernel(size_t n, const float *x, float *y)
{
	GRID_LOOP(i, n)
		y[i] = relu(x[i]);
}

static __global__ void relu_backward_kernel(size_t n, const float *y, const float *dy, float *dx)
{
	GRID_LOOP(i, n)
		dx[i] += relu_grad(y[i], dy[i]);
}

static __global__ void relu_backward_inplace_kernel(size_t n, const float *y, float *dy)
{
	GRID_LOOP(i, n)
		dy[i] = relu_grad(y[i], dy[i]);
}

static __global__ void leakyrelu_forward_kernel(size_t n, float slope, const float *x, float *y)
{
	GRID_LOOP(i, n)
		y[i] = leaky_relu(x[i], slope);
}

static __global__ void leakyrelu_backward_kernel(size_t n, float slope, const float *x, const float *dy,
						 float *dx)
{
	GRID_LOOP(i, n)
		dx[i] += dy[i] * leaky_relu_grad(x[i], slope);
}

template <typename I>
static __global__ void bias_add_kernel(I n, divider inner, divider c, const float *b, float *y)
{
	INDEX_LOOP(I, i, n) {
		I t = idiv(i, inner);
		y[i] += b[divmod(t, c)];
	}
}

static __global__ void add_kernel(size_t n, const float *a, const float *b, float *y)
{
	GRID_LOOP(i, n)
		y[i] = a[i] + b[i];
}

static __global__ void axpy_kernel(size_t n, float alpha, const float *x, float *y)
{
	GRID_LOOP(i, n)
		y[i] += alpha * x[i];
}

static __global__ void dropout_forward_kernel(size_t n, float p, float s, uint64_t seed, const float *x,
					      float *y, uint8_t *mask)
{
	GRID_LOOP(i, n) {
		int keep = dropout_keep(seed, i, p);
		mask[i] = (uint8_t)keep;
		y[i] = keep ? x[i] * s : 0.0f;
	}
}

static __global__ void dropout_backward_kernel(size_t n, float s, const uint8_t *mask, const float *dy,
					       float *dx)
{
	GRID_LOOP(i, n)
		if (mask[i])
			dx[i] += dy[i] * s;
}

template <typename I>
static __global__ void fill_bias_kernel(I n, divider inner, divider c, const float *b, float *y)
{
	INDEX_LOOP(I, i, n) {
		I t = idiv(i, inner);
		y[i] = b[divmod(t, c)];
	}
}

void cuda_relu_forward(size_t n, const float *x, float *y)
{
	if (!n)
		return;
	relu_forward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, x, y);
	LAUNCH_CHECK("relu_forward_kernel");
}

void cuda_relu_backward(size_t n, const float *y, const float *dy, float *dx)
{
	if (!n)
		return;
	relu_backward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, y, dy, dx);
	LAUNCH_CHECK("relu_backward_kernel");
}

void cuda_relu_backward_inplace(size_t n, const float *y, float *dy)
{
	if (!n)
		return;
	relu_backward_inplace_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, y, dy);
	LAUNCH_CHECK("relu_backward_inplace_kernel");
}

void cuda_leakyrelu_forward(size_t n, float slope, const float *x, float *y)
{
	if (!n)
		return;
	leakyrelu_forward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, slope, x, y);
	LAUNCH_CHECK("leakyrelu_forward_kernel");
}

void cuda_leakyrelu_backward(size_t n, float slope, const float *x, const float *dy, float *dx)
{
	if (!n)
		return;
	leakyrelu_backward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, slope, x, dy, dx);
	LAUNCH_CHECK("leakyrelu_backward_kernel");
}

void cuda_bias_add(int n, int c, int hw, const float *b, float *y)
{
	size_t total = (size_t)n * c * hw;
	if (!total)
		return;
	LAUNCH_ELEMENTS(bias_add_kernel, total, divider_make(hw), divider_make(c), b, y);
}

void cuda_add(size_t n, const float *a, const float *b, float *y)
{
	if (!n)
		return;
	add_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, a, b, y);
	LAUNCH_CHECK("add_kernel");
}

void cuda_axpy(size_t n, float alpha, const float *x, float *y)
{
	if (!n)
		return;
	axpy_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, alpha, x, y);
	LAUNCH_CHECK("axpy_kernel");
}

void cuda_dropout_forward(size_t n, float p, uint64_t seed, const float *x, float *y, uint8_t *mask)
{
	if (!n)
		return;
	dropout_forward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, p, 1.0f / (1.0f - p), seed,
									       x, y, mask);
	LAUNCH_CHECK("dropout_forward_kernel");
}

void cuda_dropout_backward(size_t n, float p, const uint8_t *mask, const float *dy, float *dx)
{
	if (!n)
		return;
	dropout_backward_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, 1.0f / (1.0f - p), mask,
										dy, dx);
	LAUNCH_CHECK("dropout_backward_kernel");
}

void cu_fill_bias(size_t n, int c, size_t inner, const float *b, float *y)
{
	if (!n)
		return;
	LAUNCH_ELEMENTS(fill_bias_kernel, n, divider_make(inner), divider_make(c), b, y);
}
