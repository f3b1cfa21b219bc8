/* runtime.cc: the CUDA runtime for the emulation (README.md): device memory
   at tagged addresses that host code cannot read, streams whose work runs
   in order when the host waits for it, events, copies with the CUDA rules of
   when they read and write host memory, errors; and the few calls of the
   driver (libcuda) that lib/backend/backend.c asks before it opens the
   backend, so that this library serves as its own driver. */
#include "cuda_runtime.h"
#include "emu.h"

#include <execinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <memory>
#include <set>

struct emu_stream {
	std::deque<std::function<void()>> q;
};

struct emu_event {
	emu_stream *stream;   /* where it was last recorded */
	int pending;          /* recorded, not yet reached */
};

/* on the heap and never freed: LeakSanitizer's check at exit, after the
   destructors of static objects, then still finds the device memory that
   the backend holds through the map (its own pointers are tagged) */
static struct state {
	cudaError_t last;
	emu_stream default_stream;
	std::set<emu_stream *> streams;
	std::map<uintptr_t, size_t> device;   /* host address -> bytes */
	std::map<uintptr_t, size_t> pinned;   /* cudaHostAlloc's: address -> bytes */
	size_t used, total;
} &R = *new state();

uint64_t emu_seed(void)
{
	static uint64_t seed;
	if (!seed) {
		const char *s = getenv("NN_EMU_SEED");
		seed = s && *s ? strtoull(s, NULL, 0) : ((uint64_t)time(NULL) << 16 ^ (uint64_t)getpid()) % 1000000000;
		if (!seed)
			seed = 1;
	}
	return seed;
}

void emu_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kernels/emu: FAULT: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (emulated CUDA device, NN_EMU_SEED=%llu)\n", (unsigned long long)emu_seed());
	va_end(ap);
	fflush(stderr);
	abort();
}

void emu_set_error(cudaError_t err) { R.last = err; }

/* A fault in host code under the emulation is most likely a read or write
   through a device address (which x86-64 reports without the address): say
   so, with the stack, and die of the signal. Not where a handler is already
   set (AddressSanitizer's reports the fault itself). */
static void on_fault(int sig)
{
	static const char msg[] = "kernels/emu: FAULT: segmentation fault: host code reading or writing "
				  "device memory (device addresses are host addresses + 2^62) or a plain bad "
				  "pointer; the stack:\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		_exit(128 + sig);
	void *frames[32];
	backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((constructor)) static void install_fault_handler(void)
{
	struct sigaction old;
	if (sigaction(SIGSEGV, NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO))
		signal(SIGSEGV, on_fault);
}

static cudaError_t fail(cudaError_t err)
{
	R.last = err;
	return err;
}

/* ---- device memory ---- */

static size_t device_total(void)
{
	if (!R.total) {
		const char *s = getenv("NN_EMU_DEVICE_MB");
		R.total = (size_t)(s && *s ? strtoull(s, NULL, 10) : 8192) << 20;
	}
	return R.total;
}

void *emu_host_address(const void *p, const char *what, int index)
{
	if (!emu_is_device(p)) {
		if (index >= 0)
			emu_die("%s: argument %d is a host address (%p), not device memory", what, index + 1, p);
		emu_die("%s: %p is a host address, not device memory", what, p);
	}
	return (void *)((uintptr_t)p - EMU_TAG);
}

static void *device_address(void *host) { return (void *)((uintptr_t)host + EMU_TAG); }

cudaError_t cudaMalloc(void **p, size_t bytes)
{
	*p = NULL;
	if (bytes > device_total() - R.used)
		return fail(cudaErrorMemoryAllocation);
	void *h = NULL;
	if (posix_memalign(&h, 256, bytes ? bytes : 1))
		return fail(cudaErrorMemoryAllocation);
	/* device memory starts as garbage: NaN in every float and double */
	memset(h, 0xff, bytes);
	R.device[(uintptr_t)h] = bytes;
	R.used += bytes;
	*p = device_address(h);
	return cudaSuccess;
}

/* Does not wait for queued work, which a GPU's cudaFree may: what still
   uses the memory then reads freed memory, which AddressSanitizer reports. */
cudaError_t cudaFree(void *p)
{
	if (!p)
		return cudaSuccess;
	if (!emu_is_device(p))
		return fail(cudaErrorInvalidDevicePointer);
	void *h = emu_host_address(p, "cudaFree", -1);
	auto it = R.device.find((uintptr_t)h);
	if (it == R.device.end())
		return fail(cudaErrorInvalidDevicePointer);
	R.used -= it->second;
	R.device.erase(it);
	free(h);
	return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
	*total_bytes = device_total();
	*free_bytes = device_total() - R.used;
	return cudaSuccess;
}

cudaError_t cudaHostAlloc(void **p, size_t bytes, unsigned flags)
{
	(void)flags;
	*p = malloc(bytes ? bytes : 1);
	if (!*p)
		return fail(cudaErrorMemoryAllocation);
	R.pinned[(uintptr_t)*p] = bytes;
	return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p)
{
	if (p && !R.pinned.erase((uintptr_t)p))
		return fail(cudaErrorInvalidValue);
	free(p);
	return cudaSuccess;
}

/* whether [p, p+n) lies in memory from cudaHostAlloc */
static bool is_pinned(const void *p, size_t n)
{
	auto it = R.pinned.upper_bound((uintptr_t)p);
	if (it == R.pinned.begin())
		return false;
	--it;
	return (uintptr_t)p + n <= it->first + it->second;
}

/* ---- streams and events ---- */

static emu_stream *stream_of(cudaStream_t s) { return s ? s : &R.default_stream; }

void emu_enqueue(cudaStream_t s, std::function<void()> op) { stream_of(s)->q.push_back(std::move(op)); }

static void flush(emu_stream *s)
{
	while (!s->q.empty()) {
		std::function<void()> op = std::move(s->q.front());
		s->q.pop_front();
		op();
	}
}

void emu_flush_all(void)
{
	flush(&R.default_stream);
	for (emu_stream *s : R.streams)
		flush(s);
}

cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags)
{
	(void)flags;
	*s = new emu_stream;
	R.streams.insert(*s);
	return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t s)
{
	if (!R.streams.erase(s))
		return fail(cudaErrorInvalidResourceHandle);
	flush(s);
	delete s;
	return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
	if (s && !R.streams.count(s))
		return fail(cudaErrorInvalidResourceHandle);
	flush(stream_of(s));
	return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void)
{
	emu_flush_all();
	return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) { return cudaEventCreateWithFlags(e, cudaEventDefault); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags)
{
	(void)flags;
	*e = new emu_event{NULL, 0};
	return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t e)
{
	delete e;
	return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s)
{
	e->stream = stream_of(s);
	e->pending++;
	emu_enqueue(s, [e]() { e->pending--; });
	return cudaSuccess;
}

/* runs the event's stream up to the event's latest record, no further */
cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
	while (e->pending && !e->stream->q.empty()) {
		std::function<void()> op = std::move(e->stream->q.front());
		e->stream->q.pop_front();
		op();
	}
	return cudaSuccess;
}

/* ---- copies ---- */

static cudaError_t check_kind(void *dst, const void *src, cudaMemcpyKind *kind)
{
	bool dd = emu_is_device(dst), sd = emu_is_device(src);
	if (*kind == cudaMemcpyDefault)
		*kind = sd ? (dd ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost)
			   : (dd ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost);
	bool want_dd = *kind == cudaMemcpyHostToDevice || *kind == cudaMemcpyDeviceToDevice;
	bool want_sd = *kind == cudaMemcpyDeviceToHost || *kind == cudaMemcpyDeviceToDevice;
	if ((unsigned)*kind > cudaMemcpyDefault)
		return fail(cudaErrorInvalidMemcpyDirection);
	if (dd != want_dd || sd != want_sd)
		return fail(cudaErrorInvalidValue);
	return cudaSuccess;
}

static void *host_of(const void *p) { return emu_is_device(p) ? emu_host_address(p, "copy", -1) : (void *)p; }

/* As CUDA: from pageable host memory the source is read before the call
   returns, from pinned memory when the copy runs; into pageable memory the
   call returns when the copy is done (its stream run up to it), into pinned
   memory the copy runs in its turn. */
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s)
{
	cudaError_t err = check_kind(dst, src, &kind);
	if (err || !bytes)
		return err;
	char *d = (char *)host_of(dst);
	const char *h = (const char *)host_of(src);
	if (kind == cudaMemcpyHostToDevice && !is_pinned(src, bytes)) {
		std::shared_ptr<char> copy(new char[bytes], std::default_delete<char[]>());
		memcpy(copy.get(), h, bytes);
		emu_enqueue(s, [d, copy, bytes]() { memcpy(d, copy.get(), bytes); });
		return cudaSuccess;
	}
	emu_enqueue(s, [d, h, bytes]() { memcpy(d, h, bytes); });
	if (kind == cudaMemcpyDeviceToHost && !is_pinned(dst, bytes))
		flush(stream_of(s));
	return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind)
{
	cudaError_t err = check_kind(dst, src, &kind);
	if (err || !bytes)
		return err;
	emu_flush_all();
	memcpy(host_of(dst), host_of(src), bytes);
	return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s)
{
	if (!emu_is_device(p))
		return fail(cudaErrorInvalidValue);
	char *d = (char *)host_of(p);
	emu_enqueue(s, [d, value, bytes]() { memset(d, value, bytes); });
	return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int value, size_t bytes)
{
	cudaError_t err = cudaMemsetAsync(p, value, bytes, 0);
	emu_flush_all();
	return err;
}

/* ---- device, errors ---- */

cudaError_t cudaGetDeviceCount(int *n)
{
	*n = 1;
	return cudaSuccess;
}

cudaError_t cudaSetDevice(int dev) { return dev == 0 ? cudaSuccess : fail(cudaErrorInvalidValue); }

cudaError_t cudaGetDevice(int *dev)
{
	*dev = 0;
	return cudaSuccess;
}

cudaError_t cudaGetLastError(void)
{
	cudaError_t e = R.last;
	R.last = cudaSuccess;
	return e;
}

cudaError_t cudaPeekAtLastError(void) { return R.last; }

static const struct {
	cudaError_t err;
	const char *name, *text;
} errors[] = {
	{cudaSuccess, "cudaSuccess", "no error"},
	{cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
	{cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
	{cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
	{cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration", "invalid configuration argument"},
	{cudaErrorInvalidDevicePointer, "cudaErrorInvalidDevicePointer", "invalid device pointer"},
	{cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"},
	{cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
	{cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
	{cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
};

const char *cudaGetErrorName(cudaError_t err)
{
	for (auto &e : errors)
		if (e.err == err)
			return e.name;
	return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t err)
{
	for (auto &e : errors)
		if (e.err == err)
			return e.text;
	return "unrecognized error code";
}

/* ---- the driver calls of lib/backend/backend.c: a symbolic link named
   libcuda.so.1 to this library, found through LD_LIBRARY_PATH, stands in
   for the driver (tests only) ---- */

#define DRIVER extern "C" __attribute__((visibility("default")))

DRIVER int cuInit(unsigned flags)
{
	(void)flags;
	return 0;
}

DRIVER int cuDeviceGetCount(int *n)
{
	*n = 1;
	return 0;
}

DRIVER int cuGetErrorString(int err, const char **msg)
{
	*msg = err ? "emulated driver error" : "no error";
	return 0;
}

DRIVER int cuDeviceGet(int *dev, int ordinal)
{
	*dev = ordinal;
	return ordinal == 0 ? 0 : 101;
}

DRIVER int cuDeviceGetName(char *name, int len, int dev)
{
	(void)dev;
	snprintf(name, (size_t)len, "emulated CUDA device (CPU, kernels/emu, NN_EMU_SEED=%llu)",
		 (unsigned long long)emu_seed());
	return 0;
}
