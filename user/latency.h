/* SPDX-License-Identifier: GPL-2.0 */
/* --latency: read the BPF histograms and print them. */
#ifndef IPTTRACE_LATENCY_H
#define IPTTRACE_LATENCY_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Print what the histograms gained since the previous call (or since the
 * start): one block per family/table/hook (and netns with per_netns).
 * Returns the number of keys printed, -1 on error.
 */
int iptt_latency_print(FILE *f, int map_fd, bool per_netns, bool json);
void iptt_latency_free(void);

#endif /* IPTTRACE_LATENCY_H */
