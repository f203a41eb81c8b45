/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the benchmarks report about repeated measurements: median, quartiles
 * and range.
 */
#ifndef HVT_BENCH_STATS_H
#define HVT_BENCH_STATS_H

#include <stddef.h>

struct spread {
	double median, q1, q3, min, max;
};

/* qsort() comparison of doubles. */
int bench_cmp_double(const void *a, const void *b);
/* The value at fraction f of sorted s[0..n), interpolating between neighbours. */
double bench_quantile(const double *s, int n, double f);
/* Median, quartiles and range of v[0..n) (v is left as it is). */
struct spread bench_spread(const double *v, int n);
/* "a-b" with prec decimals into buf, for a column. */
const char *bench_range(char *buf, size_t size, int prec, double a, double b);

#endif
