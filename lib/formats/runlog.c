/* runlog.c: the TSV files curve-plot draws (see runlog.h): their readers, and
   the writer of nn-train's log. */
#include "formats/runlog.h"
#include "formats/tensor.h"
#include "base/filekind.h"
#include "base/output.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The header line of nn-train's log. */
#define RUNLOG_HEADER "step\tepoch\tsplit\tloss\taccuracy\tlr\tseconds\n"

int tsv_split(char *line, char ***field, int *cap)
{
	line[strcspn(line, "\r\n")] = 0;
	int n = 0;
	for (char *s = line;; s++) {
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*field = xrealloc(*field, *cap * sizeof **field);
		}
		(*field)[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			return n;
		*s = 0;
	}
}

int tsv_number(const char *s, double *v)
{
	if (!strcasecmp(s, "nan")) {
		*v = NAN;
		return 1;
	}
	return parse_float(s, v);
}

/* One pass over the header: a lookup per field, each from the start of
   the line, took 24 s on a header of 50000 fields. */
static int column_of(const char *header, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0;; i++) {
		size_t len = strcspn(header, "\t\r\n");
		if (len == n && !strncmp(header, name, n))
			return i;
		if (header[len] != '\t')
			return -1;
		header += len + 1;
	}
}

/* A number of the log: "nan" (a diverged run, or an accuracy not computed)
   and an empty accuracy are allowed and become a gap in the curve. */
static double log_number(const char *s, const char *path, long line, const char *what)
{
	double v;
	if (!*s && !strcmp(what, "accuracy"))
		return NAN;
	if (!tsv_number(s, &v))
		fatal("%s:%ld: bad %s '%s'", path, line, what, s);
	return v;
}

/* The next row of a TSV file that is not blank, into *line; its line
   number in *ln. 0 at the end of the file; dies on a NUL byte. */
static int next_row(FILE *f, char **line, size_t *cap, long *ln, const char *name, const char *what)
{
	ssize_t got;
	while ((got = getline(line, cap, f)) >= 0) {
		++*ln;
		if (memchr(*line, 0, (size_t)got))
			fatal("%s:%ld: a NUL byte: not %s", name, *ln, what);
		if ((*line)[strspn(*line, "\r\n")])
			return 1;
	}
	return 0;
}

/* A first line that holds a NUL byte: says what the file is, when that
   can be told. */
__attribute__((noreturn)) static void not_text(const char *name, const char *line, size_t n, const char *what)
{
	const char *kind = file_kind_phrase(line, n < FILE_KIND_HEAD ? n : FILE_KIND_HEAD);
	if (kind)
		fatal("%s: %s, not %s", name, kind, what);
	fatal("%s:1: a NUL byte: not %s", name, what);
}

void runlog_read(runlog *r)
{
	FILE *f = xfopen_read(r->path);
	const char *name = display_name(r->path);
	char *line = NULL, **field = NULL;
	size_t cap = 0;
	int fcap = 0;
	ssize_t got = getline(&line, &cap, f);
	if (got < 0 && ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (got < 0)
		fatal("%s: empty file, expected a metrics log", name);
	if (memchr(line, 0, (size_t)got))
		not_text(name, line, (size_t)got, "a metrics log");
	int cstep = column_of(line, "step"), csplit = column_of(line, "split");
	int closs = column_of(line, "loss"), cacc = column_of(line, "accuracy");
	int cepoch = column_of(line, "epoch"), csec = column_of(line, "seconds");
	r->has_epoch = cepoch >= 0;
	r->has_seconds = csec >= 0;
	if (cstep < 0 || csplit < 0 || closs < 0)
		fatal("%s: not a metrics log (the header needs columns step, split and loss)", name);
	long ln = 1;
	int rows = 0;
	while (next_row(f, &line, &cap, &ln, name, "a metrics log")) {
		int nf = tsv_split(line, &field, &fcap);
		const int col[6] = {cstep, csplit, closs, cacc, cepoch, csec};
		const char *v[6];
		for (int i = 0; i < 6; i++) {
			if (col[i] >= nf)
				fatal("%s:%ld: fewer fields than the header", name, ln);
			v[i] = col[i] >= 0 ? field[col[i]] : "";
			/* a field this long is no value of a metrics log */
			if (strlen(v[i]) >= 64)
				fatal("%s:%ld: a field of 64 bytes or more: not a metrics log", name, ln);
		}
		const char *fs = v[0], *fsp = v[1], *fl = v[2], *fa = v[3], *fe = v[4], *ft = v[5];
		int s = !strcmp(fsp, "train") ? 0 : !strcmp(fsp, "val") ? 1 : -1;
		if (s < 0)
			continue; /* a split this plot does not show */
		long step;
		if (!parse_int(fs, &step))
			fatal("%s:%ld: bad step '%s'", name, ln, fs);
		series *se = &r->split[s];
		if (se->n == se->cap) {
			se->cap = se->cap ? 2 * se->cap : 64;
			se->p = xrealloc(se->p, se->cap * sizeof *se->p);
		}
		se->p[se->n++] = (point){step, cepoch >= 0 ? log_number(fe, name, ln, "epoch") : NAN,
					 csec >= 0 ? log_number(ft, name, ln, "seconds") : NAN,
					 log_number(fl, name, ln, "loss"),
					 cacc >= 0 ? log_number(fa, name, ln, "accuracy") : NAN};
		rows++;
	}
	if (ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (!rows)
		fatal("%s: no train or val rows", name);
	free(field);
	free(line);
	if (f != stdin)
		fclose(f);
}

void runlog_free(runlog *r)
{
	for (int s = 0; s < 2; s++)
		free(r->split[s].p);
	memset(r->split, 0, sizeof r->split);
}

/* Opens path and reads its header line into *line; dies unless there is one. */
static FILE *tsv_open(const char *path, char **line, size_t *cap, const char *what)
{
	FILE *f = xfopen_read(path);
	const char *name = display_name(path);
	ssize_t got = getline(line, cap, f);
	if (got < 0 && ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (got < 0)
		fatal("%s: empty file, expected %s", name, what);
	if (memchr(*line, 0, (size_t)got))
		not_text(name, *line, (size_t)got, what);
	return f;
}

/* A precision, a recall or an average precision: from 0 to 1. */
static double tsv_share(const char *s, const char *path, long line, const char *what)
{
	double v;
	if (!parse_float(s, &v) || !isfinite(v))
		fatal("%s:%ld: bad %s '%s'", path, line, what, s);
	if (v < 0 || v > 1)
		fatal("%s:%ld: bad %s '%s': not from 0 to 1", path, line, what, s);
	return v;
}

void prfile_read(prfile *pf)
{
	const char *name = display_name(pf->path);
	const char *what = "precision-recall points (ap-score --pr)";
	char *line = NULL, **field = NULL;
	size_t cap = 0;
	int fcap = 0;
	FILE *f = tsv_open(pf->path, &line, &cap, what);
	int ccls = column_of(line, "class"), cname = column_of(line, "name");
	int cp = column_of(line, "precision"), cr = column_of(line, "recall"), cap_ = column_of(line, "ap");
	if (ccls < 0 || cname < 0 || cp < 0 || cr < 0 || cap_ < 0)
		fatal("%s: not %s: the header needs columns class, name, precision, recall and ap", name, what);
	int need = ccls;
	need = cname > need ? cname : need;
	need = cp > need ? cp : need;
	need = cr > need ? cr : need;
	need = cap_ > need ? cap_ : need;
	long ln = 1;
	char **seen = NULL; /* the class field of each curve */
	while (next_row(f, &line, &cap, &ln, name, what)) {
		int nf = tsv_split(line, &field, &fcap);
		if (nf <= need)
			fatal("%s:%ld: fewer fields than the header", name, ln);
		if (!pf->n || strcmp(seen[pf->n - 1], field[ccls])) {
			for (int c = 0; c < pf->n; c++)
				if (!strcmp(seen[c], field[ccls]))
					fatal("%s:%ld: the rows of class %s are not together", name, ln, field[ccls]);
			seen = xrealloc(seen, (pf->n + 1) * sizeof *seen);
			seen[pf->n] = xstrdup(field[ccls]);
			pf->c = xrealloc(pf->c, (pf->n + 1) * sizeof *pf->c);
			pf->c[pf->n++] = (prcurve){.name = xstrdup(field[cname]),
						   .ap = tsv_share(field[cap_], name, ln, "ap")};
		}
		prcurve *c = &pf->c[pf->n - 1];
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 256;
			c->recall = xrealloc(c->recall, c->cap * sizeof *c->recall);
			c->precision = xrealloc(c->precision, c->cap * sizeof *c->precision);
		}
		c->precision[c->n] = tsv_share(field[cp], name, ln, "precision");
		c->recall[c->n] = tsv_share(field[cr], name, ln, "recall");
		c->n++;
	}
	if (ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (!pf->n)
		fatal("%s: no points (no class has a positive?)", name);
	for (int c = 0; c < pf->n; c++)
		free(seen[c]);
	free(seen);
	free(field);
	free(line);
	if (f != stdin)
		fclose(f);
}

void prfile_free(prfile *pf)
{
	for (int c = 0; c < pf->n; c++) {
		free(pf->c[c].name);
		free(pf->c[c].recall);
		free(pf->c[c].precision);
	}
	free(pf->c);
	pf->c = NULL;
	pf->n = 0;
}

void cmfile_read(cmfile *cf)
{
	const char *name = display_name(cf->path);
	const char *what = "a confusion matrix (ap-score --confusion-tsv)";
	enum { MAXK = 4096 };
	char *line = NULL, **field = NULL;
	size_t cap = 0;
	int fcap = 0;
	FILE *f = tsv_open(cf->path, &line, &cap, what);
	int nf = tsv_split(line, &field, &fcap);
	int k = nf - 2;
	if (nf < 3 || nf > MAXK + 3 || strcmp(field[0], "class") || strcmp(field[1], "name"))
		fatal("%s: not %s: the header needs columns class, name, pred0, pred1, ...", name, what);
	for (int c = 0; c < k; c++) {
		char want[32];
		snprintf(want, sizeof want, "pred%d", c);
		if (strcmp(field[c + 2], want))
			fatal("%s: not %s: column %d is '%s', expected '%s'", name, what, c + 3, field[c + 2], want);
	}
	cf->k = k;
	cf->block = cf->max_side > 0 && k > cf->max_side ? (k + cf->max_side - 1) / cf->max_side : 1;
	cf->side = (k + cf->block - 1) / cf->block;
	cf->names = xcalloc(k, sizeof *cf->names);
	cf->count = cf->block == 1 ? xcalloc((size_t)k * k, sizeof *cf->count) : NULL;
	cf->sum = xcalloc((size_t)cf->side * cf->side, sizeof *cf->sum);
	cf->total = xcalloc(cf->side, sizeof *cf->total);
	long ln = 1;
	int rows = 0;
	while (next_row(f, &line, &cap, &ln, name, what)) {
		if (tsv_split(line, &field, &fcap) != k + 2)
			fatal("%s:%ld: not %d fields as the header", name, ln, k + 2);
		long t;
		if (rows == k || !parse_int(field[0], &t) || t != rows)
			fatal("%s:%ld: class '%s' where the row of class %d belongs", name, ln, field[0], rows);
		cf->names[rows] = xstrdup(field[1]);
		double *sum = cf->sum + (size_t)(rows / cf->block) * cf->side;
		for (int c = 0; c < k; c++) {
			long v;
			if (!parse_int(field[c + 2], &v) || v < 0)
				fatal("%s:%ld: bad count '%s'", name, ln, field[c + 2]);
			if (cf->count)
				cf->count[(size_t)rows * k + c] = v;
			sum[c / cf->block] += (double)v;
			cf->total[rows / cf->block] += (double)v;
		}
		rows++;
	}
	if (ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (rows != k)
		fatal("%s: %d rows for %d classes", name, rows, k);
	free(field);
	free(line);
	if (f != stdin)
		fclose(f);
}

void cmfile_free(cmfile *cf)
{
	names_free(cf->names, cf->k);
	free(cf->count);
	free(cf->sum);
	free(cf->total);
	cf->names = NULL;
	cf->count = NULL;
	cf->sum = cf->total = NULL;
}

/* Copies to f the rows of nn-train's log at path whose step is at most
   upto; nothing when path is not a regular file. */
static void runlog_keep(const char *path, long upto, FILE *f)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	char *text = read_text(path), *line = text, *next;
	size_t header_len = strlen(RUNLOG_HEADER);
	if (strncmp(text, RUNLOG_HEADER, header_len))
		fatal("%s: not a metrics log of nn-train (its first line is not the header): "
		      "give another --log, or --fresh-log to replace it", path);
	for (line += header_len; *line; line = next) {
		next = line + strcspn(line, "\n");
		next += *next == '\n';
		long step;
		char *tab = strchr(line, '\t');
		if (!tab || tab > next)
			fatal("%s: a row without tabs: not a metrics log of nn-train", path);
		*tab = 0;
		if (!parse_int(line, &step))
			fatal("%s: a row whose step is '%s': not a metrics log of nn-train", path, line);
		*tab = '\t';
		if (step <= upto)
			fwrite(line, 1, next - line, f);
	}
	free(text);
}

runlog_out *runlog_create(const char *path, long keep)
{
	runlog_out *log = xmalloc(sizeof *log);
	log->path = path;
	log->f = out_open(path);
	fputs(RUNLOG_HEADER, log->f->f);
	if (keep >= 0)
		runlog_keep(path, keep, log->f->f);
	runlog_flush(log);
	return log;
}

void runlog_row(runlog_out *log, long step, double epoch, const char *split, double loss, double accuracy,
		double lr, double seconds)
{
	if (log)
		fprintf(log->f->f, "%ld\t%.4f\t%s\t%.6f\t%.6f\t%.6g\t%.3f\n", step, epoch, split, loss, accuracy, lr,
			seconds);
}

void runlog_flush(runlog_out *log)
{
	if (log && (fflush(log->f->f) || ferror(log->f->f)))
		fatal("%s: write error: %s", log->path, strerror(errno));
}

void runlog_close(runlog_out *log)
{
	if (!log)
		return;
	runlog_flush(log);
	out_commit(log->f);
	free(log);
}
