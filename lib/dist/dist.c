/* dist.c: the ranks of a data-parallel run, on MPI when the build has it
   (NN_MPI, set by the Makefile when it finds mpicc). Only nn-train links
   MPI: the other tools never call in here. Sums are done in rank order by
   this file rather than by MPI_Allreduce, whose order of additions depends
   on the algorithm Open MPI picks, so that two runs give the same bits. */
#include "dist/dist.h"
#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef NN_MPI
#include <mpi.h>
#endif

static int rank_, size_ = 1;
static double spent, waited;

void dist_pace_note(long steps, double seconds)
{
	if (size_ > 1 && steps > 0)
		note("%d ranks: a step took %.1f ms, of which %.1f ms summing across ranks and %.1f ms "
		     "waiting for the slowest rank", size_, 1e3 * seconds / steps, 1e3 * spent / steps,
		     1e3 * waited / steps);
}

int dist_rank(void) { return rank_; }
int dist_size(void) { return size_; }

void dist_share(long count, long *lo, long *hi) { batch_share(count, rank_, size_, lo, hi); }

/* The number of ranks mpirun (Open MPI, or MPICH's hydra) says this
   process is one of; 1 when it was not started by mpirun. */
static int launcher_size(void)
{
	static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		long n;
		const char *v = getenv(vars[i]);
		if (v && parse_int(v, &n) && n > 1)
			return (int)n;
	}
	return 1;
}

#ifndef NN_MPI

const char *dist_engine(void) { return "none"; }

void dist_init(int *argc, char ***argv)
{
	int n = launcher_size();
	/* n copies of a single-process run would each write the model */
	if (n > 1)
		fatal("started as one of %d ranks, but built without MPI (install libopenmpi-dev and rebuild)", n);
}

void dist_device(const backend *be) {}
void dist_sum_float(float *buf, size_t n) {}
void dist_sum_double(double *buf, size_t n) {}
void dist_sum_device(const backend *be, float *buf, size_t n) {}
void dist_bcast_device(const backend *be, float *buf, size_t n) {}
int dist_same_device(const backend *be, const float *buf, size_t n) { return 1; }

#else

static int joined;
static const backend *comm_be;   /* the backend that sums on its devices */
static void *scratch;
static size_t scratch_bytes;

const char *dist_engine(void) { return "MPI"; }

/* At exit: a normal end leaves MPI; an end on an error aborts every rank,
   so that none waits for ever on one that is gone. */
static void dist_exit(void)
{
	if (!joined)
		return;
	joined = 0;
	if (nn_failing)
		MPI_Abort(MPI_COMM_WORLD, 1);
	MPI_Finalize();
}

void dist_init(int *argc, char ***argv)
{
	if (launcher_size() == 1)
		return;
	MPI_Init(argc, argv);
	joined = 1;
	atexit(dist_exit);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
	MPI_Comm_size(MPI_COMM_WORLD, &size_);
	/* one GPU per rank of a host, unless the user chose: before anything
	   opens CUDA */
	const char *local = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
	if (local)
		setenv("CUDA_VISIBLE_DEVICES", local, 0);
	/* every message says which rank it comes from */
	static char tag[32];
	snprintf(tag, sizeof tag, "rank %d: ", rank_);
	nn_msg_tag = tag;
	/* rank 0 speaks for the run; the others print their errors only */
	nn_notes_off = rank_ > 0;
}

static void *scratch_get(size_t bytes)
{
	if (bytes > scratch_bytes) {
		free(scratch);
		scratch = xmalloc(bytes);
		scratch_bytes = bytes;
	}
	return scratch;
}

static void add_float(void *acc, const void *x, size_t k)
{
	float *a = acc;
	const float *b = x;
	for (size_t i = 0; i < k; i++)
		a[i] += b[i];
}

static void add_double(void *acc, const void *x, size_t k)
{
	double *a = acc;
	const double *b = x;
	for (size_t i = 0; i < k; i++)
		a[i] += b[i];
}

/* A reduce-scatter and an all-gather, as a ring all-reduce moves the data:
   rank r receives the r-th chunk of every rank, adds them in rank order,
   and every rank gathers the sums. */
static void sum_ordered(void *buf, size_t n, size_t esize, MPI_Datatype type,
			void (*add)(void *, const void *, size_t))
{
	if (size_ == 1 || n == 0)
		return;
	/* a barrier first, so that the time of the exchange is not the time
	   one rank waits for another's step */
	double t = now_seconds();
	MPI_Barrier(MPI_COMM_WORLD);
	waited += now_seconds() - t;
	t = now_seconds();
	size_t chunk = (n + size_ - 1) / size_, all = chunk * size_;
	if (chunk > INT_MAX)
		fatal("cannot sum %zu numbers across ranks: too many", n);
	char *send = scratch_get(2 * all * esize), *recv = send + all * esize;
	memcpy(send, buf, n * esize);
	memset(send + n * esize, 0, (all - n) * esize);
	MPI_Alltoall(send, (int)chunk, type, recv, (int)chunk, type, MPI_COMM_WORLD);
	for (int r = 1; r < size_; r++)
		add(recv, recv + r * chunk * esize, chunk);
	MPI_Allgather(recv, (int)chunk, type, send, (int)chunk, type, MPI_COMM_WORLD);
	memcpy(buf, send, n * esize);
	spent += now_seconds() - t;
}

void dist_sum_float(float *buf, size_t n) { sum_ordered(buf, n, sizeof *buf, MPI_FLOAT, add_float); }
void dist_sum_double(double *buf, size_t n) { sum_ordered(buf, n, sizeof *buf, MPI_DOUBLE, add_double); }

/* GPU memory goes through the host: a host buffer of its own, as
   sum_ordered uses the scratch. */
static float *host_copy(const backend *be, const float *buf, size_t n, float **keep, size_t *kept)
{
	if (n > *kept) {
		free(*keep);
		*keep = xmalloc(n * sizeof **keep);
		*kept = n;
	}
	be->download(*keep, buf, n * sizeof *buf);
	return *keep;
}

static float *staging;
static size_t staged;

static int agree(uint64_t v)
{
	uint64_t lo = v, hi = v;
	MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
	MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
	return lo == hi;
}

void dist_device(const backend *be)
{
	if (size_ == 1)
		return;
	/* a mix would sum with different calls, and wait for ever */
	int device_sum = backend_supports(be, BACKEND_DEVICE_SUM);
	if (!agree((uint64_t)be->is_gpu << 1 | (uint64_t)device_sum))
		fatal("the ranks are not all on the same kind of device (%s here): give each a GPU, or --device cpu",
		      be->name);
	if (!device_sum)
		return;
	unsigned char id[BACKEND_COMM_ID_BYTES] = {0};
	if (rank_ == 0)
		be->comm_id(id);
	MPI_Bcast(id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
	be->comm_open(id, size_, rank_);
	comm_be = be;
}

void dist_sum_device(const backend *be, float *buf, size_t n)
{
	if (size_ == 1)
		return;
	if (be == comm_be) {
		double t = now_seconds();
		be->comm_sum(buf, n);
		spent += now_seconds() - t;
		return;
	}
	if (!be->is_gpu) {
		dist_sum_float(buf, n);
		return;
	}
	double t = now_seconds();
	float *h = host_copy(be, buf, n, &staging, &staged);
	spent += now_seconds() - t;
	dist_sum_float(h, n);
	t = now_seconds();
	be->upload(buf, h, n * sizeof *h);
	spent += now_seconds() - t;
}

void dist_bcast_device(const backend *be, float *buf, size_t n)
{
	if (size_ == 1 || n == 0)
		return;
	if (n > INT_MAX)
		fatal("cannot send %zu numbers across ranks: too many", n);
	float *h = be->is_gpu ? host_copy(be, buf, n, &staging, &staged) : buf;
	MPI_Bcast(h, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
	if (h != buf)
		be->upload(buf, h, n * sizeof *h);
}

int dist_same_device(const backend *be, const float *buf, size_t n)
{
	if (size_ == 1)
		return 1;
	const float *h = be->is_gpu ? host_copy(be, buf, n, &staging, &staged) : buf;
	const unsigned char *b = (const unsigned char *)h;
	uint64_t v = 0xcbf29ce484222325ULL;   /* FNV-1a */
	for (size_t i = 0; i < n * sizeof *h; i++)
		v = (v ^ b[i]) * 0x100000001b3ULL;
	return agree(v);
}

#endif

static void share_and_stop(trainer *t, int count, void *ctx)
{
	dist_trainer *d = ctx;
	double sums[STAT_N], across[2];   /* over the ranks: the batch's weight, the ranks interrupted */
	trainer_sums(t, sums);
	double mine = sums[STAT_WEIGHT] - d->weight_before;
	d->weight_before = sums[STAT_WEIGHT];
	across[0] = mine;
	across[1] = *d->interrupted;
	dist_sum_double(across, 2);
	d->stop = across[1] > 0;
	/* dlogits *= mine / total */
	if (mine != across[0])
		t->n->be->axpy((size_t)count * net_output_size(t->n), (float)(mine / across[0]) - 1, t->dlogits,
			       t->dlogits);
}

static void sum_gradients(trainer *t, void *ctx)
{
	(void)ctx;
	dist_sum_device(t->n->be, t->n->grads, t->n->nparams);
}

void dist_trainer_attach(trainer *t, dist_trainer *d, volatile sig_atomic_t *interrupted)
{
	d->interrupted = interrupted;
	t->after_loss = share_and_stop;
	t->sum_gradients = sum_gradients;
	t->ctx = d;
}

void dist_replicas_check(net *n, long step)
{
	if (dist_size() == 1)
		return;
	dist_bcast_device(n->be, n->buffers, n->nbuffers);
	if (!dist_same_device(n->be, n->params, n->nparams))
		fatal("the ranks' weights differ at step %ld", step);
}

void dist_evaluate(net *n, devdata *val, const float *class_w, long step, double *loss, double *acc, double *map)
{
	double v[STAT_N];
	long lo, hi;
	if (size_ == 1) {
		evaluate(n, val, class_w, loss, acc, map);
		return;
	}
	dist_replicas_check(n, step);
	dist_share(val->n, &lo, &hi);
	evaluate_sums(n, val, class_w, lo, hi, v, NULL);
	dist_sum_double(v, STAT_N);
	*loss = v[STAT_WEIGHT] > 0 ? v[STAT_LOSS] / v[STAT_WEIGHT] : 0;
	*acc = v[STAT_COUNT] > 0 ? v[STAT_CORRECT] / v[STAT_COUNT] : 0;
	if (map) {
		double ignore_loss, ignore_acc;
		evaluate(n, val, class_w, &ignore_loss, &ignore_acc, map);
	}
}
