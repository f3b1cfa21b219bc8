/* fuzz_npy: the NPY stream reader, every array the input holds. */
#include "harness.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	nn_error_jump = &jb;
	if (!setjmp(jb))
		for (tensor *t; (t = npy_read(f, "input"));)
			tensor_free(t);
	nn_error_jump = NULL;
	fclose(f);
	return 0;
}
