/* sample-grid: for each class, K correctly and K wrongly classified images of
   a dataset (a seeded choice) as one PNG grid: a row per true class, correct
   ones on the left, wrong ones on the right, each tile captioned with its
   true and predicted class; and optionally a TSV of what went where. */
#include "dataset.h"
#include "draw.h"
#include "image.h"
#include "metrics.h"
#include "opt.h"
#include "output.h"
#include "util.h"

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

	dataset *d = dataset_read(data_path, "dataset");
	dataset *pr = dataset_read(pred_path, "prediction");
	const char *dname = path_name(data_path), *pname = path_name(pred_path);
	const tensor *x = d->x, *p = pr->x;
	if (p->ndim != 2)
		fatal("%s: scores of %d dimensions; sample-grid needs a classifier's p [N,K]", pname, p->ndim);
	int64_t n = p->shape[0];
	/* a row per class; an empty stream may claim any number of them */
	if (p->shape[1] > 4096)
		fatal("%s: %lld classes (1 to 4096 can be drawn)", pname, (long long)p->shape[1]);
	int k = (int)p->shape[1];
	if (x->shape[0] != n)
		fatal("%s: %lld samples, but %s has %lld", dname, (long long)x->shape[0], pname, (long long)n);
	if (x->shape[1] != 1 && x->shape[1] != 3)
		fatal("%s: images of %lld channels (1 or 3 can be drawn)", dname, (long long)x->shape[1]);
	const tensor *y = pr->y ? pr->y : d->y;
	const char *yname = pr->y ? pname : dname;
	if (!y)
		fatal("%s: no labels in stream (nor in %s): sample-grid needs the true classes y", dname, pname);
	if (y->ndim != 1 || y->shape[0] != n)
		fatal("%s: labels of the wrong shape for %lld classified samples", yname, (long long)n);
	const int32_t *yd = y->data;
	const float *pd = p->data;
	dataset_labels_check(y, k, yname);
	class_names_agree(pname, pr->names, pr->nclass, dname, d->names, d->nclass, 1);
	char **names = pr->names ? pr->names : d->names;
	if (names && (pr->names ? pr->nclass : d->nclass) != k)
		fatal("%s: %d class names for %d classes", pr->names ? pname : dname,
		      pr->names ? pr->nclass : d->nclass, k);

	/* candidates of each class and kind (0 correct, 1 wrong), in stream order */
	int *pred = xmalloc(n * sizeof *pred);
	int64_t *count = xcalloc(2 * k, sizeof *count);
	for (int64_t i = 0; i < n; i++) {
		pred[i] = argmax(pd + i * k, k);
		count[2 * yd[i] + (pred[i] != yd[i])]++;
	}
	int **cand = xmalloc(2 * k * sizeof *cand);
	int64_t *fill = xcalloc(2 * k, sizeof *fill);
	for (int j = 0; j < 2 * k; j++)
		cand[j] = xmalloc((count[j] ? count[j] : 1) * sizeof **cand);
	for (int64_t i = 0; i < n; i++) {
		int j = 2 * yd[i] + (pred[i] != yd[i]);
		cand[j][fill[j]++] = (int)i;
	}

	/* rows are labelled "c name" (cut at 20 characters), tiles "T:true"
	   and "P:predicted" */
	char label[300], num[16];
	int left = 0;
	for (int c = 0; c < k; c++) {
		snprintf(label, sizeof label, "%d %s", c, names ? names[c] : "");
		if (text_width(label) > left)
			left = text_width(label);
	}
	if (left > text_width("01234567890123456789"))
		left = text_width("01234567890123456789");
	grid g = {0};
	g.rows = k;
	g.cols = 2 * (int)per;
	g.tile_w = (int)(x->shape[3] * scale);
	g.tile_h = (int)(x->shape[2] * scale) + 2 + 2 * FONT_LINE;
	g.gap = (int)gap;
	g.block = (int)per;
	g.block_gap = 3 * (int)gap + FONT_ADVANCE;
	g.left = left + 2 * FONT_ADVANCE;
	g.top = FONT_LINE + (int)gap + 2;
	image *im = grid_image(&g, 3, white, out ? out : "<stdout>");
	int x0, yy, x1, unused;
	grid_origin(&g, 0, 0, &x0, &unused);
	grid_origin(&g, 0, (int)per, &x1, &unused);
	draw_text(im, x0, 2, "correct", im->w - x0, black);
	draw_text(im, x1, 2, "wrong", im->w - x1, black);

	outfile *tsv = tsv_path ? out_open(tsv_path) : NULL;
	if (tsv)
		fprintf(tsv->f, "row\tcol\tindex\ttrue\tpred\tscore\tx\ty\n");
	for (int c = 0; c < k; c++) {
		grid_origin(&g, c, 0, &x0, &yy);
		snprintf(label, sizeof label, "%d %s", c, names ? names[c] : "");
		draw_text(im, FONT_ADVANCE, yy + (int)(x->shape[2] * scale - FONT_H) / 2, label, left, black);
		for (int kind = 0; kind < 2; kind++) {
			int j = 2 * c + kind;
			rng r;
			rng_seed(&r, (uint64_t)seed, (uint64_t)j);
			rng_shuffle(&r, cand[j], (int)count[j]);
			for (int t = 0; t < per && t < count[j]; t++) {
				int i = cand[j][t], col = kind * (int)per + t, tx, ty;
				grid_origin(&g, c, col, &tx, &ty);
				image *s = draw_sample(x, i);
				draw_blit(im, tx, ty, s, (int)scale);
				image_free(s);
				int cy = ty + (int)(x->shape[2] * scale) + 2;
				snprintf(label, sizeof label, "T:%s", class_name(names, c, num, sizeof num));
				draw_text(im, tx, cy, label, g.tile_w, black);
				snprintf(label, sizeof label, "P:%s", class_name(names, pred[i], num, sizeof num));
				draw_text(im, tx, cy + FONT_LINE, label, g.tile_w, kind ? red : green);
				if (tsv)
					fprintf(tsv->f, "%d\t%d\t%d\t%d\t%d\t%.6f\t%d\t%d\n", c, col, i, c, pred[i],
						pd[(int64_t)i * k + pred[i]], tx, ty);
			}
		}
	}
	/* both complete before either is put in place */
	outfile *png = out_open(out);
	png_write_to(png, im);
	out_close(png);
	if (tsv) {
		out_close(tsv);
		out_commit(tsv);
	}
	out_commit(png);

	for (int j = 0; j < 2 * k; j++)
		free(cand[j]);
	free(cand);
	free(fill);
	free(count);
	free(pred);
	image_free(im);
	dataset_free(pr);
	dataset_free(d);
	return 0;
}
