/* gemm.c: the CPU backend's matrix product.

   OpenBLAS is opened at first use rather than linked, so that its kernels
   can be chosen before it starts. Debian's OpenBLAS (0.3.21) picks its
   kernels for the CPU when it loads, and it does not know AMD's CPUs with
   AVX-512 (Zen 4, Zen 5): it runs them with its AVX2 (Haswell) kernels,
   half as wide as the CPU's. Later OpenBLAS releases run those CPUs with
   the SkylakeX kernels; so does this file, through OpenBLAS's own
   OPENBLAS_CORETYPE, which a user's setting overrides (bench/cpu-train.md
   has the figures). NN_BLAS names another CBLAS library to open instead
   (bench/blas.sh compares BLIS). Where none opens, a plain C product
   stands in, with a note. */
#include "backend/gemm.h"
#include "base/util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#define OPENBLAS_SONAME "libopenblas.so.0"

typedef void sgemm_fn(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
		      int lda, const float *b, int ldb, float beta, float *c, int ldc);
static sgemm_fn *blas_sgemm;
static void (*blas_threads)(int);

/* The plain product: i-p-j order, the inner loop along rows of B and C. */
static void plain_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
			int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
	(void)order;
	for (int i = 0; i < m; i++) {
		float *ci = c + (size_t)i * ldc;
		for (int j = 0; j < n; j++)
			ci[j] = beta == 0 ? 0.0f : beta * ci[j];
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

/* An AMD CPU with the AVX-512 subsets SkylakeX's kernels use, the OS
   saving their registers (__builtin_cpu_supports checks both). */
static int amd_avx512(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	__builtin_cpu_init();
	return __builtin_cpu_is("amd") && __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
	return 0;
#endif
}

static void load(void)
{
	blas_sgemm = plain_sgemm;
#ifndef NN_NO_OPENBLAS
	/* set only while OpenBLAS starts: programs we run see the user's own */
	int set = !getenv("OPENBLAS_CORETYPE") && amd_avx512();
	if (set)
		setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
	const char *other = getenv("NN_BLAS"), *name = other && *other ? other : OPENBLAS_SONAME;
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (set)
		unsetenv("OPENBLAS_CORETYPE");
	if (!h) {
		note("%s: using the built-in C GEMM, much slower%s", dlerror(),
		     other && *other ? "" : " (install libopenblas0)");
		return;
	}
	sgemm_fn *f = (sgemm_fn *)dlsym(h, "cblas_sgemm");
	if (!f) {
		note("%s: no cblas_sgemm: using the built-in C GEMM, much slower", name);
		return;
	}
	/* OpenBLAS's own; another library's threads are its environment's */
	blas_sgemm = f;
	blas_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
#endif
}

static pthread_once_t loaded = PTHREAD_ONCE_INIT;

void gemm(enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
	  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
	pthread_once(&loaded, load);
	blas_sgemm(101 /* CblasRowMajor */, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm_set_threads(int n)
{
	pthread_once(&loaded, load);
	if (blas_threads)
		blas_threads(n);
}
