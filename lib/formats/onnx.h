/* onnx.h: an ONNX model (onnx.proto's ModelProto) built in memory and written
   as one protobuf file: a graph of operator nodes over named values, its
   weights as initializers (raw little-endian data), its input and output
   with their element types and shapes, and string metadata. Written by
   lib/formats/protobuf.c's wire-format writer rather than through
   protobuf-c and the onnx.proto that libonnx-dev ships: the model needs a
   dozen messages of a stable format, written and never read, and a
   hundred lines of writer keep the build free of generated code and of
   build dependencies. What it writes is read back by onnx's own parser,
   checker and ONNX Runtime in tests/onnx.sh. */
#ifndef NN_ONNX_H
#define NN_ONNX_H

#include "formats/protobuf.h"

#include <stdint.h>
#include <stdio.h>

/* IR version 8 with operator set 17: what ONNX Runtime since 1.13 and
   PyTorch's exporter since 1.13 read and write. */
#define ONNX_IR_VERSION 8
#define ONNX_OPSET 17

/* TensorProto.DataType */
enum { ONNX_FLOAT = 1, ONNX_UINT8 = 2 };

typedef struct onnx_model {
	pbuf nodes;      /* GraphProto.node */
	pbuf inits;      /* GraphProto.initializer */
	pbuf io;         /* GraphProto.input and .output */
	pbuf meta;       /* ModelProto.metadata_props */
	pbuf node;       /* the node being built */
	char *name;      /* GraphProto.name */
	char *doc;       /* ModelProto.doc_string, or NULL */
	int nnodes, ninits;
} onnx_model;

onnx_model *onnx_new(const char *graph_name);
void onnx_free(onnx_model *m);
/* The model's description (ModelProto.doc_string). */
void onnx_doc(onnx_model *m, const char *text);
/* A graph input or output of elem (ONNX_FLOAT ...) and shape dims; a
   negative dimension is the symbolic batch size "N". */
void onnx_input(onnx_model *m, const char *name, int elem, int ndim, const int64_t *dims);
void onnx_output(onnx_model *m, const char *name, int elem, int ndim, const int64_t *dims);
/* A float32 constant of shape dims, its values at data (written as they
   are in memory: the host must be little-endian, as ONNX's raw data is). */
void onnx_initializer(onnx_model *m, const char *name, int ndim, const int64_t *dims, const float *data);
/* A node: operator op (of the default domain) from nin inputs to the
   value out, which also names the node; "" for an input left out. Its
   attributes follow, then onnx_node_end. */
void onnx_node(onnx_model *m, const char *op, const char *out, int nin, const char *const *in);
void onnx_attr_int(onnx_model *m, const char *name, int64_t v);
void onnx_attr_ints(onnx_model *m, const char *name, int n, const int64_t *v);
void onnx_attr_float(onnx_model *m, const char *name, float v);
void onnx_attr_string(onnx_model *m, const char *name, const char *s);
void onnx_node_end(onnx_model *m);
/* A ModelProto.metadata_props entry. */
void onnx_meta(onnx_model *m, const char *key, const char *value);
/* Bytes of the file onnx_write writes. */
size_t onnx_size(const onnx_model *m);
/* Writes the model to f; path names it in messages. Dies when it would
   reach protobuf's limit of 2 GiB for one message. */
void onnx_write(const onnx_model *m, FILE *f, const char *path);

#endif
