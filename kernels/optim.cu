/* optim.cu: Adam/AdamW and SGD updates over the flat parameter arena with
   elementwise.h's per-element maths, the bias corrections computed on the
   host exactly as the CPU backend does. */
#include "cuda_common.cuh"
#include "backend/elementwise.h"

#include <math.h>

static __global__ void adam_kernel(size_t n, float *p, const float *g, float *m, float *v, float lr,
				   float beta1, float beta2, float eps, float wd, int decoupled, float step_size,
				   float bc2_sqrt)
{
	GRID_LOOP(i, n)
		adam_element(&p[i], g[i], &m[i], &v[i], lr, beta1, beta2, eps, wd, decoupled, step_size, bc2_sqrt);
}

static __global__ void sgd_kernel(size_t n, float *p, const float *g, float *buf, float lr, float momentum,
				  float wd, int nesterov)
{
	GRID_LOOP(i, n)
		sgd_element(&p[i], g[i], &buf[i], lr, momentum, wd, nesterov);
}

void cuda_adam_step(size_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
		    float beta2, float eps, float wd, int decoupled, long t)
{
	if (!n)
		return;
	float step_size = (float)(lr / (1 - pow(beta1, (double)t)));
	float bc2_sqrt = (float)sqrt(1 - pow(beta2, (double)t));
	adam_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, p, g, m, v, lr, beta1, beta2, eps, wd,
								   decoupled, step_size, bc2_sqrt);
	LAUNCH_CHECK("adam_kernel");
}

void cuda_sgd_step(size_t n, float *p, const float *g, float *buf, float lr, float momentum, float wd,
		   int nesterov)
{
	if (!n)
		return;
	sgd_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, p, g, buf, lr, momentum, wd, nesterov);
	LAUNCH_CHECK("sgd_kernel");
}
