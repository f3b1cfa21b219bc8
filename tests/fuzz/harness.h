/* harness.h: the libFuzzer entry every harness shares. A harness defines
   fuzz(), the calls under test on one input, each inside TRY(): an error
   in the code under test (fatal() and the like) jumps back there instead
   of ending the process, and the next call runs. The input comes as bytes
   and as a file (a memory file given as /proc/self/fd/N); the descriptors
   an error path leaves open are closed after each input. Run with
   -detect_leaks=0: what an error path leaves allocated when it jumps is
   not a leak of the tools, which end there. */
#ifndef NN_HARNESS_H
#define NN_HARNESS_H

#include "base/util.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz(const uint8_t *data, size_t size, const char *path);

static jmp_buf fuzz_jump;
#define TRY(call)                          \
	do {                               \
		if (!setjmp(fuzz_jump)) {  \
			call;              \
		}                          \
	} while (0)

/* The input as a file: its path, valid until the next call. */
/* The bytes as a C string (new memory), as the tools read a text file:
   NULL when they hold a NUL byte, which such a text may not. */
static char *as_text(const uint8_t *data, size_t size)
{
	if (memchr(data, 0, size))
		return NULL;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	return text;
}

static const char *as_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return NULL;
	return path;
}

/* The descriptors a reader leaves open when an error jumps out of it (a
   tool would end there): marked before the call, closed after it. */
typedef struct fdmark {
	int low;
	uint64_t open;
} fdmark;

static fdmark fd_mark(void)
{
	fdmark m = {dup(0), 0};
	if (m.low >= 0)
		close(m.low);
	for (int i = 0; i < 64 && m.low >= 0; i++)
		if (fcntl(m.low + i, F_GETFD) != -1)
			m.open |= 1ULL << i;
	return m;
}

static void fd_release(fdmark m)
{
	for (int i = 0; i < 64 && m.low >= 0; i++)
		if (!(m.open >> i & 1) && fcntl(m.low + i, F_GETFD) != -1)
			close(m.low + i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = as_file(data, size);
	if (!path)
		return 0;
	fdmark m = fd_mark();
	nn_error_jump = &fuzz_jump;
	fuzz(data, size, path);
	nn_error_jump = NULL;
	fd_release(m);
	return 0;
}

#endif
