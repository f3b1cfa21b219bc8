/* util.c: errors, checked allocation and I/O, number parsing, seeded RNG. */
#include "base/util.h"
#include "base/filekind.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *nn_prog = "nnpipe";

volatile int nn_failing;
const char *nn_msg_tag;
int nn_notes_off;
jmp_buf *nn_error_jump;

/* LeakSanitizer asks this at exit: a program that ends on an error it has
   reported leaves allocated what it was working on, so only a program that
   ends without one is checked for leaks. */
int __lsan_is_turned_off(void) __attribute__((used));
int __lsan_is_turned_off(void)
{
	return nn_failing;
}

/* One line whatever the message quotes: a file name or a string read from
   a file may hold line breaks or terminal escapes, shown as '?'. */
static void vmessage(const char *fmt, va_list ap)
{
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fflush(stdout);
	if (msg) {
		for (char *c = msg; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		/* bounded: a message quoting a long value from a file stays a line */
		if (strlen(msg) > 1000)
			strcpy(msg + 990, " [...]");
	}
	/* one write: lines of processes that share the terminal do not mix */
	char line[1200];
	snprintf(line, sizeof line, "%s: %s%s\n", nn_prog, nn_msg_tag ? nn_msg_tag : "", msg ? msg : fmt);
	fputs(line, stderr);
	free(msg);
}

/* The end of fatal(), usage_error() and refuse(): the message, a hint to
   read --help for bad usage, the exit status; or, in a fuzzing harness, the
   jump back to it. */
#define DIE(status, hint)                                                                   \
	do {                                                                                \
		if (nn_error_jump)                                                          \
			longjmp(*nn_error_jump, 1);                                         \
		va_list ap;                                                                 \
		va_start(ap, fmt);                                                          \
		nn_failing = 1;                                                             \
		vmessage(fmt, ap);                                                          \
		va_end(ap);                                                                 \
		if (hint)                                                                   \
			fprintf(stderr, "Try '%s --help' for more information.\n", nn_prog); \
		exit(status);                                                               \
	} while (0)

void fatal(const char *fmt, ...)
{
	DIE(1, 0);
}

void usage_error(const char *fmt, ...)
{
	DIE(2, 1);
}

void refuse(const char *fmt, ...)
{
	DIE(2, 0);
}

void note(const char *fmt, ...)
{
	if (nn_notes_off)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("out of memory allocating %zu bytes", n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

const char *control_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

const char *display_name(const char *path)
{
	return (!path || !strcmp(path, "-")) ? "<stdin>" : path;
}

char *path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = xstrdup(slash ? path : ".");
	if (slash)
		dir[slash - path > 0 ? slash - path : 1] = 0;
	return dir;
}

char *exe_dir(void)
{
	char exe[4096];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0 || len >= (ssize_t)sizeof exe - 1)
		return NULL;
	exe[len] = 0;
	return path_dir(exe);
}

FILE *xfopen_read(const char *path)
{
	/* a stream read from a terminal is a command missing its input: say so
	   rather than wait for bytes no one will type */
	if ((!path || !strcmp(path, "-")) && isatty(STDIN_FILENO))
		usage_error("no input given, and standard input is a terminal: name the input file or pipe it in");
	if (!path || !strcmp(path, "-"))
		return stdin;
	FILE *f = fopen(path, "rb");
	if (!f)
		fatal("%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
		fatal("%s: is a directory", path);
	return f;
}

void xfread(void *buf, size_t n, FILE *f, const char *path)
{
	if (n && fread(buf, 1, n, f) != n) {
		if (ferror(f))
			fatal("%s: read error: %s", display_name(path), strerror(errno));
		fatal("%s: truncated file", display_name(path));
	}
}

void xfwrite(const void *buf, size_t n, FILE *f, const char *path)
{
	if (n && fwrite(buf, 1, n, f) != n)
		fatal("%s: write error: %s", path ? path : "<stdout>", strerror(errno));
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = xfopen_read(path);
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		fatal("%s: read error: %s", display_name(path), strerror(errno));
	if (f != stdin)
		fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

void *read_payload(FILE *f, size_t n, const char *path, const char *truncated)
{
	if (!n)
		return xmalloc(1);
	struct stat st;
	off_t pos = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? ftello(f) : -1;
	if (pos >= 0 && (uint64_t)(st.st_size - pos) < n)
		fatal("%s: %s; %lld bytes left in the file", display_name(path), truncated,
		      (long long)(st.st_size - pos));
	size_t have = 0, cap = pos >= 0 || n < (1 << 26) ? n : (1 << 26);
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		fatal("%s: out of memory for %zu bytes", display_name(path), n);
	for (;;) {
		have += fread(buf + have, 1, cap - have, f);
		if (have < cap) {
			if (ferror(f))
				fatal("%s: read error: %s", display_name(path), strerror(errno));
			fatal("%s: %s", display_name(path), truncated);
		}
		if (have == n)
			return buf;
		cap = n - cap < cap ? n : 2 * cap;
		char *grown = realloc(buf, cap);
		if (!grown)
			fatal("%s: out of memory for %zu bytes", display_name(path), n);
		buf = grown;
	}
}

char *read_text(const char *path)
{
	size_t len;
	char *text = read_file(path, &len);
	const char *nul = memchr(text, 0, len);
	if (nul) {
		/* a binary file of a kind told from its start: say which */
		file_kind k = file_kind_of(text, len < FILE_KIND_HEAD ? len : FILE_KIND_HEAD);
		if (k != FK_UNKNOWN && k != FK_TEXT && k != FK_NET && k != FK_LOG)
			fatal("%s: %s, not a text file", display_name(path), file_kind_name(k));
		fatal("%s: a NUL byte at byte %zu: not a text file", display_name(path), (size_t)(nul - text));
	}
	return text;
}

/* strtol and strtod skip leading white space; a number given must not have
   any, as it must not have anything after it. */
static int starts_number(const char *s)
{
	return s && *s && !isspace((unsigned char)*s);
}

int parse_int(const char *s, long *out)
{
	char *end;
	if (!starts_number(s))
		return 0;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = v;
	return 1;
}

int parse_float(const char *s, double *out)
{
	char *end;
	if (!starts_number(s))
		return 0;
	errno = 0;
	double v = strtod(s, &end);
	/* a number too small for a normal double is one all the same (5e-324,
	   1e-400 as 0); one too large is not */
	if ((errno && !(errno == ERANGE && fabs(v) <= DBL_MIN)) || *end || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

int parse_float_list(const char *s, float *out, int max)
{
	int n = 0;
	char *copy = xstrdup(s), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;
		/* "1, 2, 5": a space after a comma is a separator's */
		while (isspace((unsigned char)*tok))
			tok++;
		if (n == max || !parse_float(tok, &v)) {
			free(copy);
			return -1;
		}
		out[n++] = (float)v;
	}
	free(copy);
	return n;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_uniform(rng *r) { return (rng_next(r) >> 11) * 0x1.0p-53; }

float rng_uniform_range(rng *r, float lo, float hi)
{
	return lo + (hi - lo) * (float)rng_uniform(r);
}

uint32_t rng_below(rng *r, uint32_t n)
{
	uint64_t m = (uint64_t)(uint32_t)rng_next(r) * n;
	if ((uint32_t)m < n) {
		uint32_t t = -n % n;
		while ((uint32_t)m < t)
			m = (uint64_t)(uint32_t)rng_next(r) * n;
	}
	return m >> 32;
}

void rng_shuffle(rng *r, int *idx, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rng_below(r, i + 1);
		int t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
}

void format_duration(double s, char *buf, size_t n)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

char *path_with_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);
	char *s = xmalloc(n + k + 1);
	memcpy(s, path, n);
	memcpy(s + n, suffix, k + 1);
	return s;
}

char *path_strip_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);
	if (n <= k || strcmp(path + n - k, suffix))
		return NULL;
	char *s = xstrdup(path);
	s[n - k] = 0;
	return s;
}
