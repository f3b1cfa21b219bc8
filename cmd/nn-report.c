/* nn-report: the write-up of a classification and a segmentation run as one
   static HTML page in a folder (index.html and its PNGs, nothing fetched
   from the network): network descriptions, hyperparameters, curves, filters,
   per-class accuracy and AP, confusion matrices and precision-recall
   curves, examples, and segmentation triplets under a legend. The
   pictures and scores come from the other tools, run as programs. */
#include "formats/dataset.h"
#include "base/json.h"
#include "nn/model.h"
#include "formats/npy.h"
#include "base/opt.h"
#include "formats/safetensors.h"
#include "base/spawn.h"
#include "base/output.h"
#include "formats/runlog.h"
#include "nn/train.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: nn-report -o DIR [--title TEXT] [classification options] [segmentation options]\n"
	"Writes DIR/index.html and its pictures: a page like the course write-up. Each\n"
	"part appears when one of its options is given, each section when its inputs are.\n";

typedef struct opts {
	const char *dir, *title;
	const char *cls_model, *cls_log, *cls_val, *cls_val_data, *cls_test, *cls_data;
	const char *cls_writeup, *cls_writeup_net, *cls_commands;
	long k;
	const char *seg_model, *seg_log, *seg_test, *seg_data, *seg_index;
	const char *seg_writeup, *seg_writeup_net, *seg_commands;
} opts;

/* Text as HTML: every character with a meaning in markup is escaped. */
static void html(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: putc(*s, f);
		}
}

/* Runs tool (beside this program, else on PATH) with args; with capture,
   returns what it wrote on stdout. */
static char *run_tool(const char *tool, const char **args, int capture)
{
	char *path = spawn_find(tool, 1);
	if (!path)
		fatal("%s not found beside nn-report or on PATH", tool);
	int n = 0;
	while (args[n])
		n++;
	char **argv = xcalloc(n + 2, sizeof *argv);
	argv[0] = (char *)tool;
	memcpy(argv + 1, args, n * sizeof *args);
	char *text = NULL;
	if (capture)
		text = spawn_read(path, argv, -1, 0, NULL);
	else
		spawn_wait(spawn_start(path, argv, -1, -1), tool);
	free(argv);
	free(path);
	return text;
}

/* DIR/name in new memory. */
static char *in_dir(const opts *o, const char *name)
{
	size_t n = strlen(o->dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", o->dir, name);
	return p;
}

static void figure(FILE *f, const char *src, const char *caption)
{
	fputs("<figure><img src=\"", f);
	html(f, src);
	fputs("\" alt=\"", f);
	html(f, caption);
	fputs("\"><figcaption>", f);
	html(f, caption);
	fputs("</figcaption></figure>\n", f);
}

/* A JSON value as text (HTML-escaped): strings bare, lists and objects in
   JSON's own notation. */
static void json_html(FILE *f, const json *j)
{
	switch (j->kind) {
	case JSON_NULL: fputs("null", f); break;
	case JSON_BOOL: fputs(j->boolean ? "true" : "false", f); break;
	case JSON_NUMBER:
		if (j->is_int)
			fprintf(f, "%lld", (long long)j->integer);
		else
			fprintf(f, "%.9g", j->number);
		break;
	case JSON_STRING: html(f, j->str); break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		putc(j->kind == JSON_ARRAY ? '[' : '{', f);
		for (int i = 0; i < j->n; i++) {
			if (i)
				fputs(", ", f);
			if (j->kind == JSON_OBJECT) {
				html(f, j->keys[i]);
				fputs(": ", f);
			}
			json_html(f, j->items[i]);
		}
		putc(j->kind == JSON_ARRAY ? ']' : '}', f);
		break;
	}
}

/* The "input C H W" line of a network description, or 0. */
static int net_input(const char *net, long dims[3])
{
	for (const char *l = net; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		l += strspn(l, " \t");
		if (!strncmp(l, "input", 5) && (l[5] == ' ' || l[5] == '\t'))
			return sscanf(l + 5, "%ld %ld %ld", &dims[0], &dims[1], &dims[2]) == 3;
	}
	return 0;
}

/* A network description without its comments and blank lines, and with
   single spaces: two texts of the same layers compare equal. New memory. */
static char *net_layers(const char *net)
{
	char *out = xmalloc(strlen(net) + 2), *o = out;
	for (const char *l = net; *l;) {
		size_t len = strcspn(l, "\n"), hash = strcspn(l, "#");
		size_t end = hash < len ? hash : len;
		int word = 0;
		for (size_t i = 0; i < end; i++) {
			if (l[i] == ' ' || l[i] == '\t' || l[i] == '\r') {
				word = word ? -1 : 0;
				continue;
			}
			if (word < 0)
				*o++ = ' ';
			*o++ = l[i];
			word = 1;
		}
		if (word)
			*o++ = '\n';
		l += len + (l[len] == '\n');
	}
	*o = 0;
	return out;
}

/* The trainable parameters of a model: its weights and biases. */
static long model_params(const st_file *st)
{
	long n = 0;
	for (int i = 0; i < st->n; i++) {
		const char *dot = strrchr(st->names[i], '.');
		if (strncmp(st->names[i], "optim.", 6) && dot && (!strcmp(dot, ".weight") || !strcmp(dot, ".bias")))
			n += (long)tensor_numel(st->tensors[i]);
	}
	return n;
}

/* The file name of a path (no folders). */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* A model's metadata the report reads: the network description, the
   training configuration and how the model was made. */
typedef struct model_meta {
	st_file *st;
	const char *net;
	json *cfg, *run;     /* NULL when absent */
	long input[3];
	int has_input;
} model_meta;

static void meta_open(model_meta *m, const char *path)
{
	memset(m, 0, sizeof *m);
	m->st = st_read(path);
	m->net = st_meta(m->st, "net");
	if (!m->net)
		fatal("%s: not an nnpipe model (no 'net' in the metadata)", path);
	m->cfg = model_meta_json(path, "config", st_meta(m->st, "config"));
	m->run = model_meta_json(path, "run", st_meta(m->st, "run"));
	m->has_input = net_input(m->net, m->input);
}

static void meta_close(model_meta *m)
{
	json_free(m->cfg);
	json_free(m->run);
	st_free(m->st);
}

/* A string or a number of a JSON object (NULL or NAN when absent or of
   another kind). */
static const char *jstr(const json *o, const char *key)
{
	const json *v = o ? json_get(o, key) : NULL;
	return v && v->kind == JSON_STRING ? v->str : NULL;
}

static double jnum(const json *o, const char *key)
{
	const json *v = o ? json_get(o, key) : NULL;
	return v && v->kind == JSON_NUMBER ? v->number : NAN;
}

/* "net.net, input 3x128x128, 1234567 parameters" of a network. */
static void net_summary(FILE *f, const model_meta *m)
{
	const char *file = jstr(m->run, "net_file");
	if (file) {
		fputs("<code>", f);
		html(f, base_name(file));
		fputs("</code>, ", f);
	}
	if (m->has_input)
		fprintf(f, "input %ld&times;%ld&times;%ld, ", m->input[0], m->input[1], m->input[2]);
	fprintf(f, "%ld parameters", model_params(m->st));
}

/* A row of a two-column table: a name, then text the caller writes. */
static void row_begin(FILE *f, const char *name)
{
	fputs("<tr><th>", f);
	html(f, name);
	fputs("</th><td>", f);
}

static void row_text(FILE *f, const char *name, const char *text)
{
	row_begin(f, name);
	html(f, text);
	fputs("</td></tr>\n", f);
}

/* The optimiser of a configuration in words. */
static void optimiser_row(FILE *f, const train_config *tc)
{
	row_begin(f, "optimiser");
	if (!strcmp(tc->opt, "sgd")) {
		fputs("SGD", f);
		if (tc->momentum > 0)
			fprintf(f, " with %smomentum %g", tc->nesterov > 0 ? "Nesterov " : "", tc->momentum);
	} else {
		if (!strcmp(tc->opt, "adamw") || !strcmp(tc->opt, "adam"))
			fputs(!strcmp(tc->opt, "adamw") ? "AdamW" : "Adam", f);
		else
			html(f, tc->opt);
		if (train_config_has(tc, "beta1"))
			fprintf(f, " (betas %g, %g; epsilon %g)", tc->beta1, tc->beta2, tc->eps);
	}
	fputs("</td></tr>\n", f);
}

/* The learning rate, its schedule and warm-up. */
static void learning_rate_row(FILE *f, const train_config *tc)
{
	sched s = {0};
	int parsed = tc->sched && sched_parse(tc->sched, &s);
	row_begin(f, "learning rate");
	fprintf(f, "%g", tc->lr);
	if (tc->sched && !parsed)
		fputs(", schedule ", f), html(f, tc->sched);
	else if (s.kind == SCHED_COSINE)
		fprintf(f, ", cosine decay to %g", s.min_lr);
	else if (s.kind == SCHED_STEP)
		fprintf(f, ", times %g every %d epochs", s.gamma, s.step_epochs);
	else
		fputs(", constant", f);
	if (tc->warmup > 0)
		fprintf(f, "; linear warm-up over the first %ld steps", tc->warmup);
	fputs("</td></tr>\n", f);
}

/* The augmentation spec in words. */
static void augment_row(FILE *f, const char *spec)
{
	augment a;
	row_begin(f, "augmentation");
	if (!augment_parse(spec, &a))
		html(f, spec);
	else if (!augment_any(&a))
		fputs("none", f);
	const char *sep = "";
	if (a.flip)
		fputs("random horizontal flips", f), sep = "; ";
	if (a.crop < 1)
		fprintf(f, "%srandom crops of %g to 1 times the side, resized back", sep, a.crop), sep = "; ";
	if (a.shift > 0)
		fprintf(f, "%srandom shifts of up to %d pixels in x and in y, the border repeated", sep, a.shift),
			sep = "; ";
	if (a.erase > 0)
		fprintf(f, "%srandom erasing with probability %g (a rectangle of 0.02 to 0.33 of the image, "
			   "aspect 0.3 to 3.3, set to the channel mean)", sep, a.erase);
	fputs("</td></tr>\n", f);
}

/* The settings of the run as a whole: when it was measured, the model
   kept, early stopping and the processes. */
static void run_rows(FILE *f, const train_config *tc, const json *run)
{
	double v;
	if (train_config_has(tc, "log_every")) {
		row_begin(f, "measured");
		fprintf(f, "every %ld steps and at the end of each epoch", tc->log_every);
		if (tc->val_every > 0)
			fprintf(f, "; validated every %ld steps and at the end", tc->val_every);
		else
			fputs(", validated each time", f);
		fputs("</td></tr>\n", f);
	}
	if (tc->keep_best > 0) {
		row_begin(f, "model kept");
		fputs("the one of the best ", f);
		html(f, jstr(run, "best_metric") ? jstr(run, "best_metric") : "validation score");
		if ((v = jnum(run, "best_step")) >= 0)
			fprintf(f, ": step %g, %.4f", v, jnum(run, "best_score"));
		fputs(" (<code>--keep-best</code>)</td></tr>\n", f);
	} else if (train_config_has(tc, "keep_best")) {
		row_text(f, "model kept", "the last step's");
	}
	if (tc->early_stop > 0) {
		row_begin(f, "early stopping");
		fprintf(f, "after %ld validations without a better score (<code>--early-stop %ld</code>)", tc->early_stop,
			tc->early_stop);
		if (jnum(run, "stopped_early") > 0)
			fprintf(f, ": stopped at step %g", jnum(run, "steps"));
		fputs("</td></tr>\n", f);
	}
	if (tc->ranks > 1) {
		row_begin(f, "processes");
		fprintf(f, "%ld (mpirun), each a share of every batch; batch-norm statistics %s</td></tr>\n", tc->ranks,
			tc->sync_bn > 0 ? "over the global batch (<code>--sync-bn</code>)" : "of each share");
	}
}

/* The training configuration in words: what changes the model, in the
   terms of the course; bookkeeping (checkpoint interval, the data
   fingerprint) and settings that are off left out. Read as nn-train
   writes it (lib/nn/train.h); keys it does not know are shown as they are. */
static void hyperparameters(FILE *f, const json *c, const json *run)
{
	train_config tc = {0};
	train_config_read(&tc, c, NULL);
	fputs("<h3>Hyperparameters</h3>\n<table>\n", f);
	if (tc.opt)
		optimiser_row(f, &tc);
	if (train_config_has(&tc, "lr"))
		learning_rate_row(f, &tc);
	if (train_config_has(&tc, "wd")) {
		row_begin(f, "weight decay");
		if (tc.wd > 0)
			fprintf(f, "%g", tc.wd);
		else
			fputs("none", f);
		fputs("</td></tr>\n", f);
	}
	if (train_config_has(&tc, "batch"))
		row_begin(f, "batch"), fprintf(f, "%ld images</td></tr>\n", tc.batch);
	if (train_config_has(&tc, "epochs")) {
		row_begin(f, "epochs");
		fprintf(f, "%ld", tc.epochs);
		if (tc.train_samples > 0 && tc.batch > 0)
			fprintf(f, " (%ld steps)", tc.epochs * ((tc.train_samples + tc.batch - 1) / tc.batch));
		fputs("</td></tr>\n", f);
	}
	if (tc.augment)
		augment_row(f, tc.augment);
	if (tc.class_weights && *tc.class_weights)
		row_text(f, "class weights in the loss", tc.class_weights);
	if (tc.label_smoothing > 0)
		row_begin(f, "label smoothing"), fprintf(f, "%g</td></tr>\n", tc.label_smoothing);
	if (tc.normalize)
		row_text(f, "input normalisation",
			 !strcmp(tc.normalize, "data") ? "per channel, by the mean and standard deviation of the training "
							 "pixels"
						       : "none (pixels scaled to [0,1])");
	if (train_config_has(&tc, "seed"))
		row_begin(f, "seed"), fprintf(f, "%ld</td></tr>\n", tc.seed);
	run_rows(f, &tc, run);
	for (int i = 0; c && i < c->n; i++) {
		if (train_config_known(c->keys[i]))
			continue;
		row_begin(f, c->keys[i]);
		json_html(f, c->items[i]);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	train_config_free(&tc);
}

/* The network description and the training configuration of a model. */
static void model_section(FILE *f, const char *path)
{
	model_meta m;
	meta_open(&m, path);
	fputs("<h3>Network</h3>\n<p>Trained here: ", f);
	net_summary(f, &m);
	fputs(".</p>\n<pre>", f);
	html(f, m.net);
	fputs("</pre>\n", f);
	if (m.cfg)
		hyperparameters(f, m.cfg, m.run);
	meta_close(&m);
}

/* What ap-score --tsv says: a row per class, then the mean and overall rows. */
typedef struct scores {
	int n;                        /* classes */
	char **name;
	double *count, *acc, *ap, *iou;
	double mean_acc, mean_ap, mean_iou, all_acc;
} scores;

/* A number ap-score wrote. */
static double score_number(const char *s, const char *path)
{
	double v;
	if (!tsv_number(s, &v))
		fatal("%s: ap-score wrote '%s' where a number belongs", path, s);
	return v;
}

/* The columns of ap-score --tsv the report reads, found by the names in its
   header line, wherever they are. */
enum { COL_CLASS, COL_NAME, COL_N, COL_ACC, COL_AP, COL_IOU, NCOL };
static const char *const col_name[NCOL] = {"class", "name", "n", "accuracy", "ap", "iou"};

/* The scores of a prediction stream; with pr and confusion (files, or
   NULL), ap-score also writes there the precision-recall points, each
   1/1000 from the last in precision or recall (every threshold of 10000
   test images would be megabytes, of every pixel gigabytes, and look the
   same), and the confusion matrix. */
static scores *score(const char *pred_path, const char *pr, const char *confusion)
{
	const char *args[10];
	int a = 0;
	args[a++] = "--tsv";
	if (pr) {
		args[a++] = "--pr", args[a++] = pr;
		args[a++] = "--pr-points", args[a++] = "1000";
		args[a++] = "--confusion-tsv", args[a++] = confusion;
	}
	args[a++] = "--", args[a++] = pred_path, args[a] = NULL;
	char *text = run_tool("ap-score", args, 1);
	scores *s = xcalloc(1, sizeof *s);
	int cap = 0, col[NCOL], ncol = 0, fcap = 0;
	char *save = NULL, **f = NULL;
	char *line = strtok_r(text, "\n", &save);
	if (!line)
		fatal("%s: ap-score --tsv wrote nothing", pred_path);
	ncol = tsv_split(line, &f, &fcap);
	for (int c = 0; c < NCOL; c++) {
		col[c] = -1;
		for (int i = 0; i < ncol && col[c] < 0; i++)
			if (!strcmp(f[i], col_name[c]))
				col[c] = i;
		if (col[c] < 0)
			fatal("%s: ap-score --tsv wrote no column '%s'", pred_path, col_name[c]);
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		int nf = tsv_split(line, &f, &fcap);
		if (nf != ncol)
			fatal("%s: ap-score wrote a line of %d fields under a header of %d", pred_path, nf, ncol);
		const char *what = f[col[COL_CLASS]];
		if (!strcmp(what, "mean")) {
			s->mean_acc = score_number(f[col[COL_ACC]], pred_path);
			s->mean_ap = score_number(f[col[COL_AP]], pred_path);
			s->mean_iou = score_number(f[col[COL_IOU]], pred_path);
		} else if (!strcmp(what, "all")) {
			s->all_acc = score_number(f[col[COL_ACC]], pred_path);
		} else {
			if (s->n == cap) {
				cap = cap ? 2 * cap : 16;
				s->name = xrealloc(s->name, cap * sizeof *s->name);
				s->count = xrealloc(s->count, cap * sizeof *s->count);
				s->acc = xrealloc(s->acc, cap * sizeof *s->acc);
				s->ap = xrealloc(s->ap, cap * sizeof *s->ap);
				s->iou = xrealloc(s->iou, cap * sizeof *s->iou);
			}
			s->name[s->n] = xstrdup(f[col[COL_NAME]]);
			s->count[s->n] = score_number(f[col[COL_N]], pred_path);
			s->acc[s->n] = score_number(f[col[COL_ACC]], pred_path);
			s->ap[s->n] = score_number(f[col[COL_AP]], pred_path);
			s->iou[s->n] = score_number(f[col[COL_IOU]], pred_path);
			s->n++;
		}
	}
	free(f);
	free(text);
	return s;
}

static void scores_free(scores *s)
{
	if (!s)
		return;
	names_free(s->name, s->n);
	free(s->count);
	free(s->acc);
	free(s->ap);
	free(s->iou);
	free(s);
}

static void cell(FILE *f, double v)
{
	if (isnan(v))
		fputs("<td>n/a</td>", f);
	else
		fprintf(f, "<td>%.3f</td>", v);
}

/* Per-class accuracy of the validation and the test predictions side by side. */
static void accuracy_table(FILE *f, const scores *val, const scores *test)
{
	const scores *first = val ? val : test;
	if (val && test && val->n != test->n)
		fatal("validation predictions have %d classes, test predictions %d", val->n, test->n);
	fputs("<h3>Per-class accuracy</h3>\n<table>\n<tr><th>class</th><th>name</th>", f);
	if (val)
		fputs("<th>validation</th>", f);
	if (test)
		fputs("<th>test</th>", f);
	fputs("</tr>\n", f);
	for (int c = 0; c < first->n; c++) {
		fprintf(f, "<tr><td>%d</td><td>", c);
		html(f, first->name[c]);
		fputs("</td>", f);
		if (val)
			cell(f, val->acc[c]);
		if (test)
			cell(f, test->acc[c]);
		fputs("</tr>\n", f);
	}
	fputs("<tr><th></th><th>mean of classes</th>", f);
	if (val)
		cell(f, val->mean_acc);
	if (test)
		cell(f, test->mean_acc);
	fputs("</tr>\n<tr><th></th><th>accuracy</th>", f);
	if (val)
		cell(f, val->all_acc);
	if (test)
		cell(f, test->all_acc);
	fputs("</tr>\n</table>\n", f);
}

static void ap_table(FILE *f, const scores *s)
{
	fputs("<h3>Per-class average precision</h3>\n<table>\n"
	      "<tr><th>class</th><th>name</th><th>pixels</th><th>AP</th><th>IoU</th><th>accuracy</th></tr>\n", f);
	for (int c = 0; c < s->n; c++) {
		fprintf(f, "<tr><td>%d</td><td>", c);
		html(f, s->name[c]);
		fprintf(f, "</td><td>%.0f</td>", s->count[c]);
		cell(f, s->ap[c]);
		cell(f, s->iou[c]);
		cell(f, s->acc[c]);
		fputs("</tr>\n", f);
	}
	fputs("<tr><th></th><th>mean</th><th></th>", f);
	cell(f, s->mean_ap);
	cell(f, s->mean_iou);
	cell(f, s->mean_acc);
	fputs("</tr>\n</table>\n", f);
	fprintf(f, "<p>Pixel accuracy %.4f.</p>\n", s->all_acc);
}

/* The number of samples of a stream (the first dimension of its first
   array), or -1. */
static long stream_count(const char *path)
{
	tensor t = {0};
	FILE *in = xfopen_read(path);
	long n = npy_read_header(in, path, &t) && t.ndim >= 1 ? (long)t.shape[0] : -1;
	fclose(in);
	return n;
}

/* Seconds as 1 h 02 min, 3 min 04 s or 5.2 s. */
static void duration(FILE *f, double s)
{
	long t = (long)(s + 0.5);
	if (s < 60)
		fprintf(f, "%.1f s", s);
	else if (t < 3600)
		fprintf(f, "%ld min %02ld s", t / 60, t % 60);
	else
		fprintf(f, "%ld h %02ld min", t / 3600, t / 60 % 60);
}

/* The leading comment of a network description, without its '#'s and
   its last full stop (the caller's sentence goes on). */
static void net_comment(FILE *f, const char *text)
{
	size_t cap = strlen(text) + 1, n = 0;
	char *all = xmalloc(cap);
	for (const char *l = text; *l == '#';) {
		size_t len = strcspn(l, "\n");
		const char *from = l + 1 + strspn(l + 1, " \t");
		if (n)
			all[n++] = ' ';
		memcpy(all + n, from, l + len - from);
		n += l + len - from;
		l += len + (l[len] == '\n');
	}
	while (n && (all[n - 1] == '.' || all[n - 1] == ' ' || all[n - 1] == '\t' || all[n - 1] == '\r'))
		n--;
	all[n] = 0;
	html(f, all);
	free(all);
}

/* The write-up's own figures (list, one per class) for its own network
   (net_path): a table of their own, not beside this run's as if of the
   same model, and a sentence that says whether the network and input size
   trained here (model) are the write-up's. */
static void writeup(FILE *f, const char *model, const char *net_path, const char *list, const char *what,
		    const scores *s)
{
	int n = 1;
	for (const char *c = list; *c; c++)
		n += *c == ',';
	float *v = xmalloc(n * sizeof *v);
	if (parse_float_list(list, v, n) != n)
		fatal("the write-up's figures: expected numbers separated by commas, got '%s'", list);
	if (s && s->n != n)
		fatal("the write-up's figures: %d numbers for %d classes", n, s->n);
	fputs("<h3>The write-up's figures, for its own network</h3>\n<p>", f);
	fprintf(f, "The course write-up reports the %s below for <strong>its own network</strong>", what);
	if (net_path) {
		char *text = read_text(net_path);
		long dims[3];
		fputs(", <code>", f);
		html(f, base_name(net_path));
		fputs("</code>", f);
		if (net_input(text, dims))
			fprintf(f, " at %ld&times;%ld&times;%ld", dims[0], dims[1], dims[2]);
		fputs(" (", f);
		net_comment(f, text);
		fputs(")", f);
		if (model) {
			model_meta m;
			meta_open(&m, model);
			char *a = net_layers(m.net), *b = net_layers(text);
			/* the layers after the input line */
			const char *la = strchr(a, '\n'), *lb = strchr(b, '\n');
			int same_layers = la && lb && !strcmp(la, lb);
			int same_size = m.has_input && net_input(text, dims) && !memcmp(dims, m.input, sizeof dims);
			fputs(". This run trained ", f);
			if (same_layers && same_size) {
				fputs("the same network at the same input size.", f);
			} else {
				net_summary(f, &m);
				fprintf(f, ": <strong>%s</strong>, so these are not scores of the model trained here.",
					same_layers ? "the same layers at another input size" : "a different network");
			}
			free(a);
			free(b);
			meta_close(&m);
		} else {
			fputs(".", f);
		}
		free(text);
	} else {
		fputs(".", f);
	}
	fputs("</p>\n<table>\n<tr><th>class</th><th>name</th><th>the write-up's ", f);
	html(f, what);
	fputs("</th></tr>\n", f);
	double sum = 0;
	for (int c = 0; c < n; c++) {
		fprintf(f, "<tr><td>%d</td><td>", c);
		if (s)
			html(f, s->name[c]);
		fputs("</td>", f);
		cell(f, v[c]);
		fputs("</tr>\n", f);
		sum += v[c];
	}
	fputs("<tr><th></th><th>mean</th>", f);
	cell(f, sum / n);
	fputs("</tr>\n</table>\n", f);
	free(v);
}

/* How a part was made: the commands, the device, the dates, the source,
   the times and the data, from the model's run metadata (and the
   configuration for older models), a commands file, and the test
   predictions. */
static void how_made(FILE *f, const char *part, const char *model, const char *commands, const char *test)
{
	model_meta m = {0};
	if (model)
		meta_open(&m, model);
	const json *run = m.run, *c;
	double v;
	fprintf(f, "<h3>%s</h3>\n<table>\n", part);
	if (commands) {
		char *text = read_text(commands);
		row_begin(f, "commands");
		fputs("<pre>", f);
		html(f, text);
		fputs("</pre></td></tr>\n", f);
		free(text);
	}
	if (run && (c = json_get(run, "commands")) && c->kind == JSON_ARRAY) {
		row_begin(f, c->n > 1 ? "training (resumed)" : "training");
		fputs("<pre>", f);
		for (int i = 0; i < c->n; i++)
			if (c->items[i]->kind == JSON_STRING) {
				html(f, c->items[i]->str);
				putc('\n', f);
			}
		fputs("</pre></td></tr>\n", f);
	}
	if (jstr(run, "device")) {
		row_begin(f, "device");
		html(f, !strcmp(jstr(run, "device"), "cpu") ? "CPU" : !strcmp(jstr(run, "device"), "cuda") ? "GPU"
												  : jstr(run, "device"));
		if (jstr(run, "device_name"))
			fputs(": ", f), html(f, jstr(run, "device_name"));
		if ((v = jnum(run, "threads")) > 0)
			fprintf(f, ", %g thread%s", v, v == 1 ? "" : "s");
		fputs("</td></tr>\n", f);
	}
	if (jstr(run, "finished")) {
		row_begin(f, "date (UTC)");
		if (jstr(run, "started"))
			html(f, jstr(run, "started")), fputs(" to ", f);
		html(f, jstr(run, "finished"));
		fputs("</td></tr>\n", f);
	}
	if (run)
		row_text(f, "source (git describe)", jstr(run, "commit") ? jstr(run, "commit") : "not a git checkout");
	if (!isnan(v = jnum(run, "train_seconds"))) {
		row_begin(f, "time");
		duration(f, v);
		fputs(" training", f);
		if (!isnan(v = jnum(run, "wall_seconds")))
			fputs(", ", f), duration(f, v), fputs(" for nn-train in all (data loading included)", f);
		if (!isnan(v = jnum(run, "steps")))
			fprintf(f, "; %g steps", v);
		fputs("</td></tr>\n", f);
	}
	double tr = jnum(run, "train_samples"), va = jnum(run, "val_samples");
	long te = test ? stream_count(test) : -1;
	if (isnan(tr))
		tr = jnum(m.cfg, "train_samples");
	if (!isnan(tr) || !isnan(va) || te >= 0) {
		const char *sep = "";
		row_begin(f, "data");
		if (!isnan(tr))
			fprintf(f, "%g training", tr), sep = ", ";
		if (!isnan(va))
			fprintf(f, "%s%g validation", sep, va), sep = ", ";
		if (te >= 0)
			fprintf(f, "%s%ld test", sep, te);
		fputs(" images</td></tr>\n", f);
	}
	if (model && !run)
		row_text(f, "run", "not recorded in this model (made before nn-train kept it)");
	fputs("</table>\n", f);
	if (model)
		meta_close(&m);
}

static void curves(FILE *f, const opts *o, const char *log, const char *png, const char *caption)
{
	char *out = in_dir(o, png);
	const char *args[] = {"-o", out, "--", log, NULL};
	run_tool("curve-plot", args, 0);
	fputs("<h3>Training curves</h3>\n", f);
	figure(f, png, caption);
	free(out);
}

/* The input channels of the first convolution of a model (the weight
   [out,in,k,k] of the lowest layer number), or 0 when it has none. */
static long first_conv_channels(const char *model)
{
	model_meta m;
	long in = 0, best = -1;
	meta_open(&m, model);
	for (int i = 0; i < m.st->n; i++) {
		const char *name = m.st->names[i];
		const tensor *t = m.st->tensors[i];
		char *end;
		long layer = strtol(name, &end, 10);
		if (end != name && !strcmp(end, ".weight") && t->ndim == 4 && (best < 0 || layer < best))
			best = layer, in = (long)t->shape[1];
	}
	meta_close(&m);
	return in;
}

static void filters(FILE *f, const opts *o, const char *model, const char *png)
{
	char *out = in_dir(o, png);
	/* filters-dump's defaults: tiles 48 pixels wide, numbered, one scale
	   for the layer and its colour bar */
	const char *args[] = {"-o", out, "--", model, NULL};
	run_tool("filters-dump", args, 0);
	long in = first_conv_channels(model);
	fputs("<h3>First-layer filters</h3>\n", f);
	figure(f, png,
	       in == 3 ? "filters of the first convolution, numbered from 0: each an RGB tile (input channels red, "
			 "green, blue), mid-grey at 0, on one scale for the whole layer; the colour bar shows one "
			 "channel's level and the weights at its ends"
	       : in == 1 ? "filters of the first convolution, numbered from 0, on one scale for the whole layer: "
			   "blue negative, white 0, red positive; the colour bar gives the weights at its ends"
			 : "filters of the first convolution, a row per filter and a tile per input channel, numbered "
			   "from 0, on one scale for the whole layer: blue negative, white 0, red positive; the colour "
			   "bar gives the weights at its ends");
	free(out);
}

/* The confusion matrix and the precision-recall curves of the test
   predictions, from the files score() had ap-score write (PREFIX-pr.tsv,
   PREFIX-confusion.tsv), drawn by curve-plot as PREFIX-confusion.png and
   PREFIX-pr.png. */
static void pr_confusion(FILE *f, const opts *o, const char *prefix, const char *title, const char *what)
{
	char name[64], caption[256];
	fputs("<h3>Confusion matrix and precision&ndash;recall curves</h3>\n", f);
	const char *kinds[2] = {"confusion", "pr"};
	for (int k = 0; k < 2; k++) {
		snprintf(name, sizeof name, "%s-%s.tsv", prefix, kinds[k]);
		char *tsv = in_dir(o, name);
		snprintf(name, sizeof name, "%s-%s.png", prefix, kinds[k]);
		char *png = in_dir(o, name);
		char flag[16];
		snprintf(flag, sizeof flag, "--%s", kinds[k]);
		const char *args[] = {flag, "--title", title, "-o", png, "--", tsv, NULL};
		run_tool("curve-plot", args, 0);
		if (k == 0)
			snprintf(caption, sizeof caption,
				 "confusion matrix of the test %s: a row per true class, a column per predicted class, "
				 "the count in each cell, shaded by its share of the row's true class",
				 what);
		else
			snprintf(caption, sizeof caption,
				 "precision against recall for each class over the test %s, ranked by the class's "
				 "score; the average precision of each in the legend",
				 what);
		figure(f, name, caption);
		free(tsv);
		free(png);
	}
}

static void examples(FILE *f, const opts *o, const char *data, const char *pred, const char *png,
		     const char *caption)
{
	char *out = in_dir(o, png), k[24];
	snprintf(k, sizeof k, "%ld", o->k);
	const char *args[] = {"--data", data, "--pred", pred, "-k", k, "--seed", "1", "-o", out, NULL};
	run_tool("sample-grid", args, 0);
	figure(f, png, caption);
	free(out);
}

/* What both parts show first: network, hyperparameters, curves, filters;
   pictures named PREFIX-curves.png and PREFIX-filters.png. */
static void model_and_log(FILE *f, const opts *o, const char *model, const char *log, const char *prefix,
			  const char *curve_caption)
{
	char png[64];
	if (model)
		model_section(f, model);
	if (log) {
		snprintf(png, sizeof png, "%s-curves.png", prefix);
		curves(f, o, log, png, curve_caption);
	}
	if (model) {
		snprintf(png, sizeof png, "%s-filters.png", prefix);
		filters(f, o, model, png);
	}
}

static void classification(FILE *f, const opts *o)
{
	fputs("<h2>Classification</h2>\n", f);
	model_and_log(f, o, o->cls_model, o->cls_log, "cls", "loss and accuracy against the step");
	char *pr = o->cls_test ? in_dir(o, "cls-pr.tsv") : NULL, *cm = o->cls_test ? in_dir(o, "cls-confusion.tsv") : NULL;
	if (o->cls_val && o->cls_test) {
		/* side by side in one table, under one set of names */
		dataset *v = dataset_read(o->cls_val, "prediction"), *t = dataset_read(o->cls_test, "prediction");
		class_names_agree(o->cls_val, v->names, v->nclass, o->cls_test, t->names, t->nclass, 0);
		dataset_free(v);
		dataset_free(t);
	}
	scores *val = o->cls_val ? score(o->cls_val, NULL, NULL) : NULL;
	scores *test = o->cls_test ? score(o->cls_test, pr, cm) : NULL;
	if (val || test)
		accuracy_table(f, val, test);
	if (test)
		pr_confusion(f, o, "cls", "Classification: the test set", "images");
	if (o->cls_writeup)
		writeup(f, o->cls_model, o->cls_writeup_net, o->cls_writeup, "test accuracy", test ? test : val);
	if ((o->cls_val && o->cls_val_data) || (o->cls_test && o->cls_data))
		fputs("<h3>Correct and incorrect examples</h3>\n", f);
	if (o->cls_val && o->cls_val_data)
		examples(f, o, o->cls_val_data, o->cls_val, "cls-val-examples.png",
			 "validation: correctly (left) and wrongly (right) classified, a row per true class");
	if (o->cls_test && o->cls_data)
		examples(f, o, o->cls_data, o->cls_test, "cls-test-examples.png",
			 "test: correctly (left) and wrongly (right) classified, a row per true class");
	scores_free(val);
	scores_free(test);
	free(pr);
	free(cm);
}

/* Shape of the first array of a stream (x of a dataset stream). */
static void stream_shape(const char *path, tensor *t)
{
	FILE *in = xfopen_read(path);
	if (!npy_read_header(in, path, t) || t->ndim != 4)
		fatal("%s: not a dataset stream of images [N,C,H,W]", path);
	if (in != stdin)
		fclose(in);
}

static void triplets(FILE *f, const opts *o)
{
	/* the images: --seg-index, or the first four; seg-colour enlarges
	   small ones to 256 pixels and titles the parts */
	tensor x = {0};
	stream_shape(o->seg_data, &x);
	char list[64];
	const char *index = o->seg_index;
	if (!index) {
		int64_t n = x.shape[0];
		if (n < 1)
			fatal("%s: no images", o->seg_data);
		snprintf(list, sizeof list, "0%s%s%s", n > 1 ? ",1" : "", n > 2 ? ",2" : "", n > 3 ? ",3" : "");
		index = list;
	}
	char *pattern = in_dir(o, "seg-triplet-%d.png"), *legend = in_dir(o, "seg-legend.png");
	const char *args[] = {"--data", o->seg_data, "--pred", o->seg_test, "--triplet", "--index", index,
			      "-o", pattern, NULL};
	run_tool("seg-colour", args, 0);
	const char *largs[] = {"--pred", o->seg_test, "--legend-only", "-o", legend, NULL};
	run_tool("seg-colour", largs, 0);
	fputs("<h3>Input, output and ground truth</h3>\n", f);
	figure(f, "seg-legend.png", "the colours of the classes in the outputs and ground truths below");
	char *copy = xstrdup(index), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long i;
		char src[64], caption[96];
		if (!parse_int(tok, &i))
			fatal("--seg-index: '%s' is not a number", tok);
		snprintf(src, sizeof src, "seg-triplet-%ld.png", i);
		snprintf(caption, sizeof caption, "test image %ld", i);
		figure(f, src, caption);
	}
	free(copy);
	free(pattern);
	free(legend);
}

static void segmentation(FILE *f, const opts *o)
{
	fputs("<h2>Segmentation</h2>\n", f);
	model_and_log(f, o, o->seg_model, o->seg_log, "seg", "loss and pixel accuracy against the step");
	if (o->seg_test) {
		char *pr = in_dir(o, "seg-pr.tsv"), *cm = in_dir(o, "seg-confusion.tsv");
		scores *s = score(o->seg_test, pr, cm);
		ap_table(f, s);
		pr_confusion(f, o, "seg", "Segmentation: the test set, per pixel", "pixels");
		free(pr);
		free(cm);
		if (o->seg_writeup)
			writeup(f, o->seg_model, o->seg_writeup_net, o->seg_writeup, "average precision", s);
		scores_free(s);
	}
	if (o->seg_test && o->seg_data)
		triplets(f, o);
}

static const char *style =
	"body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
	"pre{background:#f4f4f4;padding:.6em;overflow-x:auto}td pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
	"td{font-variant-numeric:tabular-nums}\n"
	"figure{margin:1em 0}img{max-width:100%;image-rendering:pixelated}\n"
	"figcaption{font-size:90%;color:#555}\n";

/* The files a report is made of: those of an earlier report in the
   folder that this one does not make are removed; others are kept. */
static const char *const report_files[] = {
	"index.html", "cls-curves.png", "cls-filters.png", "seg-curves.png", "seg-filters.png",
	"cls-val-examples.png", "cls-test-examples.png", "cls-pr.tsv", "cls-confusion.tsv", "cls-pr.png",
	"cls-confusion.png", "seg-pr.tsv", "seg-confusion.tsv", "seg-pr.png", "seg-confusion.png", "seg-legend.png"};

static int report_file(const char *name)
{
	for (size_t j = 0; j < sizeof report_files / sizeof *report_files; j++)
		if (!strcmp(name, report_files[j]))
			return 1;
	/* seg-triplet-N.png */
	if (strncmp(name, "seg-triplet-", 12))
		return 0;
	size_t digits = strspn(name + 12, "0123456789");
	return digits && !strcmp(name + 12 + digits, ".png");
}

/* The options, checked against one another; *cls and *seg: whether
   there is a classification or a segmentation part. */
static void opts_read(opts *o, int argc, char **argv, int *cls, int *seg)
{
	o->title = "nnpipe report";
	o->k = 4;
	opt table[] = {
		{NULL, 'o', OPT_STRING, &o->dir, .arg = "DIR", .help =
		 "the folder of the report: made beside it, put in its place when complete"},
		{"title", 0, OPT_STRING, &o->title, .arg = "TEXT", .help = "title of the page (default nnpipe report)"},
		{.kind = OPT_HEADING, .help = "Classification:"},
		{"cls-model", 0, OPT_STRING, &o->cls_model, .arg = "FILE",
		 .help = "model: network description and hyperparameters, filters"},
		{"cls-log", 0, OPT_STRING, &o->cls_log, .arg = "FILE",
		 .help = "metrics log of nn-train: loss and accuracy curves"},
		{"cls-val", 0, OPT_STRING, &o->cls_val, .arg = "FILE",
		 .help = "predictions on the validation set (nn-predict)"},
		{"cls-val-data", 0, OPT_STRING, &o->cls_val_data, .arg = "FILE",
		 .help = "the validation dataset stream: examples"},
		{"cls-test", 0, OPT_STRING, &o->cls_test, .arg = "FILE", .help = "predictions on the test set: confusion matrix, PR curves"},
		{"cls-data", 0, OPT_STRING, &o->cls_data, .arg = "FILE", .help = "the test dataset stream: examples"},
		{"cls-writeup", 0, OPT_STRING, &o->cls_writeup, .arg = "LIST",
		 .help = "the write-up's per-class test accuracy, for its own network"},
		{"cls-writeup-net", 0, OPT_STRING, &o->cls_writeup_net, .arg = "FILE",
		 .help = "the write-up's network description"},
		{"cls-commands", 0, OPT_STRING, &o->cls_commands, .arg = "FILE",
		 .help = "the commands that made the part, shown as they are"},
		{NULL, 'k', OPT_INT, &o->k, 1, 1000, .arg = "K", .help = "examples of each kind per class (default 4)"},
		{.kind = OPT_HEADING, .help = "Segmentation:"},
		{"seg-model", 0, OPT_STRING, &o->seg_model, .arg = "FILE", .help = "model"},
		{"seg-log", 0, OPT_STRING, &o->seg_log, .arg = "FILE", .help = "metrics log"},
		{"seg-test", 0, OPT_STRING, &o->seg_test, .arg = "FILE", .help = "predictions on the test set: per-class AP,\nconfusion matrix, PR curves"},
		{"seg-data", 0, OPT_STRING, &o->seg_data, .arg = "FILE", .help = "the test dataset stream: triplets"},
		{"seg-index", 0, OPT_STRING, &o->seg_index, .arg = "LIST",
		 .help = "test images shown as triplets, numbers from 0 as 0,5,7\n(default the first four)"},
		{"seg-writeup", 0, OPT_STRING, &o->seg_writeup, .arg = "LIST",
		 .help = "the write-up's per-class AP, for its own network"},
		{"seg-writeup-net", 0, OPT_STRING, &o->seg_writeup_net, .arg = "FILE",
		 .help = "the write-up's network description"},
		{"seg-commands", 0, OPT_STRING, &o->seg_commands, .arg = "FILE",
		 .help = "the commands that made the part, shown as they are"},
		OPT_END,
	};
	if (opt_parse(table, argc, argv, usage))
		usage_error("unexpected argument '%s'", argv[0]);
	if (!o->dir)
		usage_error("no output folder (-o DIR)");
	*cls = o->cls_model || o->cls_log || o->cls_val || o->cls_test;
	*seg = o->seg_model || o->seg_log || o->seg_test;
	if (!*cls && !*seg)
		usage_error("nothing to report: give --cls-... or --seg-... inputs");
	if ((o->cls_val_data && !o->cls_val) || (o->cls_data && !o->cls_test))
		usage_error("examples need predictions: --cls-val-data with --cls-val, --cls-data with --cls-test");
	if ((o->seg_data || o->seg_index) && !o->seg_test)
		usage_error("triplets need --seg-test and --seg-data");
	if ((o->cls_writeup_net && !o->cls_writeup) || (o->seg_writeup_net && !o->seg_writeup))
		usage_error("--cls-writeup-net and --seg-writeup-net name the network of --cls-writeup and --seg-writeup");
	if (o->seg_writeup && !o->seg_test)
		usage_error("--seg-writeup is shown beside the test scores: give --seg-test");
	if (o->seg_index && strspn(o->seg_index, "0123456789,") != strlen(o->seg_index))
		usage_error("--seg-index: expected numbers separated by commas, got '%s'", o->seg_index);
}

/* The inputs of the report, as io_check takes them; NULL where not given. */
#define REPORT_INPUTS(o) \
	(o)->cls_model, (o)->cls_log, (o)->cls_val, (o)->cls_val_data, (o)->cls_test, (o)->cls_data, \
		(o)->seg_model, (o)->seg_log, (o)->seg_test, (o)->seg_data, (o)->cls_writeup_net, \
		(o)->cls_commands, (o)->seg_writeup_net, (o)->seg_commands

/* The report and the tools it runs each read an input, some more than
   once: a pipe would be empty the second time, a FIFO block forever. */
static void inputs_regular(const opts *o)
{
	const char *ins[] = {REPORT_INPUTS(o)};
	for (size_t j = 0; j < sizeof ins / sizeof *ins; j++) {
		struct stat st;
		if (!ins[j])
			continue;
		if (!strcmp(ins[j], "-"))
			fatal("<stdin>: not a regular file: the report reads its inputs more than once (save it to a file)");
		if (stat(ins[j], &st))
			fatal("%s: %s", ins[j], strerror(errno));
		if (!S_ISREG(st.st_mode))
			fatal("%s: not a regular file: the report reads its inputs more than once (save it to a file)",
			      ins[j]);
	}
}

/* No input may be a file of the report (in a folder not yet made, none
   is). */
static void inputs_apart(const opts *o)
{
	struct stat st;
	if (stat(o->dir, &st))
		return;
	const char *outs[sizeof report_files / sizeof *report_files];
	int nout = (int)(sizeof outs / sizeof *outs);
	for (int j = 0; j < nout; j++)
		outs[j] = in_dir(o, report_files[j]);
	io_check(IO_LIST(REPORT_INPUTS(o)), nout, outs);
	for (int j = 0; j < nout; j++)
		free((char *)outs[j]);
}

/* index.html, in o->dir. */
static void page_write(const opts *o, int cls, int seg)
{
	char *index = in_dir(o, "index.html");
	outfile *out = out_open(index);
	FILE *f = out->f;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	html(f, o->title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	html(f, o->title);
	fputs("</h1>\n", f);
	if (cls)
		classification(f, o);
	if (seg)
		segmentation(f, o);
	fputs("<h2>How this was made</h2>\n", f);
	if (cls)
		how_made(f, "Classification", o->cls_model, o->cls_commands, o->cls_test);
	if (seg)
		how_made(f, "Segmentation", o->seg_model, o->seg_commands, o->seg_test);
	fputs("</body>\n</html>\n", f);
	out_commit(out);
	free(index);
}

int main(int argc, char **argv)
{
	tool_start("nn-report");
	opts o = {0};
	int cls, seg;
	opts_read(&o, argc, argv, &cls, &seg);
	inputs_regular(&o);
	/* the report is made in a new folder beside DIR, which replaces DIR
	   only when it is complete: a run that fails leaves DIR as it was */
	outdir *od = outdir_open(o.dir);
	inputs_apart(&o);
	const char *dir = o.dir;
	o.dir = od->tmp;
	page_write(&o, cls, seg);
	outdir_commit(od, report_file);
	o.dir = dir;
	char *index = in_dir(&o, "index.html");
	note("wrote %s", index);
	free(index);
	return 0;
}
