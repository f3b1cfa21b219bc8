/* check.h: result lines for the test runner (PASS:/FAIL:/SKIP:) and tolerances. */
#ifndef NN_CHECK_H
#define NN_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures;

#define PASS(...) (printf("PASS: "), printf(__VA_ARGS__), printf("\n"))
#define FAIL(...) (check_failures++, printf("FAIL: "), printf(__VA_ARGS__), printf("\n"))
#define SKIP(...) (printf("SKIP: "), printf(__VA_ARGS__), printf("\n"))

/* Largest |a-b| / (atol + rtol*|b|) over n elements; <= 1 means within tolerance. */
static inline double check_close(const float *a, const float *b, long n, double atol, double rtol,
				 long *worst)
{
	double m = 0;
	for (long i = 0; i < n; i++) {
		double e = fabs((double)a[i] - b[i]) / (atol + rtol * fabs((double)b[i]));
		if (!(e <= m)) {
			m = e;
			if (worst)
				*worst = i;
			if (isnan(e))
				return INFINITY;
		}
	}
	return m;
}

#define CHECK_CLOSE(name, a, b, n, atol, rtol)                                                   \
	do {                                                                                     \
		long w_ = 0;                                                                     \
		double e_ = check_close((a), (b), (n), (atol), (rtol), &w_);                     \
		if (e_ <= 1)                                                                     \
			PASS("%s", name);                                                        \
		else                                                                             \
			FAIL("%s: element %ld is %.7g, expected %.7g", name, w_, (double)(a)[w_], \
			     (double)(b)[w_]);                                                   \
	} while (0)

#endif
