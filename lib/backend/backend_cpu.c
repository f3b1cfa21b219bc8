/* backend_cpu.c: the reference backend: plain C, OpenMP over samples or
   channels, GEMM through OpenBLAS (kept at one thread; we parallelise).
   Memory and threads here; the ops in lib/cpu_<family>.c (cpu_ops.h). */
#include "backend/cpu_ops.h"
#include "backend/gemm.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static void cpu_set_threads(int n)
{
#ifdef _OPENMP
	if (n > 0)
		omp_set_num_threads(n);
#endif
	gemm_set_threads(1);
}

static void cpu_set_precision(int tf32) { (void)tf32; }

static void *cpu_alloc(size_t bytes, const char *what)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 64))
		fatal("out of memory: %s needs %.1f MiB (try a smaller --batch)", what, bytes / 1048576.0);
	return p;
}

static void cpu_free(void *p) { free(p); }
static void cpu_copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }
/* Large buffers (the activation gradients, zeroed every step) in one piece
   per thread: a single thread's memset would leave the others waiting. */
static void cpu_zero(void *p, size_t bytes)
{
	int nt = nthreads();
	if (bytes < ((size_t)1 << 20) || nt == 1) {
		memset(p, 0, bytes);
		return;
	}
	size_t piece = (bytes / nt + 63) / 64 * 64;
#pragma omp parallel for schedule(static)
	for (int t = 0; t < nt; t++) {
		size_t at = (size_t)t * piece;
		if (at < bytes)
			memset((char *)p + at, 0, bytes - at < piece ? bytes - at : piece);
	}
}
static void cpu_sync(void) {}

const backend backend_cpu = {
	.name = "cpu",
	.is_gpu = 0,
	.set_threads = cpu_set_threads,
	.set_precision = cpu_set_precision,
	.alloc = cpu_alloc,
	.free = cpu_free,
	.upload = cpu_copy,
	.download = cpu_copy,
	.zero = cpu_zero,
	.sync = cpu_sync,
	.gather_images = cpu_gather_images,
	.gather_labels = cpu_gather_labels,
	.conv_workspace = cpu_conv_workspace,
	.conv_forward = cpu_conv_forward,
	.conv_backward = cpu_conv_backward,
	.linear_forward = cpu_linear_forward,
	.linear_backward = cpu_linear_backward,
	.relu_forward = cpu_relu_forward,
	.relu_backward = cpu_relu_backward,
	.relu_backward_inplace = cpu_relu_backward_inplace,
	.leakyrelu_forward = cpu_leakyrelu_forward,
	.leakyrelu_backward = cpu_leakyrelu_backward,
	.bias_add = cpu_bias_add,
	.bias_backward = cpu_bias_backward,
	.maxpool_forward = cpu_maxpool_forward,
	.maxpool_backward = cpu_maxpool_backward,
	.avgpool_forward = cpu_avgpool_forward,
	.avgpool_backward = cpu_avgpool_backward,
	.plane_mean_forward = cpu_plane_mean_forward,
	.plane_mean_backward = cpu_plane_mean_backward,
	.batchnorm_forward = cpu_batchnorm_forward,
	.batchnorm_backward = cpu_batchnorm_backward,
	.batchnorm_forward_sync = cpu_batchnorm_forward_sync,
	.batchnorm_backward_sync = cpu_batchnorm_backward_sync,
	.upsample_forward = cpu_upsample_forward,
	.upsample_backward = cpu_upsample_backward,
	.concat_forward = cpu_concat_forward,
	.concat_backward = cpu_concat_backward,
	.add = cpu_add,
	.axpy = cpu_axpy,
	.dropout_forward = cpu_dropout_forward,
	.dropout_backward = cpu_dropout_backward,
	.softmax_xent = cpu_softmax_xent,
	.softmax = cpu_softmax,
	.adam_step = cpu_adam_step,
	.sgd_step = cpu_sgd_step,
};
