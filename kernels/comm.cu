/* comm.cu: summing a buffer across processes on their GPUs with NCCL, for
   data-parallel training (lib/dist/dist.c sets the communicator up over MPI and
   calls these through the backend's table). Built when the CUDA toolkit
   has NCCL (NN_NCCL). */
#include "cuda_common.cuh"

#include <string.h>

#ifdef NN_NCCL
#include <nccl.h>

#define NCCL_CHECK(call)                                                                        \
	do {                                                                                    \
		ncclResult_t r_ = (call);                                                       \
		if (r_ != ncclSuccess)                                                          \
			fatal("NCCL error at %s:%d: %s: %s", __FILE__, __LINE__, #call,         \
			      ncclGetErrorString(r_));                                          \
	} while (0)

static ncclComm_t comm;

void cuda_comm_id(unsigned char id[BACKEND_COMM_ID_BYTES])
{
	static_assert(sizeof(ncclUniqueId) <= BACKEND_COMM_ID_BYTES, "NCCL's id is larger than the backend's");
	ncclUniqueId u;
	NCCL_CHECK(ncclGetUniqueId(&u));
	memcpy(id, &u, sizeof u);
}

void cuda_comm_open(const unsigned char id[BACKEND_COMM_ID_BYTES], int nranks, int rank)
{
	ncclUniqueId u;
	memcpy(&u, id, sizeof u);
	NCCL_CHECK(ncclCommInitRank(&comm, nranks, u, rank));
}

/* In place on the backend's stream; returns when the sum is there. */
void cuda_comm_sum(float *buf, size_t n)
{
	NCCL_CHECK(ncclAllReduce(buf, buf, n, ncclFloat, ncclSum, comm, cu_stream()));
	CUDA_CHECK(cudaStreamSynchronize(cu_stream()));
}
#endif
