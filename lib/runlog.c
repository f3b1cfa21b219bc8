/* runlog.c: the metrics log reader (see runlog.h). */
#include "runlog.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* Field i (0-based) of a tab-separated line, copied into buf: 1, or 0
   when the line has fewer fields, -1 when the field does not fit in buf
   (cut short, a number would silently read as another). */
static int tsv_field(const char *line, int i, char *buf, size_t n)
{
	for (; i > 0; i--) {
		line = strchr(line, '\t');
		if (!line)
			return 0;
		line++;
	}
	size_t len = strcspn(line, "\t\r\n");
	if (len >= n)
		return -1;
	memcpy(buf, line, len);
	buf[len] = 0;
	return 1;
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
	if ((!*s && !strcmp(what, "accuracy")) || !strcasecmp(s, "nan"))
		return NAN;
	if (!parse_float(s, &v))
		fatal("%s:%ld: bad %s '%s'", path, line, what, s);
	return v;
}

void runlog_read(runlog *r)
{
	FILE *f = xfopen_read(r->path);
	const char *name = path_name(r->path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t got = getline(&line, &cap, f);
	if (got < 0 && ferror(f))
		fatal("%s: read error: %s", name, strerror(errno));
	if (got < 0)
		fatal("%s: empty file, expected a metrics log", name);
	if (memchr(line, 0, (size_t)got))
		fatal("%s:1: a NUL byte: not a metrics log", name);
	int cstep = column_of(line, "step"), csplit = column_of(line, "split");
	int closs = column_of(line, "loss"), cacc = column_of(line, "accuracy");
	int cepoch = column_of(line, "epoch"), csec = column_of(line, "seconds");
	r->has_epoch = cepoch >= 0;
	r->has_seconds = csec >= 0;
	if (cstep < 0 || csplit < 0 || closs < 0)
		fatal("%s: not a metrics log (the header needs columns step, split and loss)", name);
	long ln = 1;
	int rows = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		ln++;
		if (memchr(line, 0, (size_t)got))
			fatal("%s:%ld: a NUL byte: not a metrics log", name, ln);
		if (line[strspn(line, "\r\n")] == 0)
			continue;
		char fs[64], fsp[64], fl[64], fa[64] = "", fe[64] = "", ft[64] = "";
		int got_fields[6] = {tsv_field(line, cstep, fs, sizeof fs), tsv_field(line, csplit, fsp, sizeof fsp),
				     tsv_field(line, closs, fl, sizeof fl),
				     cacc >= 0 ? tsv_field(line, cacc, fa, sizeof fa) : 1,
				     cepoch >= 0 ? tsv_field(line, cepoch, fe, sizeof fe) : 1,
				     csec >= 0 ? tsv_field(line, csec, ft, sizeof ft) : 1};
		for (int i = 0; i < 6; i++) {
			if (got_fields[i] == 0)
				fatal("%s:%ld: fewer fields than the header", name, ln);
			if (got_fields[i] < 0)
				fatal("%s:%ld: a field of %d bytes or more: not a metrics log", name, ln,
				      (int)sizeof fs);
		}
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
