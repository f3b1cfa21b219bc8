/* cpu_ops.h: the CPU backend's ops, one lib/cpu_<family>.c each (the
   families of kernels/<family>.cu), gathered into backend_cpu by
   backend_cpu.c. Private to those files. */
#ifndef NN_CPU_OPS_H
#define NN_CPU_OPS_H

#include "backend/backend.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* The threads of the ops' parallel loops, and which one is running:
   inline, as they are called inside hot loops. */
static inline int nthreads(void)
{
#ifdef _OPENMP
	return omp_get_max_threads();
#else
	return 1;
#endif
}

static inline int thread_id(void)
{
#ifdef _OPENMP
	return omp_get_thread_num();
#else
	return 0;
#endif
}

/* cpu_gather.c: a batch gathered by index, flipped, cropped, normalised */
void cpu_gather_images(float *out, const void *x, int is_u8, const int32_t *idx,
		       const sample_xform *xf, int n, int c, int h, int w, const float *mean,
		       const float *inv_std);
void cpu_gather_labels(int32_t *out, const int32_t *y, const int32_t *idx,
		       const sample_xform *xf, int n, int h, int w, int seg);

/* cpu_winograd.c: stride-1 3x3 and 5x5 convolutions by Winograd's minimal
   filtering, for all three passes; cpu_conv.c chooses it (backend_conv) */
int cpu_winograd_fits(const conv_desc *d);
size_t cpu_winograd_workspace(const conv_desc *d);
void cpu_winograd_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y,
			  void *work);
void cpu_winograd_backward(const conv_desc *d, const float *x, const float *w, const float *dy, float *dx,
			   float *dw, float *db, void *work);

/* cpu_direct.c: a stride-1 convolution of one sample as sums of shifted
   input rows (no im2col, no GEMM); cpu_conv.c chooses it (backend_conv).
   buf: cpu_direct_floats per thread; wt: cpu_direct_weights' [c*k*k, oc];
   add: y += the sums (no bias), else y = b + the sums (b may be NULL). */
int cpu_direct_fits(const conv_desc *d);
size_t cpu_direct_floats(const conv_desc *d);
void cpu_direct_weights(const conv_desc *d, const float *w, float *wt);
void cpu_direct_sample(const conv_desc *d, const float *x, const float *wt, const float *b, float *y, int add,
		       float *buf);
/* dw [oc, c*k*k] += the weight gradient of one sample's dy [oc, oh, ow] */
void cpu_direct_weight_grad(const conv_desc *d, const float *x, const float *dy, float *dw, float *buf);

/* cpu_conv.c: convolution: im2col + GEMM per sample, samples spread over
   threads, or the direct or Winograd's route */
size_t cpu_conv_workspace(const conv_desc *d);
void cpu_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b,
		      float *y, void *work);
void cpu_conv_backward(const conv_desc *d, const float *x, const float *w, const float *dy,
		       float *dx, float *dw, float *db, void *work);

/* cpu_linear.c: fully connected layers, GEMM per block of samples */
void cpu_linear_forward(int n, int in, int out, const float *x, const float *w,
			const float *b, float *y);
void cpu_linear_backward(int n, int in, int out, const float *x, const float *w,
			 const float *dy, float *dx, float *dw, float *db);

/* cpu_elementwise.c: activations, bias, sums and dropout */
void cpu_relu_forward(size_t n, const float *x, float *y);
void cpu_relu_backward(size_t n, const float *y, const float *dy, float *dx);
void cpu_relu_backward_inplace(size_t n, const float *y, float *dy);
void cpu_leakyrelu_forward(size_t n, float slope, const float *x, float *y);
void cpu_leakyrelu_backward(size_t n, float slope, const float *x, const float *dy, float *dx);
void cpu_bias_add(int n, int c, int hw, const float *b, float *y);
void cpu_bias_backward(int n, int c, int hw, const float *dy, float *db);
void cpu_add(size_t n, const float *a, const float *b, float *y);
void cpu_axpy(size_t n, float alpha, const float *x, float *y);
void cpu_dropout_forward(size_t n, float p, uint64_t seed, const float *x, float *y,
			 uint8_t *mask);
void cpu_dropout_backward(size_t n, float p, const uint8_t *mask, const float *dy, float *dx);

/* cpu_pool.c: max-pool, average pool and the mean of each plane */
void cpu_maxpool_forward(const pool_desc *d, const float *x, float *y, int32_t *arg);
void cpu_maxpool_backward(const pool_desc *d, const float *dy, const int32_t *arg, float *dx);
void cpu_avgpool_forward(const pool_desc *d, const float *x, float *y);
void cpu_avgpool_backward(const pool_desc *d, const float *dy, float *dx);
void cpu_plane_mean_forward(size_t planes, int hw, const float *x, float *y);
void cpu_plane_mean_backward(size_t planes, int hw, const float *dy, float *dx);

/* cpu_batchnorm.c: batch-norm */
void cpu_batchnorm_forward(int n, int c, int hw, const float *x, const float *gamma,
			   const float *beta, float *run_mean, float *run_var, float momentum,
			   float eps, int train, float *y, float *save_mean, float *save_invstd);
void cpu_batchnorm_forward_sync(int n, int c, int hw, const float *x, const float *gamma,
				const float *beta, float *run_mean, float *run_var, float momentum,
				float eps, float *y, float *save_mean, float *save_invstd,
				void (*reduce)(double *, size_t));
void cpu_batchnorm_backward(int n, int c, int hw, const float *x, const float *gamma,
			    const float *dy, const float *save_mean, const float *save_invstd,
			    float *dx, float *dgamma, float *dbeta);
void cpu_batchnorm_backward_sync(int n, int c, int hw, const float *x, const float *gamma,
				 const float *dy, const float *save_mean, const float *save_invstd,
				 float *dx, float *dgamma, float *dbeta, void (*reduce)(double *, size_t));

/* cpu_upsample.c: bilinear upsample */
void cpu_upsample_forward(int n, int c, int h, int w, int oh, int ow, const float *x, float *y);
void cpu_upsample_backward(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx);

/* cpu_concat.c: channel concatenation */
void cpu_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y);
void cpu_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db);

/* cpu_loss.c: loss: softmax cross-entropy and softmax */
void cpu_softmax_xent(int n, int k, int s, const float *logits, const int32_t *labels,
		      const float *class_w, float smooth, float *dlogits, double *stats);
void cpu_softmax(int n, int k, int s, const float *logits, float *probs);

/* cpu_optim.c: optimisers: Adam(W) and SGD steps */
void cpu_adam_step(size_t n, float *p, const float *g, float *m, float *v, float lr,
		   float beta1, float beta2, float eps, float wd, int decoupled, long t);
void cpu_sgd_step(size_t n, float *p, const float *g, float *buf, float lr, float momentum,
		  float wd, int nesterov);

#endif
