/* SPDX-License-Identifier: GPL-2.0 */
/* --latency: read the BPF histograms and print them. */
#ifndef IPTTRACE_LATENCY_H
#define IPTTRACE_LATENCY_H

#include <stdbool.h>
#include <stdio.h>
#include "ipttrace.h"

/* One x_tables histogram, summed over CPUs (and namespaces unless per_netns). */
struct iptt_lat {
	unsigned int family, hook, netns;
	char table[IPTT_TABLE_LEN];
	unsigned long long count, sum_ns;
	__u64 slots[IPTT_HIST_SLOTS];
};

/*
 * Sum the "hists" map (map_fd), in the order a packet meets the tables;
 * returns the number of entries, malloc'ed into *out, or -1.  --latency
 * prints them, --metrics-file writes them.
 */
int iptt_latency_collect(int map_fd, bool per_netns, struct iptt_lat **out);

/*
 * Print what the histograms gained since the previous call (or since the
 * start): one block per family/table/hook (and netns with per_netns).
 * Returns the number of keys printed, -1 on error.
 */
int iptt_latency_print(FILE *f, int map_fd, bool per_netns, bool json);
void iptt_latency_free(void);

#endif /* IPTTRACE_LATENCY_H */
