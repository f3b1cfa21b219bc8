/* cpu_linear.c: the CPU backend's fully connected layers: a GEMM per block of samples. */
#include "backend/cpu_ops.h"
#include "backend/gemm.h"

#include <string.h>

void cpu_linear_forward(int n, int in, int out, const float *x, const float *w,
			const float *b, float *y)
{
	int nt = nthreads(), chunk = (n + nt - 1) / nt;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		int lo = t * chunk, hi = lo + chunk < n ? lo + chunk : n;
		if (lo >= hi)
			continue;
		if (b)
			for (int i = lo; i < hi; i++)
				memcpy(y + (size_t)i * out, b, out * sizeof(float));
		gemm(CblasNoTrans, CblasTrans, hi - lo, out, in, 1.0f,
		     x + (size_t)lo * in, in, w, in, b ? 1.0f : 0.0f, y + (size_t)lo * out, out);
	}
}

void cpu_linear_backward(int n, int in, int out, const float *x, const float *w,
			 const float *dy, float *dx, float *dw, float *db)
{
	int nt = nthreads();
	int ochunk = (out + nt - 1) / nt, nchunk = (n + nt - 1) / nt;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		/* dw [out,in] += dy^T [out,n] x [n,in], split over output rows */
		int lo = t * ochunk, hi = lo + ochunk < out ? lo + ochunk : out;
		if (lo < hi) {
			gemm(CblasTrans, CblasNoTrans, hi - lo, in, n, 1.0f, dy + lo,
			     out, x, in, 1.0f, dw + (size_t)lo * in, in);
			if (db)
				for (int o = lo; o < hi; o++) {
					float s = 0;
					for (int i = 0; i < n; i++)
						s += dy[(size_t)i * out + o];
					db[o] += s;
				}
		}
		/* dx [n,in] += dy [n,out] w [out,in], split over samples */
		int nlo = t * nchunk, nhi = nlo + nchunk < n ? nlo + nchunk : n;
		if (dx && nlo < nhi)
			gemm(CblasNoTrans, CblasNoTrans, nhi - nlo, in, out, 1.0f,
			     dy + (size_t)nlo * out, out, w, in, 1.0f, dx + (size_t)nlo * in, in);
	}
}
