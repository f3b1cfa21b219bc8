/* model.h: model and checkpoint files: a net's state in safetensors, named
   as PyTorch's state_dict, with the description, input normalisation, class
   names and training configuration in the metadata. A checkpoint adds the
   optimiser state and the step reached. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include "nn/net.h"
#include "nn/optim.h"

#define MODEL_MAXCHAN 16

typedef struct model_info {
	int nchan;
	float mean[MODEL_MAXCHAN], std[MODEL_MAXCHAN];  /* of pixels scaled to [0,1] */
	char **names;       /* class names or NULL */
	int nclass;
	char *config;       /* training configuration, a JSON object, or NULL */
	char *run;          /* how the model was made (commands, device, times), a
			       JSON object, or NULL */
	long step;          /* checkpoints: optimiser steps taken */
} model_info;

/* Writes atomically. With o, also the optimiser state: a checkpoint. */
void model_save(const char *path, const net *n, const model_info *mi, const optim *o);
/* Builds the net on be and loads its state. With o, the optimiser state
   is loaded too (the file must be a checkpoint). Dies on a missing tensor,
   a wrong shape or dtype, or a tensor that the description does not have. */
net *model_load(const char *path, const backend *be, model_info *mi, optim **o);
void model_info_free(model_info *mi);
/* The string metadata of a model, as model_save writes it beside "format"
   and "step": net, input_mean, input_std, classes, config and run, each
   that the model has passed to put(ctx, key, value). */
void model_meta_strings(const net *n, const model_info *mi, void (*put)(void *ctx, const char *key, const char *value),
			void *ctx);
/* A model's JSON metadata of key "config" or "run" (its text, NULL when
   absent), parsed, with every field that the tools read checked for its
   type and range: NULL when text is NULL. Dies with "path: metadata key:
   field 'lr' is a string: it must be ..." on a damaged file, which never
   falls back to defaults. model_load checks both. */
struct json;
struct json *model_meta_json(const char *path, const char *key, const char *text);

#endif
