/* spawn.c: running another program (see spawn.h). */
#include "spawn.h"
#include "util.h"

#include <errno.h>
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
	if (beside) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n > 0) {
			self[n] = 0;
			char *slash = strrchr(self, '/');
			if (slash) {
				char *p = join_path(self, (size_t)(slash - self), name);
				if (!access(p, X_OK))
					return p;
				free(p);
			}
		}
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

pid_t spawn_start(const char *path, char *const argv[], int in_fd, int out_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fatal("%s: cannot start: %s", path, strerror(errno));
	if (pid == 0) {
		/* the child leaves through _exit so that the parent's exit
		   handlers (removal of unfinished output files) do not run here */
		signal(SIGPIPE, SIG_DFL);
		if ((in_fd >= 0 && dup2(in_fd, 0) < 0) || (out_fd >= 0 && dup2(out_fd, 1) < 0))
			_exit(127);
		execv(path, argv);
		fprintf(stderr, "%s: %s: cannot run: %s\n", nn_prog, path, strerror(errno));
		_exit(127);
	}
	return pid;
}

void spawn_wait(pid_t pid, const char *what)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fatal("%s: cannot wait: %s", what, strerror(errno));
	if (WIFSIGNALED(st))
		fatal("%s: killed by signal %d", what, WTERMSIG(st));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fatal("%s: exit status %d", what, WEXITSTATUS(st));
}
