/* cublas.cc: cuBLAS's single-precision GEMMs for the emulation, on the
   CPU backend's gemm() (lib/backend/gemm.c: OpenBLAS, or plain C). cuBLAS
   is column-major: C = op(A) op(B) there is C^T = op(B)^T op(A)^T in the
   row-major order that both CBLAS's support. The work runs in the handle's
   stream's turn, as cuBLAS's does; with beta 0, C is not read (cuBLAS's
   rule: it may hold NaN); in TF32 mode the inputs are rounded to TF32's 10
   mantissa bits first, as the tensor cores take them. */
#include "cublas_v2.h"
#include "emu.h"

extern "C" {
#include "backend/gemm.h"
}

#include <vector>

struct emu_blas {
	cudaStream_t stream;
	cublasMath_t mode;
};

cublasStatus_t cublasCreate(cublasHandle_t *h)
{
	*h = new emu_blas{0, CUBLAS_DEFAULT_MATH};
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h)
{
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s)
{
	if (!h)
		return CUBLAS_STATUS_NOT_INITIALIZED;
	h->stream = s;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode)
{
	if (!h)
		return CUBLAS_STATUS_NOT_INITIALIZED;
	if (mode != CUBLAS_DEFAULT_MATH && mode != CUBLAS_TF32_TENSOR_OP_MATH)
		return CUBLAS_STATUS_INVALID_VALUE;
	h->mode = mode;
	return CUBLAS_STATUS_SUCCESS;
}

const char *cublasGetStatusString(cublasStatus_t st)
{
	switch (st) {
	case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
	case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
	case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
	case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
	}
	return "CUBLAS_STATUS_UNKNOWN";
}

/* x rounded to the nearest TF32 value (ties away), kept as a float */
static float tf32(float x)
{
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	if ((u & 0x7f800000u) != 0x7f800000u)
		u = (u + 0x1000u) & 0xffffe000u;
	memcpy(&x, &u, sizeof x);
	return x;
}

/* a column-major rows x cols matrix with leading dimension ld, rounded */
static std::vector<float> tf32_copy(const float *a, int rows, int cols, int ld)
{
	std::vector<float> v((size_t)ld * (cols - 1) + rows);
	for (int j = 0; j < cols; j++)
		for (int i = 0; i < rows; i++)
			v[(size_t)j * ld + i] = tf32(a[(size_t)j * ld + i]);
	return v;
}

static void gemm(cublasMath_t mode, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
		 const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
	if (beta == 0)
		for (int j = 0; j < n; j++)
			memset(C + (size_t)j * ldc, 0, (size_t)m * sizeof *C);
	if (k == 0 || alpha == 0) {
		if (beta != 0 && beta != 1)
			for (int j = 0; j < n; j++)
				for (int i = 0; i < m; i++)
					C[(size_t)j * ldc + i] *= beta;
		return;
	}
	std::vector<float> a, b;
	if (mode == CUBLAS_TF32_TENSOR_OP_MATH) {
		a = ta == CUBLAS_OP_N ? tf32_copy(A, m, k, lda) : tf32_copy(A, k, m, lda);
		b = tb == CUBLAS_OP_N ? tf32_copy(B, k, n, ldb) : tf32_copy(B, n, k, ldb);
		A = a.data();
		B = b.data();
	}
	gemm(tb == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, ta == CUBLAS_OP_N ? CblasNoTrans : CblasTrans, n, m, k,
	     alpha, B, ldb, A, lda, beta, C, ldc);
}

static bool bad(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, int lda, int ldb, int ldc)
{
	int ar = ta == CUBLAS_OP_N ? m : k, br = tb == CUBLAS_OP_N ? k : n;
	return m < 0 || n < 0 || k < 0 || (ta != CUBLAS_OP_N && ta != CUBLAS_OP_T) ||
	       (tb != CUBLAS_OP_N && tb != CUBLAS_OP_T) || lda < (ar > 1 ? ar : 1) || ldb < (br > 1 ? br : 1) ||
	       ldc < (m > 1 ? m : 1);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
					 int n, int k, const float *alpha, const float *A, int lda, long long sa,
					 const float *B, int ldb, long long sb, const float *beta, float *C, int ldc,
					 long long sc, int batch)
{
	if (!h)
		return CUBLAS_STATUS_NOT_INITIALIZED;
	if (bad(ta, tb, m, n, k, lda, ldb, ldc) || batch < 0)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (!m || !n || !batch)
		return CUBLAS_STATUS_SUCCESS;
	/* alpha and beta are host values (the default pointer mode) */
	float al = *alpha, be = *beta;
	const float *a = (const float *)emu_host_address(A, "cublasSgemm: A", -1);
	const float *b = (const float *)emu_host_address(B, "cublasSgemm: B", -1);
	float *c = (float *)emu_host_address(C, "cublasSgemm: C", -1);
	cublasMath_t mode = h->mode;
	emu_enqueue(h->stream, [=]() {
		for (int i = 0; i < batch; i++)
			gemm(mode, ta, tb, m, n, k, al, a + i * sa, lda, b + i * sb, ldb, be, c + i * sc, ldc);
	});
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
			   const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta,
			   float *C, int ldc)
{
	return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
