/* curve-plot: plots the loss and accuracy of one or more nn-train metrics
   logs against the step, training and validation, through gnuplot: a PNG,
   an SVG or a plot in the terminal. No text from the command line or the
   logs reaches the gnuplot script except as a quoted, escaped string. */
#include "opt.h"
#include "output.h"
#include "runlog.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char usage[] =
	"usage: curve-plot [-o FILE] [--term png|svg|dumb] [--size W,H] [--label NAME]...\n"
	"                  [--title TEXT] [--print-script] LOG...\n"
	"Plots loss and accuracy against the step of nn-train metrics logs (TSV with\n"
	"columns step, split, loss, accuracy), training and validation, through gnuplot:\n"
	"two panels, loss then accuracy. Several logs overlay with a legend.\n";

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

/* s as a gnuplot single-quoted string: inside one, only the quote itself
   is special (written twice); backquotes, @ and $ are plain text there. A
   line break would end the command, so control characters become spaces. */
static void gp_quote(FILE *o, const char *s)
{
	putc('\'', o);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\'')
			fputs("''", o);
		else
			putc(ch < ' ' || ch == 0x7f ? ' ' : ch, o);
	}
	putc('\'', o);
}

static void gp_number(FILE *o, double v)
{
	if (isfinite(v))
		fprintf(o, " %.9g", v);
	else
		fputs(" NaN", o);
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

static void plot_panel(FILE *o, const runlog *r, int nlog, int col, const char *ylabel)
{
	fputs("set ylabel ", o);
	gp_quote(o, ylabel);
	fprintf(o, "\nset key %s right\nplot", col ? "bottom" : "top");
	const char *sep = "";
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++) {
			if (!r[i].split[s].n)
				continue;
			fprintf(o, "%s \\\n  $log%d_%s using 1:%d with %s lt %d title ", sep, i, split_names[s],
				col + 2, s ? "linespoints pt 7 ps 0.6" : "lines", 2 * i + s + 1);
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

static void write_script(FILE *o, const runlog *r, int nlog, const char *term, int w, int h,
			 const char *title)
{
	int dumb = !strcmp(term, "dumb");
	fprintf(o, "# curve-plot: %d metrics log%s\n", nlog, nlog > 1 ? "s" : "");
	fprintf(o, "set terminal %s size %d,%d noenhanced\n",
		!strcmp(term, "png") ? "pngcairo" : term, w, h);
	for (int i = 0; i < nlog; i++)
		for (int s = 0; s < 2; s++) {
			if (!r[i].split[s].n)
				continue;
			fprintf(o, "$log%d_%s << EOD\n", i, split_names[s]);
			for (int j = 0; j < r[i].split[s].n; j++) {
				const point *p = &r[i].split[s].p[j];
				fprintf(o, "%ld", p->step);
				gp_number(o, p->loss);
				gp_number(o, p->acc);
				fputc('\n', o);
			}
			fputs("EOD\n", o);
		}
	int panels[2] = {have_values(r, nlog, 0), have_values(r, nlog, 1)};
	int np = panels[0] + panels[1];
	/* side by side in a picture, one above the other in a terminal */
	fprintf(o, "set multiplot layout %d,%d", dumb ? np : 1, dumb ? 1 : np);
	if (title) {
		fputs(" title ", o);
		gp_quote(o, title);
	}
	fputs("\nset xlabel 'step'\nset grid\n", o);
	if (panels[0])
		plot_panel(o, r, nlog, 0, "loss");
	if (panels[1])
		plot_panel(o, r, nlog, 1, "accuracy");
	fputs("unset multiplot\n", o);
}

int main(int argc, char **argv)
{
	tool_start("curve-plot");
	const char *out = NULL, *term = NULL, *size = NULL, *title = NULL;
	int print_script = 0;
	labels lab = {0};
	opt opts[] = {
		{NULL, 'o', OPT_STRING, &out, .arg = "FILE",
		 .help = "output file (default stdout); its name ending .png or .svg\nchooses the terminal"},
		{"term", 0, OPT_STRING, &term, .arg = "T", .help = "png (pngcairo), svg or dumb (text for the terminal)"},
		{"size", 0, OPT_STRING, &size, .arg = "W,H",
		 .help = "pixels (default 1000,400), characters for dumb (80,40)"},
		{"label", 0, OPT_CUSTOM, &lab, .arg = "NAME", .parse = label_option,
		 .help = "legend name of the next log, in order (default: its file\nname; none for a single log)"},
		{"title", 0, OPT_STRING, &title, .arg = "TEXT", .help = "title above the plot"},
		{"print-script", 0, OPT_FLAG, &print_script,
		 .help = "write the gnuplot script to stdout instead of running it"},
		OPT_END,
	};
	int nlog = opt_parse(opts, argc, argv, usage), nlabel = lab.n;
	if (!nlog)
		usage_error("no metrics log given");
	runlog *logs = xcalloc(nlog, sizeof *logs);
	for (int i = 0; i < nlog; i++)
		logs[i].path = argv[i];
	io_check(nlog, (const char *const *)argv, IO_LIST(out ? out : "-"));
	if (nlabel > nlog)
		usage_error("%d labels for %d logs", nlabel, nlog);
	if (!term) {
		const char *dot = out ? strrchr(out, '.') : NULL;
		if (dot && !strcmp(dot, ".png"))
			term = "png";
		else if (dot && !strcmp(dot, ".svg"))
			term = "svg";
		else if (print_script)
			term = "png";
		else
			usage_error("give -o FILE.png, -o FILE.svg or --term png|svg|dumb");
	}
	if (strcmp(term, "png") && strcmp(term, "svg") && strcmp(term, "dumb"))
		usage_error("--term: unknown terminal '%s' (png, svg or dumb)", term);
	if (!strcmp(term, "png") && !print_script)
		out_refuse_terminal(out);
	int dumb = !strcmp(term, "dumb");
	int w = dumb ? 80 : 1000, h = dumb ? 40 : 400;
	if (size) {
		char *ws = xstrdup(size), *hs = strchr(ws, ',');
		long a = 0, b = 0;
		if (hs)
			*hs++ = 0;
		if (!hs || !parse_int(ws, &a) || !parse_int(hs, &b) || a < 10 || b < 10 || a > 20000 || b > 20000)
			usage_error("--size: expected W,H from 10 to 20000, got '%s'", size);
		w = (int)a;
		h = (int)b;
		free(ws);
	}
	for (int i = 0; i < nlog; i++) {
		logs[i].label = i < nlabel ? lab.v[i] : nlog > 1 ? path_name(logs[i].path) : NULL;
		runlog_read(&logs[i]);
	}
	if (!have_values(logs, nlog, 0) && !have_values(logs, nlog, 1))
		fatal("%s: no loss or accuracy values to plot", path_name(logs[0].path));

	char *gnuplot = NULL;
	if (print_script) {
		write_script(stdout, logs, nlog, term, w, h, title);
		stdout_check();
		goto done;
	}
	gnuplot = spawn_find("gnuplot", 0);
	if (!gnuplot)
		fatal("gnuplot not found: install the gnuplot-nox package");
	/* gnuplot reads the script from a temporary file and writes the picture
	   to a pipe that this program copies to the output: every write is then
	   checked here (gnuplot itself exits 0 after a failed write), and no file
	   name has to pass through the script */
	outfile *o = out_open(out);
	FILE *script = tmpfile();
	if (!script)
		fatal("cannot make a temporary file for the script: %s", strerror(errno));
	write_script(script, logs, nlog, term, w, h, title);
	if (fflush(script) || ferror(script) || fseek(script, 0, SEEK_SET))
		fatal("cannot write the script to a temporary file: %s", strerror(errno));
	int fd[2];
	if (pipe2(fd, O_CLOEXEC))
		fatal("cannot make a pipe: %s", strerror(errno));
	char *gargv[] = {"gnuplot", "--default-settings", NULL};
	pid_t pid = spawn_start(gnuplot, gargv, fileno(script), fd[1]);
	close(fd[1]);
	fclose(script);
	char buf[1 << 16], head[8] = {0};
	size_t total = 0;
	for (;;) {
		ssize_t got = read(fd[0], buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			fatal("cannot read gnuplot's output: %s", strerror(errno));
		if (got == 0)
			break;
		for (ssize_t b = 0; b < got && total + b < sizeof head; b++)
			head[total + b] = buf[b];
		total += (size_t)got;
		xfwrite(buf, (size_t)got, o->f, out_name(out));
	}
	close(fd[0]);
	spawn_wait(pid, gnuplot);
	if (!total)
		fatal("gnuplot wrote no picture");
	if (!strcmp(term, "png") && memcmp(head, "\x89PNG\r\n\x1a\n", 8))
		fatal("gnuplot's output is not a PNG picture");
	if (!strcmp(term, "svg") && memcmp(head, "<?xml", 5) && memcmp(head, "<svg", 4))
		fatal("gnuplot's output is not an SVG picture");
	out_commit(o);
done:
	for (int i = 0; i < nlog; i++)
		runlog_free(&logs[i]);
	free(logs);
	free(lab.v);
	free(gnuplot);
	return 0;
}
