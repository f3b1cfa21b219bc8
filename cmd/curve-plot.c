/* curve-plot: plots through gnuplot, as a PNG, an SVG or a plot in the
   terminal: the loss and accuracy of one or more nn-train metrics logs
   against the step, epoch or time, training and validation; or ap-score's
   precision-recall curves; or its confusion matrix as a heat map. No text
   from the command line or the files reaches the gnuplot script except as
   a quoted, escaped string. */
#include "base/opt.h"
#include "base/output.h"
#include "formats/runlog.h"
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage[] =
	"usage: curve-plot [-o FILE] [--term png|svg|dumb] [--size W,H] [--title TEXT]\n"
	"                  [--x step|epoch|time] [--label NAME]... [--print-script] LOG...\n"
	"       curve-plot --pr [-o FILE] [--term png|svg] [options] PR.tsv\n"
	"       curve-plot --confusion [-o FILE] [--term png|svg] [options] CONFUSION.tsv\n"
	"Plots through gnuplot: the loss and accuracy of nn-train metrics logs (TSV\n"
	"with columns step, split, loss, accuracy; epoch and seconds for --x) against\n"
	"the step, epoch or time, training and validation, two panels; several logs\n"
	"overlay, a colour each. With --pr, the precision-recall curves of ap-score --pr,\n"
	"the AP of each class in the legend; with --confusion, the confusion matrix of\n"
	"ap-score --confusion-tsv as a heat map, the count in each cell where it fits\n"
	"(past 512 classes, cells of square blocks of classes).\n";

/* The --label options given, in order. */
typedef struct labels {
	const char **v;
	int n;
} labels;

static void label_option(const opt *o, const char *v)
{
	labels *l = o->dest;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = v;
}

static const char *split_names[2] = {"train", "val"};

/* One colour per run (or class): matplotlib's ten, in its order. */
static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
				      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NCOLOUR (int)(sizeof colours / sizeof *colours)

/* What the picture is drawn on: its terminal and size, and the size of a
   character there (pixels; 1 for the dumb terminal's characters). */
typedef struct canvas {
	const char *term;
	int w, h, dumb;
	int char_w, char_h;
} canvas;

/* s as a gnuplot double-quoted string, read back by gnuplot 5.4 as it is.
   A single-quoted string would not do: gnuplot 5.4 ends one at a quote
   that follows the opening one, so '''a' is read as ''. In a double-quoted
   string a backquote would run a command and a backslash or double quote
   would escape; a single quote, @ or $ would mislead gnuplot's search of
   the line for @macros. Those are written as octal escapes, always \0 and
   three digits (gnuplot reads \0 and up to three digits as one character,
   whatever follows). A line break would end the command, so control
   characters become spaces. */
static void gp_quote(FILE *o, const char *s)
{
	putc('"', o);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < ' ' || ch == 0x7f)
			putc(' ', o);
		else if (strchr("\"\\`'@$", ch))
			fprintf(o, "\\0%03o", ch);
		else
			putc(ch, o);
	}
	putc('"', o);
}

/* s as the label of a tic, which gnuplot uses as a format for the tic's
   position: a percent sign is written twice. */
static void gp_quote_tic(FILE *o, const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c; c++)
		n += *c == '%';
	char *doubled = xmalloc(strlen(s) + n + 1), *d = doubled;
	for (; *s; s++) {
		*d++ = *s;
		if (*s == '%')
			*d++ = '%';
	}
	*d = 0;
	gp_quote(o, doubled);
	free(doubled);
}

static void gp_number(FILE *o, double v)
{
	if (isfinite(v))
		fprintf(o, " %.9g", v);
	else
		fputs(" NaN", o);
}

static void gp_terminal(FILE *o, const canvas *cv)
{
	fprintf(o, "set terminal %s size %d,%d noenhanced\n", !strcmp(cv->term, "png") ? "pngcairo" : cv->term,
		cv->w, cv->h);
}

/* Tick spacing for values from lo to hi on an axis of len pixels (or
   characters): 1, 2 or 5 times a power of ten, the smallest whose labels,
   written as gnuplot writes them ("%g"), fit along the axis with room
   between them (along a vertical axis, per is the room one label takes,
   whatever its width). 0 when there is no range, or one too narrow for
   its ticks' labels to differ. */
static double tick_step(double lo, double hi, int len, int char_w, int per)
{
	double range = hi - lo;
	if (!(range > 0) || !isfinite(range) || range < fmax(fabs(lo), fabs(hi)) * 1e-6)
		return 0;
	double e = pow(10, floor(log10(range / 50)));
	for (int i = 0; i < 60; i++) {
		double step = e * (i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 5);
		if (i % 3 == 2)
			e *= 10;
		double first = ceil(lo / step) * step;
		int n = (int)floor((hi - first) / step + 1e-9) + 1, wide = 0;
		for (int j = 0; j < n; j++) {
			double t = first + j * step;
			char b[64];
			int l = snprintf(b, sizeof b, "%g", fabs(t) < step * 1e-9 ? 0 : t);
			wide = l > wide ? l : wide;
		}
		int room = per ? per : (wide + 3) * char_w;
		if (n * room <= len)
			return step;
	}
	return 0;
}

static void gp_tics(FILE *o, const char *axis, double step)
{
	if (step > 0)
		fprintf(o, "set %stics %.9g\n", axis, step);
	else
		fprintf(o, "set %stics autofreq\n", axis);
}

/* The x value of a point: the step, the epoch, or the time in seconds,
   divided by div (60 for minutes; a power of ten for huge values). */
typedef enum { X_STEP, X_EPOCH, X_TIME } xaxis;

static double x_of(const point *p, xaxis x, double div)
{
	return (x == X_STEP ? (double)p->step : x == X_EPOCH ? p->epoch : p->seconds) / div;
}

/* Does any series have a finite value in column col (0 loss, 1 accuracy)? */
static int have_values(const runlog *r, int nlog, int col)
{
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < r[i].split[s].n; j++)
				if (isfinite(col ? r[i].split[s].p[j].acc : r[i].split[s].p[j].loss))
					return 1;
	return 0;
}

/* The range of the finite values of column col (-1 x, 0 loss, 1 accuracy). */
static void value_range(const runlog *r, int nlog, int col, xaxis x, double div, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < r[i].split[s].n; j++) {
				const point *p = &r[i].split[s].p[j];
				double v = col < 0 ? x_of(p, x, div) : col ? p->acc : p->loss;
				if (isfinite(v)) {
					*lo = v < *lo ? v : *lo;
					*hi = v > *hi ? v : *hi;
				}
			}
}

/* A power of ten to divide the values from lo to hi by, so that gnuplot
   draws them: it takes values past about 9e307 for undefined, and ranges
   near that overflow. 1 when they stay below 1e300. */
static double big_scale(double lo, double hi)
{
	double m = fmax(fabs(lo), fabs(hi));
	return isfinite(m) && m >= 1e300 ? pow(10, floor(log10(m))) : 1;
}

/* The label of an axis: its name, and the power of ten its values are
   divided by, if any ("loss / 1e+308"). */
static void gp_axis_label(FILE *o, const char *axis, const char *name, double scale)
{
	char b[64];
	if (scale != 1)
		snprintf(b, sizeof b, "%s / %g", name, scale);
	else
		snprintf(b, sizeof b, "%s", name);
	fprintf(o, "set %slabel ", axis);
	gp_quote(o, b);
	fputc('\n', o);
}

/* A line's look: on a picture, the run's colour, solid for train and
   dashed with points for val; on a terminal, whose lines are characters,
   a character per series. */
static void line_style(FILE *o, const canvas *cv, int run, int split)
{
	if (cv->dumb)
		fprintf(o, "with %s lt %d", split ? "linespoints pt 7 ps 0.6" : "lines", 2 * run + split + 1);
	else
		fprintf(o, "with %s lw 1.5 lc rgb '%s' dt %d", split ? "linespoints pt 7 ps 0.5" : "lines",
			colours[run % NCOLOUR], split ? 2 : 1);
}

static void plot_panel(FILE *o, const runlog *r, int nlog, int col, const char *ylabel, double scale,
		       const canvas *cv, int np)
{
	double lo, hi;
	value_range(r, nlog, col, X_STEP, 1, &lo, &hi);
	int panel_h = cv->dumb ? cv->h / np : cv->h;
	gp_tics(o, "y", tick_step(lo / scale, hi / scale, panel_h - 6 * cv->char_h, cv->char_w, 2 * cv->char_h));
	gp_axis_label(o, "y", ylabel, scale);
	fprintf(o, "set key %s right\nplot", col ? "bottom" : "top");
	const char *sep = "";
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++) {
			if (!r[i].split[s].n)
				continue;
			fprintf(o, "%s \\\n  $log%d_%s using 1:%d ", sep, i, split_names[s], col + 2);
			line_style(o, cv, i, s);
			fputs(" title ", o);
			if (r[i].label) {
				size_t n = strlen(r[i].label) + 8;
				char *t = xmalloc(n);
				snprintf(t, n, "%s %s", r[i].label, split_names[s]);
				gp_quote(o, t);
				free(t);
			} else {
				gp_quote(o, split_names[s]);
			}
			sep = ",";
		}
	fputc('\n', o);
}

static void write_script(FILE *o, const runlog *r, int nlog, const canvas *cv, const char *title, xaxis x)
{
	fprintf(o, "# curve-plot: %d metrics log%s\n", nlog, nlog > 1 ? "s" : "");
	gp_terminal(o, cv);
	double lo, hi, div = 1;
	const char *xlabel = x == X_STEP ? "step" : x == X_EPOCH ? "epoch" : "time (s)";
	if (x == X_TIME) {
		value_range(r, nlog, -1, x, 1, &lo, &hi);
		if (hi >= 600) {
			div = 60;
			xlabel = "time (min)";
		}
	}
	value_range(r, nlog, -1, x, div, &lo, &hi);
	double xscale = big_scale(lo, hi), scale[2];
	div *= xscale;
	for (int col = 0; col < 2; col++) {
		value_range(r, nlog, col, x, div, &lo, &hi);
		scale[col] = big_scale(lo, hi);
	}
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++) {
			if (!r[i].split[s].n)
				continue;
			fprintf(o, "$log%d_%s << EOD\n", i, split_names[s]);
			for (int j = 0; j < r[i].split[s].n; j++) {
				const point *p = &r[i].split[s].p[j];
				double xv = x_of(p, x, div);
				if (x == X_STEP)
					fprintf(o, "%ld", p->step);
				else if (isfinite(xv))
					fprintf(o, "%.9g", xv);
				else
					fputs("NaN", o);
				gp_number(o, p->loss / scale[0]);
				gp_number(o, p->acc / scale[1]);
				fputc('\n', o);
			}
			fputs("EOD\n", o);
		}
	int panels[2] = {have_values(r, nlog, 0), have_values(r, nlog, 1)};
	int np = panels[0] + panels[1];
	/* side by side in a picture, one above the other in a terminal */
	fprintf(o, "set multiplot layout %d,%d", cv->dumb ? np : 1, cv->dumb ? 1 : np);
	if (title) {
		fputs(" title ", o);
		gp_quote(o, title);
	}
	fputc('\n', o);
	gp_axis_label(o, "x", xlabel, xscale);
	fputs("set grid\nset autoscale xfix\n", o);
	/* ticks whose labels fit the panel's width: gnuplot's own choice
	   ignores the labels' width, and they run together */
	value_range(r, nlog, -1, x, div, &lo, &hi);
	int panel_w = cv->dumb ? cv->w : cv->w / np;
	gp_tics(o, "x", tick_step(lo, hi, panel_w - 12 * cv->char_w, cv->char_w, 0));
	/* on a terminal the y label is written across, left of the tick
	   labels: a margin wide enough for both, or gnuplot leaves it out */
	if (cv->dumb)
		fprintf(o, "set lmargin %d\n", (panels[1] ? (int)strlen("accuracy") : 4) + 7);
	if (panels[0])
		plot_panel(o, r, nlog, 0, "loss", scale[0], cv, np);
	if (panels[1])
		plot_panel(o, r, nlog, 1, "accuracy", scale[1], cv, np);
	fputs("unset multiplot\n", o);
}

/* --pr: a curve per class, precision against recall, drawn as the steps
   that AP sums (each recall step at the precision of its right end). */
static void write_pr_script(FILE *o, const prfile *pf, const canvas *cv, const char *title)
{
	fputs("# curve-plot: precision-recall curves\n", o);
	gp_terminal(o, cv);
	for (int c = 0; c < pf->n; c++) {
		fprintf(o, "$pr%d << EOD\n", c);
		for (int j = 0; j < pf->c[c].n; j++) {
			gp_number(o, pf->c[c].recall[j]);
			gp_number(o, pf->c[c].precision[j]);
			fputc('\n', o);
		}
		fputs("EOD\n", o);
	}
	if (title) {
		fputs("set title ", o);
		gp_quote(o, title);
		fputc('\n', o);
	}
	fputs("set xlabel 'recall'\nset ylabel 'precision'\nset xrange [0:1]\nset yrange [0:1.02]\n"
	      "set xtics 0.1\nset ytics 0.1\nset grid\nset key outside right top Left reverse\nplot", o);
	for (int c = 0; c < pf->n; c++) {
		size_t n = strlen(pf->c[c].name) + 32;
		char *t = xmalloc(n);
		snprintf(t, n, "%s (AP %.4f)", pf->c[c].name, pf->c[c].ap);
		fprintf(o, "%s \\\n  $pr%d using 1:2 with fsteps lw 1.5 lc rgb '%s' title ", c ? "," : "", c,
			colours[c % NCOLOUR]);
		gp_quote(o, t);
		free(t);
	}
	fputc('\n', o);
}

/* --confusion: a cell per (true, predicted) pair, coloured by the share of
   the true class's samples it holds (the rows sum to 1), its count written
   in it, white on the dark cells, when the cells are large enough for it.
   The cells are one image, whatever their number, and a matrix past
   CM_SIDE classes comes summed in blocks (cmfile_read): a cell then holds
   the share of its true classes' samples predicted as its predicted
   classes. Class names are written on the axes as often as they fit. */
enum { CM_SIDE = 512 };

/* The smallest of 1, 2, 5, 10, 20, 50, ... that is at least v (at most 1e8). */
static int nice_step(double v)
{
	static const int mult[3] = {1, 2, 5};
	for (int e = 1; e < 100000000; e *= 10)
		for (int i = 0; i < 3; i++)
			if (mult[i] * e >= v)
				return mult[i] * e;
	return 100000000;
}

static void write_cm_script(FILE *o, const cmfile *cf, const canvas *cv, const char *title)
{
	int k = cf->k, b = cf->block, side = cf->side;
	/* the longest name, in characters, as far as it matters to the layout
	   (a longer one does not fit, and must not overflow the sums below) */
	int wide = 0;
	long long most = 0;
	for (int c = 0; c < k; c++) {
		size_t n = strlen(cf->names[c]);
		if (n > (size_t)wide)
			wide = n < 1000 ? (int)n : 1000;
	}
	/* the square the cells fill, about: the canvas less the names and the
	   label on the left, the colour scale on the right, the title and the
	   x label */
	int px = cv->w - (wide + 16) * cv->char_w, py = cv->h - 7 * cv->char_h;
	double plot = px < py ? px : py, cell = (plot > 1 ? plot : 1) / k;
	/* a name every step classes, a line and a half of room each */
	int step = nice_step(1.5 * cv->char_h / cell);
	for (size_t i = 0; cf->count && i < (size_t)k * k; i++)
		most = cf->count[i] > most ? cf->count[i] : most;
	int digits = snprintf(NULL, 0, "%lld", most);
	int counts = cf->count && cell >= 1.25 * cv->char_h && cell >= (digits + 1) * cv->char_w;

	fputs("# curve-plot: confusion matrix\n", o);
	gp_terminal(o, cv);
	fputs("$cells << EOD\n", o);
	for (int t = 0; t < side; t++)
		for (int c = 0; c < side; c++) {
			double share = cf->total[t] > 0 ? cf->sum[(size_t)t * side + c] / cf->total[t] : 0;
			if (b == 1)
				fprintf(o, "%d %d %.6f", c, t, share);
			else
				fprintf(o, "%.9g %.9g %.6f", c * b + (b - 1) / 2.0, t * b + (b - 1) / 2.0, share);
			if (counts)
				fprintf(o, " %lld", cf->count[(size_t)t * k + c]);
			fputc('\n', o);
		}
	fputs("EOD\n", o);
	if (title) {
		fputs("set title ", o);
		gp_quote(o, title);
		fputc('\n', o);
	}
	for (int axis = 0; axis < 2; axis++) {
		fprintf(o, "set %stics (", axis ? "y" : "x");
		for (int c = 0; c < k; c += step) {
			fputs(c ? ", " : "", o);
			gp_quote_tic(o, cf->names[c]);
			fprintf(o, " %d", c);
		}
		/* names side by side along x fit only when short */
		fputs(")", o);
		if (!axis && (wide + 1) * cv->char_w * ((k + step - 1) / step) > cv->w * 6 / 10)
			fputs(" rotate by 45 right", o);
		fputc('\n', o);
	}
	fprintf(o, "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n", k - 1, k - 1);
	fputs("set xlabel 'predicted class'\nset ylabel 'true class'\nset tics nomirror scale 0\n"
	      "set size ratio -1\nunset key\nset cbrange [0:1]\nset cbtics 0.2\n"
	      "set cblabel 'share of the true class'\n"
	      "set palette defined (0 '#ffffff', 1 '#08306b')\n"
	      "plot $cells using 1:2:3 with image", o);
	if (counts)
		fputs(", \\\n  $cells using 1:2:(stringcolumn(4)):($3 > 0.5 ? 0xffffff : 0x000000) "
		      "with labels tc rgb variable", o);
	fputc('\n', o);
}

/* The terminal: --term, else the one the name of -o ends in (png when
   the output is stdout or the script is printed). */
static const char *choose_term(const char *term, const char *out, int print_script)
{
	if (!term) {
		const char *dot = out ? strrchr(out, '.') : NULL;
		if (dot && !strcmp(dot, ".png"))
			term = "png";
		else if (dot && !strcmp(dot, ".svg"))
			term = "svg";
		else if (print_script || !out || !strcmp(out, "-"))
			term = "png";
		else
			usage_error("-o %s: give a name ending .png or .svg, or --term png|svg|dumb", out);
	}
	if (strcmp(term, "png") && strcmp(term, "svg") && strcmp(term, "dumb"))
		usage_error("--term: unknown terminal '%s' (png, svg or dumb)", term);
	return term;
}

/* The canvas of term: the default size of the picture kind, or --size. */
static canvas make_canvas(const char *term, const char *size, int pr, int confusion)
{
	canvas cv = {.term = term, .dumb = !strcmp(term, "dumb")};
	if (cv.dumb && confusion)
		usage_error("--confusion draws a heat map: --term png or svg");
	cv.w = cv.dumb ? 80 : pr ? 760 : confusion ? 640 : 1000;
	cv.h = cv.dumb ? 40 : pr ? 480 : confusion ? 560 : 400;
	/* pngcairo's and svg's default font, 12 points: digits about 8 pixels
	   wide, lines about 16 high */
	cv.char_w = cv.dumb ? 1 : 8;
	cv.char_h = cv.dumb ? 1 : 16;
	if (size) {
		char *ws = xstrdup(size), *hs = strchr(ws, ',');
		long a = 0, b = 0;
		if (hs)
			*hs++ = 0;
		if (!hs || !parse_int(ws, &a) || !parse_int(hs, &b) || a < 10 || b < 10 || a > 20000 || b > 20000)
			usage_error("--size: expected W,H from 10 to 20000, got '%s'", size);
		cv.w = (int)a;
		cv.h = (int)b;
		free(ws);
	}
	return cv;
}

/* The metrics logs named in paths, each with its legend name: its label,
   else its file name when there are several logs. */
static runlog *read_logs(char **paths, int nlog, const labels *lab, xaxis x, const char *xname)
{
	runlog *logs = xcalloc(nlog, sizeof *logs);
	for (int i = 0; i < nlog; i++) {
		logs[i].path = paths[i];
		logs[i].label = i < lab->n ? lab->v[i] : nlog > 1 ? display_name(logs[i].path) : NULL;
		runlog_read(&logs[i]);
		if ((x == X_EPOCH && !logs[i].has_epoch) || (x == X_TIME && !logs[i].has_seconds))
			fatal("%s: no %s column in the log for --x %s", display_name(logs[i].path),
			      x == X_EPOCH ? "epoch" : "seconds", xname);
	}
	if (!have_values(logs, nlog, 0) && !have_values(logs, nlog, 1))
		fatal("%s: no loss or accuracy values to plot", display_name(logs[0].path));
	return logs;
}

/* Runs gnuplot on the script and writes its picture to out. gnuplot reads
   the script from a temporary file, as a file to load rather than commands
   typed on standard input (which it reads a byte at a time), and writes the
   picture to this program: every write is then checked here, and no file
   name has to pass through the script. */
static void draw(FILE *script, const char *out, const char *term)
{
	char *gnuplot = spawn_find("gnuplot", 0);
	if (!gnuplot)
		fatal("gnuplot not found: install the gnuplot-nox package");
	outfile *o = out_open(out);
	if (fflush(script) || ferror(script) || fseek(script, 0, SEEK_SET))
		fatal("cannot write the script to a temporary file: %s", strerror(errno));
	char *gargv[] = {"gnuplot", "--default-settings", "/dev/stdin", NULL};
	size_t len;
	char *pic = spawn_read(gnuplot, gargv, fileno(script), 0, &len);
	fclose(script);
	if (!len)
		fatal("gnuplot wrote no picture");
	if (!strcmp(term, "png") && (len < 8 || memcmp(pic, "\x89PNG\r\n\x1a\n", 8)))
		fatal("gnuplot's output is not a PNG picture");
	if (!strcmp(term, "svg") && (len < 5 || memcmp(pic, "<?xml", 5)) && (len < 4 || memcmp(pic, "<svg", 4)))
		fatal("gnuplot's output is not an SVG picture");
	xfwrite(pic, len, o->f, out_name(out));
	out_commit(o);
	free(pic);
	free(gnuplot);
}

int main(int argc, char **argv)
{
	tool_start("curve-plot");
	const char *out = NULL, *term = NULL, *size = NULL, *title = NULL, *xname = "step";
	int print_script = 0, pr = 0, confusion = 0;
	labels lab = {0};
	opt opts[] = {
		{NULL, 'o', OPT_STRING, &out, .arg = "FILE",
		 .help = "output file (default stdout, not a terminal: a PNG unless\n--term says otherwise); its name ending .png or .svg\nchooses the terminal"},
		{"term", 0, OPT_STRING, &term, .arg = "T", .help = "png (pngcairo), svg or dumb (text for the terminal)"},
		{"size", 0, OPT_STRING, &size, .arg = "W,H",
		 .help = "pixels (default 1000,400; --pr 760,480; --confusion\n640,560), characters for dumb (80,40)"},
		{"label", 0, OPT_CUSTOM, &lab, .arg = "NAME", .parse = label_option,
		 .help = "legend name of the next log, in order (default: its file\nname; none for a single log)"},
		{"title", 0, OPT_STRING, &title, .arg = "TEXT", .help = "title above the plot"},
		{"x", 0, OPT_CUSTOM, &xname, .arg = "step|epoch|time", .parse = opt_choice,
		 .help = "the x axis of the logs: the step (default), the epoch, or\nthe time since the start of training"},
		{"pr", 0, OPT_FLAG, &pr, .help = "the operand is ap-score --pr's file: precision-recall curves"},
		{"confusion", 0, OPT_FLAG, &confusion,
		 .help = "the operand is ap-score --confusion-tsv's file: a heat map"},
		{"print-script", 0, OPT_FLAG, &print_script,
		 .help = "write the gnuplot script to stdout instead of running it"},
		OPT_END,
	};
	int nlog = opt_parse(opts, argc, argv, usage), nlabel = lab.n;
	if (!nlog)
		usage_error(pr ? "no precision-recall file given" : confusion ? "no confusion matrix file given"
			       : "no metrics log given");
	if (pr && confusion)
		usage_error("--pr and --confusion: one picture at a time");
	if ((pr || confusion) && nlog > 1)
		usage_error("%s draws one file, not %d", pr ? "--pr" : "--confusion", nlog);
	if ((pr || confusion) && (nlabel || opt_given(opts, "x")))
		usage_error("%s is for metrics logs, not %s", nlabel ? "--label" : "--x", pr ? "--pr" : "--confusion");
	io_check(nlog, (const char *const *)argv, IO_LIST(out ? out : "-"));
	if (nlabel > nlog)
		usage_error("%d labels for %d logs", nlabel, nlog);
	term = choose_term(term, out, print_script);
	if (!strcmp(term, "png") && !print_script)
		out_refuse_terminal(out);
	canvas cv = make_canvas(term, size, pr, confusion);
	xaxis x = !strcmp(xname, "epoch") ? X_EPOCH : !strcmp(xname, "time") ? X_TIME : X_STEP;
	runlog *logs = NULL;
	prfile pf = {.path = argv[0]};
	cmfile cf = {.path = argv[0], .max_side = CM_SIDE};
	if (pr)
		prfile_read(&pf);
	else if (confusion)
		cmfile_read(&cf);
	else
		logs = read_logs(argv, nlog, &lab, x, xname);

	FILE *script = print_script ? stdout : tmpfile();
	if (!script)
		fatal("cannot make a temporary file for the script: %s", strerror(errno));
	if (pr)
		write_pr_script(script, &pf, &cv, title);
	else if (confusion)
		write_cm_script(script, &cf, &cv, title);
	else
		write_script(script, logs, nlog, &cv, title, x);
	if (print_script)
		stdout_check();
	else
		draw(script, out, term);
	prfile_free(&pf);
	cmfile_free(&cf);
	for (int i = 0; logs && i < nlog; i++)
		runlog_free(&logs[i]);
	free(logs);
	free(lab.v);
	return 0;
}
