/* nn-predict: run a trained model over a dataset stream and write the
   prediction stream: class probabilities (or logits), with --tta flip
   averaged with those of the mirror images, then the labels passed
   through, then the class names. */
#include "backend/backend.h"
#include "nn/batch.h"
#include "formats/dataset.h"
#include "base/filekind.h"
#include "nn/model.h"
#include "nn/net.h"
#include "formats/npy.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: nn-predict [options] MODEL [DATA]\n"
	"Run MODEL (a model or checkpoint file from nn-train) over the dataset\n"
	"stream DATA (default: standard input) and write a prediction stream:\n"
	"p [N,K] or [N,K,H,W] float32, the labels y when DATA has them, and the\n"
	"class names. DATA may be without labels (ds-load images).\n\n";

/* The samples must have the shape of the model's input; the message says
   how ds-load makes images of that shape. */
static void input_check(const tensor *x, const net *n, const char *dname, const char *model_path)
{
	if (x->shape[1] == n->in_c && x->shape[2] == n->in_h && x->shape[3] == n->in_w)
		return;
	char hint[64] = "";
	if (n->in_h == n->in_w && (n->in_c == 1 || n->in_c == 3))
		snprintf(hint, sizeof hint, " (ds-load images --size %d%s makes them so)", n->in_h,
			 n->in_c == 1 ? " --grey" : "");
	fatal("%s: the images are %lldx%lldx%lld (channels x height x width) but the model %s takes %dx%dx%d%s",
	      dname, (long long)x->shape[1], (long long)x->shape[2], (long long)x->shape[3], model_path, n->in_c,
	      n->in_h, n->in_w, hint);
}

/* The forward pass over the batch x of count samples and its scores as
   written: softmax probabilities (into probs) or with logits the raw
   outputs (the network's, until its next forward). */
static const float *batch_scores(const backend *be, net *n, const float *x, int count, int logits, float *probs)
{
	net_forward(n, x, count, 0, 0);
	if (logits)
		return net_output(n);
	be->softmax(count, n->nclass, net_spatial(n), net_output(n), probs);
	return probs;
}

/* Test-time augmentation by mirroring: the scores of a batch are the mean
   of the image's and its mirror image's, the latter's maps (for a dense
   network) mirrored back first, so that each pixel averages its own two
   scores. Buffers for batches of up to b samples. */
typedef struct flip_tta {
	const backend *be;
	mirror *in, *out;     /* out: NULL for a classifier */
	float *x;             /* the mirrored batch */
	float *back;          /* its score maps mirrored back */
	float *mean;
} flip_tta;

static flip_tta *flip_tta_new(const backend *be, const net *n, int b)
{
	flip_tta *t = xcalloc(1, sizeof *t);
	t->be = be;
	size_t per = net_output_size(n);
	t->in = mirror_new(be, b, n->in_c, n->in_h, n->in_w);
	t->x = be->alloc((size_t)b * n->in_c * n->in_h * n->in_w * sizeof(float), "mirrored batch");
	if (n->dense) {
		t->out = mirror_new(be, b, n->nclass, n->out_h, n->out_w);
		t->back = be->alloc((size_t)b * per * sizeof(float), "mirrored scores");
	}
	t->mean = be->alloc((size_t)b * per * sizeof(float), "mean scores");
	return t;
}

/* The mean of the scores of x (count samples, scored in src) and of its
   mirror image. */
static const float *flip_tta_scores(flip_tta *t, net *n, const float *x, const float *src, int count, int logits,
				    float *probs)
{
	const backend *be = t->be;
	size_t len = (size_t)count * net_output_size(n);
	be->zero(t->mean, len * sizeof(float));
	be->axpy(len, 0.5f, src, t->mean);
	mirror_apply(t->in, x, t->x, count);
	src = batch_scores(be, n, t->x, count, logits, probs);
	if (t->out) {
		mirror_apply(t->out, src, t->back, count);
		src = t->back;
	}
	be->axpy(len, 0.5f, src, t->mean);
	return t->mean;
}

static void flip_tta_free(flip_tta *t)
{
	if (!t)
		return;
	const backend *be = t->be;
	mirror_free(t->in);
	mirror_free(t->out);
	be->free(t->x);
	be->free(t->back);
	be->free(t->mean);
	free(t);
}

/* The scores of the N samples of dd, b at a time, as the array p: the
   header, then the softmax probabilities (or with logits the raw scores),
   with flip those averaged with the mirror images'. */
static void predictions_write(FILE *f, const char *name, const backend *be, net *n, devdata *dd, long N, int b,
			      int logits, int flip)
{
	tensor shape = {.dtype = DT_F32, .itemsize = 4, .ndim = n->dense ? 4 : 2};
	shape.shape[0] = N;
	shape.shape[1] = n->nclass;
	shape.shape[2] = n->out_h;
	shape.shape[3] = n->out_w;
	npy_write_header(f, name, &shape);
	size_t per = net_output_size(n);
	float *probs = be->alloc((size_t)b * per * sizeof(float), "probabilities");
	float *host = xmalloc((size_t)b * per * sizeof(float));
	flip_tta *tta = flip ? flip_tta_new(be, n, b) : NULL;
	for (long s = 0; s < N; s += b) {
		int count = N - s < b ? (int)(N - s) : b;
		devdata_gather(dd, s, count);
		const float *src = batch_scores(be, n, dd->xb, count, logits, probs);
		if (tta)
			src = flip_tta_scores(tta, n, dd->xb, src, count, logits, probs);
		be->download(host, src, (size_t)count * per * sizeof(float));
		xfwrite(host, (size_t)count * per * sizeof(float), f, name);
	}
	flip_tta_free(tta);
	be->free(probs);
	free(host);
}

int main(int argc, char **argv)
{
	tool_start("nn-predict");
	const char *out_path = NULL, *device = "auto", *precision = "fp32", *tta = "none";
	long batch = 256, threads = 0;
	int logits = 0, quiet = 0;
	opt opts[] = {
		{NULL, 'o', OPT_STRING, &out_path, .arg = "FILE",
		 .help = "write to FILE (atomically) instead of standard output"},
		{"logits", 0, OPT_FLAG, &logits, .help = "raw scores instead of softmax probabilities"},
		{"tta", 0, OPT_CUSTOM, &tta, .arg = "none|flip", .parse = opt_choice,
		 .help = "test-time augmentation: flip, the mean of the scores of\n"
			 "each image and its mirror image (default none)"},
		{"batch", 0, OPT_INT, &batch, 1, INT_MAX, .arg = "N", .help = "samples per forward pass (default 256)"},
		OPT_BACKEND(&threads, &device, &precision, "run"),
		{"quiet", 'q', OPT_FLAG, &quiet, .help = "no summary on stderr"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (nargs > 2)
		usage_error("too many arguments");
	const char *model_path = nargs > 0 ? argv[0] : NULL, *data_path = nargs > 1 ? argv[1] : NULL;
	if (!model_path)
		usage_error("no model given");
	io_check(IO_LIST(model_path, data_path ? data_path : "-"), IO_LIST(out_path ? out_path : "-"));
	if (file_kind_at(model_path) == FK_NPY)
		fatal("%s: %s, not a model: MODEL comes first (nn-predict [options] MODEL [DATA])",
		      model_path, file_kind_name(FK_NPY));
	out_refuse_terminal(out_path);
	const backend *be = backend_get(device);
	be->set_threads((int)threads);
	be->set_precision(!strcmp(precision, "tf32"));
	model_info mi;
	net *n = model_load(model_path, be, &mi, NULL);
	dataset *d = dataset_read(data_path, "dataset");
	const char *dname = display_name(data_path);
	long N = dataset_len(d);
	input_check(d->x, n, dname, model_path);
	class_names_agree(dname, d->names, d->nclass, model_path, mi.names, mi.nclass, 0);
	int b = (int)(batch < N ? batch : (N > 0 ? N : 1));
	devdata *dd = devdata_new(be, d, n, &mi, b, dname);
	net_set_batch(n, b);
	int flip = !strcmp(tta, "flip");

	double t0 = now_seconds();
	outfile *o = out_open(out_path);
	predictions_write(o->f, out_name(out_path), be, n, dd, N, b, logits, flip);
	char **names = d->names ? d->names : mi.names;
	int nclass = d->names ? d->nclass : mi.nclass;
	dataset_write_tail(o->f, out_name(out_path), d->y, names, nclass);
	out_commit(o);
	if (!quiet)
		note("%ld samples%s in %.2f s on %s", N, flip ? " and their mirror images" : "", now_seconds() - t0,
		     be->name);
	devdata_free(dd);
	dataset_free(d);
	model_info_free(&mi);
	net_free(n);
	return 0;
}
