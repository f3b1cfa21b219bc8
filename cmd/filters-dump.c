/* filters-dump: the filters of a model's first convolution (or another one)
   as one PNG grid, each filter scaled to its own value range or to one
   shared range and enlarged with nearest neighbour: grey for one input
   channel, colour for three, otherwise one grey tile per input channel. */
#include "draw.h"
#include "image.h"
#include "layers.h"
#include "net.h"
#include "opt.h"
#include "safetensors.h"
#include "output.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: filters-dump [--layer N] [--shared-range] [--scale N] [--gap N]\n"
	"                    [--background COLOUR] [--cols N] [-o FILE] MODEL\n"
	"Writes the filters of a convolution of MODEL (an nnpipe safetensors file) as\n"
	"one PNG grid: one tile per filter (grey for 1 input channel, RGB for 3), or for\n"
	"another number of input channels a row per filter and a grey tile per channel.\n";

static void colour_option(const opt *o, const char *v)
{
	if (!parse_colour(v, o->dest))
		usage_error("--background: expected #RRGGBB, got '%s'", v);
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
	const char *out = NULL;
	long layer_opt = -1, scale = 8, gap = 2, cols = 0;
	int shared = 0;
	uint8_t bg[3] = {255, 255, 255};
	opt opts[] = {
		{"layer", 0, OPT_INT, &layer_opt, 0, 1 << 20, .arg = "N", .help =
		 "the convolution at layer N of the .net numbering\n(default: the first convolution)"},
		{"shared-range", 0, OPT_FLAG, &shared, .help = "one value range for all filters (default: each its own)"},
		{"scale", 0, OPT_INT, &scale, 1, 256, .arg = "N", .help = "enlarge each weight to N x N pixels (default 8)"},
		{"gap", 0, OPT_INT, &gap, 0, 256, .arg = "N", .help = "pixels between tiles (default 2)"},
		{"background", 0, OPT_CUSTOM, bg, .arg = "COLOUR", .parse = colour_option,
		 .help = "colour of the gaps, #RRGGBB (default #FFFFFF)"},
		{"cols", 0, OPT_INT, &cols, 1, 1 << 16, .arg = "N", .help = "tiles per row for 1 or 3 channels (default: a square)"},
		{NULL, 'o', OPT_STRING, &out, .arg = "FILE", .help = "output PNG (default stdout)"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (!nargs)
		usage_error("no model given");
	if (nargs > 1)
		usage_error("more than one model ('%s' and '%s')", argv[0], argv[1]);
	const char *path = argv[0];
	io_check(IO_LIST(path), IO_LIST(out ? out : "-"));
	out_refuse_terminal(out);

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
