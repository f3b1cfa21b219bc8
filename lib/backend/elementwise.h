/* elementwise.h: per-element maths shared by the CPU backend and the CUDA
   kernels, written once as static inline functions usable from C and CUDA. */
#ifndef NN_ELEMENTWISE_H
#define NN_ELEMENTWISE_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define NN_HD __host__ __device__
#else
#define NN_HD
#endif

/* Source coordinate of output pixel o for a bilinear resize with
   align_corners=False (PyTorch's area_pixel_compute_source_index): two
   neighbours i0, i1 and the weight l1 of i1. scale = in / out. */
NN_HD static inline void bilinear_coord(int o, float scale, int in, int *i0, int *i1, float *l1)
{
	float src = ((float)o + 0.5f) * scale - 0.5f;
	if (src < 0)
		src = 0;
	int i = (int)src;
	if (i > in - 1)
		i = in - 1;
	*i0 = i;
	*i1 = i + (i < in - 1);
	*l1 = src - (float)i;
	if (*l1 < 0)
		*l1 = 0;
}

/* The bilinear sum of four neighbours: v00 top left, v01 top right, v10
   bottom left, v11 bottom right; ly and lx the weights of the bottom row and
   the right column. */
NN_HD static inline float bilinear_mix(float v00, float v01, float v10, float v11, float ly, float lx)
{
	return (1 - ly) * ((1 - lx) * v00 + lx * v01) + ly * ((1 - lx) * v10 + lx * v11);
}

/* One step of max-pool's scan of a window: v (flat input index iv) replaces
   the running maximum m (index *im) when larger, or when a NaN: a NaN wins
   and the first NaN stays, as in PyTorch; of equal values the first stays.
   The 2x2 fast path of the CPU scans in a tree, which gives the same. */
NN_HD static inline void maxpool_step(float v, int iv, float *m, int *im)
{
	float mm = *m;
	/* which element wins is data: v > m as a max and an integer select,
	   without branches; a NaN v over a number m is rare, and a branch */
	int larger = v > mm;
	*m = larger ? v : mm;
	*im += larger * (iv - *im);
	if (isnan(v) && !isnan(mm)) {
		*m = v;
		*im = iv;
	}
}

/* Batch-norm training statistics of one channel from its mean mu and the
   sum s2 of squared deviations from it over cnt values, both in double: two
   passes, since E[x^2] - mu^2 cancels when the mean is large against the
   spread. Sets the mean and inverse standard deviation that normalise (the
   biased variance) and moves the running statistics towards the mean and
   the unbiased variance, as PyTorch's BatchNorm2d. */
NN_HD static inline void batchnorm_stats(double mu, double s2, double cnt, float momentum, float eps,
					 float *mean, float *invstd, float *run_mean, float *run_var)
{
	double var = s2 / cnt;
	*mean = (float)mu;
	*invstd = (float)(1.0 / sqrt(var + eps));
	*run_mean = (1 - momentum) * *run_mean + momentum * *mean;
	double unbiased = cnt > 1 ? s2 / (cnt - 1) : var;
	*run_var = (1 - momentum) * *run_var + momentum * (float)unbiased;
}

/* Source coordinate for the augmentation transform of backend.h's
   sample_xform: offset x0, source extent sw over out output pixels. */
NN_HD static inline float xform_coord(int o, int out, int flip, float x0, float sw)
{
	if (flip)
		o = out - 1 - o;
	return x0 + ((float)o + 0.5f) * sw / (float)out - 0.5f;
}

/* Whether output pixel (ox, oy) is in the erased rectangle of backend.h's
   sample_xform: from (ex, ey), ew wide and eh high (ew = 0: none). */
NN_HD static inline int xform_erased(int ox, int oy, int ex, int ey, int ew, int eh)
{
	return ox >= ex && ox < ex + ew && oy >= ey && oy < ey + eh;
}

/* Pixel i of a plane of uint8 or float32. */
NN_HD static inline float pixel_at(const void *p, int is_u8, int i)
{
	return is_u8 ? (float)((const uint8_t *)p)[i] : ((const float *)p)[i];
}

/* Bilinear read of plane p (h x w, uint8 or float32) at (sy, sx), clamped
   to the border. */
NN_HD static inline float bilinear_read(const void *p, int is_u8, int h, int w, float sy, float sx)
{
	sy = sy < 0 ? 0 : (sy > h - 1 ? (float)(h - 1) : sy);
	sx = sx < 0 ? 0 : (sx > w - 1 ? (float)(w - 1) : sx);
	int y0 = (int)sy, x0 = (int)sx;
	int y1 = y0 + (y0 < h - 1), x1 = x0 + (x0 < w - 1);
	float ly = sy - y0, lx = sx - x0;
	return bilinear_mix(pixel_at(p, is_u8, y0 * w + x0), pixel_at(p, is_u8, y0 * w + x1),
			    pixel_at(p, is_u8, y1 * w + x0), pixel_at(p, is_u8, y1 * w + x1), ly, lx);
}

/* Nearest pixel index for a source coordinate, clamped. */
NN_HD static inline int nearest_index(float s, int n)
{
	int i = (int)floorf(s + 0.5f);
	return i < 0 ? 0 : (i > n - 1 ? n - 1 : i);
}

/* ReLU as PyTorch: -0 and NaN pass through (x < 0 is false for both); the
   gradient is dy where the output is not <= 0, so a NaN's passes too. */
NN_HD static inline float relu(float x) { return x < 0 ? 0.0f : x; }
NN_HD static inline float relu_grad(float y, float dy) { return y <= 0 ? 0.0f : dy; }

/* Leaky ReLU and its derivative, both from the input, as PyTorch. */
NN_HD static inline float leaky_relu(float x, float slope) { return x > 0 ? x : slope * x; }
NN_HD static inline float leaky_relu_grad(float x, float slope) { return x > 0 ? 1.0f : slope; }

/* Mean of the k x k window of plane p (row length w) at (y0, x0); the sum
   in float, then divided by k*k, as PyTorch's avg_pool2d. */
NN_HD static inline float window_mean(const float *p, int w, int y0, int x0, int k)
{
	float s = 0;
	for (int ky = 0; ky < k; ky++)
		for (int kx = 0; kx < k; kx++)
			s += p[(y0 + ky) * w + x0 + kx];
	return s / (float)(k * k);
}

/* Keep decision of inverted dropout for element i: a counter-based hash of
   (seed, i), so every backend and every thread draws the same mask. */
NN_HD static inline int dropout_keep(uint64_t seed, uint64_t i, float p)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	float u = (float)(z >> 40) * (1.0f / 16777216.0f);
	return u >= p;
}

/* Softmax cross-entropy at one position of the logits z (k classes, stride
   s between classes), computed in double, as torch.nn.functional.
   cross_entropy with weight w (NULL: every class 1) and label_smoothing eps:
   returns the weighted loss (1 - eps) w[y] (lse - z[y]) + eps / k sum_c w[c]
   (lse - z[c]) and sets *arg to the first largest class. With g, writes the
   gradient of that loss over wsum (the batch's sum of w[y]: the gradient of
   the weighted mean) at the same stride. */
NN_HD static inline double xent_position(const float *z, int k, long s, int y, const float *w, float eps,
					 double wsum, float *g, int *arg)
{
	float m = z[0];
	int a = 0;
	for (int c = 1; c < k; c++)
		if (z[c * s] > m) {
			m = z[c * s];
			a = c;
		}
	double se = 0;
	for (int c = 0; c < k; c++)
		se += exp((double)z[c * s] - m);
	double lse = m + log(se), wy = w ? w[y] : 1.0;
	*arg = a;
	if (eps == 0) {
		if (g) {
			float scale = (float)(wy / wsum);
			for (int c = 0; c < k; c++)
				g[c * s] = scale * ((float)exp((double)z[c * s] - lse) - (c == y));
		}
		return wy * (lse - z[y * s]);
	}
	double wall = 0, smooth = 0;
	for (int c = 0; c < k; c++) {
		double wc = w ? w[c] : 1.0;
		wall += wc;
		smooth += wc * (lse - z[c * s]);
	}
	if (g)
		for (int c = 0; c < k; c++) {
			double p = exp((double)z[c * s] - lse), wc = w ? w[c] : 1.0;
			g[c * s] = (float)(((1 - eps) * wy * (p - (c == y)) + eps / k * (p * wall - wc)) / wsum);
		}
	return (1 - eps) * wy * (lse - z[y * s]) + eps / k * smooth;
}

/* Softmax at one position: p[c*s] = softmax(z)[c]. */
NN_HD static inline void softmax_position(const float *z, int k, long s, float *p)
{
	float m = z[0];
	for (int c = 1; c < k; c++)
		m = z[c * s] > m ? z[c * s] : m;
	double se = 0;
	for (int c = 0; c < k; c++)
		se += exp((double)z[c * s] - m);
	for (int c = 0; c < k; c++)
		p[c * s] = (float)(exp((double)z[c * s] - m) / se);
}

/* Adam / AdamW update of one element as torch.optim.Adam(W) (1.13, single
   tensor): step_size = lr / (1 - b1^t), bc2_sqrt = sqrt(1 - b2^t). */
NN_HD static inline void adam_element(float *p, float g, float *m, float *v, float lr, float beta1,
				      float beta2, float eps, float wd, int decoupled, float step_size,
				      float bc2_sqrt)
{
	float w = *p;
	if (decoupled)
		w *= 1.0f - lr * wd;
	else
		g += wd * w;
	float mm = *m * beta1 + (1.0f - beta1) * g;
	float vv = *v * beta2 + (1.0f - beta2) * g * g;
	*m = mm;
	*v = vv;
	*p = w - step_size * (mm / (sqrtf(vv) / bc2_sqrt + eps));
}

/* SGD with momentum (dampening 0) as torch.optim.SGD; buf starts at zero. */
NN_HD static inline void sgd_element(float *p, float g, float *buf, float lr, float momentum, float wd,
				     int nesterov)
{
	float d = g + wd * *p;
	if (momentum != 0) {
		float b = *buf * momentum + d;
		*buf = b;
		d = nesterov ? d + momentum * b : b;
	}
	*p -= lr * d;
}

#endif
