/* seg-colour: segmentation pictures: label maps (a dataset stream's y) and
   predictions (the argmax of a prediction stream's p) in the class palette,
   input photos (x) back to PNG, or all three side by side. */
#include "dataset.h"
#include "draw.h"
#include "image.h"
#include "metrics.h"
#include "output.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(void)
{
	printf("usage: seg-colour [--data FILE] [--pred FILE] [--photo | --label | --triplet]\n"
	       "                  [--index LIST]... [--scale N] [--gap N] [-o OUT]\n"
	       "Writes segmentation pictures as PNG: by default the predicted label maps of\n"
	       "--pred (argmax over the classes), or without --pred the label maps of --data,\n"
	       "in the class palette (0 #000000, 1 #0080FF, 2 #80FF80, 3 #FF8000, 4 #FF0000,\n"
	       "then the PASCAL VOC colour map).\n"
	       "  --data FILE   dataset stream: photos x [N,C,H,W] and label maps y [N,H,W]\n"
	       "  --pred FILE   prediction stream: scores p [N,K,H,W] (and label maps y)\n"
	       "  --photo       the photos of --data instead\n"
	       "  --label       the label maps (of --data, else those carried by --pred)\n"
	       "  --triplet     photo | prediction | label map side by side (needs both streams)\n"
	       "  --index LIST  images to draw: numbers and ranges from 0, as 3,5,10-12\n"
	       "                (repeatable; default all)\n"
	       "  --scale N     enlarge N times, nearest neighbour (default 1)\n"
	       "  --gap N       pixels between the parts of a triplet (default 4)\n"
	       "  -o OUT        a folder (existing, ending in /, or not ending in .png when\n"
	       "                several images are drawn): one file per image, NNNN-KIND.png;\n"
	       "                a pattern with one %%d (such as out/%%03d.png) replaced by the\n"
	       "                index; or one file (default stdout) when one image is drawn\n"
	       "  --help        show this help\n");
}

static const uint8_t white[3] = {255, 255, 255};

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

/* "3,5,10-12" */
static void parse_index_list(picker *p, const char *s)
{
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

int main(int argc, char **argv)
{
	tool_start("seg-colour");
	const char *data_path = NULL, *pred_path = NULL, *out = NULL, *v;
	int photo = 0, label = 0, triplet = 0;
	long scale = 1, gap = 4;
	picker sel = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long n;
		if (!strcmp(a, "--help")) {
			usage();
			return 0;
		} else if (opt_value(argv, argc, &i, "--data", &v)) {
			data_path = v;
		} else if (opt_value(argv, argc, &i, "--pred", &v)) {
			pred_path = v;
		} else if (opt_value(argv, argc, &i, "-o", &v)) {
			out = v;
		} else if (opt_value(argv, argc, &i, "--index", &v)) {
			parse_index_list(&sel, v);
		} else if (opt_value(argv, argc, &i, "--scale", &v)) {
			if (!parse_int(v, &n) || n < 1 || n > 64)
				usage_error("--scale: expected 1 to 64, got '%s'", v);
			scale = n;
		} else if (opt_value(argv, argc, &i, "--gap", &v)) {
			if (!parse_int(v, &n) || n < 0 || n > 256)
				usage_error("--gap: expected 0 to 256, got '%s'", v);
			gap = n;
		} else if (opt_flag(argv, &i, "--photo")) {
			photo = 1;
		} else if (opt_flag(argv, &i, "--label")) {
			label = 1;
		} else if (opt_flag(argv, &i, "--triplet")) {
			triplet = 1;
		} else {
			usage_error("unexpected argument '%s'", a);
		}
	}
	if (photo + label + triplet > 1)
		usage_error("choose one of --photo, --label and --triplet");
	if (!data_path && !pred_path)
		usage_error("need --data FILE or --pred FILE");
	if (data_path && pred_path && !strcmp(data_path, "-") && !strcmp(pred_path, "-"))
		usage_error("--data and --pred cannot both be stdin");
	if ((photo || triplet) && !data_path)
		usage_error("%s needs --data FILE (the photos)", photo ? "--photo" : "--triplet");
	if (triplet && !pred_path)
		usage_error("--triplet needs --pred FILE");
	io_check(IO_LIST(data_path, pred_path), IO_LIST(out ? out : "-"));
	int want_pred = triplet || (!photo && !label && pred_path);
	int want_label = triplet || label || (!photo && !pred_path);
	const char *kind = triplet ? "triplet" : photo ? "photo" : want_pred ? "pred" : "label";

	dataset *d = data_path ? dataset_read(data_path, "dataset") : NULL;
	dataset *pr = pred_path ? dataset_read(pred_path, "prediction") : NULL;
	const char *dname = path_name(data_path), *pname = path_name(pred_path);
	const tensor *x = d ? d->x : NULL, *p = pr ? pr->x : NULL;
	const tensor *y = NULL;
	const char *yname = NULL;
	if (want_label) {
		y = d && d->y ? d->y : pr ? pr->y : NULL;
		yname = d && d->y ? dname : pname;
		if (!y)
			fatal("%s: no label maps (y) to draw", data_path ? dname : pname);
		if (y->ndim != 3)
			fatal("%s: labels of %d dimensions, not label maps [N,H,W]", yname, y->ndim);
	}
	if (p && p->ndim != 4)
		fatal("%s: scores of %d dimensions, not per-pixel scores [N,K,H,W]", pname, p->ndim);
	if (want_pred) {
		int64_t bad = metrics_find_nan(p->data, (size_t)tensor_numel(p));
		if (bad >= 0)
			fatal("%s: score is NaN in image %lld", pname, (long long)(bad / (tensor_numel(p) / p->shape[0])));
	}
	if ((photo || triplet) && x->shape[1] != 1 && x->shape[1] != 3)
		fatal("%s: photos of %lld channels (1 or 3 can be drawn)", dname, (long long)x->shape[1]);
	/* every stream drawn must have the same images and sizes */
	const tensor *drawn[3] = {(photo || triplet) ? x : NULL, want_pred ? p : NULL, y};
	const char *drawn_name[3] = {dname, pname, yname};
	int64_t n = -1, h = 0, w = 0;
	const char *first = NULL;
	for (int s = 0; s < 3; s++) {
		const tensor *t = drawn[s];
		if (!t)
			continue;
		int64_t th = t->shape[t->ndim - 2], tw = t->shape[t->ndim - 1];
		if (n < 0) {
			n = t->shape[0], h = th, w = tw, first = drawn_name[s];
		} else if (t->shape[0] != n || th != h || tw != w) {
			fatal("%s: %lld images of %lldx%lld, but %s has %lld of %lldx%lld", drawn_name[s],
			      (long long)t->shape[0], (long long)tw, (long long)th, first, (long long)n,
			      (long long)w, (long long)h);
		}
	}
	if (!sel.n)
		for (int64_t i = 0; i < n; i++)
			pick(&sel, i);
	if (!sel.n)
		fatal("%s: no images", first);
	for (int j = 0; j < sel.n; j++)
		if (sel.idx[j] >= n)
			fatal("%s: no image %d (there are %lld)", first, sel.idx[j], (long long)n);

	/* where the files go */
	struct stat st;
	size_t olen = out ? strlen(out) : 0;
	/* a folder: named so, existing, or the only place several images can go */
	int is_png = olen > 4 && !strcmp(out + olen - 4, ".png");
	int folder = out && ((olen && out[olen - 1] == '/') || (!stat(out, &st) && S_ISDIR(st.st_mode)));
	int pattern = out && !folder && strchr(out, '%');
	if (pattern && !valid_pattern(out))
		usage_error("-o: a pattern needs exactly one %%d (and %%%% for a %%), got '%s'", out);
	if (!folder && !pattern && sel.n > 1) {
		if (!out || !strcmp(out, "-") || is_png)
			usage_error("%d images to draw: give -o FOLDER or -o PATTERN with %%d", sel.n);
		folder = 1;
	}
	if (folder && mkdir(out, 0777) && errno != EEXIST)
		fatal("%s: cannot make the folder: %s", out, strerror(errno));

	grid g = {0};
	g.rows = 1;
	g.cols = triplet ? 3 : 1;
	g.tile_w = (int)(w * scale);
	g.tile_h = (int)(h * scale);
	g.gap = (int)gap;
	int c = photo && x->shape[1] == 1 ? 1 : 3;
	int32_t *map = xmalloc((size_t)(h * w) * sizeof *map);
	image *part = image_new((int)w, (int)h, 3);
	size_t pathcap = olen + 64;
	char *path = xmalloc(pathcap);
	/* every file's name, checked against the inputs before any is written */
	for (int pass = 0; pass < 2; pass++)
	for (int j = 0; j < sel.n; j++) {
		int i = sel.idx[j], tx, ty, col = 0;
		if (folder)
			snprintf(path, pathcap, "%s%s%04d-%s.png", out, out[olen - 1] == '/' ? "" : "/", i, kind);
		else if (pattern)
			snprintf(path, pathcap, out, i);
		else
			snprintf(path, pathcap, "%s", out ? out : "-");
		if (pass == 0) {
			io_check(IO_LIST(data_path, pred_path), IO_LIST(path));
			continue;
		}
		image *im = grid_image(&g, c, white, path);
		if (photo || triplet) {
			image *s = draw_sample(x, i);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, s, (int)scale);
			image_free(s);
		}
		if (want_pred) {
			argmax_map(p, i, map);
			colour_labels(part, map);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, part, (int)scale);
		}
		if (want_label) {
			colour_labels(part, (const int32_t *)y->data + (size_t)i * h * w);
			grid_origin(&g, 0, col++, &tx, &ty);
			draw_blit(im, tx, ty, part, (int)scale);
		}
		png_write(path, im);
		image_free(im);
	}

	free(path);
	free(map);
	image_free(part);
	free(sel.idx);
	dataset_free(pr);
	dataset_free(d);
	return 0;
}
