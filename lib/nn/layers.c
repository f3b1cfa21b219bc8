/* layers.c: one entry per layer kind (see layers.h), in the order the
   manual lists them. Each entry's functions read only their own fields of
   struct layer; the shared machinery (parsing lines, labels, arenas, the
   walk forward and back) is lib/nn/net_parse.c's, net_state.c's, net_plan.c's
   and net.c's, which call these entries; the entries call only parser.h's
   helpers, net_add_state and net.h's inline ones. */
#include "nn/layers.h"
#include "base/util.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define LAYER_INT(key, field, lo, hi) {key, 'i', offsetof(layer, field), lo, hi}
#define LAYER_FLOAT(key, field, lo, hi) {key, 'f', offsetof(layer, field), lo, hi}

static size_t in_size(const layer *L, int count) { return (size_t)count * L->c * L->h * L->w; }
static size_t out_size(const layer *L, int count) { return (size_t)count * L->oc * L->oh * L->ow; }

static void need_image(const parser *ps, const layer *L, int k, const char *what)
{
	if (L->h < k || L->w < k)
		perr(ps, "%s %d does not fit input %dx%d", what, k, L->h, L->w);
}

static void weight_and_bias(net *n, int i, int ndim, const int64_t *wshape, double fan_in)
{
	const layer *L = &n->l[i];
	int64_t b = L->oc;
	net_add_state(n, i, "weight", ndim, wshape, 1, INIT_FAN_IN, fan_in);
	if (L->has_bias)
		net_add_state(n, i, "bias", 1, &b, 1, INIT_FAN_IN, fan_in);
}

/* ---- conv ---- */

static const layer_option conv_options[] = {
	LAYER_INT("stride", stride, 1, 64), LAYER_INT("pad", pad, 0, 64), LAYER_INT("bias", has_bias, 0, 1), {0},
};

static void conv_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->oc = need_int(ps, "conv filters", a[0], 1, 65536);
	L->k = need_int(ps, "conv kernel size", a[1], 1, 64);
}

static void conv_shape(const parser *ps, const net *n, layer *L)
{
	if (L->h + 2 * L->pad < L->k || L->w + 2 * L->pad < L->k)
		perr(ps, "conv kernel %d does not fit input %dx%d (pad %d)", L->k, L->h, L->w, L->pad);
	L->oh = (L->h + 2 * L->pad - L->k) / L->stride + 1;
	L->ow = (L->w + 2 * L->pad - L->k) / L->stride + 1;
}

static void conv_state(net *n, int i)
{
	const layer *L = &n->l[i];
	int64_t w[4] = {L->oc, L->c, L->k, L->k};
	weight_and_bias(n, i, 4, w, (double)L->c * L->k * L->k);
}

static conv_desc conv_of(const layer *L, int count)
{
	conv_desc d = {count, L->c, L->h, L->w, L->oc, L->k, L->stride, L->pad, L->oh, L->ow};
	return d;
}

static size_t conv_work(const backend *be, const layer *L, int batch)
{
	conv_desc d = conv_of(L, batch);
	return be->conv_workspace(&d);
}

static void conv_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	conv_desc d = conv_of(L, count);
	n->be->conv_forward(&d, in, L->weight, L->bias, L->y, n->work);
}

static void conv_backward(net *n, layer *L, const float *in, float *din, int count)
{
	conv_desc d = conv_of(L, count);
	n->be->conv_backward(&d, in, L->weight, L->dy, din, L->dweight, L->dbias, n->work);
}

static void conv_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "conv %dx%d/%d", L->k, L->k, L->stride);
}

static const layer_def conv_def = {
	"conv", "conv OUT K [stride=S] [pad=P] [bias=0]",
	"2-d convolution of K x K kernels (nn.Conv2d)", 2, 2, conv_options, IN_IMAGE, OUT_IMAGE,
	.filters = 1, .parse = conv_parse, .shape = conv_shape, .state = conv_state,
	.work_bytes = conv_work, .forward = conv_forward, .backward = conv_backward,
	.describe = conv_describe,
};

/* ---- convt: the transposed convolution, as the backward pass of the
   convolution that maps its output shape back to its input shape ---- */

static const layer_option convt_options[] = {
	LAYER_INT("stride", stride, 1, 64), LAYER_INT("pad", pad, 0, 64), LAYER_INT("outpad", outpad, 0, 63),
	LAYER_INT("bias", has_bias, 0, 1), {0},
};

static void convt_shape(const parser *ps, const net *n, layer *L)
{
	if (L->outpad >= L->stride)
		perr(ps, "convt: outpad=%d must be smaller than stride=%d", L->outpad, L->stride);
	long oh = (long)(L->h - 1) * L->stride - 2L * L->pad + L->k + L->outpad;
	long ow = (long)(L->w - 1) * L->stride - 2L * L->pad + L->k + L->outpad;
	if (oh < 1 || ow < 1)
		perr(ps, "convt: pad %d leaves no output from input %dx%d", L->pad, L->h, L->w);
	if (oh > 65536 || ow > 65536)
		perr(ps, "convt: output %ldx%ld too large", oh, ow);
	L->oh = (int)oh, L->ow = (int)ow;
}

/* PyTorch's weight is [in, out, k, k] and its fan-in is computed from
   dimension 1: out * k * k */
static void convt_state(net *n, int i)
{
	const layer *L = &n->l[i];
	int64_t w[4] = {L->c, L->oc, L->k, L->k};
	weight_and_bias(n, i, 4, w, (double)L->oc * L->k * L->k);
}

/* The convolution from convt's output [oc, oh, ow] to its input [c, h, w]
   with the same weight [c, oc, k, k]: convt's forward is its input
   gradient, convt's input gradient its forward. */
static conv_desc convt_conv(const layer *L, int count)
{
	conv_desc d = {count, L->oc, L->oh, L->ow, L->c, L->k, L->stride, L->pad, L->h, L->w};
	return d;
}

static size_t convt_work(const backend *be, const layer *L, int batch)
{
	conv_desc d = convt_conv(L, batch);
	return be->conv_workspace(&d);
}

/* room for the input gradient before it is added to the input's */
static size_t convt_aux(const layer *L, int batch) { return in_size(L, batch) * sizeof(float); }

static void convt_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	const backend *be = n->be;
	conv_desc d = convt_conv(L, count);
	be->zero(L->y, out_size(L, count) * sizeof(float));
	if (L->bias)
		be->bias_add(count, L->oc, L->oh * L->ow, L->bias, L->y);
	be->conv_backward(&d, NULL, L->weight, in, L->y, NULL, NULL, n->work);
}

static void convt_backward(net *n, layer *L, const float *in, float *din, int count)
{
	const backend *be = n->be;
	conv_desc d = convt_conv(L, count);
	if (L->dbias)
		be->bias_backward(count, L->oc, L->oh * L->ow, L->dy, L->dbias);
	be->conv_backward(&d, L->dy, L->weight, in, NULL, L->dweight, NULL, n->work);
	if (din) {
		be->conv_forward(&d, L->dy, L->weight, NULL, L->aux, n->work);
		be->axpy(in_size(L, count), 1.0f, L->aux, din);
	}
}

static void convt_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "convt %dx%d/%d", L->k, L->k, L->stride);
}

static const layer_def convt_def = {
	"convt", "convt OUT K [stride=S] [pad=P] [outpad=Q] [bias=0]",
	"transposed convolution, the learned upsampling of decoders (nn.ConvTranspose2d)", 2, 2,
	convt_options, IN_IMAGE, OUT_IMAGE,
	.parse = conv_parse, .shape = convt_shape, .state = convt_state, .aux_bytes = convt_aux,
	.work_bytes = convt_work, .forward = convt_forward, .backward = convt_backward,
	.describe = convt_describe,
};

/* ---- linear ---- */

static const layer_option linear_options[] = {LAYER_INT("bias", has_bias, 0, 1), {0}};

static void linear_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->oc = need_int(ps, "linear outputs", a[0], 1, 1 << 24);
}

static void linear_shape(const parser *ps, const net *n, layer *L) { L->oh = L->ow = 1; }

static void linear_state(net *n, int i)
{
	const layer *L = &n->l[i];
	int64_t w[2] = {L->oc, L->c};
	weight_and_bias(n, i, 2, w, L->c);
}

static void linear_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->linear_forward(count, L->c, L->oc, in, L->weight, L->bias, L->y);
}

static void linear_backward(net *n, layer *L, const float *in, float *din, int count)
{
	n->be->linear_backward(count, L->c, L->oc, in, L->weight, L->dy, din, L->dweight, L->dbias);
}

static const layer_def linear_def = {
	"linear", "linear OUT [bias=0]", "fully connected layer (nn.Linear)", 1, 1, linear_options,
	IN_FLAT, OUT_FLAT,
	.parse = linear_parse, .shape = linear_shape, .state = linear_state,
	.forward = linear_forward, .backward = linear_backward,
};

/* ---- relu and leakyrelu ---- */

static void relu_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->relu_forward(in_size(L, count), in, L->y);
}

/* In place (net.c's choice: din is then L->dy), the gradient is masked
   where it stands. */
static void relu_backward(net *n, layer *L, const float *in, float *din, int count)
{
	if (din == L->dy)
		n->be->relu_backward_inplace(in_size(L, count), L->y, L->dy);
	else if (din)
		n->be->relu_backward(in_size(L, count), L->y, L->dy, din);
}

static const layer_def relu_def = {
	"relu", "relu", "max(x, 0) (nn.ReLU)", 0, 0, NULL, IN_ANY, OUT_AS_INPUT, .in_place = 1,
	.forward = relu_forward, .backward = relu_backward,
};

static void leakyrelu_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->slope = na ? (float)need_float(ps, "leakyrelu slope", a[0], 0, 1) : 0.01f;
}

static void leakyrelu_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->leakyrelu_forward(in_size(L, count), L->slope, in, L->y);
}

static void leakyrelu_backward(net *n, layer *L, const float *in, float *din, int count)
{
	if (din)
		n->be->leakyrelu_backward(in_size(L, count), L->slope, in, L->dy, din);
}

static void leakyrelu_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "leakyrelu %g", L->slope);
}

static const layer_def leakyrelu_def = {
	"leakyrelu", "leakyrelu [SLOPE]", "x for x > 0, else SLOPE * x; SLOPE 0.01 by default (nn.LeakyReLU)",
	0, 1, NULL, IN_ANY, OUT_AS_INPUT,
	.parse = leakyrelu_parse, .forward = leakyrelu_forward, .backward = leakyrelu_backward,
	.describe = leakyrelu_describe,
};

/* ---- pooling ---- */

static const layer_option pool_options[] = {LAYER_INT("stride", stride, 1, 64), {0}};

static void pool_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->k = need_int(ps, "pool size", a[0], 1, 64);
	L->stride = -1;   /* the pool size, unless stride= is given */
}

static void pool_shape(const parser *ps, const net *n, layer *L)
{
	if (L->stride < 0)
		L->stride = L->k;
	need_image(ps, L, L->k, L->def->word);
	L->oh = (L->h - L->k) / L->stride + 1;
	L->ow = (L->w - L->k) / L->stride + 1;
}

static pool_desc pool_of(const layer *L, int count)
{
	pool_desc d = {count, L->c, L->h, L->w, L->k, L->stride, L->oh, L->ow};
	return d;
}

static size_t maxpool_aux(const layer *L, int batch) { return out_size(L, batch) * sizeof(int32_t); }

static void maxpool_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	pool_desc d = pool_of(L, count);
	/* the indices are for backward: none at inference */
	n->be->maxpool_forward(&d, in, L->y, train ? L->aux : NULL);
}

static void maxpool_backward(net *n, layer *L, const float *in, float *din, int count)
{
	pool_desc d = pool_of(L, count);
	if (din)
		n->be->maxpool_backward(&d, L->dy, L->aux, din);
}

static void pool_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	if (L->global)
		snprintf(buf, cap, "%s global", L->def->word);
	else
		snprintf(buf, cap, "%s %d/%d", L->def->word, L->k, L->stride);
}

static const layer_def maxpool_def = {
	"maxpool", "maxpool K [stride=S]", "maximum over K x K windows, stride K by default (nn.MaxPool2d)",
	1, 1, pool_options, IN_IMAGE, OUT_IMAGE,
	.parse = pool_parse, .shape = pool_shape, .aux_bytes = maxpool_aux,
	.forward = maxpool_forward, .backward = maxpool_backward, .describe = pool_describe,
};

static void avgpool_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	if (!strcmp(a[0], "global")) {
		L->global = 1;
		L->stride = 0;   /* stays 0 unless stride= is given, which global refuses */
	} else {
		pool_parse(ps, n, L, a, na);
	}
}

static void avgpool_shape(const parser *ps, const net *n, layer *L)
{
	if (!L->global) {
		pool_shape(ps, n, L);
		return;
	}
	if (L->stride)
		perr(ps, "avgpool global: no stride (it pools each whole channel)");
	L->stride = 1;
	L->oh = L->ow = 1;
}

static void avgpool_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	if (L->global) {
		n->be->plane_mean_forward((size_t)count * L->c, L->h * L->w, in, L->y);
	} else {
		pool_desc d = pool_of(L, count);
		n->be->avgpool_forward(&d, in, L->y);
	}
}

static void avgpool_backward(net *n, layer *L, const float *in, float *din, int count)
{
	if (!din)
		return;
	if (L->global) {
		n->be->plane_mean_backward((size_t)count * L->c, L->h * L->w, L->dy, din);
	} else {
		pool_desc d = pool_of(L, count);
		n->be->avgpool_backward(&d, L->dy, din);
	}
}

static const layer_def avgpool_def = {
	"avgpool", "avgpool K [stride=S] | avgpool global",
	"mean over K x K windows (nn.AvgPool2d), or over each whole channel (nn.AdaptiveAvgPool2d(1))",
	1, 1, pool_options, IN_IMAGE, OUT_IMAGE,
	.parse = avgpool_parse, .shape = avgpool_shape, .forward = avgpool_forward,
	.backward = avgpool_backward, .describe = pool_describe,
};

/* ---- batchnorm ---- */

static const layer_option batchnorm_options[] = {
	LAYER_FLOAT("eps", eps, 0, 1), LAYER_FLOAT("momentum", momentum, 0, 1), {0},
};

static void batchnorm_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->eps = 1e-5f;
	L->momentum = 0.1f;
}

static void batchnorm_state(net *n, int i)
{
	int64_t c = n->l[i].c;
	net_add_state(n, i, "weight", 1, &c, 1, INIT_ONE, 0);
	net_add_state(n, i, "bias", 1, &c, 1, INIT_ZERO, 0);
	net_add_state(n, i, "running_mean", 1, &c, 0, INIT_ZERO, 0);
	net_add_state(n, i, "running_var", 1, &c, 0, INIT_ONE, 0);
}

/* the batch's mean and inverse standard deviation, for backward */
static size_t batchnorm_aux(const layer *L, int batch) { return 2 * (size_t)L->c * sizeof(float); }

static void batchnorm_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	float *save = L->aux;
	if (train && n->bn_reduce)
		n->be->batchnorm_forward_sync(count, L->c, L->h * L->w, in, L->weight, L->bias, L->run_mean,
					      L->run_var, L->momentum, L->eps, L->y, save, save + L->c, n->bn_reduce);
	else
		n->be->batchnorm_forward(count, L->c, L->h * L->w, in, L->weight, L->bias, L->run_mean, L->run_var,
					 L->momentum, L->eps, train, L->y, save, save + L->c);
	if (train)
		L->batches_tracked++;
}

static void batchnorm_backward(net *n, layer *L, const float *in, float *din, int count)
{
	const float *save = L->aux;
	if (n->bn_reduce)
		n->be->batchnorm_backward_sync(count, L->c, L->h * L->w, in, L->weight, L->dy, save, save + L->c,
					       din, L->dweight, L->dbias, n->bn_reduce);
	else
		n->be->batchnorm_backward(count, L->c, L->h * L->w, in, L->weight, L->dy, save, save + L->c, din,
					  L->dweight, L->dbias);
}

static const layer_def batchnorm_def = {
	"batchnorm", "batchnorm [eps=E] [momentum=M]",
	"normalises each channel by the batch's statistics, keeps running ones (nn.BatchNorm2d)", 0, 0,
	batchnorm_options, IN_IMAGE, OUT_IMAGE,
	.tracks_batches = 1, .parse = batchnorm_parse, .state = batchnorm_state,
	.aux_bytes = batchnorm_aux, .forward = batchnorm_forward, .backward = batchnorm_backward,
};

/* ---- upsample ---- */

static void upsample_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->scale = need_int(ps, "upsample scale", a[0], 1, 64);
}

static void upsample_shape(const parser *ps, const net *n, layer *L)
{
	L->oh = L->h * L->scale;
	L->ow = L->w * L->scale;
}

static void upsample_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->upsample_forward(count, L->c, L->h, L->w, L->oh, L->ow, in, L->y);
}

static void upsample_backward(net *n, layer *L, const float *in, float *din, int count)
{
	if (din)
		n->be->upsample_backward(count, L->c, L->h, L->w, L->oh, L->ow, L->dy, din);
}

static void upsample_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "upsample x%d", L->scale);
}

static const layer_def upsample_def = {
	"upsample", "upsample SCALE",
	"bilinear resize by an integer factor (nn.Upsample, align_corners=False)", 1, 1, NULL,
	IN_IMAGE, OUT_IMAGE,
	.parse = upsample_parse, .shape = upsample_shape, .forward = upsample_forward,
	.backward = upsample_backward, .describe = upsample_describe,
};

/* ---- dropout ---- */

static void dropout_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->p = (float)need_float(ps, "dropout probability", a[0], 0, 0.999);
}

static size_t dropout_aux(const layer *L, int batch) { return out_size(L, batch); }

static void dropout_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	int i = (int)(L - n->l);
	n->be->dropout_forward(in_size(L, count), train ? L->p : 0.0f, seed ^ (0x9e37ULL * (i + 1)), in, L->y,
			       L->aux);
}

static void dropout_backward(net *n, layer *L, const float *in, float *din, int count)
{
	if (din)
		n->be->dropout_backward(in_size(L, count), L->p, L->aux, L->dy, din);
}

static void dropout_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "dropout %g", L->p);
}

static const layer_def dropout_def = {
	"dropout", "dropout P", "zeroes each value with probability P in training, scales the rest (nn.Dropout)",
	1, 1, NULL, IN_ANY, OUT_AS_INPUT,
	.parse = dropout_parse, .aux_bytes = dropout_aux, .forward = dropout_forward,
	.backward = dropout_backward, .describe = dropout_describe,
};

/* ---- flatten: a view of its input ---- */

static void flatten_shape(const parser *ps, const net *n, layer *L)
{
	L->oc = L->c * L->h * L->w;
	L->oh = L->ow = 1;
}

/* A view of a layer's output is set once, when the arenas are made; a view
   of the network input follows the input of each forward. */
static void flatten_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	if (L->src < 0)
		L->y = (float *)in;
}

static void flatten_backward(net *n, layer *L, const float *in, float *din, int count) {}

static const layer_def flatten_def = {
	"flatten", "flatten", "[C,H,W] to a vector of C*H*W, for linear (nn.Flatten)", 0, 0, NULL,
	IN_ANY, OUT_FLAT,
	.view = 1, .shape = flatten_shape, .forward = flatten_forward, .backward = flatten_backward,
};

/* ---- concat and add: this layer's input with a labelled layer's output ---- */

static void join_parse(const parser *ps, net *n, layer *L, char **a, int na)
{
	L->other = parser_find_label(ps, n, a[0]);
	if (L->other == LABEL_NONE)
		perr(ps, "%s: no earlier layer has label=%s", L->def->word, a[0]);
}

static void other_shape(const net *n, const layer *L, int *c, int *h, int *w)
{
	const layer *O = L->other >= 0 ? &n->l[L->other] : NULL;
	*c = O ? O->oc : n->in_c;
	*h = O ? O->oh : n->in_h;
	*w = O ? O->ow : n->in_w;
}

static void join_check(const parser *ps, const net *n, const layer *L, int oh, int ow)
{
	if (oh != L->h || ow != L->w)
		perr(ps, "%s: %s is %dx%d but the input here is %dx%d", L->def->word, net_other_label(n, L), oh,
		     ow, L->h, L->w);
}

static void concat_shape(const parser *ps, const net *n, layer *L)
{
	int oc, oh, ow;
	other_shape(n, L, &oc, &oh, &ow);
	join_check(ps, n, L, oh, ow);
	if ((long)L->c + oc > INT_MAX)
		perr(ps, "layer output too large");
	L->oc = L->c + oc;
}

static void concat_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->concat_forward(count, L->c, L->oc - L->c, L->h * L->w, in, net_other_y(n, L), L->y);
}

static void concat_backward(net *n, layer *L, const float *in, float *din, int count)
{
	float *dother = net_other_dy(n, L);
	if (din || dother)
		n->be->concat_backward(count, L->c, L->oc - L->c, L->h * L->w, L->dy, din, dother);
}

static void join_describe(const net *n, const layer *L, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %s", L->def->word, net_other_label(n, L));
}

static const layer_def concat_def = {
	"concat", "concat LABEL", "the input and LABEL's output stacked along channels (torch.cat)", 1, 1,
	NULL, IN_ANY, OUT_AS_INPUT,
	.parse = join_parse, .shape = concat_shape, .forward = concat_forward,
	.backward = concat_backward, .describe = join_describe,
};

static void add_shape(const parser *ps, const net *n, layer *L)
{
	int oc, oh, ow;
	other_shape(n, L, &oc, &oh, &ow);
	join_check(ps, n, L, oh, ow);
	if (oc != L->c)
		perr(ps, "add: %s has %d channels but the input here has %d", net_other_label(n, L), oc, L->c);
}

static void add_forward(net *n, layer *L, const float *in, int count, int train, uint64_t seed)
{
	n->be->add(in_size(L, count), in, net_other_y(n, L), L->y);
}

static void add_backward(net *n, layer *L, const float *in, float *din, int count)
{
	float *dother = net_other_dy(n, L);
	if (din)
		n->be->axpy(in_size(L, count), 1.0f, L->dy, din);
	if (dother)
		n->be->axpy(in_size(L, count), 1.0f, L->dy, dother);
}

static const layer_def add_def = {
	"add", "add LABEL", "the input plus LABEL's output, a residual connection", 1, 1, NULL,
	IN_ANY, OUT_AS_INPUT,
	.parse = join_parse, .shape = add_shape, .forward = add_forward, .backward = add_backward,
	.describe = join_describe,
};

const layer_def *const layer_defs[] = {
	&conv_def, &convt_def, &linear_def, &relu_def, &leakyrelu_def, &maxpool_def, &avgpool_def,
	&batchnorm_def, &upsample_def, &dropout_def, &flatten_def, &concat_def, &add_def, NULL,
};

const layer_def *layer_def_find(const char *word)
{
	for (int i = 0; layer_defs[i]; i++)
		if (!strcmp(layer_defs[i]->word, word))
			return layer_defs[i];
	return NULL;
}
