/* protobuf.h: a writer of Protocol Buffers' wire format into a growing
   buffer, for files that are protobuf messages (ONNX models). It writes
   varints, 32-bit floats and length-delimited fields (strings, bytes and
   embedded messages, the latter built in a buffer of their own first), and
   repeated fields one element per tag, as proto2 encodes them. Nothing here
   parses: what it writes is checked by reading it back with the protobuf
   library itself (tests/onnx.sh). */
#ifndef NN_PROTOBUF_H
#define NN_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pbuf {
	uint8_t *p;
	size_t n, cap;
} pbuf;

/* Field of wire type 0: an int32, int64 or enum (a negative value takes
   ten bytes, as protobuf writes it). */
void pb_int(pbuf *b, int field, int64_t v);
/* Field of wire type 5: a float. */
void pb_float(pbuf *b, int field, float v);
/* Field of wire type 2: bytes, a string (without its NUL), or an embedded
   message m (its bytes). */
void pb_bytes(pbuf *b, int field, const void *p, size_t n);
void pb_string(pbuf *b, int field, const char *s);
void pb_message(pbuf *b, int field, const pbuf *m);
/* The tag and length of a field of wire type 2 whose n bytes the caller
   writes itself (straight to a file, without copying them here). */
void pb_header(pbuf *b, int field, size_t n);
/* Bytes that pb_header(b, field, n) writes. */
size_t pb_header_size(int field, size_t n);
void pb_free(pbuf *b);

#endif
