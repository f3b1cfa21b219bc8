/* model.c: saving and loading nets (and optimiser state) as safetensors. */
#include "nn/model.h"
#include "nn/config.h"
#include "nn/layers.h"
#include "nn/provenance.h"
#include "base/json.h"
#include "formats/safetensors.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *floats_csv(const float *v, int n)
{
	char *s = xmalloc(n * 24 + 1), *p = s;
	*p = 0;
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%.9g", i ? "," : "", v[i]);
	return s;
}

void model_meta_strings(const net *n, const model_info *mi, void (*put)(void *ctx, const char *key, const char *value),
			void *ctx)
{
	put(ctx, "net", n->text);
	char *s = floats_csv(mi->mean, mi->nchan);
	put(ctx, "input_mean", s);
	free(s);
	s = floats_csv(mi->std, mi->nchan);
	put(ctx, "input_std", s);
	free(s);
	if (mi->names) {
		json_writer w = {0};
		json_array_begin(&w);
		for (int i = 0; i < mi->nclass; i++)
			json_string(&w, mi->names[i]);
		json_array_end(&w);
		char *j = json_writer_finish(&w);
		put(ctx, "classes", j);
		free(j);
	}
	if (mi->config)
		put(ctx, "config", mi->config);
	if (mi->run)
		put(ctx, "run", mi->run);
}

static void put_st_meta(void *f, const char *key, const char *value) { st_set_meta(f, key, value); }

static tensor *state_tensor(const net *n, const state_entry *e, const float *src_base)
{
	tensor *t = tensor_new(DT_F32, e->ndim, e->shape, 0);
	n->be->download(t->data, src_base + e->offset, e->count * sizeof(float));
	return t;
}

/* The name of a checkpoint's optimiser state for entry e: its first moment
   (SGD's momentum buffer) or, second, Adam's second moment */
static const char *moment_name(char *name, size_t cap, const optim *o, int second, const state_entry *e)
{
	snprintf(name, cap, "optim.%s.%s", second ? "v" : o->kind == OPTIM_SGD ? "buf" : "m", e->name);
	return name;
}

void model_save(const char *path, const net *n, const model_info *mi, const optim *o)
{
	st_file *f = st_new();
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		st_add(f, e->name, state_tensor(n, e, e->trainable ? n->params : n->buffers));
		const layer *L = &n->l[e->layer];
		if (L->def->tracks_batches && strstr(e->name, ".running_var")) {
			char name[64];
			snprintf(name, sizeof name, "%d.num_batches_tracked", e->layer);
			tensor *t = tensor_new(DT_I64, 0, NULL, 0);
			*(int64_t *)t->data = L->batches_tracked;
			st_add(f, name, t);
		}
	}
	st_set_meta(f, "format", "nnpipe 1");
	model_meta_strings(n, mi, put_st_meta, f);
	if (o) {
		char num[32];
		snprintf(num, sizeof num, "%ld", mi->step);
		st_set_meta(f, "step", num);
		snprintf(num, sizeof num, "%ld", o->t);
		st_set_meta(f, "optim_t", num);
		st_set_meta(f, "optim", optim_kind_name(o->kind));
		for (int i = 0; i < n->nstate; i++) {
			const state_entry *e = &n->state[i];
			if (!e->trainable)
				continue;
			char name[80];
			st_add(f, moment_name(name, sizeof name, o, 0, e), state_tensor(n, e, o->m));
			if (o->v)
				st_add(f, moment_name(name, sizeof name, o, 1, e), state_tensor(n, e, o->v));
		}
	}
	st_write(path, f);
	st_free(f);
}

/* The file's tensor for a state entry, checked against the description:
   done for every entry before anything is allocated, so that a small file
   whose description asks for gigabytes is refused at once. */
static const tensor *entry_tensor(const char *path, const st_file *f, const char *name, const state_entry *e)
{
	tensor *t = st_get(f, name);
	if (!t)
		fatal("%s: missing tensor '%s'", path, name);
	int same = t->dtype == DT_F32 && t->ndim == e->ndim;
	for (int d = 0; same && d < e->ndim; d++)
		same = t->shape[d] == e->shape[d];
	if (!same) {
		char a[96];
		fatal("%s: tensor '%s' is %s %s, the description needs float32 of %zu elements", path, name,
		      dtype_name(t->dtype), shape_str(t, a, sizeof a), e->count);
	}
	return t;
}

/* Saved values of a kind (what): finite, and not negative where they are
   a variance or a second moment (else a prediction is garbage, or the first
   steps after a resume fail and blame the learning rate). */
static void values_check(const char *path, const char *name, const float *x, size_t n, int nonneg,
			 const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]) || (nonneg && x[i] < 0))
			fatal("%s: tensor '%s': element %zu is %g: not a valid %s", path, name, i, (double)x[i], what);
}

/* The key of the member that JSON text breaks off in at byte at: the last
   "key": before it (Python's json.dumps writes NaN for a NaN, which JSON
   has not: the message names the field). 0 when there is none. */
static int key_before(const char *text, size_t at, char *key, size_t n)
{
	const char *colon = text + at;
	while (colon > text && *colon != ':')
		colon--;
	const char *end = colon;
	while (end > text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (*colon != ':' || end == text || end[-1] != '"')
		return 0;
	const char *begin = end - 1;
	while (begin > text && begin[-1] != '"')
		begin--;
	if (begin == text || (size_t)(end - 1 - begin) >= n)
		return 0;
	snprintf(key, n, "%.*s", (int)(end - 1 - begin), begin);
	return !control_byte(key);
}

json *model_meta_json(const char *path, const char *key, const char *text)
{
	if (!text)
		return NULL;
	const char *err, *at;
	json *j = json_parse(text, strlen(text), &err);
	size_t byte;
	char field[64];
	if (!j && (at = strstr(err, " at byte ")) && sscanf(at, " at byte %zu", &byte) == 1 &&
	    key_before(text, byte, field, sizeof field))
		fatal("%s: metadata %s: field '%s': not JSON: %s", path, key, field, err);
	if (!j)
		fatal("%s: metadata %s: %s", path, key, err);
	if (j->kind != JSON_OBJECT)
		fatal("%s: metadata %s: not a JSON object", path, key);
	char where[4200];
	snprintf(where, sizeof where, "%s: metadata %s", path, key);
	if (!strcmp(key, "config"))
		train_config_check(where, j);
	else if (!strcmp(key, "run"))
		run_record_check(where, j);
	return j;
}

static int parse_floats_meta(const char *path, const char *key, const char *s, float *out)
{
	int k = parse_float_list(s, out, MODEL_MAXCHAN);
	if (k < 1)
		fatal("%s: metadata %s: bad list '%s'", path, key, s);
	return k;
}

/* The state's values into n's arenas on be, checked against n's entries */
static void load_state(const char *path, st_file *f, net *n, const backend *be)
{
	for (int s = 0; s < n->nstate; s++)
		entry_tensor(path, f, n->state[s].name, &n->state[s]);
	net_init(n, be, 0);
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		const tensor *t = entry_tensor(path, f, e->name, e);
		int var = strstr(e->name, ".running_var") != NULL;
		values_check(path, e->name, t->data, e->count, var, e->trainable ? "weight" : var ? "variance" : "statistic");
		be->upload((e->trainable ? n->params : n->buffers) + e->offset, t->data, e->count * sizeof(float));
	}
	for (int i = 0; i < n->nl; i++) {
		if (!n->l[i].def->tracks_batches)
			continue;
		char name[64];
		snprintf(name, sizeof name, "%d.num_batches_tracked", i);
		tensor *t = st_get(f, name);
		if (t) {
			if (t->dtype != DT_I64 || tensor_numel(t) != 1)
				fatal("%s: tensor '%s' must be an int64 scalar", path, name);
			n->l[i].batches_tracked = *(int64_t *)t->data;
		}
	}
}

/* input_mean and input_std, one positive std per input channel */
static void load_normalisation(const char *path, st_file *f, const net *n, model_info *mi)
{
	const char *ms = st_meta(f, "input_mean"), *ss = st_meta(f, "input_std");
	mi->nchan = n->in_c;
	/* guessing "no normalisation" would run a model trained on normalised
	   inputs on the wrong values, and it would still predict something */
	if (!ms || !ss) {
		char zeros[2 * MODEL_MAXCHAN] = "0", ones[2 * MODEL_MAXCHAN] = "1";
		for (int c = 1; c < n->in_c && c < MODEL_MAXCHAN; c++)
			strcat(zeros, ",0"), strcat(ones, ",1");
		fatal("%s: no %s in the metadata: write the per-channel mean and standard deviation the "
		      "network was trained with (input_mean %s and input_std %s for no normalisation)", path,
		      !ms && !ss ? "input_mean and input_std" : !ms ? "input_mean" : "input_std", zeros, ones);
	}
	int a = parse_floats_meta(path, "input_mean", ms, mi->mean);
	int b = parse_floats_meta(path, "input_std", ss, mi->std);
	if (a != n->in_c || b != n->in_c)
		fatal("%s: input_mean/input_std have %d/%d values for %d input channels", path, a, b, n->in_c);
	for (int c = 0; c < n->in_c; c++)
		if (!(mi->std[c] > 0))
			fatal("%s: input_std must be positive", path);
}

/* The class names, when the metadata has them: one per output */
static void load_classes(const char *path, st_file *f, const net *n, model_info *mi)
{
	const char *cls = st_meta(f, "classes");
	if (!cls)
		return;
	const char *err;
	json *j = json_parse(cls, strlen(cls), &err);
	if (!j || j->kind != JSON_ARRAY)
		fatal("%s: metadata classes: not a JSON array of names", path);
	mi->nclass = j->n;
	mi->names = xcalloc(j->n + 1, sizeof *mi->names);
	for (int i = 0; i < j->n; i++) {
		if (j->items[i]->kind != JSON_STRING)
			fatal("%s: metadata classes: not a JSON array of names", path);
		const char *c = control_byte(j->items[i]->str);
		if (c)
			fatal("%s: metadata classes: name %d holds the control byte 0x%02x", path, i,
			      (unsigned char)*c);
		mi->names[i] = xstrdup(j->items[i]->str);
	}
	json_free(j);
	if (mi->nclass != n->nclass)
		fatal("%s: %d class names for a network of %d outputs", path, mi->nclass, n->nclass);
}

/* A checkpoint's optimiser: its kind, step count and moments */
static optim *load_optim(const char *path, st_file *f, net *n, const backend *be, const model_info *mi)
{
	const char *kind = st_meta(f, "optim"), *ts = st_meta(f, "optim_t");
	long v;
	if (kind && optim_kind_parse(kind) < 0)
		fatal("%s: metadata optim: '%.40s' is not an optimiser (sgd, adam or adamw)", path, kind);
	if (!kind || !ts || optim_kind_parse(kind) < 0 || !st_meta(f, "step"))
		fatal("%s: not a checkpoint (no optimiser state); a model file cannot be resumed", path);
	/* the optimiser has taken one step per training step, no more */
	if (!parse_int(ts, &v) || v < 0 || v > mi->step)
		fatal("%s: metadata optim_t: '%.40s' is not a count of 0 to %ld optimiser steps", path, ts,
		      mi->step);
	optim *o = optim_new(optim_kind_parse(kind), n);
	o->t = v;
	for (int s = 0; s < n->nstate; s++) {
		const state_entry *e = &n->state[s];
		if (!e->trainable)
			continue;
		char name[80];
		const tensor *t = entry_tensor(path, f, moment_name(name, sizeof name, o, 0, e), e);
		values_check(path, name, t->data, e->count, 0, "optimiser state");
		be->upload(o->m + e->offset, t->data, e->count * sizeof(float));
		if (o->v) {
			t = entry_tensor(path, f, moment_name(name, sizeof name, o, 1, e), e);
			values_check(path, name, t->data, e->count, 1, "optimiser state");
			be->upload(o->v + e->offset, t->data, e->count * sizeof(float));
		}
	}
	return o;
}

net *model_load(const char *path, const backend *be, model_info *mi, optim **o)
{
	st_file *f = st_read(path);
	const char *text = st_meta(f, "net");
	if (!text)
		fatal("%s: not an nnpipe model (no 'net' in the metadata)", path);
	char where[512];
	snprintf(where, sizeof where, "%s (net)", path);
	net *n = net_parse(text, where);
	load_state(path, f, n, be);
	memset(mi, 0, sizeof *mi);
	load_normalisation(path, f, n, mi);
	load_classes(path, f, n, mi);
	const char *cfg = st_meta(f, "config");
	json_free(model_meta_json(path, "config", cfg));
	mi->config = cfg ? xstrdup(cfg) : NULL;
	const char *run = st_meta(f, "run");
	json_free(model_meta_json(path, "run", run));
	mi->run = run ? xstrdup(run) : NULL;
	const char *step = st_meta(f, "step");
	long v;
	if (step) {
		if (!parse_int(step, &v) || v < 0)
			fatal("%s: metadata step: '%.40s' is not a step count", path, step);
		mi->step = v;
	}
	if (o)
		*o = load_optim(path, f, n, be, mi);
	for (int i = 0; i < f->n; i++) {
		int known = net_find_state(n, f->names[i]) || strstr(f->names[i], ".num_batches_tracked") ||
			    !strncmp(f->names[i], "optim.", 6);
		if (!known)
			fatal("%s: tensor '%s' is not part of the network described in the file", path, f->names[i]);
	}
	st_free(f);
	return n;
}

void model_info_free(model_info *mi)
{
	names_free(mi->names, mi->nclass);
	free(mi->config);
	free(mi->run);
	memset(mi, 0, sizeof *mi);
}
