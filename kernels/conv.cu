/* conv.cu: convolution as im2col + cuBLAS GEMM over chunks of samples.
   A chunk's columns are laid out [c*k*k, nb*oh*ow] (the samples side by side)
   so that the weight gradient of the whole chunk is one GEMM with K = nb*oh*ow;
   chunks are as large as a fixed workspace budget allows. The input gradient
   is gathered back (col2im) without atomics, so results are deterministic.

   Thin convolutions (a few output channels from many, stride 1, such as a
   segmentation network's classifier at full resolution) would spend nearly
   all their time writing and reading columns c*k*k rows tall. They run
   forward as a direct kernel, and backward on the columns of dy instead
   (oc*k*k rows): dx is then the transposed convolution, one GEMM with the
   flipped weights, and dw a GEMM of x against the same columns. */
#include "cuda_common.cuh"

/* scratch for the columns of one chunk, and dy transposed to [oc, nb*ohw] */
static const size_t CONV_BUDGET_FLOATS = (size_t)64 << 20;   /* 256 MiB */

enum {
	THIN_OC = 8,           /* at most this many output channels */
	THIN_WFLOATS = 4096,   /* shared weights of the direct kernel: [channels, k, k, THIN_OC] */
	THIN_MIN_PIXELS = 4096 /* fewer output pixels than this: too little parallelism */
};

static int conv_is_thin(const conv_desc *d)
{
	return d->oc <= THIN_OC && 2 * d->oc <= d->c && d->stride == 1 && d->pad <= d->k - 1 &&
	       d->k * d->k * THIN_OC <= THIN_WFLOATS;
}

/* Per sample: columns and transposed dy; thin: the columns of dy and x transposed */
static size_t sample_floats(const conv_desc *d)
{
	size_t ckk = (size_t)d->c * d->k * d->k, ohw = (size_t)d->oh * d->ow;
	size_t f = (ckk + d->oc) * ohw;
	if (conv_is_thin(d)) {
		size_t hw = (size_t)d->h * d->w, thin = ((size_t)d->oc * d->k * d->k + d->c) * hw;
		f = thin > f ? thin : f;
	}
	return f;
}

/* thin: the flipped weights and their gradient, [c, oc*k*k] each */
static size_t thin_weight_floats(const conv_desc *d)
{
	return conv_is_thin(d) ? 2 * (size_t)d->c * d->oc * d->k * d->k : 0;
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

/* Offsets of the workspace's parts are rounded up to 256 bytes, which
   cuBLAS's fastest kernels want. */
static size_t align64(size_t floats) { return (floats + 63) / 64 * 64; }
enum { WORK_PARTS = 4 };

size_t cuda_conv_workspace(const conv_desc *d)
{
	return ((size_t)chunk_samples(d) * sample_floats(d) + thin_weight_floats(d) + 64 * WORK_PARTS) *
	       sizeof(float);
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

/* out [c, nb*p] from in [nb, c, p]: dy or x with the samples side by side */
template <typename I>
static __global__ void transpose_kernel(I total, const float *in, float *out, divider nbd, int c, divider pd)
{
	INDEX_LOOP(I, e, total) {
		I t = e;
		size_t j = divmod(t, pd), s = divmod(t, nbd), ch = t;
		out[e] = in[(s * c + ch) * pd.d + j];
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

/* y [n, oc, oh, ow] for oc <= THIN_OC: a thread per output pixel keeps the
   oc sums; the weights of a chunk of cc input channels wait in shared
   memory as [channel, ky, kx, THIN_OC] (zero past oc), two float4 reads a
   position. Every thread of a block loads weights, so the loop runs whole
   blocks and threads past the end only help. */
template <typename I>
static __global__ void thin_forward_kernel(I total, const float *x, const float *w, const float *b, float *y,
					   int c, int h, int wd, int oc, int k, int stride, int pad, divider ohd,
					   divider owd, int cc)
{
	__shared__ float4 ws[THIN_WFLOATS / 4];
	float *wsf = (float *)ws;
	int kk = k * k;
	size_t ohw = ohd.d * owd.d;
	for (I base = blockIdx.x * (I)blockDim.x; base < total; base += (I)gridDim.x * blockDim.x) {
		I t = base + threadIdx.x;
		bool live = t < total;
		if (!live)
			t = 0;
		int ox = (int)divmod(t, owd), oy = (int)divmod(t, ohd);
		size_t s = t;
		float acc[THIN_OC];
#pragma unroll
		for (int o = 0; o < THIN_OC; o++)
			acc[o] = 0;
		for (int c0 = 0; c0 < c; c0 += cc) {
			int cn = c - c0 < cc ? c - c0 : cc;
			__syncthreads();
			for (int i = threadIdx.x; i < cn * kk * THIN_OC; i += blockDim.x) {
				int o = i % THIN_OC, q = i / THIN_OC;
				wsf[i] = o < oc ? w[((size_t)o * c + c0) * kk + q] : 0.0f;
			}
			__syncthreads();
			if (!live)
				continue;
			for (int cl = 0; cl < cn; cl++) {
				const float *xp = x + (s * c + c0 + cl) * h * wd;
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * stride - pad + ky;
					if (iy < 0 || iy >= h)
						continue;
					for (int kx = 0; kx < k; kx++) {
						int ix = ox * stride - pad + kx;
						if (ix < 0 || ix >= wd)
							continue;
						float v = xp[iy * wd + ix];
						const float4 *wv = ws + ((cl * k + ky) * k + kx) * (THIN_OC / 4);
						float4 a = wv[0], z = wv[1];
						acc[0] += a.x * v;
						acc[1] += a.y * v;
						acc[2] += a.z * v;
						acc[3] += a.w * v;
						acc[4] += z.x * v;
						acc[5] += z.y * v;
						acc[6] += z.z * v;
						acc[7] += z.w * v;
					}
				}
			}
		}
		if (live) {
#pragma unroll
			for (int o = 0; o < THIN_OC; o++)
				if (o < oc)
					y[(s * oc + o) * ohw + (size_t)oy * owd.d + ox] = acc[o] + (b ? b[o] : 0.0f);
		}
	}
}

/* w2 [c, oc*k*k] = w [oc, c, k, k] with the kernel turned half round:
   w2[ch][(o, ky, kx)] = w[o][ch][k-1-ky][k-1-kx] */
static __global__ void flip_weights_kernel(size_t n, const float *w, float *w2, int c, int oc, int k)
{
	int kk = k * k, r = oc * kk;
	GRID_LOOP(e, n) {
		int ch = (int)(e / r), j = (int)(e % r);
		int o = j / kk, ky = j / k % k, kx = j % k;
		w2[e] = w[(((size_t)o * c + ch) * k + k - 1 - ky) * k + k - 1 - kx];
	}
}

/* dw [oc, c, k, k] += dw2 [c, oc*k*k], the inverse arrangement */
static __global__ void unflip_add_kernel(size_t n, const float *dw2, float *dw, int c, int oc, int k)
{
	int kk = k * k;
	GRID_LOOP(e, n) {
		int kx = (int)(e % k), ky = (int)(e / k % k), ch = (int)(e / kk % c), o = (int)(e / kk / c);
		dw[e] += dw2[(size_t)ch * oc * kk + (o * k + k - 1 - ky) * k + k - 1 - kx];
	}
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

static void thin_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y)
{
	int cc = THIN_WFLOATS / (d->k * d->k * THIN_OC);
	LAUNCH_ELEMENTS(thin_forward_kernel, (size_t)d->n * d->oh * d->ow, x, w, b, y, d->c, d->h, d->w, d->oc,
			d->k, d->stride, d->pad, divider_make(d->oh), divider_make(d->ow), cc);
}

/* backward of a thin convolution, in chunks of nb samples; see the top */
static void thin_backward(const conv_desc *d, const float *x, const float *w, const float *dy, float *dx,
			  float *dw, float *work, int nb)
{
	int kk = d->k * d->k, r = d->oc * kk, hw = d->h * d->w;
	size_t xs = (size_t)d->c * hw, ys = (size_t)d->oc * d->oh * d->ow, nw = (size_t)d->c * r;
	/* dy's columns: the convolution of dy with stride 1 and pad k-1-pad
	   over an output grid of the input's size */
	conv_desc t = {d->n, d->oc, d->oh, d->ow, d->c, d->k, 1, d->k - 1 - d->pad, d->h, d->w};
	float *w2 = work, *dw2 = w2 + align64(nw), *dcol = dw2 + align64(nw);
	float *xt = dcol + align64((size_t)nb * r * hw);
	flip_weights_kernel<<<cu_blocks(nw), CU_THREADS, 0, cu_stream()>>>(nw, w, w2, d->c, d->oc, d->k);
	LAUNCH_CHECK("flip_weights_kernel");
	for (int s0 = 0; s0 < d->n; s0 += nb) {
		int m = d->n - s0 < nb ? d->n - s0 : nb, cols = m * hw;
		im2col(&t, dy + s0 * ys, dcol, m);
		LAUNCH_ELEMENTS(transpose_kernel, (size_t)m * xs, x + s0 * xs, xt, divider_make(m), d->c,
				divider_make(hw));
		/* dw2 [c, r] (+)= xt [c, cols] dcol^T [cols, r] */
		gemm_rm(false, true, d->c, r, cols, 1.0f, xt, cols, dcol, cols, s0 ? 1.0f : 0.0f, dw2, r);
		/* dx_s [c, hw] += w2 [c, r] dcol_s [r, hw] */
		if (dx)
			gemm_rm_batched(false, false, d->c, hw, r, 1.0f, w2, r, 0, dcol, cols, hw, 1.0f, dx + s0 * xs,
					hw, (long long)xs, m);
	}
	size_t n = (size_t)d->oc * d->c * kk;
	unflip_add_kernel<<<cu_blocks(n), CU_THREADS, 0, cu_stream()>>>(n, dw2, dw, d->c, d->oc, d->k);
	LAUNCH_CHECK("unflip_add_kernel");
}

static int thin_pays(const conv_desc *d)
{
	return conv_is_thin(d) && (size_t)d->n * d->oh * d->ow >= THIN_MIN_PIXELS;
}

void cuda_conv_forward(const conv_desc *d, const float *x, const float *w, const float *b, float *y,
		       void *work)
{
	int ckk = d->c * d->k * d->k, ohw = d->oh * d->ow, nb = chunk_samples(d);
	size_t xs = (size_t)d->c * d->h * d->w, ys = (size_t)d->oc * ohw;
	float *col = (float *)work;
	if (d->n <= 0)
		return;
	if (thin_pays(d)) {
		thin_forward(d, x, w, b, y);
		return;
	}
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

void cuda_bias_backward(int n, int c, int hw, const float *dy, float *db)
{
	if (!n || !c)
		return;
	bias_grad_kernel<<<c, CU_THREADS, 0, cu_stream()>>>(dy, db, n, c, hw);
	LAUNCH_CHECK("bias_grad_kernel");
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
	if (thin_pays(d) && dw) {
		thin_backward(d, x, w, dy, dx, dw, (float *)work, nb);
		return;
	}
	float *col = (float *)work, *dyt = col + align64((size_t)nb * ckk * ohw);
	for (int s0 = 0; s0 < d->n; s0 += nb) {
		int m = d->n - s0 < nb ? d->n - s0 : nb, cols = m * ohw;
		LAUNCH_ELEMENTS(transpose_kernel, (size_t)m * ys, dy + s0 * ys, dyt, divider_make(m), d->oc,
				divider_make(ohw));
		if (dw) {
			im2col(d, x + s0 * xs, col, m);
			/* dw [oc, ckk] += dyt [oc, cols] col^T [cols, ckk] */
			gemm_rm(false, true, d->oc, ckk, cols, 1.0f, dyt, cols, col, cols, 1.0f, dw, ckk);
		}
		if (!dx)
			continue;
		/* dcol [ckk, cols] = w^T [ckk, oc] dyt [oc, cols], over the columns */
		gemm_rm(true, false, ckk, cols, d->oc, 1.0f, w, ckk, dyt, cols, 0.0f, col, cols);
		LAUNCH_ELEMENTS(col2im_add_kernel, (size_t)m * xs, col, dx + s0 * xs, m, divider_make(d->c),
				divider_make(d->h), divider_make(d->w), d->k, d->stride, d->pad, d->oh, d->ow);
	}
}
