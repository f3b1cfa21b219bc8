/* export.c: networks as ONNX graphs (see export.h). Each layer kind of
   lib/nn/layers.c has its ONNX form in the table below, found by its word;
   a kind missing from it makes a model that cannot be exported, said so
   by name. Values are named "3.conv" for the output of layer 3 and
   initializers as the model's tensors ("3.weight"); the graph's input is
   "x" and its output "p" (probabilities) or "logits". */
#include "nn/export.h"
#include "nn/layers.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 64

/* The layer's state entry "i.suffix" as an initializer of the same name
   (written to name); NULL when the layer has none (a bias left out). */
static const char *param(onnx_model *m, const net *n, int i, const char *suffix, char name[NAME_MAX_LEN])
{
	snprintf(name, NAME_MAX_LEN, "%d.%s", i, suffix);
	const state_entry *e = net_find_state(n, name);
	if (!e)
		return NULL;
	float *v = xmalloc(e->count * sizeof(float));
	net_state_get(n, e, v);
	onnx_initializer(m, name, e->ndim, e->shape, v);
	free(v);
	return name;
}

/* kernel_shape, strides and pads of a square window */
static void window_attrs(onnx_model *m, int k, int stride, int pad)
{
	int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad};
	onnx_attr_ints(m, "kernel_shape", 2, ks);
	onnx_attr_ints(m, "strides", 2, st);
	if (pad)
		onnx_attr_ints(m, "pads", 4, pads);
}

/* A node of op with one input and no attributes */
static void unary(onnx_model *m, const char *op, const char *in, const char *out)
{
	onnx_node(m, op, out, 1, &in);
	onnx_node_end(m);
}

/* Conv, ConvTranspose and Gemm: input, weight and bias when there is one */
static void weighted(onnx_model *m, const net *n, int i, const char *op, const char *in, const char *out)
{
	char w[NAME_MAX_LEN], b[NAME_MAX_LEN];
	const char *ins[3] = {in, param(m, n, i, "weight", w), param(m, n, i, "bias", b)};
	onnx_node(m, op, out, ins[2] ? 3 : 2, ins);
}

static void conv_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	const layer *L = &n->l[i];
	weighted(m, n, i, "Conv", in, out);
	window_attrs(m, L->k, L->stride, L->pad);
	onnx_node_end(m);
}

/* The weight is [in, out, k, k] in both PyTorch and ONNX */
static void convt_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	const layer *L = &n->l[i];
	weighted(m, n, i, "ConvTranspose", in, out);
	window_attrs(m, L->k, L->stride, L->pad);
	int64_t op[2] = {L->outpad, L->outpad};
	if (L->outpad)
		onnx_attr_ints(m, "output_padding", 2, op);
	onnx_node_end(m);
}

/* y = x W^T + b, W [out, in] as nn.Linear's */
static void linear_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	weighted(m, n, i, "Gemm", in, out);
	onnx_attr_int(m, "transB", 1);
	onnx_node_end(m);
}

static void relu_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	unary(m, "Relu", in, out);
}

static void leakyrelu_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other,
			   const char *out)
{
	onnx_node(m, "LeakyRelu", out, 1, &in);
	onnx_attr_float(m, "alpha", n->l[i].slope);
	onnx_node_end(m);
}

static void maxpool_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	onnx_node(m, "MaxPool", out, 1, &in);
	window_attrs(m, n->l[i].k, n->l[i].stride, 0);
	onnx_node_end(m);
}

static void avgpool_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	const layer *L = &n->l[i];
	if (L->global) {
		unary(m, "GlobalAveragePool", in, out);
		return;
	}
	onnx_node(m, "AveragePool", out, 1, &in);
	window_attrs(m, L->k, L->stride, 0);
	onnx_node_end(m);
}

/* Inference form: the running statistics */
static void batchnorm_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other,
			   const char *out)
{
	char w[NAME_MAX_LEN], b[NAME_MAX_LEN], mean[NAME_MAX_LEN], var[NAME_MAX_LEN];
	const char *ins[5] = {in, param(m, n, i, "weight", w), param(m, n, i, "bias", b),
			      param(m, n, i, "running_mean", mean), param(m, n, i, "running_var", var)};
	onnx_node(m, "BatchNormalization", out, 5, ins);
	onnx_attr_float(m, "epsilon", n->l[i].eps);
	onnx_node_end(m);
}

/* PyTorch's bilinear rule with align_corners=False: the source of output
   pixel o is (o + 0.5) / scale - 0.5, taken as 0 below 0, which is ONNX's
   pytorch_half_pixel with the clamping of linear Resize */
static void upsample_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other,
			  const char *out)
{
	char scales[NAME_MAX_LEN];
	snprintf(scales, sizeof scales, "%d.scales", i);
	float s = (float)n->l[i].scale, v[4] = {1, 1, s, s};
	int64_t four = 4;
	onnx_initializer(m, scales, 1, &four, v);
	const char *ins[3] = {in, "", scales};
	onnx_node(m, "Resize", out, 3, ins);
	onnx_attr_string(m, "mode", "linear");
	onnx_attr_string(m, "coordinate_transformation_mode", "pytorch_half_pixel");
	onnx_node_end(m);
}

/* Evaluation mode: nothing to drop */
static void dropout_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	unary(m, "Identity", in, out);
}

static void flatten_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	unary(m, "Flatten", in, out);
}

/* The input first, then the labelled layer's output, along channels */
static void concat_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	const char *ins[2] = {in, other};
	onnx_node(m, "Concat", out, 2, ins);
	onnx_attr_int(m, "axis", 1);
	onnx_node_end(m);
}

static void add_onnx(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out)
{
	const char *ins[2] = {in, other};
	onnx_node(m, "Add", out, 2, ins);
	onnx_node_end(m);
}

/* The ONNX form of each layer kind: from the value in (and other, the
   labelled layer's output, for a join) to the value out */
typedef struct onnx_kind {
	const char *word;
	int join;   /* reads a labelled layer's output too */
	void (*emit)(onnx_model *m, const net *n, int i, const char *in, const char *other, const char *out);
} onnx_kind;

static const onnx_kind onnx_kinds[] = {
	{"conv", 0, conv_onnx}, {"convt", 0, convt_onnx}, {"linear", 0, linear_onnx}, {"relu", 0, relu_onnx},
	{"leakyrelu", 0, leakyrelu_onnx}, {"maxpool", 0, maxpool_onnx}, {"avgpool", 0, avgpool_onnx},
	{"batchnorm", 0, batchnorm_onnx}, {"upsample", 0, upsample_onnx}, {"dropout", 0, dropout_onnx},
	{"flatten", 0, flatten_onnx}, {"concat", 1, concat_onnx}, {"add", 1, add_onnx},
};

static const onnx_kind *onnx_kind_find(const char *word)
{
	for (size_t k = 0; k < sizeof onnx_kinds / sizeof *onnx_kinds; k++)
		if (!strcmp(onnx_kinds[k].word, word))
			return &onnx_kinds[k];
	return NULL;
}

/* x -> x * scale - shift per channel, as nn-predict prepares its input:
   scale = 1/std (over 255 for uint8 pixels) and shift = mean/std, each
   rounded to float as there, so that the normalised input is the same to
   the bit. Returns the normalised value's name. */
static const char *normalise(onnx_model *m, const net *n, const model_info *mi, int uint8)
{
	int c = n->in_c;
	float scale[MODEL_MAXCHAN], shift[MODEL_MAXCHAN];
	for (int k = 0; k < c; k++) {
		float inv = 1.0f / mi->std[k];
		scale[k] = (uint8 ? 1.0f / 255.0f : 1.0f) * inv;
		shift[k] = mi->mean[k] * inv;
	}
	int64_t dims[4] = {1, c, 1, 1};
	onnx_initializer(m, "input_scale", 4, dims, scale);
	onnx_initializer(m, "input_shift", 4, dims, shift);
	const char *x = "x";
	if (uint8) {
		onnx_node(m, "Cast", "x.float", 1, &x);
		onnx_attr_int(m, "to", ONNX_FLOAT);
		onnx_node_end(m);
		x = "x.float";
	}
	const char *mul[2] = {x, "input_scale"}, *sub[2] = {"x.scaled", "input_shift"};
	onnx_node(m, "Mul", "x.scaled", 2, mul);
	onnx_node_end(m);
	onnx_node(m, "Sub", "x.normalised", 2, sub);
	onnx_node_end(m);
	return "x.normalised";
}

/* The labelled layer's output for join layer i, as a vector where the input
   here is one: a layer after flatten may join a [C,1,1] image made before
   it (never the other way round: nothing after flatten is an image) */
static const char *join_other(onnx_model *m, int i, const char *other, int other_flat, int in_flat,
			      char name[NAME_MAX_LEN])
{
	if (other_flat == in_flat)
		return other;
	snprintf(name, NAME_MAX_LEN, "%d.other", i);
	unary(m, "Flatten", other, name);
	return name;
}

/* Every layer from the normalised input x to the value last. The names of
   the layers' outputs are kept in names, whether each is a vector in flat. */
static void layers_onnx(onnx_model *m, const net *n, const char *x, const char *last, const char *path)
{
	char (*names)[NAME_MAX_LEN] = xcalloc(n->nl, sizeof *names);
	int *flat = xcalloc(n->nl, sizeof *flat);
	for (int i = 0; i < n->nl; i++) {
		const layer *L = &n->l[i];
		const onnx_kind *k = onnx_kind_find(L->def->word);
		if (!k)
			fatal("%s: layer %d (%s, line %d of the description) has no ONNX form in nn-export", path, i,
			      L->def->word, L->line);
		const char *in = L->src < 0 ? x : names[L->src], *other = NULL;
		int in_flat = L->src < 0 ? 0 : flat[L->src];
		char conv[NAME_MAX_LEN];
		if (k->join)
			other = join_other(m, i, L->other < 0 ? x : names[L->other], L->other < 0 ? 0 : flat[L->other],
					   in_flat, conv);
		if (i == n->nl - 1)
			snprintf(names[i], NAME_MAX_LEN, "%s", last);
		else
			snprintf(names[i], NAME_MAX_LEN, "%d.%s", i, L->def->word);
		k->emit(m, n, i, in, other, names[i]);
		flat[i] = L->def->out == OUT_FLAT ? 1 : L->def->out == OUT_IMAGE ? 0 : in_flat;
	}
	free(names);
	free(flat);
}

static void put_onnx_meta(void *m, const char *key, const char *value) { onnx_meta(m, key, value); }

/* The model's metadata, under the keys of its safetensors file. ONNX's
   strings must be UTF-8, as these are: the safetensors reader has checked
   its JSON header to be. */
static void metadata_onnx(onnx_model *m, const net *n, const model_info *mi)
{
	model_meta_strings(n, mi, put_onnx_meta, m);
}

onnx_model *net_to_onnx(const net *n, const model_info *mi, const export_opts *o, const char *path)
{
	if (mi->nchan != n->in_c || n->in_c > MODEL_MAXCHAN)
		fatal("%s: input_mean/input_std have %d values for %d input channels", path, mi->nchan, n->in_c);
	onnx_model *m = onnx_new("nnpipe");
	int64_t in[4] = {-1, n->in_c, n->in_h, n->in_w};
	int64_t out[4] = {-1, n->nclass, n->out_h, n->out_w};
	const char *result = o->logits ? "logits" : "p";
	onnx_input(m, "x", o->uint8 ? ONNX_UINT8 : ONNX_FLOAT, 4, in);
	onnx_output(m, result, ONNX_FLOAT, n->dense ? 4 : 2, out);
	const char *x = normalise(m, n, mi, o->uint8);
	layers_onnx(m, n, x, o->logits ? result : "logits", path);
	if (!o->logits) {
		const char *z = "logits";
		onnx_node(m, "Softmax", result, 1, &z);
		onnx_attr_int(m, "axis", 1);
		onnx_node_end(m);
	}
	metadata_onnx(m, n, mi);
	char shape[64] = "";
	if (n->dense)
		snprintf(shape, sizeof shape, ",%d,%d", n->out_h, n->out_w);
	char doc[512];
	snprintf(doc, sizeof doc,
		 "An nnpipe model. Input x: %s [N,%d,%d,%d], %s, normalised inside with the model's input_mean "
		 "and input_std. Output %s: float32 [N,%d%s], %s over the classes of dimension 1 (named in "
		 "the metadata's classes when the model has them), as nn-predict%s writes them.",
		 o->uint8 ? "uint8" : "float32", n->in_c, n->in_h, n->in_w,
		 o->uint8 ? "pixels 0 to 255" : "pixels scaled to [0,1] (uint8 values over 255)", result,
		 n->nclass, shape, o->logits ? "raw scores" : "softmax probabilities", o->logits ? " --logits" : "");
	onnx_doc(m, doc);
	return m;
}
