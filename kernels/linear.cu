/* linear.cu: fully connected layers through cuBLAS: y = x w^T + b. */
#include "cuda_common.cuh"

/* db[o] += sum over rows of dy [n, out]; one thread per column */
static __global__ void column_sum_kernel(const float *dy, float *db, int n, int out)
{
	for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < out; o += gridDim.x * blockDim.x) {
		float s = 0;
		for (int i = 0; i < n; i++)
			s += dy[(size_t)i * out + o];
		db[o] += s;
	}
}

void cuda_linear_forward(int n, int in, int out, const float *x, const float *w, const float *b, float *y)
{
	if (n <= 0)
		return;
	if (b)
		cu_fill_bias((size_t)n * out, out, 1, b, y);
	/* y [n, out] = x [n, in] w^T [in, out] */
	gemm_rm(false, true, n, out, in, 1.0f, x, in, w, in, b ? 1.0f : 0.0f, y, out);
}

void cuda_linear_backward(int n, int in, int out, const float *x, const float *w, const float *dy,
			  float *dx, float *dw, float *db)
{
	if (n <= 0)
		return;
	/* dw [out, in] += dy^T [out, n] x [n, in] */
	gemm_rm(true, false, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
	if (db) {
		column_sum_kernel<<<cu_blocks(out), CU_THREADS, 0, cu_stream()>>>(dy, db, n, out);
		LAUNCH_CHECK("column_sum_kernel");
	}
	/* dx [n, in] += dy [n, out] w [out, in] */
	if (dx)
		gemm_rm(false, false, n, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
}
