/* image.h: reading JPEG photos and palette PNG label maps, writing PNG, resizing. */
#ifndef NN_IMAGE_H
#define NN_IMAGE_H

#include <stdint.h>

/* 8-bit image, interleaved channels (1 grey, 3 RGB), row-major. */
typedef struct image {
	int w, h, c;
	uint8_t *px;
} image;

image *image_new(int w, int h, int c);
void image_free(image *im);

/* RGB photo through libjpeg-turbo; a grey JPEG becomes 3 equal channels.
   Dies with "prog: path: reason" on a corrupt or truncated file. */
image *jpeg_read(const char *path);
/* Palette PNG: returns the raw palette indices (c = 1). Dies when the PNG
   is not of colour type palette ("RGB instead of palette"). */
image *png_read_indices(const char *path);
/* Any PNG as 8-bit grey (c=1) or RGB (c=3), for tests and tools. */
image *png_read(const char *path);
/* PNG of 1 (grey) or 3 (RGB) channels; atomic when path is a file, "-" is stdout. */
void png_write(const char *path, const image *im);
/* The same into an output opened with out_open, not committed. */
struct outfile;
void png_write_to(struct outfile *o, const image *im);

/* Resize: bilinear (align_corners=False, as PyTorch) for photos, nearest for labels. */
image *image_resize_bilinear(const image *im, int w, int h);
image *image_resize_nearest(const image *im, int w, int h);

#endif
