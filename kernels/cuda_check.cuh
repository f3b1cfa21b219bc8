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
   inside the kernel surface at the next synchronising call, or at once with
   NN_CUDA_SYNC=1 (memory.cu's cu_launch_sync). */
#define LAUNCH_CHECK(kernel)                                                                    \
	do {                                                                                    \
		cudaError_t err_ = cudaGetLastError();                                          \
		if (err_ != cudaSuccess)                                                        \
			fatal("CUDA error at %s:%d: launching %s: %s", __FILE__, __LINE__, kernel, \
			      cudaGetErrorString(err_));                                        \
		cu_launch_sync(kernel, __FILE__, __LINE__);                                     \
	} while (0)

/* NN_CUDA_SYNC=1 (else nothing): waits for the kernel just launched and
   dies naming it if it failed, so that a fault is reported at the kernel
   that made it rather than at a later call; slow, for finding faults. */
void cu_launch_sync(const char *kernel, const char *file, int line);

#endif
