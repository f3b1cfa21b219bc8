/* net.c: the .net parser, shape inference, PyTorch-style initialisation and
   the forward and backward passes over a backend. */
#include "net.h"
#include "layers.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

void perr(const parser *ps, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fatal("%s:%d: %s", ps->path, ps->line, msg);
}

long need_int(const parser *ps, const char *what, const char *s, long lo, long hi)
{
	long v;
	if (!parse_int(s, &v))
		perr(ps, "%s: '%s' is not an integer", what, s);
	if (v < lo || v > hi)
		perr(ps, "%s: %ld out of range %ld..%ld", what, v, lo, hi);
	return v;
}

double need_float(const parser *ps, const char *what, const char *s, double lo, double hi)
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
	char *save = NULL;
	for (char *p = strtok_r(s, " \t\r", &save); p; p = strtok_r(NULL, " \t\r", &save)) {
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

int parser_find_label(const parser *ps, const net *n, const char *name)
{
	const labels *t = ps->labels;
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

/* label=NAME of a layer or of the input, into dst (32 bytes), checked and
   entered in the table. */
static void set_label(const parser *ps, net *n, char *dst, const char *v, int layer)
{
	if (!*v || strlen(v) >= sizeof n->input_label)
		perr(ps, "label: bad name '%s'", v);
	for (const char *c = v; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			perr(ps, "label: bad name '%s' (letters, digits, _ and -)", v);
	if (parser_find_label(ps, n, v) != LABEL_NONE)
		perr(ps, "label=%s used twice", v);
	strcpy(dst, v);
	add_label(n, ps->labels, layer);
}

/* The key=value words after a layer's arguments, through its option table;
   label= is every layer's (entered in the table after the layer is read,
   so that add and concat cannot name their own layer). */
static const char *parse_options(const parser *ps, layer *L, char **tok, int ntok)
{
	const char *label = NULL;
	for (int i = 0; i < ntok; i++) {
		char *eq = strchr(tok[i], '=');
		if (!eq)
			perr(ps, "%s: unexpected word '%s'", L->def->word, tok[i]);
		*eq = 0;
		const char *k = tok[i], *v = eq + 1;
		/* pad=1 pad=2: neither can be the one meant */
		for (int j = 0; j < i; j++)
			if (!strcmp(tok[j], k))
				perr(ps, "%s: option %s given twice (%s=%s and %s=%s)", L->def->word, k, k,
				     tok[j] + strlen(k) + 1, k, v);
		if (!strcmp(k, "label")) {
			label = v;
			continue;
		}
		const layer_option *o = L->def->options;
		while (o && o->key && strcmp(o->key, k))
			o++;
		if (!o || !o->key)
			perr(ps, "%s: unknown option '%s'", L->def->word, k);
		if (o->type == 'i')
			*(int *)((char *)L + o->offset) = (int)need_int(ps, k, v, (long)o->lo, (long)o->hi);
		else
			*(float *)((char *)L + o->offset) = (float)need_float(ps, k, v, o->lo, o->hi);
	}
	return label;
}

static void parse_input(const parser *ps, net *n, char **tok, int ntok)
{
	if (ntok == 5 && !strncmp(tok[4], "label=", 6)) {
		set_label(ps, n, n->input_label, tok[4] + 6, -1);
		ntok = 4;
	}
	if (ntok != 4)
		perr(ps, "input: expected 'input C H W [label=NAME]'");
	n->in_c = need_int(ps, "input channels", tok[1], 1, 4096);
	n->in_h = need_int(ps, "input height", tok[2], 1, 65536);
	n->in_w = need_int(ps, "input width", tok[3], 1, 65536);
	/* every shape below has at most INT_MAX elements, so that flatten's
	   C*H*W fits in an int */
	if ((long)n->in_c * n->in_h * n->in_w > INT_MAX)
		perr(ps, "input too large");
}

static void list_words(char *buf, size_t cap)
{
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; layer_defs[i] && at < cap; i++)
		at += snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", layer_defs[i]->word);
}

/* One layer line after the input's: its kind's arguments, options, shape. *flat
   tells whether the input here is a vector (after flatten or linear). */
static void parse_layer(const parser *ps, net *n, char **tok, int ntok, int *flat)
{
	const layer_def *def = layer_def_find(tok[0]);
	if (!def) {
		char words[256];
		list_words(words, sizeof words);
		perr(ps, "unknown word '%s' (layers: %s)", tok[0], words);
	}
	int nargs = 0;
	while (1 + nargs < ntok && !strchr(tok[1 + nargs], '='))
		nargs++;
	if (nargs < def->min_args)
		perr(ps, "%s: missing argument (%s)", def->word, def->syntax);
	if (nargs > def->max_args)
		perr(ps, "%s: unexpected word '%s' (%s)", def->word, tok[1 + def->max_args], def->syntax);
	int i = n->nl;
	layer *prev = i ? &n->l[i - 1] : NULL;
	layer *L = &n->l[i];
	memset(L, 0, sizeof *L);
	L->def = def;
	L->line = ps->line;
	L->src = i - 1;
	L->other = -1;
	L->c = prev ? prev->oc : n->in_c;
	L->h = prev ? prev->oh : n->in_h;
	L->w = prev ? prev->ow : n->in_w;
	L->oc = L->c, L->oh = L->h, L->ow = L->w;
	L->stride = 1;
	L->has_bias = 1;
	if (def->parse)
		def->parse(ps, n, L, tok + 1, nargs);
	const char *label = parse_options(ps, L, tok + 1 + nargs, ntok - 1 - nargs);
	if (def->in == IN_IMAGE && *flat)
		perr(ps, "%s after flatten: it needs an input of [C,H,W]", def->word);
	if (def->in == IN_FLAT && !*flat)
		perr(ps, "%s needs a flat input: put 'flatten' before it (input is %dx%dx%d)", def->word, L->c,
		     L->h, L->w);
	if (def->shape)
		def->shape(ps, n, L);
	if ((long)L->oc * L->oh * L->ow > INT_MAX)
		perr(ps, "layer output too large");
	if (label)
		set_label(ps, n, L->label, label, i);
	if (def->out != OUT_AS_INPUT)
		*flat = def->out == OUT_FLAT;
	n->nl++;
}

net *net_parse(const char *text, const char *path)
{
	net *n = xcalloc(1, sizeof *n);
	n->text = xstrdup(text);
	labels lt = {0};
	parser ps = {path ? path_name(path) : "<net>", 0, &lt};
	char *copy = xstrdup(text);
	int have_input = 0, cap = 0, flat = 0;
	/* line by line, keeping line numbers for blank lines too */
	for (char *p = copy; p;) {
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
		if (!strcmp(tok[0], "input")) {
			if (have_input)
				perr(&ps, "input given twice");
			parse_input(&ps, n, tok, ntok);
			have_input = 1;
			continue;
		}
		if (!have_input)
			perr(&ps, "the first layer line must be 'input C H W'");
		if (n->nl == cap)
			n->l = xrealloc(n->l, (cap = cap ? 2 * cap : 16) * sizeof *n->l);
		parse_layer(&ps, n, tok, ntok, &flat);
	}
	free(copy);
	free(lt.slot);
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
	/* the state: each layer's parameters and buffers, named as PyTorch's state_dict */
	for (int i = 0; i < n->nl; i++)
		if (n->l[i].def->state)
			n->l[i].def->state(n, i);
	return n;
}

void net_add_state(net *n, int i, const char *suffix, int ndim, const int64_t *shape, int trainable,
		   int init, double fan_in)
{
	if ((n->nstate & (n->nstate - 1)) == 0)   /* 0, 1, 2, 4, ...: full at a power of two */
		n->state = xrealloc(n->state, (n->nstate ? 2 * n->nstate : 1) * sizeof *n->state);
	state_entry *e = &n->state[n->nstate++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%d.%s", i, suffix);
	e->ndim = ndim;
	e->count = 1;
	for (int d = 0; d < ndim; d++) {
		e->shape[d] = shape[d];
		e->count *= (size_t)shape[d];
	}
	e->trainable = trainable;
	e->layer = i;
	e->init = init;
	e->fan_in = fan_in;
	size_t *total = trainable ? &n->nparams : &n->nbuffers;
	e->offset = *total;
	*total += e->count;
}

const char *net_other_label(const net *n, const layer *L)
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
		if (L->def->describe)
			L->def->describe(n, L, desc, sizeof desc);
		else
			snprintf(desc, sizeof desc, "%s", L->def->word);
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
		float *dst = e->trainable ? hp + e->offset : hb + e->offset;
		float bound = e->init == INIT_FAN_IN ? (float)(1.0 / sqrt(e->fan_in)) : 0.0f;
		for (size_t j = 0; j < e->count; j++)
			dst[j] = e->init == INIT_FAN_IN ? rng_uniform_range(&r, -bound, bound) : e->init == INIT_ONE;
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

/* The layer whose memory layer i's output is: i itself, or through views
   the layer they alias; -1 for the network input */
static int layer_owner(const net *n, int i)
{
	while (i >= 0 && n->l[i].def->view)
		i = n->l[i].src;
	return i;
}

/* Whether layer i (a kind that may work in place) overwrites its input:
   when the input is a layer's own output that no other layer reads. The
   input's layer must not read its own output in its backward (no kind
   does but relu, whose output a relu in place leaves as it was). */
static int layer_in_place(const net *n, int i)
{
	const layer *L = &n->l[i];
	if (!L->def->in_place || L->src < 0 || n->l[L->src].def->view)
		return 0;
	int readers = 0;
	for (int j = 0; j < n->nl; j++) {
		readers += layer_owner(n, n->l[j].src) == L->src;
		readers += n->l[j].other >= 0 && layer_owner(n, n->l[j].other) == L->src;
	}
	return readers == 1;
}

/* The activation gradients share memory where their lives do not meet. The
   gradient of layer j's output (its own, not a view's or an in-place
   layer's) lives during the backward steps dy_first down to j: from the
   first layer that adds into it, when it is zeroed, to j's own step. Two
   that live at a common step get disjoint places in the arena; the rest
   are placed first-fit, the largest first. A chain of layers then needs
   about two of the largest gradients instead of all of them. Sets
   dy_first, and doff[j] for each owner j; returns the arena's floats. */
static size_t plan_gradients(net *n, int batch, const int *root, size_t *doff)
{
	int nl = n->nl;
	size_t *size = xcalloc(nl, sizeof *size), total = 0;
	int *placed = xmalloc(nl * sizeof *placed), np = 0;
	char *done = xcalloc(nl, 1);
	for (int j = 0; j < nl; j++)
		n->l[j].dy_first = -1;
	if (root[nl - 1] >= 0)
		n->l[root[nl - 1]].dy_first = nl;
	for (int i = 0; i < nl; i++) {
		int r = n->l[i].src >= 0 ? root[n->l[i].src] : -1;
		if (r >= 0 && n->l[r].dy_first < i)
			n->l[r].dy_first = i;
		r = n->l[i].other >= 0 ? root[n->l[i].other] : -1;
		if (r >= 0 && n->l[r].dy_first < i)
			n->l[r].dy_first = i;
	}
	for (int j = 0; j < nl; j++)
		if (root[j] == j) {
			if (n->l[j].dy_first < j)
				n->l[j].dy_first = j;
			size[j] = (layer_out_size(&n->l[j]) * batch + 15) / 16 * 16;
		}
	for (;;) {
		int j = -1;
		for (int c = 0; c < nl; c++)
			if (root[c] == c && !done[c] && (j < 0 || size[c] > size[j]))
				j = c;
		if (j < 0)
			break;
		/* the lowest place, at 0 or at the end of a placed gradient living
		   at a common step, where it meets none of those */
		size_t best = SIZE_MAX;
		for (int a = -1; a < np; a++) {
			size_t at = a < 0 ? 0 : doff[placed[a]] + size[placed[a]];
			int fits = at < best;
			for (int b = 0; b < np && fits; b++) {
				int p = placed[b];
				int meet = j <= n->l[p].dy_first && p <= n->l[j].dy_first;
				if (meet && at < doff[p] + size[p] && doff[p] < at + size[j])
					fits = 0;
			}
			if (fits)
				best = at;
		}
		doff[j] = best;
		if (best + size[j] > total)
			total = best + size[j];
		placed[np++] = j;
		done[j] = 1;
	}
	free(size);
	free(done);
	free(placed);
	return total;
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
	/* one arena for every layer's output, one for their gradients; views
	   (flatten) and layers in place (a relu after a convolution) have none */
	size_t total = 0, work = 0;
	int *root = xmalloc(n->nl * sizeof *root);
	size_t *doff = xcalloc(n->nl, sizeof *doff);
	for (int i = 0; i < n->nl; i++) {
		int alias = n->l[i].def->view || layer_in_place(n, i);
		root[i] = !alias ? i : n->l[i].src >= 0 ? root[n->l[i].src] : -1;
		if (!alias)
			total += layer_out_size(&n->l[i]) * batch;
	}
	n->acts = be->alloc(total * sizeof(float), "activations");
	n->dacts = be->alloc(plan_gradients(n, batch, root, doff) * sizeof(float), "activation gradients");
	size_t off = 0;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		const layer_def *def = L->def;
		L->aux = NULL;
		if (root[i] != i) {
			L->y = L->src >= 0 ? n->l[L->src].y : NULL;
			L->dy = L->src >= 0 ? n->l[L->src].dy : NULL;
			if (def->view)
				continue;
		} else {
			L->y = n->acts + off;
			L->dy = n->dacts + doff[i];
			off += layer_out_size(L) * batch;
		}
		size_t aux = def->aux_bytes ? def->aux_bytes(L, batch) : 0;
		if (aux)
			L->aux = be->alloc(aux, def->word);
		size_t ws = def->work_bytes ? def->work_bytes(be, L, batch) : 0;
		work = ws > work ? ws : work;
	}
	n->work = be->alloc(work ? work : 64, "convolution workspace");
	free(root);
	free(doff);
}

/* ---- forward and backward ---- */

static const float *layer_input(const net *n, const layer *L)
{
	return L->src >= 0 ? n->l[L->src].y : n->x;
}

const float *net_other_y(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].y : n->x;
}

float *net_other_dy(const net *n, const layer *L)
{
	return L->other >= 0 ? n->l[L->other].dy : NULL;
}

void net_forward(net *n, const float *x, int count, int train, uint64_t seed)
{
	if (count > n->batch)
		fatal("internal: batch of %d exceeds allocated %d", count, n->batch);
	n->x = x;
	n->n = count;
	for (int i = 0; i < n->nl; i++) {
		layer *L = &n->l[i];
		L->def->forward(n, L, layer_input(n, L), count, train, seed);
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
	layer *last = &n->l[n->nl - 1];
	for (int i = n->nl; i >= 0; i--) {
		/* the gradients that step i adds into first (plan_gradients) */
		for (int j = 0; j < n->nl; j++)
			if (n->l[j].dy_first == i)
				be->zero(n->l[j].dy, (size_t)count * layer_out_size(&n->l[j]) * sizeof(float));
		if (i == n->nl) {
			be->axpy((size_t)count * layer_out_size(last), 1.0f, dlogits, last->dy);
			continue;
		}
		layer *L = &n->l[i];
		L->def->backward(n, L, layer_input(n, L), L->src >= 0 ? n->l[L->src].dy : NULL, count);
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
