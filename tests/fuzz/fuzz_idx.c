/* fuzz_idx: the IDX reader (plain and gzip), as images and as labels. */
#include "harness.h"
#include "formats/idx.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	for (int ndim = 1; ndim <= 3; ndim += 2)
		TRY(tensor_free(idx_read(path, ndim)));
}
