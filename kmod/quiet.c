// SPDX-License-Identifier: GPL-2.0
/*
 * Keep the kernel's own TRACE log quiet while ipttrace runs, and count every
 * x_tables rule step, so that a step the BPF side misses is reported.
 *
 * ipt_do_table() reports each rule a traced packet hits by calling
 *   nf_log_trace(net, pf, hooknum, skb, in, out, loginfo, fmt, ...)
 * which looks up net->nf.nf_loggers[pf] and, if a logger is bound (for
 * example nf_log_syslog), prints a "TRACE: ..." line.  ipttrace reports those
 * steps itself, so a callback at the function's entry rewrites pf to
 * NFPROTO_UNSPEC: the lookup then finds no logger and nothing is printed.
 * The BPF program that records the steps does not read pf, so the order of
 * the callback and the BPF probe on this function does not matter.
 *
 * Why an ftrace_ops and not a kprobe: a kprobe is skipped (kprobe_running())
 * whenever the CPU is already inside any kprobe handler, e.g. when a receive
 * softirq runs nf_log_trace() from the irq exit of an interrupt that hit a
 * kprobe handler.  A skipped silencer leaks the TRACE line.  An ftrace_ops
 * without FTRACE_OPS_FL_RECURSION is called straight from the trampoline,
 * or, when other ops (the BPF kprobe) share the function, from ftrace's list
 * function, whose guard is per context (normal, softirq, irq, NMI); this
 * callback calls nothing that could recurse, so it runs for every call.  (The BPF kprobe on the same function can still
 * be skipped that way: userspace compares log_calls with the calls the BPF
 * program saw and reports the difference as lost steps.)
 *
 * Only steps in the selected namespace are silenced (all namespaces when
 * none is selected), so an admin's own -j TRACE output in other containers
 * still reaches their log.  When a logger is bound to NFPROTO_UNSPEC in that
 * namespace, the rewrite would send the line to it instead; the callback
 * then leaves pf alone (ipttrace refuses to start in that case unless
 * --keep-log is given).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/netfilter.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_log.h>
#include "ipttrace_kmod.h"

/*
 * nf_log_trace()'s first two arguments at its entry, per the architecture's
 * calling convention (x86-64: di, si; arm64: x0, x1).  x86-64 gives a full
 * pt_regs with FTRACE_OPS_FL_SAVE_REGS, and its ftrace trampoline restores
 * the argument registers from it; arm64 without DYNAMIC_FTRACE_WITH_REGS
 * (removed in 6.4, "arm64: ftrace: remove WITH_REGS") has only ftrace_regs,
 * whose x0..x8 are restored the same way.
 */
#if defined(CONFIG_X86_64)
#define IPTT_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
#define IPTT_ARG_REGS(fregs)	ftrace_get_regs(fregs)
#define IPTT_ARG0(r)		((r)->di)
#define IPTT_ARG1(r)		((r)->si)
#elif defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS)
#define IPTT_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
#define IPTT_ARG_REGS(fregs)	ftrace_get_regs(fregs)
#define IPTT_ARG0(r)		((r)->regs[0])
#define IPTT_ARG1(r)		((r)->regs[1])
#elif defined(CONFIG_ARM64)
#define IPTT_FTRACE_FLAGS	0
/* 6.13 (and Debian's 6.12) made struct ftrace_regs opaque */
#ifdef arch_ftrace_regs
#define IPTT_ARG_REGS(fregs)	arch_ftrace_regs(fregs)
#else
#define IPTT_ARG_REGS(fregs)	(fregs)
#endif
#define IPTT_ARG0(r)		((r)->regs[0])
#define IPTT_ARG1(r)		((r)->regs[1])
#else
#error "ipttrace.ko knows nf_log_trace's argument registers on x86-64 and arm64 only"
#endif

static bool iptt_quiet_silence;	/* set before registering, then read-only */

/*
 * Context: nf_log_trace()'s caller, ipt_do_table() or ip6t_do_table():
 * softirq, or process context with BH disabled, so this CPU stays put.
 */
static void notrace iptt_quiet_call(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	const struct iptt_sel *sel;
	struct net *net;
	typeof(IPTT_ARG_REGS(fregs)) regs = IPTT_ARG_REGS(fregs);

	this_cpu_inc(iptt_stats.log_calls);
	if (!iptt_quiet_silence || !regs)
		return;
	net = (struct net *)IPTT_ARG0(regs);
	rcu_read_lock();
	sel = iptt_active_sel();
	if (sel && (!sel->netns || net->ns.inum == sel->netns) &&
	    !rcu_access_pointer(net->nf.nf_loggers[NFPROTO_UNSPEC])) {
		IPTT_ARG1(regs) = NFPROTO_UNSPEC;
		this_cpu_inc(iptt_stats.log_silenced);
	}
	rcu_read_unlock();
}

static struct ftrace_ops iptt_quiet_ops = {
	.func = iptt_quiet_call,
	.flags = IPTT_FTRACE_FLAGS,
};

static bool iptt_quiet_on;
static bool iptt_quiet_filtered;	/* the ops' filter hash is set */

/*
 * The filter is set once, on the first enable, and freed only when the
 * module goes (iptt_quiet_exit()): ftrace_free_filter() leaves a dangling
 * hash pointer in the ops before "ftrace: Reinitialize hash to EMPTY_HASH
 * after freeing" (6.15, not in 6.1), which the next ftrace_set_filter()
 * would free again.  Enable and disable only register and unregister.
 *
 * Process context, iptt_lock held.
 */
int iptt_quiet_start(bool silence)
{
	int err;

	iptt_quiet_silence = silence;
	if (!iptt_quiet_filtered) {
		/*
		 * By address, not by name: ftrace_set_filter() with a name
		 * looks up the symbol of every ftrace record in kallsyms (a
		 * tenth of ipttrace's start-up in the lab).  nf_log_trace is
		 * exported; ftrace_location() maps its sym+0 to the patch site
		 * past an endbr64 or BTI landing pad ("ftrace: Fix
		 * ftrace_location() for IBT", 5.19).
		 */
		err = ftrace_set_filter_ip(&iptt_quiet_ops,
					   (unsigned long)nf_log_trace, 0, 1);
		/*
		 * Before 5.19 ftrace_location() matches only the record's own
		 * address, which on arm64 (sym+4, sym+8 with BTI) and with
		 * CFI jump tables is not the symbol's: look it up by name.
		 */
		if (err) {
			static char name[] = "nf_log_trace";

			err = ftrace_set_filter(&iptt_quiet_ops, name,
						strlen(name), 1);
		}
		if (err) {
			pr_err("cannot find nf_log_trace for ftrace: %d\n", err);
			return err;
		}
		iptt_quiet_filtered = true;
	}
	err = register_ftrace_function(&iptt_quiet_ops);
	if (err) {
		pr_err("cannot attach to nf_log_trace with ftrace: %d\n", err);
		return err;
	}
	iptt_quiet_on = true;
	return 0;
}

/* Process context, iptt_lock held.  No callback runs once this returns. */
void iptt_quiet_stop(void)
{
	if (!iptt_quiet_on)
		return;
	unregister_ftrace_function(&iptt_quiet_ops);
	iptt_quiet_on = false;
}

/* Module exit: tracing is off (the device is closed). */
void iptt_quiet_exit(void)
{
	if (iptt_quiet_filtered)
		ftrace_free_filter(&iptt_quiet_ops);
	iptt_quiet_filtered = false;
}
