/* fuzz_idx: the IDX reader (plain and gzip), as images and as labels. */
#include "harness.h"
#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	const char *path = as_file(data, size);
	if (!path)
		return 0;
	fdmark m = fd_mark();
	nn_error_jump = &jb;
	for (int ndim = 1; ndim <= 3; ndim += 2)
		if (!setjmp(jb))
			tensor_free(idx_read(path, ndim));
	nn_error_jump = NULL;
	fd_release(m);
	return 0;
}
