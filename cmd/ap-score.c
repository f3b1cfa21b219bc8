/* ap-score: scores a prediction stream against its labels: per-class accuracy,
   accuracy, per-class average precision (as scikit-learn) and mAP; for
   segmentation also IoU and pixel accuracy; as aligned text or as TSV; and
   writes the precision-recall points and the confusion matrix as TSV files.
   Without labels, it lists each sample's best classes (--top). */
#include "formats/dataset.h"
#include "nn/metrics.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: ap-score [--labels FILE] [--classes A,B,...] [--confusion] [--tsv]\n"
	"                [--pr FILE [--pr-points N]] [--confusion-tsv FILE] [FILE]\n"
	"       ap-score --top K [--classes A,B,...] [--tsv] [FILE]\n"
	"Scores a prediction stream (p [N,K] or [N,K,H,W] scores, then labels y) read\n"
	"from FILE or stdin: per-class accuracy and average precision (scikit-learn's\n"
	"average_precision_score), accuracy and mAP; IoU and pixel accuracy for\n"
	"segmentation. With --top, no labels are needed: each sample's K best\n"
	"classes and their scores.\n";

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
		if (e)
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
static void write_field(FILE *f, const char *s)
{
	for (; *s; s++)
		putc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void print_field(const char *s)
{
	write_field(stdout, s);
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

/* --pr: the points of precision_recall_curve of every class with a
   positive, one row each, from the highest threshold down, with the class's
   AP on every row. With --pr-points N a point is written only when its
   precision or recall is 1/N or more away from the last one written (the
   last point of a class always is): a subset of the same points. */
typedef struct pr_ctx {
	FILE *f;
	const char *name;
	int c;
	double ap, step;
	int64_t npos;
	double last_p, last_r;     /* the last point written */
	int pending;               /* a point held back since */
	char pend_t[32];
	double pend_p, pend_r;
} pr_ctx;

static void pr_row(pr_ctx *x, const char *threshold, double precision, double recall)
{
	fprintf(x->f, "%d\t", x->c);
	write_field(x->f, x->name);
	fprintf(x->f, "\t%s\t%.10g\t%.10g\t%.10g\n", threshold, precision, recall, x->ap);
	x->last_p = precision;
	x->last_r = recall;
	x->pending = 0;
}

static void pr_point(void *ctx, float threshold, int64_t tp, int64_t fp)
{
	pr_ctx *x = ctx;
	double precision = (double)tp / (double)(tp + fp), recall = (double)tp / (double)x->npos;
	snprintf(x->pend_t, sizeof x->pend_t, "%.9g", threshold);
	if (x->step > 0 && fabs(precision - x->last_p) < x->step && fabs(recall - x->last_r) < x->step) {
		x->pending = 1;
		x->pend_p = precision;
		x->pend_r = recall;
		return;
	}
	pr_row(x, x->pend_t, precision, recall);
}

static outfile *write_pr(const char *path, const float *p, const int32_t *y, int64_t n, int k,
		     int64_t s, char **names, const double *ap, long points)
{
	outfile *o = out_open(path);
	fputs("class\tname\tthreshold\tprecision\trecall\tap\n", o->f);
	for (int c = 0; c < k; c++) {
		if (isnan(ap[c]))
			continue; /* no positive: no curve, as no AP */
		pr_ctx x = {.f = o->f, .name = names[c], .c = c, .ap = ap[c],
			     .step = points ? 1.0 / (double)points : 0};
		for (int64_t i = 0; i < n * s; i++)
			x.npos += y[i] == c;
		/* sklearn's last point: above every score, nothing is predicted */
		pr_row(&x, "inf", 1, 0);
		metrics_pr_walk(p, y, n, k, s, c, 1, pr_point, &x);
		if (x.pending)
			pr_row(&x, x.pend_t, x.pend_p, x.pend_r);
	}
	out_close(o);
	return o;
}

/* --confusion-tsv: the matrix alone, a row per true class. */
static outfile *write_confusion(const char *path, const metrics *m, char **names)
{
	int k = m->nclass;
	outfile *o = out_open(path);
	fputs("class\tname", o->f);
	for (int c = 0; c < k; c++)
		fprintf(o->f, "\tpred%d", c);
	putc('\n', o->f);
	for (int t = 0; t < k; t++) {
		fprintf(o->f, "%d\t", t);
		write_field(o->f, names[t]);
		for (int c = 0; c < k; c++)
			fprintf(o->f, "\t%lld", (long long)m->confusion[t * k + c]);
		putc('\n', o->f);
	}
	out_close(o);
	return o;
}

/* --top: each sample's best classes, highest score first; of equal scores
   the lower class first, as argmax. */
static void print_top(const float *p, int64_t n, int k, int top, char **names, int tsv)
{
	int *best = xmalloc(top * sizeof *best);
	int nw = 0, sw = digits(n - 1) > 6 ? digits(n - 1) : 6;
	for (int c = 0; c < k; c++)
		if ((int)strlen(names[c]) > nw)
			nw = (int)strlen(names[c]);
	/* scores right-aligned to the widest, the lowest or the highest */
	float lo = p[0], hi = p[0];
	for (int64_t i = 0; i < n * k; i++) {
		lo = p[i] < lo ? p[i] : lo;
		hi = p[i] > hi ? p[i] : hi;
	}
	int vw = snprintf(NULL, 0, "%.4f", lo), vh = snprintf(NULL, 0, "%.4f", hi);
	vw = vh > vw ? vh : vw;
	if (tsv) {
		puts("sample\trank\tclass\tname\tscore");
	} else {
		printf("%-*s", sw, "sample");
		for (int r = 0; r < top; r++)
			if (r + 1 < top)
				printf("  top %-*d", vw + nw - 3, r + 1);
			else
				printf("  top %d", r + 1);
		putchar('\n');
	}
	for (int64_t i = 0; i < n; i++) {
		const float *pi = p + (size_t)i * k;
		for (int r = 0; r < top; r++) {
			int b = -1;
			for (int c = 0; c < k; c++) {
				int taken = 0;
				for (int q = 0; q < r; q++)
					taken |= best[q] == c;
				if (!taken && (b < 0 || pi[c] > pi[b]))
					b = c;
			}
			best[r] = b;
		}
		if (!tsv)
			printf("%-*lld", sw, (long long)i);
		for (int r = 0; r < top; r++) {
			int c = best[r];
			if (tsv) {
				printf("%lld\t%d\t%d\t", (long long)i, r + 1, c);
				print_field(names[c]);
				printf("\t%.6g\n", pi[c]);
			} else {
				printf("  %*.4f %-*s", vw, pi[c], r + 1 < top ? nw : 0, names[c]);
			}
		}
		if (!tsv)
			putchar('\n');
	}
	free(best);
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

/* Class names: --classes, else the prediction stream's, else the label
   stream's, else "class 0", "class 1", ...; *generated is set when made up. */
static char **class_names(char **names_opt, int nclass_opt, const dataset *pred, const char *path,
			  const dataset *lab, const char *labels_path, int k, char ***generated)
{
	char **names = names_opt;
	int nnames = nclass_opt;
	const char *names_from = "--classes";
	if (!names && pred->names) {
		names = pred->names;
		nnames = pred->nclass;
		names_from = display_name(path);
	}
	if (!names && lab && lab->names) {
		names = lab->names;
		nnames = lab->nclass;
		names_from = display_name(labels_path);
	}
	*generated = NULL;
	if (!names) {
		*generated = xcalloc(k, sizeof **generated);
		for (int c = 0; c < k; c++) {
			char b[32];
			snprintf(b, sizeof b, "class %d", c);
			(*generated)[c] = xstrdup(b);
		}
		names = *generated;
		nnames = k;
	}
	if (nnames != k)
		fatal("%s: %d class names, but the predictions have %d classes", names_from, nnames, k);
	return names;
}

/* The options of the command line. */
typedef struct args {
	const char *path, *labels_path, *classes, *pr_path, *cm_path;
	int tsv, confusion;
	long top, pr_points;
	char **names_opt; /* --classes, split */
	int nclass_opt;
} args;

static void args_read(args *a, int argc, char **argv)
{
	opt opts[] = {
		{"labels", 0, OPT_STRING, &a->labels_path, .arg = "FILE",
		 .help = "take the labels from this dataset stream"},
		{"classes", 0, OPT_STRING, &a->classes, .arg = "A,B,...",
		 .help = "class names (instead of those in the stream)"},
		{"confusion", 0, OPT_FLAG, &a->confusion,
		 .help = "add the confusion matrix (rows true, columns predicted)"},
		{"tsv", 0, OPT_FLAG, &a->tsv, .help = "tab-separated output for other programs (see ap-score(1))"},
		{"pr", 0, OPT_STRING, &a->pr_path, .arg = "FILE",
		 .help = "write every class's precision-recall curve to FILE (TSV)"},
		{"pr-points", 0, OPT_INT, &a->pr_points, 0, 1000000000, .arg = "N",
		 .help = "with --pr: fewer points, each 1/N from the last in\nprecision or recall (default 0: every threshold)"},
		{"confusion-tsv", 0, OPT_STRING, &a->cm_path, .arg = "FILE",
		 .help = "write the confusion matrix to FILE (TSV)"},
		{"top", 0, OPT_INT, &a->top, 1, 4096, .arg = "K",
		 .help = "print each sample's K best classes and scores instead;\nno labels needed"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (nargs > 1)
		usage_error("more than one input file ('%s' and '%s')", argv[0], argv[1]);
	if (a->pr_points && !a->pr_path)
		usage_error("--pr-points thins the curves of --pr: give --pr FILE too");
	if (a->top && (a->labels_path || a->confusion || a->pr_path || a->cm_path))
		usage_error("--top lists the best classes and scores nothing: it does not go with %s",
			    a->labels_path ? "--labels" : a->confusion ? "--confusion" : a->pr_path ? "--pr" : "--confusion-tsv");
	a->path = nargs ? argv[0] : NULL;
	io_check(IO_LIST(a->path ? a->path : "-", a->labels_path), IO_LIST("-", a->pr_path, a->cm_path));
	a->names_opt = a->classes ? split_names(a->classes, &a->nclass_opt) : NULL;
}

/* --top: each sample's best classes. */
static void top_list(const args *a, const dataset *pred, int k)
{
	const tensor *p = pred->x;
	char sp[128], **generated;
	if (p->ndim == 4)
		fatal("%s: --top needs classification scores [N,K], not a map per pixel %s", display_name(a->path),
		      shape_str(p, sp, sizeof sp));
	char **names = class_names(a->names_opt, a->nclass_opt, pred, a->path, NULL, NULL, k, &generated);
	print_top(p->data, p->shape[0], k, a->top < k ? (int)a->top : k, names, a->tsv);
	stdout_check();
	names_free(generated, generated ? k : 0);
}

/* The scores against the labels of the prediction stream or of --labels,
   printed, and written to the files of --pr and --confusion-tsv. */
static void score(const args *a, const dataset *pred, int k)
{
	const tensor *p = pred->x;
	const float *pd = p->data;
	int64_t n = p->shape[0], s = p->ndim == 4 ? p->shape[2] * p->shape[3] : 1;
	dataset *lab = NULL;
	const tensor *y = pred->y;
	const char *ypath = a->path;
	if (a->labels_path) {
		lab = dataset_read(a->labels_path, "dataset");
		if (!lab->y)
			fatal("%s: no labels in stream; scoring needs the true classes", display_name(a->labels_path));
		y = lab->y;
		ypath = a->labels_path;
	}
	if (!y)
		fatal("%s: no labels in stream; give them with --labels FILE, or see each sample's best "
		      "classes with --top K", display_name(a->path));
	dataset_labels_fit(y, p, display_name(ypath));
	if (lab)
		class_names_agree(display_name(a->path), pred->names, pred->nclass, display_name(a->labels_path),
				  lab->names, lab->nclass, 0);
	char **generated;
	char **names = class_names(a->names_opt, a->nclass_opt, pred, a->path, lab, a->labels_path, k, &generated);

	const int32_t *yd = y->data;
	metrics *m = metrics_compute(pd, yd, n, k, s);
	if (a->tsv)
		print_tsv(m, names, a->confusion);
	else
		print_text(m, names, p->ndim == 4, a->confusion);
	stdout_check();
	/* both complete before either is put in place */
	outfile *cm = a->cm_path ? write_confusion(a->cm_path, m, names) : NULL;
	outfile *pr = a->pr_path ? write_pr(a->pr_path, pd, yd, n, k, s, names, m->ap, a->pr_points) : NULL;
	if (cm)
		out_commit(cm);
	if (pr)
		out_commit(pr);
	metrics_free(m);
	names_free(generated, generated ? k : 0);
	dataset_free(lab);
}

int main(int argc, char **argv)
{
	tool_start("ap-score");
	args a = {0};
	args_read(&a, argc, argv);

	/* dataset_read has checked that p is float32 [N,K] or [N,K,H,W] with
	   K >= 1 and no NaN, and labels and names in the same stream against it */
	dataset *pred = dataset_read(a.path, "prediction");
	const tensor *p = pred->x;
	if (p->shape[0] == 0 || (p->ndim == 4 && p->shape[2] * p->shape[3] == 0))
		fatal("%s: prediction stream has no samples", display_name(a.path));
	/* the confusion matrix is K x K counts, and each thread keeps one:
	   a few hundred bytes of scores must not ask for gigabytes */
	if (p->shape[1] > 4096)
		fatal("%s: %lld classes (1 to 4096 supported)", display_name(a.path), (long long)p->shape[1]);
	if (a.top)
		top_list(&a, pred, (int)p->shape[1]);
	else
		score(&a, pred, (int)p->shape[1]);
	names_free(a.names_opt, a.nclass_opt);
	dataset_free(pred);
	return 0;
}
