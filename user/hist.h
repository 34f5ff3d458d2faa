/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log2 latency histograms as the BPF side fills them (struct iptt_hist):
 * slot 0 counts 0 ns, slot i >= 1 counts [2^(i-1), 2^i - 1] ns, and the last
 * slot also counts everything above its range.
 */
#ifndef IPTT_HIST_H
#define IPTT_HIST_H

#include <stdio.h>
#include <linux/types.h>

/* The slot a value falls in, with nslots slots (the BPF side's rule). */
int hist_slot(__u64 val, int nslots);

/*
 * Estimate of the p-th percentile (p in 0..100, clamped): the p-th value is
 * placed inside its slot by linear interpolation between the slot's lowest
 * and highest value.  For the last slot, whose top is open, the estimate
 * stays within its nominal range and so is a lower bound.  0 when the
 * histogram is empty.
 */
double hist_percentile(const __u64 *slots, int nslots, double p);

/*
 * Print in the style of libbpf-tools' print_log2_hist(), from the first to
 * the last non-empty slot; prints nothing for an empty histogram.
 */
void hist_print(FILE *f, const __u64 *slots, int nslots,
		const char *unit_label);

/* dst[i] += src[i], saturating. */
void hist_merge(__u64 *dst, const __u64 *src, int n);

#endif /* IPTT_HIST_H */
