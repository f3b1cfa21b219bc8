/* runlog.h: reading the TSV files that curve-plot draws, and continuing nn-train's
   metrics log on a resume. nn-train's metrics log, a TSV file whose header names
   its columns (step, split and loss required; accuracy, epoch and seconds
   optional) and whose
   rows are the train and val measurements, in any order of columns. Rows
   of other splits are skipped; "nan" is a missing value. */
#ifndef NN_RUNLOG_H
#define NN_RUNLOG_H

#include <stdio.h>

typedef struct point {
	long step;
	double epoch, seconds; /* NaN when the log has no such column */
	double loss, acc;
} point;

typedef struct series {
	point *p;
	int n, cap;
} series;

typedef struct runlog {
	const char *path;  /* "-" is stdin */
	const char *label; /* the caller's */
	series split[2];   /* train, val */
	int has_epoch, has_seconds; /* the header names these columns */
} runlog;

/* Reads r->path into r->split; dies with "path:line: reason" on anything
   that is not a metrics log with at least one train or val row. */
void runlog_read(runlog *r);
/* nn-train's log as it writes it: to a temporary file that runlog_close
   puts in place, so that a run that fails leaves the old log as it was. */
typedef struct runlog_out {
	struct outfile *f;
	const char *path;
} runlog_out;
/* A new log at path (the caller's string), its header written; with keep
   >= 0, the rows of the log now at path whose step is at most keep come
   first (a run resumed at that step continues its log; later rows are of
   steps it takes again; none when path is not a regular file). Dies on a
   file there that is not such a log. */
runlog_out *runlog_create(const char *path, long keep);
/* One row: split is train, val, best or stop (whose accuracy column holds
   the score kept). A NULL log takes nothing. */
void runlog_row(runlog_out *log, long step, double epoch, const char *split, double loss, double accuracy,
		double lr, double seconds);
/* The rows so far to the file; dies on a write error. */
void runlog_flush(runlog_out *log);
/* Flushed and put in place; NULL: nothing. */
void runlog_close(runlog_out *log);
void runlog_free(runlog *r);

/* ap-score --pr: columns class, name, precision, recall and ap (others,
   such as threshold, are not read); the rows of a class together, one
   curve per class in the order of the file. */
typedef struct prcurve {
	char *name;
	double ap;
	double *recall, *precision;
	int n, cap;
} prcurve;

typedef struct prfile {
	const char *path;
	prcurve *c;
	int n;
} prfile;

/* Dies with "path:line: reason" on anything else, or on a file without rows. */
void prfile_read(prfile *f);
void prfile_free(prfile *f);

/* ap-score --confusion-tsv: columns class, name, pred0 ... pred<K-1>, and
   a row per true class 0 ... K-1 in order. A matrix of more than max_side
   classes (when set) is kept summed in square blocks of classes, so that
   a picture of 4096 classes needs no 4096 x 4096 cells; the sums are
   doubles, which counts near 2^63 do not overflow. */
typedef struct cmfile {
	const char *path;
	int max_side;       /* set by the caller: at most this many cells a side (0: no limit) */
	int k;              /* classes */
	int block, side;    /* classes a cell spans along each axis (1, or more past max_side); cells a side */
	char **names;       /* [k] */
	long long *count;   /* [k*k] when block is 1, else NULL: rows true, columns predicted */
	double *sum;        /* [side*side]: the counts of each cell's classes, rows true */
	double *total;      /* [side]: the counts of each row of cells' true classes */
} cmfile;

void cmfile_read(cmfile *f);
void cmfile_free(cmfile *f);

/* Splits a line at its tabs, in place (from its first line break on, cut
   off), into *field: *cap entries, grown as needed (NULL and 0 at first;
   the caller frees it). An empty field is a field. Returns how many. */
int tsv_split(char *line, char ***field, int *cap);
/* A number field into *v: "nan" (any case) is NaN. 0 when s is no number. */
int tsv_number(const char *s, double *v);

#endif
