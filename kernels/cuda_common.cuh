/* cuda_common.cuh: what the kernel files share: the stream and cuBLAS handle
   every op runs on, launch geometry, block reductions, row-major GEMM
   wrappers and the host launchers that backend_cuda.cu puts in its table. */
#ifndef NN_CUDA_COMMON_CUH
#define NN_CUDA_COMMON_CUH

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "cuda_check.cuh"

/* memory.cu: one stream, one cuBLAS handle, created on first use */
cudaStream_t cu_stream(void);
cublasHandle_t cu_blas(void);
/* Scratch shared by ops that need a little device memory between their
   kernels (reduction partials); grows, never shrinks, so it stops being
   reallocated after the first step. Valid until the next cu_scratch call. */
void *cu_scratch(size_t bytes);

enum { CU_THREADS = 256 };

/* Blocks for a grid-stride loop over n elements. */
static inline unsigned cu_blocks(size_t n)
{
	size_t b = (n + CU_THREADS - 1) / CU_THREADS;
	return (unsigned)(b < 1 ? 1 : (b > 65536 ? 65536 : b));
}

#define GRID_LOOP(i, n)                                                                     \
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n);               \
	     i += (size_t)gridDim.x * blockDim.x)

/* Division of element indices by a run-time constant. 64-bit division is a
   long software routine on the GPU, and even 32-bit division takes a dozen
   instructions, which would dominate the memory-bound kernels; so indices
   below 2^31 use 32 bits and divide by a multiply-high with a magic number
   (n < 2^31, d < 2^31: (umulhi(n, m) + n) >> s, m = 2^32 (2^s - d) / d + 1,
   2^s >= d; a divisor is a dimension, never more than the count). 64-bit
   indices divide plainly. */
struct divider {
	uint64_t d;
	uint32_t m, s;
};

static inline divider divider_make(uint64_t d)
{
	divider f = {d, 0, 0};
	if (d < (1ull << 31)) {
		while ((1ull << f.s) < d)
			f.s++;
		f.m = (uint32_t)(((1ull << 32) * ((1ull << f.s) - d)) / d + 1);
	}
	return f;
}

__device__ inline uint32_t idiv(uint32_t n, const divider &f) { return (__umulhi(n, f.m) + n) >> f.s; }
__device__ inline uint64_t idiv(uint64_t n, const divider &f) { return n / f.d; }

/* n becomes n / f; returns n % f */
template <typename I> __device__ inline I divmod(I &n, const divider &f)
{
	I q = idiv(n, f), r = n - q * (I)f.d;
	n = q;
	return r;
}

/* Element loops with index type I (uint32_t or uint64_t, see divider), and
   the launch that picks 32 bits when the element count fits. The kernel is
   a template whose first parameter is the count. */
#define INDEX_LOOP(I, i, n)                                                                  \
	for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < (n); i += (I)gridDim.x * blockDim.x)

#define LAUNCH_ELEMENTS(kernel, total, ...)                                                  \
	do {                                                                                 \
		size_t t_ = (total);                                                         \
		if (t_ < ((size_t)1 << 31))                                                  \
			kernel<uint32_t><<<cu_blocks(t_), CU_THREADS, 0, cu_stream()>>>(     \
				(uint32_t)t_, __VA_ARGS__);                                  \
		else                                                                         \
			kernel<uint64_t><<<cu_blocks(t_), CU_THREADS, 0, cu_stream()>>>(     \
				(uint64_t)t_, __VA_ARGS__);                                  \
		LAUNCH_CHECK(#kernel);                                                       \
	} while (0)

/* Sum of v over the block (blockDim.x a multiple of 32, at most 1024);
   the result is valid in thread 0. */
template <typename T> __device__ inline T block_sum(T v)
{
	__shared__ T part[32];
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_down_sync(0xffffffffu, v, o);
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	__syncthreads();   /* part may still be read by a previous call */
	if (lane == 0)
		part[warp] = v;
	__syncthreads();
	if (warp == 0) {
		v = lane < (int)(blockDim.x >> 5) ? part[lane] : (T)0;
		for (int o = 16; o > 0; o >>= 1)
			v += __shfl_down_sync(0xffffffffu, v, o);
	}
	return v;
}

/* Row-major C[M,N] = alpha op(A) op(B) + beta C. cuBLAS is column-major, so
   this computes C^T = op(B)^T op(A)^T. */
static inline void gemm_rm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
			   const float *B, int ldb, float beta, float *C, int ldc)
{
	CUBLAS_CHECK(cublasSgemm(cu_blas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
				 N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

static inline void gemm_rm_batched(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
				   int lda, long long sa, const float *B, int ldb, long long sb, float beta,
				   float *C, int ldc, long long sc, int batch)
{
	CUBLAS_CHECK(cublasSgemmStridedBatched(cu_blas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
					       ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, sb,
					       A, lda, sa, &beta, C, ldc, sc, batch));
}

/* y[e] = b[(e / inner) % c] over n elements: a bias broadcast over [.., c, inner],
   written before a GEMM that adds to it (beta 1) */
void cu_fill_bias(size_t n, int c, size_t inner, const float *b, float *y);

/* ---- the launchers (backend.h semantics) ---- */

void cuda_set_threads(int n);
void cuda_set_precision(int tf32);
void *cuda_alloc(size_t bytes, const char *what);
void cuda_free(void *p);
void cuda_upload(void *dst, const void *host_src, size_t bytes);
void cuda_download(void *host_dst, const void *src, size_t bytes);
void cuda_zero(void *p, size_t bytes);
void cuda_sync(void);

void cuda_gather_images(float *out, const void *x, int is_u8, const int32_t *idx, const sample_xform *xf,
			int n, int c, int h, int w, const float *mean, const float *inv_std);
void cuda_gather_labels(int32_t *out, const int32_t *y, const int32_t *idx, const sample_xform *xf, int n,
			int h, int w, int seg);

size_t cuda_conv_workspace(const conv_desc *d);
void cuda_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y,
		       void *work);
void cuda_conv_backward(const conv_desc *d, const float *x, const float *w, const float *dy, float *dx,
			float *dw, float *db, void *work);

void cuda_linear_forward(int n, int in, int out, const float *x, const float *w, const float *b, float *y);
void cuda_linear_backward(int n, int in, int out, const float *x, const float *w, const float *dy,
			  float *dx, float *dw, float *db);

void cuda_relu_forward(size_t n, const float *x, float *y);
void cuda_relu_backward(size_t n, const float *y, const float *dy, float *dx);
void cuda_relu_backward_inplace(size_t n, const float *y, float *dy);
void cuda_leakyrelu_forward(size_t n, float slope, const float *x, float *y);
void cuda_leakyrelu_backward(size_t n, float slope, const float *x, const float *dy, float *dx);
void cuda_bias_add(int n, int c, int hw, const float *b, float *y);
void cuda_bias_backward(int n, int c, int hw, const float *dy, float *db);
void cuda_add(size_t n, const float *a, const float *b, float *y);
void cuda_axpy(size_t n, float alpha, const float *x, float *y);
void cuda_dropout_forward(size_t n, float p, uint64_t seed, const float *x, float *y, uint8_t *mask);
void cuda_dropout_backward(size_t n, float p, const uint8_t *mask, const float *dy, float *dx);

void cuda_maxpool_forward(const pool_desc *d, const float *x, float *y, int32_t *arg);
void cuda_maxpool_backward(const pool_desc *d, const float *dy, const int32_t *arg, float *dx);
void cuda_avgpool_forward(const pool_desc *d, const float *x, float *y);
void cuda_avgpool_backward(const pool_desc *d, const float *dy, float *dx);
void cuda_plane_mean_forward(size_t planes, int hw, const float *x, float *y);
void cuda_plane_mean_backward(size_t planes, int hw, const float *dy, float *dx);

void cuda_batchnorm_forward(int n, int c, int hw, const float *x, const float *gamma, const float *beta,
			    float *run_mean, float *run_var, float momentum, float eps, int train, float *y,
			    float *save_mean, float *save_invstd);
void cuda_batchnorm_backward(int n, int c, int hw, const float *x, const float *gamma, const float *dy,
			     const float *save_mean, const float *save_invstd, float *dx, float *dgamma,
			     float *dbeta);

/* comm.cu, with NCCL (NN_NCCL) */
void cuda_comm_id(unsigned char id[BACKEND_COMM_ID_BYTES]);
void cuda_comm_open(const unsigned char id[BACKEND_COMM_ID_BYTES], int nranks, int rank);
void cuda_comm_sum(float *buf, size_t n);

void cuda_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y);
void cuda_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx);

void cuda_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y);
void cuda_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db);

void cuda_softmax_xent(int n, int k, int s, const float *logits, const int32_t *labels,
		       const float *class_w, float smooth, float *dlogits, double *stats);
void cuda_softmax(int n, int k, int s, const float *logits, float *probs);

void cuda_adam_step(size_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
		    float beta2, float eps, float wd, int decoupled, long t);
void cuda_sgd_step(size_t n, float *p, const float *g, float *buf, float lr, float momentum, float wd,
		   int nesterov);

#endif
