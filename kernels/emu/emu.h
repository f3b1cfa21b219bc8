/* emu.h: what the emulation's own files (launch.cc, runtime.cc, cublas.cc)
   share; the kernel sources see only include/. */
#ifndef NN_EMU_H
#define NN_EMU_H

#include <stdint.h>

/* the seed of the thread and block orders: NN_EMU_SEED, else drawn */
uint64_t emu_seed(void);
/* a fault of the emulated program: the message, the seed, and abort */
[[noreturn]] void emu_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* runs what is queued on every stream */
void emu_flush_all(void);

#endif
