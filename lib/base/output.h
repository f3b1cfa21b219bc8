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
/* Flush, sync and close, without putting the file in place; dies naming
   the file on any error, the temporary file removed. A tool with several
   outputs closes them all before it commits any, so that one that fails
   leaves all the old ones. */
void out_close(outfile *o);
/* out_close if not yet closed, and rename into place; dies naming the file
   on any error, the temporary file removed. */
void out_commit(outfile *o);
/* A folder of outputs, all or nothing: the files are written in a new
   temporary folder beside it (tmp), which becomes the folder only when all
   are done, and is removed on an error or signal; a run that fails leaves
   the folder as it was. tmp is TARGET.tmp.PID.XXXXXX, or .tmp.PID.XXXXXX
   in the folder when it cannot go beside it. */
typedef struct outdir {
	char *path;   /* the name given */
	char *target; /* the folder replaced: path resolved, or path */
	char *tmp;    /* where the files go: beside target, or in it */
	int inside;   /* tmp is in target (the current folder, or one whose
			 parent is not writable): its files are moved out */
} outdir;
/* Checks that the folder can be made or replaced (dies naming the path)
   and makes the temporary one. */
outdir *outdir_open(const char *path);
/* Puts the new folder in place: a new one is renamed; an existing one is
   swapped with the new one at once (RENAME_EXCHANGE) and then removed,
   the files of the old one that the new one lacks kept unless own(name)
   says they are the tool's own (made by an earlier run, not by this one;
   own may be NULL). Where a swap cannot be made (the current folder, a
   folder within, a file system without it) the new files are renamed
   into the old folder one by one and own's others removed. */
void outdir_commit(outdir *d, int (*own)(const char *name));
/* Display name of an output for messages: "<stdout>" for "-" or NULL. */
const char *out_name(const char *path);
/* Refuses (exit 2, one line) a binary output that is a terminal: stdout
   ("-" or NULL) when it is one, /dev/stdout and its kin, or a terminal's
   path. Call it with the other checks, before reading anything. */
void out_refuse_terminal(const char *path);
/* Flush stdout and die if it failed (e.g. disk full, closed pipe). */
void stdout_check(void);

/* Refuses an output that cannot be written, before any work: an empty name
   (exit 2), a folder, a name in a folder that is not there or not writable,
   a device that is not writable (exit 1). "-" or NULL (stdout) passes. */
void out_check(const char *path);

/* Refuses (exit 2, one line) an output that names the same file as an input
   (same device and inode, or the same path once resolved) or as another
   output, after out_check of each output. in and out hold nin and nout
   paths; NULL entries are skipped and "-" is stdin or stdout. Call it
   before reading anything. */
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
