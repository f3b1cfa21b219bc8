/* filekind.c: what a file is, from its first bytes. */
#include "base/filekind.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Text: no NUL and no control byte but tab, newline and carriage return. */
static int is_text(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return n > 0;
}

file_kind file_kind_of(const void *head, size_t n)
{
	const unsigned char *s = head;
	if (n >= 6 && !memcmp(s, "\x93NUMPY", 6))
		return FK_NPY;
	if (n >= 8 && !memcmp(s, "\x89PNG\r\n\x1a\n", 8))
		return FK_PNG;
	if (n >= 3 && s[0] == 0xff && s[1] == 0xd8 && s[2] == 0xff)
		return FK_JPEG;
	if (n >= 2 && s[0] == 0x1f && s[1] == 0x8b)
		return FK_GZIP;
	if (n >= 4 && !memcmp(s, "PK\x03\x04", 4))
		return FK_ZIP;
	/* safetensors: an 8-byte little-endian length, then a JSON object */
	if (n >= 9 && s[8] == '{') {
		uint64_t len = 0;
		for (int i = 7; i >= 0; i--)
			len = len << 8 | s[i];
		if (len >= 2 && len < (1u << 30))
			return FK_SAFETENSORS;
	}
	/* IDX: two zero bytes, a type code, a dimension count of 1 to 4 */
	if (n >= 4 && !s[0] && !s[1] && (s[2] == 0x08 || (s[2] >= 0x09 && s[2] <= 0x0e)) && s[3] >= 1 &&
	    s[3] <= 4)
		return FK_IDX;
	if (!is_text(s, n))
		return FK_UNKNOWN;
	if (n >= 5 && !memcmp(s, "step\t", 5))
		return FK_LOG;
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if ((n - i >= 6 && !memcmp(s + i, "input", 5) && (s[i + 5] == ' ' || s[i + 5] == '\t')) ||
	    (i < n && s[i] == '#'))
		return FK_NET;
	return FK_TEXT;
}

file_kind file_kind_at(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return FK_UNKNOWN;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return FK_UNKNOWN;
	struct stat sb;
	unsigned char head[FILE_KIND_HEAD];
	ssize_t got = 0;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		got = pread(fd, head, sizeof head, 0);
	close(fd);
	return got > 0 ? file_kind_of(head, (size_t)got) : FK_UNKNOWN;
}

const char *file_kind_name(file_kind k)
{
	switch (k) {
	case FK_NPY: return "an NPY tensor stream (a dataset or prediction stream)";
	case FK_SAFETENSORS: return "a safetensors file (a model or checkpoint)";
	case FK_PNG: return "a PNG image";
	case FK_JPEG: return "a JPEG image";
	case FK_GZIP: return "gzip-compressed data (gunzip it first)";
	case FK_ZIP: return "a zip archive (a PyTorch .pt file? nnpipe models are safetensors)";
	case FK_IDX: return "an IDX file (ds-load idx reads it)";
	case FK_NET: return "a network description (.net text)";
	case FK_LOG: return "a metrics log (nn-train --log)";
	case FK_TEXT: return "a text file";
	case FK_UNKNOWN: break;
	}
	return NULL;
}

const char *file_kind_phrase(const void *head, size_t n)
{
	return file_kind_name(file_kind_of(head, n));
}
