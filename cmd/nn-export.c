/* nn-export: a model as an ONNX file, for ONNX Runtime and the other
   places models are deployed: the network with its input normalisation
   and its softmax, so that it computes from pixels what nn-predict writes,
   and the model's metadata. */
#include "backend/backend.h"
#include "base/filekind.h"
#include "base/opt.h"
#include "base/output.h"
#include "base/util.h"
#include "nn/export.h"
#include "nn/model.h"
#include "nn/net.h"

#include <stdio.h>

static const char usage[] =
	"usage: nn-export [--logits] [--uint8] [-q] -o FILE.onnx MODEL\n"
	"Writes MODEL (a model or checkpoint file from nn-train) as an ONNX model\n"
	"(IR version 8, operator set 17): input x, float32 [N,C,H,W] pixels in\n"
	"[0,1], normalised inside as nn-predict does; output p, the softmax\n"
	"probabilities [N,K] or [N,K,H,W] that nn-predict writes. The class names,\n"
	"the description and how the model was made go into its metadata.\n\n";

int main(int argc, char **argv)
{
	tool_start("nn-export");
	const char *out_path = NULL;
	int logits = 0, uint8 = 0, quiet = 0;
	opt opts[] = {
		{NULL, 'o', OPT_STRING, &out_path, .arg = "FILE",
		 .help = "write to FILE (atomically) instead of standard output"},
		{"logits", 0, OPT_FLAG, &logits, .help = "output the raw scores (logits), without the softmax"},
		{"uint8", 0, OPT_FLAG, &uint8, .help = "input uint8 pixels 0 to 255, as dataset streams hold them"},
		{"quiet", 'q', OPT_FLAG, &quiet, .help = "no summary on stderr"},
		OPT_END,
	};
	int nargs = opt_parse(opts, argc, argv, usage);
	if (nargs > 1)
		usage_error("too many arguments");
	if (nargs < 1)
		usage_error("no model given");
	const char *model_path = argv[0];
	io_check(IO_LIST(model_path), IO_LIST(out_path ? out_path : "-"));
	if (file_kind_at(model_path) == FK_NPY)
		fatal("%s: %s, not a model", model_path, file_kind_name(FK_NPY));
	out_refuse_terminal(out_path);
	const backend *be = backend_get("cpu");
	model_info mi;
	net *n = model_load(model_path, be, &mi, NULL);
	export_opts eo = {logits, uint8};
	onnx_model *m = net_to_onnx(n, &mi, &eo, display_name(model_path));
	outfile *o = out_open(out_path);
	onnx_write(m, o->f, out_name(out_path));
	out_commit(o);
	if (!quiet)
		note("%s: %d nodes, %d initializers, %zu bytes", out_name(out_path), m->nnodes, m->ninits,
		     onnx_size(m));
	onnx_free(m);
	model_info_free(&mi);
	net_free(n);
	return 0;
}
