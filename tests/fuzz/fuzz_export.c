/* fuzz_export: the ONNX writer (lib/nn/export.c over lib/formats/onnx.c and
   protobuf.c) on networks of every description. Each input is a .net
   description; the network it parses to is given weights and written as
   ONNX into memory (with --logits and --uint8 as the input's size says),
   and the bytes are read back as onnx.proto's messages: every field of a
   wire type the writer uses, every length within its message, as many
   nodes and initializers as were written and as many bytes as onnx_size
   said. What does not read back aborts: a finding. Networks of more than
   a million weights are skipped, for speed. */
#include "harness.h"
#include "nn/export.h"
#include "nn/net.h"

#include <stdlib.h>
#include <string.h>

enum { M_MODEL, M_GRAPH, M_NODE, M_ATTR, M_TENSOR, M_VALUE, M_TYPE, M_TENSOR_TYPE, M_SHAPE, M_DIM, M_OPSET,
       M_ENTRY, M_NONE };

/* The fields that hold messages: in message msg, field holds message sub */
static const struct {
	int msg, field, sub;
} nested[] = {
	{M_MODEL, 7, M_GRAPH}, {M_MODEL, 8, M_OPSET}, {M_MODEL, 14, M_ENTRY}, {M_GRAPH, 1, M_NODE},
	{M_GRAPH, 5, M_TENSOR}, {M_GRAPH, 11, M_VALUE}, {M_GRAPH, 12, M_VALUE}, {M_NODE, 5, M_ATTR},
	{M_VALUE, 2, M_TYPE}, {M_TYPE, 1, M_TENSOR_TYPE}, {M_TENSOR_TYPE, 2, M_SHAPE}, {M_SHAPE, 1, M_DIM},
};

static int sub_message(int msg, int field)
{
	for (size_t i = 0; i < sizeof nested / sizeof *nested; i++)
		if (nested[i].msg == msg && nested[i].field == field)
			return nested[i].sub;
	return M_NONE;
}

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 70 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 1;
	}
	return 0;
}

/* Reads message msg of [p, end), counting each message read by kind. */
static int walk(const uint8_t *p, const uint8_t *end, int msg, long *counts)
{
	counts[msg]++;
	while (p < end) {
		uint64_t key, v;
		if (!varint(&p, end, &key) || key >> 3 == 0)
			return 0;
		int wire = key & 7;
		if (wire == 0 && !varint(&p, end, &v))
			return 0;
		if (wire == 5 && end - p < 4)
			return 0;
		p += wire == 5 ? 4 : 0;
		if (wire == 2) {
			if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
				return 0;
			int sub = sub_message(msg, (int)(key >> 3));
			if (sub != M_NONE && !walk(p, p + v, sub, counts))
				return 0;
			p += v;
		} else if (wire != 0 && wire != 5) {
			return 0;
		}
	}
	return 1;
}

static void read_back(const onnx_model *m)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	onnx_write(m, f, "memory");
	fclose(f);
	long counts[M_NONE] = {0};
	const uint8_t *p = (const uint8_t *)buf;
	if (len != onnx_size(m) || !walk(p, p + len, M_MODEL, counts) || counts[M_GRAPH] != 1 ||
	    counts[M_NODE] != m->nnodes || counts[M_TENSOR] != m->ninits)
		abort();
	free(buf);
}

/* static: kept across the jump out of a call that fails */
static net *fuzz_net;
static onnx_model *fuzz_model;

static void export(net *n, size_t size)
{
	if (n->nparams + n->nbuffers > 1 << 20 || n->in_c > MODEL_MAXCHAN)
		return;
	net_init(n, backend_get("cpu"), 1);
	model_info mi = {.nchan = n->in_c};
	for (int c = 0; c < n->in_c; c++)
		mi.mean[c] = 0.5f, mi.std[c] = 0.25f;
	export_opts o = {(int)(size & 1), (int)(size >> 1 & 1)};
	fuzz_model = NULL;
	TRY(fuzz_model = net_to_onnx(n, &mi, &o, "input"));
	if (fuzz_model)
		read_back(fuzz_model);
	onnx_free(fuzz_model);
}

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	char *text = as_text(data, size);   /* as nn-train reads a .net file */
	if (!text)
		return;
	fuzz_net = NULL;
	TRY(fuzz_net = net_parse(text, "input"));
	if (fuzz_net) {
		export(fuzz_net, size);
		net_free(fuzz_net);
	}
	free(text);
}
