/* util.h: errors, checked allocation and I/O, number parsing, seeded RNG. */
#ifndef NN_UTIL_H
#define NN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Program name used as the prefix of every message ("nn-train: ..."). */
extern const char *nn_prog;
/* Set by fatal() and usage_error(): the program is ending on an error that
   it has already reported. */
extern volatile int nn_failing;
/* Put between "prog: " and every message ("rank 1: "); NULL: nothing. */
extern const char *nn_msg_tag;
/* When set, note() prints nothing: a process that is not the one to speak
   (the ranks of a run other than rank 0) still prints its errors. */
extern int nn_notes_off;

/* For fuzzing harnesses (tests/fuzz/): when set, fatal(), usage_error() and
   refuse() print nothing and jump here instead of ending the program. */
#include <setjmp.h>
extern jmp_buf *nn_error_jump;
/* Print "prog: msg" to stderr and exit 1 (bad input or failure). */
void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "prog: msg" and a hint to run --help, exit 2 (bad usage). */
void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "prog: msg" and exit 2, on one line: a request refused before
   anything was read or written (an output that is an input). */
void refuse(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Print "prog: msg" to stderr and return (warnings, progress). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Open for reading; "-" or NULL is stdin. Dies with "prog: path: reason". */
FILE *xfopen_read(const char *path);
/* Reads exactly n bytes or dies naming path ("truncated" on early EOF). */
void xfread(void *buf, size_t n, FILE *f, const char *path);
void xfwrite(const void *buf, size_t n, FILE *f, const char *path);
/* Reads exactly n bytes into new memory, or dies: "path: read error" or
   "path: <truncated>" on early EOF. Memory only for bytes that are there:
   a regular file's remaining size is checked first; a pipe's bytes are
   read in pieces of growing size, so that a header that claims gigabytes
   costs no more than the bytes that follow it. */
void *read_payload(FILE *f, size_t n, const char *path, const char *truncated);
/* Whole file into memory (NUL-terminated); *len gets the size. */
char *read_file(const char *path, size_t *len);
/* A whole text file: as read_file, but a NUL byte in it is an error (a C
   string would silently end there). */
char *read_text(const char *path);
/* The first control byte (below 0x20, or 0x7f) of s, or NULL: names that
   reach terminals and TSV files must have none. */
const char *control_byte(const char *s);
/* Display name of a path for messages: "<stdin>" for "-" or NULL. */
const char *display_name(const char *path);
/* The folder a path names a file in (new memory): "." for a bare name,
   "/" for "/x". */
char *path_dir(const char *path);
/* path followed by suffix (new memory). */
char *path_with_suffix(const char *path, const char *suffix);
/* path without its suffix (new memory), or NULL when it does not end in
   suffix or is nothing else. */
char *path_strip_suffix(const char *path, const char *suffix);
/* The folder of this program's executable, as /proc/self/exe names it (new
   memory); NULL when that cannot be read. */
char *exe_dir(void);

/* Strict number parsing for options and files: the whole string must parse,
   with no white space before or after. */
int parse_int(const char *s, long *out);
int parse_float(const char *s, double *out);
/* Comma-separated floats ("1,1,5,1,1"); returns count or -1 on a bad number. */
int parse_float_list(const char *s, float *out, int max);

double now_seconds(void);
/* A duration of s seconds as M:SS, or H:MM:SS from an hour. */
void format_duration(double s, char *buf, size_t n);

/* SplitMix64-seeded xoshiro-style generator: small, fast, reproducible across
   machines. Counter-based seeding (rng_seed(seed, stream)) lets every epoch or
   step have its own stream so that a resumed run draws the same numbers. */
typedef struct rng { uint64_t s[4]; } rng;
void rng_seed(rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(rng *r);
double rng_uniform(rng *r);              /* [0,1) */
float rng_uniform_range(rng *r, float lo, float hi);
uint32_t rng_below(rng *r, uint32_t n);  /* [0,n) without modulo bias */
void rng_shuffle(rng *r, int *idx, int n);

#ifdef __cplusplus
}
#endif

#endif
