// SPDX-License-Identifier: GPL-2.0
/*
 * nf_tables tracing: the nft_trace_enabled static key.
 *
 * nft_do_chain() looks at skb->nf_trace only while the static key
 * nft_trace_enabled is on (net/netfilter/nf_tables_core.c, 6.1:241,
 * 6.12:266); normally only a "meta nftrace set 1" rule turns it on
 * (nft_meta_set_init).  So that the packets this module selects are traced
 * by nf_tables too, with no rule inserted, the key is taken here while
 * tracing is enabled -- and only if nf_tables is loaded:
 *
 *  - symbol_get() finds the GPL-only export without loading anything and
 *    pins nf_tables while the key is held (rmmod nf_tables fails then);
 *  - if nf_tables is loaded later while tracing, a module notifier takes the
 *    key when it goes live;
 *  - disable, close and kill -9 (which closes /dev/ipttrace) give it back,
 *    with the module reference, so an idle ipttrace pins nothing.
 *
 * While the key is on every packet in every namespace pays for
 * nft_trace_init() in each base chain: the reason this is tied to tracing
 * being enabled, and can be refused (IPTT_CFG_NFT unset, --backend legacy).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include "ipttrace_kmod.h"

/* net/netfilter/nf_tables_core.h; declared here to keep nf_tables' headers out */
DECLARE_STATIC_KEY_FALSE(nft_trace_enabled);

static DEFINE_MUTEX(iptt_nft_lock);
static struct static_key_false *iptt_nft_held;	/* key we incremented */
static bool iptt_nft_wanted;			/* tracing is enabled with nft */
static bool iptt_nft_notifier_on;

static void iptt_nft_take_locked(void)
{
	struct static_key_false *key;

	if (iptt_nft_held || !iptt_nft_wanted)
		return;
	key = symbol_get(nft_trace_enabled);	/* NULL: nf_tables not loaded */
	if (!key)
		return;
	static_branch_inc(key);
	iptt_nft_held = key;
	pr_info("nf_tables tracing key taken\n");
}

static void iptt_nft_put_locked(void)
{
	if (!iptt_nft_held)
		return;
	static_branch_dec(iptt_nft_held);
	iptt_nft_held = NULL;
	symbol_put(nft_trace_enabled);
	pr_info("nf_tables tracing key released\n");
}

static int iptt_nft_module_event(struct notifier_block *nb, unsigned long state,
				 void *data)
{
	struct module *mod = data;

	if (state != MODULE_STATE_LIVE || strcmp(mod->name, "nf_tables"))
		return NOTIFY_DONE;
	mutex_lock(&iptt_nft_lock);
	iptt_nft_take_locked();
	mutex_unlock(&iptt_nft_lock);
	return NOTIFY_OK;
}

static struct notifier_block iptt_nft_nb = {
	.notifier_call = iptt_nft_module_event,
};

/* Tracing is being enabled; returns 0 even when nf_tables is not loaded. */
int iptt_nft_start(void)
{
	int err;

	err = register_module_notifier(&iptt_nft_nb);
	if (err)
		return err;
	iptt_nft_notifier_on = true;
	mutex_lock(&iptt_nft_lock);
	iptt_nft_wanted = true;
	iptt_nft_take_locked();
	mutex_unlock(&iptt_nft_lock);
	return 0;
}

void iptt_nft_stop(void)
{
	/* outside iptt_nft_lock: the notifier takes it under the chain's lock */
	if (iptt_nft_notifier_on) {
		unregister_module_notifier(&iptt_nft_nb);
		iptt_nft_notifier_on = false;
	}
	mutex_lock(&iptt_nft_lock);
	iptt_nft_wanted = false;
	iptt_nft_put_locked();
	mutex_unlock(&iptt_nft_lock);
}

bool iptt_nft_active(void)
{
	return READ_ONCE(iptt_nft_held) != NULL;
}
