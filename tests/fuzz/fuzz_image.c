/* fuzz_image: the PNG (palette indices and colour) and JPEG readers. */
#include "harness.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	const char *path = as_file(data, size);
	if (!path)
		return 0;
	fdmark m = fd_mark();
	nn_error_jump = &jb;
	if (!setjmp(jb))
		image_free(png_read_indices(path));
	if (!setjmp(jb))
		image_free(png_read(path));
	if (!setjmp(jb))
		image_free(jpeg_read(path));
	nn_error_jump = NULL;
	fd_release(m);
	return 0;
}
