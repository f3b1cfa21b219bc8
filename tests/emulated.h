/* emulated.h: for the test programs that run the CUDA backend: where no GPU
   is, the same program once more on the CUDA sources under the CPU
   emulation (kernels/emu/). */
#ifndef NN_TEST_EMULATED_H
#define NN_TEST_EMULATED_H

#include "backend/backend.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs this program again under the emulation when there is no device:
   NN_CUDA_LIB names the emulated module and LD_LIBRARY_PATH its stand-in
   driver (libcuda.so.1), which the loader reads only as a program starts.
   Returns (without running it) when the module is not there. */
static void cuda_emulated_rerun(char **argv)
{
	char *dir = exe_dir();
	if (!dir)
		return;
	size_t n = strlen(dir) + 64;
	char *lib = xmalloc(n), *drv = xmalloc(n);
	snprintf(lib, n, "%s/../emu/libnnpipe-cuda-emu.so", dir);
	snprintf(drv, n, "%s/../emu/driver", dir);
	if (access(lib, R_OK) == 0) {
		const char *old = getenv("LD_LIBRARY_PATH");
		char *path = xmalloc(strlen(drv) + (old ? strlen(old) : 0) + 2);
		sprintf(path, "%s%s%s", drv, old && *old ? ":" : "", old && *old ? old : "");
		setenv("LD_LIBRARY_PATH", path, 1);
		setenv("NN_CUDA_LIB", lib, 1);
		/* the emulation runs on this thread: the CPU backend's idle
		   OpenMP threads must not spin against it for the cores */
		setenv("OMP_WAIT_POLICY", "passive", 0);
		fflush(stdout);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "%s: cannot run itself again under the emulation\n", nn_prog);
	}
	free(lib), free(drv), free(dir);
}

/* Whether the CUDA backend's device is the emulation. */
static int cuda_is_emulated(void)
{
	const char *name = backend_gpu_name();
	return name && !strncmp(name, "emulated", 8);
}

#endif
