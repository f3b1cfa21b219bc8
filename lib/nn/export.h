/* export.h: a model as ONNX (lib/formats/onnx.h): its input normalisation,
   each layer as ONNX operators, the softmax nn-predict applies, and the
   model's metadata, so that ONNX Runtime and the like compute what
   nn-predict writes. */
#ifndef NN_EXPORT_H
#define NN_EXPORT_H

#include "formats/onnx.h"
#include "nn/model.h"
#include "nn/net.h"

typedef struct export_opts {
	int logits;   /* output the raw scores, not softmax probabilities */
	int uint8;    /* input uint8 pixels 0..255 rather than float32 in [0,1] */
} export_opts;

/* The ONNX model of n (loaded with its state) and mi. Dies, naming path
   (the model file), on what ONNX cannot express: a layer kind without an
   ONNX form. */
onnx_model *net_to_onnx(const net *n, const model_info *mi, const export_opts *o, const char *path);

#endif
