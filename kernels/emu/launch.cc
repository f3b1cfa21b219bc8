/* launch.cc: running a kernel's launch on the CPU (README.md). Every block
   runs, one at a time, in a shuffled order; within a block the threads of a
   kernel that meets no barrier are plain calls, in a shuffled order, and
   those of one that does (__syncthreads, a warp shuffle) are fibers that
   run, in a freshly shuffled order each time, until they reach the barrier,
   where they wait for the others. __shared__ arrays are the block's own. */
#include "cuda_runtime.h"
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <unordered_set>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#endif
#ifdef EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

enum {
	MAX_THREADS = 1024,
	MAX_SHARED = 48 << 10,
	WARP = 32,
#ifdef EMU_ASAN
	STACK_BYTES = 512 << 10,
#else
	STACK_BYTES = 128 << 10,
#endif
};

/* ---- the thread order: xorshift64*, seeded by emu_seed() ---- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	if (!rnd_state)
		rnd_state = emu_seed() * 2 + 1;
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545F4914F6CDD1Dull;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* a random permutation of 0..n-1 as i -> (a*i + b) mod n, a prime to n:
   cheap enough for every block of a launch and every thread of a block */
struct affine {
	uint64_t n, a, b;
	affine(uint64_t n_) : n(n_), a(1), b(0)
	{
		if (n < 2)
			return;
		do
			a = rnd() % n;
		while (a == 0 || gcd(a, n) != 1);
		b = rnd() % n;
	}
	uint64_t operator()(uint64_t i) const { return (a * i + b) % n; }
};

/* ---- the running launch ---- */

enum thread_state { RUNNABLE, AT_BARRIER, AT_WARP, DONE };

/* ---- fibers: a context is a stack and the registers a call preserves ---- */

#if defined(__x86_64__)
/* Saves the callee-saved registers on the current stack and the stack
   pointer in *from, and goes on where the stack pointer to was saved. In
   assembly, as setjmp and longjmp cost a system call (swapcontext) or an
   unwinding and AddressSanitizer's unpoisoning of the whole stack (longjmp)
   at every barrier of every thread. */
extern "C" void emu_stack_switch(void **from, void *to);
asm(".text\n"
    ".globl emu_stack_switch\n"
    ".hidden emu_stack_switch\n"
    ".type emu_stack_switch, @function\n"
    "emu_stack_switch:\n"
    "\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
    "\tmovq %rsp, (%rdi)\n"
    "\tmovq %rsi, %rsp\n"
    "\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
    "\tret\n"
    ".size emu_stack_switch, .-emu_stack_switch\n");

struct context {
	void *sp;
};

/* a context that starts fn (which never returns) on the stack */
static void context_make(context *c, char *stack, size_t size, void (*fn)(void))
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	void **sp = (void **)(top - 64);
	for (int i = 0; i < 6; i++)
		sp[i] = NULL;   /* the registers emu_stack_switch pops */
	sp[6] = (void *)fn;    /* where its ret goes, leaving the stack as a call would */
	sp[7] = NULL;
	c->sp = sp;
}

static void context_switch(context *from, context *to) { emu_stack_switch(&from->sp, to->sp); }
#else
struct context {
	ucontext_t uc;
};

static void context_make(context *c, char *stack, size_t size, void (*fn)(void))
{
	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = stack;
	c->uc.uc_stack.ss_size = size;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, fn, 0);
}

static void context_switch(context *from, context *to) { swapcontext(&from->uc, &to->uc); }
#endif

struct fiber {
	context ctx;
	char *stack;
#ifdef EMU_ASAN
	void *fake_stack;
#endif
};

static struct {
	const emu_launch_site *site;
	const std::function<void()> *body;   /* the current thread */
	const std::function<void(const emu_order &)> *block_plain;
	uint3 block;
	int nthreads;
	/* fibers: whether this block runs its threads on them */
	int fibers;
	int barriers;   /* a barrier or shuffle was reached in this block */
	std::vector<uint3> idx;
	std::vector<int> state;
	std::vector<unsigned> warp_mask;   /* the mask each waiting lane gave */
	std::vector<uint64_t> shfl_in, shfl_out;
	std::vector<unsigned> shfl_delta;
	std::vector<int> warp_waiting, warp_live;   /* per warp: lanes at a shuffle, lanes not finished */
	int current;
	/* the block's __shared__ arrays */
	struct shared_array {
		const emu_shared_site *site;
		void *p;
	};
	std::vector<shared_array> shared;
	size_t shared_bytes;
} L;

/* kernels seen to reach a barrier: their every block runs on fibers */
static std::unordered_set<const void *> barrier_kernels;

static fiber fibers[MAX_THREADS];
static context sched;
#ifdef EMU_ASAN
static void *sched_fake_stack;
static const void *sched_stack_bottom;
static size_t sched_stack_size;
#endif

static void where(char *buf, size_t n)
{
	snprintf(buf, n, "%s (%s:%d), block (%u,%u,%u), thread (%u,%u,%u)", L.site->kernel, L.site->file, L.site->line,
		 blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z);
}

[[noreturn]] static void die(const char *what)
{
	char w[512];
	where(w, sizeof w);
	emu_die("%s: %s", w, what);
}

static void set_thread(int t)
{
	L.current = t;
	threadIdx = L.idx[t];
}

/* from a fiber back to the scheduler, to be resumed later */
static void fiber_yield(void)
{
	fiber *f = &fibers[L.current];
#ifdef EMU_ASAN
	__sanitizer_start_switch_fiber(&f->fake_stack, sched_stack_bottom, sched_stack_size);
#endif
	context_switch(&f->ctx, &sched);
#ifdef EMU_ASAN
	__sanitizer_finish_switch_fiber(f->fake_stack, NULL, NULL);
#endif
}

/* a fiber's life: the threads that the scheduler gives it, one after another */
static void fiber_main(void)
{
#ifdef EMU_ASAN
	__sanitizer_finish_switch_fiber(NULL, &sched_stack_bottom, &sched_stack_size);
#endif
	for (;;) {
		(*L.body)();
		L.state[L.current] = DONE;
		fiber_yield();
	}
}

/* from the scheduler into fiber i, running thread t, until it yields */
static void fiber_resume(int i, int t)
{
	fiber *f = &fibers[i];
	set_thread(t);
	if (!f->stack) {
		void *s = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (s == MAP_FAILED)
			emu_die("no memory for a fiber's stack");
		f->stack = (char *)s;
		context_make(&f->ctx, f->stack, STACK_BYTES, fiber_main);
	}
#ifdef EMU_ASAN
	__sanitizer_start_switch_fiber(&sched_fake_stack, f->stack, STACK_BYTES);
#endif
	context_switch(&sched, &f->ctx);
#ifdef EMU_ASAN
	__sanitizer_finish_switch_fiber(sched_fake_stack, NULL, NULL);
#endif
}

/* ---- barriers ---- */

void __syncthreads(void)
{
	if (!L.fibers)
		die("__syncthreads in a block run without fibers (block 0 of the launch reached no barrier)");
	L.barriers = 1;
	L.state[L.current] = AT_BARRIER;
	fiber_yield();
}

uint64_t emu_shfl_down(unsigned mask, uint64_t v, unsigned delta, int width)
{
	if (!L.fibers)
		die("a warp shuffle in a block run without fibers (block 0 of the launch reached no barrier)");
	if (width != WARP)
		die("a shuffle of width other than 32 (not emulated)");
	int t = L.current;
	L.barriers = 1;
	L.shfl_in[t] = v;
	L.shfl_delta[t] = delta;
	L.warp_mask[t] = mask;
	L.state[t] = AT_WARP;
	fiber_yield();
	return L.shfl_out[t];
}

/* Lane t has reached a shuffle: when it completes its warp (every lane
   that has not finished is there), the warp's values are exchanged and its
   lanes may run again. The mask must name exactly the warp's live lanes: a
   lane named that has finished is divergence, as is one left out. */
static void warp_arrive(int t, std::vector<int> &ready)
{
	int w0 = t / WARP * WARP, n = L.nthreads - w0 < WARP ? L.nthreads - w0 : WARP;
	if (++L.warp_waiting[t / WARP] < L.warp_live[t / WARP])
		return;
	unsigned mask = L.warp_mask[t], live = 0;
	for (int l = 0; l < n; l++)
		if (L.state[w0 + l] != DONE)
			live |= 1u << l;
	for (int l = 0; l < n; l++)
		if (L.state[w0 + l] == AT_WARP && L.warp_mask[w0 + l] != mask) {
			set_thread(w0 + l);
			die("lanes of a warp shuffle with different masks");
		}
	if (mask != live) {
		set_thread(t);
		die(mask & ~live ? "a warp shuffle's mask names a lane that has exited or is past the block's end"
				 : "a lane at a warp shuffle that its mask leaves out");
	}
	for (int l = 0; l < n; l++) {
		int u = w0 + l;
		if (L.state[u] != AT_WARP)
			continue;
		unsigned src = l + L.shfl_delta[u];
		L.shfl_out[u] = src < (unsigned)n ? L.shfl_in[w0 + src] : L.shfl_in[u];
		L.state[u] = RUNNABLE;
		ready.push_back(u);
	}
	L.warp_waiting[t / WARP] = 0;
}

/* ---- __shared__ ---- */

void *emu_shared(const emu_shared_site *site, size_t bytes, size_t align)
{
	for (auto &a : L.shared)
		if (a.site == site)
			return a.p;
	L.shared_bytes += bytes;
	if (L.shared_bytes > MAX_SHARED) {
		char w[160];
		snprintf(w, sizeof w, "__shared__ %s (%s:%d) brings the block's static shared memory to %zu bytes, over %d",
			 site->name, site->file, site->line, L.shared_bytes, (int)MAX_SHARED);
		die(w);
	}
	size_t a = align < sizeof(void *) ? sizeof(void *) : align;
	void *p = NULL;
	if (posix_memalign(&p, a, bytes ? bytes : 1))
		emu_die("no memory for __shared__ %s", site->name);
	memset(p, 0xff, bytes);
	L.shared.push_back({site, p});
	return p;
}

static void shared_release(void)
{
	for (auto &a : L.shared)
		free(a.p);
	L.shared.clear();
	L.shared_bytes = 0;
}

/* ---- a block ---- */

static void run_block_plain(void)
{
	affine order(L.nthreads);
	(*L.block_plain)(emu_order{(unsigned)L.nthreads, (unsigned)order.a, (unsigned)order.b, blockDim});
}

static void run_block_fibers(void)
{
	static std::vector<int> ready, next;
	int nwarps = (L.nthreads + WARP - 1) / WARP, live = L.nthreads, at_barrier = 0;
	L.warp_waiting.assign(nwarps, 0);
	L.warp_live.assign(nwarps, 0);
	ready.clear();
	for (int t = 0; t < L.nthreads; t++) {
		L.state[t] = RUNNABLE;
		L.warp_live[t / WARP]++;
		ready.push_back(t);
	}
	while (live) {
		if (ready.empty()) {
			if (at_barrier != live) {
				for (int t = 0; t < L.nthreads; t++)
					if (L.state[t] == AT_WARP)
						set_thread(t);
				die("deadlock: threads wait at __syncthreads while others wait at a warp shuffle");
			}
			for (int t = 0; t < L.nthreads; t++)
				if (L.state[t] == AT_BARRIER) {
					L.state[t] = RUNNABLE;
					ready.push_back(t);
				}
			at_barrier = 0;
		}
		/* a fresh order each time the threads run between barriers */
		for (size_t i = ready.size(); i > 1; i--) {
			size_t j = rnd() % i;
			int tmp = ready[i - 1];
			ready[i - 1] = ready[j];
			ready[j] = tmp;
		}
		next.clear();
		/* thread t always resumes on fiber t: its stack holds its frames */
		for (int t : ready) {
			fiber_resume(t, t);
			switch (L.state[t]) {
			case DONE:
				live--;
				if (--L.warp_live[t / WARP] && L.warp_waiting[t / WARP] == L.warp_live[t / WARP]) {
					/* the warp's last lane to arrive has exited: its waiting
					   lanes' mask names it, which warp_arrive reports */
					L.warp_waiting[t / WARP]--;
					int w0 = t / WARP * WARP;
					while (L.state[w0] != AT_WARP)
						w0++;
					warp_arrive(w0, next);
				}
				break;
			case AT_BARRIER: at_barrier++; break;
			case AT_WARP: warp_arrive(t, next); break;
			case RUNNABLE: break;
			}
		}
		ready.swap(next);
	}
}

bool emu_launch_check(const emu_launch_site &site, dim3 grid, dim3 block, size_t shared)
{
	char why[200] = "";
	uint64_t threads = (uint64_t)block.x * block.y * block.z;
	if (!grid.x || !grid.y || !grid.z)
		snprintf(why, sizeof why, "a grid of (%u,%u,%u) blocks: none", grid.x, grid.y, grid.z);
	else if (!threads)
		snprintf(why, sizeof why, "blocks of (%u,%u,%u) threads: none", block.x, block.y, block.z);
	else if (threads > MAX_THREADS || block.z > 64)
		snprintf(why, sizeof why, "blocks of (%u,%u,%u) = %llu threads (at most %d, z at most 64)", block.x,
			 block.y, block.z, (unsigned long long)threads, (int)MAX_THREADS);
	else if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
		snprintf(why, sizeof why, "a grid of (%u,%u,%u) blocks (x at most 2^31-1, y and z at most 65535)", grid.x,
			 grid.y, grid.z);
	else if (shared > MAX_SHARED)
		snprintf(why, sizeof why, "%zu bytes of dynamic shared memory (at most %d)", shared, (int)MAX_SHARED);
	if (!*why)
		return true;
	fprintf(stderr, "kernels/emu: LAUNCH REFUSED: %s (%s:%d): %s\n", site.kernel, site.file, site.line, why);
	emu_set_error(cudaErrorInvalidConfiguration);
	return false;
}

static void run_launch(const emu_launch_site &site, dim3 grid, dim3 block, const std::function<void()> &body,
		       const std::function<void(const emu_order &)> &block_plain)
{
	L.site = &site;
	L.body = &body;
	L.block_plain = &block_plain;
	gridDim = grid;
	blockDim = block;
	L.nthreads = (int)(block.x * block.y * block.z);
	L.idx.resize(L.nthreads);
	L.state.assign(L.nthreads, RUNNABLE);
	L.warp_mask.resize(L.nthreads);
	L.shfl_in.resize(L.nthreads);
	L.shfl_out.resize(L.nthreads);
	L.shfl_delta.resize(L.nthreads);
	for (int t = 0; t < L.nthreads; t++)
		L.idx[t] = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
	uint64_t nblocks = (uint64_t)grid.x * grid.y * grid.z;
	affine order(nblocks);
	/* the first block runs on fibers and tells whether the kernel needs them */
	int need = barrier_kernels.count(site.kernel) > 0;
	for (uint64_t i = 0; i < nblocks; i++) {
		uint64_t b = i == 0 ? 0 : order(i) == 0 ? order(0) : order(i);
		blockIdx = {(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / ((uint64_t)grid.x * grid.y))};
		L.fibers = i == 0 || need;
		L.barriers = 0;
		if (L.fibers)
			run_block_fibers();
		else
			run_block_plain();
		shared_release();
		if (i == 0 && L.barriers && !need) {
			need = 1;
			barrier_kernels.insert(site.kernel);
		}
	}
	L.site = NULL;
}

void emu_launch(const emu_launch_site &site, dim3 grid, dim3 block, cudaStream_t s, std::function<void()> thread,
		std::function<void(const emu_order &)> block_plain)
{
	emu_launch_site st = site;
	emu_enqueue(s, [st, grid, block, thread, block_plain]() { run_launch(st, grid, block, thread, block_plain); });
}
