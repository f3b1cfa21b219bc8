/* fuzz_image: the PNG (palette indices and colour) and JPEG readers. */
#include "harness.h"
#include "formats/image.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	TRY(image_free(png_read_indices(path)));
	TRY(image_free(png_read(path)));
	TRY(image_free(jpeg_read(path)));
}
