/* fuzz_net: the .net description parser and its shape inference. */
#include "harness.h"
#include "nn/net.h"

#include <stdlib.h>
#include <string.h>

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	/* as nn-train reads it: a text without NUL bytes */
	if (memchr(data, 0, size))
		return;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	TRY(net_free(net_parse(text, "input")));
	free(text);
}
