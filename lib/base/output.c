/* output.c: output files that lose nothing (see output.h). */
#include "base/output.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files and folders not yet renamed into place: removed at exit
   and on the signals that would end the program without its exit handlers.
   A folder is removed with its files (its own, flat or nearly so). */
#define MAX_PENDING 16
static struct {
	char *volatile path;
	volatile int dir;
} pending[MAX_PENDING];

/* Removes a folder and everything in it, with system calls alone (it runs
   in a signal handler too); depth bounds the recursion. */
static void remove_tree_at(int parent, const char *name, int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		char buf[4096];
		long n;
		while ((n = getdents64(fd, buf, sizeof buf)) > 0)
			for (long off = 0; off < n;) {
				struct dirent64 *e = (struct dirent64 *)(buf + off);
				off += e->d_reclen;
				const char *s = e->d_name;
				if (!strcmp(s, ".") || !strcmp(s, ".."))
					continue;
				if (unlinkat(fd, s, 0) && errno == EISDIR && depth > 0)
					remove_tree_at(fd, s, depth - 1);
			}
		close(fd);
	}
	unlinkat(parent, name, AT_REMOVEDIR);
}

static void pending_remove(int i)
{
	if (pending[i].dir)
		remove_tree_at(AT_FDCWD, pending[i].path, 8);
	else
		unlink(pending[i].path);
}

static void remove_pending(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i].path) {
			pending_remove(i);
			pending[i].path = NULL;
		}
}

static void on_fatal_signal(int sig)
{
	/* unlink and the calls of remove_tree_at are async-signal-safe; the
	   names stay valid while pending */
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i].path)
			pending_remove(i);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Records a temporary name to remove if the program ends before it is put
   in place; returns its slot for pending_drop. */
static int pending_add(char *path, int dir, const char *out)
{
	static int cleanup_registered;
	if (!cleanup_registered++)
		atexit(remove_pending);
	for (int i = 0; i < MAX_PENDING; i++)
		if (!pending[i].path) {
			pending[i].dir = dir;
			pending[i].path = path;
			return i;
		}
	fatal("%s: too many output files open at once", out);
}

static void pending_drop(const char *path)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i].path == path)
			pending[i].path = NULL;
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

/* The name of a temporary file or folder beside TARGET, for mkstemp or
   mkdtemp (new memory): TARGET.tmp.PID.XXXXXX, unpredictable, so that no
   file planted there can stand in the way. */
static char *tmp_template(const char *target)
{
	char *t = xmalloc(strlen(target) + 40);
	sprintf(t, "%s.tmp.%ld.XXXXXX", target, (long)getpid());
	return t;
}

/* Whether s is base.tmp.PID.XXXXXX, a temporary of tmp_template's; its PID
   goes to *pid. */
static int is_tmp_name(const char *s, const char *base, long *pid)
{
	size_t n = strlen(base);
	if (strncmp(s, base, n) || strncmp(s + n, ".tmp.", 5))
		return 0;
	char *end;
	errno = 0;
	*pid = strtol(s + n + 5, &end, 10);
	if (errno || *pid <= 0 || end == s + n + 5 || *end != '.')
		return 0;
	const char *alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	return strlen(end + 1) == 6 && strspn(end + 1, alnum) == 6;
}

/* Removes the temporary files and folders of TARGET in its folder that a
   run left when it was killed (kill -9, a crash, a power cut): those of
   this user whose process is gone; nothing else. */
static void remove_stale(const char *target)
{
	char *dir = path_dir(target);
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		long pid;
		struct stat st;
		if (!is_tmp_name(e->d_name, base, &pid) || pid == (long)getpid() ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || st.st_uid != geteuid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (S_ISDIR(st.st_mode))
			remove_tree_at(dirfd(d), e->d_name, 8);
		else
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	free(dir);
}

/* The umask, read without changing it for long (it is one per process). */
static mode_t current_umask(void)
{
	mode_t m = umask(022);
	umask(m);
	return m;
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
	o->tmp = tmp_template(o->target);
	int slot = pending_add(o->tmp, 0, path);
	char *tmpl = xstrdup(o->tmp);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		pending[slot].path = NULL;
		fatal("%s: cannot create the temporary file for %s: %s", tmpl, path, strerror(e));
	}
	free(tmpl);
	/* the new file keeps the permissions of the one it replaces; a new
	   one gets those of open(2)'s 0666 less the umask, not mkstemp's 0600 */
	(void)fchmod(fd, exists ? st.st_mode & 07777 : 0666 & ~current_umask());
	o->f = fdopen(fd, "wb");
	if (!o->f)
		fatal("%s: %s", path, strerror(errno));
	return o;
}

void out_close(outfile *o)
{
	if (!o->path) {
		stdout_check();
		return;
	}
	if (!o->f)
		return;
	errno = 0;
	if (fflush(o->f) || ferror(o->f) || (o->tmp && fsync(fileno(o->f))))
		fatal("%s: write error: %s", o->path, strerror(errno ? errno : EIO));
	FILE *f = o->f;
	o->f = NULL;
	if (fclose(f))
		fatal("%s: write error: %s", o->path, strerror(errno));
}

void out_commit(outfile *o)
{
	if (!o->path) {
		stdout_check();
		free(o);
		return;
	}
	out_close(o);
	if (o->tmp) {
		if (rename(o->tmp, o->target))
			fatal("%s: cannot rename from %s: %s", o->path, o->tmp, strerror(errno));
		pending_drop(o->tmp);
	}
	free(o->path);
	free(o->target);
	free(o->tmp);
	free(o);
}

/* Whether a folder takes new files: there, a folder, writable. */
static void dir_check(const char *dir, const char *out)
{
	struct stat st;
	if (stat(dir, &st))
		fatal("%s: cannot write there: %s: %s", out, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fatal("%s: cannot write there: %s is not a folder", out, dir);
	if (access(dir, W_OK | X_OK))
		fatal("%s: cannot write there: %s: %s", out, dir, strerror(errno));
}

/* A folder's name without its trailing slashes (new memory); "/" stays. */
static char *dir_name_plain(const char *path)
{
	char *p = xstrdup(path);
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = 0;
	return p;
}

/* Whether the current folder is dir or inside it: a folder that must not
   be swapped away from under the shell that works in it. */
static int holds_cwd(const char *dir)
{
	char *cwd = getcwd(NULL, 0);
	size_t n = strlen(dir);
	int in = cwd && !strncmp(cwd, dir, n) && (cwd[n] == '/' || !cwd[n] || !strcmp(dir, "/"));
	free(cwd);
	return in;
}

outdir *outdir_open(const char *path)
{
	if (!*path)
		refuse("an output folder's name is empty");
	outdir *d = xcalloc(1, sizeof *d);
	d->path = xstrdup(path);
	struct stat st;
	char *parent, *stem;
	if (!stat(path, &st)) {
		if (!S_ISDIR(st.st_mode))
			fatal("%s: not a folder", path);
		/* the folder itself, wherever it is reached from ("." too) */
		d->target = realpath(path, NULL);
		if (!d->target)
			fatal("%s: %s", path, strerror(errno));
		parent = path_dir(d->target);
		/* the current folder is not swapped away from under the shell,
		   nor one whose parent is closed: the files are made in it */
		d->inside = holds_cwd(d->target) || access(parent, W_OK | X_OK);
	} else if (errno != ENOENT) {
		fatal("%s: %s", path, strerror(errno));
	} else {
		d->target = dir_name_plain(path);
		parent = path_dir(d->target);
	}
	if (d->inside) {
		free(parent);
		parent = xstrdup(d->target);
		stem = xmalloc(strlen(d->target) + 2);
		sprintf(stem, "%s/", d->target);
	} else {
		stem = xstrdup(d->target);
	}
	dir_check(parent, path);
	remove_stale(stem);
	d->tmp = tmp_template(stem);
	free(stem);
	int slot = pending_add(d->tmp, 1, path);
	char *tmpl = xstrdup(d->tmp);
	if (!mkdtemp(d->tmp)) {
		int e = errno;
		pending[slot].path = NULL;
		fatal("%s: cannot create the temporary folder for %s: %s", tmpl, path, strerror(e));
	}
	free(tmpl);
	free(parent);
	return d;
}

/* The old folder's files that the new one lacks (and that are not the
   tool's own) linked into the new one, so that swapping keeps them; 0 when
   the old one holds a folder (which would be removed with it) or a file
   cannot be linked (a file system without links). */
static int carry_over(int oldfd, int newfd, int (*own)(const char *))
{
	DIR *od = fdopendir(dup(oldfd));
	if (!od)
		return 0;
	int ok = 1;
	for (struct dirent *e; ok && (e = readdir(od));) {
		struct stat st;
		const char *s = e->d_name;
		if (!strcmp(s, ".") || !strcmp(s, ".."))
			continue;
		if (fstatat(oldfd, s, &st, AT_SYMLINK_NOFOLLOW) || S_ISDIR(st.st_mode))
			ok = 0;
		else if (fstatat(newfd, s, &st, AT_SYMLINK_NOFOLLOW) && !(own && own(s)))
			ok = !linkat(oldfd, s, newfd, s, 0);
	}
	closedir(od);
	return ok;
}

/* The new files moved into the old folder one by one; then the tool's own
   files that this run did not make removed. */
static void merge_into(const outdir *d, int oldfd, int newfd, int (*own)(const char *))
{
	DIR *nd = fdopendir(dup(newfd)), *od = fdopendir(dup(oldfd));
	if (!nd || !od)
		fatal("%s: %s", d->path, strerror(errno));
	/* nothing moved unless all can be: a new file may not replace a folder */
	for (struct dirent *e; (e = readdir(nd));) {
		struct stat st;
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !fstatat(oldfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode))
			fatal("%s/%s: is a folder", d->path, e->d_name);
	}
	rewinddir(nd);
	char **stale = NULL;
	size_t nstale = 0;
	for (struct dirent *e; own && (e = readdir(od));) {
		struct stat st;
		if (own(e->d_name) && fstatat(newfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			stale = xrealloc(stale, (nstale + 1) * sizeof *stale);
			stale[nstale++] = xstrdup(e->d_name);
		}
	}
	for (struct dirent *e; (e = readdir(nd));) {
		const char *s = e->d_name;
		if (strcmp(s, ".") && strcmp(s, "..") && renameat(newfd, s, oldfd, s))
			fatal("%s/%s: cannot rename from %s: %s", d->path, s, d->tmp, strerror(errno));
	}
	for (size_t i = 0; i < nstale; i++) {
		if (unlinkat(oldfd, stale[i], 0) && errno != ENOENT)
			fatal("%s/%s: cannot remove: %s", d->path, stale[i], strerror(errno));
		free(stale[i]);
	}
	free(stale);
	closedir(nd);
	closedir(od);
}

void outdir_commit(outdir *d, int (*own)(const char *name))
{
	struct stat st;
	int exists = !stat(d->target, &st);
	if (!exists) {
		(void)chmod(d->tmp, 0777 & ~current_umask());
		if (rename(d->tmp, d->target))
			fatal("%s: cannot rename from %s: %s", d->path, d->tmp, strerror(errno));
	} else {
		int oldfd = open(d->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int newfd = open(d->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (oldfd < 0 || newfd < 0)
			fatal("%s: %s", d->path, strerror(errno));
		/* the new folder, with the old one's other files, swapped in at
		   once, the old one then removed; where that cannot be, the new
		   files renamed into the old folder */
		(void)fchmod(newfd, st.st_mode & 07777);
		if (st.st_uid != geteuid() || st.st_gid != getegid())
			(void)fchown(newfd, st.st_uid, st.st_gid);
		if (d->inside || !carry_over(oldfd, newfd, own) ||
		    renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->target, RENAME_EXCHANGE))
			merge_into(d, oldfd, newfd, own);
		close(oldfd);
		close(newfd);
		remove_tree_at(AT_FDCWD, d->tmp, 8);
	}
	pending_drop(d->tmp);
	free(d->path);
	free(d->target);
	free(d->tmp);
	free(d);
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

void out_check(const char *path)
{
	if (!path || !strcmp(path, "-") || std_fd(path) >= 0)
		return;
	if (!*path)
		refuse("an output's name is empty: give a file name, or - for standard output");
	struct stat st;
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			fatal("%s: is a folder: give the name of a file in it", path);
		if (!S_ISREG(st.st_mode)) {
			/* a device or FIFO, written in place */
			if (access(path, W_OK))
				fatal("%s: %s", path, strerror(errno));
			return;
		}
	} else if (path[strlen(path) - 1] == '/') {
		fatal("%s: names a folder, not a file", path);
	}
	/* the temporary file goes beside the file replaced */
	char *target = realpath(path, NULL);
	char *dir = path_dir(target ? target : path);
	dir_check(dir, path);
	free(dir);
	free(target);
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
		out_check(out[j]);
		identify(&outs[j], out[j], STDOUT_FILENO);
		for (int i = 0; i < nin; i++)
			if (in[i] && same_id(&outs[j], &ins[i])) {
				if (outs[j].is_std)
					refuse("standard output is the input %s: it would be destroyed",
						    display_name(in[i]));
				refuse("%s: output is the same file as the input %s: it would be destroyed",
					    out[j], display_name(in[i]));
			}
		for (int k = 0; k < j; k++)
			if (out[k] && ((outs[j].is_std && outs[k].is_std) || same_id(&outs[j], &outs[k])))
				refuse("%s: given as two outputs: each needs a file of its own",
					    display_name(out[j]));
	}
	for (int i = 0; i < nin; i++)
		free(ins[i].resolved);
	for (int j = 0; j < nout; j++)
		free(outs[j].resolved);
	free(ins);
	free(outs);
}
