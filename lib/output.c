/* output.c: output files that lose nothing (see output.h). */
#include "output.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files not yet renamed into place: removed at exit and on the
   signals that would end the program without its exit handlers. */
#define MAX_PENDING 16
static outfile *volatile pending[MAX_PENDING];

static void remove_pending(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i]) {
			unlink(pending[i]->tmp);
			pending[i] = NULL;
		}
}

static void on_fatal_signal(int sig)
{
	/* unlink is async-signal-safe; the names stay valid while pending */
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i])
			unlink(pending[i]->tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* stdout's last flush and close, as gnulib's close_stdout: a closed stdout
   to which nothing was written is no error. */
static void close_stdout(void)
{
	if (nn_failing)
		return;
	int unflushed = __fpending(stdout) != 0, failed_before = ferror(stdout);
	errno = 0;
	int failed = fclose(stdout) != 0;
	if (failed_before || (failed && (unflushed || errno != EBADF))) {
		fprintf(stderr, "%s: <stdout>: write error: %s\n", nn_prog, strerror(errno ? errno : EIO));
		_exit(1);
	}
}

void tool_start(const char *prog)
{
	nn_prog = prog;
	atexit(close_stdout);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction old, sa = {0};
		/* leave alone a signal that is ignored (nohup) or already handled */
		if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL)
			continue;
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

/* Removes TARGET.tmp.PID files in TARGET's folder whose process is gone:
   left by a run that was killed (kill -9, a crash, a power cut). */
static void remove_stale(const char *target)
{
	char *dir = path_dir(target);
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t n = strlen(base);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		const char *s = e->d_name;
		if (strncmp(s, base, n) || strncmp(s + n, ".tmp.", 5) || !s[n + 5])
			continue;
		char *end;
		long pid = strtol(s + n + 5, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			unlinkat(dirfd(d), s, 0);
	}
	closedir(d);
	free(dir);
}

/* The descriptor a name stands for: /dev/stdout, /dev/stderr, /dev/fd/N,
   /proc/self/fd/N; -1 for any other name. */
static int std_fd(const char *path)
{
	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	const char *n = !strncmp(path, "/dev/fd/", 8) ? path + 8 : !strncmp(path, "/proc/self/fd/", 14) ? path + 14 : NULL;
	long fd;
	return n && parse_int(n, &fd) && fd >= 0 && fd < 1024 ? (int)fd : -1;
}

outfile *out_open(const char *path)
{
	outfile *o = xcalloc(1, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return o;
	}
	o->path = xstrdup(path);
	struct stat st;
	int exists = !stat(path, &st);
	if (exists && S_ISDIR(st.st_mode))
		fatal("%s: is a folder", path);
	/* /dev/stdout and its kin: the descriptor this program already has,
	   so that its offset and mode (>> appends) are the shell's */
	int fd = std_fd(path);
	if (fd >= 0) {
		int dfd = dup(fd);
		if (dfd < 0 || !(o->f = fdopen(dfd, "w")))
			fatal("%s: %s", path, strerror(errno));
		return o;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* a device, FIFO or terminal: written in place, never replaced */
		o->f = fopen(path, "w");
		if (!o->f)
			fatal("%s: %s", path, strerror(errno));
		return o;
	}
	/* a link to a regular file: the file it points to is replaced */
	char *target = exists ? realpath(path, NULL) : NULL;
	o->target = target ? target : xstrdup(path);
	remove_stale(o->target);
	o->tmp = xmalloc(strlen(o->target) + 32);
	sprintf(o->tmp, "%s.tmp.%ld", o->target, (long)getpid());
	static int cleanup_registered;
	if (!cleanup_registered++)
		atexit(remove_pending);
	int slot = -1;
	for (int i = 0; i < MAX_PENDING && slot < 0; i++)
		if (!pending[i])
			slot = i;
	if (slot < 0)
		fatal("%s: too many output files open at once", path);
	pending[slot] = o;
	unlink(o->tmp);
	fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		int e = errno;
		pending[slot] = NULL;
		fatal("%s: %s", path, strerror(e));
	}
	/* the new file keeps the permissions of the one it replaces */
	if (exists)
		(void)fchmod(fd, st.st_mode & 07777);
	o->f = fdopen(fd, "wb");
	if (!o->f)
		fatal("%s: %s", path, strerror(errno));
	return o;
}

void out_commit(outfile *o)
{
	if (!o->path) {
		stdout_check();
		free(o);
		return;
	}
	errno = 0;
	if (fflush(o->f) || ferror(o->f) || (o->tmp && fsync(fileno(o->f))))
		fatal("%s: write error: %s", o->path, strerror(errno ? errno : EIO));
	if (fclose(o->f))
		fatal("%s: write error: %s", o->path, strerror(errno));
	if (o->tmp) {
		if (rename(o->tmp, o->target))
			fatal("%s: cannot rename from %s: %s", o->path, o->tmp, strerror(errno));
		for (int i = 0; i < MAX_PENDING; i++)
			if (pending[i] == o)
				pending[i] = NULL;
	}
	free(o->path);
	free(o->target);
	free(o->tmp);
	free(o);
}

const char *out_name(const char *path)
{
	return (!path || !strcmp(path, "-")) ? "<stdout>" : path;
}

void out_refuse_terminal(const char *path)
{
	int fd = (!path || !strcmp(path, "-")) ? 1 : std_fd(path), tty;
	if (fd >= 0) {
		tty = isatty(fd);
	} else {
		/* a terminal named by its path (/dev/tty, /dev/pts/N) */
		struct stat st;
		if (stat(path, &st) || !S_ISCHR(st.st_mode))
			return;
		int t = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		tty = t >= 0 && isatty(t);
		if (t >= 0)
			close(t);
	}
	if (tty)
		refuse("%s: will not write binary data to a terminal: use -o FILE or a pipe", out_name(path));
}

void stdout_check(void)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		fatal("<stdout>: write error: %s", strerror(errno ? errno : EIO));
}

/* What io_check compares: the file's identity where it exists, its
   resolved path in any case. */
typedef struct fileid {
	const char *name;
	int is_std;       /* "-": stdin or stdout */
	int exists, regular;
	dev_t dev;
	ino_t ino;
	char *resolved;
} fileid;

static char *resolve(const char *path)
{
	char *r = realpath(path, NULL);
	if (r)
		return r;
	/* not there yet: its folder resolved, and its name */
	const char *slash = strrchr(path, '/');
	char *dir = path_dir(path);
	char *rd = realpath(dir, NULL);
	free(dir);
	if (!rd)
		return xstrdup(path);
	const char *base = slash ? slash + 1 : path;
	char *out = xmalloc(strlen(rd) + strlen(base) + 2);
	sprintf(out, "%s/%s", rd, base);
	free(rd);
	return out;
}

static void identify(fileid *id, const char *path, int fd_if_std)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	id->name = path;
	id->is_std = !strcmp(path, "-");
	if (id->is_std) {
		id->exists = !fstat(fd_if_std, &st);
	} else {
		id->exists = !stat(path, &st);
		id->resolved = resolve(path);
	}
	if (id->exists) {
		id->regular = S_ISREG(st.st_mode);
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* The same file for writing: the same regular file, or the same name. A
   device or FIFO that is both read and written (/dev/null) is not. */
static int same_id(const fileid *a, const fileid *b)
{
	if (a->exists && b->exists)
		return a->regular && b->regular && a->dev == b->dev && a->ino == b->ino;
	return a->resolved && b->resolved && !strcmp(a->resolved, b->resolved);
}

int same_file(const char *a, const char *b)
{
	fileid x, y;
	identify(&x, a, 0);
	identify(&y, b, 0);
	int same = same_id(&x, &y);
	free(x.resolved);
	free(y.resolved);
	return same;
}

void io_check(int nin, const char *const *in, int nout, const char *const *out)
{
	fileid *ins = xcalloc(nin + 1, sizeof *ins), *outs = xcalloc(nout + 1, sizeof *outs);
	for (int i = 0; i < nin; i++)
		if (in[i])
			identify(&ins[i], in[i], STDIN_FILENO);
	for (int j = 0; j < nout; j++) {
		if (!out[j])
			continue;
		identify(&outs[j], out[j], STDOUT_FILENO);
		for (int i = 0; i < nin; i++)
			if (in[i] && same_id(&outs[j], &ins[i])) {
				if (outs[j].is_std)
					refuse("standard output is the input %s: it would be destroyed",
						    path_name(in[i]));
				refuse("%s: output is the same file as the input %s: it would be destroyed",
					    out[j], path_name(in[i]));
			}
		for (int k = 0; k < j; k++)
			if (out[k] && ((outs[j].is_std && outs[k].is_std) || same_id(&outs[j], &outs[k])))
				refuse("%s: given as two outputs: each needs a file of its own",
					    path_name(out[j]));
	}
	for (int i = 0; i < nin; i++)
		free(ins[i].resolved);
	for (int j = 0; j < nout; j++)
		free(outs[j].resolved);
	free(ins);
	free(outs);
}
