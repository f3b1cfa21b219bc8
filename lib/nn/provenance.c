/* provenance.c: how a model was made: its "run" metadata, written and checked. */
#include "nn/provenance.h"
#include "base/jsonfield.h"
#include "base/spawn.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
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

/* A field of the checkpoint's record, or NULL when it has none of that kind. */
static const json *prev_field(const run_record *r, const char *key, json_kind kind)
{
	const json *v = r->prev ? json_get(r->prev, key) : NULL;
	return v && v->kind == kind ? v : NULL;
}

static double prev_number(const run_record *r, const char *key)
{
	const json *v = prev_field(r, key, JSON_NUMBER);
	return v ? v->number : 0;
}

char *run_record_json(const run_record *r)
{
	char date[32];
	json_writer w = {0};
	json_object_begin(&w);
	json_key(&w, "commands");
	json_array_begin(&w);
	const json *v = prev_field(r, "commands", JSON_ARRAY);
	for (int i = 0; v && i < v->n; i++)
		if (v->items[i]->kind == JSON_STRING)
			json_string(&w, v->items[i]->str);
	json_string(&w, r->command);
	json_array_end(&w);
	v = prev_field(r, "net_file", JSON_STRING);
	if (v || r->net_file)
		json_key(&w, "net_file"), json_string(&w, v ? v->str : r->net_file);
	if (r->log)
		json_key(&w, "log"), json_string(&w, r->log);
	v = prev_field(r, "started", JSON_STRING);
	provenance_date(r->started, date, sizeof date);
	json_key(&w, "started"), json_string(&w, v ? v->str : date);
	provenance_date(time(NULL), date, sizeof date);
	json_key(&w, "finished"), json_string(&w, date);
	json_key(&w, "train_seconds"), json_number(&w, prev_number(r, "train_seconds") + r->train_seconds);
	json_key(&w, "wall_seconds"), json_number(&w, prev_number(r, "wall_seconds") + r->wall_seconds);
	json_key(&w, "steps"), json_int(&w, r->steps);
	json_key(&w, "train_samples"), json_int(&w, r->train_samples);
	if (r->val_samples >= 0)
		json_key(&w, "val_samples"), json_int(&w, r->val_samples);
	json_key(&w, "device"), json_string(&w, r->device);
	if (r->device_name)
		json_key(&w, "device_name"), json_string(&w, r->device_name);
	if (r->threads)
		json_key(&w, "threads"), json_int(&w, r->threads);
	if (r->commit)
		json_key(&w, "commit"), json_string(&w, r->commit);
	if (r->best_metric) {
		json_key(&w, "best_metric"), json_string(&w, r->best_metric);
		json_key(&w, "best_step"), json_int(&w, r->best_step);
		json_key(&w, "best_score"), json_number(&w, r->best_score);
		json_key(&w, "validations_since_best"), json_int(&w, r->validations_since_best);
		json_key(&w, "stopped_early"), json_int(&w, r->stopped_early);
	}
	json_object_end(&w);
	return json_writer_finish(&w);
}

void run_record_check(const char *where, const json *j)
{
	static const json_field fields[] = {
		{"commands", 'S', 0, 0}, {"net_file", 's', 0, 0}, {"log", 's', 0, 0}, {"started", 's', 0, 0},
		{"finished", 's', 0, 0}, {"train_seconds", 'n', 0, INFINITY}, {"wall_seconds", 'n', 0, INFINITY},
		{"steps", 'i', 0, (double)LONG_MAX}, {"train_samples", 'i', 0, (double)LONG_MAX},
		{"val_samples", 'i', 0, (double)LONG_MAX},
		{"device", 's', 0, 0}, {"device_name", 's', 0, 0}, {"threads", 'i', 1, INT_MAX}, {"commit", 's', 0, 0},
		{"best_metric", 's', 0, 0}, {"best_step", 'i', -1, (double)LONG_MAX}, {"best_score", 'N', -INFINITY, INFINITY},
		{"validations_since_best", 'i', 0, (double)LONG_MAX}, {"stopped_early", 'i', 0, 1}, {NULL, 0, 0, 0},
	};
	json_fields_check(where, fields, j);
}
