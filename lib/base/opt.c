/* opt.c: the command-line parser of every tool, driven by its option table. */
#include "base/opt.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds at least this far from zero are no bound: LONG_MAX and INFINITY
   say "any", and a message saying "to 9223372036854775807" says nothing. */
#define UNBOUNDED 9e18

const char *opt_name(const opt *o)
{
	/* two in turn, so that one message can name two options */
	static char buf[2][72];
	static int turn;
	char *b = buf[turn ^= 1];
	if (o->name)
		snprintf(b, sizeof buf[0], "--%s", o->name);
	else
		snprintf(b, sizeof buf[0], "-%c", o->short_name);
	return b;
}

static int is_option(const opt *o)
{
	return o->kind != OPT_HEADING && (o->name || o->short_name);
}

static int at_end(const opt *o)
{
	return !o->name && !o->short_name && !o->help;
}

size_t opt_count(const opt *table)
{
	size_t n = 0;
	while (!at_end(table + n))
		n++;
	return n;
}

const opt *opt_find(const opt *table, const char *name)
{
	for (const opt *o = table; !at_end(o); o++) {
		if (!is_option(o))
			continue;
		if (o->name ? !strcmp(o->name, name) : name[0] == o->short_name && !name[1])
			return o;
	}
	return NULL;
}

int opt_given(const opt *table, const char *name)
{
	const opt *o = opt_find(table, name);
	return o && o->given;
}

static opt *find_long(opt *table, const char *name, size_t len)
{
	for (opt *o = table; !at_end(o); o++)
		if (is_option(o) && o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/* Edits (insertions, deletions, substitutions, swaps of neighbours) from
   a[0..n) to b, for names of at most 63 bytes; more counts as far. */
static int edits(const char *a, size_t n, const char *b)
{
	size_t m = strlen(b);
	if (n > 63 || m > 63)
		return 99;
	int d[64][64];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/* The option a mistyped name most likely meant: the only one it begins,
   else the nearest within two edits (one for names of four letters or
   fewer); NULL when none is near. */
static const opt *nearest_long(const opt *table, const char *name, size_t len)
{
	const opt *best = NULL, *prefix = NULL;
	int best_d = len <= 4 ? 2 : 3, prefixes = 0;
	for (const opt *o = table; !at_end(o); o++) {
		if (!is_option(o) || !o->name)
			continue;
		int d = edits(name, len, o->name);
		if (d < best_d)
			best_d = d, best = o;
		if (len >= 2 && !strncmp(o->name, name, len))
			prefix = o, prefixes++;
	}
	return prefixes == 1 ? prefix : best;
}

static opt *find_short(opt *table, char c)
{
	for (opt *o = table; !at_end(o); o++)
		if (is_option(o) && o->short_name == c)
			return o;
	return NULL;
}

/* "-o, --output FILE", "-k K" or "--epochs N" into b. */
static int left_column(const opt *o, char *b, size_t n)
{
	const char *arg = o->kind == OPT_FLAG ? "" : o->arg ? o->arg : "VALUE";
	const char *sp = *arg ? " " : "";
	if (o->short_name && o->name)
		return snprintf(b, n, "-%c, --%s%s%s", o->short_name, o->name, sp, arg);
	if (o->short_name)
		return snprintf(b, n, "-%c%s%s", o->short_name, sp, arg);
	return snprintf(b, n, "--%s%s%s", o->name, sp, arg);
}

static void help_line(const char *left, int width, const char *help)
{
	printf("  %-*s  ", width, left);
	for (; *help; help++) {
		putchar(*help);
		if (*help == '\n')
			printf("%*s", width + 4, "");
	}
	putchar('\n');
}

void opt_help(const opt *table)
{
	static const opt help = {"help", 'h', OPT_FLAG, .help = "show this help"};
	char b[128];
	int width = left_column(&help, b, sizeof b);
	for (const opt *o = table; !at_end(o); o++)
		if (is_option(o)) {
			int w = left_column(o, b, sizeof b);
			if (w > width)
				width = w;
		}
	for (const opt *o = table; !at_end(o); o++) {
		if (!is_option(o)) {
			printf("%s\n", o->help);
			continue;
		}
		left_column(o, b, sizeof b);
		help_line(b, width, o->help ? o->help : "");
	}
	left_column(&help, b, sizeof b);
	help_line(b, width, help.help);
}

static void bad_number(const opt *o, const char *v)
{
	int whole = o->kind == OPT_INT;
	const char *what = whole ? "a whole number" : "a number", *fmt = whole ? "%.0f" : "%.9g";
	char lo[40] = "", hi[40] = "", range[96] = "";
	if (o->expect)
		usage_error("%s: expected %s, got '%s'", opt_name(o), o->expect, v);
	if (o->lo > -UNBOUNDED)
		snprintf(lo, sizeof lo, fmt, o->lo);
	if (o->hi < UNBOUNDED)
		snprintf(hi, sizeof hi, fmt, o->hi);
	/* a bound just under a round number, as "below 1" for [0, 1) */
	const char *below = *hi && strtod(hi, NULL) > o->hi ? "below " : "";
	if (*lo && *hi)
		snprintf(range, sizeof range, " from %s to %s%s", lo, below, hi);
	else if (*lo)
		snprintf(range, sizeof range, " >= %s", lo);
	else if (*hi)
		snprintf(range, sizeof range, " %s %s", *below ? "<" : "<=", hi);
	usage_error("%s: expected %s%s, got '%s'", opt_name(o), what, range, v);
}

static void take(opt *o, const char *v)
{
	o->given++;
	switch (o->kind) {
	case OPT_FLAG:
		if (o->dest)
			*(int *)o->dest = 1;
		break;
	case OPT_STRING:
		*(const char **)o->dest = v;
		break;
	case OPT_INT: {
		long x;
		if (!parse_int(v, &x) || x < o->lo || x > o->hi)
			bad_number(o, v);
		*(long *)o->dest = x;
		break;
	}
	case OPT_FLOAT: {
		double x;
		if (!parse_float(v, &x) || x < o->lo || x > o->hi)
			bad_number(o, v);
		*(double *)o->dest = x;
		break;
	}
	case OPT_CUSTOM:
		o->parse(o, v);
		break;
	case OPT_HEADING:
		break;
	}
}

void opt_choice(const opt *o, const char *v)
{
	size_t len = strlen(v);
	for (const char *c = o->arg; *c;) {
		size_t n = strcspn(c, "|");
		if (n == len && !strncmp(c, v, n)) {
			*(const char **)o->dest = v;
			return;
		}
		c += n + (c[n] == '|');
	}
	/* "fp32|tf32" as "fp32 or tf32", "a|b|c" as "a, b or c" */
	char list[256];
	size_t n = 0;
	for (const char *c = o->arg; *c && n + 8 < sizeof list; c++) {
		if (*c != '|') {
			list[n++] = *c;
			continue;
		}
		const char *sep = strchr(c + 1, '|') ? ", " : " or ";
		n += (size_t)snprintf(list + n, sizeof list - n, "%s", sep);
	}
	list[n < sizeof list ? n : sizeof list - 1] = 0;
	usage_error("%s: expected %s, got '%s'", opt_name(o), list, v);
}

static void help_exit(const opt *table, const char *usage)
{
	fputs(usage, stdout);
	opt_help(table);
	exit(0);
}

/* "--name", "--name=value" or "--name value" at argv[*i]. */
static void long_option(opt *table, int argc, char **argv, int *i, const char *usage)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	opt *o = find_long(table, name, len);
	if (!o && len == 4 && !strncmp(name, "help", 4)) {
		if (eq)
			usage_error("option '--help' takes no value");
		help_exit(table, usage);
	}
	if (!o) {
		const opt *near = nearest_long(table, name, len);
		if (near)
			usage_error("unknown option '%.*s' (did you mean '--%s'?)", (int)len + 2, a, near->name);
		usage_error("unknown option '%.*s'", (int)len + 2, a);
	}
	if (o->kind == OPT_FLAG) {
		if (eq)
			usage_error("option '--%s' takes no value", o->name);
		take(o, NULL);
	} else if (eq) {
		take(o, eq + 1);
	} else if (*i + 1 < argc) {
		take(o, argv[++*i]);
	} else {
		usage_error("option '--%s' needs a value", o->name);
	}
}

/* "-q", "-o FILE", "-oFILE" or flags bundled, "-qo FILE", at argv[*i]. */
static void short_options(opt *table, int argc, char **argv, int *i, const char *usage)
{
	const char *a = argv[*i];
	for (const char *c = a + 1; *c; c++) {
		opt *o = find_short(table, *c);
		if (!o && *c == 'h')
			help_exit(table, usage);
		if (!o && c == a + 1)
			usage_error("unknown option '%s'", a);
		if (!o)
			usage_error("unknown option '-%c' in '%s'", *c, a);
		if (o->kind == OPT_FLAG) {
			take(o, NULL);
			continue;
		}
		if (c[1])
			take(o, c + 1);
		else if (*i + 1 < argc)
			take(o, argv[++*i]);
		else
			usage_error("option '-%c' needs a value", *c);
		return;
	}
}

int opt_parse(opt *table, int argc, char **argv, const char *usage)
{
	int n = 0, operands_only = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		/* "-" alone is an operand: standard input or output */
		if (operands_only || a[0] != '-' || !a[1])
			argv[n++] = a;
		else if (!strcmp(a, "--"))
			operands_only = 1;
		else if (a[1] == '-')
			long_option(table, argc, argv, &i, usage);
		else
			short_options(table, argc, argv, &i, usage);
	}
	argv[n] = NULL;
	return n;
}
