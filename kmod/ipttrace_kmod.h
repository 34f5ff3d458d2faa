/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the parts of ipttrace.ko. */
#ifndef IPTTRACE_KMOD_H
#define IPTTRACE_KMOD_H

#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include "ipttrace.h"

#define IPTT_DEFAULT_RATE	1000	/* traced packets per second */

/* What the hooks select: built from struct iptt_config, then immutable. */
struct iptt_sel {
	struct bpf_prog *prog;		/* NULL: every packet */
	u32 families;			/* IPTT_FAM_* */
	u32 netns;			/* 0: every namespace */
	u32 flags;
	char ifname[IFNAMSIZ];

	/* rate cap (select.c): lockless GCRA, only matched packets touch it */
	u64 ns_per_token;
	u64 burst_ns;
	atomic64_t tat;		/* ktime_get_mono_fast_ns() of an empty bucket */
};

struct iptt_pcpu_stats {
	u64 seen;
	u64 matched;
	u64 selected;
	u64 rate_limited;
	u64 log_silenced;
	u64 log_calls;
	u64 already_traced;
};

DECLARE_PER_CPU(struct iptt_pcpu_stats, iptt_stats);

/* select.c */
void ipttrace_packet_selected(struct sk_buff *skb,
			      const struct nf_hook_state *state);
struct iptt_sel *iptt_sel_create(const struct iptt_config *cfg,
				 struct sock_filter *insns);
void iptt_sel_destroy(struct iptt_sel *sel);
int iptt_hooks_start(struct iptt_sel *sel);
void iptt_hooks_stop(void);
const struct iptt_sel *iptt_active_sel(void);

/* nft_key.c: nf_tables' nft_trace_enabled, held while tracing */
int iptt_nft_start(void);
void iptt_nft_stop(void);
bool iptt_nft_active(void);

/* quiet.c */
int iptt_quiet_start(bool silence);
void iptt_quiet_stop(void);
void iptt_quiet_exit(void);

#endif /* IPTTRACE_KMOD_H */
