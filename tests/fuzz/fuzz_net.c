/* fuzz_net: the .net description parser and its shape inference. */
#include "harness.h"
#include "nn/net.h"

#include <stdlib.h>
#include <string.h>

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	char *text = as_text(data, size);   /* as nn-train reads a .net file */
	if (!text)
		return;
	TRY(net_free(net_parse(text, "input")));
	free(text);
}
