/* test_transforms: the augmentation transforms of a batch (horizontal flip,
   crop, scale, shift, erasing) on every backend that opens, against
   tests/transforms_ref.py, a numpy reference written from backend.h's
   contract. The photos are non-square (batch, channels, height and width
   all different) and their pixel values encode the class of the label map
   at the same place, so the reference also checks that each label map
   follows its photo: a crop or a flip applied to one and not the other, or
   with height and width swapped, fails. The normalisation is not the
   identity, so that an erased pixel (0 after normalisation) differs from a
   pixel of value 0 normalised; label maps are never erased. This program
   gathers the batches and writes them to a temporary folder; the reference
   reads them and prints the result lines. */
#include "backend/backend.h"
#include "formats/npy.h"
#include "formats/tensor.h"
#include "base/spawn.h"
#include "base/util.h"
#include "emulated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N = 4, C = 3, H = 10, W = 14, CLASSES = 5, CLASS_STEP = 40 };

/* The transforms tried, each on sample i % N: flip, x0, y0, sw, sh, and the
   erased rectangle ex, ey, ew, eh. */
static const sample_xform xforms[] = {
	{0, 0, 0, W, H, 0, 0, 0, 0},             /* identity */
	{1, 0, 0, W, H, 0, 0, 0, 0},             /* flip */
	{0, 3, 2, W, H, 0, 0, 0, 0},             /* shifted: the border repeats */
	{0, 1.5f, 0.75f, 9.8f, 7, 0, 0, 0, 0},   /* crop and scale up, off the pixel grid */
	{1, 3.25f, 2, 7, 5, 0, 0, 0, 0},         /* flip, crop and scale */
	{1, 0, 5, 12.6f, 5, 0, 0, 0, 0},         /* at the bottom left, wider than high */
	{0, 6, 0, 8, 9.5f, 0, 0, 0, 0},          /* at the top right, higher than wide */
	{1, 0.5f, 0.5f, 13, 9, 0, 0, 0, 0},      /* a slight zoom */
	{0, -2, 1, W, H, 0, 0, 0, 0},            /* shifted the other way in x */
	{0, 0, 0, W, H, 3, 2, 5, 4},             /* erased inside, no other transform */
	{0, 0, 0, W, H, 0, 0, 4, 3},             /* erased at the top left corner */
	{1, 0, 0, W, H, 9, 6, 5, 4},             /* flipped, erased at the bottom right corner */
	{0, 1.5f, 0.75f, 9.8f, 7, 0, 3, 6, 2},   /* cropped, erased at the left edge */
	{1, 3.25f, 2, 7, 5, 11, 0, 3, 10},       /* flipped and cropped, erased over the right edge's height */
	{0, -2, 3, W, H, 6, 9, 1, 1},            /* shifted, one pixel erased on the bottom row */
};
enum { NX = sizeof xforms / sizeof *xforms };

/* The normalisation: (pixel / 255 - mean) * inv_std per channel. */
static const float mean[C] = {0.1f, 0.3f, 0.05f}, inv_std[C] = {2, 0.5f, 4};

static void write_npy(const char *dir, const char *name, const tensor *t)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		fatal("%s: cannot write it", path);
	npy_write(f, path, t);
	if (fclose(f))
		fatal("%s: write error", path);
}

/* The source photos and label maps: classes in slanted bands that differ
   per sample, each pixel 40 * class + 10 * channel + 5. */
static void make_source(tensor *x, tensor *y)
{
	uint8_t *px = x->data;
	int32_t *py = y->data;
	for (int n = 0; n < N; n++)
		for (int r = 0; r < H; r++)
			for (int c = 0; c < W; c++) {
				int k = (r + 2 * c + 7 * n) / 7 % CLASSES;
				py[(n * H + r) * W + c] = k;
				for (int ch = 0; ch < C; ch++)
					px[((n * C + ch) * H + r) * W + c] = (uint8_t)(CLASS_STEP * k + 10 * ch + 5);
			}
}

/* One batch of the transforms on be, written as LABEL.x.npy and LABEL.y.npy. */
static void gather_on(const backend *be, const char *label, const char *dir, const tensor *x, const tensor *y)
{
	int32_t idx[NX];
	for (int i = 0; i < NX; i++)
		idx[i] = i % N;
	void *dx = be->alloc(tensor_bytes(x), "photos");
	int32_t *dy = be->alloc(tensor_bytes(y), "labels"), *didx = be->alloc(sizeof idx, "idx");
	sample_xform *dxf = be->alloc(sizeof xforms, "transforms");
	float *dmean = be->alloc(sizeof mean, "mean"), *dinv = be->alloc(sizeof inv_std, "inv_std");
	float *out = be->alloc((size_t)NX * C * H * W * sizeof(float), "batch");
	int32_t *out_y = be->alloc((size_t)NX * H * W * sizeof(int32_t), "batch labels");
	be->upload(dx, x->data, tensor_bytes(x));
	be->upload(dy, y->data, tensor_bytes(y));
	be->upload(didx, idx, sizeof idx);
	be->upload(dxf, xforms, sizeof xforms);
	be->upload(dmean, mean, sizeof mean);
	be->upload(dinv, inv_std, sizeof inv_std);
	be->gather_images(out, dx, 1, didx, dxf, NX, C, H, W, dmean, dinv);
	be->gather_labels(out_y, dy, didx, dxf, NX, H, W, 1);
	tensor *bx = tensor_new4(DT_F32, NX, C, H, W, 4), *by = tensor_new4(DT_I32, NX, H, W, 1, 3);
	be->download(bx->data, out, tensor_bytes(bx));
	be->download(by->data, out_y, tensor_bytes(by));
	char name[64];
	snprintf(name, sizeof name, "%s.x.npy", label);
	write_npy(dir, name, bx);
	snprintf(name, sizeof name, "%s.y.npy", label);
	write_npy(dir, name, by);
	tensor_free(bx), tensor_free(by);
	be->free(dx), be->free(dy), be->free(didx), be->free(dxf), be->free(dmean), be->free(dinv);
	be->free(out), be->free(out_y);
}

int main(int argc, char **argv)
{
	(void)argc;
	nn_prog = "test_transforms";
	const char *py = "/usr/bin/python3";
	char *check_argv[] = {(char *)py, "-c", "import numpy", NULL};
	char *numpy = access(py, X_OK) ? NULL : spawn_read(py, check_argv, -1, 1, NULL);
	if (!numpy) {
		printf("SKIP: transforms: NOT TESTABLE: %s has no numpy\n", py);
		return 0;
	}
	free(numpy);
	char dir[] = "/tmp/nn-transforms.XXXXXX";
	if (!mkdtemp(dir))
		fatal("mkdtemp: cannot make a folder in /tmp");
	tensor *x = tensor_new4(DT_U8, N, C, H, W, 4), *y = tensor_new4(DT_I32, N, H, W, 1, 3);
	make_source(x, y);
	write_npy(dir, "src_x.npy", x);
	write_npy(dir, "src_y.npy", y);
	tensor *idx = tensor_new4(DT_I32, NX, 1, 1, 1, 1), *xf = tensor_new4(DT_F32, NX, 9, 1, 1, 2);
	for (int i = 0; i < NX; i++) {
		((int32_t *)idx->data)[i] = i % N;
		const sample_xform *t = &xforms[i];
		float *row = (float *)xf->data + 9 * i;
		row[0] = (float)t->flip, row[1] = t->x0, row[2] = t->y0, row[3] = t->sw, row[4] = t->sh;
		row[5] = (float)t->ex, row[6] = (float)t->ey, row[7] = (float)t->ew, row[8] = (float)t->eh;
	}
	write_npy(dir, "idx.npy", idx);
	write_npy(dir, "xf.npy", xf);
	tensor *norm = tensor_new4(DT_F32, 2, C, 1, 1, 2);
	memcpy(norm->data, mean, sizeof mean);
	memcpy((float *)norm->data + C, inv_std, sizeof inv_std);
	write_npy(dir, "norm.npy", norm);

	const char *why = NULL;
	const backend *cuda = backend_cuda_open(&why);
	if (!cuda && !getenv("NN_CUDA_LIB"))
		cuda_emulated_rerun(argv);
	const char *cuda_label = cuda && cuda_is_emulated() ? "cuda-emulated" : "cuda";
	backend_cpu.set_threads(2);
	gather_on(&backend_cpu, "cpu", dir, x, y);
	if (cuda)
		gather_on(cuda, cuda_label, dir, x, y);
	else
		printf("SKIP: transforms cuda: NOT TESTABLE: %s\n", why);
	char ref[4096], *cwd = getcwd(NULL, 0);
	snprintf(ref, sizeof ref, "%s/tests/transforms_ref.py", cwd);
	char *ref_argv[] = {(char *)py, ref, dir, "cpu", cuda ? (char *)cuda_label : NULL, NULL};
	char *out = spawn_read(py, ref_argv, -1, 0, NULL);
	fputs(out, stdout);
	int failed = strstr(out, "FAIL: ") != NULL || !strstr(out, "PASS: ");
	char rm[600];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	if (system(rm))
		fatal("%s: cannot remove it", dir);
	free(out), free(cwd);
	tensor_free(x), tensor_free(y), tensor_free(idx), tensor_free(xf), tensor_free(norm);
	return failed;
}
