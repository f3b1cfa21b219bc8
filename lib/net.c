/* net.c: the .net parser, shape inference, PyTorch-style initialisation and
   the forward and backward passes over a backend. */
#include "net.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_names[] = {
	[L_CONV] = "conv", [L_RELU] = "relu", [L_MAXPOOL] = "maxpool", [L_FLATTEN] = "flatten",
	[L_LINEAR] = "linear", [L_BATCHNORM] = "batchnorm", [L_UPSAMPLE] = "upsample",
	[L_DROPOUT] = "dropout", [L_CONCAT] = "concat", [L_ADD] = "add",
};

/* ---- parsing ---- */

typedef struct parser {
	const char *path;
	int line;
} parser;

static void perr(const parser *ps, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void perr(const parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fatal("%s:%d: %s", ps->path, ps->line, msg);
}

static long need_int(const parser *ps, const char *what, const char *s, long lo, long hi)
{
	long v;
	if (!parse_int(s, &v))
		perr(ps, "%s: '%s' is not an integer", what, s);
	if (v < lo || v > hi)
		perr(ps, "%s: %ld out of range %ld..%ld", what, v, lo, hi);
	return v;
}

static double need_float(const parser *ps, const char *what, const char *s, double lo, double hi)
{
	double v;
	if (!parse_float(s, &v))
		perr(ps, "%s: '%s' is not a number", what, s);
	if (v < lo || v > hi)
		perr(ps, "%s: %g out of range %g..%g", what, v, lo, hi);
	return v;
}

#define MAXTOK 16

/* Splits a line into words; strips the comment. */
static int tokenize(char *s, char **tok)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = 0;
	int n = 0;
	for (char *p = strtok(s, " \t\r"); p; p = strtok(NULL, " \t\r")) {
		if (n == MAXTOK)
			return -1;
		tok[n++] = p;
	}
	return n;
}

/* The labels seen so far while parsing, to layer indices (-1: the network
   input): open addressing on a hash of the name, so that a description with
   many labelled layers parses in linear time. A slot holds index + 2, 0 when
   empty; the names stay in the layers (which move as n->l grows). */
#define LABEL_NONE (-2)
typedef struct labels {
	int *slot;
	size_t cap, n;
} labels;

static const char *label_of(const net *n, int i)
{
	return i >= 0 ? n->l[i].label : n->input_label;
}

static size_t label_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The layer labelled name (all labels seen so far come before the layer
   being parsed), or LABEL_NONE. */
static int find_label(const net *n, const labels *t, const char *name)
{
	if (!t->cap)
		return LABEL_NONE;
	for (size_t i = label_hash(name) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i])
			return LABEL_NONE;
		if (!strcmp(label_of(n, t->slot[i] - 2), name))
			return t->slot[i] - 2;
	}
}

static void add_label(const net *n, labels *t, int layer)
{
	if (2 * (t->n + 1) > t->cap) {
		labels bigger = {xcalloc(t->cap ? 2 * t->cap : 64, sizeof *t->slot), t->cap ? 2 * t->cap : 64, 0};
		for (size_t i = 0; i < t->cap; i++)
			if (t->slot[i])
				add_label(n, &bigger, t->slot[i] - 2);
		free(t->slot);
		*t = bigger;
	}
	size_t i = label_hash(label_of(n, layer)) & (t->cap - 1);
	while (t->slot[i])
		i = (i + 1) & (t->cap - 1);
	t->slot[i] = layer + 2;
	t->n++;
}

/* Reads key=value options after the positional words of a layer. */
static void parse_options(const parser *ps, layer *L, char **tok, int ntok, int npos)
{
	for (int i = npos; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		if (!eq)
			perr(ps, "%s: unexpected word '%s'", kind_names[L->kind], tok[i]);
		*eq = 0;
		const char *k = tok[i], *v = eq + 1;
		if (!strcmp(k, "label")) {
			if (!*v || strlen(v) >= sizeof L->label)
				perr(ps, "label: bad name '%s'", v);
			for (const char *c = v; *c; c++)
				if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
					perr(ps, "label: bad name '%s' (letters, digits, _ and -)", v);
			strcpy(L->label, v);
		} else if (!strcmp(k, "stride") && (L->kind == L_CONV || L->kind == L_MAXPOOL)) {
			L->stride = need_int(ps, "stride", v, 1, 64);
		} else if (!strcmp(k, "pad") && L->kind == L_CONV) {
			L->pad = need_int(ps, "pad", v, 0, 64);
		} else if (!strcmp(k, "bias") && (L->kind == L_CONV || L->kind == L_LINEAR)) {
			L->has_bias = need_int(ps, "bias", v, 0, 1);
		} else if (!strcmp(k, "eps") && L->kind == L_BATCHNORM) {
			L->eps = need_float(ps, "eps", v, 0, 1);
		} else if (!strcmp(k, "momentum") && L->kind == L_BATCHNORM) {
			L->momentum = need_float(ps, "momentum", v, 0, 1);
		} else {
			perr(ps, "%s: unknown option '%s'", kind_names[L->kind], k);
		}
	}
}

static void need_args(const parser *ps, const char *word, int ntok, int lo, int hi)
{
	if (ntok - 1 < lo)
		perr(ps, "%s: missing argument", word);
	(void)hi;
}

net *net_parse(const char *text, const char *path)
{
	net *n = xcalloc(1, sizeof *n);
	n->text = xstrdup(text);
	parser ps = {path ? path_name(path) : "<net>", 0};
	char *copy = xstrdup(text), *save = NULL;
	int have_input = 0, cap = 0;
	int c = 0, h = 0, w = 0, prev = -1, flat = 0;
	labels lt = {0};
	/* strtok_r over lines, keeping line numbers for blank lines too */
	char *p = copy;
	while (p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		ps.line++;
		char *tok[MAXTOK];
		int ntok = tokenize(p, tok);
		p = nl ? nl + 1 : NULL;
		if (ntok < 0)
			perr(&ps, "too many words");
		if (ntok == 0)
			continue;
		const char *word = tok[0];
		if (!strcmp(word, "input")) {
			if (have_input)
				perr(&ps, "input given twice");
			if (ntok == 5 && !strncmp(tok[4], "label=", 6)) {
				const char *v = tok[4] + 6;
				if (!*v || strlen(v) >= sizeof n->input_label)
					perr(&ps, "label: bad name '%s'", v);
				for (const char *q = v; *q; q++)
					if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-')
						perr(&ps, "label: bad name '%s' (letters, digits, _ and -)", v);
				strcpy(n->input_label, v);
				add_label(n, &lt, -1);
				ntok = 4;
			}
			if (ntok != 4)
				perr(&ps, "input: expected 'input C H W [label=NAME]'");
			n->in_c = c = need_int(&ps, "input channels", tok[1], 1, 4096);
			n->in_h = h = need_int(&ps, "input height", tok[2], 1, 65536);
			n->in_w = w = need_int(&ps, "input width", tok[3], 1, 65536);
			/* every shape below has at most INT_MAX elements, so that
			   flatten's C*H*W fits in an int */
			if ((long)c * h * w > INT_MAX)
				perr(&ps, "input too large");
			have_input = 1;
			continue;
		}
		if (!have_input)
			perr(&ps, "the first layer line must be 'input C H W'");
		int kind = -1;
		for (int k = 0; k < (int)(sizeof kind_names / sizeof *kind_names); k++)
			if (!strcmp(word, kind_names[k]))
				kind = k;
		if (kind < 0)
			perr(&ps, "unknown word '%s'", word);
		if (n->nl == cap)
			n->l = xrealloc(n->l, (cap = cap ? 2 * cap : 16) * sizeof *n->l);
		layer *L = &n->l[n->nl];
		memset(L, 0, sizeof *L);
		L->kind = kind;
		L->line = ps.line;
		L->src = prev;
		L->other = -1;
		L->c = c, L->h = h, L->w = w;
		L->oc = c, L->oh = h, L->ow = w;
		L->stride = 1;
		L->has_bias = 1;
		L->eps = 1e-5f;
		L->momentum = 0.1f;
		int npos = 1;
		switch (kind) {
		case L_CONV:
			need_args(&ps, word, ntok, 2, 2);
			L->oc = need_int(&ps, "conv filters", tok[1], 1, 65536);
			L->k = need_int(&ps, "conv kernel size", tok[2], 1, 64);
			npos = 3;
			break;
		case L_MAXPOOL:
			need_args(&ps, word, ntok, 1, 1);
			L->k = need_int(&ps, "maxpool size", tok[1], 1, 64);
			L->stride = L->k;
			npos = 2;
			break;
		case L_LINEAR:
			need_args(&ps, word, ntok, 1, 1);
			L->oc = need_int(&ps, "linear outputs", tok[1], 1, 1 << 24);
			npos = 2;
			break;
		case L_UPSAMPLE:
			need_args(&ps, word, ntok, 1, 1);
			L->scale = need_int(&ps, "upsample scale", tok[1], 1, 64);
			npos = 2;
			break;
		case L_DROPOUT:
			need_args(&ps, word, ntok, 1, 1);
			L->p = need_float(&ps, "dropout probability", tok[1], 0, 0.999);
			npos = 2;
			break;
		case L_CONCAT:
		case L_ADD:
			need_args(&ps, word, ntok, 1, 1);
			L->other = find_label(n, &lt, tok[1]);
			if (L->other == LABEL_NONE)
				perr(&ps, "%s: no earlier layer has label=%s", word, tok[1]);
			npos = 2;
			break;
		}
		parse_options(&ps, L, tok, ntok, npos);
		if (L->label[0] && find_label(n, &lt, L->label) != LABEL_NONE)
			perr(&ps, "label=%s used twice", L->label);
		if (L->label[0])
			add_label(n, &lt, n->nl);
		/* shape inference; flat: the input is a vector (after flatten or linear) */
		switch (kind) {
		case L_CONV:
			if (flat)
				perr(&ps, "conv after flatten");
			L->oh = (h + 2 * L->pad - L->k) / L->stride + 1;
			L->ow = (w + 2 * L->pad - L->k) / L->stride + 1;
			if (h + 2 * L->pad < L->k || w + 2 * L->pad < L->k)
				perr(&ps, "conv kernel %d does not fit input %dx%d (pad %d)", L->k, h, w, L->pad);
			break;
		case L_MAXPOOL:
			if (flat)
				perr(&ps, "maxpool after flatten");
			if (h < L->k || w < L->k)
				perr(&ps, "maxpool %d does not fit input %dx%d", L->k, h, w);
			L->oh = (h - L->k) / L->stride + 1;
			L->ow = (w - L->k) / L->stride + 1;
			break;
		case L_FLATTEN:
			L->oc = c * h * w;
			L->oh = L->ow = 1;
			break;
		case L_LINEAR:
			if (!flat)
				perr(&ps, "linear needs a flat input: put 'flatten' before it (input is %dx%dx%d)", c, h, w);
			L->oh = L->ow = 1;
			break;
		case L_BATCHNORM:
			if (flat)
				perr(&ps, "batchnorm (2-d) after flatten");
			break;
		case L_UPSAMPLE:
			if (flat)
				perr(&ps, "upsample after flatten");
			L->oh = h * L->scale;
			L->ow = w * L->scale;
			break;
		case L_CONCAT:
		case L_ADD: {
			int oc = L->other >= 0 ? n->l[L->other].oc : n->in_c;
			int oh = L->other >= 0 ? n->l[L->other].oh : n->in_h;
			int ow = L->other >= 0 ? n->l[L->other].ow : n->in_w;
			if (oh != h || ow != w)
				perr(&ps, "%s: %s is %dx%d but the input here is %dx%d", word, tok[1], oh, ow, h, w);
			if (kind == L_CONCAT && (long)c + oc > INT_MAX)
				perr(&ps, "layer output too large");
			if (kind == L_CONCAT)
				L->oc = c + oc;
			else if (oc != c)
				perr(&ps, "add: %s has %d channels but the input here has %d", tok[1], oc, c);
			break;
		}
		default:
			break;
		}
		if ((long)L->oc * L->oh * L->ow > INT_MAX)
			perr(&ps, "layer output too large");
		if (kind == L_FLATTEN || kind == L_LINEAR)
			flat = 1;
		else if (kind != L_RELU && kind != L_DROPOUT && kind != L_CONCAT && kind != L_ADD)
			flat = 0;
		c = L->oc, h = L->oh, w = L->ow;
		prev = n->nl++;
	}
	free(copy);
	free(lt.slot);
	(void)save;
	if (!have_input)
		fatal("%s: no 'input C H W' line", ps.path);
	if (n->nl == 0)
		fatal("%s: no layers", ps.path);
	layer *last = &n->l[n->nl - 1];
	n->nclass = last->oc;
	n->out_h = last->oh;
	n->out_w = last->ow;
	n->dense = !flat;
	if (n->nclass < 2)
		fatal("%s: the last layer has %d output channel; a classifier needs at least 2", ps.path, n->nclass);

	/* state table: parameters then buffers, named as PyTorch's state_dict */
	n->state = xcalloc(4 * n->nl + 1, sizeof *n->state);
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		state_entry *e;
#define ENTRY(suffix, nd, s0, s1, s2, s3, tr)                                             \
	e = &n->state[n->nstate++];                                                       \
	snprintf(e->name, sizeof e->name, "%d.%s", i, suffix);                            \
	e->ndim = nd;                                                                     \
	e->shape[0] = s0, e->shape[1] = s1, e->shape[2] = s2, e->shape[3] = s3;           \
	e->count = (size_t)(s0) * ((nd) > 1 ? (s1) : 1) * ((nd) > 2 ? (s2) : 1) * ((nd) > 3 ? (s3) : 1); \
	e->trainable = tr;                                                                \
	e->layer = i;                                                                     \
	if (tr) {                                                                         \
		e->offset = n->nparams;                                                   \
		n->nparams += e->count;                                                   \
	} else {                                                                          \
		e->offset = n->nbuffers;                                                  \
		n->nbuffers += e->count;                                                  \
	}
		if (L->kind == L_CONV) {
			ENTRY("weight", 4, L->oc, L->c, L->k, L->k, 1);
			if (L->has_bias) {
				ENTRY("bias", 1, L->oc, 0, 0, 0, 1);
			}
		} else if (L->kind == L_LINEAR) {
			ENTRY("weight", 2, L->oc, L->c, 0, 0, 1);
			if (L->has_bias) {
				ENTRY("bias", 1, L->oc, 0, 0, 0, 1);
			}
		} else if (L->kind == L_BATCHNORM) {
			ENTRY("weight", 1, L->c, 0, 0, 0, 1);
			ENTRY("bias", 1, L->c, 0, 0, 0, 1);
			ENTRY("running_mean", 1, L->c, 0, 0, 0, 0);
			ENTRY("running_var", 1, L->c, 0, 0, 0, 0);
		}
#undef ENTRY
	}
	return n;
}

static const char *other_label(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].label : n->input_label;
}

void net_print(const net *n, FILE *f)
{
	fprintf(f, "  #  layer       output         params  line\n");
	fprintf(f, "     input       %4dx%4dx%-4d\n", n->in_c, n->in_h, n->in_w);
	size_t total = 0;
	for (int i = 0; i < n->nl; i++) {
		const layer *L = &n->l[i];
		size_t np = 0;
		for (int s = 0; s < n->nstate; s++)
			if (n->state[s].layer == i && n->state[s].trainable)
				np += n->state[s].count;
		total += np;
		char desc[48];
		switch (L->kind) {
		case L_CONV: snprintf(desc, sizeof desc, "conv %dx%d/%d", L->k, L->k, L->stride); break;
		case L_MAXPOOL: snprintf(desc, sizeof desc, "maxpool %d/%d", L->k, L->stride); break;
		case L_UPSAMPLE: snprintf(desc, sizeof desc, "upsample x%d", L->scale); break;
		case L_CONCAT: snprintf(desc, sizeof desc, "concat %s", other_label(n, L)); break;
		case L_ADD: snprintf(desc, sizeof desc, "add %s", other_label(n, L)); break;
		case L_DROPOUT: snprintf(desc, sizeof desc, "dropout %g", L->p); break;
		default: snprintf(desc, sizeof desc, "%s", kind_names[L->kind]);
		}
		fprintf(f, "%3d  %-11s %4dx%4dx%-4d %9zu  %d%s%s\n", i, desc, L->oc, L->oh, L->ow, np, L->line,
			L->label[0] ? "  label=" : "", L->label);
	}
	fprintf(f, "     %zu parameters; output %s [%d classes]\n", total,
		n->dense ? "per pixel" : "per image", n->nclass);
}

/* ---- allocation and initialisation ---- */

void net_init(net *n, const backend *be, uint64_t seed)
{
	n->be = be;
	n->params = be->alloc((n->nparams ? n->nparams : 1) * sizeof(float), "parameters");
	n->grads = be->alloc((n->nparams ? n->nparams : 1) * sizeof(float), "gradients");
	n->buffers = be->alloc((n->nbuffers ? n->nbuffers : 1) * sizeof(float), "batch-norm statistics");
	be->zero(n->grads, (n->nparams ? n->nparams : 1) * sizeof(float));
	float *hp = xcalloc(n->nparams + 1, sizeof(float));
	float *hb = xcalloc(n->nbuffers + 1, sizeof(float));
	rng r;
	rng_seed(&r, seed, 0x1417);
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		const layer *L = &n->l[e->layer];
		float *dst = e->trainable ? hp + e->offset : hb + e->offset;
		const char *suffix = strchr(e->name, '.') + 1;
		if (L->kind == L_BATCHNORM) {
			float v = (!strcmp(suffix, "weight") || !strcmp(suffix, "running_var")) ? 1.0f : 0.0f;
			for (size_t j = 0; j < e->count; j++)
				dst[j] = v;
			continue;
		}
		/* kaiming_uniform(a=sqrt(5)) for weights and U(+-1/sqrt(fan_in)) for
		   biases: both come to a bound of 1/sqrt(fan_in) */
		double fan_in = L->kind == L_CONV ? (double)L->c * L->k * L->k : (double)L->c;
		float bound = (float)(1.0 / sqrt(fan_in));
		for (size_t j = 0; j < e->count; j++)
			dst[j] = rng_uniform_range(&r, -bound, bound);
	}
	be->upload(n->params, hp, n->nparams * sizeof(float));
	be->upload(n->buffers, hb, n->nbuffers * sizeof(float));
	free(hp);
	free(hb);
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		L->weight = L->bias = L->dweight = L->dbias = L->run_mean = L->run_var = NULL;
	}
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		layer *L = &n->l[e->layer];
		const char *suffix = strchr(e->name, '.') + 1;
		if (!strcmp(suffix, "weight")) {
			L->weight = n->params + e->offset;
			L->dweight = n->grads + e->offset;
		} else if (!strcmp(suffix, "bias")) {
			L->bias = n->params + e->offset;
			L->dbias = n->grads + e->offset;
		} else if (!strcmp(suffix, "running_mean")) {
			L->run_mean = n->buffers + e->offset;
		} else if (!strcmp(suffix, "running_var")) {
			L->run_var = n->buffers + e->offset;
		}
	}
}

static size_t layer_out_size(const layer *L) { return (size_t)L->oc * L->oh * L->ow; }

static conv_desc conv_of(const layer *L, int count)
{
	conv_desc d = {count, L->c, L->h, L->w, L->oc, L->k, L->stride, L->pad, L->oh, L->ow};
	return d;
}

static pool_desc pool_of(const layer *L, int count)
{
	pool_desc d = {count, L->c, L->h, L->w, L->k, L->stride, L->oh, L->ow};
	return d;
}

void net_set_batch(net *n, int batch)
{
	const backend *be = n->be;
	if (n->batch >= batch)
		return;
	if (n->batch) {
		be->free(n->acts);
		be->free(n->dacts);
		be->free(n->work);
		for (int i = 0; i < n->nl; i++)
			if (n->l[i].aux)
				be->free(n->l[i].aux);
	}
	n->batch = batch;
	/* one arena for every layer's output, one for their gradients; flatten is a view */
	size_t total = 0, work = 0;
	for (int i = 0; i < n->nl; i++)
		if (n->l[i].kind != L_FLATTEN)
			total += layer_out_size(&n->l[i]) * batch;
	n->nacts = total;
	n->acts = be->alloc(total * sizeof(float), "activations");
	n->dacts = be->alloc(total * sizeof(float), "activation gradients");
	size_t off = 0;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		L->aux = NULL;
		if (L->kind == L_FLATTEN) {
			L->y = L->src >= 0 ? n->l[L->src].y : NULL;
			L->dy = L->src >= 0 ? n->l[L->src].dy : NULL;
			continue;
		}
		L->y = n->acts + off;
		L->dy = n->dacts + off;
		off += layer_out_size(L) * batch;
		if (L->kind == L_CONV) {
			conv_desc d = conv_of(L, batch);
			size_t ws = be->conv_workspace(&d);
			work = ws > work ? ws : work;
		} else if (L->kind == L_MAXPOOL) {
			L->aux = be->alloc(layer_out_size(L) * batch * sizeof(int32_t), "max-pool indices");
		} else if (L->kind == L_BATCHNORM) {
			L->aux = be->alloc(2 * L->c * sizeof(float), "batch-norm statistics");
		} else if (L->kind == L_DROPOUT) {
			L->aux = be->alloc(layer_out_size(L) * batch, "dropout mask");
		}
	}
	n->work = be->alloc(work ? work : 64, "convolution workspace");
}

/* ---- forward and backward ---- */

static const float *layer_input(const net *n, const layer *L)
{
	return L->src >= 0 ? n->l[L->src].y : n->x;
}

/* The output of a concat's or add's labelled layer: -1 is the network input. */
static const float *other_output(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].y : n->x;
}

static float *layer_dinput(const net *n, const layer *L)
{
	return L->src >= 0 ? n->l[L->src].dy : NULL;
}

void net_forward(net *n, const float *x, int count, int train, uint64_t seed)
{
	const backend *be = n->be;
	if (count > n->batch)
		fatal("internal: batch of %d exceeds allocated %d", count, n->batch);
	n->x = x;
	n->n = count;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		const float *in = layer_input(n, L);
		size_t insz = (size_t)count * L->c * L->h * L->w;
		switch (L->kind) {
		case L_CONV: {
			conv_desc d = conv_of(L, count);
			be->conv_forward(&d, in, L->weight, L->bias, L->y, n->work);
			break;
		}
		case L_RELU:
			be->relu_forward(insz, in, L->y);
			break;
		case L_MAXPOOL: {
			pool_desc d = pool_of(L, count);
			be->maxpool_forward(&d, in, L->y, L->aux);
			break;
		}
		case L_FLATTEN:
			L->y = (float *)in;   /* a view of its input */
			break;
		case L_LINEAR:
			be->linear_forward(count, L->c, L->oc, in, L->weight, L->bias, L->y);
			break;
		case L_BATCHNORM: {
			float *save = L->aux;
			be->batchnorm_forward(count, L->c, L->h * L->w, in, L->weight, L->bias, L->run_mean, L->run_var,
					      L->momentum, L->eps, train, L->y, save, save + L->c);
			if (train)
				L->batches_tracked++;
			break;
		}
		case L_UPSAMPLE:
			be->upsample_forward(count, L->c, L->h, L->w, L->oh, L->ow, in, L->y);
			break;
		case L_DROPOUT:
			be->dropout_forward(insz, train ? L->p : 0.0f, seed ^ (0x9e37ULL * (i + 1)), in, L->y, L->aux);
			break;
		case L_CONCAT:
			be->concat_forward(count, L->c, L->oc - L->c, L->h * L->w, in, other_output(n, L), L->y);
			break;
		case L_ADD:
			be->add(insz, in, other_output(n, L), L->y);
			break;
		}
	}
}

void net_zero_grad(net *n)
{
	n->be->zero(n->grads, n->nparams * sizeof(float));
}

void net_backward(net *n, const float *dlogits)
{
	const backend *be = n->be;
	int count = n->n;
	be->zero(n->dacts, n->nacts * sizeof(float));
	layer *last = &n->l[n->nl - 1];
	be->axpy((size_t)count * layer_out_size(last), 1.0f, dlogits, last->dy);
	for (int i = n->nl - 1; i >= 0; i--) {
		layer *L = &n->l[i];
		const float *in = layer_input(n, L);
		float *din = layer_dinput(n, L);
		size_t insz = (size_t)count * L->c * L->h * L->w;
		switch (L->kind) {
		case L_CONV: {
			conv_desc d = conv_of(L, count);
			be->conv_backward(&d, in, L->weight, L->dy, din, L->dweight, L->dbias, n->work);
			break;
		}
		case L_RELU:
			if (din)
				be->relu_backward(insz, L->y, L->dy, din);
			break;
		case L_MAXPOOL:
			if (din) {
				pool_desc d = pool_of(L, count);
				be->maxpool_backward(&d, L->dy, L->aux, din);
			}
			break;
		case L_FLATTEN:
			break;   /* a view: its gradient is its input's */
		case L_LINEAR:
			be->linear_backward(count, L->c, L->oc, in, L->weight, L->dy, din, L->dweight, L->dbias);
			break;
		case L_BATCHNORM: {
			const float *save = L->aux;
			be->batchnorm_backward(count, L->c, L->h * L->w, in, L->weight, L->dy, save, save + L->c, din,
					       L->dweight, L->dbias);
			break;
		}
		case L_UPSAMPLE:
			if (din)
				be->upsample_backward(count, L->c, L->h, L->w, L->oh, L->ow, L->dy, din);
			break;
		case L_DROPOUT:
			if (din)
				be->dropout_backward(insz, L->p, L->aux, L->dy, din);
			break;
		case L_CONCAT: {
			float *dother = L->other >= 0 ? n->l[L->other].dy : NULL;
			if (din || dother)
				be->concat_backward(count, L->c, L->oc - L->c, L->h * L->w, L->dy, din, dother);
			break;
		}
		case L_ADD: {
			/* a flatten of the network input has no gradient (dy NULL) */
			float *dother = L->other >= 0 ? n->l[L->other].dy : NULL;
			if (din)
				be->axpy(insz, 1.0f, L->dy, din);
			if (dother)
				be->axpy(insz, 1.0f, L->dy, dother);
			break;
		}
		}
	}
}

float *net_output(const net *n) { return n->l[n->nl - 1].y; }

size_t net_output_size(const net *n) { return layer_out_size(&n->l[n->nl - 1]); }

const state_entry *net_find_state(const net *n, const char *name)
{
	for (int s = 0; s < n->nstate; s++)
		if (!strcmp(n->state[s].name, name))
			return &n->state[s];
	return NULL;
}

void net_state_get(const net *n, const state_entry *e, float *dst)
{
	n->be->download(dst, (e->trainable ? n->params : n->buffers) + e->offset, e->count * sizeof(float));
}

void net_state_set(net *n, const state_entry *e, const float *src)
{
	n->be->upload((e->trainable ? n->params : n->buffers) + e->offset, src, e->count * sizeof(float));
}

void net_free(net *n)
{
	if (!n)
		return;
	const backend *be = n->be;
	if (be) {
		be->free(n->params);
		be->free(n->grads);
		be->free(n->buffers);
		if (n->batch) {
			be->free(n->acts);
			be->free(n->dacts);
			be->free(n->work);
			for (int i = 0; i < n->nl; i++)
				if (n->l[i].aux)
					be->free(n->l[i].aux);
		}
	}
	free(n->l);
	free(n->state);
	free(n->text);
	free(n);
}
