/* image.c: JPEG photos through libjpeg(-turbo), PNG through libpng, and the
   two resizes the data loaders need, computed as PyTorch computes them. */
#include "formats/image.h"
#include "base/output.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/* Largest image we accept: keeps w*h*c well inside size_t and int. */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 28)

static void image_check_size(const char *path, int64_t w, int64_t h)
{
	if (w < 1 || h < 1 || w * h > IMAGE_MAX_PIXELS)
		fatal("%s: unsupported image size %lldx%lld", path, (long long)w, (long long)h);
}

image *image_new(int w, int h, int c)
{
	image *im = xmalloc(sizeof *im);
	im->w = w;
	im->h = h;
	im->c = c;
	im->px = xcalloc((size_t)w * h * c, 1);
	return im;
}

void image_free(image *im)
{
	if (!im)
		return;
	free(im->px);
	free(im);
}

/* libjpeg's default error handler exits without naming the file; ours dies
   through fatal(), which never returns, so no setjmp is needed. */
struct jpeg_fail_mgr {
	struct jpeg_error_mgr mgr;
	const char *path;
	FILE *f;
};

/* libjpeg's stdio source takes a read error for the end of the file; the
   stream's error flag tells them apart. */
static void jpeg_fail(j_common_ptr c)
{
	const struct jpeg_fail_mgr *e = (const struct jpeg_fail_mgr *)c->err;
	if (ferror(e->f))
		fatal("%s: read error: %s", e->path, strerror(errno));
	char msg[JMSG_LENGTH_MAX];
	c->err->format_message(c, msg);
	fatal("%s: corrupt JPEG: %s", e->path, msg);
}

/* libjpeg reports damaged data, a truncated file included, as a warning
   (level -1) and goes on with grey blocks; a training set must not quietly
   contain those, so warnings are fatal too. Trace messages are ignored. */
static void jpeg_message(j_common_ptr c, int level)
{
	if (level < 0)
		jpeg_fail(c);
}

image *jpeg_read(const char *path)
{
	const char *name = display_name(path);
	FILE *f = xfopen_read(path);
	struct jpeg_decompress_struct cinfo;
	struct jpeg_fail_mgr err;
	cinfo.err = jpeg_std_error(&err.mgr);
	err.mgr.error_exit = jpeg_fail;
	err.mgr.emit_message = jpeg_message;
	err.path = name;
	err.f = f;
	jpeg_create_decompress(&cinfo);
	jpeg_stdio_src(&cinfo, f);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
		fatal("%s: CMYK JPEG is not supported", name);
	image_check_size(name, cinfo.image_width, cinfo.image_height);
	cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	if (cinfo.output_components != 3)
		fatal("%s: JPEG decodes to %d channels, expected 3", name, cinfo.output_components);
	image *im = image_new(cinfo.output_width, cinfo.output_height, 3);
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = im->px + (size_t)cinfo.output_scanline * im->w * 3;
		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	if (f != stdin)
		fclose(f);
	return im;
}

static void png_fail(png_structp png, png_const_charp msg)
{
	fatal("%s: corrupt PNG: %s", (const char *)png_get_error_ptr(png), msg);
}

/* libpng warns about harmless things (odd ICC profiles, unknown chunks);
   real damage goes through png_fail. */
static void png_warn(png_structp png, png_const_charp msg)
{
}

/* libpng's own reader reports a read error and the end of the file alike,
   as "Read Error"; this one says which. */
static void png_read_bytes(png_structp png, png_bytep buf, size_t n)
{
	FILE *f = png_get_io_ptr(png);
	if (fread(buf, 1, n, f) == n)
		return;
	if (ferror(f))
		fatal("%s: read error: %s", (const char *)png_get_error_ptr(png), strerror(errno));
	png_error(png, "truncated file");
}

/* Opens a PNG and reads its header; the caller sets transformations next. */
static FILE *png_open(const char *name, const char *path, png_structp *png, png_infop *info)
{
	FILE *f = xfopen_read(path);
	unsigned char sig[8];
	size_t got = fread(sig, 1, 8, f);
	if (ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (got != 8 || png_sig_cmp(sig, 0, 8))
		fatal("%s: not a PNG file", name);
	*png = png_create_read_struct(PNG_LIBPNG_VER_STRING, (void *)name, png_fail, png_warn);
	if (!*png)
		fatal("%s: cannot initialise libpng", name);
	*info = png_create_info_struct(*png);
	if (!*info)
		fatal("%s: cannot initialise libpng", name);
	png_set_read_fn(*png, f, png_read_bytes);
	png_set_sig_bytes(*png, 8);
	png_read_info(*png, *info);
	image_check_size(name, png_get_image_width(*png, *info), png_get_image_height(*png, *info));
	return f;
}

/* Reads the pixels after the transformations are set, into c channels. */
static image *png_finish(const char *name, FILE *f, png_structp png, png_infop info, int c)
{
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	int w = png_get_image_width(png, info), h = png_get_image_height(png, info);
	if (png_get_channels(png, info) != c || png_get_rowbytes(png, info) != (size_t)w * c)
		fatal("%s: unexpected PNG layout after conversion", name);
	image *im = image_new(w, h, c);
	png_bytep *rows = xmalloc(sizeof *rows * h);
	for (int y = 0; y < h; y++)
		rows[y] = im->px + (size_t)y * w * c;
	png_read_image(png, rows);
	png_read_end(png, NULL);
	free(rows);
	png_destroy_read_struct(&png, &info, NULL);
	if (f != stdin)
		fclose(f);
	return im;
}

static const char *png_type_name(int type)
{
	switch (type) {
	case PNG_COLOR_TYPE_GRAY: return "greyscale";
	case PNG_COLOR_TYPE_GRAY_ALPHA: return "greyscale with alpha";
	case PNG_COLOR_TYPE_RGB: return "RGB";
	case PNG_COLOR_TYPE_RGB_ALPHA: return "RGBA";
	default: return "of an unknown colour type";
	}
}

image *png_read_indices(const char *path)
{
	const char *name = display_name(path);
	png_structp png;
	png_infop info;
	FILE *f = png_open(name, path, &png, &info);
	int type = png_get_color_type(png, info);
	if (type != PNG_COLOR_TYPE_PALETTE)
		fatal("%s: label PNG is %s, not palette", name, png_type_name(type));
	/* 1, 2 and 4-bit indices unpacked to one byte each, values unchanged */
	png_set_packing(png);
	return png_finish(name, f, png, info, 1);
}

image *png_read(const char *path)
{
	const char *name = display_name(path);
	png_structp png;
	png_infop info;
	FILE *f = png_open(name, path, &png, &info);
	int type = png_get_color_type(png, info);
	png_set_expand(png);
	png_set_strip_16(png);
	png_set_strip_alpha(png);
	int c = (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) ? 1 : 3;
	return png_finish(name, f, png, info, c);
}

void png_write_to(outfile *o, const image *im)
{
	const char *name = out_name(o->path);
	if (im->c != 1 && im->c != 3)
		fatal("%s: cannot write a PNG of %d channels", name, im->c);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, (void *)name, png_fail, png_warn);
	if (!png)
		fatal("%s: cannot initialise libpng", name);
	png_infop info = png_create_info_struct(png);
	if (!info)
		fatal("%s: cannot initialise libpng", name);
	png_init_io(png, o->f);
	png_set_IHDR(png, info, im->w, im->h, 8, im->c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < im->h; y++)
		png_write_row(png, im->px + (size_t)y * im->w * im->c);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
}

void png_write(const char *path, const image *im)
{
	outfile *o = out_open(path);
	png_write_to(o, im);
	out_commit(o);
}

/* Source index and weight of each output position along one axis, as
   PyTorch's upsample_bilinear2d with align_corners=False computes them: the
   scale in/out in float, src = max(scale * (dst + 0.5) - 0.5, 0) in double
   (PyTorch's expression promotes to double there), the weight kept in float. */
static void bilinear_axis(int in, int out, int *i0, int *i1, float *l1)
{
	float scale = (float)in / out;
	for (int d = 0; d < out; d++) {
		double src = scale * (d + 0.5) - 0.5;
		if (src < 0)
			src = 0;
		int k = (int)src;
		i0[d] = k;
		i1[d] = k + (k < in - 1);
		double l = src - k;
		l1[d] = (float)(l > 1 ? 1 : l);
	}
}

/* The arithmetic is that of PyTorch's CPU kernel for a float [N,C,H,W]
   tensor with C > 1 (a single channel takes its channels-last kernel, which
   rounds differently): along W then H, each step t0 * w0 + t1 * w1 contracted
   by its compiler to fma(t0, w0, t1 * w1). The result is rounded to nearest,
   ties to even, like torch.round. */
image *image_resize_bilinear(const image *im, int w, int h)
{
	image *out = image_new(w, h, im->c);
	if (w == im->w && h == im->h) {
		memcpy(out->px, im->px, (size_t)w * h * im->c);
		return out;
	}
	int *x0 = xmalloc(sizeof *x0 * w), *x1 = xmalloc(sizeof *x1 * w);
	int *y0 = xmalloc(sizeof *y0 * h), *y1 = xmalloc(sizeof *y1 * h);
	float *lx = xmalloc(sizeof *lx * w), *ly = xmalloc(sizeof *ly * h);
	bilinear_axis(im->w, w, x0, x1, lx);
	bilinear_axis(im->h, h, y0, y1, ly);
	int c = im->c;
	for (int y = 0; y < h; y++) {
		const uint8_t *r0 = im->px + (size_t)y0[y] * im->w * c;
		const uint8_t *r1 = im->px + (size_t)y1[y] * im->w * c;
		float wy1 = ly[y], wy0 = 1 - wy1;
		uint8_t *o = out->px + (size_t)y * w * c;
		for (int x = 0; x < w; x++) {
			float wx1 = lx[x], wx0 = 1 - wx1;
			for (int k = 0; k < c; k++) {
				float top = fmaf(r0[x0[x] * c + k], wx0, r0[x1[x] * c + k] * wx1);
				float bot = fmaf(r1[x0[x] * c + k], wx0, r1[x1[x] * c + k] * wx1);
				float v = fmaf(top, wy0, bot * wy1);
				long q = lrintf(v);
				o[x * c + k] = q < 0 ? 0 : q > 255 ? 255 : (uint8_t)q;
			}
		}
	}
	free(x0);
	free(x1);
	free(y0);
	free(y1);
	free(lx);
	free(ly);
	return out;
}

/* Source index along one axis as PyTorch's nearest mode: floor(dst * in/out)
   in float, clamped, with the exact shortcuts PyTorch takes for 1x and 2x. */
static int nearest_src(int d, int in, int out)
{
	if (out == in)
		return d;
	if (out == 2 * in)
		return d >> 1;
	float scale = (float)in / out;
	int s = (int)floorf(d * scale);
	return s < in - 1 ? s : in - 1;
}

image *image_resize_nearest(const image *im, int w, int h)
{
	image *out = image_new(w, h, im->c);
	int c = im->c;
	int *sx = xmalloc(sizeof *sx * w);
	for (int x = 0; x < w; x++)
		sx[x] = nearest_src(x, im->w, w);
	for (int y = 0; y < h; y++) {
		const uint8_t *r = im->px + (size_t)nearest_src(y, im->h, h) * im->w * c;
		uint8_t *o = out->px + (size_t)y * w * c;
		for (int x = 0; x < w; x++)
			memcpy(o + x * c, r + sx[x] * c, c);
	}
	free(sx);
	return out;
}
