/* gemm.c: the plain C matrix product used when OpenBLAS is not available. */
#include "backend/gemm.h"

#ifdef NN_NO_OPENBLAS
#include <stdlib.h>

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n,
		 int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
		 int ldc)
{
	if (order != CblasRowMajor)
		abort();
	for (int i = 0; i < m; i++) {
		float *ci = c + (size_t)i * ldc;
		for (int j = 0; j < n; j++)
			ci[j] = beta == 0 ? 0.0f : beta * ci[j];
		/* i-p-j order: the inner loop runs along rows of B and C */
		for (int p = 0; p < k; p++) {
			float aip = alpha * (ta == CblasNoTrans ? a[(size_t)i * lda + p] : a[(size_t)p * lda + i]);
			if (tb == CblasNoTrans) {
				const float *bp = b + (size_t)p * ldb;
				for (int j = 0; j < n; j++)
					ci[j] += aip * bp[j];
			} else {
				for (int j = 0; j < n; j++)
					ci[j] += aip * b[(size_t)j * ldb + p];
			}
		}
	}
}
#endif
