/* safetensors.h: model and checkpoint files (8-byte little-endian header length,
   JSON header with dtype/shape/data_offsets per tensor and a __metadata__ map of
   strings, then the raw little-endian data). */
#ifndef NN_SAFETENSORS_H
#define NN_SAFETENSORS_H

#include "formats/tensor.h"

typedef struct st_file {
	int n;
	char **names;
	tensor **tensors;   /* host tensors, owned: F32, I64, I32, U8 */
	int nmeta;
	char **meta_keys;
	char **meta_vals;
} st_file;

st_file *st_new(void);
/* Dies with "prog: path: reason" on a missing, truncated or malformed file. */
st_file *st_read(const char *path);
/* Writes atomically (temporary file, then rename); "-" is stdout. */
void st_write(const char *path, const st_file *f);
/* Takes ownership of t; a name already present is replaced. */
void st_add(st_file *f, const char *name, tensor *t);
tensor *st_get(const st_file *f, const char *name);   /* NULL when absent */
void st_set_meta(st_file *f, const char *key, const char *val);
const char *st_meta(const st_file *f, const char *key); /* NULL when absent */
void st_free(st_file *f);

#endif
