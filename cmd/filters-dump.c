/* filters-dump: the filters of a model's first convolution (or another one)
   as one PNG: a numbered grid of tiles, each weight enlarged with nearest
   neighbour and coloured on a scale symmetric about zero (the layer's
   largest |weight|, or each filter's own), and a colour bar of that scale
   with its values. One input channel: a blue-white-red tile; three: an RGB
   tile; otherwise a row per filter and a blue-white-red tile per channel. */
#include "formats/draw.h"
#include "formats/image.h"
#include "nn/layers.h"
#include "nn/net.h"
#include "base/opt.h"
#include "formats/safetensors.h"
#include "base/output.h"
#include "base/util.h"

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

/* Width of the number n in the font. */
static int number_width(int n)
{
	char s[16];
	snprintf(s, sizeof s, "%d", n);
	return text_width(s) * TEXT;
}

/* The number n centred across width w, its top at y. */
static void number_draw(image *im, int x, int y, int w, int n)
{
	char s[16];
	snprintf(s, sizeof s, "%d", n);
	draw_text_sized(im, x + (w - number_width(n)) / 2, y, s, number_width(n), black, TEXT);
}

/* The weights [out,in,k,k] of the convolution at layer at (the first one
   when at < 0), checked against the description and to be finite; *li is
   its layer. */
static const tensor *conv_weights(st_file *st, const net *n, long at, const char *name, int *li)
{
	*li = -1;
	if (at >= 0) {
		if (at >= n->nl)
			fatal("%s: no layer %ld (the network has %d)", name, at, n->nl);
		if (!n->l[at].def->filters)
			fatal("%s: layer %ld (line %d) is not a convolution", name, at, n->l[at].line);
		*li = (int)at;
	} else {
		for (int i = 0; i < n->nl && *li < 0; i++)
			if (n->l[i].def->filters)
				*li = i;
		if (*li < 0)
			fatal("%s: the network has no convolution", name);
	}
	char wname[32];
	snprintf(wname, sizeof wname, "%d.weight", *li);
	const tensor *w = st_get(st, wname);
	const layer *L = &n->l[*li];
	if (!w || w->dtype != DT_F32 || w->ndim != 4 || w->shape[0] != L->oc || w->shape[1] != L->c ||
	    w->shape[2] != L->k || w->shape[3] != L->k)
		fatal("%s: no float32 tensor %s of shape [%d,%d,%d,%d]", name, wname, L->oc, L->c, L->k, L->k);
	size_t per_filter = (size_t)L->c * L->k * L->k;
	for (size_t i = 0; i < per_filter * L->oc; i++)
		if (!isfinite(((const float *)w->data)[i]))
			fatal("%s: %s has a value that is not finite (filter %zu)", name, wname, i / per_filter);
	return w;
}

/* What is drawn where: the filters, their tiles and the grid of cells. */
typedef struct plan {
	int nf, nc, k, scale, rgb, per_channel;
	int tile, band, lw;  /* a tile's size, the number band's, the filters' numbers' column */
	grid g;
} plan;

/* Cells of the grid: a tile under a band with its number, or with a row per
   filter, a tile under its channel's number in a band at the top and the
   filter's number at the left (its cells at least as high as the number);
   tiles and numbers centred across their cells, tiles at the top of them. */
static void plan_grid(plan *p, long cols, long gap)
{
	int nw = number_width(p->per_channel ? p->nc - 1 : p->nf - 1);
	p->tile = p->k * p->scale;
	p->band = NUMBER_GAP + FONT_H * TEXT + NUMBER_GAP;
	p->lw = p->per_channel ? number_width(p->nf - 1) : 0;
	grid *g = &p->g;
	g->tile_w = p->tile > nw ? p->tile : nw;
	g->gap = (int)gap;
	g->left = MARGIN + (p->per_channel ? p->lw + NUMBER_GAP : 0);
	g->top = MARGIN + (p->per_channel ? p->band : 0);
	if (p->per_channel) {
		g->rows = p->nf;
		g->cols = p->nc;
		g->tile_h = p->tile > FONT_H * TEXT ? p->tile : FONT_H * TEXT;
	} else {
		g->cols = cols ? (int)cols : (int)ceil(sqrt((double)p->nf));
		if (g->cols > p->nf)
			g->cols = p->nf;
		g->rows = (p->nf + g->cols - 1) / g->cols;
		g->tile_h = p->band + p->tile;
	}
}

/* Every tile and number; m is the scale's end, unless each filter has
   its own. */
static void tiles_draw(image *im, const plan *p, const float *wd, int own, double m)
{
	int k = p->k;
	size_t per_filter = (size_t)p->nc * k * k;
	image *t = image_new(k, k, 3);
	for (int f = 0; f < p->nf; f++) {
		const float *fw = wd + f * per_filter;
		double fm = own ? largest(fw, per_filter) : m;
		/* rgb: one tile of three channels; otherwise a tile per channel */
		for (int ch = 0; ch < (p->rgb ? 1 : p->nc); ch++) {
			for (int q = 0; q < k * k; q++) {
				uint8_t *px = t->px + 3 * q;
				if (p->rgb)
					for (int c = 0; c < 3; c++)
						px[c] = level(scaled(fw[(size_t)c * k * k + q], fm));
				else
					diverging(scaled(fw[(size_t)ch * k * k + q], fm), px);
			}
			int x, y;
			if (p->per_channel) {
				grid_origin(&p->g, f, ch, &x, &y);
				if (!f)
					number_draw(im, x, MARGIN + NUMBER_GAP, p->g.tile_w, ch);
				if (!ch)
					number_draw(im, MARGIN, y + (p->g.tile_h - FONT_H * TEXT) / 2, p->lw, f);
			} else {
				grid_origin(&p->g, f / p->g.cols, f % p->g.cols, &x, &y);
				number_draw(im, x, y + NUMBER_GAP, p->g.tile_w, f);
				y += p->band;
			}
			draw_blit(im, x + (p->g.tile_w - p->tile) / 2, y, t, p->scale);
		}
	}
	image_free(t);
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
		 "end of the colour scale: the largest |weight| of the\nlayer (shared, the default) or of each filter (own)"},
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
	out_refuse_terminal(out);

	const char *name = display_name(path);
	st_file *st = st_read(path);
	const char *text = st_meta(st, "net");
	if (!text)
		fatal("%s: not an nnpipe model (no 'net' in the metadata)", name);
	net *n = net_parse(text, name);
	int li, own = !strcmp(range, "own");
	const tensor *w = conv_weights(st, n, layer_opt, name, &li);
	plan p = {.nf = n->l[li].oc, .nc = n->l[li].c, .k = n->l[li].k};
	p.rgb = p.nc == 3;
	p.per_channel = p.nc != 1 && p.nc != 3;
	p.scale = scale ? (int)scale : (MIN_TILE + p.k - 1) / p.k;
	if (!opt_given(opts, "background"))
		memset(bg, p.rgb ? 255 : 128, 3);
	plan_grid(&p, cols, gap);

	/* the grid, then the colour bar under it, as wide (or as its values) */
	int gw, gh;
	grid_size(&p.g, name, &gw, &gh);
	double m = largest(w->data, (size_t)tensor_numel(w));
	char lo[32], hi[32];
	bar_labels(own, m, lo, hi, sizeof lo);
	int64_t bw = gw - MARGIN, least = (text_width(lo) + text_width("0") + text_width(hi)) * TEXT + 32;
	if (bw < least)
		bw = least;
	int bar_y = gh + BAR_TOP;
	image *im = canvas_new(MARGIN + bw + MARGIN, (int64_t)bar_y + BAR_H + NUMBER_GAP + FONT_H * TEXT + MARGIN, 3,
			       bg, name);
	tiles_draw(im, &p, w->data, own, m);
	bar_draw(im, MARGIN, bar_y, (int)bw, p.rgb, lo, hi);
	png_write(out, im);

	image_free(im);
	net_free(n);
	st_free(st);
	return 0;
}
