/* provenance.h: how a model was made, for the "run" metadata that nn-train
   writes and nn-report shows: the machine, the source, the command, the
   dates. */
#ifndef NN_PROVENANCE_H
#define NN_PROVENANCE_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU's model name as /proc/cpuinfo gives it (new memory), or NULL. */
char *provenance_cpu_model(void);
/* The commit of the source checkout this program was built in, as
   `git describe --always --dirty` says now (new memory): the checkout is
   the folder above the program's (bin/..) when it holds a .git. NULL for
   an installed copy, or where git is missing or fails. */
char *provenance_commit(void);
/* The command line as a shell would take it back (new memory): words of
   plain characters bare, others in single quotes. */
char *provenance_command(int argc, char **argv);
/* t as an ISO 8601 date in UTC, 2026-12-06T23:18:51Z. */
void provenance_date(time_t t, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
