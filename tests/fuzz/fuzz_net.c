/* fuzz_net: the .net description parser and its shape inference. */
#include "harness.h"
#include "net.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	/* as nn-train reads it: a text without NUL bytes */
	if (memchr(data, 0, size))
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	nn_error_jump = &jb;
	if (!setjmp(jb))
		net_free(net_parse(text, "input"));
	nn_error_jump = NULL;
	free(text);
	return 0;
}
