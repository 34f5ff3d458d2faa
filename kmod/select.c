// SPDX-License-Identifier: GPL-2.0
/*
 * Packet selection: netfilter hooks at INT_MIN on PRE_ROUTING and LOCAL_OUT
 * (and right after defrag on PRE_ROUTING, for fragmented datagrams), IPv4 and
 * IPv6, in every network namespace.  A packet that passes the
 * netns/interface checks, the user's pcap filter and the token bucket gets
 * skb->nf_trace = 1, which makes ipt_do_table() report every rule it hits via
 * nf_log_trace() -- the same effect as "-t raw -j TRACE" with no rule inserted.
 *
 * The hooks are registered only while tracing is enabled, through pernet
 * operations, so namespaces created while ipttrace runs are covered too and
 * an idle module costs the packet path nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ktime.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include "ipttrace_kmod.h"

#if !IS_ENABLED(CONFIG_NETFILTER_XT_TARGET_TRACE)
#error "ipttrace needs CONFIG_NETFILTER_XT_TARGET_TRACE: ip_tables only traces with it"
#endif

DEFINE_PER_CPU(struct iptt_pcpu_stats, iptt_stats);

/* The selection in force; NULL while disabled.  Readers: the hooks (RCU). */
static struct iptt_sel __rcu *iptt_active;

/*
 * Called for every selected packet.  It does nothing itself: ipttrace's BPF
 * program attaches a kprobe here to emit the packet event and give the skb its
 * trace id before any table sees it.  noinline and the asm keep the call,
 * the symbol and the argument registers exactly as written (gcc would also
 * take __noipa__, which clang-built kernels do not know).
 */
noinline __visible
void ipttrace_packet_selected(struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	asm volatile("" : : "r"(skb), "r"(state) : "memory");
}

/*
 * The rate cap, as a lockless GCRA ("virtual scheduling") bucket: tat is the
 * time at which the bucket is empty again.  A packet conforms when taking
 * its token keeps tat within burst_ns of now.
 *
 * Context: any (process context with BH enabled at LOCAL_OUT, softirq at
 * PRE_ROUTING, possibly nested into each other on one CPU): there is no lock
 * to deadlock on, only a cmpxchg.  A CPU whose clock read is older than
 * another CPU's leaves tat where it is (max(tat, now)): no credit is ever
 * created from a stale time, so the cap holds on any number of CPUs.  The
 * retry loop is bounded; losing it that often means other CPUs are taking
 * the tokens, and the packet counts as over the cap.
 */
#define IPTT_TOKEN_TRIES	8

static bool iptt_take_token(struct iptt_sel *sel)
{
	u64 now = ktime_get_mono_fast_ns();
	s64 old = atomic64_read(&sel->tat);
	int i;

	for (i = 0; i < IPTT_TOKEN_TRIES; i++) {
		u64 tat = max_t(u64, (u64)old, now) + sel->ns_per_token;

		if (tat - now > sel->burst_ns)
			return false;
		if (atomic64_try_cmpxchg(&sel->tat, &old, (s64)tat))
			return true;
	}
	return false;
}

static bool iptt_dev_match(const struct iptt_sel *sel,
			   const struct nf_hook_state *state)
{
	if (!sel->ifname[0])
		return true;
	if (state->in && !strncmp(state->in->name, sel->ifname, IFNAMSIZ))
		return true;
	return state->out && !strncmp(state->out->name, sel->ifname, IFNAMSIZ);
}

/* A fragment of a datagram, as received (before any reassembly). */
static bool iptt_is_fragment(const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return ip_is_fragment(ip_hdr(skb));
	switch (ipv6_hdr(skb)->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return false;	/* the common case, without a header walk */
	}
	/* ipv6_find_hdr() walks a bounded chain, with skb_header_pointer() */
	return ipv6_find_hdr(skb, &(unsigned int){ 0 }, NEXTHDR_FRAGMENT,
			     NULL, NULL) >= 0;
}

/* A datagram that conntrack's defrag reassembled from fragments. */
static bool iptt_is_reassembled(const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return IPCB(skb)->frag_max_size != 0;
	return IP6CB(skb)->frag_max_size != 0;
}

/*
 * Where in the receive path a hook sits: the first hook at INT_MIN sees
 * every packet as it arrives, the second one right after conntrack's defrag
 * (NF_IP_PRI_CONNTRACK_DEFRAG + 1, before raw at -300) sees datagrams
 * reassembled from fragments.  A fragment is selected as the whole datagram
 * at the second hook, so that the packet ipttrace shows is the one the
 * tables walk; where no defrag runs (no conntrack in that namespace), the
 * fragments reach the second hook unchanged and are selected there one by
 * one.
 */
enum iptt_stage {
	IPTT_STAGE_FIRST,
	IPTT_STAGE_DEFRAG,
};

/*
 * Netfilter hook.  Context: softirq (PRE_ROUTING) or process context with BH
 * enabled (LOCAL_OUT), under rcu_read_lock(); a PRE_ROUTING softirq may
 * interrupt a LOCAL_OUT call on the same CPU.
 */
static unsigned int iptt_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct iptt_sel *sel = rcu_dereference(iptt_active);
	u32 fam = state->pf == NFPROTO_IPV4 ? IPTT_FAM_IPV4 : IPTT_FAM_IPV6;
	enum iptt_stage stage = (unsigned long)priv;

	if (!sel)
		return NF_ACCEPT;
	if (state->hook == NF_INET_PRE_ROUTING) {
		bool frag = iptt_is_fragment(skb, state->pf);

		if (stage == IPTT_STAGE_FIRST && frag)
			return NF_ACCEPT;	/* the defrag stage decides */
		if (stage == IPTT_STAGE_DEFRAG && !frag &&
		    !iptt_is_reassembled(skb, state->pf))
			return NF_ACCEPT;	/* seen at the first stage */
	}
	this_cpu_inc(iptt_stats.seen);

	/*
	 * Already traced: a packet looped back over lo keeps the mark it got
	 * at LOCAL_OUT, so it is one packet with one id and one token, not
	 * two.  (Someone's own mark from an ingress hook is left alone too.)
	 */
	if (skb->nf_trace) {
		this_cpu_inc(iptt_stats.already_traced);
		return NF_ACCEPT;
	}
	if (!(sel->families & fam))
		return NF_ACCEPT;
	if (sel->netns && state->net->ns.inum != sel->netns)
		return NF_ACCEPT;
	if (!iptt_dev_match(sel, state))
		return NF_ACCEPT;
	/*
	 * skb->data is the network header here, as the DLT_RAW filter
	 * expects.  bpf_prog_run() wants migration off; LOCAL_OUT runs
	 * preemptible (xt_bpf gets it from ipt_do_table's local_bh_disable()).
	 */
	if (sel->prog) {
		u32 ok;

		migrate_disable();
		ok = bpf_prog_run_save_cb(sel->prog, skb);
		migrate_enable();
		if (!ok)
			return NF_ACCEPT;
	}
	this_cpu_inc(iptt_stats.matched);

	if (!iptt_take_token(sel)) {
		this_cpu_inc(iptt_stats.rate_limited);
		return NF_ACCEPT;
	}
	this_cpu_inc(iptt_stats.selected);
	skb->nf_trace = 1;
	ipttrace_packet_selected(skb, state);
	return NF_ACCEPT;
}

#define IPTT_DEFRAG_PRIO	(NF_IP_PRI_CONNTRACK_DEFRAG + 1)
static_assert((int)NF_IP_PRI_CONNTRACK_DEFRAG == (int)NF_IP6_PRI_CONNTRACK_DEFRAG);
static_assert(IPTT_DEFRAG_PRIO < NF_IP_PRI_RAW);

#define IPTT_OPS(fam, hnum, prio, stage)				\
	{ .hook = iptt_hook, .pf = (fam), .hooknum = (hnum),		\
	  .priority = (prio), .priv = (void *)(stage) }

static const struct nf_hook_ops iptt_nf_ops[] = {
	IPTT_OPS(NFPROTO_IPV4, NF_INET_PRE_ROUTING, INT_MIN, IPTT_STAGE_FIRST),
	IPTT_OPS(NFPROTO_IPV4, NF_INET_PRE_ROUTING, IPTT_DEFRAG_PRIO, IPTT_STAGE_DEFRAG),
	IPTT_OPS(NFPROTO_IPV4, NF_INET_LOCAL_OUT, INT_MIN, IPTT_STAGE_FIRST),
	IPTT_OPS(NFPROTO_IPV6, NF_INET_PRE_ROUTING, INT_MIN, IPTT_STAGE_FIRST),
	IPTT_OPS(NFPROTO_IPV6, NF_INET_PRE_ROUTING, IPTT_DEFRAG_PRIO, IPTT_STAGE_DEFRAG),
	IPTT_OPS(NFPROTO_IPV6, NF_INET_LOCAL_OUT, INT_MIN, IPTT_STAGE_FIRST),
};

static int __net_init iptt_net_init(struct net *net)
{
	return nf_register_net_hooks(net, iptt_nf_ops, ARRAY_SIZE(iptt_nf_ops));
}

static void __net_exit iptt_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, iptt_nf_ops, ARRAY_SIZE(iptt_nf_ops));
}

static struct pernet_operations iptt_net_ops = {
	.init = iptt_net_init,
	.exit = iptt_net_exit,
};

/* The selection in force, for the silencer (quiet.c); caller holds RCU. */
notrace const struct iptt_sel *iptt_active_sel(void)
{
	return rcu_dereference(iptt_active);
}

struct iptt_sel *iptt_sel_create(const struct iptt_config *cfg,
				 struct sock_filter *insns)
{
	struct iptt_sel *sel;
	u32 rate = cfg->rate ? cfg->rate : IPTT_DEFAULT_RATE;
	int err;

	sel = kzalloc(sizeof(*sel), GFP_KERNEL);
	if (!sel)
		return ERR_PTR(-ENOMEM);

	if (cfg->filter_len) {
		struct sock_fprog_kern fprog = {
			.len = cfg->filter_len,
			.filter = insns,
		};

		/* checks the program like SO_ATTACH_FILTER and xt_bpf do */
		err = bpf_prog_create(&sel->prog, &fprog);
		if (err) {
			kfree(sel);
			return ERR_PTR(err);
		}
	}
	sel->families = cfg->families ? cfg->families :
			IPTT_FAM_IPV4 | IPTT_FAM_IPV6;
	sel->netns = cfg->netns;
	sel->flags = cfg->flags;
	memcpy(sel->ifname, cfg->ifname, IFNAMSIZ);
	sel->ifname[IFNAMSIZ - 1] = '\0';

	sel->ns_per_token = div_u64(NSEC_PER_SEC, rate);
	if (!sel->ns_per_token)
		sel->ns_per_token = 1;
	/* allow a burst of a tenth of a second's worth, at least one packet */
	sel->burst_ns = max_t(u64, NSEC_PER_SEC / 10, sel->ns_per_token);
	/* a full bucket: tat in the past by a whole burst */
	atomic64_set(&sel->tat, ktime_get_mono_fast_ns() - sel->burst_ns);
	return sel;
}

void iptt_sel_destroy(struct iptt_sel *sel)
{
	if (!sel)
		return;
	if (sel->prog)
		bpf_prog_destroy(sel->prog);
	kfree(sel);
}

int iptt_hooks_start(struct iptt_sel *sel)
{
	int err;

	err = register_pernet_subsys(&iptt_net_ops);
	if (err) {
		pr_err("cannot register netfilter hooks: %d\n", err);
		return err;
	}
	rcu_assign_pointer(iptt_active, sel);
	return 0;
}

/*
 * After this returns no hook runs and the selection may be freed.  The hooks
 * stop selecting at once (iptt_active is NULL and every hook that still saw
 * it has finished: synchronize_net()); only then are they unregistered,
 * namespace by namespace, which can take long on a box with many.
 * Process context, iptt_lock held.
 */
void iptt_hooks_stop(void)
{
	RCU_INIT_POINTER(iptt_active, NULL);
	synchronize_net();
	unregister_pernet_subsys(&iptt_net_ops);
}
