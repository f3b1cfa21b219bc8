/* fuzz_npy: the NPY stream reader, every array the input holds. */
#include "harness.h"
#include "formats/npy.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	FILE *f = fmemopen((void *)data, size, "rb");
	if (!f)
		return;
	TRY(for (tensor *t; (t = npy_read(f, "input"));) tensor_free(t));
	fclose(f);
}
