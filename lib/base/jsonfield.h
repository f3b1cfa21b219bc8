/* jsonfield.h: the fields of a JSON object checked by type and range, for
   metadata that a file carries and a tool reads back: a field of another
   type is an error, never a default; unknown fields are left alone. */
#ifndef NN_JSONFIELD_H
#define NN_JSONFIELD_H

#include "base/json.h"

/* The largest double below 1: the bound of a range [lo, 1). */
#define JSON_BELOW_1 (1 - 0x1p-53)

typedef struct json_field {
	const char *key;
	char type;        /* 'i' integer, 'n' number, 'N' number or null (not
			     finite when written), 's' string, 'S' array of strings */
	double lo, hi;    /* 'i', 'n', 'N': the values allowed, inclusive */
} json_field;

/* Dies unless v, the value of field f, is what f says; where names the
   object in the message ("model.safetensors: metadata config"). */
void json_field_check(const char *where, const json_field *f, const json *v);
/* json_field_check on each of the fields (ended by a NULL key) that obj
   has. */
void json_fields_check(const char *where, const json_field *fields, const json *obj);

#endif
