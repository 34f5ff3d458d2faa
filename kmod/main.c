// SPDX-License-Identifier: GPL-2.0
/*
 * ipttrace.ko: the /dev/ipttrace control device.
 *
 * The module is inert until a process opens /dev/ipttrace, configures a
 * selection (IPTT_IOC_SET_CONFIG) and enables it (IPTT_IOC_ENABLE).  Open is
 * exclusive; closing the device -- including when the process is killed --
 * disables tracing, removes the hooks and the ftrace callback and frees the
 * filter, so nothing stays enabled behind a dead tracer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "ipttrace_kmod.h"

static atomic_t iptt_open_count = ATOMIC_INIT(0);
static DEFINE_MUTEX(iptt_lock);		/* serialises the ioctls below */
static struct iptt_sel *iptt_pending;	/* configured, not yet enabled */
static struct iptt_sel *iptt_enabled;	/* handed to the hooks */

static void iptt_stats_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&iptt_stats, cpu), 0, sizeof(iptt_stats));
}

/*
 * What /dev/ipttrace lets its holder do is global: select packets in every
 * namespace, attach to a kernel function, flood the ring buffer.  Require
 * what loading ipttrace's BPF programs requires anyway.  Checked at open
 * and again at enable, since an open fd can be passed to another process.
 */
static bool iptt_capable(void)
{
	return capable(CAP_SYS_ADMIN) ||
	       (capable(CAP_NET_ADMIN) && capable(CAP_PERFMON));
}

/* Process context, iptt_lock held. */
static void iptt_disable_locked(void)
{
	lockdep_assert_held(&iptt_lock);
	if (!iptt_enabled)
		return;
	/* stop selecting first: no packet marked from here on logs a line */
	iptt_hooks_stop();
	iptt_quiet_stop();
	iptt_nft_stop();	/* after the hooks: no new packet is selected */
	iptt_sel_destroy(iptt_enabled);
	iptt_enabled = NULL;
	pr_info("tracing disabled\n");
}

/* Process context, iptt_lock held. */
static int iptt_enable_locked(void)
{
	struct iptt_sel *sel = iptt_pending;
	int err;

	lockdep_assert_held(&iptt_lock);
	if (!iptt_capable())
		return -EPERM;
	if (iptt_enabled)
		return -EALREADY;
	if (!sel)
		return -EINVAL;		/* SET_CONFIG first */

	/*
	 * Nothing counts while disabled (no hook, no callback): start each
	 * run's counters from zero, so that they compare with the BPF side's.
	 */
	iptt_stats_reset();
	/* counts every step even with --keep-log; silences only without */
	err = iptt_quiet_start(!(sel->flags & IPTT_CFG_KEEP_LOG));
	if (err)
		return err;
	/* the key first: a packet selected before it would not be traced */
	if (sel->flags & IPTT_CFG_NFT) {
		err = iptt_nft_start();
		if (err) {
			iptt_quiet_stop();
			return err;
		}
	}
	err = iptt_hooks_start(sel);
	if (err) {
		iptt_nft_stop();
		iptt_quiet_stop();
		return err;
	}
	iptt_pending = NULL;
	iptt_enabled = sel;
	pr_info("tracing enabled\n");
	return 0;
}

static long iptt_set_config(const void __user *arg)
{
	struct sock_filter *insns = NULL;
	struct iptt_config cfg;
	struct iptt_sel *sel;

	if (copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	/* unknown bits and nonzero padding are refused, so the ABI can grow */
	if (cfg.filter_len > IPTT_FILTER_MAX ||
	    cfg.families & ~(IPTT_FAM_IPV4 | IPTT_FAM_IPV6) ||
	    cfg.flags & ~IPTT_CFG_ALL || cfg.pad ||
	    !memchr(cfg.ifname, '\0', sizeof(cfg.ifname)))
		return -EINVAL;
	if (cfg.rate > IPTT_RATE_MAX)
		return -ERANGE;
	if (iptt_enabled)
		return -EBUSY;		/* disable first: the hooks own it */

	if (cfg.filter_len) {
		BUILD_BUG_ON(sizeof(struct iptt_insn) != sizeof(struct sock_filter));
		insns = memdup_user(u64_to_user_ptr(cfg.filter),
				    cfg.filter_len * sizeof(*insns));
		if (IS_ERR(insns))
			return PTR_ERR(insns);
	}
	sel = iptt_sel_create(&cfg, insns);
	kfree(insns);		/* bpf_prog_create() keeps its own copy */
	if (IS_ERR(sel))
		return PTR_ERR(sel);

	iptt_sel_destroy(iptt_pending);
	iptt_pending = sel;
	return 0;
}

static long iptt_get_stats(void __user *arg)
{
	struct iptt_stats st = { .enabled = !!iptt_enabled };
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct iptt_pcpu_stats *s = per_cpu_ptr(&iptt_stats, cpu);

		st.seen += READ_ONCE(s->seen);
		st.matched += READ_ONCE(s->matched);
		st.selected += READ_ONCE(s->selected);
		st.rate_limited += READ_ONCE(s->rate_limited);
		st.log_silenced += READ_ONCE(s->log_silenced);
		st.log_calls += READ_ONCE(s->log_calls);
		st.already_traced += READ_ONCE(s->already_traced);
	}
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long iptt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&iptt_lock);
	switch (cmd) {
	case IPTT_IOC_SET_CONFIG:
		ret = iptt_set_config(uarg);
		break;
	case IPTT_IOC_ENABLE:
		ret = iptt_enable_locked();
		break;
	case IPTT_IOC_DISABLE:
		iptt_disable_locked();
		ret = 0;
		break;
	case IPTT_IOC_GET_STATS:
		ret = iptt_get_stats(uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&iptt_lock);
	return ret;
}

static int iptt_open(struct inode *inode, struct file *file)
{
	if (!iptt_capable())
		return -EPERM;
	if (atomic_cmpxchg(&iptt_open_count, 0, 1))
		return -EBUSY;		/* one tracer at a time */
	return nonseekable_open(inode, file);
}

static int iptt_release(struct inode *inode, struct file *file)
{
	mutex_lock(&iptt_lock);
	iptt_disable_locked();
	iptt_sel_destroy(iptt_pending);
	iptt_pending = NULL;
	mutex_unlock(&iptt_lock);
	atomic_set(&iptt_open_count, 0);
	return 0;
}

static const struct file_operations iptt_fops = {
	.owner = THIS_MODULE,
	.open = iptt_open,
	.release = iptt_release,
	.unlocked_ioctl = iptt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iptt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = IPTT_DEV_NAME,
	.fops = &iptt_fops,
	.mode = 0600,
};

static int __init iptt_init(void)
{
	int err;

	err = misc_register(&iptt_misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", IPTT_DEV_NAME, err);
		return err;
	}
	pr_info("loaded, /dev/%s ready\n", IPTT_DEV_NAME);
	return 0;
}

static void __exit iptt_exit(void)
{
	/* the device holds a module reference while open: nothing is enabled */
	misc_deregister(&iptt_misc);
	iptt_quiet_exit();
	pr_info("unloaded\n");
}

module_init(iptt_init);
module_exit(iptt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("ipttrace authors");
MODULE_DESCRIPTION("Select packets for iptables rule tracing (sets skb->nf_trace)");
