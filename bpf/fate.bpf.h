/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet fate: where the journey of a traced packet ends, one IPTT_EV_FATE
 * per trace id (included from ipttrace.bpf.c, which owns skb_ids).
 *
 *  - tp_btf/kfree_skb: the kernel dropped the skb (6.1: skb, location,
 *    reason; 6.12 adds rx_sk after them, so the first three arguments are
 *    the same).  Consumed skbs go to skb:consume_skb instead, which is not
 *    watched: a normal free ends no journey we have not seen end already.
 *  - fentry/fexit ip_protocol_deliver_rcu, ip6_protocol_deliver_rcu: the
 *    packet reached the local L4 handler (TCP, UDP, ICMP, ...).  If it is
 *    not dropped before the handler returns (no socket, bad checksum, full
 *    receive queue all drop inside), it was delivered.
 *  - tp_btf/net_dev_start_xmit: handed to the egress driver: forwarded if
 *    it came in on a device (skb_iif), else sent.  Loopback is not an end:
 *    the packet comes back in and is delivered (or dropped) here.
 *
 * Every one of these fires for all traffic, so the fast path is one read
 * of skb->nf_trace (clear on every untraced skb: __alloc_skb zeroes it),
 * then one skb_ids lookup that misses.  An emitted fate deletes the skb's
 * entry: one fate per id, and a reused address cannot inherit it.
 */
#ifndef IPTTRACE_FATE_BPF_H
#define IPTTRACE_FATE_BPF_H

#define IPTT_IFF_LOOPBACK	0x8

/* Read by userspace through the mmap'ed .bss. */
__u64 fates_emitted;

/*
 * The id of a traced skb, or 0: nf_trace first, then the map.  Every caller
 * is a tp_btf or fentry program: skb is a typed argument, read by plain
 * loads.
 */
static __always_inline __u64 fate_id(const struct sk_buff *skb)
{
	__u64 id;

	if (!cfg.trace || !skb)
		return 0;
	if (!IPTT_SKB_NF_TRACE(skb, true))
		return 0;
	id = live_id((__u64)skb);
	if (id == IPTT_ID_MUTED) {
		/* its journey ends unreported: free the address at once */
		__u64 key = (__u64)skb;

		bpf_map_delete_elem(&skb_ids, &key);
		return 0;
	}
	return id;
}

static __always_inline struct iptt_fate *fate_begin(__u64 id, __u8 fate)
{
	struct iptt_fate *e = reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(&e->location, 0, sizeof(*e) - sizeof(e->hdr));
	fill_hdr(&e->hdr, IPTT_EV_FATE, id);
	e->fate = fate;
	return e;
}

static __always_inline void fate_end(struct iptt_fate *e, __u64 skb)
{
	bpf_map_delete_elem(&skb_ids, &skb);
	__sync_fetch_and_add(&fates_emitted, 1);
	submit(e);
}

static __always_inline __u8 skb_family(const struct sk_buff *skb)
{
	__u16 p = BPF_CORE_READ(skb, protocol);

	if (p == bpf_htons(0x0800))
		return NFPROTO_IPV4;
	if (p == bpf_htons(0x86DD))
		return NFPROTO_IPV6;
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(fate_kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	const struct net_device *dev;
	struct iptt_fate *e;
	__u64 id = fate_id(skb);

	if (!id)
		return 0;
	e = fate_begin(id, IPTT_FATE_DROPPED);
	if (!e)
		return 0;
	e->location = (__u64)location;
	e->reason = reason;
	e->family = skb_family(skb);
	dev = BPF_CORE_READ(skb, dev);
	if (dev) {
		e->ifindex = BPF_CORE_READ(dev, ifindex);
		e->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), dev->name);
	}
	fate_end(e, (__u64)skb);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(fate_xmit, const struct sk_buff *skb, const struct net_device *dev)
{
	struct iptt_fate *e;
	__u64 id = fate_id(skb);

	if (!id || (BPF_CORE_READ(dev, flags) & IPTT_IFF_LOOPBACK))
		return 0;
	e = fate_begin(id, BPF_CORE_READ(skb, skb_iif) ? IPTT_FATE_FORWARDED :
			   IPTT_FATE_SENT);
	if (!e)
		return 0;
	e->family = skb_family(skb);
	e->ifindex = BPF_CORE_READ(dev, ifindex);
	e->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	bpf_probe_read_kernel_str(e->dev, sizeof(e->dev), dev->name);
	fate_end(e, (__u64)skb);
	return 0;
}

/*
 * Local delivery: the entry remembers a traced skb per CPU (a short stack:
 * a handler may run another on this CPU), the exit emits "delivered" if the
 * skb was not dropped meanwhile (its skb_ids entry is still there, same id).
 */
#define IPTT_DELIVER_DEPTH	4

struct deliver_frame {
	__u64 skb;
	__u64 id;
	__u32 netns;
	__u16 sport, dport;
	__u8 proto;
	__u8 family;
	__u8 pad[6];
};

struct deliver_stack {
	__u32 depth;
	__u32 pad;
	struct deliver_frame f[IPTT_DELIVER_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct deliver_stack);
} deliver_stacks SEC(".maps");

/* l4: where the transport header starts, for the ports; NULL: skb->data */
/* id: fate_id(skb), read by the caller */
static __always_inline void deliver_enter(const struct net *net,
					  const struct sk_buff *skb, __u64 id,
					  int proto, __u8 family,
					  const unsigned char *l4)
{
	struct deliver_stack *st;
	struct deliver_frame *fr;
	__u16 ports[2] = {};
	__u32 zero = 0, d;

	if (!id)
		return;
	st = bpf_map_lookup_elem(&deliver_stacks, &zero);
	if (!st)
		return;
	d = st->depth;
	if (d >= IPTT_DELIVER_DEPTH)
		return;
	asm volatile("" : "+r"(d));	/* keep the mask: see frame_at() */
	fr = &st->f[d & (IPTT_DELIVER_DEPTH - 1)];
	fr->skb = (__u64)skb;
	fr->id = id;
	fr->netns = BPF_CORE_READ(net, ns.inum);
	fr->proto = proto;
	fr->family = family;
	fr->sport = fr->dport = 0;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP) {
		if (!l4)	/* read only now: untraced skbs never get here */
			l4 = BPF_CORE_READ(skb, data);
		if (!bpf_probe_read_kernel(ports, sizeof(ports), l4)) {
			fr->sport = bpf_ntohs(ports[0]);
			fr->dport = bpf_ntohs(ports[1]);
		}
	}
	st->depth = d + 1;
}

static __always_inline void deliver_exit(const struct sk_buff *skb)
{
	struct deliver_stack *st;
	struct deliver_frame *fr;
	struct skb_id *v;
	struct iptt_fate *e;
	__u32 zero = 0, d;
	__u64 key = (__u64)skb;

	st = bpf_map_lookup_elem(&deliver_stacks, &zero);
	if (!st || !st->depth)
		return;		/* the common case: nothing traced on this CPU */
	d = st->depth - 1;
	asm volatile("" : "+r"(d));
	fr = &st->f[d & (IPTT_DELIVER_DEPTH - 1)];
	if (fr->skb != key)
		return;		/* not the call that pushed */
	st->depth = d;
	v = bpf_map_lookup_elem(&skb_ids, &key);
	if (!v || v->id != fr->id)
		return;		/* dropped inside (its fate is out) or reused */
	e = fate_begin(fr->id, IPTT_FATE_DELIVERED);
	if (!e)
		return;
	e->netns = fr->netns;
	e->proto = fr->proto;
	e->family = fr->family;
	e->sport = fr->sport;
	e->dport = fr->dport;
	fate_end(e, key);
}

SEC("fentry/ip_protocol_deliver_rcu")
int BPF_PROG(fate_deliver4, struct net *net, struct sk_buff *skb, int proto)
{
	/* ip_local_deliver_finish() pulled skb->data to the transport header */
	deliver_enter(net, skb, fate_id(skb), proto, NFPROTO_IPV4, NULL);
	return 0;
}

SEC("fexit/ip_protocol_deliver_rcu")
int BPF_PROG(fate_deliver4_exit, struct net *net, struct sk_buff *skb, int proto)
{
	deliver_exit(skb);
	return 0;
}

/*
 * ip6_input_finish() calls ip6_protocol_deliver_rcu(net, skb, 0, false): the
 * function reads the next header itself, at IP6CB(skb)->nhoff past the
 * network header, and pulls skb->data to the transport header only inside.
 * Read both the same way here (for a packet with extension headers that is
 * the first of them, whose handler then resubmits inside the same call).
 */
SEC("fentry/ip6_protocol_deliver_rcu")
int BPF_PROG(fate_deliver6, struct net *net, struct sk_buff *skb, int nexthdr,
	     bool have_final)
{
	const unsigned char *head, *l4 = NULL;
	__u64 id = fate_id(skb);
	__u16 nhoff = 0;
	__u8 nh;

	/* the untraced fast path is fate_id()'s nf_trace read, as for IPv4 */
	if (!have_final && id) {
		head = BPF_CORE_READ(skb, head);
		bpf_probe_read_kernel(&nhoff, sizeof(nhoff),
				      (const void *)skb->cb +
				      bpf_core_field_offset(struct inet6_skb_parm, nhoff));
		if (!bpf_probe_read_kernel(&nh, 1, head +
					   BPF_CORE_READ(skb, network_header) + nhoff))
			nexthdr = nh;
		l4 = head + BPF_CORE_READ(skb, transport_header);
	}
	deliver_enter(net, skb, id, nexthdr, NFPROTO_IPV6, l4);
	return 0;
}

SEC("fexit/ip6_protocol_deliver_rcu")
int BPF_PROG(fate_deliver6_exit, struct net *net, struct sk_buff *skb, int nexthdr)
{
	deliver_exit(skb);
	return 0;
}

#endif /* IPTTRACE_FATE_BPF_H */
