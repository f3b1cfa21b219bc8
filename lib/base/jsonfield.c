/* jsonfield.c: a JSON object's fields checked by type and range. */
#include "base/jsonfield.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>

static const char *json_kind_name(json_kind k)
{
	static const char *names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
	return names[k];
}

/* What f allows, in words: "an integer from 1 up". */
static void field_wants(const json_field *f, char *want, size_t n)
{
	const char *what = f->type == 'i' ? "an integer" : "a number";
	if (f->type == 's' || f->type == 'S')
		snprintf(want, n, "%s", f->type == 's' ? "a string" : "an array of strings");
	else if (f->type == 'N')
		snprintf(want, n, "a number or null");
	else if (f->hi >= (double)LONG_MAX)
		snprintf(want, n, "%s from %g up", what, f->lo);
	else if (f->hi == JSON_BELOW_1)
		snprintf(want, n, "%s from %g to below 1", what, f->lo);
	else
		snprintf(want, n, "%s from %.0f to %.0f", what, f->lo, f->hi);
}

void json_field_check(const char *where, const json_field *f, const json *v)
{
	int ok;
	if (f->type == 's' || f->type == 'S') {
		ok = v->kind == (f->type == 's' ? JSON_STRING : JSON_ARRAY);
		for (int i = 0; ok && f->type == 'S' && i < v->n; i++)
			ok = v->items[i]->kind == JSON_STRING;
	} else {
		ok = v->kind == JSON_NUMBER && (f->type != 'i' || v->is_int) && v->number >= f->lo &&
		     v->number <= f->hi;
		ok = ok || (f->type == 'N' && v->kind == JSON_NULL);
	}
	if (ok)
		return;
	char want[96];
	field_wants(f, want, sizeof want);
	if (v->kind == JSON_NUMBER)
		fatal("%s: field '%s' is %.17g: it must be %s", where, f->key, v->number, want);
	fatal("%s: field '%s' is %s: it must be %s", where, f->key, json_kind_name(v->kind), want);
}

void json_fields_check(const char *where, const json_field *fields, const json *obj)
{
	for (const json_field *f = fields; f->key; f++) {
		const json *v = json_get(obj, f->key);
		if (v)
			json_field_check(where, f, v);
	}
}
