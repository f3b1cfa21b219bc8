/* backend_cuda.cu: the CUDA backend's table (backend.h) and the entry point
   of libnnpipe-cuda.so, which the tools open at run time: it answers with
   the table and the number of devices, and says why when there is none.
   The library's only exported symbol (the rest is built hidden). */
#include "cuda_common.cuh"
#include "base/util.h"

static __global__ void probe_kernel(void) {}

/* Usable devices: no driver or no device is 0, with the runtime's reason; a
   device that this build has no code for is -1. */
static int device_count(const char **why)
{
	int n = 0;
	cudaError_t err = cudaGetDeviceCount(&n);
	(void)cudaGetLastError();   /* a failed probe is an answer, not an error */
	if (err != cudaSuccess) {
		*why = cudaGetErrorString(err);
		return 0;
	}
	if (n <= 0) {
		*why = "no CUDA device";
		return 0;
	}
	cudaFuncAttributes attr;
	if (cudaFuncGetAttributes(&attr, probe_kernel) != cudaSuccess) {
		(void)cudaGetLastError();
		*why = "a CUDA device is present but this build has no code for it "
		       "(rebuild with CUDA_ARCH=... for its architecture)";
		return -1;
	}
	return n;
}

static const backend backend_cuda = {
	.name = "cuda",
	.is_gpu = 1,
	.set_threads = cuda_set_threads,
	.set_precision = cuda_set_precision,
	.alloc = cuda_alloc,
	.free = cuda_free,
	.upload = cuda_upload,
	.download = cuda_download,
	.zero = cuda_zero,
	.sync = cuda_sync,
	.gather_images = cuda_gather_images,
	.gather_labels = cuda_gather_labels,
	.conv_workspace = cuda_conv_workspace,
	.conv_forward = cuda_conv_forward,
	.conv_backward = cuda_conv_backward,
	.linear_forward = cuda_linear_forward,
	.linear_backward = cuda_linear_backward,
	.bias_add = cuda_bias_add,
	.bias_backward = cuda_bias_backward,
	.relu_forward = cuda_relu_forward,
	.relu_backward = cuda_relu_backward,
	.relu_backward_inplace = cuda_relu_backward_inplace,
	.leakyrelu_forward = cuda_leakyrelu_forward,
	.leakyrelu_backward = cuda_leakyrelu_backward,
	.maxpool_forward = cuda_maxpool_forward,
	.maxpool_backward = cuda_maxpool_backward,
	.avgpool_forward = cuda_avgpool_forward,
	.avgpool_backward = cuda_avgpool_backward,
	.plane_mean_forward = cuda_plane_mean_forward,
	.plane_mean_backward = cuda_plane_mean_backward,
	.batchnorm_forward = cuda_batchnorm_forward,
	.batchnorm_backward = cuda_batchnorm_backward,
	.upsample_forward = cuda_upsample_forward,
	.upsample_backward = cuda_upsample_backward,
	.concat_forward = cuda_concat_forward,
	.concat_backward = cuda_concat_backward,
	.add = cuda_add,
	.axpy = cuda_axpy,
	.dropout_forward = cuda_dropout_forward,
	.dropout_backward = cuda_dropout_backward,
	.softmax_xent = cuda_softmax_xent,
	.softmax = cuda_softmax,
	.adam_step = cuda_adam_step,
	.sgd_step = cuda_sgd_step,
#ifdef NN_NCCL
	.comm_id = cuda_comm_id,
	.comm_open = cuda_comm_open,
	.comm_sum = cuda_comm_sum,
#endif
};

/* BACKEND_CUDA_ENTRY: the declaration checks the type that backend.c expects */
extern "C" backend_cuda_entry nnpipe_backend_cuda __attribute__((visibility("default")));

extern "C" const backend *nnpipe_backend_cuda(size_t size, int *devices, const char **why)
{
	*why = NULL;
	if (size != sizeof(backend)) {
		*devices = 0;
		*why = BACKEND_CUDA_LIB " was built from other sources than this program (rebuild both)";
		return NULL;
	}
	static int probed, count;
	static const char *reason;
	if (!probed) {
		count = device_count(&reason);
		probed = 1;
	}
	*devices = count;
	*why = reason;
	return &backend_cuda;
}
