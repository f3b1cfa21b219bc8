/* json.h: a small strict JSON parser into a tree (safetensors headers, model
   metadata). Strict means RFC 8259 and nothing more: no comments, no trailing
   commas, no leading zeros, valid UTF-8 only, no duplicate keys, and a depth
   limit so that hostile input cannot exhaust the stack. */
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
/* s as a JSON string literal, quotes included, in new memory. Quotes,
   backslashes and control characters are escaped; bytes that are not valid
   UTF-8 become U+FFFD, so that the result always parses. */
char *json_quote(const char *s);

#endif
