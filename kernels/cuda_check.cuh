/* cuda_check.cuh: every CUDA runtime and cuBLAS call and every kernel launch
   goes through these, so a failure names the file, the line and the error. */
#ifndef NN_CUDA_CHECK_CUH
#define NN_CUDA_CHECK_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "base/util.h"

#define CUDA_CHECK(call)                                                                        \
	do {                                                                                    \
		cudaError_t err_ = (call);                                                      \
		if (err_ != cudaSuccess)                                                        \
			fatal("CUDA error at %s:%d: %s: %s", __FILE__, __LINE__, #call,         \
			      cudaGetErrorString(err_));                                        \
	} while (0)

#define CUBLAS_CHECK(call)                                                                      \
	do {                                                                                    \
		cublasStatus_t st_ = (call);                                                    \
		if (st_ != CUBLAS_STATUS_SUCCESS)                                               \
			fatal("cuBLAS error at %s:%d: %s: %s", __FILE__, __LINE__, #call,       \
			      cublasGetStatusString(st_));                                      \
	} while (0)

/* After a kernel launch: catches bad launch configurations at once; errors
   inside the kernel surface at the next synchronising call. */
#define LAUNCH_CHECK(kernel)                                                                    \
	do {                                                                                    \
		cudaError_t err_ = cudaGetLastError();                                          \
		if (err_ != cudaSuccess)                                                        \
			fatal("CUDA error at %s:%d: launching %s: %s", __FILE__, __LINE__, kernel, \
			      cudaGetErrorString(err_));                                        \
	} while (0)

#endif
