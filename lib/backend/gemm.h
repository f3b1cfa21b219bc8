/* gemm.h: single-precision matrix product for the CPU backend: OpenBLAS's
   cblas_sgemm, opened at run time (gemm.c says why), or a plain blocked C
   version where OpenBLAS is not installed (correct, much slower). */
#ifndef NN_GEMM_H
#define NN_GEMM_H

/* CBLAS's values, so the calls read as CBLAS calls do */
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };

/* Row-major: C = alpha * op(A) op(B) + beta * C, A m x k, B k x n. */
void gemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
	  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* OpenBLAS's own threads (the backend keeps it at one: it parallelises
   over samples and channels itself). */
void gemm_set_threads(int n);

#endif
