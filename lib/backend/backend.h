/* backend.h: the compute interface that layers, losses and optimisers call.
   Every pointer is in the backend's memory (host for cpu, device for cuda);
   every tensor is float32, NCHW, contiguous. Backward functions ACCUMULATE
   (+=) into dx, dw and db, so a layer whose output feeds two consumers gets
   the sum of both gradients; the trainer zeroes all gradients once per step. */
#ifndef NN_BACKEND_H
#define NN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct conv_desc {
	int n, c, h, w;      /* input */
	int oc, k, stride, pad;
	int oh, ow;          /* output */
} conv_desc;

typedef struct pool_desc {
	int n, c, h, w;
	int k, stride;
	int oh, ow;
} pool_desc;

/* Per-sample transform applied while gathering a batch: the output
   pixel (ox, oy) samples the source at x0 + (ox' + 0.5) * sw / W - 0.5 (and the
   same for y), where ox' = W-1-ox when flip is set. Identity: flip 0, x0 = y0 = 0,
   sw = W, sh = H. Photos are sampled bilinearly, label maps by nearest pixel.
   Then the photo's output pixels ex <= ox < ex + ew, ey <= oy < ey + eh are
   erased: 0 after normalisation (ew = 0: none); label maps are not. */
typedef struct sample_xform {
	int flip;
	float x0, y0, sw, sh;
	int ex, ey, ew, eh;
} sample_xform;

/* Statistics accumulated by the loss on the device and read at log points. */
enum { STAT_LOSS, STAT_WEIGHT, STAT_CORRECT, STAT_COUNT, STAT_N };

/* the id of a communicator between processes (NCCL's is 128 bytes) */
enum { BACKEND_COMM_ID_BYTES = 128 };

typedef struct backend {
	const char *name;
	int is_gpu;
	void (*set_threads)(int n);
	/* tf32 or fp32 matrix maths where the backend has the choice */
	void (*set_precision)(int tf32);

	/* memory; alloc dies with a clear message (size asked, hint) on failure;
	   free(NULL) does nothing */
	void *(*alloc)(size_t bytes, const char *what);
	void (*free)(void *p);
	void (*upload)(void *dst, const void *host_src, size_t bytes);
	void (*download)(void *host_dst, const void *src, size_t bytes);
	void (*zero)(void *p, size_t bytes);
	void (*sync)(void);

	/* Batch gathering from a dataset resident in backend memory. x is
	   [N,C,H,W] uint8 (is_u8) or float32; idx [n] (backend memory) picks the
	   samples; xf [n] (backend memory) transforms them. Pixels are scaled by
	   1/255 when uint8, then normalised per channel with mean and inv_std
	   (backend memory, [C]). Labels y are int32 [N] (seg 0) or [N,H,W]. */
	void (*gather_images)(float *out, const void *x, int is_u8, const int32_t *idx,
			      const sample_xform *xf, int n, int c, int h, int w,
			      const float *mean, const float *inv_std);
	void (*gather_labels)(int32_t *out, const int32_t *y, const int32_t *idx,
			      const sample_xform *xf, int n, int h, int w, int seg);

	/* convolution: x [n,c,h,w], w [oc,c,k,k], b [oc] or NULL, y [n,oc,oh,ow].
	   work is conv_workspace(d) bytes of scratch. In backward dx may be NULL
	   (the first layer), and dw and db may be NULL (only dx wanted; x is not
	   read then): the transposed convolution is this backward's dx. */
	size_t (*conv_workspace)(const conv_desc *d);
	void (*conv_forward)(const conv_desc *d, const float *x, const float *w, const float *b,
			     float *y, void *work);
	void (*conv_backward)(const conv_desc *d, const float *x, const float *w, const float *dy,
			      float *dx, float *dw, float *db, void *work);

	/* linear: x [n,in], w [out,in], b [out], y [n,out] */
	void (*linear_forward)(int n, int in, int out, const float *x, const float *w,
			       const float *b, float *y);
	void (*linear_backward)(int n, int in, int out, const float *x, const float *w,
				const float *dy, float *dx, float *dw, float *db);

	/* y [n,c,hw] += b[c]; db[c] += the sum of dy [n,c,hw] over n and hw */
	void (*bias_add)(int n, int c, int hw, const float *b, float *y);
	void (*bias_backward)(int n, int c, int hw, const float *dy, float *db);

	/* y = max(x, 0) (x == y allowed); dx += dy * (y > 0); in place, a relu
	   that overwrote its input: dy *= (y > 0) */
	void (*relu_forward)(size_t n, const float *x, float *y);
	void (*relu_backward)(size_t n, const float *y, const float *dy, float *dx);
	void (*relu_backward_inplace)(size_t n, const float *y, float *dy);
	/* y = x > 0 ? x : slope * x; dx += dy * (x > 0 ? 1 : slope) */
	void (*leakyrelu_forward)(size_t n, float slope, const float *x, float *y);
	void (*leakyrelu_backward)(size_t n, float slope, const float *x, const float *dy, float *dx);

	/* max-pool; arg [n,c,oh,ow] keeps the flat input index of each maximum,
	   for backward (NULL: not kept, as in inference) */
	void (*maxpool_forward)(const pool_desc *d, const float *x, float *y, int32_t *arg);
	void (*maxpool_backward)(const pool_desc *d, const float *dy, const int32_t *arg, float *dx);
	/* average pool without padding: the mean of each k x k window */
	void (*avgpool_forward)(const pool_desc *d, const float *x, float *y);
	void (*avgpool_backward)(const pool_desc *d, const float *dy, float *dx);
	/* y [planes] = the mean of each plane of x [planes, hw]; dx += dy / hw */
	void (*plane_mean_forward)(size_t planes, int hw, const float *x, float *y);
	void (*plane_mean_backward)(size_t planes, int hw, const float *dy, float *dx);

	/* batch-norm over [n,c,hw] as PyTorch's BatchNorm2d. Training normalises
	   with the biased batch variance and updates running_var with the unbiased
	   one; save_mean and save_invstd [c] are kept for backward. */
	void (*batchnorm_forward)(int n, int c, int hw, const float *x, const float *gamma,
				  const float *beta, float *run_mean, float *run_var, float momentum,
				  float eps, int train, float *y, float *save_mean, float *save_invstd);
	void (*batchnorm_backward)(int n, int c, int hw, const float *x, const float *gamma,
				   const float *dy, const float *save_mean, const float *save_invstd,
				   float *dx, float *dgamma, float *dbeta);
	/* The same in training over a batch split across processes (sync-bn):
	   reduce(sums, k) makes k per-channel sums the sums over every part,
	   so the statistics are the whole batch's; dgamma and dbeta stay this
	   part's (the gradients are summed later). NULL where the backend has
	   none. */
	void (*batchnorm_forward_sync)(int n, int c, int hw, const float *x, const float *gamma,
				       const float *beta, float *run_mean, float *run_var, float momentum,
				       float eps, float *y, float *save_mean, float *save_invstd,
				       void (*reduce)(double *sums, size_t k));
	void (*batchnorm_backward_sync)(int n, int c, int hw, const float *x, const float *gamma,
					const float *dy, const float *save_mean, const float *save_invstd,
					float *dx, float *dgamma, float *dbeta,
					void (*reduce)(double *sums, size_t k));

	/* bilinear resize [n,c,h,w] -> [n,c,oh,ow], align_corners=False */
	void (*upsample_forward)(int n, int c, int h, int w, int oh, int ow, const float *x, float *y);
	void (*upsample_backward)(int n, int c, int h, int w, int oh, int ow, const float *dy, float *dx);

	/* y [n, ca+cb, hw] = cat(a [n,ca,hw], b [n,cb,hw]) along channels; in
	   backward da or db may be NULL (the network input, which has no gradient) */
	void (*concat_forward)(int n, int ca, int cb, int hw, const float *a, const float *b, float *y);
	void (*concat_backward)(int n, int ca, int cb, int hw, const float *dy, float *da, float *db);

	/* y = a + b; y += alpha * x */
	void (*add)(size_t n, const float *a, const float *b, float *y);
	void (*axpy)(size_t n, float alpha, const float *x, float *y);

	/* inverted dropout with keep mask drawn from (seed, element index) */
	void (*dropout_forward)(size_t n, float p, uint64_t seed, const float *x, float *y, uint8_t *mask);
	void (*dropout_backward)(size_t n, float p, const uint8_t *mask, const float *dy, float *dx);

	/* Softmax cross-entropy over the class axis of logits [n,k,s] (s = H*W, 1
	   for classification), labels [n,s]. Class weights [k] or NULL and label
	   smoothing eps (0: none) as PyTorch's cross_entropy: the loss is sum(l) /
	   sum(w_y) over positions, l = (1 - eps) w_y (-log p_y) + eps / k sum_c
	   w_c (-log p_c) (elementwise.h, xent_position). dlogits (may be NULL in evaluation) gets
	   the gradient of that mean. stats [STAT_N] (double) accumulates the loss
	   sum (weighted), weight sum, correct count (argmax == label) and count. */
	void (*softmax_xent)(int n, int k, int s, const float *logits, const int32_t *labels,
			     const float *class_w, float smooth, float *dlogits, double *stats);
	/* probabilities over the class axis of [n,k,s] */
	void (*softmax)(int n, int k, int s, const float *logits, float *probs);

	/* Optimiser updates over a flat parameter array, exactly as PyTorch:
	   Adam (decoupled 0: L2 added to the gradient) and AdamW (decoupled 1);
	   t is the 1-based step. SGD with momentum buffer buf (zero at start),
	   dampening 0, optional Nesterov. */
	void (*adam_step)(size_t n, float *p, const float *g, float *m, float *v, float lr,
			  float beta1, float beta2, float eps, float wd, int decoupled, long t);
	void (*sgd_step)(size_t n, float *p, const float *g, float *buf, float lr, float momentum,
			 float wd, int nesterov);

	/* Summing across processes in device memory (NCCL), for data-parallel
	   training; NULL where the backend has none (lib/dist/dist.c then sums
	   through host memory). comm_id makes the communicator's id on one
	   process; every process opens it with comm_open; comm_sum(buf, n)
	   makes buf the sum over the processes and returns when it is there. */
	void (*comm_id)(unsigned char id[BACKEND_COMM_ID_BYTES]);
	void (*comm_open)(const unsigned char id[BACKEND_COMM_ID_BYTES], int nranks, int rank);
	void (*comm_sum)(float *buf, size_t n);
} backend;

extern const backend backend_cpu;

/* The CPU backend's convolution algorithm (--conv), "auto", "gemm",
   "direct" or "winograd": gemm sums the definition's products by im2col and
   GEMM; direct sums them from the input itself for stride-1 convolutions
   (cpu_direct.c); winograd takes stride-1 3x3 and 5x5 convolutions with 4 to
   6 times fewer multiplications and a larger rounding error
   (bench/winograd.md); auto takes Winograd where it measured faster, else
   direct where it fits, else gemm. Read when a network plans its workspace
   and at each convolution: set it before either. */
extern const char *backend_conv;

/* What a backend may lack: the slots of its table that may be NULL. */
typedef enum {
	BACKEND_SYNC_BATCHNORM,   /* batchnorm_forward_sync and batchnorm_backward_sync */
	BACKEND_DEVICE_SUM,       /* comm_id, comm_open and comm_sum */
} backend_op;

/* Whether be can do op (as ggml's supports_op): the one question a caller
   asks instead of testing slots. */
int backend_supports(const backend *be, backend_op op);
/* The op in words, for a message that refuses it: "the cpu backend has no
   synchronised batch norm". */
const char *backend_op_name(backend_op op);

/* The CUDA backend is a shared object, libnnpipe-cuda.so, opened at run time
   so that the tools neither link nor need the CUDA libraries. It exports one
   function, named BACKEND_CUDA_ENTRY, of type backend_cuda_entry: it returns
   its table and sets *devices to the number of usable devices, or to 0 (none;
   *why says why) or -1 (a device this build cannot use; *why says why). size
   is the caller's sizeof(backend): a table of another size is refused (NULL
   and *why), since it was built from other sources. */
#define BACKEND_CUDA_LIB "libnnpipe-cuda.so"
#define BACKEND_CUDA_ENTRY "nnpipe_backend_cuda"
typedef const backend *backend_cuda_entry(size_t size, int *devices, const char **why);

/* The CUDA backend when it can be had: the library found (NN_CUDA_LIB, else
   beside the program, else in ../lib/nnpipe from the program's folder) and
   opened, and a device present. Otherwise NULL, with *why saying why in one
   line (the loader's or the CUDA runtime's message). Opened once. */
const backend *backend_cuda_open(const char **why);

/* "auto" (CUDA when it can be had, else the CPU), "cpu" or "cuda".
   Dies with a clear message when the backend cannot be had. */
const backend *backend_get(const char *name);
/* The name of the GPU the CUDA backend drives (the driver's first device),
   once that backend is open; NULL otherwise. */
const char *backend_gpu_name(void);

#ifdef __cplusplus
}
#endif

#endif
