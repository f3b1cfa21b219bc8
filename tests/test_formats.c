/* test_formats.c: NPY streams, safetensors files and the JSON parser against
   hand-written bytes and values. With --copy-npy IN OUT or --copy-st IN OUT it
   instead copies a file through the reader and the writer, which is how
   tests/formats.sh checks them against numpy and PyTorch and feeds them bad
   input. */
#include "check.h"
#include "base/json.h"
#include "formats/npy.h"
#include "formats/safetensors.h"
#include "base/output.h"
#include "base/util.h"

#include <dirent.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void copy_npy(const char *in, const char *out)
{
	FILE *f = xfopen_read(in);
	outfile *o = out_open(out);
	tensor *t;
	while ((t = npy_read(f, in))) {
		npy_write(o->f, o->path, t);
		tensor_free(t);
	}
	out_commit(o);
}

static void copy_st(const char *in, const char *out)
{
	st_file *s = st_read(in);
	st_write(out, s);
	st_free(s);
}

static int same_tensor(const tensor *a, const tensor *b)
{
	if (a->dtype != b->dtype || a->ndim != b->ndim || a->itemsize != b->itemsize)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	return !memcmp(a->data, b->data, tensor_bytes(a));
}

static tensor *make(dtype dt, int ndim, const int64_t *shape, size_t itemsize)
{
	tensor *t = tensor_new(dt, ndim, shape, itemsize);
	unsigned char *p = t->data;
	for (size_t i = 0; i < tensor_bytes(t); i++)
		p[i] = (unsigned char)(i * 37 + 11);
	return t;
}

/* One array of each kind the streams carry, with edge values. */
static int sample_arrays(tensor **ts)
{
	int n = 0;
	ts[n++] = make(DT_U8, 4, (int64_t[]){2, 1, 3, 4}, 0);
	tensor *i32 = make(DT_I32, 1, (int64_t[]){4}, 0);
	int32_t v32[4] = {INT32_MIN, -1, 0, INT32_MAX};
	memcpy(i32->data, v32, sizeof v32);
	ts[n++] = i32;
	tensor *i64 = make(DT_I64, 2, (int64_t[]){2, 2}, 0);
	int64_t v64[4] = {INT64_MIN, -1, 12345678901234LL, INT64_MAX};
	memcpy(i64->data, v64, sizeof v64);
	ts[n++] = i64;
	tensor *f32 = make(DT_F32, 3, (int64_t[]){3, 1, 2}, 0);
	float vf[6] = {-0.0f, 1.5f, FLT_MIN / 4, FLT_MAX, INFINITY, NAN};
	memcpy(f32->data, vf, sizeof vf);
	ts[n++] = f32;
	char *names[] = {"T-shirt/top", "Trouser", ""};
	ts[n++] = names_to_tensor(names, 3);
	tensor *scalar = make(DT_F32, 0, NULL, 0);
	*(float *)scalar->data = 3.25f;
	ts[n++] = scalar;
	ts[n++] = make(DT_U8, 4, (int64_t[]){0, 1, 28, 28}, 0);
	ts[n++] = make(DT_F32, 1, (int64_t[]){0}, 0);
	ts[n++] = make(DT_I64, 0, NULL, 0);
	/* eight dimensions with long sizes: a header past 64 bytes */
	ts[n++] = make(DT_U8, 8, (int64_t[]){1, 2, 1, 3, 1, 1, 2, 1000001}, 0);
	return n;
}

static void test_npy_round_trip(void)
{
	tensor *ts[16];
	int n = sample_arrays(ts);
	FILE *f = tmpfile();
	if (!f) {
		FAIL("npy round trip: cannot make a temporary file");
		return;
	}
	int aligned = 1;
	for (int i = 0; i < n; i++) {
		long start = ftell(f);
		npy_write_header(f, "tmp", ts[i]);
		if ((ftell(f) - start) % 64)
			aligned = 0;
		xfwrite(ts[i]->data, tensor_bytes(ts[i]), f, "tmp");
	}
	if (aligned)
		PASS("npy data starts 64-byte aligned from the array start");
	else
		FAIL("npy data starts 64-byte aligned from the array start");
	rewind(f);
	for (int i = 0; i < n; i++) {
		tensor *t = npy_read(f, "tmp");
		char s1[200], s2[200];
		if (!t)
			FAIL("npy round trip %d: stream ended early", i);
		else if (!same_tensor(t, ts[i]))
			FAIL("npy round trip %d: %s %s came back as %s %s", i, dtype_name(ts[i]->dtype),
			     shape_str(ts[i], s1, sizeof s1), dtype_name(t->dtype), shape_str(t, s2, sizeof s2));
		else
			PASS("npy round trip %s %s", dtype_name(t->dtype), shape_str(t, s1, sizeof s1));
		tensor_free(t);
	}
	tensor *end = npy_read(f, "tmp");
	if (end)
		FAIL("npy stream end: an array past the end");
	else
		PASS("npy stream end");
	fclose(f);
	for (int i = 0; i < n; i++)
		tensor_free(ts[i]);
}

/* The header numpy itself writes for a float32 [2,3] array, byte for byte. */
static void test_npy_header_bytes(void)
{
	const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
	unsigned char want[128];
	memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10);
	memset(want + 10, ' ', sizeof want - 10);
	memcpy(want + 10, dict, strlen(dict));
	want[127] = '\n';
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	tensor *t = tensor_new4(DT_F32, 2, 3, 0, 0, 2);
	npy_write_header(m, "mem", t);
	fclose(m);
	if (len == sizeof want && !memcmp(buf, want, len))
		PASS("npy header bytes as numpy writes them");
	else
		FAIL("npy header bytes as numpy writes them: got %zu bytes '%.*s'", len, (int)len, buf);
	free(buf);
	tensor_free(t);
}

static void test_json_values(void)
{
	const char *doc = " {\"a\": [1, -2.5e3, true, false, null, {}, []],\r\n"
			  "\"s\": \"q\\\"b\\\\\\/\\n\\u00e9\\ud83d\\ude00\xe2\x80\x94\","
			  "\"big\": 9007199254740993, \"neg\": -0, \"e\": 1E2} ";
	const char *err;
	json *j = json_parse(doc, strlen(doc), &err);
	if (!j) {
		FAIL("json values: %s", err);
		return;
	}
	json *a = json_get(j, "a"), *s = json_get(j, "s"), *big = json_get(j, "big");
	json *neg = json_get(j, "neg"), *e = json_get(j, "e");
	int ok = j->kind == JSON_OBJECT && j->n == 5 && a && a->kind == JSON_ARRAY && a->n == 7 &&
		 a->items[0]->kind == JSON_NUMBER && a->items[0]->is_int && a->items[0]->integer == 1 &&
		 a->items[1]->number == -2500 && !a->items[1]->is_int &&
		 a->items[2]->kind == JSON_BOOL && a->items[2]->boolean == 1 &&
		 a->items[3]->kind == JSON_BOOL && a->items[3]->boolean == 0 &&
		 a->items[4]->kind == JSON_NULL && a->items[5]->kind == JSON_OBJECT &&
		 a->items[5]->n == 0 && a->items[6]->kind == JSON_ARRAY && a->items[6]->n == 0 &&
		 s && s->kind == JSON_STRING &&
		 !strcmp(s->str, "q\"b\\/\n\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\x94") &&
		 big && big->is_int && big->integer == 9007199254740993LL && neg && neg->is_int &&
		 neg->integer == 0 && e && !e->is_int && e->number == 100 &&
		 !json_get(j, "missing") && !json_get(a, "a");
	if (ok)
		PASS("json values");
	else
		FAIL("json values: a value differs");
	json_free(j);
}

static void test_json_errors(void)
{
	static const char *bad[] = {
		"", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "1e", "0x10",
		"\"\\x\"", "\"a\x01\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"",
		"\"\\u12g4\"", "{\"a\":1,\"a\":2}", "[1] x", "tru", "nul", "\"\xff\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x80\"", "NaN", "'a'", "{a:1}",
		"{\"a\" 1}", "[1 2]", "\"abc", "1e999", "// c\n1", "[1]\0",
	};
	int n = sizeof bad / sizeof *bad, failed = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(bad[i]) + (i == n - 1);   /* the last one has a NUL after it */
		const char *err = NULL;
		json *j = json_parse(bad[i], len, &err);
		if (j || !err || !*err) {
			FAIL("json rejects '%s'", bad[i]);
			failed = 1;
		}
		json_free(j);
	}
	if (!failed)
		PASS("json rejects %d malformed texts", n);

	const char *err;
	json *j = json_parse("[1, x]", 6, &err);
	if (!j && !strcmp(err, "unexpected character at byte 4"))
		PASS("json error names the byte");
	else
		FAIL("json error names the byte: got '%s'", j ? "(parsed)" : err);
	json_free(j);

	char deep[2 * JSON_MAX_DEPTH + 3];
	for (int d = JSON_MAX_DEPTH; d <= JSON_MAX_DEPTH + 1; d++) {
		memset(deep, '[', d);
		memset(deep + d, ']', d);
		j = json_parse(deep, 2 * d, &err);
		if ((j != NULL) == (d == JSON_MAX_DEPTH))
			PASS("json depth %d %s", d, j ? "accepted" : "rejected");
		else
			FAIL("json depth %d %s", d, j ? "accepted" : "rejected");
		json_free(j);
	}
}

static void test_json_quote(void)
{
	char s[64];
	int n = 0;
	for (int c = 1; c < 0x20; c++)
		s[n++] = c;
	strcpy(s + n, "\"\\/\x7f\xc3\xa9\xff!");
	char *q = json_quote(s);
	const char *err;
	json *j = json_parse(q, strlen(q), &err);
	char want[80];
	memcpy(want, s, n);
	strcpy(want + n, "\"\\/\x7f\xc3\xa9\xef\xbf\xbd!");   /* the stray \xff becomes U+FFFD */
	if (j && j->kind == JSON_STRING && !strcmp(j->str, want) && strstr(q, "\\u001f") &&
	    strstr(q, "\\n") && strstr(q, "\\\""))
		PASS("json_quote escapes and parses back");
	else
		FAIL("json_quote escapes and parses back: %s", q);
	free(q);
	json_free(j);
}

/* The writer's text parses back to what was written: nesting, commas,
   escaped keys and strings, integers, numbers that read back exactly
   (doubles in at most 17 digits, floats in 9), and a long text that outgrows
   any fixed buffer. */
static void test_json_writer(void)
{
	static const double d[] = {0.1, 1e-3, 1.0 / 3, 123456789.123456789, 5e-324, 1.7976931348623157e308, -0.0};
	const float f = 0.1f;
	json_writer w = {0};
	json_object_begin(&w);
	json_key(&w, "a \"key\"\n");
	json_array_begin(&w);
	for (size_t i = 0; i < sizeof d / sizeof *d; i++)
		json_number(&w, d[i]);
	json_array_end(&w);
	json_key(&w, "f");
	json_float(&w, f);
	json_key(&w, "i");
	json_int(&w, -9007199254740993LL);
	json_key(&w, "empty");
	json_object_begin(&w);
	json_object_end(&w);
	json_key(&w, "long");
	json_array_begin(&w);
	for (int i = 0; i < 5000; i++)
		json_string(&w, "x\ty");
	json_array_end(&w);
	json_object_end(&w);
	char *text = json_writer_finish(&w);
	const char *err = "";
	json *j = json_parse(text, strlen(text), &err);
	int ok = j && j->kind == JSON_OBJECT && j->n == 5;
	const json *a = ok ? json_get(j, "a \"key\"\n") : NULL;
	ok = ok && a && a->kind == JSON_ARRAY && a->n == (int)(sizeof d / sizeof *d);
	for (int i = 0; ok && i < a->n; i++)
		ok = a->items[i]->kind == JSON_NUMBER && a->items[i]->number == d[i];
	const json *jf = ok ? json_get(j, "f") : NULL, *ji = ok ? json_get(j, "i") : NULL;
	const json *je = ok ? json_get(j, "empty") : NULL, *jl = ok ? json_get(j, "long") : NULL;
	ok = ok && jf && (float)jf->number == f && ji && ji->is_int && ji->integer == -9007199254740993LL && je && je->kind == JSON_OBJECT && !je->n &&
	     jl && jl->n == 5000 && !strcmp(jl->items[4999]->str, "x\ty");
	if (ok && strstr(text, "\"f\":0.100000001,") && strstr(text, "0.001,"))
		PASS("json writer: nested values parse back exactly (%zu bytes)", strlen(text));
	else
		FAIL("json writer: %s: %.200s", j ? "values differ" : err, text);
	json_free(j);
	free(text);
}

static const char *net_text = "# a \"quoted\" comment with a back\\slash\tand a tab\n"
			      "input 1 28 28\nconv 32 3 pad=1\nrelu\n";
static const char *unicode_text = "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80";

static void test_st_round_trip(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
	st_file *s = st_new();
	st_set_meta(s, "net", net_text);
	st_set_meta(s, "classes", "[\"T-shirt/top\", \"Ankle boot\"]");
	st_set_meta(s, "unicode", unicode_text);
	st_set_meta(s, "empty", "");
	st_set_meta(s, "step", "1");
	st_set_meta(s, "step", "1200");   /* replaces */
	st_add(s, "0.weight", make(DT_F32, 4, (int64_t[]){2, 1, 3, 3}, 0));
	st_add(s, "0.bias", make(DT_F32, 1, (int64_t[]){2}, 0));
	tensor *nbt = make(DT_I64, 0, NULL, 0);
	*(int64_t *)nbt->data = 12345678901234LL;
	st_add(s, "1.num_batches_tracked", nbt);
	st_add(s, "idx", make(DT_I32, 1, (int64_t[]){3}, 0));
	st_add(s, "empty", make(DT_U8, 2, (int64_t[]){0, 5}, 0));
	st_add(s, "3.weight", make(DT_U8, 2, (int64_t[]){2, 2}, 0));
	st_add(s, "0.bias", make(DT_F32, 1, (int64_t[]){3}, 0));   /* replaces */
	st_write(path, s);

	st_file *r = st_read(path);
	int ok = r->n == s->n && r->nmeta == s->nmeta;
	for (int i = 0; ok && i < s->n; i++)
		ok = !strcmp(r->names[i], s->names[i]) && same_tensor(r->tensors[i], s->tensors[i]);
	for (int i = 0; ok && i < s->nmeta; i++)
		ok = !strcmp(r->meta_keys[i], s->meta_keys[i]) && !strcmp(r->meta_vals[i], s->meta_vals[i]);
	if (ok && s->n == 6 && s->nmeta == 5 && st_get(r, "0.bias")->shape[0] == 3 &&
	    !strcmp(st_meta(r, "step"), "1200") && !strcmp(st_meta(r, "net"), net_text) &&
	    !strcmp(st_meta(r, "unicode"), unicode_text) && st_get(r, "1.num_batches_tracked")->ndim == 0 &&
	    !st_get(r, "nothing") && !st_meta(r, "nothing"))
		PASS("safetensors round trip (order, dtypes, scalar, empty, metadata)");
	else
		FAIL("safetensors round trip (order, dtypes, scalar, empty, metadata)");
	st_free(r);
	st_free(s);

	/* out_commit renamed the temporary file: nothing else is left */
	DIR *d = opendir(tmpdir);
	int others = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "model.safetensors"))
			others++;
	if (d)
		closedir(d);
	if (d && !others)
		PASS("safetensors write leaves no temporary file");
	else
		FAIL("safetensors write leaves no temporary file");
	unlink(path);
}

/* A one-tensor file written out by hand from the format's description. */
static void test_st_bytes(void)
{
	char path[300];
	snprintf(path, sizeof path, "%s/tiny.safetensors", tmpdir);
	st_file *s = st_new();
	st_set_meta(s, "k", "v");
	tensor *t = tensor_new4(DT_F32, 1, 0, 0, 0, 1);
	*(float *)t->data = 1.0f;
	st_add(s, "a", t);
	st_write(path, s);
	st_free(s);
	const char want[] = "\x50\0\0\0\0\0\0\0"
			    "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
			    "\"data_offsets\":[0,4]}} "
			    "\x00\x00\x80\x3f";
	size_t len;
	char *got = read_file(path, &len);
	if (len == sizeof want - 1 && !memcmp(got, want, len))
		PASS("safetensors bytes of a one-tensor file");
	else
		FAIL("safetensors bytes of a one-tensor file: got %zu bytes, header '%.*s'", len,
		     len > 8 ? (int)len - 8 : 0, got + 8);
	free(got);
	unlink(path);
}

int main(int argc, char **argv)
{
	nn_prog = "test_formats";
	if (argc == 4 && !strcmp(argv[1], "--copy-npy")) {
		copy_npy(argv[2], argv[3]);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--copy-st")) {
		copy_st(argv[2], argv[3]);
		return 0;
	}
	if (argc != 1)
		usage_error("usage: test_formats [--copy-npy IN OUT | --copy-st IN OUT]");
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/test_formats.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		fatal("%s: cannot make a temporary directory", tmpdir);
	test_npy_round_trip();
	test_npy_header_bytes();
	test_json_values();
	test_json_errors();
	test_json_quote();
	test_json_writer();
	test_st_round_trip();
	test_st_bytes();
	rmdir(tmpdir);
	return check_failures ? 1 : 0;
}
