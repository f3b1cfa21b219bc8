/* json.h: a small strict JSON parser into a tree, and a writer (safetensors
   headers, model metadata, the training configuration). Strict means RFC
   8259 and nothing more: no comments, no trailing commas, no leading zeros,
   valid UTF-8 only, no duplicate keys, and a depth limit so that hostile
   input cannot exhaust the stack. */
#ifndef NN_JSON_H
#define NN_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json {
	json_kind kind;
	int boolean;          /* JSON_BOOL: 0 or 1 */
	double number;        /* JSON_NUMBER */
	int is_int;           /* JSON_NUMBER written as an integer that fits int64 ... */
	int64_t integer;      /* ... and its exact value (doubles lose digits past 2^53) */
	char *str;            /* JSON_STRING: UTF-8, NUL-terminated (a \u0000 is rejected) */
	int n;                /* JSON_ARRAY, JSON_OBJECT: number of items */
	struct json **items;  /* elements, or the values of an object in file order */
	char **keys;          /* JSON_OBJECT: the keys, parallel to items */
} json;

/* Parses exactly len bytes (surrounding whitespace allowed, nothing else).
   On error returns NULL and points *err at a message such as
   "expected ':' at byte 17" (static storage, valid until the next call). */
json *json_parse(const char *text, size_t len, const char **err);
/* The value of key in an object; NULL when absent or when obj is no object. */
json *json_get(const json *obj, const char *key);
void json_free(json *j);
/* A JSON text built in a growing buffer: values, and objects and arrays
   begun and ended around them; the commas and colons in between are the
   writer's. Compact (no spaces). Start from json_writer w = {0}. */
typedef struct json_writer {
	char *buf;
	size_t len, cap;
	int depth;
	int count[JSON_MAX_DEPTH];  /* items written so far in each open container */
	int after_key;              /* a key was written: its value comes next */
} json_writer;
void json_object_begin(json_writer *w);
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w);
void json_array_end(json_writer *w);
/* A key of the object being written; its value follows. */
void json_key(json_writer *w, const char *key);
/* Escaped as json_quote() says. */
void json_string(json_writer *w, const char *s);
void json_int(json_writer *w, long long v);
/* Numbers read back exactly: a double in as few digits as round-trip it
   (9 to 17), a float in 9 (%.9g). Not finite: null, JSON has no NaN. */
void json_number(json_writer *w, double v);
void json_float(json_writer *w, float v);
/* The text (NUL-terminated, the caller frees it); the writer is empty again. */
char *json_writer_finish(json_writer *w);
/* s as a JSON string literal, quotes included, in new memory. Quotes,
   backslashes and control characters are escaped; bytes that are not valid
   UTF-8 become U+FFFD, so that the result always parses. */
char *json_quote(const char *s);

#endif
