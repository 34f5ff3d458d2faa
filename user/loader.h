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
	unsigned int netns;		/* --netns inode, set before start; 0: all */
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
unsigned long long iptt_bpf_muted(const struct iptt_bpf *b);
/* Table calls nested deeper than IPTT_MAX_DEPTH: not timed or traced. */
unsigned long long iptt_bpf_overflows(const struct iptt_bpf *b);
/* Table exits that found no frame of theirs (entry skipped or stack full). */
unsigned long long iptt_bpf_unmatched_exits(const struct iptt_bpf *b);
/* nf_log_trace calls the BPF kprobe saw, and those outside a known table call. */
unsigned long long iptt_bpf_log_calls_seen(const struct iptt_bpf *b);
unsigned long long iptt_bpf_log_calls_unattributed(const struct iptt_bpf *b);

struct iptt_miss {
	const char *name;		/* BPF program */
	unsigned long long count;	/* recursion_misses */
};
/* Programs with nonzero recursion_misses, at most max; returns how many. */
int iptt_bpf_recursion_misses(const struct iptt_bpf *b, struct iptt_miss *out,
			      int max);
unsigned int iptt_bpf_gen(const struct iptt_bpf *b);
int iptt_bpf_hists_fd(const struct iptt_bpf *b);

/*
 * The oldest kernel the BPF programs load on: BPF atomic fetch-and-add
 * (__sync_fetch_and_add with a used result) needs 5.12, and CO-RE against
 * module BTF (ip_tables, nf_tables) 5.11.  5.10 LTS is refused up front.
 */
#define IPTT_MIN_KERNEL_MAJOR	5
#define IPTT_MIN_KERNEL_MINOR	12
/* 0 if release (uname -r) is new enough, else -1 with why filled in. */
int iptt_kernel_version_ok(const char *release, char *why, size_t whylen);

/* Pre-flight checks shared with --latency: 0 or -1 after one line. */
int iptt_check_kernel(bool *v4, bool *v6);

#endif /* IPTTRACE_LOADER_H */
