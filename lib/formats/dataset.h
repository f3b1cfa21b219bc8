/* dataset.h: dataset streams (x, y, class names) and prediction streams (p, y, names).
   Stream layout, decided once and used everywhere:
     dataset stream:    x [N,C,H,W] uint8 or float32, then y [N] or [N,H,W] class ids
                        (uint8, int32 or int64), then optionally names [K] (|S, class names)
     prediction stream: p [N,K] or [N,K,H,W] float32, then y when the input had labels,
                        then names [K] when known.
   An array of dtype |S anywhere after the first is the class-name list. */
#ifndef NN_DATASET_H
#define NN_DATASET_H

#include <stdint.h>
#include <stdio.h>
#include "formats/tensor.h"

typedef struct dataset {
	tensor *x;        /* [N,C,H,W] uint8 or float32 (predictions: p [N,K(,H,W)] float32) */
	tensor *y;        /* int32 [N] or [N,H,W], NULL when the stream has no labels */
	char **names;     /* class names, NULL when the stream has none */
	int nclass;       /* number of names (0 when none) */
} dataset;

/* Reads a whole stream from path ("-" is stdin). kind is "dataset" or
   "prediction" and only changes the checks and messages: a dataset's x must
   be 4-D uint8/float32 with finite pixels; a prediction's p must be 2-D or
   4-D float32 of at least one class, without NaN. Labels are converted to
   int32, must have the samples (and map sizes) of x or p, and are checked
   to be in [0, nclass): the names' count, or p's classes. Every reader of a
   stream relies on these checks. Dies with "prog: path: reason" on anything
   malformed. */
dataset *dataset_read(const char *path, const char *kind);
/* A dataset stream (dataset_read) with labels and at least one sample;
   what needs them ("training", "validation") is said in the messages. */
dataset *dataset_read_labelled(const char *path, const char *what);
/* Same, from an already open stream. */
dataset *dataset_read_stream(FILE *f, const char *path, const char *kind);
/* Labels y (int32, as dataset_read gives them) must be in [0, nclass)
   where they meet K classes of another kind (a model's outputs, the scores
   of a prediction stream): else dies with "path: label 7 out of range
   0..4 at sample 2, pixel (3,1)". */
void dataset_labels_check(const tensor *y, int64_t nclass, const char *path);
/* Labels y of path (int32, as dataset_read gives them) that score or label
   the scores p of a prediction stream, from that stream or another: [N]
   for p [N,K], [N,H,W] for p [N,K,H,W], each in [0, K). Else dies with
   "path: labels [3] do not fit predictions [4,10]", or as
   dataset_labels_check does. */
void dataset_labels_fit(const tensor *y, const tensor *p, const char *path);
/* Writes x, y (as uint8 when every id fits, else int32) and names (when
   given) to f. */
void dataset_write(FILE *f, const char *path, const tensor *x, const tensor *y,
		   char **names, int nclass);
/* What follows x or p: y (when given) and names (when given). */
void dataset_write_tail(FILE *f, const char *path, const tensor *y, char **names, int nclass);
void dataset_free(dataset *d);
/* Where a stream meets a model or another stream, their class names must
   be the same (either list NULL: nothing to compare): else dies with
   "a: class 3 is 'coat' but b calls it 'dress'", or the two counts. With
   warn, where the names only label a picture, says so once as a warning
   ("...: drawing the names of a") and returns. */
void class_names_agree(const char *a, char **a_names, int a_n, const char *b, char **b_names, int b_n,
		       int warn);
/* Number of samples (x->shape[0]). */
long dataset_len(const dataset *d);
/* A cheap fingerprint of the samples and labels (FNV-1a over their shapes
   and bytes): equal for the same data, all but surely different otherwise. */
uint64_t dataset_fingerprint(const dataset *d);

#endif
