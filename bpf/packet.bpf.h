/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Read addresses, ports, ICMP type/code and TCP flags of an skb whose network
 * header is set (true at PRE_ROUTING and LOCAL_OUT, and inside the tables).
 * Everything goes through bpf_probe_read_kernel(): the skb is not ours.
 *
 * Every read is bounded by the end of the skb's linear data (head + tail):
 * in a non-linear skb the bytes past it belong to no header of this packet
 * (stale memory, or another skb's), so a header that does not fit there is
 * left out (ports 0) rather than read.  At these hooks the IP header is
 * always linear (ip_rcv/ipv6_rcv pull it); L4 headers usually are.
 */
#ifndef IPTTRACE_PACKET_BPF_H
#define IPTTRACE_PACKET_BPF_H

#define IPTT_IPV6_MAX_EXTHDRS	8	/* bound for the extension header walk */

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_		51
#define IPPROTO_ICMPV6_		58
#define IPPROTO_DSTOPTS_	60

/* Read n bytes at p if they lie within the linear data ending at end. */
static __always_inline int read_linear(void *dst, __u32 n, const unsigned char *p,
				       const unsigned char *end)
{
	if (p > end || (__u64)(end - p) < n)
		return -1;
	return bpf_probe_read_kernel(dst, n, p);
}

static __always_inline void read_l4(const unsigned char *l4,
				    const unsigned char *end, __u8 proto,
				    struct iptt_tuple *t)
{
	__u8 b[14];

	t->proto = proto;
	switch (proto) {
	case IPPROTO_TCP:
		if (read_linear(b, 14, l4, end))
			return;
		t->tcp_flags = b[13];
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (read_linear(b, 4, l4, end))
			return;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		if (read_linear(b, 2, l4, end))
			return;
		t->icmp_type = b[0];
		t->icmp_code = b[1];
		return;
	default:
		return;
	}
	t->sport = (__u16)b[0] << 8 | b[1];
	t->dport = (__u16)b[2] << 8 | b[3];
}

static __always_inline void read_ipv4(const unsigned char *nh,
				      const unsigned char *end,
				      struct iptt_tuple *t)
{
	struct iphdr ip;

	if (read_linear(&ip, sizeof(ip), nh, end))
		return;
	__builtin_memcpy(t->saddr, &ip.saddr, 4);
	__builtin_memcpy(t->daddr, &ip.daddr, 4);
	t->proto = ip.protocol;
	/* only the first fragment carries the L4 header */
	if (bpf_ntohs(ip.frag_off) & 0x1fff)
		return;
	read_l4(nh + ip.ihl * 4, end, ip.protocol, t);
}

static __always_inline void read_ipv6(const unsigned char *nh,
				      const unsigned char *end,
				      struct iptt_tuple *t)
{
	struct ipv6hdr ip6;
	__u32 off = sizeof(ip6);
	__u8 next, ext[2];
	__u16 frag;
	int i;

	if (read_linear(&ip6, sizeof(ip6), nh, end))
		return;
	__builtin_memcpy(t->saddr, &ip6.saddr, 16);
	__builtin_memcpy(t->daddr, &ip6.daddr, 16);
	next = ip6.nexthdr;

	for (i = 0; i < IPTT_IPV6_MAX_EXTHDRS; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
			if (read_linear(ext, 2, nh + off, end))
				return;
			next = ext[0];
			off += (ext[1] + 1) * 8;
			continue;
		case IPPROTO_AH_:
			if (read_linear(ext, 2, nh + off, end))
				return;
			next = ext[0];
			off += (ext[1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT_:
			if (read_linear(ext, 2, nh + off, end) ||
			    read_linear(&frag, 2, nh + off + 2, end))
				return;
			next = ext[0];
			off += 8;
			if (bpf_ntohs(frag) & 0xfff8) {
				t->proto = next;	/* not the first fragment */
				return;
			}
			continue;
		}
		break;
	}
	read_l4(nh + off, end, next, t);
}

static __always_inline void read_tuple(const struct sk_buff *skb, __u8 family,
				       struct iptt_tuple *t)
{
	const unsigned char *head = BPF_CORE_READ(skb, head);
	const unsigned char *nh = head + BPF_CORE_READ(skb, network_header);
	/* sk_buff_data_t is an offset from head on 64-bit kernels */
	const unsigned char *end = head + BPF_CORE_READ(skb, tail);

	if (family == NFPROTO_IPV4)
		read_ipv4(nh, end, t);
	else
		read_ipv6(nh, end, t);
}

#endif /* IPTTRACE_PACKET_BPF_H */
