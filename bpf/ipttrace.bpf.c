// SPDX-License-Identifier: GPL-2.0
/*
 * ipttrace BPF side.
 *
 *  - fentry/fexit (or kprobe/kretprobe) on ipt_do_table and ip6t_do_table:
 *    a per-CPU stack of frames times each table call; in trace mode a call
 *    on an skb with nf_trace set yields a verdict event, in latency mode
 *    every call feeds a log2 histogram.
 *  - kprobe on nf_log_trace: one rule step per call, read from the variadic
 *    arguments ("TRACE: %s:%s:%s:%u", table, chain, comment, rulenum).
 *  - kprobe on ipttrace.ko's ipttrace_packet_selected(): the packet event,
 *    and the trace id that the later steps find by skb address.
 *  - fentry/fexit (or kprobes) on xt_replace_table: a ruleset generation
 *    counter, so userspace never pairs a step with the wrong rule text.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "ipttrace.h"
#include "kernel_types.bpf.h"
#include "packet.bpf.h"

/* Set by userspace before load. */
const volatile struct {
	bool trace;	/* steps, verdicts, packet events */
	bool latency;	/* histograms of every do_table call */
	/*
	 * ipt_do_table(skb, state, table) became ipt_do_table(priv, skb, state)
	 * in 5.16 ("netfilter: x_tables: pass table pointer via nf_hook_ops");
	 * userspace reads which one this kernel has from BTF.
	 */
	bool args_skb_first;
	/*
	 * fentry/fexit in trace mode: untraced table calls push no frame and
	 * return at once (the cost all other traffic pays), and fexit finds
	 * the frame of a traced call by its own arguments.  kretprobes see no
	 * arguments, so kprobe mode pushes a frame for every call.
	 */
	bool lazy_frames;
	/*
	 * --netns: steps of packets someone else's -j TRACE rule marked are
	 * reported only in this namespace (inode; 0: every namespace).
	 */
	__u32 netns;
} cfg = {};

/*
 * -w: copy this many bytes of each selected packet, from its network header
 * (IPTT_EV_PACKET_BYTES); 0: none.  Apart from cfg so that its shape stays.
 */
const volatile __u32 snaplen = 0;

/* Read by userspace through the mmap'ed .bss. */
__u64 lost_events;	/* ring buffer full */
__u64 stack_overflows;	/* do_table nested deeper than IPTT_MAX_DEPTH */
/*
 * Table exits with no frame of theirs: the entry program was skipped (a
 * nested program on this CPU: see recursion_misses) or found the stack full.
 */
__u64 unmatched_exits;
/*
 * nf_log_trace calls this program saw; ipttrace.ko counts the calls the
 * kernel made (log_calls), and the difference is steps this kprobe missed.
 */
__u64 log_calls_seen;
__u64 log_calls_unattributed;	/* kprobe mode: outside any known table call */
__u64 next_id;
__u64 muted_packets;	/* the consumer guard's (see IPTT_ID_MUTED) */
/* xt_replace_table() calls: odd while one is in progress */
__u32 ruleset_gen;

struct frame {
	__u64 start_ns;
	__u64 skb;
	__u64 table;
	__u64 state;
	__u64 sp;	/* kprobe mode: stack pointer at entry, to match the return */
	__u32 gen;
	__u8 hook;
	__u8 pf;
	__u8 traced;
	__u8 pad;
	struct iptt_tuple tuple;
};

struct cpu_stack {
	__u32 depth;
	__u32 pad;
	struct frame f[IPTT_MAX_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_stack);
} stacks SEC(".maps");

/*
 * skb address -> trace id.  Addresses are reused: a selection overwrites
 * the entry, and an entry not used for IPTT_ID_STALE_NS is stale (no walk
 * through the tables pauses that long), so a packet that someone else's
 * -j TRACE rule marks later at the same address gets an id of its own.
 */
#define IPTT_ID_STALE_NS	1000000000ULL

/*
 * The consumer guard.  A packet that starts its trace while the ring buffer
 * is more than half full would lose some of its events when the consumer
 * falls further behind: its trace would reach userspace with holes.  It is
 * muted instead: its id entry exists, so no later step takes it for someone
 * else's trace, but it writes no event, and userspace says how many packets
 * were muted.  Whole traces of fewer packets, never partial ones; the free
 * half takes the events of the packets already on their way.
 */
#define IPTT_ID_MUTED		(~0ULL)

struct skb_id {
	__u64 id;
	__u64 last_ns;
	__u64 muted;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct skb_id);
} skb_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct iptt_hist_key);
	__type(value, struct iptt_hist);
} hists SEC(".maps");

static __always_inline struct cpu_stack *this_stack(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stacks, &zero);
}

static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		__sync_fetch_and_add(&lost_events, 1);
	return e;
}

/*
 * Every record goes out with the ring buffer's default wake-up: the consumer
 * is woken when it had caught up.  Batching them (no wake-up until a
 * sixteenth of the ring waits, the consumer polling every 100 ms) was
 * measured in make bench and lost: the consumer then sleeps with records
 * waiting, and took 20% fewer events per second on iptables-legacy and 3.5x
 * fewer on nf_tables.
 */
static __always_inline void submit(void *e)
{
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void fill_hdr(struct iptt_hdr *h, __u32 kind, __u64 id)
{
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->id = id;
	h->time_ns = bpf_ktime_get_ns();
}

/* The ring buffer is more than half full: the consumer is behind. */
static __always_inline bool consumer_behind(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
	       bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2;
}

/* A new trace id for this skb, or IPTT_ID_MUTED (the consumer guard). */
static __always_inline __u64 new_id(__u64 skb)
{
	struct skb_id v = {
		.last_ns = bpf_ktime_get_ns(),
	};

	if (consumer_behind()) {
		v.muted = 1;
		__sync_fetch_and_add(&muted_packets, 1);
	} else {
		v.id = __sync_fetch_and_add(&next_id, 1) + 1;
	}
	bpf_map_update_elem(&skb_ids, &skb, &v, BPF_ANY);
	return v.muted ? IPTT_ID_MUTED : v.id;
}

/*
 * The live id of this skb, IPTT_ID_MUTED for a muted one (its events are
 * not written), or 0; a hit counts as activity.
 */
static __always_inline __u64 live_id(__u64 skb)
{
	struct skb_id *v = bpf_map_lookup_elem(&skb_ids, &skb);
	__u64 now;

	if (!v)
		return 0;
	now = bpf_ktime_get_ns();
	if (now - v->last_ns > IPTT_ID_STALE_NS)
		return 0;
	v->last_ns = now;
	return v->muted ? IPTT_ID_MUTED : v->id;
}

/*
 * The first snaplen bytes from the network header, never past the end of
 * the linear data (head + tail: see packet.bpf.h), as its own event.
 */
static __always_inline void emit_bytes(__u64 id, const struct sk_buff *skb,
				       __u8 family, __u8 hook)
{
	const unsigned char *head = BPF_CORE_READ(skb, head);
	const unsigned char *nh = head + BPF_CORE_READ(skb, network_header);
	const unsigned char *end = head + BPF_CORE_READ(skb, tail);
	struct iptt_packet_bytes *e;
	__u64 n = snaplen;

	if (nh > end)
		return;
	if ((__u64)(end - nh) < n)
		n = end - nh;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->hdr, IPTT_EV_PACKET_BYTES, id);
	e->len = BPF_CORE_READ(skb, len);
	e->family = family;
	e->hook = hook;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	barrier_var(n);
	if (n > IPTT_SNAP_MAX)
		n = IPTT_SNAP_MAX;
	if (n && bpf_probe_read_kernel(e->data, n, nh))
		n = 0;
	e->caplen = n;
	submit(e);
}

static __always_inline void emit_packet(__u64 id, const struct sk_buff *skb,
					const struct net *net,
					const struct net_device *in,
					const struct net_device *out,
					__u8 family, __u8 hook, __u8 origin)
{
	struct iptt_packet *e = reserve(sizeof(*e));

	if (!e)
		return;
	__builtin_memset(&e->skb, 0, sizeof(*e) - sizeof(e->hdr));
	fill_hdr(&e->hdr, IPTT_EV_PACKET, id);
	e->skb = (__u64)skb;
	e->netns = BPF_CORE_READ(net, ns.inum);
	e->mark = BPF_CORE_READ(skb, mark);
	e->len = BPF_CORE_READ(skb, len);
	e->family = family;
	e->hook = hook;
	e->origin = origin;
	if (in)
		bpf_probe_read_kernel_str(e->in, sizeof(e->in), in->name);
	if (out)
		bpf_probe_read_kernel_str(e->out, sizeof(e->out), out->name);
	read_tuple(skb, family, &e->tuple);
	submit(e);
	if (snaplen)
		emit_bytes(id, skb, family, hook);
}

/* ---- ipt_do_table / ip6t_do_table ---- */

/* ipt_do_table's arguments, in either order (see cfg.args_skb_first) */
static __always_inline void do_table_args(__u64 a0, __u64 a1, __u64 a2,
					  const struct sk_buff **skb,
					  const struct nf_hook_state **state,
					  __u64 *table)
{
	if (cfg.args_skb_first) {
		*skb = (void *)a0;
		*state = (void *)a1;
		*table = a2;
	} else {
		*table = a0;
		*skb = (void *)a1;
		*state = (void *)a2;
	}
}

/*
 * Frame d of the stack.  The mask is what the verifier needs to see; the
 * empty asm keeps clang from dropping it where it can prove d < 8 itself
 * (6.1's verifier then loses the bound across a 32-bit register copy).
 */
static __always_inline struct frame *frame_at(struct cpu_stack *st, __u32 d)
{
	asm volatile("" : "+r"(d));
	return &st->f[d & (IPTT_MAX_DEPTH - 1)];
}

/* The lowest frame below depth with this frame address, or depth. */
static __always_inline __u32 first_frame_at(const struct cpu_stack *st,
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

static __always_inline void table_enter(__u64 a0, __u64 a1, __u64 a2, __u64 sp,
					bool btf)
{
	const struct nf_hook_state *state;
	const struct sk_buff *skb;
	struct cpu_stack *st;
	struct frame *fr;
	bool traced = false;
	__u64 table;
	__u32 d;

	do_table_args(a0, a1, a2, &skb, &state, &table);
	if (cfg.trace) {
		traced = IPTT_SKB_NF_TRACE(skb, btf);
		if (cfg.lazy_frames && !traced)
			return;
	}
	st = this_stack();
	if (!st)
		return;
	d = st->depth;
	/*
	 * A kretprobe can be missed (maxactive), leaving a frame that is never
	 * popped.  No table call lasts a second: if the frame below is that
	 * old, the stack is stale and starts over.
	 */
	if (d > IPTT_MAX_DEPTH)
		d = IPTT_MAX_DEPTH;
	if (d && bpf_ktime_get_ns() -
	    st->f[(d - 1) & (IPTT_MAX_DEPTH - 1)].start_ns > 1000000000ULL)
		d = 0;
	/*
	 * A live ancestor never has this call's frame address: a frame that
	 * does is a call whose exit program was skipped, and so is every
	 * frame above it.  Drop them before they fill the stack or match a
	 * later exit.
	 */
	d = first_frame_at(st, d, sp);
	/*
	 * Never push past the bound.  Entry and exit are two programs, each
	 * with its own recursion guard, so a nested softirq may run only one
	 * of the pair: the exit then finds its frame by its own identity
	 * (table_exit()), and a frame whose exit was missed is dropped when an
	 * outer call returns, instead of pushing the depth up for good.
	 */
	if (d >= IPTT_MAX_DEPTH) {
		st->depth = d;
		__sync_fetch_and_add(&stack_overflows, 1);
		return;
	}
	st->depth = d + 1;
	fr = frame_at(st, d);
	fr->start_ns = bpf_ktime_get_ns();
	fr->sp = sp;
	fr->table = table;
	fr->state = (__u64)state;
	fr->skb = (__u64)skb;
	/*
	 * Hook, family and generation serve the steps of this call even when
	 * nf_trace is set only inside it (someone's -j TRACE rule).
	 */
	fr->hook = BPF_CORE_READ(state, hook);
	fr->pf = BPF_CORE_READ(state, pf);
	fr->gen = ruleset_gen;
	fr->traced = traced;
	if (!traced)
		return;
	__builtin_memset(&fr->tuple, 0, sizeof(fr->tuple));
	read_tuple(skb, fr->pf, &fr->tuple);
}

/* Bucket of a duration: 0 for 0 ns, else floor(log2(ns)) + 1.  The BPF
 * backend of LLVM 14 has no count-leading-zeros, hence the shifts. */
static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0, shift;

	if (!v)
		return 0;
	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r + 1;
}

static __always_inline void hist_add(const struct frame *fr, __u64 delta)
{
	const struct nf_hook_state *state = (void *)fr->state;
	const struct xt_table *table = (void *)fr->table;
	struct iptt_hist_key key = {};
	struct iptt_hist *h;
	__u32 slot;

	key.table_addr = fr->table;
	key.netns = BPF_CORE_READ(state, net, ns.inum);
	key.hook = fr->hook;
	key.family = fr->pf;
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		struct iptt_hist init = {};

		bpf_probe_read_kernel_str(init.table, sizeof(init.table),
					  table->name);
		init.netns = key.netns;
		bpf_map_update_elem(&hists, &key, &init, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return;
	}
	slot = log2_slot(delta);
	if (slot >= IPTT_HIST_SLOTS)
		slot = IPTT_HIST_SLOTS - 1;
	/* per-CPU value: no other CPU writes it */
	h->count++;
	h->sum_ns += delta;
	h->slots[slot]++;
}

/*
 * What a packet looks like once the NAT of this hook is applied.  The nat
 * table only sets up the binding; nf_nat_packet() rewrites the packet after
 * ipt_do_table() returns, and for SNAT in POSTROUTING no table comes later
 * to see it.  The binding is in the conntrack entry: after NAT a packet is
 * the inverse of the other direction's tuple.
 */
static __always_inline bool nat_result(const struct sk_buff *skb, __u8 family,
				       const struct iptt_tuple *in,
				       struct iptt_tuple *out)
{
	unsigned long nfct = BPF_CORE_READ(skb, _nfct);
	const struct nf_conn *ct = (const void *)(nfct & ~7UL);	/* NFCT_PTRMASK */
	const struct nf_conntrack_tuple *other;
	__u32 dir;

	if (!ct)
		return false;
	/* ctinfo >= IP_CT_IS_REPLY (3): the packet goes in the reply direction */
	dir = (nfct & 7) >= 3;
	other = &ct->tuplehash[!dir].tuple;
	*out = *in;
	if (bpf_probe_read_kernel(out->saddr, 16, &other->dst.u3) ||
	    bpf_probe_read_kernel(out->daddr, 16, &other->src.u3))
		return false;
	if (family == NFPROTO_IPV4) {	/* as read_tuple() leaves them */
		__builtin_memset(out->saddr + 4, 0, 12);
		__builtin_memset(out->daddr + 4, 0, 12);
	}
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP ||
	    in->proto == IPPROTO_SCTP || in->proto == IPPROTO_UDPLITE) {
		out->sport = bpf_ntohs(BPF_CORE_READ(other, dst.u.all));
		out->dport = bpf_ntohs(BPF_CORE_READ(other, src.u.all));
	}
	return true;
}

/*
 * The frame of the table call that is returning, or -1.  fexit matches the
 * call's own arguments (skb, table) and its trampoline frame (sp: the
 * address of the trampoline's argument array, the same at fentry and fexit
 * of one call and different for every call alive at once).  A kretprobe
 * sees no arguments and matches the stack pointer: at the return it is the
 * entry's, or the entry's plus the popped return address (x86-64), within
 * 16 bytes either way, while nested calls on the same stack sit whole frames
 * lower and calls on another stack (softirq on the irq stack) elsewhere
 * entirely.  Searching from the top drops the frames above the match: calls
 * whose exit program was skipped.
 */
static __always_inline int find_frame(const struct cpu_stack *st, __u32 depth,
				      bool by_args, __u64 skb, __u64 table,
				      __u64 sp)
{
	int i;

	for (i = IPTT_MAX_DEPTH - 1; i >= 0; i--) {
		const struct frame *fr = &st->f[i];

		if (i >= depth)
			continue;
		if (by_args ? fr->skb == skb && fr->table == table && fr->sp == sp :
			      sp - fr->sp <= 16)
			return i;
	}
	return -1;
}

static __always_inline void table_exit(__u64 ret, __u64 a0, __u64 a1, __u64 a2,
				       __u64 sp, bool by_args)
{
	const struct nf_hook_state *state;
	struct cpu_stack *st = this_stack();
	const struct xt_table *table;
	const struct nf_hook_state *s_;
	const struct sk_buff *skb;
	struct iptt_verdict *e;
	struct frame *fr;
	__u64 now, id, t_;
	int d;

	if (!st || !st->depth)
		return;
	do_table_args(a0, a1, a2, &skb, &s_, &t_);
	d = find_frame(st, st->depth, by_args, (__u64)skb, t_, sp);
	if (d < 0) {
		/*
		 * Lazy frames: an untraced call pushed none, nothing is lost.
		 * Otherwise the entry was skipped or found the stack full.
		 */
		if (!cfg.lazy_frames)
			__sync_fetch_and_add(&unmatched_exits, 1);
		return;
	}
	st->depth = d;
	fr = frame_at(st, d);
	now = bpf_ktime_get_ns();

	if (cfg.latency)
		hist_add(fr, now - fr->start_ns);
	if (!cfg.trace || !fr->traced)
		return;
	id = live_id(fr->skb);
	if (!id || id == IPTT_ID_MUTED)
		return;		/* no step was seen: not ours; or muted */
	/* locals, so that CO-RE relocates the kernel types, not struct frame */
	state = (const void *)fr->state;
	table = (const void *)fr->table;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->hdr, IPTT_EV_VERDICT, id);
	e->latency_ns = now - fr->start_ns;
	e->netns = BPF_CORE_READ(state, net, ns.inum);
	e->verdict = ret;
	e->family = fr->pf;
	e->hook = fr->hook;
	e->depth = d;
	bpf_probe_read_kernel_str(e->table, sizeof(e->table), table->name);
	e->tuple = fr->tuple;
	e->nat_valid = 0;
	e->pad2 = 0;
	__builtin_memset(&e->nat_tuple, 0, sizeof(e->nat_tuple));
	if (e->table[0] == 'n' && e->table[1] == 'a' && e->table[2] == 't' &&
	    !e->table[3] && (ret & IPTT_NF_VERDICT_MASK) == 1)
		e->nat_valid = nat_result((const struct sk_buff *)fr->skb,
					  fr->pf, &fr->tuple, &e->nat_tuple);
	submit(e);
}

SEC("fentry.mod/ip_tables:ipt_do_table")
int BPF_PROG(ipt_enter, void *a0, void *a1, void *a2)
{
	table_enter((__u64)a0, (__u64)a1, (__u64)a2, (__u64)ctx, true);
	return 0;
}

SEC("fexit.mod/ip_tables:ipt_do_table")
int BPF_PROG(ipt_exit, void *a0, void *a1, void *a2, unsigned int ret)
{
	table_exit(ret, (__u64)a0, (__u64)a1, (__u64)a2, (__u64)ctx, true);
	return 0;
}

SEC("fentry.mod/ip6_tables:ip6t_do_table")
int BPF_PROG(ip6t_enter, void *a0, void *a1, void *a2)
{
	table_enter((__u64)a0, (__u64)a1, (__u64)a2, (__u64)ctx, true);
	return 0;
}

SEC("fexit.mod/ip6_tables:ip6t_do_table")
int BPF_PROG(ip6t_exit, void *a0, void *a1, void *a2, unsigned int ret)
{
	table_exit(ret, (__u64)a0, (__u64)a1, (__u64)a2, (__u64)ctx, true);
	return 0;
}

SEC("kprobe/ipt_do_table")
int BPF_KPROBE(ipt_enter_kp, void *a0, void *a1, void *a2)
{
	table_enter((__u64)a0, (__u64)a1, (__u64)a2, PT_REGS_SP(ctx), false);
	return 0;
}

/* no arguments at a kretprobe: the frame is found by stack pointer */
SEC("kretprobe/ipt_do_table")
int BPF_KRETPROBE(ipt_exit_kp, unsigned int ret)
{
	table_exit(ret, 0, 0, 0, PT_REGS_SP(ctx), false);
	return 0;
}

SEC("kprobe/ip6t_do_table")
int BPF_KPROBE(ip6t_enter_kp, void *a0, void *a1, void *a2)
{
	table_enter((__u64)a0, (__u64)a1, (__u64)a2, PT_REGS_SP(ctx), false);
	return 0;
}

SEC("kretprobe/ip6t_do_table")
int BPF_KRETPROBE(ip6t_exit_kp, unsigned int ret)
{
	table_exit(ret, 0, 0, 0, PT_REGS_SP(ctx), false);
	return 0;
}

/* ---- rule steps ---- */

static __always_inline __u8 kind_of(const char *c)
{
	/* ip_tables' comments[]: "rule", "return", "policy" */
	if (c[0] == 'p')
		return IPTT_KIND_POLICY;
	if (c[0] == 'r' && c[2] == 't')
		return IPTT_KIND_RETURN;
	if (c[0] == 'r' && c[2] == 'l')
		return IPTT_KIND_RULE;
	return IPTT_KIND_UNKNOWN;
}

/* six register arguments: more than libbpf 1.1's BPF_KPROBE() unpacks */
SEC("kprobe/nf_log_trace")
int nf_log_trace(struct pt_regs *ctx)
{
	const struct net *net = (void *)PT_REGS_PARM1(ctx);
	unsigned int hooknum = PT_REGS_PARM3(ctx);
	const struct sk_buff *skb = (void *)PT_REGS_PARM4(ctx);
	const struct net_device *in = (void *)PT_REGS_PARM5(ctx);
	const struct net_device *out = (void *)IPTT_PT_REGS_PARM6(ctx);
	const char *table, *chain, *comment;
	struct cpu_stack *st;
	struct iptt_rule *e;
	struct frame *fr;
	__u64 id, key = (__u64)skb;
	__u32 d, rulenum = 0, gen;
	char kind[IPTT_KIND_LEN] = {};
	__u64 va[4];
	__u8 family;

	if (!cfg.trace)
		return 0;
	__sync_fetch_and_add(&log_calls_seen, 1);
	/*
	 * The family comes from the frame of the table call we are in, not
	 * from pf: ipttrace.ko may have rewritten pf to silence the kernel
	 * log.  With lazy frames a call pushed one only if the skb was traced
	 * on entry; one marked inside the call (someone's -j TRACE rule) has
	 * none, and its family comes from skb->protocol instead.
	 */
	fr = NULL;
	st = this_stack();
	if (st && st->depth && st->depth <= IPTT_MAX_DEPTH) {
		d = st->depth - 1;
		fr = &st->f[d & (IPTT_MAX_DEPTH - 1)];	/* visible bound */
		if (cfg.lazy_frames && (!fr->traced || fr->skb != key))
			fr = NULL;
	}
	if (fr)
		family = fr->pf;
	else if (cfg.lazy_frames)
		family = BPF_CORE_READ(skb, protocol) == bpf_htons(0x86DD) ?
			 NFPROTO_IPV6 : NFPROTO_IPV4;
	else {
		/* not inside a table call we know of: counted, never silent */
		__sync_fetch_and_add(&log_calls_unattributed, 1);
		return 0;
	}

	id = live_id(key);
	if (!id && cfg.netns && BPF_CORE_READ(net, ns.inum) != cfg.netns)
		return 0;	/* someone else's trace, outside --netns */
	if (!id) {
		/* traced by someone else's -j TRACE rule: give it an id too */
		id = new_id(key);
		if (id != IPTT_ID_MUTED)
			emit_packet(id, skb, net, in, out, family, hooknum,
				    IPTT_ORIGIN_FOREIGN);
	}
	if (id == IPTT_ID_MUTED)
		return 0;

	/*
	 * The four variadic arguments sit in consecutive 8-byte stack slots
	 * (kernel_types.bpf.h): one read for all of them.  The comment is
	 * "rule", "return" or "policy": its first four bytes tell which.
	 */
	if (bpf_probe_read_kernel(va, sizeof(va),
				  (void *)IPTT_VARG(ctx, IPTT_VARG_TABLE)))
		__builtin_memset(va, 0, sizeof(va));
	table = (const char *)va[IPTT_VARG_TABLE];
	chain = (const char *)va[IPTT_VARG_CHAIN];
	comment = (const char *)va[IPTT_VARG_COMMENT];
	rulenum = (__u32)va[IPTT_VARG_RULENUM];
	if (bpf_probe_read_kernel(kind, 4, comment))
		kind[0] = 0;

	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->hdr, IPTT_EV_RULE, id);
	gen = ruleset_gen;
	e->netns = BPF_CORE_READ(net, ns.inum);
	e->rulenum = rulenum;
	e->gen = gen;
	e->family = family;
	e->hook = hooknum;
	e->kind = kind_of(kind);
	/* the rules this walk used are those of generation gen only if no
	 * replacement started since the table call began */
	/* without a frame, the walk's start is unknown: the current one */
	e->gen_valid = (!fr || fr->gen == gen) && !(gen & 1);
	bpf_probe_read_kernel_str(e->table, sizeof(e->table), table);
	bpf_probe_read_kernel_str(e->chain, sizeof(e->chain), chain);
	submit(e);
	return 0;
}

/* ---- packets selected by ipttrace.ko ---- */

SEC("kprobe/ipttrace_packet_selected")
int BPF_KPROBE(packet_selected, const struct sk_buff *skb,
	       const struct nf_hook_state *state)
{
	__u64 id;

	if (!cfg.trace)
		return 0;
	id = new_id((__u64)skb);
	if (id == IPTT_ID_MUTED)
		return 0;
	emit_packet(id, skb, BPF_CORE_READ(state, net), BPF_CORE_READ(state, in),
		    BPF_CORE_READ(state, out), BPF_CORE_READ(state, pf),
		    BPF_CORE_READ(state, hook), IPTT_ORIGIN_FILTER);
	return 0;
}

/* ---- ruleset replacement (iptables-restore, iptables -A, ...) ---- */

static __always_inline void ruleset_begin(void)
{
	__sync_fetch_and_add(&ruleset_gen, 1);
}

/*
 * xt_replace_table() returns only after every CPU has left the old rules,
 * so once the counter is even again all walks use the new ones.
 */
static __always_inline void ruleset_end(const struct xt_table *table)
{
	struct iptt_ruleset *e;
	__u32 gen = __sync_fetch_and_add(&ruleset_gen, 1) + 1;

	if (!cfg.trace)
		return;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->hdr, IPTT_EV_RULESET, 0);
	e->gen = gen;
	e->family = BPF_CORE_READ(table, af);
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_probe_read_kernel_str(e->table, sizeof(e->table), table->name);
	submit(e);
}

SEC("fentry.mod/x_tables:xt_replace_table")
int BPF_PROG(replace_enter, struct xt_table *table)
{
	ruleset_begin();
	return 0;
}

SEC("fexit.mod/x_tables:xt_replace_table")
int BPF_PROG(replace_exit, struct xt_table *table)
{
	ruleset_end(table);
	return 0;
}

/* kretprobe cannot see the arguments: remember the table per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} replace_table SEC(".maps");

SEC("kprobe/xt_replace_table")
int BPF_KPROBE(replace_enter_kp, struct xt_table *table)
{
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&replace_table, &zero);

	if (slot)
		*slot = (__u64)table;
	ruleset_begin();
	return 0;
}

SEC("kretprobe/xt_replace_table")
int BPF_KRETPROBE(replace_exit_kp)
{
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&replace_table, &zero);

	if (slot)
		ruleset_end((const struct xt_table *)*slot);
	return 0;
}

/* nf_tables (iptables-nft, native nftables): steps, base chain verdicts */
#include "nft.bpf.h"
/* packet fate: dropped (reason), delivered, forwarded, sent */
#include "fate.bpf.h"

char LICENSE[] SEC("license") = "GPL";
