/* cpu_optim.c: the CPU backend's optimisers: Adam(W) and SGD steps. */
#include "backend/cpu_ops.h"
#include "backend/elementwise.h"

#include <math.h>

void cpu_adam_step(size_t n, float *p, const float *g, float *m, float *v, float lr,
		   float beta1, float beta2, float eps, float wd, int decoupled, long t)
{
	float step_size = (float)(lr / (1 - pow(beta1, (double)t)));
	float bc2_sqrt = (float)sqrt(1 - pow(beta2, (double)t));
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		adam_element(&p[i], g[i], &m[i], &v[i], lr, beta1, beta2, eps, wd, decoupled, step_size,
			     bc2_sqrt);
}

void cpu_sgd_step(size_t n, float *p, const float *g, float *buf, float lr, float momentum,
		  float wd, int nesterov)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i++)
		sgd_element(&p[i], g[i], &buf[i], lr, momentum, wd, nesterov);
}
