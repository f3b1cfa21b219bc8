/* ap-score: scores a prediction stream against its labels: per-class accuracy,
   accuracy, per-class average precision (as scikit-learn) and mAP; for
   segmentation also IoU and pixel accuracy; as aligned text or as TSV. */
#include "dataset.h"
#include "metrics.h"
#include "opt.h"
#include "output.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: ap-score [--labels FILE] [--classes A,B,...] [--confusion] [--tsv] [FILE]\n"
	"Scores a prediction stream (p [N,K] or [N,K,H,W] scores, then labels y) read\n"
	"from FILE or stdin: per-class accuracy and average precision (scikit-learn's\n"
	"average_precision_score), accuracy and mAP; IoU and pixel accuracy for\n"
	"segmentation.\n";

static char **split_names(const char *s, int *k)
{
	char *copy = xstrdup(s);
	int n = 1;
	for (const char *c = s; *c; c++)
		n += *c == ',';
	char **names = xcalloc(n, sizeof *names);
	char *p = copy;
	for (int i = 0; i < n; i++) {
		char *e = strchr(p, ',');
		if (e)
			*e = 0;
		if (!*p)
			usage_error("--classes: empty class name in '%s'", s);
		names[i] = xstrdup(p);
		p = e + 1;
	}
	free(copy);
	*k = n;
	return names;
}

static int digits(int64_t v)
{
	int d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* A name as one TSV field: tabs and line breaks would split it. */
static void print_field(const char *s)
{
	for (; *s; s++)
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void print_tsv_value(double v)
{
	if (isnan(v))
		printf("\tnan");
	else
		printf("\t%.8f", v);
}

static void print_tsv(const metrics *m, char **names, int confusion)
{
	int k = m->nclass;
	printf("class\tname\tn\taccuracy\tap\tiou");
	if (confusion)
		for (int c = 0; c < k; c++)
			printf("\tpred%d", c);
	putchar('\n');
	for (int t = 0; t < k; t++) {
		printf("%d\t", t);
		print_field(names[t]);
		printf("\t%lld", (long long)m->count[t]);
		print_tsv_value(m->class_accuracy[t]);
		print_tsv_value(m->ap[t]);
		print_tsv_value(m->iou[t]);
		if (confusion)
			for (int c = 0; c < k; c++)
				printf("\t%lld", (long long)m->confusion[t * k + c]);
		putchar('\n');
	}
	printf("mean\tmean\t%lld", (long long)m->total);
	print_tsv_value(m->mean_class_accuracy);
	print_tsv_value(m->map);
	print_tsv_value(m->miou);
	if (confusion)
		for (int c = 0; c < k; c++)
			printf("\tnan");
	putchar('\n');
	printf("all\tall\t%lld", (long long)m->total);
	print_tsv_value(m->accuracy);
	print_tsv_value(NAN);
	print_tsv_value(NAN);
	if (confusion)
		for (int c = 0; c < k; c++)
			printf("\t%lld", (long long)m->predicted[c]);
	putchar('\n');
}

static void print_value(double v, int width)
{
	if (isnan(v))
		printf("  %*s", width, "n/a");
	else
		printf("  %*.4f", width, v);
}

/* Row labels "3 window", padded to the widest. */
static int label_width(char **names, int k)
{
	int w = 5; /* "class" */
	for (int c = 0; c < k; c++) {
		int l = digits(k - 1) + 1 + (int)strlen(names[c]);
		if (l > w)
			w = l;
	}
	return w;
}

static void print_label(int c, char **names, int k, int width)
{
	printf("%*d %-*s", digits(k - 1), c, width - digits(k - 1) - 1, names[c]);
}

static void print_text(const metrics *m, char **names, int segmentation, int confusion)
{
	int k = m->nclass, lw = label_width(names, k);
	const char *count_name = segmentation ? "pixels" : "n";
	int nw = digits(m->total);
	if (nw < (int)strlen(count_name))
		nw = (int)strlen(count_name);
	printf("%-*s  %*s  %8s  %6s", lw, "class", nw, count_name, "accuracy", "AP");
	if (segmentation)
		printf("  %6s", "IoU");
	putchar('\n');
	for (int c = 0; c < k; c++) {
		print_label(c, names, k, lw);
		printf("  %*lld", nw, (long long)m->count[c]);
		print_value(m->class_accuracy[c], 8);
		print_value(m->ap[c], 6);
		if (segmentation)
			print_value(m->iou[c], 6);
		putchar('\n');
	}
	putchar('\n');
	int64_t correct = 0;
	for (int c = 0; c < k; c++)
		correct += m->confusion[c * k + c];
	printf("%-20s %.4f  (%lld of %lld)\n", segmentation ? "pixel accuracy" : "accuracy",
	       m->accuracy, (long long)correct, (long long)m->total);
	printf("%-20s %.4f\n", "mean class accuracy", m->mean_class_accuracy);
	if (isnan(m->map))
		printf("%-20s n/a  (no class has a positive)\n", "mAP");
	else if (m->map_classes < k)
		printf("%-20s %.4f  (over the %d of %d classes that have positives)\n", "mAP", m->map,
		       m->map_classes, k);
	else
		printf("%-20s %.4f\n", "mAP", m->map);
	if (segmentation)
		printf("%-20s %.4f\n", "mean IoU", m->miou);
	if (!confusion)
		return;

	/* one width per column: the name or the largest count, whichever is wider */
	printf("\nconfusion matrix (rows: true class, columns: predicted class)\n");
	int *cw = xmalloc(k * sizeof *cw);
	for (int c = 0; c < k; c++) {
		cw[c] = (int)strlen(names[c]);
		for (int t = 0; t < k; t++)
			if (digits(m->confusion[t * k + c]) > cw[c])
				cw[c] = digits(m->confusion[t * k + c]);
	}
	printf("%-*s", lw, "");
	for (int c = 0; c < k; c++)
		printf("  %*s", cw[c], names[c]);
	putchar('\n');
	for (int t = 0; t < k; t++) {
		print_label(t, names, k, lw);
		for (int c = 0; c < k; c++)
			printf("  %*lld", cw[c], (long long)m->confusion[t * k + c]);
		putchar('\n');
	}
	free(cw);
}

int main(int argc, char **argv)
{
	tool_start("ap-score");
	const char *labels_path = NULL, *classes = NULL;
	int tsv = 0, confusion = 0;
	opt opts[] = {
		{"labels", 0, OPT_STRING, &labels_path, .arg = "FILE", .help = "take the labels from this dataset stream"},
		{"classes", 0, OPT_STRING, &classes, .arg = "A,B,...",
		 .help = "class names (instead of those in the stream)"},
		{"confusion", 0, OPT_FLAG, &confusion,
		 .help = "add the confusion matrix (rows true, columns predicted)"},
		{"tsv", 0, OPT_FLAG, &tsv, .help = "tab-separated output for other programs (see ap-score(1))"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (nargs > 1)
		usage_error("more than one input file ('%s' and '%s')", argv[0], argv[1]);
	const char *path = nargs ? argv[0] : NULL;
	io_check(IO_LIST(path ? path : "-", labels_path), IO_LIST("-"));
	int nclass_opt = 0;
	char **names_opt = classes ? split_names(classes, &nclass_opt) : NULL;

	/* dataset_read has checked that p is float32 [N,K] or [N,K,H,W], and
	   labels and names in the same stream against it */
	dataset *pred = dataset_read(path, "prediction");
	const tensor *p = pred->x;
	char sp[128], sy[128];
	int64_t n = p->shape[0], k64 = p->shape[1];
	int64_t s = p->ndim == 4 ? p->shape[2] * p->shape[3] : 1;
	if (n == 0 || s == 0)
		fatal("%s: prediction stream has no samples", path_name(path));
	/* the confusion matrix is K x K counts, and each thread keeps one:
	   a few hundred bytes of scores must not ask for gigabytes */
	if (k64 < 1 || k64 > 4096)
		fatal("%s: %lld classes (1 to 4096 supported)", path_name(path), (long long)k64);
	int k = (int)k64;

	dataset *lab = NULL;
	const tensor *y = pred->y;
	const char *ypath = path;
	if (labels_path) {
		lab = dataset_read(labels_path, "dataset");
		if (!lab->y)
			fatal("%s: dataset stream has no labels", path_name(labels_path));
		y = lab->y;
		ypath = labels_path;
	}
	if (!y)
		fatal("%s: prediction stream has no labels (use --labels)", path_name(path));
	int ok = y->dtype == DT_I32 && y->ndim == p->ndim - 1 && y->shape[0] == n;
	for (int d = 1; ok && d < y->ndim; d++)
		ok = y->shape[d] == p->shape[d + 1];
	if (!ok)
		fatal("%s: labels %s do not fit predictions %s", path_name(ypath),
		      shape_str(y, sy, sizeof sy), shape_str(p, sp, sizeof sp));

	char **names = names_opt;
	int nnames = nclass_opt;
	const char *names_from = "--classes";
	if (!names && pred->names) {
		names = pred->names;
		nnames = pred->nclass;
		names_from = path_name(path);
	}
	if (!names && lab && lab->names) {
		names = lab->names;
		nnames = lab->nclass;
		names_from = path_name(labels_path);
	}
	char **generated = NULL;
	if (!names) {
		generated = xcalloc(k, sizeof *generated);
		for (int c = 0; c < k; c++) {
			char b[32];
			snprintf(b, sizeof b, "class %d", c);
			generated[c] = xstrdup(b);
		}
		names = generated;
		nnames = k;
	}
	if (nnames != k)
		fatal("%s: %d class names, but the predictions have %d classes", names_from, nnames, k);

	const float *pd = p->data;
	const int32_t *yd = y->data;
	int64_t bad = metrics_find_bad_label(yd, (size_t)(n * s), k);
	if (bad >= 0) {
		if (s > 1)
			fatal("%s: label %d at sample %lld, pixel (%lld,%lld) is out of range [0,%d)",
			      path_name(ypath), yd[bad], (long long)(bad / s),
			      (long long)(bad % s / p->shape[3]), (long long)(bad % p->shape[3]), k);
		fatal("%s: label %d at sample %lld is out of range [0,%d)", path_name(ypath), yd[bad],
		      (long long)bad, k);
	}
	int64_t nan_at = metrics_find_nan(pd, (size_t)tensor_numel(p));
	if (nan_at >= 0)
		fatal("%s: score is NaN at sample %lld, class %lld", path_name(path),
		      (long long)(nan_at / (k * s)), (long long)(nan_at / s % k));

	metrics *m = metrics_compute(pd, yd, n, k, s);
	if (tsv)
		print_tsv(m, names, confusion);
	else
		print_text(m, names, p->ndim == 4, confusion);
	stdout_check();

	metrics_free(m);
	names_free(generated, generated ? k : 0);
	names_free(names_opt, nclass_opt);
	dataset_free(lab);
	dataset_free(pred);
	return 0;
}
