/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nf_tables backend (iptables-nft, native nftables), userspace side:
 * which backends to trace, which BPF variant this kernel needs, and turning
 * nf_tables events into lines of the per-packet output.
 */
#ifndef IPTTRACE_NFT_H
#define IPTTRACE_NFT_H

#include <stdbool.h>
#include <stdio.h>
#include "decode.h"

struct ipttrace_bpf;
struct iptt_out_cfg;

enum iptt_backend {
	IPTT_BACKEND_AUTO = 0,	/* whichever is in use */
	IPTT_BACKEND_LEGACY,
	IPTT_BACKEND_NFT,
	IPTT_BACKEND_ALL,
};

/* --backend, set by the command line parser */
extern enum iptt_backend iptt_backend_choice;
/* "legacy", "nft", "all" -> 0, or -1 */
int iptt_backend_parse(const char *arg);

enum iptt_nft_layout {
	IPTT_NFT_LAYOUT_NONE = 0,	/* nf_tables not loaded, or not traced */
	IPTT_NFT_LAYOUT_V61,		/* nft_trace_notify(info) */
	IPTT_NFT_LAYOUT_V63,		/* nft_trace_notify(pkt, verdict, rule, info) */
};

/*
 * Decide whether nf_tables is traced: loaded, wanted by --backend, and
 * nft_trace_notify's layout known from nf_tables' BTF.  Prints one line when
 * nf_tables is in use but cannot be traced (no BTF, unknown layout).
 * Returns the layout (NONE: not traced).  Idempotent.
 */
enum iptt_nft_layout iptt_nft_detect(int verbose);
/* The decision made by iptt_nft_detect(): nf_tables programs are loaded. */
bool iptt_nft_traced(void);
/* nf_tables is loaded at all */
bool iptt_nft_loaded(void);
/* 0 if a backend will be traced (legacy: ip_tables wanted and loaded), else -1 after one line */
int iptt_backend_check(bool legacy);

/* Turn on the nf_tables programs wanted (all off before). */
void iptt_nft_autoload(struct ipttrace_bpf *s, bool trace, bool fentry);

/* After load: where the BPF side counts nf_tables commits */
void iptt_nft_bind(struct ipttrace_bpf *s);
unsigned int iptt_nft_gen(void);
int iptt_nft_hists_fd(void);

/* Output: called by output.c */
void iptt_nft_out_init(const struct iptt_out_cfg *c);
/*
 * Take the first ruleset snapshot of netns (0: our own) in a thread, from
 * before the BPF programs load; _join() after they are attached adopts it
 * if no commit came in between.
 */
void iptt_nft_prefetch(unsigned int netns);
void iptt_nft_prefetch_join(void);
void iptt_nft_out_event(const union iptt_event *ev);
void iptt_nft_summary_print(FILE *f, bool json);
void iptt_nft_out_free(void);

/* Names */
const char *iptt_nft_family_name(unsigned int table_family);
/* "accept", "drop", "continue", "jump X", ...; buf holds the result */
const char *iptt_nft_verdict_name(unsigned int code, const char *target,
				  char *buf, size_t len);
const char *iptt_nft_hook_name(unsigned int table_family, unsigned int hook);

/* --latency: nf_tables base chain histograms (map fd) */
int iptt_nft_latency_print(FILE *f, int map_fd, bool json);

#endif /* IPTTRACE_NFT_H */
