/* memory.cu: the CUDA context (one stream, one cuBLAS handle), a caching
   allocator so that training allocates nothing after its first step, and
   host<->device copies. Small uploads (batch indices, transforms) go through
   a pinned staging ring so they queue on the stream without waiting for the
   device: the host only waits at downloads (the log points). */
#include "cuda_common.cuh"

#include <stdlib.h>
#include <string.h>

enum {
	STAGE_SLOTS = 64,
	STAGE_BYTES = 64 << 10,   /* uploads up to this size are staged */
	ALIGN = 512,
};

typedef struct cu_block {
	void *p;
	size_t size;
	int used;
} cu_block;

static struct {
	int ready;
	int tf32;
	cudaStream_t stream;
	cublasHandle_t blas;
	cu_block *blocks;
	int nblocks, cap;
	unsigned char *stage;          /* pinned, STAGE_SLOTS * STAGE_BYTES */
	cudaEvent_t stage_done[STAGE_SLOTS];
	int stage_next;
	void *scratch;
	size_t scratch_size;
} g;

static void cu_init(void)
{
	CUDA_CHECK(cudaStreamCreateWithFlags(&g.stream, cudaStreamNonBlocking));
	CUBLAS_CHECK(cublasCreate(&g.blas));
	CUBLAS_CHECK(cublasSetStream(g.blas, g.stream));
	CUBLAS_CHECK(cublasSetMathMode(g.blas, g.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
	CUDA_CHECK(cudaHostAlloc((void **)&g.stage, (size_t)STAGE_SLOTS * STAGE_BYTES, cudaHostAllocDefault));
	for (int i = 0; i < STAGE_SLOTS; i++)
		CUDA_CHECK(cudaEventCreateWithFlags(&g.stage_done[i], cudaEventDisableTiming));
	g.ready = 1;
}

cudaStream_t cu_stream(void)
{
	if (!g.ready)
		cu_init();
	return g.stream;
}

cublasHandle_t cu_blas(void)
{
	if (!g.ready)
		cu_init();
	return g.blas;
}

void cu_launch_sync(const char *kernel, const char *file, int line)
{
	static int sync = -1;
	if (sync < 0) {
		const char *e = getenv("NN_CUDA_SYNC");
		sync = e && *e && strcmp(e, "0") != 0;
	}
	if (!sync)
		return;
	cudaError_t err = cudaStreamSynchronize(cu_stream());
	if (err == cudaSuccess)
		err = cudaGetLastError();
	if (err != cudaSuccess)
		fatal("CUDA error at %s:%d: running %s (NN_CUDA_SYNC): %s", file, line, kernel, cudaGetErrorString(err));
}

void cuda_set_threads(int n) { (void)n; }

void cuda_set_precision(int tf32)
{
	g.tf32 = tf32;
	if (g.ready)
		CUBLAS_CHECK(cublasSetMathMode(g.blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

/* Returns every cached block that is not in use to the driver. A block
   freed here may still be read or written by work queued on the stream
   (cuda_free only marks it), and cudaFree is documented as "may"
   synchronise, not as waiting for it: so wait first. */
static void release_cached(void)
{
	CUDA_CHECK(cudaStreamSynchronize(g.stream));
	int k = 0;
	for (int i = 0; i < g.nblocks; i++) {
		if (g.blocks[i].used)
			g.blocks[k++] = g.blocks[i];
		else
			CUDA_CHECK(cudaFree(g.blocks[i].p));
	}
	g.nblocks = k;
}

void *cuda_alloc(size_t bytes, const char *what)
{
	cu_stream();
	size_t size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
	if (size == 0)
		size = ALIGN;
	/* a freed block of the same size: the stream orders its old and new uses */
	for (int i = 0; i < g.nblocks; i++)
		if (!g.blocks[i].used && g.blocks[i].size == size) {
			g.blocks[i].used = 1;
			return g.blocks[i].p;
		}
	void *p = NULL;
	cudaError_t err = cudaMalloc(&p, size);
	if (err == cudaErrorMemoryAllocation) {
		(void)cudaGetLastError();
		release_cached();
		err = cudaMalloc(&p, size);
	}
	if (err == cudaErrorMemoryAllocation) {
		(void)cudaGetLastError();
		size_t avail = 0, total = 0;
		CUDA_CHECK(cudaMemGetInfo(&avail, &total));
		fatal("out of device memory: %s needs %.1f MiB, %.1f MiB free (try a smaller --batch)", what,
		      bytes / 1048576.0, avail / 1048576.0);
	}
	CUDA_CHECK(err);
	if (g.nblocks == g.cap) {
		g.cap = g.cap ? 2 * g.cap : 64;
		g.blocks = (cu_block *)xrealloc(g.blocks, g.cap * sizeof *g.blocks);
	}
	g.blocks[g.nblocks++] = (cu_block){p, size, 1};
	return p;
}

void cuda_free(void *p)
{
	if (!p)
		return;
	for (int i = 0; i < g.nblocks; i++)
		if (g.blocks[i].p == p && g.blocks[i].used) {
			g.blocks[i].used = 0;
			return;
		}
	fatal("internal: freeing device memory that was not allocated here");
}

void *cu_scratch(size_t bytes)
{
	if (bytes > g.scratch_size) {
		cuda_free(g.scratch);
		g.scratch_size = bytes < (1 << 20) ? (1 << 20) : bytes;
		g.scratch = cuda_alloc(g.scratch_size, "scratch");
	}
	return g.scratch;
}

void cuda_upload(void *dst, const void *src, size_t bytes)
{
	cudaStream_t s = cu_stream();
	if (bytes == 0)
		return;
	if (bytes <= STAGE_BYTES) {
		/* the slot is free once the copy that last used it has run */
		int slot = g.stage_next;
		g.stage_next = (slot + 1) % STAGE_SLOTS;
		CUDA_CHECK(cudaEventSynchronize(g.stage_done[slot]));
		unsigned char *buf = g.stage + (size_t)slot * STAGE_BYTES;
		memcpy(buf, src, bytes);
		CUDA_CHECK(cudaMemcpyAsync(dst, buf, bytes, cudaMemcpyHostToDevice, s));
		CUDA_CHECK(cudaEventRecord(g.stage_done[slot], s));
		return;
	}
	CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
	CUDA_CHECK(cudaStreamSynchronize(s));
}

void cuda_download(void *dst, const void *src, size_t bytes)
{
	cudaStream_t s = cu_stream();
	if (bytes == 0)
		return;
	CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
	CUDA_CHECK(cudaStreamSynchronize(s));
}

void cuda_zero(void *p, size_t bytes)
{
	if (bytes)
		CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cu_stream()));
}

void cuda_sync(void)
{
	CUDA_CHECK(cudaStreamSynchronize(cu_stream()));
}
