/* tests/image.c: PNG write/read round trips and hand-computed resizes. */
#include "check.h"
#include "formats/image.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int same(const image *a, const image *b)
{
	return a->w == b->w && a->h == b->h && a->c == b->c &&
	       !memcmp(a->px, b->px, (size_t)a->w * a->h * a->c);
}

int main(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/nn-image-%ld.png", (long)getpid());
	for (int c = 1; c <= 3; c += 2) {
		image *im = image_new(5, 3, c);
		for (int i = 0; i < 5 * 3 * c; i++)
			im->px[i] = (uint8_t)(i * 37 + 11);
		png_write(path, im);
		image *back = png_read(path);
		if (same(im, back))
			PASS("png-round-trip-%d-channels", c);
		else
			FAIL("png-round-trip-%d-channels", c);
		image_free(im);
		image_free(back);
	}
	unlink(path);

	/* 2x4 grey image; bilinear to 4x8 (align_corners=False) by hand:
	   along a row [0, 40]: positions 0,1,2,3 map to src -0.25->0, 0.25, 0.75, 1.25->1
	   so 0, 10, 30, 40 */
	image *im = image_new(2, 1, 1);
	im->px[0] = 0;
	im->px[1] = 40;
	image *r = image_resize_bilinear(im, 4, 1);
	if (r->px[0] == 0 && r->px[1] == 10 && r->px[2] == 30 && r->px[3] == 40)
		PASS("bilinear-upscale-by-hand");
	else
		FAIL("bilinear-upscale-by-hand: %d %d %d %d", r->px[0], r->px[1], r->px[2], r->px[3]);
	image_free(r);
	/* halving averages pairs: src = 2 * (d + 0.5) - 0.5 = 2d + 0.5 */
	image *row = image_new(4, 1, 1);
	memcpy(row->px, (uint8_t[]){10, 20, 31, 40}, 4);
	r = image_resize_bilinear(row, 2, 1);
	if (r->px[0] == 15 && r->px[1] == 36)   /* 15 and 35.5 rounds to even 36 */
		PASS("bilinear-halve-by-hand");
	else
		FAIL("bilinear-halve-by-hand: %d %d", r->px[0], r->px[1]);
	image_free(r);
	/* nearest 4 -> 3: src = floor(d * 4/3) = 0, 1, 2 */
	r = image_resize_nearest(row, 3, 1);
	if (r->px[0] == 10 && r->px[1] == 20 && r->px[2] == 31)
		PASS("nearest-by-hand");
	else
		FAIL("nearest-by-hand: %d %d %d", r->px[0], r->px[1], r->px[2]);
	image_free(r);
	r = image_resize_nearest(im, 4, 1);
	if (r->px[0] == 0 && r->px[1] == 0 && r->px[2] == 40 && r->px[3] == 40)
		PASS("nearest-double");
	else
		FAIL("nearest-double");
	image_free(r);
	image_free(row);
	image_free(im);
	return check_failures ? 1 : 0;
}
