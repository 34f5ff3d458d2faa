/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf_tables (iptables-nft and native nftables): the BPF side.
 * #included at the end of ipttrace.bpf.c, so that one skeleton holds both
 * backends and shares the maps (events, skb_ids) and helpers.
 *
 *  - fentry (kprobe fallback) on nft_trace_notify: one step per call.  It is
 *    called only for packets with skb->nf_trace set while the static key
 *    nft_trace_enabled is on (ipttrace.ko holds it while tracing), and before
 *    its own "is anyone listening" check, so every step is seen.
 *  - fentry/fexit (kprobe/kretprobe) on nft_do_chain: the verdict and the
 *    latency of each base chain call of a traced packet; in --latency mode a
 *    histogram of every call, keyed by table family, table, chain and hook.
 *  - fentry/fexit on nf_tables_commit: a commit counter, so that userspace
 *    knows when its rule listing is stale.
 *
 * The argument list of nft_trace_notify changed in 6.3 (below); userspace
 * counts its parameters in nf_tables' module BTF and loads one variant.
 * Module types are not in vmlinux.h: the structs below declare only the
 * fields read, and CO-RE relocates them against nf_tables' BTF.
 */
#ifndef IPTTRACE_NFT_BPF_H
#define IPTTRACE_NFT_BPF_H

/* ---- kernel types (include/net/netfilter/nf_tables.h) ---- */

/* unchanged 6.1 .. 6.12: u64 is_last:1, dlen:12, handle:42 */
struct nft_rule_dp {
	__u64 is_last:1, dlen:12, handle:42;
} __attribute__((preserve_access_index));

/*
 * Since 6.5 ("netfilter: nf_tables: add rule blob layout", and 6.3's
 * "netfilter: nf_tables: don't store chain address on jump") a chain's rule
 * blob ends with this; 6.1 ends it with a bare is_last nft_rule_dp.
 */
struct nft_rule_dp_last {
	struct nft_rule_dp end;
	const struct nft_chain *chain;
} __attribute__((preserve_access_index));

struct nft_table {
	__u64 handle;
	__u16 family:6;
	char *name;
} __attribute__((preserve_access_index));

struct nft_chain {
	struct nft_table *table;
	char *name;
} __attribute__((preserve_access_index));

struct nft_base_chain {
	struct nf_hook_ops ops;
	__u8 policy;
	struct nft_chain chain;
} __attribute__((preserve_access_index));

struct nft_verdict {
	__u32 code;
	struct nft_chain *chain;
} __attribute__((preserve_access_index));

struct nft_pktinfo {
	struct sk_buff *skb;
	const struct nf_hook_state *state;
} __attribute__((preserve_access_index));

/* an enum, not an unsigned int: libbpf 1.1 cannot relocate the latter */
enum nft_trace_types___ipt {
	NFT_TRACETYPE_UNSPEC___ipt = 0,
};

/*
 * 6.1: nft_trace_notify(struct nft_traceinfo *info), everything in info.
 * 6.3 ("netfilter: nf_tables: avoid retpoline overhead for some ct
 * expression calls" series, commit e34b9ed96ce3 "netfilter: nf_tables:
 * avoid pkt and rule pointers in nft_traceinfo" and its neighbours) moved
 * pkt, verdict and rule to arguments and dropped chain: 6.12 has
 * nft_trace_notify(pkt, verdict, rule, info) with info->basechain only.
 */
struct nft_traceinfo___v61 {
	const struct nft_pktinfo *pkt;
	const struct nft_base_chain *basechain;
	const struct nft_chain *chain;
	const struct nft_rule_dp *rule;
	const struct nft_verdict *verdict;
} __attribute__((preserve_access_index));

struct nft_traceinfo___v612 {
	const struct nft_base_chain *basechain;
} __attribute__((preserve_access_index));

/* ---- state ---- */

/* fentry/fexit nf_tables_commit: odd while a commit is in progress */
__u32 nft_gen;

#define NFT_WALK_MAX	65536	/* rules walked to find a chain's end (6.12) */

struct nft_walk {
	__u64 p;	/* current struct nft_rule_dp * */
	__u64 last;	/* the chain's end, once found */
};

static long nft_walk_cb(__u64 i, struct nft_walk *w)
{
	const struct nft_rule_dp *r = (const void *)w->p;
	__u64 last = BPF_CORE_READ_BITFIELD_PROBED(r, is_last);
	__u64 dlen = BPF_CORE_READ_BITFIELD_PROBED(r, dlen);

	if (last) {
		w->last = w->p;
		return 1;
	}
	/* nft_rule_next(): the expressions follow the 8-byte header */
	w->p += bpf_core_type_size(struct nft_rule_dp) + dlen;
	return 0;
}

/* 6.12: the chain a rule belongs to, from the blob's nft_rule_dp_last */
static __always_inline const struct nft_chain *nft_chain_of(const struct nft_rule_dp *rule)
{
	struct nft_walk w = {};
	const struct nft_rule_dp_last *l;
	__u64 start = (__u64)rule;

	/*
	 * Copy the address through a helper: at fentry rule is a BTF pointer,
	 * and the verifier would follow it through every loop iteration as a
	 * pointer with a growing offset; as a plain number it checks the
	 * callback once.
	 */
	bpf_probe_read_kernel(&w.p, sizeof(w.p), &start);
	bpf_loop(NFT_WALK_MAX, nft_walk_cb, &w, 0);
	if (!w.last)
		return NULL;
	l = (const void *)w.last;
	return BPF_CORE_READ(l, chain);
}

static __always_inline const struct nft_base_chain *nft_base_of(const struct nft_chain *c)
{
	return (const void *)((__u64)c - bpf_core_field_offset(struct nft_base_chain, chain));
}

/*
 * One step.  Classified by rule and verdict, not by info->type: 6.12 masks
 * the verdict before its switch (nf_tables_core.c 6.12:118), so both kinds
 * of return arrive typed as RULE there.
 *   rule == NULL          -> policy; the verdict is the base chain's policy
 *   rule->is_last         -> implicit return at the end of a chain (no handle)
 *   verdict == NFT_RETURN -> explicit return rule
 *   otherwise             -> a rule, with its verdict
 * chain: the chain the step is in (6.1: info->chain; 6.12: found from rule).
 */
static __always_inline void nft_step(const struct nft_pktinfo *pkt,
				     const struct nft_verdict *verdict,
				     const struct nft_rule_dp *rule,
				     const struct nft_base_chain *base,
				     const struct nft_chain *chain, bool v61)
{
	const struct nf_hook_state *state = BPF_CORE_READ(pkt, state);
	const struct sk_buff *skb = BPF_CORE_READ(pkt, skb);
	const struct nft_table *table;
	const struct nft_chain *target;
	struct iptt_nft_rule *e;
	__u64 id, key = (__u64)skb;
	__u32 code;
	__u8 pf, kind;

	if (!cfg.trace)
		return;
	pf = BPF_CORE_READ(state, pf);
	id = live_id(key);
	if (!id) {
		/* marked by someone else's nftrace rule: give it an id too */
		id = new_id(key);
		if (id != IPTT_ID_MUTED)
			emit_packet(id, skb, BPF_CORE_READ(state, net),
				    BPF_CORE_READ(state, in), BPF_CORE_READ(state, out),
				    pf, BPF_CORE_READ(state, hook), IPTT_ORIGIN_FOREIGN);
	}
	if (id == IPTT_ID_MUTED)
		return;	/* the consumer guard: see IPTT_ID_MUTED */
	code = BPF_CORE_READ(verdict, code);
	if (!rule) {
		kind = IPTT_KIND_POLICY;
		chain = (const void *)((__u64)base + bpf_core_field_offset(struct nft_base_chain, chain));
		code = BPF_CORE_READ(base, policy);
	} else if (BPF_CORE_READ_BITFIELD_PROBED(rule, is_last)) {
		kind = IPTT_KIND_RETURN;
		if (!v61)
			chain = BPF_CORE_READ((const struct nft_rule_dp_last *)rule, chain);
		/*
		 * The end of the base chain itself: its policy step follows.
		 * 6.1 reports it (type RETURN, verdict continue), 6.12 types it
		 * RULE with no handle; neither is a step of its own here, as in
		 * x_tables, where a base chain ends in its policy only.
		 */
		if ((__u64)chain == (__u64)base + bpf_core_field_offset(struct nft_base_chain, chain))
			return;
		code = IPTT_NFT_RETURN;
	} else {
		kind = code == IPTT_NFT_RETURN ? IPTT_KIND_RETURN : IPTT_KIND_RULE;
		if (!v61)
			chain = nft_chain_of(rule);
	}

	e = reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(&e->handle, 0, sizeof(*e) - sizeof(e->hdr));
	fill_hdr(&e->hdr, IPTT_EV_NFT_RULE, id);
	table = BPF_CORE_READ(base, chain.table);
	e->handle = rule && kind != IPTT_KIND_POLICY && !BPF_CORE_READ_BITFIELD_PROBED(rule, is_last) ?
		    BPF_CORE_READ_BITFIELD_PROBED(rule, handle) : 0;
	e->table_handle = BPF_CORE_READ(table, handle);
	e->netns = BPF_CORE_READ(state, net, ns.inum);
	e->verdict = code;
	e->gen = nft_gen;
	e->family = pf;
	e->table_family = BPF_CORE_READ_BITFIELD_PROBED(table, family);
	e->hook = BPF_CORE_READ(state, hook);
	e->kind = kind;
	bpf_probe_read_kernel_str(e->table, sizeof(e->table), BPF_CORE_READ(table, name));
	if (chain) {
		e->chain_known = 1;
		bpf_probe_read_kernel_str(e->chain, sizeof(e->chain), BPF_CORE_READ(chain, name));
	}
	if (kind == IPTT_KIND_RULE && (code == IPTT_NFT_JUMP || code == IPTT_NFT_GOTO)) {
		target = BPF_CORE_READ(verdict, chain);
		if (target)
			bpf_probe_read_kernel_str(e->target, sizeof(e->target),
						  BPF_CORE_READ(target, name));
	}
	submit(e);
}

/* 6.1 */
static __always_inline void nft_notify_61(const struct nft_traceinfo___v61 *info)
{
	nft_step(BPF_CORE_READ(info, pkt), BPF_CORE_READ(info, verdict),
		 BPF_CORE_READ(info, rule), BPF_CORE_READ(info, basechain),
		 BPF_CORE_READ(info, chain), true);
}

/* 6.3+ */
static __always_inline void nft_notify_612(const struct nft_pktinfo *pkt,
					   const struct nft_verdict *verdict,
					   const struct nft_rule_dp *rule,
					   const struct nft_traceinfo___v612 *info)
{
	nft_step(pkt, verdict, rule, BPF_CORE_READ(info, basechain), NULL, false);
}

SEC("fentry.mod/nf_tables:nft_trace_notify")
int BPF_PROG(nft_notify_v61, void *info)
{
	nft_notify_61(info);
	return 0;
}

SEC("fentry.mod/nf_tables:nft_trace_notify")
int BPF_PROG(nft_notify_v612, void *pkt, void *verdict, void *rule, void *info)
{
	nft_notify_612(pkt, verdict, rule, info);
	return 0;
}

SEC("kprobe/nft_trace_notify")
int BPF_KPROBE(nft_notify_v61_kp, void *info)
{
	nft_notify_61(info);
	return 0;
}

SEC("kprobe/nft_trace_notify")
int BPF_KPROBE(nft_notify_v612_kp, void *pkt, void *verdict, void *rule, void *info)
{
	nft_notify_612(pkt, verdict, rule, info);
	return 0;
}

/* ---- nft_do_chain(pkt, priv): one call per base chain ---- */

struct nft_frame {
	__u64 start_ns;
	__u64 sp;	/* trampoline frame (fentry) or stack pointer (kprobe) */
	__u64 pkt;
	__u64 chain;	/* priv: the base chain's struct nft_chain */
	__u64 skb;	/* address only: never dereferenced at exit */
	__u32 netns;
	__u8 hook;
	__u8 pf;
	__u8 traced;
	__u8 pad;
};

struct nft_stack {
	__u32 depth;
	__u32 pad;
	struct nft_frame f[IPTT_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nft_stack);
} nft_stacks SEC(".maps");

/* --latency: per base chain and hook (struct iptt_nft_hist*: include/ipttrace.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct iptt_nft_hist_key);
	__type(value, struct iptt_nft_hist);
} nft_hists SEC(".maps");

/* a new histogram is built here: it does not fit on the BPF stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iptt_nft_hist);
} nft_hist_scratch SEC(".maps");

/*
 * The same discipline as the x_tables frames (table_enter/table_exit in
 * ipttrace.bpf.c): the depth never goes past the bound, a frame left by a
 * skipped exit program is dropped when a later call at the same frame
 * address enters, and an exit finds its own frame by identity.
 */
static __always_inline struct nft_frame *nft_frame_at(struct nft_stack *st, __u32 d)
{
	asm volatile("" : "+r"(d));
	return &st->f[d & (IPTT_MAX_DEPTH - 1)];
}

static __always_inline __u32 nft_first_frame_at(const struct nft_stack *st,
						__u32 depth, __u64 sp)
{
	int i;

	for (i = 0; i < IPTT_MAX_DEPTH; i++) {
		if (i >= depth)
			break;
		if (st->f[i].sp == sp)
			return i;
	}
	return depth;
}

static __always_inline int nft_find_frame(const struct nft_stack *st, __u32 depth,
					  bool by_args, __u64 pkt, __u64 chain,
					  __u64 sp)
{
	int i;

	for (i = IPTT_MAX_DEPTH - 1; i >= 0; i--) {
		const struct nft_frame *fr = &st->f[i];

		if (i >= depth)
			continue;
		if (by_args ? fr->pkt == pkt && fr->chain == chain && fr->sp == sp :
			      sp - fr->sp <= 16)
			return i;
	}
	return -1;
}

static __always_inline void nft_chain_enter(const struct nft_pktinfo *pkt, const void *priv,
					    __u64 sp, bool btf)
{
	/* typed arguments (fentry): plain loads, see IPTT_SKB_NF_TRACE */
	const struct sk_buff *skb = btf ? pkt->skb : BPF_CORE_READ(pkt, skb);
	const struct nf_hook_state *state;
	struct nft_stack *st;
	struct nft_frame *fr;
	__u32 zero = 0, d;
	bool traced = false;

	if (cfg.trace) {
		traced = IPTT_SKB_NF_TRACE(skb, btf);
		if (cfg.lazy_frames && !traced)
			return;
	}
	st = bpf_map_lookup_elem(&nft_stacks, &zero);
	if (!st)
		return;
	d = st->depth;
	if (d > IPTT_MAX_DEPTH)
		d = IPTT_MAX_DEPTH;
	if (d && bpf_ktime_get_ns() -
	    st->f[(d - 1) & (IPTT_MAX_DEPTH - 1)].start_ns > 1000000000ULL)
		d = 0;		/* a missed kretprobe left it: start over */
	d = nft_first_frame_at(st, d, sp);
	if (d >= IPTT_MAX_DEPTH) {
		st->depth = d;
		__sync_fetch_and_add(&stack_overflows, 1);
		return;
	}
	st->depth = d + 1;
	fr = nft_frame_at(st, d);
	state = BPF_CORE_READ(pkt, state);
	fr->start_ns = bpf_ktime_get_ns();
	fr->sp = sp;
	fr->pkt = (__u64)pkt;
	fr->chain = (__u64)priv;
	fr->skb = (__u64)skb;
	fr->hook = BPF_CORE_READ(state, hook);
	fr->pf = BPF_CORE_READ(state, pf);
	fr->netns = BPF_CORE_READ(state, net, ns.inum);
	fr->traced = traced;
}

static __always_inline void nft_hist_add(const struct nft_frame *fr, __u64 delta)
{
	const struct nft_chain *chain = (const void *)fr->chain;
	const struct nft_base_chain *base = nft_base_of(chain);
	struct iptt_nft_hist_key key = {};
	struct iptt_nft_hist *h;
	__u32 slot;

	key.chain = fr->chain;
	key.hook = fr->hook;
	/* a dead namespace's chain address may be reused by a new one */
	key.netns = fr->netns;
	h = bpf_map_lookup_elem(&nft_hists, &key);
	if (!h) {
		const struct nft_table *table = BPF_CORE_READ(chain, table);
		struct iptt_nft_hist *init;
		__u32 zero = 0;

		init = bpf_map_lookup_elem(&nft_hist_scratch, &zero);
		if (!init)
			return;
		__builtin_memset(init, 0, sizeof(*init));
		bpf_probe_read_kernel_str(init->table, sizeof(init->table), BPF_CORE_READ(table, name));
		bpf_probe_read_kernel_str(init->chain, sizeof(init->chain), BPF_CORE_READ(chain, name));
		init->table_family = BPF_CORE_READ_BITFIELD_PROBED(table, family);
		init->priority = BPF_CORE_READ(base, ops.priority);
		init->netns = fr->netns;
		bpf_map_update_elem(&nft_hists, &key, init, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&nft_hists, &key);
		if (!h)
			return;
	}
	slot = log2_slot(delta);
	if (slot >= IPTT_HIST_SLOTS)
		slot = IPTT_HIST_SLOTS - 1;
	h->count++;
	h->sum_ns += delta;
	h->slots[slot]++;
}

static __always_inline void nft_chain_exit(__u64 ret, const struct nft_pktinfo *pkt, const void *priv,
					   __u64 sp, bool by_args)
{
	struct iptt_nft_verdict *e;
	const struct nft_chain *chain;
	const struct nft_base_chain *base;
	const struct nft_table *table;
	struct nft_stack *st;
	struct nft_frame *fr;
	__u32 zero = 0;
	__u64 now, id;
	int d;

	st = bpf_map_lookup_elem(&nft_stacks, &zero);
	if (!st || !st->depth)
		return;
	d = nft_find_frame(st, st->depth, by_args, (__u64)pkt, (__u64)priv, sp);
	if (d < 0) {
		/* lazy frames: an untraced call pushed none */
		if (!cfg.lazy_frames)
			__sync_fetch_and_add(&unmatched_exits, 1);
		return;
	}
	st->depth = d;
	fr = nft_frame_at(st, d);
	now = bpf_ktime_get_ns();
	if (cfg.latency)
		nft_hist_add(fr, now - fr->start_ns);
	if (!cfg.trace || !fr->traced)
		return;
	id = live_id(fr->skb);	/* the address only: a dropped skb is freed */
	if (!id || id == IPTT_ID_MUTED)
		return;
	chain = (const void *)fr->chain;
	base = nft_base_of(chain);
	table = BPF_CORE_READ(chain, table);
	e = reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(&e->latency_ns, 0, sizeof(*e) - sizeof(e->hdr));
	fill_hdr(&e->hdr, IPTT_EV_NFT_VERDICT, id);
	e->latency_ns = now - fr->start_ns;
	e->verdict = ret;
	e->priority = BPF_CORE_READ(base, ops.priority);
	e->netns = fr->netns;
	e->family = fr->pf;
	e->table_family = BPF_CORE_READ_BITFIELD_PROBED(table, family);
	e->hook = fr->hook;
	e->depth = d;
	bpf_probe_read_kernel_str(e->table, sizeof(e->table), BPF_CORE_READ(table, name));
	bpf_probe_read_kernel_str(e->chain, sizeof(e->chain), BPF_CORE_READ(chain, name));
	submit(e);
}

SEC("fentry.mod/nf_tables:nft_do_chain")
int BPF_PROG(nft_chain_enter_fe, void *pkt, void *priv)
{
	nft_chain_enter(pkt, priv, (__u64)ctx, true);
	return 0;
}

SEC("fexit.mod/nf_tables:nft_do_chain")
int BPF_PROG(nft_chain_exit_fe, void *pkt, void *priv, unsigned int ret)
{
	nft_chain_exit(ret, pkt, priv, (__u64)ctx, true);
	return 0;
}

SEC("kprobe/nft_do_chain")
int BPF_KPROBE(nft_chain_enter_kp, void *pkt, void *priv)
{
	nft_chain_enter(pkt, priv, PT_REGS_SP(ctx), false);
	return 0;
}

SEC("kretprobe/nft_do_chain")
int BPF_KRETPROBE(nft_chain_exit_kp, unsigned int ret)
{
	/* no arguments: found by stack pointer; cfg.lazy_frames is off */
	nft_chain_exit(ret, NULL, NULL, PT_REGS_SP(ctx), false);
	return 0;
}

/* ---- commits: the rule listing userspace holds may be stale ---- */

SEC("fentry.mod/nf_tables:nf_tables_commit")
int BPF_PROG(nft_commit_enter)
{
	__sync_fetch_and_add(&nft_gen, 1);
	return 0;
}

SEC("fexit.mod/nf_tables:nf_tables_commit")
int BPF_PROG(nft_commit_exit)
{
	__sync_fetch_and_add(&nft_gen, 1);
	return 0;
}

SEC("kprobe/nf_tables_commit")
int BPF_KPROBE(nft_commit_enter_kp)
{
	__sync_fetch_and_add(&nft_gen, 1);
	return 0;
}

SEC("kretprobe/nf_tables_commit")
int BPF_KRETPROBE(nft_commit_exit_kp)
{
	__sync_fetch_and_add(&nft_gen, 1);
	return 0;
}

#endif /* IPTTRACE_NFT_BPF_H */
