/* npy.c: NPY reader and writer, strict about every header field. */
#include "formats/npy.h"
#include "base/filekind.h"
#include "base/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char magic[6] = "\x93NUMPY";

/* Largest array we accept: guards size arithmetic against overflow. */
#define NPY_MAX_BYTES ((int64_t)1 << 40)

static int parse_descr(const char *d, tensor *t)
{
	if (!strcmp(d, "|u1") || !strcmp(d, "<u1") || !strcmp(d, "u1")) {
		t->dtype = DT_U8;
	} else if (!strcmp(d, "<i4")) {
		t->dtype = DT_I32;
	} else if (!strcmp(d, "<i8")) {
		t->dtype = DT_I64;
	} else if (!strcmp(d, "<f4")) {
		t->dtype = DT_F32;
	} else if (d[0] == '|' && d[1] == 'S') {
		long w;
		if (!parse_int(d + 2, &w) || w < 1 || w > 4096)
			return 0;
		t->dtype = DT_STR;
		t->itemsize = (size_t)w;
		return 1;
	} else {
		return 0;
	}
	t->itemsize = dtype_size(t->dtype);
	return 1;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return p;
}

/* Parses the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
/* The values of the header's three keys: each reads from *pp, moves it
   past the value and returns NULL, or returns what is wrong. */
static const char *parse_descr_value(const char **pp, tensor *t)
{
	const char *p = *pp;
	if (*p != '\'' && *p != '"')
		return "descr is not a string";
	char dq = *p++;
	char d[32];
	size_t n = 0;
	while (*p && *p != dq && n < sizeof d - 1)
		d[n++] = *p++;
	d[n] = 0;
	if (*p++ != dq)
		return "malformed descr";
	if (!parse_descr(d, t)) {
		static char msg[96];
		snprintf(msg, sizeof msg, "unsupported dtype '%s' (supported: |u1 <i4 <i8 <f4 |S)", d);
		return msg;
	}
	*pp = p;
	return NULL;
}

static const char *parse_order_value(const char **pp)
{
	if (!strncmp(*pp, "False", 5)) {
		*pp += 5;
		return NULL;
	}
	if (!strncmp(*pp, "True", 4))
		return "Fortran-order arrays are not supported";
	return "malformed fortran_order";
}

static const char *parse_shape_value(const char **pp, tensor *t)
{
	const char *p = *pp;
	if (*p++ != '(')
		return "malformed shape";
	t->ndim = 0;
	for (;;) {
		p = skip_ws(p);
		if (*p == ')') {
			p++;
			break;
		}
		if (!isdigit((unsigned char)*p))
			return "malformed shape";
		if (t->ndim == TENSOR_MAXDIM)
			return "too many dimensions";
		char *end;
		long long v = strtoll(p, &end, 10);
		if (v < 0 || v > NPY_MAX_BYTES)
			return "dimension out of range";
		t->shape[t->ndim++] = v;
		p = skip_ws(end);
		if (*p == ',')
			p++;
		else if (*p != ')')
			return "malformed shape";
	}
	*pp = p;
	return NULL;
}

static const char *parse_dict(char *h, tensor *t)
{
	int seen_descr = 0, seen_order = 0, seen_shape = 0;
	const char *p = skip_ws(h), *err;
	if (*p++ != '{')
		return "header is not a dict";
	for (;;) {
		p = skip_ws(p);
		if (*p == '}')
			break;
		if (*p != '\'' && *p != '"')
			return "malformed header";
		char q = *p++;
		const char *k = p;
		while (*p && *p != q)
			p++;
		if (!*p)
			return "malformed header";
		size_t klen = p - k;
		p = skip_ws(p + 1);
		if (*p++ != ':')
			return "malformed header";
		p = skip_ws(p);
		if (klen == 5 && !strncmp(k, "descr", 5))
			err = parse_descr_value(&p, t), seen_descr = 1;
		else if (klen == 13 && !strncmp(k, "fortran_order", 13))
			err = parse_order_value(&p), seen_order = 1;
		else if (klen == 5 && !strncmp(k, "shape", 5))
			err = parse_shape_value(&p, t), seen_shape = 1;
		else
			err = "unknown key in header";
		if (err)
			return err;
		p = skip_ws(p);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return "malformed header";
	}
	if (!seen_descr || !seen_order || !seen_shape)
		return "header lacks descr, fortran_order or shape";
	/* As numpy, the product leaves zeros out: an empty [0,2^40,2^40] holds
	   no data, yet H*W of it would overflow in whatever reads it. */
	int64_t bytes = t->itemsize;
	for (int i = 0; i < t->ndim; i++) {
		if (!t->shape[i])
			continue;
		if (bytes > NPY_MAX_BYTES / t->shape[i])
			return "array too large";
		bytes *= t->shape[i];
	}
	return NULL;
}

int npy_read_header(FILE *f, const char *path, tensor *t)
{
	unsigned char pre[10];
	size_t got = fread(pre, 1, 8, f);
	if (ferror(f))
		fatal("%s: read error: %s", display_name(path), strerror(errno));
	if (got == 0 && feof(f))
		return 0;
	if (got < 6 || memcmp(pre, magic, 6)) {
		/* two bytes more tell a safetensors file */
		if (got == 8)
			got += fread(pre + 8, 1, 2, f);
		const char *kind = file_kind_phrase(pre, got);
		if (kind)
			fatal("%s: %s, not an NPY tensor stream", display_name(path), kind);
		fatal("%s: not an NPY file (bad magic)", display_name(path));
	}
	if (got < 8)
		fatal("%s: truncated NPY header", display_name(path));
	int major = pre[6];
	size_t hlen;
	if (major == 1) {
		xfread(pre + 8, 2, f, path);
		hlen = pre[8] | (pre[9] << 8);
	} else if (major == 2 || major == 3) {
		unsigned char l[4];
		xfread(l, 4, f, path);
		hlen = l[0] | (l[1] << 8) | ((size_t)l[2] << 16) | ((size_t)l[3] << 24);
		if (hlen > (1 << 20))
			fatal("%s: NPY header too long", display_name(path));
	} else {
		fatal("%s: unsupported NPY format version %d.%d", display_name(path), pre[6], pre[7]);
	}
	char *h = xmalloc(hlen + 1);
	if (fread(h, 1, hlen, f) != hlen) {
		if (ferror(f))
			fatal("%s: read error: %s", display_name(path), strerror(errno));
		fatal("%s: truncated NPY header", display_name(path));
	}
	/* the format ends the header with a newline: without one, the length
	   field is wrong, and the data would be read from the wrong place */
	if (!hlen || h[hlen - 1] != '\n')
		fatal("%s: NPY header of %zu bytes does not end in a newline: its length field is wrong",
		      display_name(path), hlen);
	h[hlen] = 0;
	memset(t, 0, sizeof *t);
	const char *err = parse_dict(h, t);
	free(h);
	if (err)
		fatal("%s: %s", display_name(path), err);
	return 1;
}

tensor *npy_read(FILE *f, const char *path)
{
	tensor hdr;
	if (!npy_read_header(f, path, &hdr))
		return NULL;
	tensor *t = xmalloc(sizeof *t);
	*t = hdr;
	size_t n = tensor_bytes(t);
	char s[128], why[200];
	snprintf(why, sizeof why, "truncated array %s (%zu bytes expected)", shape_str(t, s, sizeof s), n);
	t->data = read_payload(f, n, path, why);
	return t;
}

void npy_write_header(FILE *f, const char *path, const tensor *t)
{
	char descr[16], dict[512];
	switch (t->dtype) {
	case DT_U8: strcpy(descr, "|u1"); break;
	case DT_I32: strcpy(descr, "<i4"); break;
	case DT_I64: strcpy(descr, "<i8"); break;
	case DT_F32: strcpy(descr, "<f4"); break;
	case DT_STR: snprintf(descr, sizeof descr, "|S%zu", t->itemsize); break;
	}
	int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (int i = 0; i < t->ndim; i++)
		n += snprintf(dict + n, sizeof dict - n, "%lld,%s", (long long)t->shape[i],
			      (i + 1 < t->ndim) ? " " : "");
	if (t->ndim > 1)
		n--; /* numpy writes (2, 3) but (2,) */
	n += snprintf(dict + n, sizeof dict - n, "), }");
	/* pad with spaces so that data starts on a 64-byte boundary, end with \n */
	size_t total = 10 + n + 1;
	size_t pad = (64 - total % 64) % 64;
	size_t hlen = n + pad + 1;
	unsigned char pre[10];
	memcpy(pre, magic, 6);
	pre[6] = 1;
	pre[7] = 0;
	pre[8] = hlen & 0xff;
	pre[9] = hlen >> 8;
	xfwrite(pre, 10, f, path);
	memset(dict + n, ' ', pad);
	dict[n + pad] = '\n';
	xfwrite(dict, hlen, f, path);
}

void npy_write(FILE *f, const char *path, const tensor *t)
{
	npy_write_header(f, path, t);
	xfwrite(t->data, tensor_bytes(t), f, path);
}
