// SPDX-License-Identifier: GPL-2.0
/*
 * log2 histograms: percentiles, merging of per-CPU copies, and the text
 * form familiar from bcc and libbpf-tools.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hist.h"

/*
 * Slot 64 holds [2^63, 2^64 - 1]: a __u64 cannot land any higher, so slots
 * past it are always empty and are ignored rather than given bounds that
 * do not fit in a __u64.
 */
#define HIST_MAX_SLOTS	65

static int clamp_slots(int nslots)
{
	if (nslots < 0)
		return 0;
	return nslots > HIST_MAX_SLOTS ? HIST_MAX_SLOTS : nslots;
}

static __u64 slot_low(int i)
{
	return i ? 1ULL << (i - 1) : 0;
}

static __u64 slot_high(int i)
{
	if (i >= 64)
		return UINT64_MAX;
	return i ? (1ULL << i) - 1 : 0;
}

int hist_slot(__u64 val, int nslots)
{
	int slot;

	if (nslots <= 1 || !val)
		return 0;
	slot = 64 - __builtin_clzll(val);
	return slot < nslots ? slot : nslots - 1;
}

double hist_percentile(const __u64 *slots, int nslots, double p)
{
	double total = 0, cum = 0, rank;
	int i, last = -1;

	nslots = clamp_slots(nslots);
	for (i = 0; i < nslots; i++) {
		total += (double)slots[i];
		if (slots[i])
			last = i;
	}
	if (last < 0)
		return 0;
	if (!(p > 0))		/* also NaN */
		p = 0;
	if (p > 100)
		p = 100;
	rank = total * p / 100;

	for (i = 0; i <= last; i++) {
		double c = (double)slots[i], f, lo, hi;

		if (!slots[i])
			continue;
		/* the last slot takes whatever rounding left over */
		if (cum + c >= rank || i == last) {
			f = (rank - cum) / c;
			if (f < 0)
				f = 0;
			if (f > 1)
				f = 1;
			lo = (double)slot_low(i);
			hi = (double)slot_high(i);
			return lo + f * (hi - lo);
		}
		cum += c;
	}
	return 0;	/* not reached */
}

static void print_bound(char *buf, size_t len, int i, int nslots, bool high)
{
	if (high && i == nslots - 1 && i < 64)
		snprintf(buf, len, "inf");	/* the last slot is open */
	else
		snprintf(buf, len, "%llu", (unsigned long long)
			 (high ? slot_high(i) : slot_low(i)));
}

void hist_print(FILE *f, const __u64 *slots, int nslots,
		const char *unit_label)
{
	const int bar = 40;
	int i, first = -1, last = -1, width;
	__u64 max = 0;
	char lo[24], hi[24];

	nslots = clamp_slots(nslots);
	for (i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (last < 0)
		return;

	/* the widest bound decides the column, 10 as in libbpf-tools */
	print_bound(hi, sizeof(hi), last, nslots, true);
	width = strlen(hi) > 10 ? (int)strlen(hi) : 10;
	fprintf(f, "%*s%-*s : count     distribution\n", 5, "",
		2 * width + 4 - 5, unit_label ? unit_label : "");

	for (i = first; i <= last; i++) {
		int stars, j;

		/* double: count * bar may not fit in 64 bits */
		stars = (int)((double)slots[i] * bar / (double)max);
		if (stars > bar || slots[i] == max)
			stars = bar;
		print_bound(lo, sizeof(lo), i, nslots, false);
		print_bound(hi, sizeof(hi), i, nslots, true);
		fprintf(f, "%*s -> %-*s : %-8llu |", width, lo, width, hi,
			(unsigned long long)slots[i]);
		for (j = 0; j < bar; j++)
			fputc(j < stars ? '*' : ' ', f);
		fputs("|\n", f);
	}
}

void hist_merge(__u64 *dst, const __u64 *src, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		__u64 sum = dst[i] + src[i];

		dst[i] = sum < dst[i] ? UINT64_MAX : sum;
	}
}
