/* fuzz_json: the JSON parser on its own (it reports errors, never dies). */
#include "harness.h"
#include "base/json.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	const char *err;
	json *j = json_parse((const char *)data, size, &err);
	if (j)
		json_free(j);
}
