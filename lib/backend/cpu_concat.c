/* cpu_concat.c: the CPU backend's channel concatenation. */
#include "backend/cpu_ops.h"

#include <string.h>

void cpu_concat_forward(int n, int ca, int cb, int hw, const float *a, const float *b, float *y)
{
	for (int i = 0; i < n; i++) {
		memcpy(y + (size_t)i * (ca + cb) * hw, a + (size_t)i * ca * hw, (size_t)ca * hw * sizeof(float));
		memcpy(y + ((size_t)i * (ca + cb) + ca) * hw, b + (size_t)i * cb * hw,
		       (size_t)cb * hw * sizeof(float));
	}
}

void cpu_concat_backward(int n, int ca, int cb, int hw, const float *dy, float *da, float *db)
{
	for (int i = 0; i < n; i++) {
		const float *g = dy + (size_t)i * (ca + cb) * hw;
		if (da) {
			float *pa = da + (size_t)i * ca * hw;
			for (size_t j = 0; j < (size_t)ca * hw; j++)
				pa[j] += g[j];
		}
		if (db) {
			float *pb = db + (size_t)i * cb * hw;
			for (size_t j = 0; j < (size_t)cb * hw; j++)
				pb[j] += g[(size_t)ca * hw + j];
		}
	}
}
