/* runlog.h: reading nn-train's metrics log, a TSV file whose header names
   its columns (step, split and loss required; accuracy, epoch and seconds
   optional) and whose
   rows are the train and val measurements, in any order of columns. Rows
   of other splits are skipped; "nan" is a missing value. */
#ifndef NN_RUNLOG_H
#define NN_RUNLOG_H

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
void runlog_free(runlog *r);

#endif
