/* filters-dump: the filters of a model's first convolution (or another one)
   as one PNG grid, each filter scaled to its own value range or to one
   shared range and enlarged with nearest neighbour: grey for one input
   channel, colour for three, otherwise one grey tile per input channel. */
#include "draw.h"
#include "image.h"
#include "layers.h"
#include "net.h"
#include "safetensors.h"
#include "output.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	printf("usage: filters-dump [--layer N] [--shared-range] [--scale N] [--gap N]\n"
	       "                    [--background COLOUR] [--cols N] [-o FILE] MODEL\n"
	       "Writes the filters of a convolution of MODEL (an nnpipe safetensors file) as\n"
	       "one PNG grid: one tile per filter (grey for 1 input channel, RGB for 3), or for\n"
	       "another number of input channels a row per filter and a grey tile per channel.\n"
	       "  --layer N            the convolution at layer N of the .net numbering\n"
	       "                       (default: the first convolution)\n"
	       "  --shared-range       one value range for all filters (default: each its own)\n"
	       "  --scale N            enlarge each weight to N x N pixels (default 8)\n"
	       "  --gap N              pixels between tiles (default 2)\n"
	       "  --background COLOUR  colour of the gaps, #RRGGBB (default #FFFFFF)\n"
	       "  --cols N             tiles per row for 1 or 3 channels (default: a square)\n"
	       "  -o FILE              output PNG (default stdout)\n"
	       "  --help               show this help\n");
}

static long count_option(const char *name, const char *v, long max)
{
	long n;
	if (!parse_int(v, &n) || n < 0 || n > max)
		usage_error("%s: expected a whole number from 0 to %ld, got '%s'", name, max, v);
	return n;
}

/* Value range of count weights: their own, or all of the layer's. */
static void value_range(const float *w, size_t count, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < count; i++) {
		if (w[i] < *lo)
			*lo = w[i];
		if (w[i] > *hi)
			*hi = w[i];
	}
}

/* Weight v on 0..255 over [lo,hi]; a constant filter is mid-grey. */
static uint8_t grey_level(float v, double lo, double hi)
{
	if (!(hi > lo))
		return 128;
	return (uint8_t)lrint((v - lo) / (hi - lo) * 255.0);
}

int main(int argc, char **argv)
{
	tool_start("filters-dump");
	const char *path = NULL, *out = NULL, *v;
	long layer_opt = -1, scale = 8, gap = 2, cols = 0;
	int shared = 0;
	uint8_t bg[3] = {255, 255, 255};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help")) {
			usage();
			return 0;
		} else if (opt_value(argv, argc, &i, "-o", &v)) {
			out = v;
		} else if (opt_value(argv, argc, &i, "--layer", &v)) {
			layer_opt = count_option("--layer", v, 1L << 20);
		} else if (opt_value(argv, argc, &i, "--scale", &v)) {
			scale = count_option("--scale", v, 256);
			if (!scale)
				usage_error("--scale: must be at least 1");
		} else if (opt_value(argv, argc, &i, "--gap", &v)) {
			gap = count_option("--gap", v, 256);
		} else if (opt_value(argv, argc, &i, "--cols", &v)) {
			cols = count_option("--cols", v, 1L << 16);
			if (!cols)
				usage_error("--cols: must be at least 1");
		} else if (opt_value(argv, argc, &i, "--background", &v)) {
			if (!parse_colour(v, bg))
				usage_error("--background: expected #RRGGBB, got '%s'", v);
		} else if (opt_flag(argv, &i, "--shared-range")) {
			shared = 1;
		} else if (a[0] == '-' && a[1]) {
			usage_error("unknown option '%s'", a);
		} else if (path) {
			usage_error("more than one model ('%s' and '%s')", path, a);
		} else {
			path = a;
		}
	}
	if (!path)
		usage_error("no model given");
	io_check(IO_LIST(path), IO_LIST(out ? out : "-"));

	const char *name = path_name(path);
	st_file *st = st_read(path);
	const char *text = st_meta(st, "net");
	if (!text)
		fatal("%s: not an nnpipe model (no 'net' in the metadata)", name);
	net *n = net_parse(text, name);
	int li = -1;
	if (layer_opt >= 0) {
		if (layer_opt >= n->nl)
			fatal("%s: no layer %ld (the network has %d)", name, layer_opt, n->nl);
		if (!n->l[layer_opt].def->filters)
			fatal("%s: layer %ld (line %d) is not a convolution", name, layer_opt,
			      n->l[layer_opt].line);
		li = (int)layer_opt;
	} else {
		for (int i = 0; i < n->nl && li < 0; i++)
			if (n->l[i].def->filters)
				li = i;
		if (li < 0)
			fatal("%s: the network has no convolution", name);
	}
	char wname[32];
	snprintf(wname, sizeof wname, "%d.weight", li);
	const tensor *w = st_get(st, wname);
	const layer *L = &n->l[li];
	if (!w || w->dtype != DT_F32 || w->ndim != 4 || w->shape[0] != L->oc || w->shape[1] != L->c ||
	    w->shape[2] != L->k || w->shape[3] != L->k)
		fatal("%s: no float32 tensor %s of shape [%d,%d,%d,%d]", name, wname, L->oc, L->c, L->k, L->k);

	int nf = L->oc, nc = L->c, k = L->k;
	const float *wd = w->data;
	size_t per_filter = (size_t)nc * k * k;
	for (size_t i = 0; i < per_filter * nf; i++)
		if (!isfinite(wd[i]))
			fatal("%s: %s has a value that is not finite (filter %zu)", name, wname, i / per_filter);
	int rgb = nc == 3, per_channel = nc != 1 && nc != 3;
	grid g = {0};
	g.tile_w = g.tile_h = k * (int)scale;
	g.gap = (int)gap;
	if (per_channel) {
		g.rows = nf;
		g.cols = nc;
	} else {
		g.cols = cols ? (int)cols : (int)ceil(sqrt((double)nf));
		if (g.cols > nf)
			g.cols = nf;
		g.rows = (nf + g.cols - 1) / g.cols;
	}
	int c = rgb || bg[0] != bg[1] || bg[1] != bg[2] ? 3 : 1;
	image *im = grid_image(&g, c, bg, name);

	double lo = 0, hi = 0;
	if (shared)
		value_range(wd, per_filter * nf, &lo, &hi);
	image *tile = image_new(k, k, rgb ? 3 : 1);
	for (int f = 0; f < nf; f++) {
		const float *fw = wd + f * per_filter;
		if (!shared)
			value_range(fw, per_filter, &lo, &hi);
		/* rgb: one tile of three channels; otherwise a tile per channel */
		for (int ch = 0; ch < (rgb ? 1 : nc); ch++) {
			for (int p = 0; p < k * k; p++)
				for (int t = 0; t < tile->c; t++)
					tile->px[p * tile->c + t] = grey_level(fw[(size_t)(ch + t) * k * k + p], lo, hi);
			int x, y;
			if (per_channel)
				grid_origin(&g, f, ch, &x, &y);
			else
				grid_origin(&g, f / g.cols, f % g.cols, &x, &y);
			draw_blit(im, x, y, tile, (int)scale);
		}
	}
	png_write(out, im);

	image_free(tile);
	image_free(im);
	net_free(n);
	st_free(st);
	return 0;
}
