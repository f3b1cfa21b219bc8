/* backend.c: choosing a backend at run time (--device auto|cpu|cuda), and
   opening the CUDA backend's shared object only when it may be used, so that
   a tool that runs on the CPU never maps the CUDA libraries. */
#include "backend/backend.h"
#include "base/util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	int tried;
	int devices;   /* the library's answer: > 0 usable, 0 none, -1 unusable */
	const backend *be;
	char why[1024];
} cuda;

/* dlopen's answer for path; its message in cuda.why when it fails */
static void *open_library(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		snprintf(cuda.why, sizeof cuda.why, "%s", dlerror());
	return h;
}

/* The path of the library: NN_CUDA_LIB when set; else beside the program,
   then in ../lib/nnpipe from its folder (where `make install` puts it), the
   first that exists. NULL (and cuda.why) when neither does. */
static char *library_path(void)
{
	const char *env = getenv("NN_CUDA_LIB");
	if (env && *env)
		return xstrdup(env);
	char *dir = exe_dir(), *path = NULL;
	if (!dir) {
		snprintf(cuda.why, sizeof cuda.why, "/proc/self/exe: cannot read it to look for %s beside the program",
			 BACKEND_CUDA_LIB);
		return NULL;
	}
	const char *sub[] = {"", "/../lib/nnpipe"};
	for (int i = 0; i < 2 && !path; i++) {
		size_t n = strlen(dir) + strlen(sub[i]) + strlen(BACKEND_CUDA_LIB) + 2;
		path = xmalloc(n);
		snprintf(path, n, "%s%s/%s", dir, sub[i], BACKEND_CUDA_LIB);
		if (access(path, F_OK) != 0) {
			free(path);
			path = NULL;
		}
	}
	if (!path)
		snprintf(cuda.why, sizeof cuda.why, "no %s in %s nor in %s/../lib/nnpipe (built without nvcc?)",
			 BACKEND_CUDA_LIB, dir, dir);
	free(dir);
	return path;
}

/* Whether the CUDA driver has a device, asked of the driver (libcuda.so.1,
   small) before the backend's library is opened: cuBLAS costs some 200 MB
   of resident memory as it loads, which a machine without a GPU need not
   pay. Says why (cuda.why) when not. */
static int driver_has_device(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(cuda.why, sizeof cuda.why,
			 "no NVIDIA driver found (%s): install the NVIDIA driver for the GPU (nvidia-smi then lists "
			 "it), or run on the CPU with --device cpu", dlerror());
		return 0;
	}
	int (*init)(unsigned) = (int (*)(unsigned))dlsym(h, "cuInit");
	int (*count)(int *) = (int (*)(int *))dlsym(h, "cuDeviceGetCount");
	int (*errstr)(int, const char **) = (int (*)(int, const char **))dlsym(h, "cuGetErrorString");
	if (!init || !count || !errstr) {
		snprintf(cuda.why, sizeof cuda.why, "libcuda.so.1: not a CUDA driver (no cuInit, cuDeviceGetCount)");
		return 0;
	}
	int n = 0, err = init(0);
	if (!err)
		err = count(&n);
	if (err) {
		const char *msg = NULL;
		errstr(err, &msg);
		snprintf(cuda.why, sizeof cuda.why, "CUDA driver: %s", msg ? msg : "unknown error");
		return 0;
	}
	if (n <= 0)
		snprintf(cuda.why, sizeof cuda.why,
			 "the NVIDIA driver sees no GPU (nvidia-smi lists what it sees): run on the CPU with --device cpu");
	/* the driver stays loaded: the CUDA runtime uses the same one */
	return n > 0;
}

const backend *backend_cuda_open(const char **why)
{
	if (!cuda.tried) {
		cuda.tried = 1;
		char *path = library_path();
		void *h = path && driver_has_device() ? open_library(path) : NULL;
		backend_cuda_entry *entry = h ? (backend_cuda_entry *)dlsym(h, BACKEND_CUDA_ENTRY) : NULL;
		if (h && !entry)
			snprintf(cuda.why, sizeof cuda.why, "%s", dlerror());
		if (entry) {
			const char *msg = NULL;
			const backend *be = entry(sizeof(backend), &cuda.devices, &msg);
			if (be && cuda.devices > 0)
				cuda.be = be;
			else
				snprintf(cuda.why, sizeof cuda.why, "%s", msg ? msg : "no CUDA device");
		}
		/* the library stays open: its table is used until the program ends */
		free(path);
	}
	if (!cuda.be && why)
		*why = cuda.why;
	return cuda.be;
}

const char *backend_conv = "auto";

const backend *backend_get(const char *name)
{
	const char *why;
	if (!name || !strcmp(name, "auto")) {
		const backend *be = backend_cuda_open(&why);
		/* the tests' emulation of a GPU (kernels/emu/), whose driver names
		   its device so, is had only by asking for cuda */
		const char *gpu = be ? backend_gpu_name() : NULL;
		if (be && !(gpu && !strncmp(gpu, "emulated", 8)))
			return be;
		/* no library or no device is the CPU machine's normal state; a
		   device that this build cannot drive is worth a word */
		if (cuda.devices < 0)
			note("%s; using the CPU", why);
		return &backend_cpu;
	}
	if (!strcmp(name, "cpu"))
		return &backend_cpu;
	if (!strcmp(name, "cuda")) {
		const backend *be = backend_cuda_open(&why);
		if (!be)
			fatal("--device cuda: %s", why);
		return be;
	}
	usage_error("--device: unknown device '%s' (auto, cpu or cuda)", name);
}

const char *backend_gpu_name(void)
{
	static char name[128];
	void *h = cuda.be ? open_library("libcuda.so.1") : NULL;
	int (*get)(int *, int) = h ? (int (*)(int *, int))dlsym(h, "cuDeviceGet") : NULL;
	int (*get_name)(char *, int, int) = h ? (int (*)(char *, int, int))dlsym(h, "cuDeviceGetName") : NULL;
	int dev;
	if (!get || !get_name || get(&dev, 0) || get_name(name, (int)sizeof name, dev))
		return NULL;
	return name;
}

int backend_supports(const backend *be, backend_op op)
{
	switch (op) {
	case BACKEND_SYNC_BATCHNORM: return be->batchnorm_forward_sync && be->batchnorm_backward_sync;
	case BACKEND_DEVICE_SUM: return be->comm_id && be->comm_open && be->comm_sum;
	}
	return 0;
}

const char *backend_op_name(backend_op op)
{
	switch (op) {
	case BACKEND_SYNC_BATCHNORM: return "synchronised batch norm";
	case BACKEND_DEVICE_SUM: return "sum across processes in device memory";
	}
	return "unknown operation";
}
