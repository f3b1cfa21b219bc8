/* fuzz_safetensors: the safetensors reader, its JSON header included. */
#include "harness.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	const char *path = as_file(data, size);
	if (!path)
		return 0;
	fdmark m = fd_mark();
	nn_error_jump = &jb;
	if (!setjmp(jb))
		st_free(st_read(path));
	nn_error_jump = NULL;
	fd_release(m);
	return 0;
}
