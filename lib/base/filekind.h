/* filekind.h: what a file is, told from its first bytes, so that a tool given
   the wrong file (operands swapped, a model where a stream belongs, a
   compressed copy) says what it was given rather than only what is wrong
   with it. */
#ifndef NN_FILEKIND_H
#define NN_FILEKIND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first bytes a kind is told from; fewer are enough for some. */
#define FILE_KIND_HEAD 16

typedef enum {
	FK_UNKNOWN,
	FK_NPY,         /* a tensor stream: a dataset or prediction stream */
	FK_SAFETENSORS, /* a model or checkpoint */
	FK_PNG,
	FK_JPEG,
	FK_GZIP,
	FK_ZIP,         /* PyTorch's torch.save format among others */
	FK_IDX,
	FK_NET,         /* a network description */
	FK_LOG,         /* a metrics log */
	FK_TEXT,
} file_kind;

/* The kind of a file whose first n bytes are head. */
file_kind file_kind_of(const void *head, size_t n);
/* The kind of the regular file at path; FK_UNKNOWN for "-", NULL, anything
   that is not a regular file (reading a pipe would lose its bytes) and a
   file that cannot be read (its reader will say why). */
file_kind file_kind_at(const char *path);
/* A phrase for messages ("an NPY tensor stream (a dataset or prediction
   stream)"); NULL for FK_UNKNOWN. */
const char *file_kind_name(file_kind k);
/* A phrase for the bytes head (n of them), or NULL: for "NAME: <phrase>,
   not a model" where the reader has the bytes but the file may be a pipe. */
const char *file_kind_phrase(const void *head, size_t n);

#ifdef __cplusplus
}
#endif

#endif
