/* net_parse.c: a .net description into a net (layers, shapes, the named
   state), through the table of layer kinds; and the table of layers and
   shapes printed when loading. */
#include "nn/net.h"
#include "nn/layers.h"
#include "base/util.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
	parser_add_label(ps, n, layer);
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
	parser ps = {path ? display_name(path) : "<net>", 0, &lt};
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
