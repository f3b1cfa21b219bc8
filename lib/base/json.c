/* json.c: a small strict JSON parser and a writer (see json.h). */
#include "base/json.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
	const char *start, *p, *end;
	int depth;
} parser;

static char err_buf[128];

/* Records the first error; returns NULL so that callers can `return fail(...)`. */
static void *fail(parser *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err_buf, sizeof err_buf, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof err_buf)
		snprintf(err_buf + n, sizeof err_buf - n, " at byte %zu", (size_t)(ps->p - ps->start));
	return NULL;
}

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static json *node(json_kind k)
{
	json *j = xcalloc(1, sizeof *j);
	j->kind = k;
	return j;
}

static int literal(parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return 0;
	ps->p += n;
	return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static json *parse_number(parser *ps)
{
	const char *s = ps->p, *q = s;
	int integral = 1;
	if (q < ps->end && *q == '-')
		q++;
	if (q < ps->end && *q == '0') {
		q++;
	} else if (q < ps->end && *q >= '1' && *q <= '9') {
		while (q < ps->end && is_digit(*q))
			q++;
	} else {
		ps->p = q;
		return fail(ps, "bad number");
	}
	if (q < ps->end && *q == '.') {
		integral = 0;
		if (++q >= ps->end || !is_digit(*q)) {
			ps->p = q;
			return fail(ps, "bad number");
		}
		while (q < ps->end && is_digit(*q))
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		integral = 0;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || !is_digit(*q)) {
			ps->p = q;
			return fail(ps, "bad number");
		}
		while (q < ps->end && is_digit(*q))
			q++;
	}
	char buf[64];
	if ((size_t)(q - s) >= sizeof buf)
		return fail(ps, "number too long");
	memcpy(buf, s, q - s);
	buf[q - s] = 0;
	json *j = node(JSON_NUMBER);
	errno = 0;
	j->number = strtod(buf, NULL);
	if (errno == ERANGE && isinf(j->number)) {
		free(j);
		return fail(ps, "number out of range");
	}
	if (integral) {
		errno = 0;
		long long v = strtoll(buf, NULL, 10);
		if (!errno) {
			j->is_int = 1;
			j->integer = v;
		}
	}
	ps->p = q;
	return j;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid:
   rejects overlong forms, surrogates and code points past U+10FFFF. */
static int utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp;
	int len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3f);
	o[2] = 0x80 | ((cp >> 6) & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* Parses the string literal at ps->p (at its opening quote) into a new
   NUL-terminated buffer; the buffer keeps 8 bytes spare for one escape. */
/* A string's error at q: out, the string so far, is freed */
static void *string_fail(parser *ps, const char *q, char *out, const char *why)
{
	ps->p = q;
	free(out);
	return fail(ps, "%s", why);
}

/* The code point of the \u escape whose hex digits start at *qp, a
   surrogate pair joined; moves *qp past it (or to where it goes wrong).
   NULL, or what is wrong. */
static const char *unicode_escape(const parser *ps, const char **qp, unsigned *cp)
{
	const char *q = *qp;
	unsigned lo;
	if (ps->end - q < 4 || !hex4(q, cp))
		return "bad \\u escape";
	*qp = q += 4;
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (ps->end - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4(q + 2, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff)
			return "unpaired surrogate in \\u escape";
		*qp = q + 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (*cp >= 0xdc00 && *cp <= 0xdfff) {
		return "unpaired surrogate in \\u escape";
	} else if (*cp == 0) {
		return "NUL character in string";
	}
	return NULL;
}

static char *parse_string(parser *ps)
{
	const char *q = ps->p + 1;
	size_t cap = 16, n = 0;
	char *out = xmalloc(cap);
	for (;;) {
		if (q >= ps->end)
			return string_fail(ps, q, out, "unterminated string");
		if (n + 8 > cap)
			out = xrealloc(out, cap *= 2);
		unsigned char c = *q;
		if (c == '"') {
			q++;
			break;
		}
		if (c < 0x20)
			return string_fail(ps, q, out, "control character in string");
		if (c != '\\') {
			int len = utf8_len((const unsigned char *)q, ps->end - q);
			if (!len)
				return string_fail(ps, q, out, "invalid UTF-8 in string");
			memcpy(out + n, q, len);
			n += len;
			q += len;
			continue;
		}
		if (q + 1 >= ps->end)
			return string_fail(ps, q, out, "unterminated string");
		char e = q[1];
		q += 2;
		switch (e) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp;
			const char *why = unicode_escape(ps, &q, &cp);
			if (why)
				return string_fail(ps, q, out, why);
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			return string_fail(ps, q - 1, out, "bad escape in string");
		}
	}
	out[n] = 0;
	ps->p = q;
	return out;
}

static json *parse_value(parser *ps);

static void push(json *j, int *cap, json *item, char *key)
{
	if (j->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		j->items = xrealloc(j->items, *cap * sizeof *j->items);
		if (j->kind == JSON_OBJECT)
			j->keys = xrealloc(j->keys, *cap * sizeof *j->keys);
	}
	j->items[j->n] = item;
	if (key)
		j->keys[j->n] = key;
	j->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Duplicate keys would make json_get ambiguous; sorting finds them in n log n. */
static const char *duplicate_key(const json *j)
{
	if (j->n < 2)
		return NULL;
	char **k = xmalloc(j->n * sizeof *k);
	memcpy(k, j->keys, j->n * sizeof *k);
	qsort(k, j->n, sizeof *k, cmp_str);
	const char *dup = NULL;
	for (int i = 1; i < j->n && !dup; i++)
		if (!strcmp(k[i - 1], k[i]))
			dup = k[i];
	free(k);
	return dup;
}

static json *parse_container(parser *ps, int object)
{
	if (++ps->depth > JSON_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	json *j = node(object ? JSON_OBJECT : JSON_ARRAY);
	int cap = 0;
	char close = object ? '}' : ']';
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				json_free(j);
				return fail(ps, "expected a string key");
			}
			if (!(key = parse_string(ps))) {
				json_free(j);
				return NULL;
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				json_free(j);
				return fail(ps, "expected ':'");
			}
			ps->p++;
		}
		json *v = parse_value(ps);
		if (!v) {
			free(key);
			json_free(j);
			return NULL;
		}
		push(j, &cap, v, key);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		json_free(j);
		return object ? fail(ps, "expected ',' or '}'") : fail(ps, "expected ',' or ']'");
	}
	const char *dup = object ? duplicate_key(j) : NULL;
	if (dup) {
		fail(ps, "duplicate key \"%.40s\"", dup);
		json_free(j);
		return NULL;
	}
	ps->depth--;
	return j;
}

static json *parse_value(parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of text");
	char c = *ps->p;
	if (c == '{' || c == '[')
		return parse_container(ps, c == '{');
	if (c == '"') {
		char *s = parse_string(ps);
		if (!s)
			return NULL;
		json *j = node(JSON_STRING);
		j->str = s;
		return j;
	}
	if (c == '-' || is_digit(c))
		return parse_number(ps);
	int t = literal(ps, "true");
	if (t || literal(ps, "false")) {
		json *j = node(JSON_BOOL);
		j->boolean = t;
		return j;
	}
	if (literal(ps, "null"))
		return node(JSON_NULL);
	return fail(ps, "unexpected character");
}

json *json_parse(const char *text, size_t len, const char **err)
{
	parser ps = {text, text, text + len, 0};
	err_buf[0] = 0;
	json *j = parse_value(&ps);
	if (j) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			fail(&ps, "unexpected text after the value");
			json_free(j);
			j = NULL;
		}
	}
	if (err)
		*err = j ? NULL : err_buf;
	return j;
}

json *json_get(const json *obj, const char *key)
{
	if (!obj || obj->kind != JSON_OBJECT)
		return NULL;
	for (int i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

void json_free(json *j)
{
	if (!j)
		return;
	for (int i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

/* Room for n more bytes and the NUL after them. */
static char *reserve(json_writer *w, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		w->cap = w->cap ? w->cap : 256;
		while (w->len + n + 1 > w->cap)
			w->cap *= 2;
		w->buf = xrealloc(w->buf, w->cap);
	}
	return w->buf + w->len;
}

static void put(json_writer *w, const char *s, size_t n)
{
	memcpy(reserve(w, n), s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* s as a string literal: quotes, backslashes and control characters are
   escaped; bytes that are not valid UTF-8 become U+FFFD, so that the result
   always parses. */
static void put_quoted(json_writer *w, const char *s)
{
	const char *end = s + strlen(s);
	char *o = reserve(w, (end - s) * 6 + 2);   /* "\u001f" is the longest form of one byte */
	size_t n = 0;
	o[n++] = '"';
	while (*s) {
		unsigned char c = *s;
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		}
		if (esc) {
			n += sprintf(o + n, "%s", esc);
			s++;
		} else if (c < 0x20) {
			n += sprintf(o + n, "\\u%04x", c);
			s++;
		} else {
			int len = utf8_len((const unsigned char *)s, end - s);
			if (len) {
				memcpy(o + n, s, len);
				n += len;
				s += len;
			} else {
				n += put_utf8(o + n, 0xfffd);
				s++;
			}
		}
	}
	o[n++] = '"';
	o[n] = 0;
	w->len += n;
}

/* What comes before a value or a key: a comma after an earlier item of the
   same container; nothing after a key. */
static void separate(json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0 && w->count[w->depth - 1]++)
		put(w, ",", 1);
}

static void open_container(json_writer *w, char c)
{
	separate(w);
	if (w->depth == JSON_MAX_DEPTH)
		fatal("JSON writer: more than %d levels", JSON_MAX_DEPTH);
	put(w, &c, 1);
	w->count[w->depth++] = 0;
}

static void close_container(json_writer *w, char c)
{
	if (!w->depth || w->after_key)
		fatal("JSON writer: '%c' closes nothing", c);
	w->depth--;
	put(w, &c, 1);
}

void json_object_begin(json_writer *w) { open_container(w, '{'); }
void json_object_end(json_writer *w) { close_container(w, '}'); }
void json_array_begin(json_writer *w) { open_container(w, '['); }
void json_array_end(json_writer *w) { close_container(w, ']'); }

void json_key(json_writer *w, const char *key)
{
	separate(w);
	put_quoted(w, key);
	put(w, ":", 1);
	w->after_key = 1;
}

void json_string(json_writer *w, const char *s)
{
	separate(w);
	put_quoted(w, s);
}

void json_int(json_writer *w, long long v)
{
	char b[32];
	separate(w);
	put(w, b, (size_t)snprintf(b, sizeof b, "%lld", v));
}

/* The shortest of 9 to 17 significant digits that reads back as v. */
void json_number(json_writer *w, double v)
{
	char b[40];
	separate(w);
	if (!isfinite(v)) {
		put(w, "null", 4);
		return;
	}
	int n = 0;
	for (int digits = 9; digits <= 17; digits++) {
		n = snprintf(b, sizeof b, "%.*g", digits, v);
		if (strtod(b, NULL) == v)
			break;
	}
	put(w, b, (size_t)n);
}

void json_float(json_writer *w, float v)
{
	char b[40];
	separate(w);
	if (!isfinite(v))
		put(w, "null", 4);
	else
		put(w, b, (size_t)snprintf(b, sizeof b, "%.9g", v));
}

char *json_writer_finish(json_writer *w)
{
	if (w->depth || w->after_key)
		fatal("JSON writer: unfinished text");
	char *text = w->buf ? w->buf : xstrdup("");
	memset(w, 0, sizeof *w);
	return text;
}

char *json_quote(const char *s)
{
	json_writer w = {0};
	json_string(&w, s);
	return json_writer_finish(&w);
}
