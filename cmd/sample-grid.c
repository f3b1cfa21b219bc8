/* sample-grid: for each class, K correctly and K wrongly classified images of
   a dataset (a seeded choice) as one PNG grid: a row per true class, correct
   ones on the left, wrong ones on the right, each tile captioned with its
   true and predicted class; and optionally a TSV of what went where. */
#include "formats/dataset.h"
#include "formats/draw.h"
#include "formats/image.h"
#include "nn/metrics.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: sample-grid --data FILE --pred FILE [-k K] [--seed S] [--scale N]\n"
	"                   [--gap N] [--tsv FILE] [-o FILE]\n"
	"Draws, for each class, K correctly and K wrongly classified images as one PNG:\n"
	"a row per true class, the correct ones on the left and the wrong ones on the\n"
	"right, each with a caption 'T:true' and 'P:predicted' (green when right, red\n"
	"when wrong).\n";

static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
static const uint8_t green[3] = {0, 128, 0}, red[3] = {204, 0, 0};

/* The name of class c, or its number when the streams have no names. */
static const char *class_name(char **names, int c, char *buf, size_t n)
{
	if (names)
		return names[c];
	snprintf(buf, n, "%d", c);
	return buf;
}

/* First of equal maxima, as numpy's argmax. */
static int argmax(const float *p, int k)
{
	int best = 0;
	for (int c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/* The two streams and what the grid is drawn from: images x, scores p
   [N,K], true classes y (from the prediction stream, else the dataset)
   and class names (likewise, or NULL). */
typedef struct inputs {
	dataset *d, *pr;
	const tensor *x, *p, *y;
	int k;
	char **names;
} inputs;

static inputs inputs_read(const char *data_path, const char *pred_path)
{
	inputs in = {.d = dataset_read(data_path, "dataset"), .pr = dataset_read(pred_path, "prediction")};
	const char *dname = display_name(data_path), *pname = display_name(pred_path);
	const dataset *d = in.d, *pr = in.pr;
	const tensor *x = in.x = d->x, *p = in.p = pr->x;
	if (p->ndim != 2)
		fatal("%s: scores of %d dimensions; sample-grid needs a classifier's p [N,K]", pname, p->ndim);
	int64_t n = p->shape[0];
	/* a row per class; an empty stream may claim any number of them */
	if (p->shape[1] > 4096)
		fatal("%s: %lld classes (1 to 4096 can be drawn)", pname, (long long)p->shape[1]);
	in.k = (int)p->shape[1];
	if (x->shape[0] != n)
		fatal("%s: %lld samples, but %s has %lld", dname, (long long)x->shape[0], pname, (long long)n);
	if (x->shape[1] != 1 && x->shape[1] != 3)
		fatal("%s: images of %lld channels (1 or 3 can be drawn)", dname, (long long)x->shape[1]);
	in.y = pr->y ? pr->y : d->y;
	if (!in.y)
		fatal("%s: no labels in stream (nor in %s): sample-grid needs the true classes y", dname, pname);
	dataset_labels_fit(in.y, p, pr->y ? pname : dname);
	class_names_agree(pname, pr->names, pr->nclass, dname, d->names, d->nclass, 1);
	in.names = pr->names ? pr->names : d->names;
	if (in.names && (pr->names ? pr->nclass : d->nclass) != in.k)
		fatal("%s: %d class names for %d classes", pr->names ? pname : dname,
		      pr->names ? pr->nclass : d->nclass, in.k);
	return in;
}

/* The candidates of each class and kind (0 correct, 1 wrong), in stream
   order: cand[2c + kind], count[2c + kind] of them; pred[i] is sample i's
   predicted class. */
typedef struct candidates {
	int *pred, **cand;
	int64_t *count;
} candidates;

static candidates candidates_find(const inputs *in)
{
	int64_t n = in->p->shape[0];
	int k = in->k;
	const int32_t *yd = in->y->data;
	const float *pd = in->p->data;
	candidates c = {.pred = xmalloc(n * sizeof *c.pred), .cand = xmalloc(2 * k * sizeof *c.cand),
			.count = xcalloc(2 * k, sizeof *c.count)};
	for (int64_t i = 0; i < n; i++) {
		c.pred[i] = argmax(pd + i * k, k);
		c.count[2 * yd[i] + (c.pred[i] != yd[i])]++;
	}
	int64_t *fill = xcalloc(2 * k, sizeof *fill);
	for (int j = 0; j < 2 * k; j++)
		c.cand[j] = xmalloc((c.count[j] ? c.count[j] : 1) * sizeof **c.cand);
	for (int64_t i = 0; i < n; i++) {
		int j = 2 * yd[i] + (c.pred[i] != yd[i]);
		c.cand[j][fill[j]++] = (int)i;
	}
	free(fill);
	return c;
}

static void candidates_free(candidates *c, int k)
{
	for (int j = 0; j < 2 * k; j++)
		free(c->cand[j]);
	free(c->cand);
	free(c->count);
	free(c->pred);
}

/* The layout: a row per class, labelled "c name" (cut at 20 characters),
   per tiles of each kind, each tile an image and two caption lines. */
static grid layout(const inputs *in, long per, long scale, long gap)
{
	char label[300];
	int left = 0;
	for (int c = 0; c < in->k; c++) {
		snprintf(label, sizeof label, "%d %s", c, in->names ? in->names[c] : "");
		if (text_width(label) > left)
			left = text_width(label);
	}
	if (left > text_width("01234567890123456789"))
		left = text_width("01234567890123456789");
	grid g = {0};
	g.rows = in->k;
	g.cols = 2 * (int)per;
	g.tile_w = (int)(in->x->shape[3] * scale);
	g.tile_h = (int)(in->x->shape[2] * scale) + 2 + 2 * FONT_LINE;
	g.gap = (int)gap;
	g.block = (int)per;
	g.block_gap = 3 * (int)gap + FONT_ADVANCE;
	g.left = left + 2 * FONT_ADVANCE;
	g.top = FONT_LINE + (int)gap + 2;
	return g;
}

/* Row c of the grid: its label, then up to per tiles of each kind, a
   seeded choice among the candidates, captioned "T:true" and
   "P:predicted"; with tsv, a line for each tile. */
static void draw_row(image *im, const grid *g, const inputs *in, candidates *cd, int c, long per, long seed,
		     long scale, FILE *tsv)
{
	char label[300], num[16];
	int x0, yy, k = in->k;
	const float *pd = in->p->data;
	char **names = in->names;
	int img_h = (int)(in->x->shape[2] * scale);
	grid_origin(g, c, 0, &x0, &yy);
	snprintf(label, sizeof label, "%d %s", c, names ? names[c] : "");
	draw_text(im, FONT_ADVANCE, yy + (img_h - FONT_H) / 2, label, g->left - 2 * FONT_ADVANCE, black);
	for (int kind = 0; kind < 2; kind++) {
		int j = 2 * c + kind;
		rng r;
		rng_seed(&r, (uint64_t)seed, (uint64_t)j);
		rng_shuffle(&r, cd->cand[j], (int)cd->count[j]);
		for (int t = 0; t < per && t < cd->count[j]; t++) {
			int i = cd->cand[j][t], col = kind * (int)per + t, tx, ty, pred = cd->pred[i];
			grid_origin(g, c, col, &tx, &ty);
			image *s = draw_sample(in->x, i);
			draw_blit(im, tx, ty, s, (int)scale);
			image_free(s);
			int cy = ty + img_h + 2;
			snprintf(label, sizeof label, "T:%s", class_name(names, c, num, sizeof num));
			draw_text(im, tx, cy, label, g->tile_w, black);
			snprintf(label, sizeof label, "P:%s", class_name(names, pred, num, sizeof num));
			draw_text(im, tx, cy + FONT_LINE, label, g->tile_w, kind ? red : green);
			if (tsv)
				fprintf(tsv, "%d\t%d\t%d\t%d\t%d\t%.6f\t%d\t%d\n", c, col, i, c, pred,
					pd[(int64_t)i * k + pred], tx, ty);
		}
	}
}

int main(int argc, char **argv)
{
	tool_start("sample-grid");
	const char *data_path = NULL, *pred_path = NULL, *out = NULL, *tsv_path = NULL;
	long per = 4, seed = 1, scale = 3, gap = 4;
	opt opts[] = {
		{"data", 0, OPT_STRING, &data_path, .arg = "FILE", .help = "dataset stream: the images x (and labels y)"},
		{"pred", 0, OPT_STRING, &pred_path, .arg = "FILE",
		 .help = "prediction stream of the same samples: scores p [N,K] (and y)"},
		{NULL, 'k', OPT_INT, &per, 1, 1000, .arg = "K", .help = "images of each kind per class (default 4)"},
		{"seed", 0, OPT_INT, &seed, 0, 1L << 62, .arg = "S", .help = "seed of the choice (default 1)"},
		{"scale", 0, OPT_INT, &scale, 1, 64, .arg = "N",
		 .help = "enlarge images N times, nearest neighbour (default 3)"},
		{"gap", 0, OPT_INT, &gap, 0, 256, .arg = "N", .help = "pixels between tiles (default 4)"},
		{"tsv", 0, OPT_STRING, &tsv_path, .arg = "FILE",
		 .help = "write row, col, index, true, pred, score, x, y of each tile"},
		{NULL, 'o', OPT_STRING, &out, .arg = "FILE", .help = "output PNG (default stdout)"},
		OPT_END,
	};
	if (opt_parse(opts, argc, argv, usage))
		usage_error("unexpected argument '%s'", argv[0]);
	if (!data_path || !pred_path)
		usage_error("need --data FILE and --pred FILE");
	if (!strcmp(data_path, "-") && !strcmp(pred_path, "-"))
		usage_error("--data and --pred cannot both be stdin");
	io_check(IO_LIST(data_path, pred_path), IO_LIST(out ? out : "-", tsv_path));
	out_refuse_terminal(out);

	inputs in = inputs_read(data_path, pred_path);
	candidates cd = candidates_find(&in);
	grid g = layout(&in, per, scale, gap);
	image *im = grid_image(&g, 3, white, out ? out : "<stdout>");
	int x0, x1, unused;
	grid_origin(&g, 0, 0, &x0, &unused);
	grid_origin(&g, 0, (int)per, &x1, &unused);
	draw_text(im, x0, 2, "correct", im->w - x0, black);
	draw_text(im, x1, 2, "wrong", im->w - x1, black);
	outfile *tsv = tsv_path ? out_open(tsv_path) : NULL;
	if (tsv)
		fprintf(tsv->f, "row\tcol\tindex\ttrue\tpred\tscore\tx\ty\n");
	for (int c = 0; c < in.k; c++)
		draw_row(im, &g, &in, &cd, c, per, seed, scale, tsv ? tsv->f : NULL);
	/* both complete before either is put in place */
	outfile *png = out_open(out);
	png_write_to(png, im);
	out_close(png);
	if (tsv) {
		out_close(tsv);
		out_commit(tsv);
	}
	out_commit(png);

	candidates_free(&cd, in.k);
	image_free(im);
	dataset_free(in.pr);
	dataset_free(in.d);
	return 0;
}
