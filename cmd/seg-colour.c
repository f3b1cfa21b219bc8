/* seg-colour: segmentation pictures: label maps (a dataset stream's y) and
   predictions (the argmax of a prediction stream's p) in the class palette,
   input photos (x) back to PNG, or all three side by side under titles
   (photo and prediction alone for photos without label maps);
   with a legend of the classes below them, or the legend alone. */
#include "formats/dataset.h"
#include "formats/draw.h"
#include "formats/image.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: seg-colour [--data FILE] [--pred FILE] [--photo | --label | --triplet]\n"
	"                  [--index LIST]... [--scale N] [--gap N] [--no-titles]\n"
	"                  [--legend] [-o OUT]\n"
	"       seg-colour [--data FILE] [--pred FILE] --legend-only [-o FILE]\n"
	"Writes segmentation pictures as PNG: by default the predicted label maps of\n"
	"--pred (argmax over the classes), or without --pred the label maps of --data,\n"
	"in the class palette (0 #000000, 1 #0080FF, 2 #80FF80, 3 #FF8000, 4 #FF0000,\n"
	"then the PASCAL VOC colour map), with a legend of the classes and their names\n"
	"below them (--legend) or the legend alone (--legend-only). A triplet of photos\n"
	"without label maps (ds-load images) is a pair: input | output.\n";

/* In pixels: the band of a triplet's titles (text of the legend's size, 4
   pixels from the top), the space above a legend under the pictures and
   the margin below it (around a legend alone). */
#define TITLE_PAD 4
#define TITLE_BAND (TITLE_PAD + FONT_H * LEGEND_TEXT + TITLE_PAD)
#define LEGEND_TOP 8
#define LEGEND_MARGIN 4
/* A legend alone: rows at most this wide (margins included). */
#define LEGEND_ONLY_WIDTH 768
/* The default scale makes images at least this high. */
#define MIN_HEIGHT 256

static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
static const char *const titles[3] = {"input", "output", "ground truth"};

typedef struct picker {
	int *idx;
	int n, cap;
} picker;

static void pick(picker *p, long i)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->idx = xrealloc(p->idx, p->cap * sizeof *p->idx);
	}
	p->idx[p->n++] = (int)i;
}

/* --index "3,5,10-12" into the picker (dest); repeatable. */
static void index_option(const opt *o, const char *s)
{
	picker *p = o->dest;
	char *copy = xstrdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok + (tok[0] == '-'), '-');
		long a, b;
		if (dash)
			*dash = 0;
		if (!parse_int(tok, &a) || a < 0 || a > 1L << 30 ||
		    (dash && (!parse_int(dash + 1, &b) || b < a || b > 1L << 30)))
			usage_error("--index: expected numbers from 0 and ranges A-B, got '%s'", s);
		for (long i = a; i <= (dash ? b : a); i++)
			pick(p, i);
	}
	if (!p->n)
		usage_error("--index: no image in '%s'", s);
	free(copy);
}

/* A pattern must hold exactly one %d (with an optional 0 flag and a width
   of at most two digits) and otherwise only %% . */
static int valid_pattern(const char *s)
{
	int conversions = 0;
	for (; *s; s++) {
		if (*s != '%')
			continue;
		if (s[1] == '%') {
			s++;
			continue;
		}
		s++;
		for (int digits = 0; *s >= '0' && *s <= '9'; s++)
			if (++digits > 2)
				return 0;
		if (*s != 'd')
			return 0;
		conversions++;
	}
	return conversions == 1;
}

/* Labels are never negative: dataset_read refuses those. */
static void colour_labels(image *im, const int32_t *lab)
{
	for (int p = 0; p < im->w * im->h; p++)
		palette_colour(lab[p], im->px + 3 * p);
}

/* Label map of image i: the class of each pixel (first of equal maxima). */
static void argmax_map(const tensor *p, int i, int32_t *out)
{
	int k = (int)p->shape[1];
	size_t plane = (size_t)(p->shape[2] * p->shape[3]);
	const float *s = (const float *)p->data + (size_t)i * k * plane;
	for (size_t q = 0; q < plane; q++) {
		int best = 0;
		for (int c = 1; c < k; c++)
			if (s[c * plane + q] > s[best * plane + q])
				best = c;
		out[q] = best;
	}
}

/* What one run draws, and where: the options, then the streams read. */
typedef struct job {
	const char *data_path, *pred_path, *out;
	int photo, label, triplet, want_pred, want_label;
	int parts;          /* side by side: 3 for a triplet, 2 for a pair */
	int legend, legend_only, no_titles;
	long scale, gap;
	picker sel;
	const char *kind;   /* of the picture, in the names of a folder's files */
	dataset *d, *pr;
	const tensor *x, *p, *y;
	const char *dname, *pname, *yname;
	int64_t n, h, w;    /* images drawn and their size */
	const char *first;  /* the stream they were counted in */
	int folder, pattern;
	outdir *od;         /* the folder the files go to, made whole; or NULL */
	char **names;       /* the legend's classes: the streams' names or made */
	int nclass, made_names;
} job;

/* The options and what they ask for. */
static void configure(job *j, int argc, char **argv)
{
	j->gap = 4;
	opt opts[] = {
		{"data", 0, OPT_STRING, &j->data_path, .arg = "FILE",
		 .help = "dataset stream: photos x [N,C,H,W] and label maps y [N,H,W]"},
		{"pred", 0, OPT_STRING, &j->pred_path, .arg = "FILE",
		 .help = "prediction stream: scores p [N,K,H,W] (and label maps y)"},
		{"photo", 0, OPT_FLAG, &j->photo, .help = "the photos of --data instead"},
		{"label", 0, OPT_FLAG, &j->label, .help = "the label maps (of --data, else those carried by --pred)"},
		{"triplet", 0, OPT_FLAG, &j->triplet,
		 .help = "photo | prediction | label map side by side (needs both\nstreams; without label maps, photo | prediction)"},
		{"index", 0, OPT_CUSTOM, &j->sel, .arg = "LIST", .parse = index_option,
		 .help = "images to draw: numbers and ranges from 0, as 3,5,10-12\n(repeatable; default all)"},
		{"scale", 0, OPT_INT, &j->scale, 1, 64, .arg = "N", .help =
		 "enlarge N times, nearest neighbour (default: the least that\nmakes images 256 pixels high)"},
		{"gap", 0, OPT_INT, &j->gap, 0, 256, .arg = "N", .help = "pixels between the parts of a triplet (default 4)"},
		{"no-titles", 0, OPT_FLAG, &j->no_titles, .help = "no titles above the parts of a triplet"},
		{"legend", 0, OPT_FLAG, &j->legend, .help = "a legend of the classes below the label maps"},
		{"legend-only", 0, OPT_FLAG, &j->legend_only, .help = "only the legend, as one PNG (in a folder: legend.png)"},
		{NULL, 'o', OPT_STRING, &j->out, .arg = "OUT",
		 .help = "a folder (existing, ending in /, or not ending in .png when\n"
			 "several images are drawn): one file per image, NNNN-KIND.png;\n"
			 "a pattern with one %d (such as out/%03d.png) replaced by the\n"
			 "index; or one file (default stdout) when one image is drawn"},
		OPT_END,
	};
	if (opt_parse(opts, argc, argv, usage))
		usage_error("unexpected argument '%s'", argv[0]);
	if (j->photo + j->label + j->triplet + j->legend_only > 1)
		usage_error("choose one of --photo, --label, --triplet and --legend-only");
	if (j->legend && (j->photo || j->legend_only))
		usage_error("--legend: %s", j->photo ? "photos have no classes" : "give --legend or --legend-only");
	if (j->legend_only && j->sel.n)
		usage_error("--index: --legend-only draws no images");
	if (!j->data_path && !j->pred_path)
		usage_error("need --data FILE or --pred FILE");
	if (j->data_path && j->pred_path && !strcmp(j->data_path, "-") && !strcmp(j->pred_path, "-"))
		usage_error("--data and --pred cannot both be stdin");
	if ((j->photo || j->triplet) && !j->data_path)
		usage_error("%s needs --data FILE (the photos)", j->photo ? "--photo" : "--triplet");
	if (j->triplet && !j->pred_path)
		usage_error("--triplet needs --pred FILE");
	/* a folder named so, or one that is there: made whole beside it */
	struct stat st;
	size_t olen = j->out ? strlen(j->out) : 0;
	if (olen && (j->out[olen - 1] == '/' || (!stat(j->out, &st) && S_ISDIR(st.st_mode)))) {
		j->folder = 1;
		j->od = outdir_open(j->out);
	} else {
		io_check(IO_LIST(j->data_path, j->pred_path), IO_LIST(j->out ? j->out : "-"));
	}
	out_refuse_terminal(j->out);
	if (j->legend_only)
		return;
	j->want_pred = j->triplet || (!j->photo && !j->label && j->pred_path);
	j->want_label = j->triplet || j->label || (!j->photo && !j->pred_path);
	j->kind = j->triplet ? "triplet" : j->photo ? "photo" : j->want_pred ? "pred" : "label";
	j->parts = j->triplet ? 3 : 1;
}

/* The streams, each checked for what is drawn from it. */
static void streams_read(job *j)
{
	j->d = j->data_path ? dataset_read(j->data_path, "dataset") : NULL;
	j->pr = j->pred_path ? dataset_read(j->pred_path, "prediction") : NULL;
	j->dname = display_name(j->data_path);
	j->pname = display_name(j->pred_path);
	if (j->d && j->pr)
		class_names_agree(j->pname, j->pr->names, j->pr->nclass, j->dname, j->d->names, j->d->nclass,
				  1);
	j->x = j->d ? j->d->x : NULL;
	j->p = j->pr ? j->pr->x : NULL;
	if (j->want_label) {
		j->y = j->d && j->d->y ? j->d->y : j->pr ? j->pr->y : NULL;
		j->yname = j->d && j->d->y ? j->dname : j->pname;
		if (!j->y && j->triplet) {
			/* photos of one's own, without label maps: no ground truth */
			note("%s and %s: no label maps (y): drawing input | output pairs", j->dname, j->pname);
			j->want_label = 0;
			j->parts = 2;
			j->kind = "pair";
		} else if (!j->y) {
			fatal("%s: no labels in stream: no label maps (y) to draw", j->data_path ? j->dname : j->pname);
		}
	}
	if (j->y && j->y->ndim != 3)
		fatal("%s: labels of %d dimensions, not label maps [N,H,W]", j->yname, j->y->ndim);
	if (j->y && j->p)
		dataset_labels_check(j->y, j->p->shape[1], j->yname);
	const tensor *p = j->p;
	if (p && p->ndim != 4)
		fatal("%s: scores of %d dimensions, not per-pixel scores [N,K,H,W]", j->pname, p->ndim);
	if ((j->photo || j->triplet) && j->x->shape[1] != 1 && j->x->shape[1] != 3)
		fatal("%s: photos of %lld channels (1 or 3 can be drawn)", j->dname, (long long)j->x->shape[1]);
}

/* The legend's classes: the names carried by the prediction stream, else
   by the dataset stream; without names, as many as p has scores or as the
   largest label of either stream says, named "class C". */
static void classes_find(job *j)
{
	const dataset *named = j->pr && j->pr->names ? j->pr : j->d && j->d->names ? j->d : NULL;
	if (named) {
		j->names = named->names;
		j->nclass = named->nclass;
		return;
	}
	int64_t k = j->p ? j->p->shape[1] : 0;
	const tensor *ys[2] = {j->d ? j->d->y : NULL, j->pr ? j->pr->y : NULL};
	for (int s = 0; s < 2; s++)
		for (int64_t q = 0; ys[s] && q < tensor_numel(ys[s]); q++)
			if (((const int32_t *)ys[s]->data)[q] >= k)
				k = ((const int32_t *)ys[s]->data)[q] + 1;
	if (!k)
		fatal("%s: no classes for a legend (no class names, scores or labels)",
		      j->data_path ? j->dname : j->pname);
	if (k > 1 << 16)
		fatal("%s: %lld classes are too many for a legend", j->data_path ? j->dname : j->pname,
		      (long long)k);
	j->nclass = (int)k;
	j->names = xmalloc((size_t)k * sizeof *j->names);
	j->made_names = 1;
	for (int c = 0; c < j->nclass; c++) {
		char name[32];
		snprintf(name, sizeof name, "class %d", c);
		j->names[c] = xstrdup(name);
	}
}

/* The file of a folder's or a pattern's picture (new memory): NAME in the
   temporary folder that becomes the output folder. */
static char *write_path(const job *j, const char *path)
{
	if (!j->od)
		return xstrdup(path);
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *w = xmalloc(strlen(j->od->tmp) + strlen(base) + 2);
	sprintf(w, "%s/%s", j->od->tmp, base);
	return w;
}

/* Checks the files of a folder or a pattern against the inputs; a folder
   not yet made holds none of them. */
static void folder_file_check(const job *j, const char *path)
{
	struct stat st;
	char *dir = path_dir(path);
	if (!j->od || !stat(dir, &st))
		io_check(IO_LIST(j->data_path, j->pred_path), IO_LIST(path));
	free(dir);
}

/* The legend alone, in one file (in a folder: legend.png). */
static void legend_only(const job *j)
{
	const char *out = j->out ? j->out : "-";
	size_t olen = strlen(out);
	char *path = xmalloc(olen + 16);
	if (j->folder)
		snprintf(path, olen + 16, "%s%slegend.png", out, out[olen - 1] == '/' ? "" : "/");
	else
		snprintf(path, olen + 16, "%s", out);
	folder_file_check(j, path);
	char *file = write_path(j, path);
	int w, h;
	legend_size(j->names, j->nclass, LEGEND_ONLY_WIDTH - 2 * LEGEND_MARGIN, &w, &h);
	image *im = canvas_new(w + 2 * LEGEND_MARGIN, h + 2 * LEGEND_MARGIN, 3, white, path);
	legend_draw(im, LEGEND_MARGIN, LEGEND_MARGIN, j->names, j->nclass, LEGEND_ONLY_WIDTH - 2 * LEGEND_MARGIN);
	png_write(file, im);
	image_free(im);
	free(file);
	free(path);
}

/* Every stream drawn must have the same images and sizes; the images
   chosen must be there. */
static void images_check(job *j)
{
	const tensor *drawn[3] = {(j->photo || j->triplet) ? j->x : NULL, j->want_pred ? j->p : NULL, j->y};
	const char *drawn_name[3] = {j->dname, j->pname, j->yname};
	j->n = -1;
	for (int s = 0; s < 3; s++) {
		const tensor *t = drawn[s];
		if (!t)
			continue;
		int64_t th = t->shape[t->ndim - 2], tw = t->shape[t->ndim - 1];
		if (j->n < 0) {
			j->n = t->shape[0], j->h = th, j->w = tw, j->first = drawn_name[s];
		} else if (t->shape[0] != j->n || th != j->h || tw != j->w) {
			fatal("%s: %lld images of %lldx%lld, but %s has %lld of %lldx%lld", drawn_name[s],
			      (long long)t->shape[0], (long long)tw, (long long)th, j->first, (long long)j->n,
			      (long long)j->w, (long long)j->h);
		}
	}
	if (!j->sel.n)
		for (int64_t i = 0; i < j->n; i++)
			pick(&j->sel, i);
	if (!j->sel.n)
		fatal("%s: no images", j->first);
	for (int k = 0; k < j->sel.n; k++)
		if (j->sel.idx[k] >= j->n)
			fatal("%s: no image %d (there are %lld)", j->first, j->sel.idx[k], (long long)j->n);
}

/* Where the files go: a folder (named so, existing, or the only place
   several images can go), a pattern, or one file. A folder's files, and a
   pattern's when its number is in the file's name, are made in a new
   folder that becomes the folder (or is merged into it) when all are
   written. */
static void outputs_plan(job *j)
{
	const char *out = j->out;
	size_t olen = out ? strlen(out) : 0;
	int is_png = olen > 4 && !strcmp(out + olen - 4, ".png");
	j->pattern = out && !j->folder && strchr(out, '%');
	if (j->pattern && !valid_pattern(out))
		usage_error("-o: a pattern needs exactly one %%d (and %%%% for a %%), got '%s'", out);
	if (!j->folder && !j->pattern && j->sel.n > 1) {
		if (!out || !strcmp(out, "-") || is_png)
			usage_error("%d images to draw: give -o FOLDER or -o PATTERN with %%d", j->sel.n);
		j->folder = 1;
	}
	if (j->folder && !j->od)
		j->od = outdir_open(out);
	const char *slash = out ? strrchr(out, '/') : NULL;
	if (j->pattern && (!slash || strchr(slash, '%'))) {
		char *dir = path_dir(out);
		j->od = outdir_open(dir);
		free(dir);
	}
}

/* The file of image i. */
static void image_path(const job *j, int i, char *path, size_t cap)
{
	const char *out = j->out;
	if (j->folder)
		snprintf(path, cap, "%s%s%04d-%s.png", out, out[strlen(out) - 1] == '/' ? "" : "/", i, j->kind);
	else if (j->pattern)
		snprintf(path, cap, out, i);
	else
		snprintf(path, cap, "%s", out ? out : "-");
}

/* Every picture: each file's name is checked against the inputs before any
   is written. The parts side by side (under a band of titles for a
   triplet or a pair), then the legend LEGEND_TOP pixels below them. */
static void draw_all(const job *j)
{
	int64_t least = j->h > 0 ? (MIN_HEIGHT + j->h - 1) / j->h : 1;
	int scale = j->scale ? (int)j->scale : least < 64 ? (int)least : 64;
	grid g = {0};
	g.rows = 1;
	g.cols = j->parts;
	g.tile_w = (int)(j->w * scale);
	g.tile_h = (int)(j->h * scale);
	g.gap = (int)j->gap;
	g.top = j->triplet && !j->no_titles ? TITLE_BAND : 0;
	int c = j->photo && j->x->shape[1] == 1 ? 1 : 3, gw, gh, lw = 0, lh = 0;
	grid_size(&g, j->first, &gw, &gh);
	if (j->legend)
		legend_size(j->names, j->nclass, gw, &lw, &lh);
	int64_t pw = gw > lw ? gw : lw, ph = j->legend ? (int64_t)gh + LEGEND_TOP + lh + LEGEND_MARGIN : gh;
	int32_t *map = xmalloc((size_t)(j->h * j->w) * sizeof *map);
	image *part = image_new((int)j->w, (int)j->h, 3);
	size_t pathcap = (j->out ? strlen(j->out) : 0) + 64;
	char *path = xmalloc(pathcap);
	for (int k = 0; k < j->sel.n; k++) {
		image_path(j, j->sel.idx[k], path, pathcap);
		folder_file_check(j, path);
	}
	for (int k = 0; k < j->sel.n; k++) {
		int i = j->sel.idx[k], tx, ty, col = 0;
		image_path(j, i, path, pathcap);
		image *im = canvas_new(pw, ph, c, white, path);
		if (j->photo || j->triplet) {
			image *s = draw_sample(j->x, i);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, s, scale);
			image_free(s);
		}
		if (j->want_pred) {
			argmax_map(j->p, i, map);
			colour_labels(part, map);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, part, scale);
		}
		if (j->want_label) {
			colour_labels(part, (const int32_t *)j->y->data + (size_t)i * j->h * j->w);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, part, scale);
		}
		for (int t = 0; g.top && t < j->parts; t++) {
			int tw = text_width(titles[t]) * LEGEND_TEXT;
			grid_origin(&g, 0, t, &tx, &ty);
			draw_text_sized(im, tx + (tw < g.tile_w ? (g.tile_w - tw) / 2 : 0), TITLE_PAD, titles[t],
					g.tile_w, black, LEGEND_TEXT);
		}
		if (j->legend)
			legend_draw(im, 0, gh + LEGEND_TOP, j->names, j->nclass, gw);
		char *file = write_path(j, path);
		png_write(file, im);
		free(file);
		image_free(im);
	}
	free(path);
	free(map);
	image_free(part);
}

int main(int argc, char **argv)
{
	tool_start("seg-colour");
	job j = {0};
	configure(&j, argc, argv);
	streams_read(&j);
	if (j.legend || j.legend_only)
		classes_find(&j);
	if (j.legend_only) {
		legend_only(&j);
	} else {
		images_check(&j);
		outputs_plan(&j);
		draw_all(&j);
	}
	if (j.od)
		outdir_commit(j.od, NULL);
	if (j.made_names) {
		for (int c = 0; c < j.nclass; c++)
			free(j.names[c]);
		free(j.names);
	}
	free(j.sel.idx);
	dataset_free(j.pr);
	dataset_free(j.d);
	return 0;
}
