/* conv.cu: convolution as im2col + cuBLAS GEMM over chunks of samples.
   A chunk's columns are laid out [c*k*k, nb*oh*ow] (the samples side by side)
   so that the weight gradient of the whole chunk is one GEMM with K = nb*oh*ow;
   chunks are as large as a fixed workspace budget allows. The input gradient
   is gathered back (col2im) without atomics, so results are deterministic. */
#include "cuda_common.cuh"

/* scratch for the columns of one chunk, and dy transposed to [oc, nb*ohw] */
static const size_t CONV_BUDGET_FLOATS = (size_t)64 << 20;   /* 256 MiB */

static size_t sample_floats(const conv_desc *d)
{
	size_t ckk = (size_t)d->c * d->k * d->k, ohw = (size_t)d->oh * d->ow;
	return (ckk + d->oc) * ohw;
}

/* Samples per chunk: the same for every batch size up to d->n, so a
   workspace sized for the full batch fits every smaller one. */
static int chunk_samples(const conv_desc *d)
{
	size_t nb = CONV_BUDGET_FLOATS / sample_floats(d);
	if (nb < 1)
		nb = 1;
	return nb < (size_t)d->n ? (int)nb : d->n;
}

size_t cuda_conv_workspace(const conv_desc *d)
{
	return (size_t)chunk_samples(d) * sample_floats(d) * sizeof(float);
}

/* col [rows = c*k*k, nb*ohw] from x [nb, c, h, w]; a row per blockIdx.y */
static __global__ void im2col_kernel(const float *x, float *col, int nb, int c, int h, int w, int k,
				     int stride, int pad, divider ohwd, divider owd)
{
	uint32_t cols = nb * (uint32_t)ohwd.d;
	int rows = c * k * k;
	for (int r = blockIdx.y; r < rows; r += gridDim.y) {
		int ch = r / (k * k), ky = r / k % k, kx = r % k;
		float *dst = col + (size_t)r * cols;
		for (uint32_t q = blockIdx.x * blockDim.x + threadIdx.x; q < cols; q += gridDim.x * blockDim.x) {
			uint32_t s = idiv(q, ohwd), p = q - s * (uint32_t)ohwd.d;
			uint32_t oy = idiv(p, owd), ox = p - oy * (uint32_t)owd.d;
			int iy = (int)oy * stride - pad + ky, ix = (int)ox * stride - pad + kx;
			float v = 0;
			if (iy >= 0 && iy < h && ix >= 0 && ix < w)
				v = x[(((size_t)s * c + ch) * h + iy) * w + ix];
			dst[q] = v;
		}
	}
}

/* dx [nb, c, h, w] += the column entries that read each input pixel */
template <typename I>
static __global__ void col2im_add_kernel(I total, const float *col, float *dx, int nb, divider cd, divider hd,
					 divider wd, int k, int stride, int pad, int oh, int ow)
{
	size_t cols = (size_t)nb * oh * ow;
	INDEX_LOOP(I, e, total) {
		I t = e;
		int ix = (int)divmod(t, wd), iy = (int)divmod(t, hd), ch = (int)divmod(t, cd), s = (int)t;
		const float *base = col + (size_t)s * oh * ow;
		float sum = 0;
		for (int ky = 0; ky < k; ky++) {
			int ty = iy + pad - ky;
			if (ty < 0)
				break;
			if (ty % stride)
				continue;
			int oy = ty / stride;
			if (oy >= oh)
				continue;
			for (int kx = 0; kx < k; kx++) {
				int tx = ix + pad - kx;
				if (tx < 0)
					break;
				if (tx % stride)
					continue;
				int ox = tx / stride;
				if (ox >= ow)
					continue;
				sum += base[(size_t)((ch * k + ky) * k + kx) * cols + oy * ow + ox];
			}
		}
		dx[e] += sum;
	}
}

/* dyt [oc, nb*ohw] from dy [nb, oc, ohw] */
template <typename I>
static __global__ void transpose_dy_kernel(I total, const float *dy, float *dyt, divider nbd, int oc, divider ohwd)
{
	INDEX_LOOP(I, e, total) {
		I t = e;
		size_t j = divmod(t, ohwd), s = divmod(t, nbd), o = t;
		dyt[e] = dy[(s * oc + o) * ohwd.d + j];
	}
}

/* db[o] += sum of dy [n, oc, ohw] over n and ohw; one block per o */
static __global__ void bias_grad_kernel(const float *dy, float *db, int n, int oc, int ohw)
{
	int o = blockIdx.x;
	float s = 0;
	for (int i = 0; i < n; i++) {
		const float *p = dy + ((size_t)i * oc + o) * ohw;
		for (int j = threadIdx.x; j < ohw; j += blockDim.x)
			s += p[j];
	}
	s = block_sum(s);
	if (threadIdx.x == 0)
		db[o] += s;
}

static void im2col(const conv_desc *d, const float *x, float *col, int nb)
{
	size_t cols = (size_t)nb * d->oh * d->ow;
	int rows = d->c * d->k * d->k;
	if (cols >= ((size_t)1 << 31))
		fatal("convolution: %zu output pixels in one chunk exceed the CUDA kernels' 2^31", cols);
	unsigned bx = (unsigned)((cols + CU_THREADS - 1) / CU_THREADS);
	dim3 grid(bx < 1024 ? bx : 1024, rows < 65535 ? rows : 65535);
	im2col_kernel<<<grid, CU_THREADS, 0, cu_stream()>>>(x, col, nb, d->c, d->h, d->w, d->k, d->stride, d->pad,
							     divider_make((size_t)d->oh * d->ow), divider_make(d->ow));
	LAUNCH_CHECK("im2col_kernel");
}

void cuda_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y,
		       void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, nb = chunk_samples(d);
	size_t xs = (size_t)d->c * d->h * d->w, ys = (size_t)d->oc * ohw;
	float *col = (float *)work;
	if (d->n <= 0)
		return;
	if (b)
		cu_fill_bias((size_t)d->n * ys, d->oc, ohw, b, y);
	for (int s0 = 0; s0 < d->n; s0 += nb) {
		int m = d->n - s0 < nb ? d->n - s0 : nb;
		im2col(d, x + s0 * xs, col, m);
		/* y_s [oc, ohw] = w [oc, ckk] col_s [ckk, ohw], col_s a column block of col */
		gemm_rm_batched(false, false, d->oc, ohw, ckk, 1.0f, w, ckk, 0, col, m * ohw, ohw, b ? 1.0f : 0.0f,
				y + s0 * ys, ohw, (long long)ys, m);
	}
}

void cuda_conv_backward(const conv_desc *d, const float *x, const float *w, const float *dy, float *dx,
			float *dw, float *db, void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, nb = chunk_samples(d);
	size_t xs = (size_t)d->c * d->h * d->w, ys = (size_t)d->oc * ohw;
	if (d->n <= 0)
		return;
	if (db) {
		bias_grad_kernel<<<d->oc, CU_THREADS, 0, cu_stream()>>>(dy, db, d->n, d->oc, ohw);
		LAUNCH_CHECK("bias_grad_kernel");
	}
	float *col = (float *)work, *dyt = col + (size_t)nb * ckk * ohw;
	for (int s0 = 0; s0 < d->n; s0 += nb) {
		int m = d->n - s0 < nb ? d->n - s0 : nb, cols = m * ohw;
		im2col(d, x + s0 * xs, col, m);
		LAUNCH_ELEMENTS(transpose_dy_kernel, (size_t)m * ys, dy + s0 * ys, dyt, divider_make(m), d->oc,
				divider_make(ohw));
		/* dw [oc, ckk] += dyt [oc, cols] col^T [cols, ckk] */
		gemm_rm(false, true, d->oc, ckk, cols, 1.0f, dyt, cols, col, cols, 1.0f, dw, ckk);
		if (!dx)
			continue;
		/* dcol [ckk, cols] = w^T [ckk, oc] dyt [oc, cols], over the columns */
		gemm_rm(true, false, ckk, cols, d->oc, 1.0f, w, ckk, dyt, cols, 0.0f, col, cols);
		LAUNCH_ELEMENTS(col2im_add_kernel, (size_t)m * xs, col, dx + s0 * xs, m, divider_make(d->c),
				divider_make(d->h), divider_make(d->w), d->k, d->stride, d->pad, d->oh, d->ow);
	}
}
