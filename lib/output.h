/* output.h: output files that lose nothing. A regular file is written to a
   temporary name beside it and renamed over it when complete; a device, FIFO
   or terminal is written in place; no write error goes unreported (stdout
   included, checked at exit); a tool refuses an output that is one of its
   inputs; temporary files are removed on error, on SIGINT, SIGTERM, SIGHUP and
   SIGPIPE, and when a later run finds one left by a process that is gone. */
#ifndef NN_OUTPUT_H
#define NN_OUTPUT_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* First call of every tool: sets nn_prog, checks stdout's flush and close at
   exit (a failure there makes the exit status 1) and removes unfinished
   temporary files on the signals above. */
void tool_start(const char *prog);

typedef struct outfile {
	FILE *f;
	char *path;   /* the name given, NULL for stdout */
	char *target; /* the file replaced: path, or the file its link points to */
	char *tmp;    /* temporary name beside target; NULL when written in place */
} outfile;
/* "-" or NULL is stdout; /dev/stdout, /dev/stderr and /dev/fd/N are the
   descriptors this program has. A path that exists and is not a regular file
   (a device, a FIFO, a link to one) is opened and written in place; a folder
   is an error. A link to a regular file replaces the file it points to. */
outfile *out_open(const char *path);
/* Flush, sync, close and rename into place; dies naming the file on any
   error, the temporary file removed. */
void out_commit(outfile *o);
/* Display name of an output for messages: "<stdout>" for "-" or NULL. */
const char *out_name(const char *path);
/* Refuses (exit 2, one line) a binary output that is a terminal: stdout
   ("-" or NULL) when it is one, /dev/stdout and its kin, or a terminal's
   path. Call it with the other checks, before reading anything. */
void out_refuse_terminal(const char *path);
/* Flush stdout and die if it failed (e.g. disk full, closed pipe). */
void stdout_check(void);

/* Refuses (exit 2, one line) an output that names the same file as an input
   (same device and inode, or the same path once resolved) or as another
   output. in and out hold nin and nout paths; NULL entries are skipped and
   "-" is stdin or stdout. Call it before reading anything. */
void io_check(int nin, const char *const *in, int nout, const char *const *out);
/* io_check(IO_LIST(a, b, c), IO_LIST(o, r)) */
#define IO_LIST(...) \
	(int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)), (const char *[]){__VA_ARGS__}
/* Whether two paths name the same file (as io_check compares them). */
int same_file(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
