/* backend.c: choosing a backend at run time (--device auto|cpu|cuda). */
#include "backend.h"
#include "util.h"

#include <string.h>

const backend *backend_get(const char *name)
{
	if (!name || !strcmp(name, "auto")) {
#ifdef NN_CUDA
		if (cuda_device_count() > 0)
			return &backend_cuda;
#endif
		return &backend_cpu;
	}
	if (!strcmp(name, "cpu"))
		return &backend_cpu;
	if (!strcmp(name, "cuda")) {
#ifdef NN_CUDA
		if (cuda_device_count() > 0)
			return &backend_cuda;
		fatal("--device cuda: no CUDA device found (use --device cpu or auto)");
#else
		fatal("--device cuda: this build has no CUDA support (nvcc was not found at build time)");
#endif
	}
	usage_error("--device: unknown device '%s' (auto, cpu or cuda)", name);
}
