/* metrics.c: average precision (as scikit-learn), accuracy, confusion, IoU.
   AP sorts the scores of one class with an LSD radix sort on their bits, which
   keeps the 37 million scores of a segmentation test set to seconds and to
   8 bytes per score, and gives the same result on every run. */
#include "nn/metrics.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Maps a float to a key whose unsigned order is the order of the values.
   -0 and +0 compare equal, so they must share a key to form one tie group. */
static inline uint32_t score_key(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	if (u == 0x80000000u)
		u = 0;
	return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

#define RADIX_BITS 11
#define RADIX_SIZE (1 << RADIX_BITS)
#define RADIX_PASSES 3   /* 11 + 11 + 10 bits */

/* Sorts a[0..n) ascending, using tmp[0..n); returns whichever holds the result. */
static uint32_t *radix_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
	if (n < 2)
		return a;
	size_t (*hist)[RADIX_SIZE] = xcalloc(RADIX_PASSES, sizeof *hist);
	for (size_t i = 0; i < n; i++) {
		uint32_t v = a[i];
		hist[0][v & (RADIX_SIZE - 1)]++;
		hist[1][(v >> RADIX_BITS) & (RADIX_SIZE - 1)]++;
		hist[2][v >> (2 * RADIX_BITS)]++;
	}
	for (int pass = 0; pass < RADIX_PASSES; pass++) {
		int shift = pass * RADIX_BITS;
		size_t *h = hist[pass];
		/* probabilities share their high bits: a digit equal in every key
		   would only copy the array */
		if (h[(a[0] >> shift) & (RADIX_SIZE - 1)] == n)
			continue;
		size_t sum = 0;
		for (int d = 0; d < RADIX_SIZE; d++) {
			size_t c = h[d];
			h[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[h[(a[i] >> shift) & (RADIX_SIZE - 1)]++] = a[i];
		uint32_t *t = a;
		a = tmp;
		tmp = t;
	}
	free(hist);
	return a;
}

/* Inverse of score_key: the score a key stands for (-0 comes back as +0). */
static inline float key_score(uint32_t k)
{
	uint32_t u = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

int64_t metrics_pr_walk(const float *p, const int32_t *y, int64_t n, int k, int64_t s, int c, int all,
			void (*point)(void *ctx, float threshold, int64_t tp, int64_t fp), void *ctx)
{
	size_t m = (size_t)n * (size_t)s, npos = 0;
	for (size_t i = 0; i < m; i++)
		npos += y[i] == c;
	if (npos == 0)
		return 0;
	size_t nneg = m - npos;
	/* positives' keys in buf[0..npos), negatives' in buf[npos..m) */
	uint32_t *buf = xmalloc(m * sizeof *buf), *tmp = xmalloc(m * sizeof *tmp);
	size_t ip = 0, in = npos;
	for (int64_t i = 0; i < n; i++) {
		const float *pi = p + ((size_t)i * k + c) * s;
		const int32_t *yi = y + (size_t)i * s;
		for (int64_t j = 0; j < s; j++) {
			if (yi[j] == c)
				buf[ip++] = score_key(pi[j]);
			else
				buf[in++] = score_key(pi[j]);
		}
	}
	const uint32_t *pos = radix_sort(buf, tmp, npos);
	const uint32_t *neg = radix_sort(buf + npos, tmp + npos, nneg);

	/* Walk the distinct scores from the highest down; each is one threshold
	   of precision_recall_curve with tp, fp counted at and above it. */
	size_t i = npos, j = nneg, tp = 0, fp = 0;
	while (i > 0 || (all && j > 0)) {
		uint32_t t = i > 0 ? pos[i - 1] : neg[j - 1];
		if (j > 0 && neg[j - 1] > t)
			t = neg[j - 1];
		while (i > 0 && pos[i - 1] == t) {
			i--;
			tp++;
		}
		while (j > 0 && neg[j - 1] == t) {
			j--;
			fp++;
		}
		point(ctx, key_score(t), (int64_t)tp, (int64_t)fp);
	}
	free(buf);
	free(tmp);
	return (int64_t)npos;
}

/* AP as the sum of (R_i - R_{i-1}) P_i over the thresholds: tp grows only
   at thresholds with positives, and only those add. */
typedef struct ap_sum { int64_t tp; double sum; } ap_sum;

static void ap_point(void *ctx, float threshold, int64_t tp, int64_t fp)
{
	ap_sum *a = ctx;
	(void)threshold;
	if (tp > a->tp)
		a->sum += (double)(tp - a->tp) * ((double)tp / (double)(tp + fp));
	a->tp = tp;
}

double metrics_average_precision(const float *p, const int32_t *y, int64_t n, int k, int64_t s,
				 int c)
{
	ap_sum a = {0, 0};
	/* once every positive is in, recall stops growing and adds nothing */
	int64_t npos = metrics_pr_walk(p, y, n, k, s, c, 0, ap_point, &a);
	return npos ? a.sum / (double)npos : NAN;
}

void metrics_average_precision_all(const float *p, const int32_t *y, int64_t n, int k, int64_t s,
				   double *ap)
{
	/* One class per thread: each needs 8 bytes per score, so the peak is
	   that times the thread count on top of the scores themselves. */
#pragma omp parallel for schedule(dynamic, 1)
	for (int c = 0; c < k; c++)
		ap[c] = metrics_average_precision(p, y, n, k, s, c);
}

void metrics_confusion(const float *p, const int32_t *y, int64_t n, int k, int64_t s, int64_t *cm)
{
	memset(cm, 0, (size_t)k * k * sizeof *cm);
#pragma omp parallel
	{
		int64_t *local = xcalloc((size_t)k * k, sizeof *local);
		float *best = xmalloc((size_t)s * sizeof *best);
		int32_t *arg = xmalloc((size_t)s * sizeof *arg);
#pragma omp for schedule(static)
		for (int64_t i = 0; i < n; i++) {
			/* class-major sweep over one sample's planes keeps reads contiguous */
			const float *pi = p + (size_t)i * k * s;
			const int32_t *yi = y + (size_t)i * s;
			for (int64_t j = 0; j < s; j++) {
				best[j] = pi[j];
				arg[j] = 0;
			}
			for (int c = 1; c < k; c++) {
				const float *pc = pi + (size_t)c * s;
				for (int64_t j = 0; j < s; j++)
					if (pc[j] > best[j]) {
						best[j] = pc[j];
						arg[j] = c;
					}
			}
			for (int64_t j = 0; j < s; j++)
				local[(size_t)yi[j] * k + arg[j]]++;
		}
#pragma omp critical
		for (size_t e = 0; e < (size_t)k * k; e++)
			cm[e] += local[e];
		free(local);
		free(best);
		free(arg);
	}
}

metrics *metrics_compute(const float *p, const int32_t *y, int64_t n, int k, int64_t s)
{
	metrics *m = xcalloc(1, sizeof *m);
	m->nclass = k;
	m->total = n * s;
	m->confusion = xmalloc((size_t)k * k * sizeof *m->confusion);
	m->count = xcalloc(k, sizeof *m->count);
	m->predicted = xcalloc(k, sizeof *m->predicted);
	m->class_accuracy = xmalloc(k * sizeof *m->class_accuracy);
	m->ap = xmalloc(k * sizeof *m->ap);
	m->iou = xmalloc(k * sizeof *m->iou);
	metrics_confusion(p, y, n, k, s, m->confusion);
	metrics_average_precision_all(p, y, n, k, s, m->ap);

	int64_t correct = 0;
	for (int t = 0; t < k; t++)
		for (int c = 0; c < k; c++) {
			m->count[t] += m->confusion[t * k + c];
			m->predicted[c] += m->confusion[t * k + c];
		}
	double sum_acc = 0, sum_ap = 0, sum_iou = 0;
	int n_acc = 0, n_iou = 0;
	for (int c = 0; c < k; c++) {
		int64_t tp = m->confusion[c * k + c];
		int64_t uni = m->count[c] + m->predicted[c] - tp;
		correct += tp;
		m->class_accuracy[c] = m->count[c] ? (double)tp / m->count[c] : NAN;
		m->iou[c] = uni ? (double)tp / uni : NAN;
		if (!isnan(m->class_accuracy[c])) {
			sum_acc += m->class_accuracy[c];
			n_acc++;
		}
		if (!isnan(m->ap[c])) {
			sum_ap += m->ap[c];
			m->map_classes++;
		}
		if (!isnan(m->iou[c])) {
			sum_iou += m->iou[c];
			n_iou++;
		}
	}
	m->accuracy = m->total ? (double)correct / m->total : NAN;
	m->mean_class_accuracy = n_acc ? sum_acc / n_acc : NAN;
	m->map = m->map_classes ? sum_ap / m->map_classes : NAN;
	m->miou = n_iou ? sum_iou / n_iou : NAN;
	return m;
}

void metrics_free(metrics *m)
{
	if (!m)
		return;
	free(m->confusion);
	free(m->count);
	free(m->predicted);
	free(m->class_accuracy);
	free(m->ap);
	free(m->iou);
	free(m);
}
