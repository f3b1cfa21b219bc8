/* safetensors.c: model and checkpoint files in the safetensors format, read
   as strictly as the reference implementation: every tensor's dtype, shape
   and offsets are checked, the tensors must tile the data buffer exactly, and
   no size is trusted before it is checked against the bytes present. */
#include "formats/safetensors.h"
#include "base/json.h"
#include "base/output.h"
#include "base/filekind.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The reference implementation refuses headers past 100 MB too. */
#define ST_MAX_HEADER ((uint64_t)100 << 20)

static const struct {
	const char *name;
	dtype dt;
} st_dtypes[] = {{"F32", DT_F32}, {"I64", DT_I64}, {"I32", DT_I32}, {"U8", DT_U8}};

static const char *st_dtype_name(dtype dt)
{
	for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
		if (st_dtypes[i].dt == dt)
			return st_dtypes[i].name;
	return NULL;
}

st_file *st_new(void)
{
	return xcalloc(1, sizeof(st_file));
}

void st_add(st_file *f, const char *name, tensor *t)
{
	if (!strcmp(name, "__metadata__"))
		fatal("safetensors: '__metadata__' cannot name a tensor");
	if (!st_dtype_name(t->dtype))
		fatal("safetensors: tensor '%s': %s tensors cannot be stored", name, dtype_name(t->dtype));
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name)) {
			if (f->tensors[i] != t)
				tensor_free(f->tensors[i]);
			f->tensors[i] = t;
			return;
		}
	f->names = xrealloc(f->names, (f->n + 1) * sizeof *f->names);
	f->tensors = xrealloc(f->tensors, (f->n + 1) * sizeof *f->tensors);
	f->names[f->n] = xstrdup(name);
	f->tensors[f->n] = t;
	f->n++;
}

tensor *st_get(const st_file *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name))
			return f->tensors[i];
	return NULL;
}

void st_set_meta(st_file *f, const char *key, const char *val)
{
	for (int i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta_keys[i], key)) {
			free(f->meta_vals[i]);
			f->meta_vals[i] = xstrdup(val);
			return;
		}
	f->meta_keys = xrealloc(f->meta_keys, (f->nmeta + 1) * sizeof *f->meta_keys);
	f->meta_vals = xrealloc(f->meta_vals, (f->nmeta + 1) * sizeof *f->meta_vals);
	f->meta_keys[f->nmeta] = xstrdup(key);
	f->meta_vals[f->nmeta] = xstrdup(val);
	f->nmeta++;
}

const char *st_meta(const st_file *f, const char *key)
{
	for (int i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta_keys[i], key))
			return f->meta_vals[i];
	return NULL;
}

void st_free(st_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n; i++) {
		free(f->names[i]);
		tensor_free(f->tensors[i]);
	}
	for (int i = 0; i < f->nmeta; i++) {
		free(f->meta_keys[i]);
		free(f->meta_vals[i]);
	}
	free(f->names);
	free(f->tensors);
	free(f->meta_keys);
	free(f->meta_vals);
	free(f);
}

void st_write(const char *path, const st_file *f)
{
	json_writer w = {0};
	json_object_begin(&w);
	if (f->nmeta) {
		json_key(&w, "__metadata__");
		json_object_begin(&w);
		for (int i = 0; i < f->nmeta; i++) {
			json_key(&w, f->meta_keys[i]);
			json_string(&w, f->meta_vals[i]);
		}
		json_object_end(&w);
	}
	uint64_t off = 0;
	for (int i = 0; i < f->n; i++) {
		const tensor *t = f->tensors[i];
		uint64_t bytes = tensor_bytes(t);
		json_key(&w, f->names[i]);
		json_object_begin(&w);
		json_key(&w, "dtype");
		json_string(&w, st_dtype_name(t->dtype));
		json_key(&w, "shape");
		json_array_begin(&w);
		for (int d = 0; d < t->ndim; d++)
			json_int(&w, t->shape[d]);
		json_array_end(&w);
		json_key(&w, "data_offsets");
		json_array_begin(&w);
		json_int(&w, (long long)off);
		json_int(&w, (long long)(off + bytes));
		json_array_end(&w);
		json_object_end(&w);
		off += bytes;
	}
	json_object_end(&w);
	size_t len = w.len;
	char *hdr = json_writer_finish(&w);
	/* Spaces up to a multiple of 8 keep the data aligned for memory-mapped readers. */
	size_t padded = (len + 7) / 8 * 8;
	hdr = xrealloc(hdr, padded);
	memset(hdr + len, ' ', padded - len);
	len = padded;
	unsigned char pre[8];
	for (int i = 0; i < 8; i++)
		pre[i] = (uint64_t)len >> (8 * i);
	outfile *o = out_open(path);
	xfwrite(pre, 8, o->f, o->path);
	xfwrite(hdr, len, o->f, o->path);
	for (int i = 0; i < f->n; i++)
		xfwrite(f->tensors[i]->data, tensor_bytes(f->tensors[i]), o->f, o->path);
	out_commit(o);
	free(hdr);
}

/* A name fit for a one-line message: hostile names may hold newlines. Two
   buffers in turn, so that one message can show two names. */
static const char *shown_name(const char *name)
{
	static char bufs[2][72];
	static int turn;
	char *buf = bufs[turn ^= 1];
	size_t n = 0;
	for (; name[n] && n < sizeof bufs[0] - 4; n++)
		buf[n] = (unsigned char)name[n] < 0x20 ? '?' : name[n];
	strcpy(buf + n, name[n] ? "..." : "");
	return buf;
}

/* One tensor's description from the header, checked before anything is
   allocated for it. */
typedef struct entry {
	const char *name;
	dtype dt;
	int ndim;
	int64_t shape[TENSOR_MAXDIM];
	int64_t begin, end;
	tensor *t;
} entry;

static int cmp_entry(const void *a, const void *b)
{
	const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

static void read_entry(const char *path, const char *name, const json *v, entry *e)
{
	const char *nm = shown_name(name);
	if (v->kind != JSON_OBJECT)
		fatal("%s: tensor '%s': description is not a JSON object", path, nm);
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") &&
		    strcmp(v->keys[i], "data_offsets"))
			fatal("%s: tensor '%s': unknown field '%s'", path, nm, shown_name(v->keys[i]));
	const json *jd = json_get(v, "dtype"), *js = json_get(v, "shape"),
		   *jo = json_get(v, "data_offsets");
	if (!jd || !js || !jo)
		fatal("%s: tensor '%s': lacks dtype, shape or data_offsets", path, nm);
	if (jd->kind != JSON_STRING)
		fatal("%s: tensor '%s': dtype is not a string", path, nm);
	int known = -1;
	for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
		if (!strcmp(jd->str, st_dtypes[i].name))
			known = i;
	if (known < 0)
		fatal("%s: tensor '%s': unsupported dtype '%s' (supported: F32 I64 I32 U8)", path, nm,
		      shown_name(jd->str));
	e->name = name;
	e->dt = st_dtypes[known].dt;
	if (js->kind != JSON_ARRAY)
		fatal("%s: tensor '%s': shape is not an array", path, nm);
	if (js->n > TENSOR_MAXDIM)
		fatal("%s: tensor '%s': %d dimensions (at most %d supported)", path, nm, js->n, TENSOR_MAXDIM);
	e->ndim = js->n;
	int64_t bytes = dtype_size(e->dt);
	for (int d = 0; d < js->n; d++) {
		const json *x = js->items[d];
		if (x->kind != JSON_NUMBER || !x->is_int || x->integer < 0)
			fatal("%s: tensor '%s': shape holds something other than a size", path, nm);
		e->shape[d] = x->integer;
		if (e->shape[d] && bytes > INT64_MAX / e->shape[d])
			fatal("%s: tensor '%s': shape too large", path, nm);
		bytes *= e->shape[d];
	}
	if (jo->kind != JSON_ARRAY || jo->n != 2)
		fatal("%s: tensor '%s': data_offsets is not a pair [begin, end]", path, nm);
	for (int k = 0; k < 2; k++)
		if (jo->items[k]->kind != JSON_NUMBER || !jo->items[k]->is_int || jo->items[k]->integer < 0)
			fatal("%s: tensor '%s': data_offsets holds something other than an offset", path, nm);
	e->begin = jo->items[0]->integer;
	e->end = jo->items[1]->integer;
	if (e->end < e->begin || e->end - e->begin != bytes) {
		tensor shown = {.ndim = e->ndim};
		char buf[200];
		memcpy(shown.shape, e->shape, sizeof e->shape);
		fatal("%s: tensor '%s': data_offsets do not match shape (%lld bytes for %s %s, %lld expected)",
		      path, nm, (long long)(e->end - e->begin), jd->str, shape_str(&shown, buf, sizeof buf),
		      (long long)bytes);
	}
}

/* The 8-byte length and the JSON header after it, checked against the file's
   size (fsize, or -1 for a pipe) */
static json *read_header(const char *name, FILE *fp, int64_t fsize, uint64_t *header_len)
{
	unsigned char pre[8];
	if (fread(pre, 1, 8, fp) != 8) {
		if (ferror(fp))
			fatal("%s: read error: %s", name, strerror(errno));
		fatal("%s: truncated file (shorter than the 8-byte header length)", name);
	}
	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | pre[i];
	/* another kind of file (a stream given where a model belongs): say so */
	file_kind kind = file_kind_of(pre, 8);
	if (kind != FK_UNKNOWN && kind != FK_SAFETENSORS)
		fatal("%s: %s, not a model (an nnpipe safetensors file)", name, file_kind_name(kind));
	if (fsize >= 0 && hlen > (uint64_t)fsize - 8)
		fatal("%s: not a safetensors file or truncated: header length %llu exceeds the file size %lld",
		      name, (unsigned long long)hlen, (long long)fsize);
	if (hlen > ST_MAX_HEADER)
		fatal("%s: not a safetensors file: header length %llu is implausible", name,
		      (unsigned long long)hlen);
	if (hlen < 2)
		fatal("%s: not a safetensors file: header length %llu", name, (unsigned long long)hlen);
	char *hdr = xmalloc(hlen);
	if (fread(hdr, 1, hlen, fp) != hlen)
		fatal("%s: truncated file (in the header)", name);
	if (hdr[0] != '{')
		fatal("%s: not a safetensors file (the header is not a JSON object)", name);
	const char *err;
	json *root = json_parse(hdr, hlen, &err);
	free(hdr);
	if (!root)
		fatal("%s: bad JSON in the header: %s", name, err);
	*header_len = hlen;
	return root;
}

/* __metadata__: a map of strings */
static void read_metadata(const char *name, const json *v, st_file *sf)
{
	if (v->kind != JSON_OBJECT)
		fatal("%s: __metadata__ is not a map of strings", name);
	/* keys are distinct (the JSON parser refuses duplicates): filled
	   directly, not through st_set_meta's search */
	sf->meta_keys = xcalloc(v->n ? v->n : 1, sizeof *sf->meta_keys);
	sf->meta_vals = xcalloc(v->n ? v->n : 1, sizeof *sf->meta_vals);
	for (int k = 0; k < v->n; k++) {
		if (v->items[k]->kind != JSON_STRING)
			fatal("%s: __metadata__ '%s' is not a string", name, shown_name(v->keys[k]));
		sf->meta_keys[k] = xstrdup(v->keys[k]);
		sf->meta_vals[k] = xstrdup(v->items[k]->str);
		sf->nmeta = k + 1;
	}
}

/* The tensors must tile the data buffer: sorted by offset (order), each
   begins where the previous one ends, and the last ends where the data
   ends (data_len; for pipes, not sized, where the stream ends). */
static void check_tiling(const char *name, entry *const *order, int ne, int64_t data_len, int sized)
{
	int64_t at = 0;
	for (int i = 0; i < ne; i++) {
		const entry *e = order[i];
		if (e->begin != at)
			fatal("%s: tensor '%s': data_offsets [%lld, %lld] %s", name, shown_name(e->name),
			      (long long)e->begin, (long long)e->end,
			      e->end > data_len ? "out of range" :
			      e->begin < at ? "overlap another tensor" : "leave a gap before the tensor");
		at = e->end;
	}
	if (at > data_len)
		fatal("%s: truncated file (the tensors need %lld bytes of data, %lld present)", name,
		      (long long)at, (long long)data_len);
	if (sized && at < data_len)
		fatal("%s: %lld bytes after the last tensor", name, (long long)(data_len - at));
}

st_file *st_read(const char *path)
{
	const char *name = display_name(path);
	FILE *fp = xfopen_read(path);
	struct stat sb;
	int64_t fsize = -1;   /* unknown for pipes: then only reading tells */
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		fsize = sb.st_size;

	uint64_t hlen;
	json *root = read_header(name, fp, fsize, &hlen);

	st_file *sf = st_new();
	entry *ents = xcalloc(root->n ? root->n : 1, sizeof *ents);
	int ne = 0;
	for (int i = 0; i < root->n; i++) {
		if (strcmp(root->keys[i], "__metadata__"))
			read_entry(name, root->keys[i], root->items[i], &ents[ne++]);
		else
			read_metadata(name, root->items[i], sf);
	}

	/* the tensors in the order of their bytes, which must tile the data */
	int64_t data_len = fsize >= 0 ? fsize - 8 - (int64_t)hlen : INT64_MAX;
	entry **order = xmalloc((ne ? ne : 1) * sizeof *order);
	for (int i = 0; i < ne; i++)
		order[i] = &ents[i];
	qsort(order, ne, sizeof *order, cmp_entry);
	check_tiling(name, order, ne, data_len, fsize >= 0);

	/* names are distinct too: filled directly, not through st_add's search.
	   Tensors get memory as their bytes are read, in file order, so a
	   pipe that ends early costs no more than what it held. */
	sf->names = xcalloc(ne ? ne : 1, sizeof *sf->names);
	sf->tensors = xcalloc(ne ? ne : 1, sizeof *sf->tensors);
	for (int i = 0; i < ne; i++) {
		ents[i].t = tensor_header(ents[i].dt, ents[i].ndim, ents[i].shape, 0);
		sf->names[i] = xstrdup(ents[i].name);
		sf->tensors[i] = ents[i].t;
		sf->n = i + 1;
	}
	for (int i = 0; i < ne; i++) {
		char why[400];
		snprintf(why, sizeof why, "truncated file (in tensor '%s')", shown_name(order[i]->name));
		order[i]->t->data = read_payload(fp, tensor_bytes(order[i]->t), path, why);
	}
	if (fsize < 0 && fgetc(fp) != EOF)
		fatal("%s: bytes after the last tensor", name);
	free(order);
	free(ents);
	json_free(root);
	if (fp != stdin)
		fclose(fp);
	return sf;
}
