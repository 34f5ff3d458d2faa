/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching the BPF programs (open -> rodata -> load -> attach). */
#ifndef IPTTRACE_LOADER_H
#define IPTTRACE_LOADER_H

#include <stdbool.h>
#include <bpf/libbpf.h>
#include "cli.h"

struct ipttrace_bpf;

struct iptt_bpf {
	struct ipttrace_bpf *skel;
	struct ring_buffer *rb;
	enum iptt_probe_mode used;	/* FENTRY or KPROBE once attached */
	bool v4, v6;			/* ip_tables / ip6_tables traced */
};

/*
 * Check the kernel (BTF, ip_tables), load and attach.  trace: rule steps,
 * verdicts and packets (needs ipttrace.ko loaded); otherwise latency
 * histograms only.  On failure prints one line and returns -1 with
 * everything detached.
 */
int iptt_bpf_start(struct iptt_bpf *b, const struct iptt_opts *o, bool trace,
		   ring_buffer_sample_fn cb, void *ctx);
void iptt_bpf_stop(struct iptt_bpf *b);

/* Counters kept by the BPF side. */
unsigned long long iptt_bpf_lost(const struct iptt_bpf *b);
/* Table calls nested deeper than IPTT_MAX_DEPTH: not timed or traced. */
unsigned long long iptt_bpf_overflows(const struct iptt_bpf *b);
unsigned int iptt_bpf_gen(const struct iptt_bpf *b);
int iptt_bpf_hists_fd(const struct iptt_bpf *b);

/* Pre-flight checks shared with --latency: 0 or -1 after one line. */
int iptt_check_kernel(bool *v4, bool *v6);

#endif /* IPTTRACE_LOADER_H */
