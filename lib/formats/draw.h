/* draw.h: drawing for the picture tools: canvases, filled rectangles,
   nearest-neighbour blits, grids of equal tiles, a 5x7 bitmap font, the class
   palette and its legend, and dataset samples as images. Colours are RGB triples; on a grey image only
   their first component is used. */
#ifndef NN_DRAW_H
#define NN_DRAW_H

#include <stdint.h>
#include "formats/image.h"
#include "formats/tensor.h"

/* Largest picture a tool draws (width times height). */
#define DRAW_MAX_PIXELS ((int64_t)1 << 28)

/* The 5x7 font: glyph cell and advance (one column of space), line height. */
#define FONT_W 5
#define FONT_H 7
#define FONT_ADVANCE 6
#define FONT_LINE 9

/* A new w x h image with c channels, filled with bg; dies naming what when
   it is empty or exceeds DRAW_MAX_PIXELS. */
image *canvas_new(int64_t w, int64_t h, int c, const uint8_t bg[3], const char *what);
void draw_rect(image *im, int x, int y, int w, int h, const uint8_t colour[3]);
/* Copies src into dst with its top left corner at (x,y), every pixel
   enlarged to scale x scale; a grey src on an RGB dst becomes three equal
   channels. Clipped to dst. */
void draw_blit(image *dst, int x, int y, const image *src, int scale);

/* Text in the 5x7 font with its top left corner at (x,y), stopping before a
   character that would end past x + max_w. Bytes outside printable ASCII
   are drawn as '?'. Returns the width drawn. */
int draw_text(image *im, int x, int y, const char *s, int max_w, const uint8_t colour[3]);
/* The same with every dot of the font size x size pixels: glyphs of
   FONT_W * size by FONT_H * size, FONT_ADVANCE * size apart. */
int draw_text_sized(image *im, int x, int y, const char *s, int max_w, const uint8_t colour[3], int size);
/* Width of s in the font (no trailing space); times size for draw_text_sized. */
int text_width(const char *s);

/* rows x cols tiles of tile_w x tile_h with gap pixels between them, an
   extra block_gap after every block columns (0: none), and a margin of
   left and top pixels before the first tile. */
typedef struct grid {
	int rows, cols, tile_w, tile_h, gap;
	int block, block_gap;
	int left, top;
} grid;

/* Size of the whole grid; dies naming what when it exceeds DRAW_MAX_PIXELS. */
void grid_size(const grid *g, const char *what, int *w, int *h);
/* A new image of the grid's size with c channels, filled with bg. */
image *grid_image(const grid *g, int c, const uint8_t bg[3], const char *what);
/* Top left corner of tile (row, col). */
void grid_origin(const grid *g, int row, int col, int *x, int *y);

/* Colour of class c: the course palette #000000 #0080FF #80FF80 #FF8000
   #FF0000 for classes 0..4, then further distinct colours. */
void palette_colour(int c, uint8_t rgb[3]);
/* A legend of the palette: for class c of n, a square swatch of
   palette_colour(c) and names[c] in black to its right, LEGEND_PAD pixels
   apart, the text LEGEND_TEXT times the font, its top at the swatch's.
   Entries go left to right, LEGEND_SPACE pixels apart; an entry that would
   end past max_w pixels starts a new row LEGEND_ROW pixels further down
   (the first entry of a row is always placed). */
#define LEGEND_TEXT 2
#define LEGEND_SWATCH (FONT_H * LEGEND_TEXT)
#define LEGEND_PAD 4
#define LEGEND_SPACE 16
#define LEGEND_ROW (LEGEND_SWATCH + 6)
/* Width and height of the legend's entries (from the first entry's top left
   corner to the furthest right and lowest pixel). */
void legend_size(char *const *names, int n, int max_w, int *w, int *h);
/* Draws the legend with its top left corner at (x,y). */
void legend_draw(image *im, int x, int y, char *const *names, int n, int max_w);

/* "#RRGGBB" or "RRGGBB" into rgb; returns 0 on a malformed string. */
int parse_colour(const char *s, uint8_t rgb[3]);

/* Sample i of a dataset's x [N,C,H,W] (C 1 or 3; uint8, or float32 in
   [0,1] rounded to 0..255 and clamped) as an image. */
image *draw_sample(const tensor *x, int64_t i);

#endif
