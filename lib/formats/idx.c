/* idx.c: IDX reader. zlib's gzread reads plain files unchanged, so one path
   handles both .gz and uncompressed files. */
#include "formats/idx.h"
#include "base/filekind.h"
#include "base/util.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

/* Largest array we accept: guards size arithmetic against overflow. */
#define IDX_MAX_BYTES ((int64_t)1 << 36)

/* Reads up to n bytes; returns how many were read (less only at end of file). */
static size_t gz_read_full(gzFile g, void *buf, size_t n, const char *path)
{
	size_t got = 0;
	while (got < n) {
		unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
		int r = gzread(g, (char *)buf + got, chunk);
		if (r < 0) {
			int err;
			const char *msg = gzerror(g, &err);
			/* zlib's message begins with the path it was given */
			size_t pl = strlen(path);
			if (!strncmp(msg, path, pl) && !strncmp(msg + pl, ": ", 2))
				msg += pl + 2;
			fatal("%s: %s", path, err == Z_ERRNO ? strerror(errno) : msg);
		}
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

tensor *idx_read(const char *path, int ndim)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		fatal("%s: %s", path, errno ? strerror(errno) : "cannot open");
	unsigned char head[4 + 4 * 4];
	if (gz_read_full(g, head, 4, path) < 4)
		fatal("%s: not an IDX file (too short)", path);
	if (head[0] || head[1]) {
		unsigned char more[FILE_KIND_HEAD];
		memcpy(more, head, 4);
		const char *kind = file_kind_phrase(more, 4 + gz_read_full(g, more + 4, sizeof more - 4, path));
		if (kind)
			fatal("%s: %s, not an IDX file", path, kind);
		fatal("%s: not an IDX file (bad magic 0x%02x%02x%02x%02x)", path, head[0], head[1],
		      head[2], head[3]);
	}
	if (head[2] != 0x08)
		fatal("%s: IDX data type 0x%02x is not supported (only unsigned bytes, 0x08)", path,
		      head[2]);
	if (head[3] != ndim)
		fatal("%s: IDX file has %d dimensions, expected %d (magic 0x%03x)", path, head[3], ndim,
		      0x800 | ndim);
	if (gz_read_full(g, head + 4, 4 * ndim, path) < (size_t)4 * ndim)
		fatal("%s: truncated IDX header", path);
	/* the bound leaves zeros out, as the NPY reader's: no empty [0,2^32,2^32]
	   that ds-load would write and no other tool read */
	int64_t shape[4], bytes = 1, bound = 1;
	for (int i = 0; i < ndim; i++) {
		const unsigned char *d = head + 4 + 4 * i;
		shape[i] = (int64_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
		if (shape[i] && bound > IDX_MAX_BYTES / shape[i])
			fatal("%s: IDX dimensions too large", path);
		bound *= shape[i] ? shape[i] : 1;
		bytes *= shape[i];
	}
	/* Grow the buffer as data arrives, so that a header claiming an absurd
	   size ends in "truncated" rather than in a huge allocation. */
	tensor *t = xcalloc(1, sizeof *t);
	t->dtype = DT_U8;
	t->itemsize = 1;
	t->ndim = ndim;
	memcpy(t->shape, shape, sizeof shape[0] * ndim);
	size_t cap = bytes < (1 << 26) ? (size_t)bytes : (1 << 26), have = 0;
	t->data = xmalloc(cap);
	while (have < (size_t)bytes) {
		if (have == cap) {
			cap = cap * 2 < (size_t)bytes ? cap * 2 : (size_t)bytes;
			t->data = xrealloc(t->data, cap);
		}
		size_t got = gz_read_full(g, (char *)t->data + have, cap - have, path);
		have += got;
		if (have < cap)
			fatal("%s: truncated (%lld bytes of data, the header says %lld)", path,
			      (long long)have, (long long)bytes);
	}
	/* Reading past the end also lets zlib check the gzip trailer (CRC, length). */
	char extra;
	if (gz_read_full(g, &extra, 1, path))
		fatal("%s: trailing data after %lld bytes of data", path, (long long)bytes);
	int rc = gzclose_r(g);
	if (rc != Z_OK)
		fatal("%s: %s", path, rc == Z_ERRNO ? strerror(errno) : "gzip error");
	return t;
}
