/* fuzz_safetensors: the safetensors reader, its JSON header included. */
#include "harness.h"
#include "formats/safetensors.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	TRY(st_free(st_read(path)));
}
