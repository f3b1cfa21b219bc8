/* metrics.h: scores of a classifier or a segmenter against labels: average
   precision exactly as scikit-learn computes it, accuracy, per-class accuracy,
   confusion matrix and IoU.

   Layout shared by every function: scores p[N,K,S] float32 and labels y[N,S]
   int32, where S is the number of pixels per sample (H*W for segmentation,
   1 for classification). A class is predicted by argmax over K, the first
   of equal maxima winning (as numpy's argmax). Undefined values (a class with
   no sample, no positive, or an empty union) are NaN and left out of means. */
#ifndef NN_METRICS_H
#define NN_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Every function below requires scores without NaN (dataset_read refuses
   a prediction stream that holds one) and labels in [0,k)
   (dataset_labels_check). */

/* Average precision of class c as scikit-learn's average_precision_score with
   y_true = (y == c) and y_score = p[:,c,:]: distinct scores taken as
   thresholds from the highest down, ties grouped, AP = sum (R_i - R_{i-1}) P_i.
   NaN when class c has no positive. Time O(N*S) (radix sort of the score
   bits), memory 8 bytes per sample. */
double metrics_average_precision(const float *p, const int32_t *y, int64_t n, int k, int64_t s,
				 int c);
/* The points of scikit-learn's precision_recall_curve for class c, from the
   highest threshold down: point() is called once per distinct score t with
   tp and fp, the positives and negatives scoring t or more (precision
   tp / (tp + fp), recall tp / npos); with all 0, the walk stops at the
   threshold that brings in the last positive. Returns npos, the number of
   positives; with none, point() is never called. AP is built on this walk. */
int64_t metrics_pr_walk(const float *p, const int32_t *y, int64_t n, int k, int64_t s, int c, int all,
			void (*point)(void *ctx, float threshold, int64_t tp, int64_t fp), void *ctx);
/* The same for every class into ap[k], classes spread over OpenMP threads. */
void metrics_average_precision_all(const float *p, const int32_t *y, int64_t n, int k, int64_t s,
				   double *ap);

/* Confusion matrix cm[k,k] (rows true class, columns predicted class). */
void metrics_confusion(const float *p, const int32_t *y, int64_t n, int k, int64_t s, int64_t *cm);

/* Everything ap-score reports, derived from the confusion matrix and AP. */
typedef struct metrics {
	int nclass;
	int64_t total;           /* samples (or pixels) scored */
	int64_t *confusion;      /* [K,K], rows true, columns predicted */
	int64_t *count;          /* [K] samples whose true class is c */
	int64_t *predicted;      /* [K] samples predicted as c */
	double *class_accuracy;  /* [K] correct / count (recall); NaN when count is 0 */
	double *ap;              /* [K] average precision; NaN when count is 0 */
	double *iou;             /* [K] correct / (count + predicted - correct); NaN when 0/0 */
	double accuracy;         /* correct / total (pixel accuracy for segmentation) */
	double mean_class_accuracy, map, miou; /* means over the classes where defined */
	int map_classes;         /* classes that entered map */
} metrics;

metrics *metrics_compute(const float *p, const int32_t *y, int64_t n, int k, int64_t s);
void metrics_free(metrics *m);

#endif
