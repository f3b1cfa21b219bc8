/* ds-split: splits a dataset stream into two at random with a fixed seed
   (training / validation), or describes a dataset stream (--info). */
#include "formats/dataset.h"
#include "formats/npy.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: ds-split --take N|F [--seed S] [--stratify] -o OUT -r REST [IN]\n"
	"       ds-split --info [IN]\n"
	"Shuffles the samples of a dataset stream with a seeded generator and writes\n"
	"the first N to OUT and the others to REST, keeping the class names.\n"
	"IN is a file or - (stdin, the default).\n";

/* Most classes counted: the tables below are per class, and a stray huge
   label without names must not ask for gigabytes. As ap-score. */
#define MAX_CLASSES 65536

/* Class id range of labels: number of classes is max id + 1 (or the names). */
static int class_count(const dataset *d, const char *path)
{
	int64_t k = d->nclass;
	const int32_t *y = d->y->data;
	for (int64_t i = 0, n = tensor_numel(d->y); i < n; i++)
		if (y[i] >= k)
			k = (int64_t)y[i] + 1;
	if (k > MAX_CLASSES)
		fatal("%s: label %lld: more than %d classes", display_name(path), (long long)k - 1,
		      MAX_CLASSES);
	return (int)k;
}

/* The per-channel statistics of x, in its own units (0..255 for uint8). */
static void x_stats(const tensor *x, long n)
{
	int64_t C = x->shape[1], hw = x->shape[2] * x->shape[3];
	double lo = INFINITY, hi = -INFINITY;
	double *sum = xcalloc(C, sizeof *sum), *sq = xcalloc(C, sizeof *sq);
	for (int64_t i = 0; i < n; i++)
		for (int64_t c = 0; c < C; c++)
			for (int64_t p = 0, o = (i * C + c) * hw; p < hw; p++) {
				double v = x->dtype == DT_U8 ? ((uint8_t *)x->data)[o + p]
							     : ((float *)x->data)[o + p];
				sum[c] += v;
				sq[c] += v * v;
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
			}
	if (n) {
		printf("x_min\t%g\nx_max\t%g\nx_mean", lo, hi);
		for (int64_t c = 0; c < C; c++)
			printf("\t%.4f", sum[c] / (n * hw));
		printf("\nx_std");
		for (int64_t c = 0; c < C; c++) {
			double mean = sum[c] / (n * hw), var = sq[c] / (n * hw) - mean * mean;
			printf("\t%.4f", sqrt(var > 0 ? var : 0));
		}
		printf("\n");
	}
	free(sum);
	free(sq);
}

/* A row per class of the labels: its count (pixels for label maps), its
   share, the images it is in (label maps) and its name. */
static void class_table(const dataset *d, int k)
{
	int seg = d->y->ndim == 3;
	int64_t n = dataset_len(d), per = seg ? d->y->shape[1] * d->y->shape[2] : 1, total = n * per;
	int64_t *count = xcalloc(k ? k : 1, sizeof *count);
	int64_t *images = xcalloc(k ? k : 1, sizeof *images);
	char *seen = xmalloc(k ? k : 1);
	const int32_t *y = d->y->data;
	for (int64_t i = 0; i < n; i++) {
		memset(seen, 0, k);
		for (int64_t p = 0; p < per; p++) {
			count[y[i * per + p]]++;
			seen[y[i * per + p]] = 1;
		}
		for (int c = 0; c < k; c++)
			images[c] += seen[c];
	}
	free(seen);
	printf(seg ? "class\tpixels\tfraction\timages\tname\n" : "class\tcount\tfraction\tname\n");
	for (int c = 0; c < k; c++) {
		printf("%d\t%lld\t%.4f\t", c, (long long)count[c], total ? (double)count[c] / total : 0);
		if (seg)
			printf("%lld\t", (long long)images[c]);
		printf("%s\n", c < d->nclass ? d->names[c] : "-");
	}
	free(count);
	free(images);
}

static void info(const char *path)
{
	size_t len;
	char *buf = read_file(path, &len);
	if (!len)
		fatal("%s: empty stream, expected a dataset stream", display_name(path));
	/* first pass checks the whole stream, the second lists stored dtypes */
	FILE *m = fmemopen(buf, len, "rb");
	if (!m)
		fatal("%s: cannot read from memory", display_name(path));
	dataset *d = dataset_read_stream(m, path, "dataset");
	int k = d->y ? class_count(d, path) : 0;
	rewind(m);
	char s[128];
	long n = dataset_len(d);
	printf("file\t%s\nsamples\t%ld\n", display_name(path), n);
	tensor t;
	for (int i = 0; npy_read_header(m, path, &t); i++) {
		if (t.dtype == DT_STR)
			printf("names\t|S%zu %s\n", t.itemsize, shape_str(&t, s, sizeof s));
		else
			printf("%s\t%s %s\n", i ? "y" : "x", dtype_name(t.dtype), shape_str(&t, s, sizeof s));
		if (fseek(m, (long)tensor_bytes(&t), SEEK_CUR))
			fatal("%s: cannot skip array data", display_name(path));
	}
	fclose(m);
	free(buf);

	x_stats(d->x, n);
	if (d->y)
		class_table(d, k);
	dataset_free(d);
	stdout_check();
}

/* Copies samples idx[0..n) of d into a new x and y. */
static void gather(const dataset *d, const int *idx, long n, tensor **x, tensor **y)
{
	int64_t shape[TENSOR_MAXDIM];
	memcpy(shape, d->x->shape, sizeof shape);
	shape[0] = n;
	*x = tensor_new(d->x->dtype, d->x->ndim, shape, 0);
	size_t xs = tensor_bytes(d->x) / (d->x->shape[0] ? d->x->shape[0] : 1);
	for (long i = 0; i < n; i++)
		memcpy((char *)(*x)->data + i * xs, (char *)d->x->data + idx[i] * xs, xs);
	*y = NULL;
	if (!d->y)
		return;
	memcpy(shape, d->y->shape, sizeof shape);
	shape[0] = n;
	*y = tensor_new(DT_I32, d->y->ndim, shape, 0);
	size_t ys = tensor_bytes(d->y) / (d->y->shape[0] ? d->y->shape[0] : 1);
	for (long i = 0; i < n; i++)
		memcpy((char *)(*y)->data + i * ys, (char *)d->y->data + idx[i] * ys, ys);
}

/* Reorders the shuffled idx so that its first take entries hold, from each
   class c, round(take * n_c / N) samples (largest remainders break the
   rounding so the total is take), both parts keeping the shuffled order. */
static void stratify(const dataset *d, const char *path, int *idx, long n, long take)
{
	int k = class_count(d, path);
	const int32_t *y = d->y->data;
	long *have = xcalloc(k, sizeof *have), *quota = xcalloc(k, sizeof *quota);
	double *frac = xcalloc(k, sizeof *frac);
	for (long i = 0; i < n; i++)
		have[y[i]]++;
	long given = 0;
	for (int c = 0; c < k; c++) {
		double q = n ? (double)take * have[c] / n : 0;
		quota[c] = (long)floor(q);
		frac[c] = q - quota[c];
		given += quota[c];
	}
	for (; given < take; given++) {
		int best = -1;
		for (int c = 0; c < k; c++)
			if (quota[c] < have[c] && (best < 0 || frac[c] > frac[best]))
				best = c;
		quota[best]++;
		frac[best] = -1;
	}
	int *first = xmalloc(sizeof *first * (n ? n : 1)), *rest = xmalloc(sizeof *rest * (n ? n : 1));
	long nf = 0, nr = 0;
	for (long i = 0; i < n; i++) {
		int c = y[idx[i]];
		if (quota[c] > 0) {
			quota[c]--;
			first[nf++] = idx[i];
		} else {
			rest[nr++] = idx[i];
		}
	}
	memcpy(idx, first, sizeof *idx * nf);
	memcpy(idx + nf, rest, sizeof *idx * nr);
	free(first);
	free(rest);
	free(have);
	free(quota);
	free(frac);
}

static void part_write(outfile *o, const char *path, const dataset *d, const int *idx, long n)
{
	tensor *x, *y;
	gather(d, idx, n, &x, &y);
	dataset_write(o->f, out_name(path), x, y, d->names, d->nclass);
	tensor_free(x);
	tensor_free(y);
}

int main(int argc, char **argv)
{
	tool_start("ds-split");
	const char *take_s = NULL, *out = NULL, *rest = NULL;
	long seed = 0;
	int strat = 0, want_info = 0;
	opt opts[] = {
		{"take", 0, OPT_STRING, &take_s, .arg = "N|F",
		 .help = "how many samples go to OUT: a count (54000) or a\nfraction with a decimal point (0.9)"},
		{"seed", 0, OPT_INT, &seed, 0, LONG_MAX, .arg = "S",
		 .help = "seed of the shuffle (default 0); the same seed gives the\nsame split on every machine"},
		{"stratify", 0, OPT_FLAG, &strat, .help = "keep each class's share equal in both parts (labels [N])"},
		{"output", 'o', OPT_STRING, &out, .arg = "OUT", .help = "first part (- for stdout)"},
		{"rest", 'r', OPT_STRING, &rest, .arg = "REST", .help = "second part"},
		{"info", 0, OPT_FLAG, &want_info,
		 .help = "print samples, shapes, dtypes, pixel statistics and\nclass counts to stdout instead of splitting"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (nargs > 1)
		usage_error("one input at most");
	const char *in = nargs ? argv[0] : "-";
	if (want_info) {
		if (take_s || out || rest || strat)
			usage_error("--info takes no other option");
		info(in);
		return 0;
	}
	if (!take_s)
		usage_error("--take is required (a count or a fraction)");
	if (!rest)
		usage_error("-r REST is required (where the other samples go)");
	io_check(IO_LIST(in), IO_LIST(out ? out : "-", rest));
	out_refuse_terminal(out);
	out_refuse_terminal(rest);
	long take = -1;
	double frac = -1;
	if (!parse_int(take_s, &take)) {
		if (!parse_float(take_s, &frac) || frac < 0 || frac > 1)
			usage_error("--take must be a count or a fraction from 0 to 1, not '%s'", take_s);
	} else if (take < 0) {
		usage_error("--take must not be negative");
	}

	dataset *d = dataset_read(in, "dataset");
	long n = dataset_len(d);
	if (n > INT_MAX)
		fatal("%s: %ld samples is more than ds-split handles", display_name(in), n);
	if (frac >= 0)
		take = lround(frac * n);
	if (take > n)
		fatal("%s: --take %ld but the dataset has only %ld samples", display_name(in), take, n);
	if (strat && !d->y)
		fatal("%s: no labels in stream: --stratify needs class labels [N]", display_name(in));
	if (strat && d->y->ndim != 1)
		fatal("%s: --stratify needs class labels of shape [N]", display_name(in));

	int *idx = xmalloc(sizeof *idx * (n ? n : 1));
	for (long i = 0; i < n; i++)
		idx[i] = (int)i;
	rng r;
	rng_seed(&r, (uint64_t)seed, 0);
	rng_shuffle(&r, idx, (int)n);
	if (strat)
		stratify(d, in, idx, n, take);

	/* both files are complete before either is renamed into place */
	outfile *o1 = out_open(out), *o2 = out_open(rest);
	part_write(o1, out, d, idx, take);
	part_write(o2, rest, d, idx + take, n - take);
	out_commit(o1);
	out_commit(o2);
	note("%ld samples: %ld to %s, %ld to %s (seed %ld%s)", n, take, out_name(out),
	     n - take, out_name(rest), seed, strat ? ", stratified" : "");
	free(idx);
	dataset_free(d);
	return 0;
}
