/* provenance.c: how a model was made, for its "run" metadata. */
#include "nn/provenance.h"
#include "base/spawn.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The CPU's model name as /proc/cpuinfo gives it (new memory), or NULL. */
char *provenance_cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], *name = NULL;
	while (f && !name && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && colon) {
			colon += 1 + strspn(colon + 1, " \t");
			colon[strcspn(colon, "\n")] = 0;
			name = xstrdup(colon);
		}
	}
	if (f)
		fclose(f);
	return name;
}

/* The commit of the source checkout this program was built in, as
   `git describe --always --dirty` says when training starts: the checkout
   is the folder above the program's (bin/..) when it holds a .git. NULL for
   an installed copy, or where git is missing or fails. */
char *provenance_commit(void)
{
	char *bin = exe_dir();
	if (!bin)
		return NULL;
	char *root = path_dir(bin), *dotgit = xmalloc(strlen(root) + 6), *out = NULL;
	sprintf(dotgit, "%s/.git", root);
	char *git = access(dotgit, F_OK) == 0 ? spawn_find("git", 0) : NULL;
	if (git) {
		/* git's own complaints (a repository it will not read) are not
		   this program's: quiet sends them to /dev/null */
		char *argv[] = {"git", "-C", root, "describe", "--always", "--dirty", NULL};
		out = spawn_read(git, argv, -1, 1, NULL);
		if (out)
			out[strcspn(out, "\n")] = 0;
		if (out && (!*out || control_byte(out))) {
			free(out);
			out = NULL;
		}
	}
	free(git);
	free(dotgit);
	free(root);
	free(bin);
	return out;
}

/* The command line as a shell would take it back (new memory): words of
   plain characters bare, others in single quotes. */
char *provenance_command(int argc, char **argv)
{
	size_t n = 1;
	for (int i = 0; i < argc; i++)
		n += 4 * strlen(argv[i]) + 3;
	char *s = xmalloc(n), *p = s;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i)
			*p++ = ' ';
		int bare = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%") ==
				      strlen(a);
		if (!bare)
			*p++ = '\'';
		for (; *a; a++) {
			if (*a == '\'' && !bare)
				p += sprintf(p, "'\\''");
			else
				*p++ = *a;
		}
		if (!bare)
			*p++ = '\'';
	}
	*p = 0;
	return s;
}

void provenance_date(time_t t, char *buf, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
