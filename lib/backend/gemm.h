/* gemm.h: single-precision matrix product for the CPU backend: OpenBLAS's
   cblas_sgemm, or a plain blocked C version where OpenBLAS is not installed
   (a build on a machine without libopenblas-dev: correct, much slower). */
#ifndef NN_GEMM_H
#define NN_GEMM_H

#ifndef NN_NO_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
#define gemm_set_threads openblas_set_num_threads
#else
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
/* Row-major only: C = alpha * op(A) op(B) + beta * C. */
void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n,
		 int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
		 int ldc);
static inline void gemm_set_threads(int n) { (void)n; }
#endif

#endif
