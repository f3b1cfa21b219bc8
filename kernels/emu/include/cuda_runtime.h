/* cuda_runtime.h of the emulation (kernels/emu/README.md): what the CUDA
   sources in kernels/ use of the CUDA language and runtime, for the host C++
   compiler. The build's rewrite step (emu-rewrite.sed) has already turned
   `kernel<<<grid, block, shared, stream>>>(args)` into EMU_LAUNCH(...) and
   `__shared__ T name[n];` into EMU_SHARED(...). */
#ifndef NN_EMU_CUDA_RUNTIME_H
#define NN_EMU_CUDA_RUNTIME_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

/* ---- the language ---- */

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
/* a __shared__ declaration the rewrite step did not recognise */
#define __shared__ static_assert(false, "kernels/emu: only `__shared__ T name[n];` is emulated");

struct uint3 {
	unsigned x, y, z;
};

struct dim3 {
	unsigned x, y, z;
	dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(16) float4 {
	float x, y, z, w;
};

/* the running thread's coordinates, set by the scheduler (launch.cc) */
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }

/* Blocks run one at a time on one host thread and their threads switch
   only at barriers and shuffles, so these read-modify-writes are atomic. */
static inline float atomicAdd(float *p, float v)
{
	float old = *p;
	*p = old + v;
	return old;
}
static inline double atomicAdd(double *p, double v)
{
	double old = *p;
	*p = old + v;
	return old;
}

void __syncthreads(void);
/* the warp's exchange: every lane named in mask deposits 8 bytes and waits
   for the others; returns what lane + delta deposited (its own past the warp) */
uint64_t emu_shfl_down(unsigned mask, uint64_t v, unsigned delta, int width);

template <typename T> static inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32)
{
	static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "kernels/emu: shuffle of a type over 8 bytes");
	uint64_t bits = 0;
	memcpy(&bits, &v, sizeof v);
	bits = emu_shfl_down(mask, bits, delta, width);
	memcpy(&v, &bits, sizeof v);
	return v;
}

/* __shared__ T name[n]: one array per block, allocated when its first
   thread reaches the declaration, its bytes 0xff (NaN) until written */
struct emu_shared_site {
	const char *name, *file;
	int line;
};
void *emu_shared(const emu_shared_site *site, size_t bytes, size_t align);
#define EMU_SHARED(T, name, n)                                                                  \
	static const emu_shared_site name##_site_ = {#name, __FILE__, __LINE__};                \
	T *name = (T *)emu_shared(&name##_site_, sizeof(T) * (size_t)(n), alignof(T))

/* ---- the runtime ---- */

typedef enum cudaError {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInitializationError = 3,
	cudaErrorInvalidConfiguration = 9,
	cudaErrorInvalidDevicePointer = 17,
	cudaErrorInvalidMemcpyDirection = 21,
	cudaErrorNoDevice = 100,
	cudaErrorInvalidResourceHandle = 400,
	cudaErrorLaunchFailure = 719,
} cudaError_t;

typedef enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
} cudaMemcpyKind;

enum {
	cudaStreamDefault = 0,
	cudaStreamNonBlocking = 1,
	cudaHostAllocDefault = 0,
	cudaEventDefault = 0,
	cudaEventDisableTiming = 2,
};

typedef struct emu_stream *cudaStream_t;
typedef struct emu_event *cudaEvent_t;

struct cudaFuncAttributes {
	size_t sharedSizeBytes, constSizeBytes, localSizeBytes;
	int maxThreadsPerBlock, numRegs, ptxVersion, binaryVersion;
};

const char *cudaGetErrorString(cudaError_t err);
const char *cudaGetErrorName(cudaError_t err);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaHostAlloc(void **p, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s = 0);
cudaError_t cudaMemset(void *p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s = 0);
cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t e);

/* every kernel exists for the host (there is no device code to lack) */
template <typename F> static inline cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, F *f)
{
	(void)f;
	memset(a, 0, sizeof *a);
	a->maxThreadsPerBlock = 1024;
	return cudaSuccess;
}

/* ---- the emulation's side of the runtime (runtime.cc) ---- */

/* device addresses are host addresses moved by EMU_TAG (README.md) */
enum : uint64_t { EMU_TAG = (uint64_t)1 << 62, EMU_TAG_MASK = (uint64_t)3 << 62 };
static inline bool emu_is_device(const void *p) { return ((uintptr_t)p & EMU_TAG_MASK) == EMU_TAG; }
/* the host address behind device address p; dies naming what when p is a
   host address (what, index: for the message) */
void *emu_host_address(const void *p, const char *what, int index);

/* work queued on a stream runs in order at the next synchronising call */
void emu_enqueue(cudaStream_t s, std::function<void()> op);
void emu_set_error(cudaError_t err);

/* ---- kernel launches (launch.cc) ---- */

struct emu_launch_site {
	const char *kernel, *file;
	int line;
};
/* checks the configuration (dies loudly on a violation, as a launch error);
   false when the kernel must not run */
bool emu_launch_check(const emu_launch_site &site, dim3 grid, dim3 block, size_t shared);

/* The threads of a block in the order they run without fibers: thread
   numbers (a*i + b) mod n for i = 0..n-1, a prime to n. */
struct emu_order {
	unsigned n, a, b;
	dim3 block;
};
static inline void emu_set_thread(const dim3 &block, unsigned t)
{
	threadIdx.x = t % block.x;
	threadIdx.y = t / block.x % block.y;
	threadIdx.z = t / (block.x * block.y);
}
/* Runs the launch (on the stream's turn): thread runs the current thread
   (on a fiber), block every thread of the current block in an order. */
void emu_launch(const emu_launch_site &site, dim3 grid, dim3 block, cudaStream_t s, std::function<void()> thread,
		std::function<void(const emu_order &)> block_plain);

template <typename T> static inline T emu_arg(T v, const char *, int) { return v; }
template <typename T> static inline T *emu_arg(T *p, const char *kernel, int index)
{
	return p ? (T *)emu_host_address(p, kernel, index) : p;
}

template <typename... P> struct emu_launcher {
	void (*fn)(P...);
	emu_launch_site site;
	dim3 grid, block;
	size_t shared;
	cudaStream_t stream;

	template <typename... A> void operator()(A &&...a) const
	{
		static_assert(sizeof...(A) == sizeof...(P), "kernels/emu: wrong number of kernel arguments");
		if (!emu_launch_check(site, grid, block, shared))
			return;
		call(std::index_sequence_for<P...>{}, std::forward<A>(a)...);
	}

	template <size_t... I, typename... A> void call(std::index_sequence<I...>, A &&...a) const
	{
		/* the arguments as the kernel's parameters, by value, device
		   addresses turned into the host addresses the kernel reads */
		std::tuple<typename std::decay<P>::type...> args(
			emu_arg((typename std::decay<P>::type)(std::forward<A>(a)), site.kernel, (int)I)...);
		void (*f)(P...) = fn;
		emu_launch(site, grid, block, stream, [f, args]() { f(std::get<I>(args)...); },
			   [f, args](const emu_order &o) {
				   unsigned t = o.b;
				   for (unsigned i = 0; i < o.n; i++) {
					   emu_set_thread(o.block, t);
					   f(std::get<I>(args)...);
					   t += o.a;
					   if (t >= o.n)
						   t -= o.n;
				   }
			   });
	}
};

template <typename... P>
static inline emu_launcher<P...> emu_make_launcher(void (*fn)(P...), const char *kernel, const char *file, int line,
						    dim3 grid, dim3 block, size_t shared = 0, cudaStream_t s = 0)
{
	return emu_launcher<P...>{fn, {kernel, file, line}, grid, block, shared, s};
}

#define EMU_LAUNCH(kernel, ...) emu_make_launcher(kernel, #kernel, __FILE__, __LINE__, __VA_ARGS__)

#endif
