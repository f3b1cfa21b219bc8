/* test_kinks: the activations and max-pool at their kinks against PyTorch
   (tests/golden/kinks/ops.safetensors, made by make.py there): +0 and -0,
   subnormals, values exactly at the threshold, and pooling windows with
   ties. Finite differences step over kinks and random inputs never land on
   them, so only here is the choice made at a kink compared: which side's
   gradient relu and leaky relu take at 0, and which of tied maxima a pool
   window passes its gradient to. The outputs must equal PyTorch's bit for
   bit (the sign of a zero included); the input gradients too, except that a
   sum over overlapping windows may round in another order. Every backend
   this machine has runs the cases: the CPU's, and the CUDA one (on the
   emulation of kernels/emu/ where no GPU is). */
#include "backend/backend.h"
#include "formats/safetensors.h"
#include "base/util.h"
#include "check.h"
#include "emulated.h"

#include <stdlib.h>
#include <string.h>

/* A case's tensors, on the host. */
typedef struct kcase {
	char name[64];
	const tensor *x, *dy, *y, *dx;
	float slope;
	int k, stride;
} kcase;

static const tensor *need(const st_file *f, const char *name, const char *key)
{
	char full[96];
	snprintf(full, sizeof full, "%s.%s", name, key);
	tensor *t = st_get(f, full);
	if (!t || t->dtype != DT_F32)
		fatal("ops.safetensors: no float32 tensor '%s'", full);
	return t;
}

/* "maxpool3s2 k=3 stride=2" into c. */
static void case_parse(const st_file *f, const char *line, kcase *c)
{
	memset(c, 0, sizeof *c);
	if (sscanf(line, "%63s", c->name) != 1)
		fatal("ops.safetensors: bad case line '%s'", line);
	const char *p = strstr(line, "slope=");
	c->slope = p ? strtof(p + 6, NULL) : 0;
	p = strstr(line, "k=");
	c->k = p ? atoi(p + 2) : 0;
	p = strstr(line, "stride=");
	c->stride = p ? atoi(p + 7) : 0;
	c->x = need(f, c->name, "x");
	c->dy = need(f, c->name, "dy");
	c->y = need(f, c->name, "y");
	c->dx = need(f, c->name, "dx");
}

/* The first element whose bits differ, or -1. */
static long first_bit_difference(const float *a, const float *b, long n)
{
	for (long i = 0; i < n; i++)
		if (memcmp(a + i, b + i, sizeof *a))
			return i;
	return -1;
}

static void check_bits(const char *what, const float *got, const float *want, long n)
{
	long i = first_bit_difference(got, want, n);
	if (i < 0)
		PASS("%s: equal to PyTorch's, bit for bit", what);
	else
		FAIL("%s: element %ld is %g, PyTorch's %g", what, i, (double)got[i], (double)want[i]);
}

/* The op of c on be: its output y and input gradient dx (host buffers). */
static void run_op(const backend *be, const kcase *c, float *y, float *dx, float *dx_inplace)
{
	long nx = tensor_numel(c->x), ny = tensor_numel(c->y);
	float *dev_x = be->alloc(nx * sizeof(float), "x"), *dev_y = be->alloc(ny * sizeof(float), "y");
	float *dev_dy = be->alloc(ny * sizeof(float), "dy"), *dev_dx = be->alloc(nx * sizeof(float), "dx");
	be->upload(dev_x, c->x->data, nx * sizeof(float));
	be->upload(dev_dy, c->dy->data, ny * sizeof(float));
	be->zero(dev_dx, nx * sizeof(float));
	if (!strcmp(c->name, "relu")) {
		be->relu_forward(nx, dev_x, dev_y);
		be->relu_backward(nx, dev_y, dev_dy, dev_dx);
		/* a relu that overwrote its input: the gradient in place */
		be->relu_backward_inplace(nx, dev_y, dev_dy);
		be->download(dx_inplace, dev_dy, nx * sizeof(float));
	} else if (!strncmp(c->name, "leakyrelu", 9)) {
		be->leakyrelu_forward(nx, c->slope, dev_x, dev_y);
		be->leakyrelu_backward(nx, c->slope, dev_x, dev_dy, dev_dx);
	} else {
		const int64_t *s = c->x->shape;
		pool_desc d = {(int)s[0], (int)s[1], (int)s[2], (int)s[3], c->k, c->stride, (int)c->y->shape[2],
			       (int)c->y->shape[3]};
		int32_t *arg = be->alloc(ny * sizeof(int32_t), "argmax");
		be->maxpool_forward(&d, dev_x, dev_y, arg);
		be->maxpool_backward(&d, dev_dy, arg, dev_dx);
		be->free(arg);
	}
	be->download(y, dev_y, ny * sizeof(float));
	be->download(dx, dev_dx, nx * sizeof(float));
	be->free(dev_x), be->free(dev_y), be->free(dev_dy), be->free(dev_dx);
}

/* The CUDA backend in result lines: "cuda", or "cuda (emulated)". */
static const char *gpu_label = "cuda";

static void run_case(const backend *be, const kcase *c)
{
	const char *bn = be->is_gpu ? gpu_label : be->name;
	long nx = tensor_numel(c->x), ny = tensor_numel(c->y);
	float *y = xmalloc(ny * sizeof *y), *dx = xmalloc(nx * sizeof *dx), *dxi = xmalloc(nx * sizeof *dxi);
	run_op(be, c, y, dx, dxi);
	char what[128];
	snprintf(what, sizeof what, "kinks %s %s: output", bn, c->name);
	check_bits(what, y, c->y->data, ny);
	snprintf(what, sizeof what, "kinks %s %s: input gradient", bn, c->name);
	if (c->k)   /* overlapping windows add in their own order */
		CHECK_CLOSE(what, dx, (const float *)c->dx->data, nx, 1e-6, 1e-6);
	else
		check_bits(what, dx, c->dx->data, nx);
	if (!strcmp(c->name, "relu")) {
		snprintf(what, sizeof what, "kinks %s relu: input gradient in place", bn);
		check_bits(what, dxi, c->dx->data, nx);
	}
	free(y), free(dx), free(dxi);
}

int main(int argc, char **argv)
{
	nn_prog = "test_kinks";
	const char *path = argc > 1 ? argv[1] : "tests/golden/kinks/ops.safetensors";
	st_file *f = st_read(path);
	const char *lines = st_meta(f, "cases");
	if (!lines)
		fatal("%s: no case list", path);
	const backend *be[2] = {&backend_cpu, NULL};
	const char *why = NULL;
	be[1] = backend_cuda_open(&why);
	if (!be[1] && !getenv("NN_CUDA_LIB"))
		cuda_emulated_rerun(argv);
	if (!be[1])
		SKIP("kinks cuda: NOT TESTABLE: %s", why);
	else if (cuda_is_emulated())
		gpu_label = "cuda (emulated)";
	backend_cpu.set_threads(1);
	char *copy = xstrdup(lines), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		kcase c;
		case_parse(f, line, &c);
		for (int b = 0; b < 2; b++)
			if (be[b])
				run_case(be[b], &c);
	}
	free(copy);
	st_free(f);
	return check_failures ? 1 : 0;
}
