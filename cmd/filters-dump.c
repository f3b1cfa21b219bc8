/* filters-dump: the filters of a model's first convolution (or another one)
   as one PNG: a numbered grid of tiles, each weight enlarged with nearest
   neighbour and coloured on a scale symmetric about zero (the layer's
   largest |weight|, or each filter's own), and a colour bar of that scale
   with its values. One input channel: a blue-white-red tile; three: an RGB
   tile; otherwise a row per filter and a blue-white-red tile per channel. */
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
	"usage: filters-dump [--layer N] [--range shared|own] [--scale N] [--gap N]\n"
	"                    [--background COLOUR] [--cols N] [-o FILE] MODEL\n"
	"Writes the filters of a convolution of MODEL (an nnpipe safetensors file) as\n"
	"one PNG: numbered tiles, blue (negative) to white (0) to red (positive) for 1\n"
	"input channel, RGB (grey at 0) for 3, or for another number of input channels\n"
	"a row per filter and a tile per channel; below them, a colour bar with the\n"
	"values of its ends.\n";

/* Layout, in pixels: the margin around everything, the text size of the
   numbers, the space between a number and its tile, the colour bar's
   distance from the tiles and its height, and the least size of a tile
   that --scale makes by default. */
#define MARGIN 8
#define TEXT 2
#define NUMBER_GAP 3
#define BAR_TOP 10
#define BAR_H 12
#define MIN_TILE 48

static const uint8_t black[3] = {0, 0, 0};
/* the ends of the blue-white-red scale */
static const uint8_t negative[3] = {0x21, 0x66, 0xAC}, positive[3] = {0xB2, 0x18, 0x2B};

static void colour_option(const opt *o, const char *v)
{
	if (!parse_colour(v, o->dest))
		usage_error("--background: expected #RRGGBB, got '%s'", v);
}

/* Largest |weight| of count weights. */
static double largest(const float *w, size_t count)
{
	double m = 0;
	for (size_t i = 0; i < count; i++)
		if (fabs(w[i]) > m)
			m = fabs(w[i]);
	return m;
}

/* Colour of t in [-1,1]: white at 0, linearly to the negative or the
   positive end. */
static void diverging(double t, uint8_t rgb[3])
{
	const uint8_t *end = t < 0 ? negative : positive;
	for (int k = 0; k < 3; k++)
		rgb[k] = (uint8_t)lrint(255 + fabs(t) * (end[k] - 255.0));
}

/* One channel of an RGB tile: 0 at t = -1, 128 at 0, 255 at 1. */
static uint8_t level(double t)
{
	return (uint8_t)lrint(127.5 + 127.5 * t);
}

/* Weight v over the scale's end m (none when m is 0). */
static double scaled(float v, double m)
{
	return m > 0 ? v / m : 0;
}

/* The numbers of the colour bar's ends: the values, or with own ranges
   the words for them. */
static void bar_labels(int own, double m, char *lo, char *hi, size_t cap)
{
	if (own) {
		snprintf(lo, cap, "-max|w|");
		snprintf(hi, cap, "+max|w|");
	} else if (m > 0) {
		snprintf(lo, cap, "%.3g", -m);
		snprintf(hi, cap, "%+.3g", m);
	} else {
		snprintf(lo, cap, "0");
		snprintf(hi, cap, "0");
	}
}

/* The colour bar: BAR_H pixels of w columns from t = -1 to 1, the values
   of its ends under it and 0 under its middle. */
static void bar_draw(image *im, int x, int y, int w, int rgb, const char *lo, const char *hi)
{
	for (int i = 0; i < w; i++) {
		double t = -1 + 2.0 * i / (w - 1);
		uint8_t c[3];
		if (rgb)
			c[0] = c[1] = c[2] = level(t);
		else
			diverging(t, c);
		draw_rect(im, x + i, y, 1, BAR_H, c);
	}
	int ty = y + BAR_H + NUMBER_GAP;
	draw_text_sized(im, x, ty, lo, w, black, TEXT);
	draw_text_sized(im, x + (w - text_width("0") * TEXT) / 2, ty, "0", w, black, TEXT);
	draw_text_sized(im, x + w - text_width(hi) * TEXT, ty, hi, w, black, TEXT);
}

/* A number centred over width w at (x,y). */
static void number_draw(image *im, int x, int y, int w, int n)
{
	char s[16];
	snprintf(s, sizeof s, "%d", n);
	draw_text_sized(im, x + (w - text_width(s) * TEXT) / 2, y, s, text_width(s) * TEXT, black, TEXT);
}

/* Width of the number n in the font. */
static int number_width(int n)
{
	char s[16];
	snprintf(s, sizeof s, "%d", n);
	return text_width(s) * TEXT;
}

int main(int argc, char **argv)
{
	tool_start("filters-dump");
	const char *out = NULL, *range = "shared";
	long layer_opt = -1, scale = 0, gap = 4, cols = 0;
	uint8_t bg[3];
	opt opts[] = {
		{"layer", 0, OPT_INT, &layer_opt, 0, 1 << 20, .arg = "N", .help =
		 "the convolution at layer N of the .net numbering\n(default: the first convolution)"},
		{"range", 0, OPT_CUSTOM, &range, .arg = "shared|own", .parse = opt_choice, .help =
		 "the scale's end: the largest |weight| of the layer (shared,\nthe default) or of each filter (own)"},
		{"scale", 0, OPT_INT, &scale, 1, 256, .arg = "N", .help =
		 "enlarge each weight to N x N pixels (default: the least\nthat makes a tile 48 pixels wide)"},
		{"gap", 0, OPT_INT, &gap, 0, 256, .arg = "N", .help = "pixels between tiles (default 4)"},
		{"background", 0, OPT_CUSTOM, bg, .arg = "COLOUR", .parse = colour_option, .help =
		 "colour around the tiles, #RRGGBB (default #808080, or\n#FFFFFF for RGB tiles)"},
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

	int nf = L->oc, nc = L->c, k = L->k, own = !strcmp(range, "own");
	const float *wd = w->data;
	size_t per_filter = (size_t)nc * k * k;
	for (size_t i = 0; i < per_filter * nf; i++)
		if (!isfinite(wd[i]))
			fatal("%s: %s has a value that is not finite (filter %zu)", name, wname, i / per_filter);
	int rgb = nc == 3, per_channel = nc != 1 && nc != 3;
	if (!opt_given(opts, "background"))
		memset(bg, rgb ? 255 : 128, 3);
	if (!scale)
		scale = (MIN_TILE + k - 1) / k;

	/* cells of the grid: a tile under a band with its number, or with a
	   row per filter, a tile under its channel's number in a band at the
	   top, the filter's number at the left (its cells at least as high as
	   the number); tiles and numbers centred across their cells, tiles at
	   the top of them */
	int tile = k * (int)scale, band = NUMBER_GAP + FONT_H * TEXT + NUMBER_GAP;
	int nw = number_width(per_channel ? nc - 1 : nf - 1), lw = per_channel ? number_width(nf - 1) : 0;
	grid g = {0};
	g.tile_w = tile > nw ? tile : nw;
	g.gap = (int)gap;
	g.left = MARGIN + (per_channel ? lw + NUMBER_GAP : 0);
	g.top = MARGIN + (per_channel ? band : 0);
	if (per_channel) {
		g.rows = nf;
		g.cols = nc;
		g.tile_h = tile > FONT_H * TEXT ? tile : FONT_H * TEXT;
	} else {
		g.cols = cols ? (int)cols : (int)ceil(sqrt((double)nf));
		if (g.cols > nf)
			g.cols = nf;
		g.rows = (nf + g.cols - 1) / g.cols;
		g.tile_h = band + tile;
	}
	int gw, gh;
	grid_size(&g, name, &gw, &gh);
	double m = largest(wd, per_filter * nf);
	char lo[32], hi[32];
	bar_labels(own, m, lo, hi, sizeof lo);
	int64_t bw = gw - MARGIN, least = (text_width(lo) + text_width("0") + text_width(hi)) * TEXT + 32;
	if (bw < least)
		bw = least;
	int bar_y = gh + BAR_TOP;
	image *im = canvas_new(MARGIN + bw + MARGIN, (int64_t)bar_y + BAR_H + NUMBER_GAP + FONT_H * TEXT + MARGIN, 3,
			       bg, name);

	image *t = image_new(k, k, 3);
	for (int f = 0; f < nf; f++) {
		const float *fw = wd + f * per_filter;
		if (own)
			m = largest(fw, per_filter);
		/* rgb: one tile of three channels; otherwise a tile per channel */
		for (int ch = 0; ch < (rgb ? 1 : nc); ch++) {
			for (int p = 0; p < k * k; p++) {
				uint8_t *px = t->px + 3 * p;
				if (rgb)
					for (int c = 0; c < 3; c++)
						px[c] = level(scaled(fw[(size_t)c * k * k + p], m));
				else
					diverging(scaled(fw[(size_t)ch * k * k + p], m), px);
			}
			int x, y;
			if (per_channel) {
				grid_origin(&g, f, ch, &x, &y);
				if (!f)
					number_draw(im, x, MARGIN + NUMBER_GAP, g.tile_w, ch);
				if (!ch)
					number_draw(im, MARGIN, y + (g.tile_h - FONT_H * TEXT) / 2, lw, f);
			} else {
				grid_origin(&g, f / g.cols, f % g.cols, &x, &y);
				number_draw(im, x, y + NUMBER_GAP, g.tile_w, f);
				y += band;
			}
			draw_blit(im, x + (g.tile_w - tile) / 2, y, t, (int)scale);
		}
	}
	bar_draw(im, MARGIN, bar_y, (int)bw, rgb, lo, hi);
	png_write(out, im);

	image_free(t);
	image_free(im);
	net_free(n);
	st_free(st);
	return 0;
}
