/* spawn.c: running another program (see spawn.h). */
#include "base/spawn.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *join_path(const char *dir, size_t n, const char *name)
{
	char *p = xmalloc(n + strlen(name) + 2);
	memcpy(p, dir, n);
	p[n] = '/';
	strcpy(p + n + 1, name);
	return p;
}

char *spawn_find(const char *name, int beside)
{
	char *self = beside ? exe_dir() : NULL;
	if (self) {
		char *p = join_path(self, strlen(self), name);
		free(self);
		if (!access(p, X_OK))
			return p;
		free(p);
	}
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	for (const char *d = path;; d++) {
		const char *e = strchr(d, ':');
		size_t n = e ? (size_t)(e - d) : strlen(d);
		/* an empty entry means the current folder */
		char *p = n ? join_path(d, n, name) : join_path(".", 1, name);
		if (!access(p, X_OK))
			return p;
		free(p);
		if (!e)
			return NULL;
		d = e;
	}
}

/* spawn_start with the child's stderr on err_fd as well (-1: this
   program's own). */
static pid_t start(const char *path, char *const argv[], int in_fd, int out_fd, int err_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fatal("%s: cannot start: %s", path, strerror(errno));
	if (pid == 0) {
		/* the child leaves through _exit so that the parent's exit
		   handlers (removal of unfinished output files) do not run here */
		signal(SIGPIPE, SIG_DFL);
		if ((in_fd >= 0 && dup2(in_fd, 0) < 0) || (out_fd >= 0 && dup2(out_fd, 1) < 0) ||
		    (err_fd >= 0 && dup2(err_fd, 2) < 0))
			_exit(127);
		execv(path, argv);
		fprintf(stderr, "%s: %s: cannot run: %s\n", nn_prog, path, strerror(errno));
		_exit(127);
	}
	return pid;
}

pid_t spawn_start(const char *path, char *const argv[], int in_fd, int out_fd)
{
	return start(path, argv, in_fd, out_fd, -1);
}

/* How pid ended, as waitpid says. */
static int wait_status(pid_t pid, const char *what)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fatal("%s: cannot wait: %s", what, strerror(errno));
	return st;
}

void spawn_wait(pid_t pid, const char *what)
{
	int st = wait_status(pid, what);
	if (WIFSIGNALED(st))
		fatal("%s: killed by signal %d", what, WTERMSIG(st));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fatal("%s: exit status %d", what, WEXITSTATUS(st));
}

char *spawn_read(const char *path, char *const argv[], int in_fd, int quiet, size_t *len)
{
	/* a pipe rather than a temporary file: a write to it cannot fail
	   unseen (gnuplot exits 0 after a failed write) */
	int fd[2];
	if (pipe2(fd, O_CLOEXEC))
		fatal("cannot make a pipe: %s", strerror(errno));
	int null = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
	pid_t pid = start(path, argv, in_fd, fd[1], null);
	close(fd[1]);
	if (null >= 0)
		close(null);
	size_t n = 0, cap = 1 << 16;
	char *text = xmalloc(cap + 1);
	for (;;) {
		ssize_t got = read(fd[0], text + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			fatal("%s: cannot read its output: %s", argv[0], strerror(errno));
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap)
			text = xrealloc(text, (cap *= 2) + 1);
	}
	close(fd[0]);
	text[n] = 0;
	if (len)
		*len = n;
	if (!quiet) {
		spawn_wait(pid, argv[0]);
		return text;
	}
	int st = wait_status(pid, argv[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return text;
	free(text);
	return NULL;
}
