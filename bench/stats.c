// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Median, quartiles and range of repeated measurements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "util.h"

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_quantile(const double *s, int n, double f)
{
	double pos = f * (n - 1);
	int i = (int)pos;

	return i + 1 < n ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[n - 1];
}

struct spread bench_spread(const double *v, int n)
{
	double *s = hvt_malloc(sizeof(*s) * (size_t)n);
	struct spread sp;

	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	sp.median = bench_quantile(s, n, 0.5);
	sp.q1 = bench_quantile(s, n, 0.25);
	sp.q3 = bench_quantile(s, n, 0.75);
	sp.min = s[0];
	sp.max = s[n - 1];
	free(s);
	return sp;
}

const char *bench_range(char *buf, size_t size, int prec, double a, double b)
{
	snprintf(buf, size, "%.*f-%.*f", prec, a, prec, b);
	return buf;
}
