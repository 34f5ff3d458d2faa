/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Never lose an event silently: what the kernel skipped, what the BPF side
 * could not place, and what the module saw that the BPF side did not, said
 * once at exit in every mode.
 */
#ifndef IPTTRACE_ACCOUNTING_H
#define IPTTRACE_ACCOUNTING_H

#include <stdbool.h>
#include <stdio.h>
#include "ipttrace.h"
#include "loader.h"

struct iptt_accounting {
	/* trace mode only: ipttrace.ko's counters and the BPF side's view */
	bool have_kmod;
	unsigned long long log_calls;		/* the module's nf_log_trace count */
	unsigned long long log_calls_seen;	/* the BPF kprobe's, same window */
	unsigned long long selected;		/* packets the module selected */
	unsigned long long packets_seen;	/* their packet events received */
	unsigned long long ring_lost;		/* events of any kind lost */
};

/*
 * Print one line per kind of loss to err (and, with json, one
 * {"event":"lost","count":N,"reason":R[,"program":P]} line per kind to out).
 * Returns the number of table calls or steps lost in all.
 */
unsigned long long iptt_accounting_report(const struct iptt_bpf *b,
					  const struct iptt_accounting *a,
					  FILE *out, FILE *err, bool json);

#endif /* IPTTRACE_ACCOUNTING_H */
