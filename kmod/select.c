// SPDX-License-Identifier: GPL-2.0
/*
 * Packet selection: netfilter hooks at INT_MIN on PRE_ROUTING and LOCAL_OUT,
 * IPv4 and IPv6, in every network namespace.  A packet that passes the
 * netns/interface checks, the user's pcap filter and the token bucket gets
 * skb->nf_trace = 1, which makes ipt_do_table() report every rule it hits via
 * nf_log_trace() -- the same effect as "-t raw -j TRACE" with no rule inserted.
 *
 * The hooks are registered only while tracing is enabled, through pernet
 * operations, so namespaces created while ipttrace runs are covered too and
 * an idle module costs the packet path nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
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
 * trace id before any table sees it.  noinline/noipa and the asm keep the call,
 * the symbol and the argument registers exactly as written.
 */
noinline __attribute__((__noipa__)) __visible
void ipttrace_packet_selected(struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	asm volatile("" : : "r"(skb), "r"(state) : "memory");
}

static bool iptt_take_token(struct iptt_sel *sel)
{
	u64 now = ktime_get_mono_fast_ns();
	bool ok = false;

	spin_lock(&sel->lock);
	sel->credit_ns += now - sel->last_ns;
	sel->last_ns = now;
	if (sel->credit_ns > sel->burst_ns)
		sel->credit_ns = sel->burst_ns;
	if (sel->credit_ns >= sel->ns_per_token) {
		sel->credit_ns -= sel->ns_per_token;
		ok = true;
	}
	spin_unlock(&sel->lock);
	return ok;
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

static unsigned int iptt_hook(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct iptt_sel *sel = rcu_dereference(iptt_active);
	u32 fam = state->pf == NFPROTO_IPV4 ? IPTT_FAM_IPV4 : IPTT_FAM_IPV6;

	if (!sel)
		return NF_ACCEPT;
	this_cpu_inc(iptt_stats.seen);

	if (!(sel->families & fam))
		return NF_ACCEPT;
	if (sel->netns && state->net->ns.inum != sel->netns)
		return NF_ACCEPT;
	if (!iptt_dev_match(sel, state))
		return NF_ACCEPT;
	/* skb->data is the network header here, as the DLT_RAW filter expects */
	if (sel->prog && !bpf_prog_run_save_cb(sel->prog, skb))
		return NF_ACCEPT;
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

static const struct nf_hook_ops iptt_nf_ops[] = {
	{ .hook = iptt_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = INT_MIN },
	{ .hook = iptt_hook, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = INT_MIN },
	{ .hook = iptt_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = INT_MIN },
	{ .hook = iptt_hook, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = INT_MIN },
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

	spin_lock_init(&sel->lock);
	sel->ns_per_token = div_u64(NSEC_PER_SEC, rate);
	if (!sel->ns_per_token)
		sel->ns_per_token = 1;
	/* allow a burst of a tenth of a second's worth, at least one packet */
	sel->burst_ns = max_t(u64, NSEC_PER_SEC / 10, sel->ns_per_token);
	sel->credit_ns = sel->burst_ns;
	sel->last_ns = ktime_get_mono_fast_ns();
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

/* After this returns no hook runs and the selection may be freed. */
void iptt_hooks_stop(void)
{
	RCU_INIT_POINTER(iptt_active, NULL);
	unregister_pernet_subsys(&iptt_net_ops);
	synchronize_net();
}
