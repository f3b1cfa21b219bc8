/* protobuf.c: Protocol Buffers' wire format, written (see protobuf.h). */
#include "formats/protobuf.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

static void put(pbuf *b, const void *p, size_t n)
{
	if (n > b->cap - b->n) {
		size_t cap = b->cap ? b->cap : 256;
		while (n > cap - b->n) {
			if (cap > SIZE_MAX / 2)
				fatal("protobuf message too large");
			cap *= 2;
		}
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* Base 128, least significant group first, the high bit set on every byte
   but the last. */
static size_t varint_encode(uint64_t v, uint8_t out[10])
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static void varint(pbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	put(b, tmp, varint_encode(v, tmp));
}

static void tag(pbuf *b, int field, int wire)
{
	varint(b, (uint64_t)field << 3 | (unsigned)wire);
}

void pb_int(pbuf *b, int field, int64_t v)
{
	tag(b, field, WIRE_VARINT);
	varint(b, (uint64_t)v);
}

void pb_float(pbuf *b, int field, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
	tag(b, field, WIRE_FIXED32);
	put(b, le, 4);
}

void pb_header(pbuf *b, int field, size_t n)
{
	tag(b, field, WIRE_LEN);
	varint(b, n);
}

size_t pb_header_size(int field, size_t n)
{
	uint8_t tmp[10];
	return varint_encode((uint64_t)field << 3 | WIRE_LEN, tmp) + varint_encode(n, tmp);
}

void pb_bytes(pbuf *b, int field, const void *p, size_t n)
{
	pb_header(b, field, n);
	put(b, p, n);
}

void pb_string(pbuf *b, int field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_message(pbuf *b, int field, const pbuf *m)
{
	pb_bytes(b, field, m->p, m->n);
}

void pb_free(pbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}
