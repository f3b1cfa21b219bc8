# nnpipe: one Makefile. `make`, `make test`, `make test-gpu`, `make install PREFIX=...`
# Builds the CUDA backend when nvcc is found (NVCC=... to choose one, NVCC= to skip):
# bin/libnnpipe-cuda.so, which the tools open at run time (lib/backend/backend.c).
# Builds, with or without nvcc, the same CUDA sources under a CPU emulation for the
# tests (kernels/emu/): build/emu/libnnpipe-cuda-emu.so, never installed.

PREFIX    ?= /usr/local
CC        ?= cc
CFLAGS    ?= -O3 -g
MARCH     ?= -march=native
NVCC      ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CUDA_ARCH ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90

WARN      := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror=implicit-function-declaration
# libpng, libjpeg and zlib: the system's, or IMG_CFLAGS=-I... IMG_LIBS='.../libpng16.a ...'
# for headers and static libraries kept elsewhere (bench/gpu-run.sh does that)
IMG_CFLAGS ?=
IMG_LIBS  ?= -lpng -ljpeg -lz
# -fno-trapping-math: floating-point compares may become selects, so that
# loops of them vectorise; nothing here reads the floating-point exception flags.
# -fno-math-errno: sqrtf is the instruction, without a call that sets errno for
# a negative argument, so that loops with it (Adam's) vectorise; nothing here
# reads errno after a maths function. Neither changes a result.
# -ffp-contract=off: no fused multiply-add, as nvcc's -fmad=false (GCC does
# not contract in ISO C anyway; clang would), so the CUDA kernels, real or
# emulated, give the CPU's element-wise results to the bit.
NN_CFLAGS := -std=c11 -D_GNU_SOURCE $(MARCH) -fno-trapping-math -fno-math-errno -ffp-contract=off $(WARN) $(IMG_CFLAGS) -Ilib
# -rdynamic: the CUDA backend's library, opened at run time, calls the
# program's fatal() and note(), so the program exports them
NN_LIBS   := $(IMG_LIBS) -lm -ldl -rdynamic

# OpenBLAS (Debian: libopenblas0) is opened at run time (lib/backend/gemm.c)
BLAS_INFO := libopenblas.so.0 at run time
OPENMP    := $(shell echo 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo yes)
ifeq ($(OPENMP),yes)
NN_CFLAGS += -fopenmp
NN_LIBS   += -fopenmp
endif

# MPI (Debian: openmpi-bin, libopenmpi-dev) for nn-train across processes
# (lib/dist/dist.c); MPICC= to build without it. Only lib/dist/dist.c includes mpi.h
# and only nn-train links MPI: the other tools never call into dist.o, so
# the archive leaves it out of them.
MPICC     ?= $(shell command -v mpicc 2>/dev/null)
ifneq ($(MPICC),)
MPI_CFLAGS := -DNN_MPI $(shell $(MPICC) --showme:compile)
MPI_LIBS  := $(shell $(MPICC) --showme:link)
endif
build/lib/dist/dist.o: NN_CFLAGS += $(MPI_CFLAGS)
# the direct convolution's sums with fused multiply-adds, as OpenBLAS's, at
# -O3 in every build: GCC fuses them only from -O2, and the sums must not
# change with the build's optimisation (the sanitizer builds run at -O1)
build/lib/backend/cpu_direct.o: NN_CFLAGS += -O3 -ffp-contract=fast
bin/nn-train: NN_LIBS += $(MPI_LIBS)

LIB_SRC   := $(wildcard lib/*/*.c)
LIB_OBJ   := $(LIB_SRC:lib/%.c=build/lib/%.o)
CU_SRC    := $(wildcard kernels/*.cu)
CU_OBJ    := $(CU_SRC:kernels/%.cu=build/kernels/%.o)
TOOLS     := $(patsubst cmd/%.c,bin/%,$(wildcard cmd/*.c))
TESTS     := $(patsubst tests/%.c,build/tests/%,$(wildcard tests/*.c))

# The CUDA backend is a shared object beside the tools; test programs
# (build/tests/) find it through build/lib/nnpipe, as installed tools find
# $(PREFIX)/lib/nnpipe. Only it links cuBLAS and the CUDA runtime.
CUDA_SO   := bin/libnnpipe-cuda.so
ifneq ($(NVCC),)
# -fmad=false: no fused multiply-add contraction, as the CPU build (ISO C) does
# not contract either, so element-wise results are the CPU's to the bit.
# Hidden visibility: the library exports its entry point and nothing else.
NVFLAGS   := -O3 -std=c++17 -fmad=false $(CUDA_ARCH) -Ilib -Werror all-warnings \
             -Xcompiler -Wall,-fPIC,-fvisibility=hidden
CUDA_LIBS := -cudart shared -L$(CUDA_HOME)/lib64 -Xlinker -rpath,$(CUDA_HOME)/lib64 -lcublas
# NCCL, shipped with the CUDA toolkit: GPU ranks of nn-train sum on the GPUs
NCCL      := $(if $(and $(wildcard $(CUDA_HOME)/include/nccl.h),$(wildcard $(CUDA_HOME)/lib64/libnccl.so)),yes)
ifeq ($(NCCL),yes)
NVFLAGS   += -DNN_NCCL
CUDA_LIBS += -lnccl
endif
CUDA_ALL  := $(CUDA_SO) build/lib/nnpipe/libnnpipe-cuda.so
endif

# The CUDA sources built by the host C++ compiler against kernels/emu/'s
# runtime, for tests/test_cuda_ops where no GPU is (kernels/emu/README.md):
# each kernels/*.cu and *.cuh goes through kernels/emu/rewrite.sed into
# build/emu/src/ (a #line keeps the messages on the original), and the module
# build/emu/libnnpipe-cuda-emu.so calls the program's gemm() (lib/backend/gemm.c), with
# build/emu/driver/libcuda.so.1 a link to it that stands in for the driver.
# Built with CFLAGS, so the sanitizer builds of CI check the kernels too.
EMU_CXX   ?= $(if $(findstring clang,$(CC)),clang++,g++)
EMU       := $(if $(shell command -v $(EMU_CXX) 2>/dev/null),yes)
EMU_SO    := build/emu/libnnpipe-cuda-emu.so
EMU_SRC   := $(patsubst kernels/%.cu,build/emu/src/%.cc,$(CU_SRC))
EMU_HDR   := $(patsubst kernels/%,build/emu/src/%,$(wildcard kernels/*.cuh))
EMU_OBJ   := $(EMU_SRC:build/emu/src/%.cc=build/emu/obj/%.o) \
             $(patsubst kernels/emu/%.cc,build/emu/obj/emu/%.o,$(wildcard kernels/emu/*.cc)) build/emu/obj/gemm.o
# -ffp-contract=off: no fused multiply-add, as nvcc's -fmad=false. Without
# clang's C++-only UBSan checks (vptr, function): their handlers are in
# clang++'s runtime, and the test programs that open the module are linked by cc.
EMU_CLANG := -fno-sanitize=vptr,function
EMU_FLAGS := $(CFLAGS) -std=c++17 -fPIC -fvisibility=hidden -ffp-contract=off \
             $(if $(findstring clang,$(EMU_CXX)),$(EMU_CLANG)) \
             -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-unknown-pragmas -Wno-unused-function -Wno-missing-field-initializers \
             -Ikernels/emu/include -Ikernels/emu -Ilib
EMU_ALL   := $(if $(EMU),$(EMU_SO) build/emu/driver/libcuda.so.1)

all: info $(TOOLS) $(TESTS) $(CUDA_ALL) $(if $(NVCC),,no-cuda) $(EMU_ALL)

# Objects depend on the configuration too, so that switching NVCC, OpenBLAS
# or the flags rebuilds them.
BUILD_CONFIG := $(CC) $(EMU_CXX) $(CFLAGS) $(MARCH) $(NVCC) $(CUDA_ARCH) $(OPENMP) $(IMG_CFLAGS) $(IMG_LIBS) $(MPICC) $(NCCL)
build/config: FORCE
	@mkdir -p $(@D)
	@echo '$(BUILD_CONFIG)' | cmp -s - $@ || echo '$(BUILD_CONFIG)' > $@

info:
	@echo "nnpipe: cc $(CC); OpenBLAS $(BLAS_INFO); OpenMP $(or $(OPENMP),no); nvcc $(or $(NVCC),no (CPU only))$(if $(NVCC),; NCCL $(or $(NCCL),no)); MPI $(or $(MPICC),no (nn-train runs as one process)); images $(IMG_LIBS)"

build/libnnpipe.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo '  AR   $@'
	@rm -f $@ && ar rcs $@ $^

build/lib/%.o: lib/%.c $(wildcard lib/*/*.h) build/config
	@mkdir -p $(@D)
	@echo '  CC   $<'
	@$(CC) $(CFLAGS) $(NN_CFLAGS) -c $< -o $@

build/kernels/%.o: kernels/%.cu $(wildcard lib/*/*.h kernels/*.cuh) build/config
	@mkdir -p $(@D)
	@echo '  NVCC $<'
	@$(NVCC) $(NVFLAGS) -c $< -o $@

$(CUDA_SO): $(CU_OBJ) build/config
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(NVCC) -shared $(CUDA_ARCH) $(CU_OBJ) -o $@ $(CUDA_LIBS)

build/emu/src/%.cuh: kernels/%.cuh kernels/emu/rewrite.sed
	@mkdir -p $(@D)
	@{ echo '#line 1 "$<"'; sed -E -f kernels/emu/rewrite.sed $<; } > $@

build/emu/src/%.cc: kernels/%.cu kernels/emu/rewrite.sed
	@mkdir -p $(@D)
	@{ echo '#line 1 "$<"'; sed -E -f kernels/emu/rewrite.sed $<; } > $@

build/emu/obj/%.o: build/emu/src/%.cc $(EMU_HDR) $(wildcard lib/*/*.h kernels/emu/include/*.h) build/config
	@mkdir -p $(@D)
	@echo '  EMU  $(<:build/emu/src/%.cc=kernels/%.cu)'
	@$(EMU_CXX) $(EMU_FLAGS) -c $< -o $@

build/emu/obj/emu/%.o: kernels/emu/%.cc $(wildcard kernels/emu/*.h kernels/emu/include/*.h lib/*/*.h) build/config
	@mkdir -p $(@D)
	@echo '  EMU  $<'
	@$(EMU_CXX) $(EMU_FLAGS) -c $< -o $@

build/emu/obj/gemm.o: lib/backend/gemm.c lib/backend/gemm.h build/config
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) $(NN_CFLAGS) -fPIC -c $< -o $@

$(EMU_SO): $(EMU_OBJ)
	@echo '  LD   $@'
	@$(EMU_CXX) $(EMU_FLAGS) -shared $(EMU_OBJ) -o $@ $(if $(OPENMP),-fopenmp) -lm

build/emu/driver/libcuda.so.1: $(EMU_SO)
	@mkdir -p $(@D)
	@ln -sf ../libnnpipe-cuda-emu.so $@

build/lib/nnpipe/libnnpipe-cuda.so: $(CUDA_SO)
	@mkdir -p $(@D)
	@ln -sf ../../../$(CUDA_SO) $@

# a build without nvcc has no CUDA backend, not the one a previous build left
no-cuda:
	@rm -f $(CUDA_SO) build/lib/nnpipe/libnnpipe-cuda.so

bin/%: cmd/%.c build/libnnpipe.a build/config
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(CFLAGS) $(NN_CFLAGS) $< -o $@ build/libnnpipe.a $(NN_LIBS)

build/tests/%: tests/%.c build/libnnpipe.a build/config
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(CFLAGS) $(NN_CFLAGS) $< -o $@ build/libnnpipe.a $(NN_LIBS)

# bench/winograd.sh's program, not part of all
build/bench/%: bench/%.c build/libnnpipe.a build/config
	@mkdir -p $(@D)
	@echo '  LD   $@'
	@$(CC) $(CFLAGS) $(NN_CFLAGS) $< -o $@ build/libnnpipe.a $(NN_LIBS)

test: all
	@tests/run.sh

test-gpu: all
	@NN_TEST_ONLY=gpu tests/run.sh

# Coverage-guided fuzzing of each parser (tests/fuzz/fuzz_*.c) with libFuzzer,
# AddressSanitizer and UBSan: Debian's clang and libclang-rt-14-dev.
# `make fuzz FUZZ_TIME=600` runs each harness for FUZZ_TIME seconds, from its
# seeds in tests/fuzz/seeds/NAME, keeping what it finds in build/fuzz/.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/%: tests/fuzz/%.c tests/fuzz/harness.h $(LIB_SRC) $(wildcard lib/*/*.h)
	@mkdir -p $(@D)
	@echo '  FUZZ $@'
	@$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -DNN_NO_OPENBLAS \
		$(IMG_CFLAGS) -Ilib -Wno-unknown-pragmas $< $(LIB_SRC) -o $@ $(IMG_LIBS) -lm

# Fork mode: the harnesses' error paths jump out of the readers, leaving
# what they had allocated (a tool ends there), so each job is a fresh process.
# An allocation of more than 2 GB is a finding: sizes must be checked first.
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$${f#build/fuzz/fuzz_}; mkdir -p build/fuzz/corpus-$$n build/fuzz/found-$$n; \
		echo "== $$n: $(FUZZ_TIME) s"; \
		ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 $$f -fork=1 \
			-max_total_time=$(FUZZ_TIME) -rss_limit_mb=4096 -malloc_limit_mb=2048 -timeout=20 \
			-artifact_prefix=build/fuzz/found-$$n/ build/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>&1 | \
			grep -E '^#[0-9]+:|^INFO: (exiting|fuzzed for)|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written' | \
			tail -4; \
	done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin
	$(if $(NVCC),install -d $(DESTDIR)$(PREFIX)/lib/nnpipe)
	$(if $(NVCC),install -m 755 $(CUDA_SO) $(DESTDIR)$(PREFIX)/lib/nnpipe)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5

clean:
	rm -rf bin build

.PHONY: all info no-cuda test test-gpu fuzz install clean FORCE
.SECONDARY: $(LIB_OBJ) $(CU_OBJ) $(EMU_SRC) $(EMU_HDR) $(EMU_OBJ)
