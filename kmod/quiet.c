// SPDX-License-Identifier: GPL-2.0
/*
 * Keep the kernel's own TRACE log quiet while ipttrace runs.
 *
 * ipt_do_table() reports each rule a traced packet hits by calling
 *   nf_log_trace(net, pf, hooknum, skb, in, out, loginfo, fmt, ...)
 * which looks up net->nf.nf_loggers[pf] and, if a logger is bound (for
 * example nf_log_syslog), prints a "TRACE: ..." line.  ipttrace reports those
 * steps itself, so a kprobe pre-handler rewrites pf to NFPROTO_UNSPEC: the
 * lookup then finds no logger and nothing is printed.  The BPF program that
 * records the steps does not read pf, so the order of the two probes on this
 * function does not matter.
 *
 * When a logger is bound to NFPROTO_UNSPEC in that namespace, the rewrite
 * would send the line to it instead; the pre-handler then leaves pf alone
 * (ipttrace refuses to start in that case unless --keep-log is given).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include "ipttrace_kmod.h"

/* The second argument of a function, per the architecture's calling convention. */
#if defined(CONFIG_X86_64)
#define IPTT_REG_ARG0(regs)	((regs)->di)
#define IPTT_REG_ARG1(regs)	((regs)->si)
#elif defined(CONFIG_ARM64)
#define IPTT_REG_ARG0(regs)	((regs)->regs[0])
#define IPTT_REG_ARG1(regs)	((regs)->regs[1])
#else
#error "ipttrace.ko knows nf_log_trace's argument registers on x86-64 and arm64 only"
#endif

static int iptt_quiet_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct net *net = (struct net *)IPTT_REG_ARG0(regs);

	if (rcu_access_pointer(net->nf.nf_loggers[NFPROTO_UNSPEC]))
		return 0;
	IPTT_REG_ARG1(regs) = NFPROTO_UNSPEC;
	this_cpu_inc(iptt_stats.log_silenced);
	return 0;
}

static struct kprobe iptt_quiet_kp = {
	.symbol_name = "nf_log_trace",
	.pre_handler = iptt_quiet_pre,
};

static bool iptt_quiet_on;

int iptt_quiet_start(void)
{
	int err;

	/* a kprobe cannot be registered twice: start from a clean struct */
	memset(&iptt_quiet_kp, 0, sizeof(iptt_quiet_kp));
	iptt_quiet_kp.symbol_name = "nf_log_trace";
	iptt_quiet_kp.pre_handler = iptt_quiet_pre;
	err = register_kprobe(&iptt_quiet_kp);
	if (err) {
		pr_err("cannot probe nf_log_trace to silence TRACE logging: %d\n",
		       err);
		return err;
	}
	iptt_quiet_on = true;
	return 0;
}

void iptt_quiet_stop(void)
{
	if (!iptt_quiet_on)
		return;
	unregister_kprobe(&iptt_quiet_kp);
	iptt_quiet_on = false;
}
