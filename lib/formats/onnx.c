/* onnx.c: ONNX models built in memory and written as protobuf (see onnx.h).
   The field numbers are those of onnx.proto. */
#include "formats/onnx.h"
#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ModelProto */
enum { MODEL_IR_VERSION = 1, MODEL_PRODUCER = 2, MODEL_DOC = 6, MODEL_GRAPH = 7, MODEL_OPSET = 8, MODEL_META = 14 };
/* GraphProto */
enum { GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INIT = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12 };
/* NodeProto */
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP = 4, NODE_ATTR = 5 };
/* AttributeProto and its AttributeType */
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_INTS = 8, ATTR_TYPE = 20 };
enum { TYPE_FLOAT = 1, TYPE_INT = 2, TYPE_STRING = 3, TYPE_INTS = 7 };
/* TensorProto */
enum { TENSOR_DIMS = 1, TENSOR_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW = 9 };
/* ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto and its
   Dimension */
enum { VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_ELEM = 1, TENSOR_SHAPE = 2, SHAPE_DIM = 1,
       DIM_VALUE = 1, DIM_PARAM = 2 };
/* OperatorSetIdProto and StringStringEntryProto */
enum { OPSET_VERSION = 2, ENTRY_KEY = 1, ENTRY_VALUE = 2 };

onnx_model *onnx_new(const char *graph_name)
{
	onnx_model *m = xcalloc(1, sizeof *m);
	m->name = xstrdup(graph_name);
	return m;
}

void onnx_free(onnx_model *m)
{
	if (!m)
		return;
	pb_free(&m->nodes);
	pb_free(&m->inits);
	pb_free(&m->io);
	pb_free(&m->meta);
	pb_free(&m->node);
	free(m->name);
	free(m->doc);
	free(m);
}

void onnx_doc(onnx_model *m, const char *text)
{
	free(m->doc);
	m->doc = xstrdup(text);
}

/* A ValueInfoProto: name, and a tensor type of elem and shape dims */
static void value_info(pbuf *out, int field, const char *name, int elem, int ndim, const int64_t *dims)
{
	pbuf shape = {0}, tensor = {0}, type = {0}, info = {0};
	for (int d = 0; d < ndim; d++) {
		pbuf dim = {0};
		if (dims[d] < 0)
			pb_string(&dim, DIM_PARAM, "N");
		else
			pb_int(&dim, DIM_VALUE, dims[d]);
		pb_message(&shape, SHAPE_DIM, &dim);
		pb_free(&dim);
	}
	pb_int(&tensor, TENSOR_ELEM, elem);
	pb_message(&tensor, TENSOR_SHAPE, &shape);
	pb_message(&type, TYPE_TENSOR, &tensor);
	pb_string(&info, VALUE_NAME, name);
	pb_message(&info, VALUE_TYPE, &type);
	pb_message(out, field, &info);
	pb_free(&shape);
	pb_free(&tensor);
	pb_free(&type);
	pb_free(&info);
}

void onnx_input(onnx_model *m, const char *name, int elem, int ndim, const int64_t *dims)
{
	value_info(&m->io, GRAPH_INPUT, name, elem, ndim, dims);
}

void onnx_output(onnx_model *m, const char *name, int elem, int ndim, const int64_t *dims)
{
	value_info(&m->io, GRAPH_OUTPUT, name, elem, ndim, dims);
}

void onnx_initializer(onnx_model *m, const char *name, int ndim, const int64_t *dims, const float *data)
{
	pbuf t = {0};
	size_t count = 1;
	for (int d = 0; d < ndim; d++) {
		pb_int(&t, TENSOR_DIMS, dims[d]);
		count *= (size_t)dims[d];
	}
	pb_int(&t, TENSOR_TYPE, ONNX_FLOAT);
	pb_string(&t, TENSOR_NAME, name);
	pb_bytes(&t, TENSOR_RAW, data, count * sizeof(float));
	pb_message(&m->inits, GRAPH_INIT, &t);
	pb_free(&t);
	m->ninits++;
}

void onnx_node(onnx_model *m, const char *op, const char *out, int nin, const char *const *in)
{
	m->node.n = 0;
	for (int i = 0; i < nin; i++)
		pb_string(&m->node, NODE_INPUT, in[i]);
	pb_string(&m->node, NODE_OUTPUT, out);
	pb_string(&m->node, NODE_NAME, out);
	pb_string(&m->node, NODE_OP, op);
}

/* An AttributeProto of the node being built: its name and type, then
   what the caller adds to a */
static void attr_begin(pbuf *a, const char *name, int type)
{
	pb_string(a, ATTR_NAME, name);
	pb_int(a, ATTR_TYPE, type);
}

static void attr_end(onnx_model *m, pbuf *a)
{
	pb_message(&m->node, NODE_ATTR, a);
	pb_free(a);
}

void onnx_attr_int(onnx_model *m, const char *name, int64_t v)
{
	pbuf a = {0};
	attr_begin(&a, name, TYPE_INT);
	pb_int(&a, ATTR_I, v);
	attr_end(m, &a);
}

void onnx_attr_ints(onnx_model *m, const char *name, int n, const int64_t *v)
{
	pbuf a = {0};
	attr_begin(&a, name, TYPE_INTS);
	for (int i = 0; i < n; i++)
		pb_int(&a, ATTR_INTS, v[i]);
	attr_end(m, &a);
}

void onnx_attr_float(onnx_model *m, const char *name, float v)
{
	pbuf a = {0};
	attr_begin(&a, name, TYPE_FLOAT);
	pb_float(&a, ATTR_F, v);
	attr_end(m, &a);
}

void onnx_attr_string(onnx_model *m, const char *name, const char *s)
{
	pbuf a = {0};
	attr_begin(&a, name, TYPE_STRING);
	pb_string(&a, ATTR_S, s);
	attr_end(m, &a);
}

void onnx_node_end(onnx_model *m)
{
	pb_message(&m->nodes, GRAPH_NODE, &m->node);
	m->node.n = 0;
	m->nnodes++;
}

void onnx_meta(onnx_model *m, const char *key, const char *value)
{
	pbuf e = {0};
	pb_string(&e, ENTRY_KEY, key);
	pb_string(&e, ENTRY_VALUE, value);
	pb_message(&m->meta, MODEL_META, &e);
	pb_free(&e);
}

/* The ModelProto's fields before and after its graph, whose parts
   (name, nodes, initializers, input and output) onnx_write writes
   between them without copying the weights once more */
static void model_head(const onnx_model *m, pbuf *head, pbuf *gname)
{
	pb_int(head, MODEL_IR_VERSION, ONNX_IR_VERSION);
	pb_string(head, MODEL_PRODUCER, "nnpipe");
	if (m->doc)
		pb_string(head, MODEL_DOC, m->doc);
	pbuf opset = {0};
	pb_int(&opset, OPSET_VERSION, ONNX_OPSET);
	pb_message(head, MODEL_OPSET, &opset);
	pb_free(&opset);
	pb_string(gname, GRAPH_NAME, m->name);
}

static size_t graph_size(const onnx_model *m, const pbuf *gname)
{
	return gname->n + m->nodes.n + m->inits.n + m->io.n;
}

size_t onnx_size(const onnx_model *m)
{
	pbuf head = {0}, gname = {0};
	model_head(m, &head, &gname);
	size_t g = graph_size(m, &gname);
	size_t n = head.n + pb_header_size(MODEL_GRAPH, g) + g + m->meta.n;
	pb_free(&head);
	pb_free(&gname);
	return n;
}

void onnx_write(const onnx_model *m, FILE *f, const char *path)
{
	size_t total = onnx_size(m);
	if (total > INT_MAX)
		fatal("%s: the model would take %zu bytes, more than the 2 GiB that one ONNX file holds "
		      "(weights in separate files are not written)", path, total);
	pbuf head = {0}, gname = {0};
	model_head(m, &head, &gname);
	pb_header(&head, MODEL_GRAPH, graph_size(m, &gname));
	xfwrite(head.p, head.n, f, path);
	const pbuf *parts[] = {&gname, &m->nodes, &m->inits, &m->io, &m->meta};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		if (parts[i]->n)
			xfwrite(parts[i]->p, parts[i]->n, f, path);
	pb_free(&head);
	pb_free(&gname);
}
