/* opt.h: the command-line parser of every tool. A tool describes its options
   in one table; opt_parse() reads the command line against it and prints the
   options part of --help from it, so that every tool takes -h and --help,
   "--name value" and "--name=value", short options ("-o FILE", "-oFILE",
   flags bundled as "-qv"), options anywhere among the operands and "--" to
   end them; and records which options were given. */
#ifndef NN_OPT_H
#define NN_OPT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	OPT_FLAG,    /* no value; dest is an int set to 1 */
	OPT_STRING,  /* dest is a const char *; the last one given wins */
	OPT_INT,     /* dest is a long; a whole number in [lo, hi] */
	OPT_FLOAT,   /* dest is a double; a finite number in [lo, hi] */
	OPT_CUSTOM,  /* parse(option, value) checks and stores the value */
	OPT_HEADING  /* not an option: a line of --help before the options that follow */
} opt_kind;

typedef struct opt {
	const char *name;   /* long name without "--", or NULL */
	char short_name;    /* 'o' for -o, or 0 */
	opt_kind kind;
	void *dest;
	double lo, hi;      /* OPT_INT and OPT_FLOAT: the values allowed */
	const char *arg;    /* the value's name in --help: "N", "FILE" */
	const char *help;   /* one line of --help; "\n" continues it below */
	/* OPT_INT and OPT_FLOAT: the values allowed, as a bad value's message
	   says it ("0 (every core) to 1024"); by default the range */
	const char *expect;
	/* OPT_CUSTOM: stores value (in dest), or calls usage_error() naming the
	   option (opt_name()) when it is bad; called once each time the option
	   is given, so that an option may be repeated */
	void (*parse)(const struct opt *o, const char *value);
	int given;          /* set by opt_parse(): how many times it was given */
} opt;

/* The end of a table. */
#define OPT_END {0}

/* The rows of --threads (a long), --device (auto|cpu|cuda) and --precision
   (fp32|tf32, both const char *), shared by the tools that run a network;
   what is the verb of --device's help: "train", "run". --conv sets the CPU
   backend's convolution algorithm, backend_conv of backend/backend.h, which
   those tools include. */
#define OPT_BACKEND(threads, device, precision, what) \
	{"threads", 0, OPT_INT, (threads), 0, 1024, .arg = "N", .help = "CPU threads, 1 to 1024 (default 0: all cores)", \
	 .expect = "0 (every core) to 1024"}, \
	{"device", 0, OPT_CUSTOM, (device), .arg = "auto|cpu|cuda", .help = "where to " what " (default auto)", \
	 .parse = opt_choice}, \
	{"precision", 0, OPT_CUSTOM, (precision), .arg = "fp32|tf32", \
	 .help = "matrix maths on the GPU (default fp32)", .parse = opt_choice}, \
	{"conv", 0, OPT_CUSTOM, &backend_conv, .arg = "auto|gemm|direct|winograd", \
	 .help = "CPU convolutions: gemm or direct (the definition's sums), winograd (fewer products) or auto", \
	 .parse = opt_choice}

/* The rows of table before its OPT_END. */
size_t opt_count(const opt *table);

/* Reads the options of argv[1..argc) against table (ended by OPT_END) and
   moves the operands, in order, to argv[0..n); returns n. -h or --help
   prints usage (the synopsis and description, to stdout), the options of
   the table and exits 0. An unknown option, a missing value or a bad one is
   a usage error (exit 2). */
int opt_parse(opt *table, int argc, char **argv, const char *usage);
/* The options part of --help. */
void opt_help(const opt *table);
/* The entry of an option by its long name ("epochs"), or by its short
   name ("o") when it has no long one; NULL when there is none. */
const opt *opt_find(const opt *table, const char *name);
/* Whether that option was given. */
int opt_given(const opt *table, const char *name);
/* An OPT_CUSTOM parse for a value from a fixed list: o->arg names the
   choices as "fp32|tf32"; the value is stored in dest (a const char *). */
void opt_choice(const opt *o, const char *value);
/* "--epochs" or "-k": the option as users write it, for messages. */
const char *opt_name(const opt *o);

#ifdef __cplusplus
}
#endif

#endif
