/* backend_cuda.cu: the CUDA backend's table (backend.h) and the device
   probe that --device auto uses: no driver or no device means 0 devices. */
#include "cuda_common.cuh"
#include "util.h"

static __global__ void probe_kernel(void) {}

extern "C" int cuda_device_count(void)
{
	static int count = -1;
	if (count < 0) {
		int n = 0;
		count = cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
		(void)cudaGetLastError();   /* a failed probe is an answer, not an error */
		cudaFuncAttributes attr;
		if (count > 0 && cudaFuncGetAttributes(&attr, probe_kernel) != cudaSuccess) {
			/* a GPU this build has no code for: the CPU it is */
			note("a CUDA device is present but this build has no code for it "
			     "(rebuild with CUDA_ARCH=... for its architecture); using the CPU");
			(void)cudaGetLastError();
			count = 0;
		}
	}
	return count;
}

extern "C" const backend backend_cuda = {
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
};
