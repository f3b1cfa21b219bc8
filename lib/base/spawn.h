/* spawn.h: running another program (gnuplot, the other tools) with its
   stdin and stdout where the caller wants them, and checking how it ended. */
#ifndef NN_SPAWN_H
#define NN_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* Path of the executable name: with beside set, first in the folder of this
   program (/proc/self/exe), then in the PATH folders. NULL when none is
   found. The caller frees the result. */
char *spawn_find(const char *name, int beside);
/* Starts path with argv (argv[0] first, NULL last); in_fd and out_fd become
   its stdin and stdout (-1: this program's own). Other descriptors the
   child must not keep, such as the parent's end of a pipe, have to be
   close-on-exec (pipe2 with O_CLOEXEC). */
pid_t spawn_start(const char *path, char *const argv[], int in_fd, int out_fd);
/* Waits for pid; dies with "prog: what: exit status N" (or the signal that
   killed it) unless it exited with status 0. */
void spawn_wait(pid_t pid, const char *what);
/* Runs path with argv, its stdin from in_fd (-1: this program's own), and
   returns what it wrote on stdout (new memory, a NUL after it; its length
   in *len unless len is NULL). Dies as spawn_wait does (naming argv[0]) when it fails; with
   quiet, its stderr goes to /dev/null and a failure returns NULL. */
char *spawn_read(const char *path, char *const argv[], int in_fd, int quiet, size_t *len);

#endif
