/* tests/dataset.c: dataset and prediction streams: round trips through
   dataset_write/dataset_read, the stored label dtype, and the checks on
   malformed streams (run in a child process, since they end in fatal()). */
#include "check.h"
#include "formats/dataset.h"
#include "formats/npy.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static char *tmp_path(const char *name)
{
	static char buf[8][128];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* Writes arrays one after another, as a stream. */
static void stream_write(const char *path, tensor **a, int n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		fatal("%s: cannot create", path);
	for (int i = 0; i < n; i++)
		npy_write(f, path, a[i]);
	fclose(f);
}

static tensor *filled(dtype t, int ndim, const int64_t *shape, const double *v)
{
	tensor *x = tensor_new(t, ndim, shape, 0);
	for (int64_t i = 0; i < tensor_numel(x); i++) {
		double e = v ? v[i] : (double)(i % 7);
		switch (t) {
		case DT_U8: ((uint8_t *)x->data)[i] = (uint8_t)e; break;
		case DT_I32: ((int32_t *)x->data)[i] = (int32_t)e; break;
		case DT_I64: ((int64_t *)x->data)[i] = (int64_t)e; break;
		case DT_F32: ((float *)x->data)[i] = (float)e; break;
		case DT_STR: break;
		}
	}
	return x;
}

/* dataset_read must die with exit status 1 and a message containing want. */
static void expect_fail(const char *name, const char *path, const char *kind, const char *want)
{
	char *err = tmp_path("stderr");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(err, "w", stderr))
			_exit(3);
		dataset_read(path, kind);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	size_t len;
	char *msg = read_file(err, &len);
	msg[strcspn(msg, "\n")] = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		FAIL("%s: exit status %d, expected 1 (%s)", name, WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
	else if (!strstr(msg, want))
		FAIL("%s: message '%s' lacks '%s'", name, msg, want);
	else
		PASS("%s", name);
	free(msg);
}

int main(void)
{
	strcpy(dir, "/tmp/nn-dataset-XXXXXX");
	if (!mkdtemp(dir))
		fatal("cannot make a temporary folder");
	char *names3[] = {"a", "bb", "ccc"};
	int64_t xs[4] = {3, 1, 2, 2}, ys[1] = {3};

	/* round trip: int32 ids that fit are stored as uint8 and read back as int32 */
	tensor *x = filled(DT_U8, 4, xs, NULL);
	tensor *y = filled(DT_I32, 1, ys, (double[]){2, 0, 1});
	const char *p = tmp_path("rt.npy");
	FILE *f = fopen(p, "wb");
	dataset_write(f, p, x, y, names3, 3);
	fclose(f);
	f = fopen(p, "rb");
	tensor *sx = npy_read(f, p), *sy = npy_read(f, p), *sn = npy_read(f, p);
	int tail = fgetc(f);
	fclose(f);
	if (sy->dtype == DT_U8 && sn->dtype == DT_STR && sn->itemsize == 3 && tail == EOF)
		PASS("write-labels-as-uint8");
	else
		FAIL("write-labels-as-uint8: y %s, names %s", dtype_name(sy->dtype), dtype_name(sn->dtype));
	tensor_free(sx);
	tensor_free(sy);
	tensor_free(sn);
	dataset *d = dataset_read(p, "dataset");
	int ok = d->y && d->y->dtype == DT_I32 && d->nclass == 3 && !strcmp(d->names[2], "ccc") &&
		 dataset_len(d) == 3 && !memcmp(d->x->data, x->data, tensor_bytes(x));
	for (int i = 0; ok && i < 3; i++)
		ok = ((int32_t *)d->y->data)[i] == ((int32_t *)y->data)[i];
	if (ok)
		PASS("dataset-round-trip");
	else
		FAIL("dataset-round-trip");
	dataset_free(d);

	/* ids above 255 are stored as int32 */
	((int32_t *)y->data)[1] = 300;
	p = tmp_path("big.npy");
	f = fopen(p, "wb");
	dataset_write(f, p, x, y, NULL, 0);
	fclose(f);
	f = fopen(p, "rb");
	tensor_free(npy_read(f, p));
	sy = npy_read(f, p);
	fclose(f);
	if (sy->dtype == DT_I32 && ((int32_t *)sy->data)[1] == 300)
		PASS("write-labels-as-int32");
	else
		FAIL("write-labels-as-int32: %s", dtype_name(sy->dtype));
	tensor_free(sy);

	/* names before y, int64 labels, read from an open stream */
	tensor *n3 = names_to_tensor(names3, 3);
	tensor *y64 = filled(DT_I64, 1, ys, (double[]){1, 2, 0});
	p = tmp_path("order.npy");
	stream_write(p, (tensor *[]){x, n3, y64}, 3);
	f = fopen(p, "rb");
	d = dataset_read_stream(f, p, "dataset");
	fclose(f);
	if (d->nclass == 3 && d->y && ((int32_t *)d->y->data)[1] == 2)
		PASS("names-before-int64-labels");
	else
		FAIL("names-before-int64-labels");
	dataset_free(d);

	/* predictions [N,K] and [N,K,H,W] */
	int64_t ps[4] = {3, 3, 2, 2}, ls[3] = {3, 2, 2};
	tensor *p2 = filled(DT_F32, 2, ps, NULL), *p4 = filled(DT_F32, 4, ps, NULL);
	tensor *l3 = filled(DT_U8, 3, ls, (double[]){0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
	p = tmp_path("p2.npy");
	stream_write(p, (tensor *[]){p2, y64, n3}, 3);
	d = dataset_read(p, "prediction");
	if (d->x->ndim == 2 && d->y && d->nclass == 3)
		PASS("prediction-2d");
	else
		FAIL("prediction-2d");
	dataset_free(d);
	p = tmp_path("p4.npy");
	stream_write(p, (tensor *[]){p4, l3}, 2);
	d = dataset_read(p, "prediction");
	if (d->x->ndim == 4 && d->y && d->y->ndim == 3 && !d->names)
		PASS("prediction-4d");
	else
		FAIL("prediction-4d");
	dataset_free(d);
	p = tmp_path("p-only.npy");
	stream_write(p, (tensor *[]){p2}, 1);
	d = dataset_read(p, "prediction");
	if (!d->y && !d->names)
		PASS("prediction-without-labels");
	else
		FAIL("prediction-without-labels");
	dataset_free(d);

	/* malformed streams */
	char *names4[] = {"a", "b", "c", "d"};
	tensor *n4 = names_to_tensor(names4, 4);
	tensor *y5 = filled(DT_U8, 1, ys, (double[]){0, 5, 1});
	p = tmp_path("e1.npy");
	stream_write(p, (tensor *[]){x, y5, n3}, 3);
	expect_fail("err-label-range", p, "dataset", "label 5 out of range 0..2 at sample 1");
	p = tmp_path("e2.npy");
	stream_write(p, (tensor *[]){x, y64}, 2);
	expect_fail("err-prediction-dtype", p, "prediction", "p must be [N,K] or [N,K,H,W] float32");
	p = tmp_path("e3.npy");
	stream_write(p, (tensor *[]){p2, y64, n4}, 3);
	expect_fail("err-prediction-names", p, "prediction", "4 class names but p has 3 classes");
	p = tmp_path("e4.npy");
	stream_write(p, (tensor *[]){p4, y64}, 2);
	expect_fail("err-prediction-label-shape", p, "prediction", "labels y must be [N,H,W]");
	p = tmp_path("e5.npy");
	stream_write(p, (tensor *[]){x, y64, n3, y64}, 4);
	expect_fail("err-extra-array", p, "dataset", "unexpected array");
	p = tmp_path("e6.npy");
	stream_write(p, (tensor *[]){x, n3, n3}, 3);
	expect_fail("err-two-name-lists", p, "dataset", "two class-name arrays");
	p = tmp_path("e7.npy");
	stream_write(p, (tensor *[]){x, p2}, 2);
	expect_fail("err-float-labels", p, "dataset", "labels y must be uint8, int32 or int64");

	tensor_free(x);
	tensor_free(y);
	tensor_free(n3);
	tensor_free(n4);
	tensor_free(y5);
	tensor_free(y64);
	tensor_free(p2);
	tensor_free(p4);
	tensor_free(l3);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		FAIL("cleanup of %s", dir);
	return check_failures ? 1 : 0;
}
