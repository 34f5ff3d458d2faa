/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by bpf/, kmod/ and user/: the ring buffer events, the latency
 * histogram map, and the /dev/ipttrace ioctl ABI.  Plain fixed-size types
 * only, so that one definition means the same thing to clang -target bpf,
 * to the kernel build and to userspace.
 */
#ifndef IPTTRACE_H
#define IPTTRACE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#elif !defined(__VMLINUX_H__)
#include <linux/types.h>
#include <linux/ioctl.h>
#endif

#define IPTT_TABLE_LEN		32	/* XT_TABLE_MAXNAMELEN */
#define IPTT_CHAIN_LEN		32	/* XT_EXTENSION_MAXNAMELEN (user chain names) */
#define IPTT_KIND_LEN		8	/* "rule", "return", "policy" */
#define IPTT_IFNAME_LEN		16	/* IFNAMSIZ */
#define IPTT_MAX_DEPTH		8	/* nested ipt_do_table calls per CPU; power of 2 */
#define IPTT_HIST_SLOTS		32	/* log2(ns) buckets: 1 ns .. ~2 s */

enum iptt_event_kind {
	IPTT_EV_PACKET = 1,	/* a packet was selected: headers, ifaces, netns */
	IPTT_EV_RULE,		/* one TRACE step: table:chain:kind:rulenum */
	IPTT_EV_VERDICT,	/* one table finished: verdict and latency */
	IPTT_EV_RULESET,	/* an x_tables table was replaced (iptables-restore) */
	IPTT_EV_NFT_RULE,	/* one nf_tables trace step (nft_trace_notify) */
	IPTT_EV_NFT_VERDICT,	/* one nf_tables base chain call finished */
	/* -w: the first bytes of a selected packet, after its IPTT_EV_PACKET;
	 * a value of its own, away from the kinds above as they grow */
	IPTT_EV_PACKET_BYTES = 32,
	IPTT_EV_FATE = 48,	/* where a traced packet's journey ended */
};

/* Where a packet event came from. */
enum iptt_origin {
	IPTT_ORIGIN_FILTER = 0,	/* selected by ipttrace.ko's pcap filter */
	IPTT_ORIGIN_FOREIGN,	/* nf_trace set by someone else (a -j TRACE rule) */
};

/* Addresses and ports as seen at one point of the walk. */
struct iptt_tuple {
	__u8  saddr[16];	/* IPv4 in the first 4 bytes */
	__u8  daddr[16];
	__u16 sport;		/* host order; 0 when not TCP/UDP/SCTP */
	__u16 dport;
	__u8  proto;		/* final L4 protocol (IPv6: after ext headers) */
	__u8  icmp_type;	/* ICMP / ICMPv6 */
	__u8  icmp_code;
	__u8  tcp_flags;	/* FIN SYN RST PSH ACK URG ECE CWR, as on the wire */
};

/* Common head of every event. */
struct iptt_hdr {
	__u32 kind;		/* enum iptt_event_kind */
	__u32 cpu;
	__u64 id;		/* trace id of the packet; 0 for IPTT_EV_RULESET */
	__u64 time_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

struct iptt_packet {
	struct iptt_hdr hdr;
	__u64 skb;		/* address, for correlation with other tools only */
	__u32 netns;		/* inode of the packet's network namespace */
	__u32 mark;
	__u32 len;		/* skb->len at selection */
	__u8  family;		/* NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10) */
	__u8  hook;		/* NF_INET_* where it was selected */
	__u8  origin;		/* enum iptt_origin */
	__u8  pad;
	char  in[IPTT_IFNAME_LEN];
	char  out[IPTT_IFNAME_LEN];
	struct iptt_tuple tuple;
};

/* -w (pcapng): bytes from the network header, at most snaplen (-s) */
#define IPTT_SNAP_MAX		256
#define IPTT_SNAP_DEFAULT	128

struct iptt_packet_bytes {
	struct iptt_hdr hdr;
	__u32 len;		/* skb->len: the packet's length */
	__u32 caplen;		/* bytes in data[]: snaplen, cut at the end of
				 * the linear data */
	__u8  family;
	__u8  hook;
	__u8  pad[6];
	__u8  data[IPTT_SNAP_MAX];
};

enum iptt_rule_kind {
	IPTT_KIND_RULE = 0,
	IPTT_KIND_RETURN,
	IPTT_KIND_POLICY,
	IPTT_KIND_UNKNOWN,
};

struct iptt_rule {
	struct iptt_hdr hdr;
	__u32 netns;
	__u32 rulenum;
	__u32 gen;		/* ruleset generation, see IPTT_EV_RULESET */
	__u8  family;
	__u8  hook;
	__u8  kind;		/* enum iptt_rule_kind */
	__u8  gen_valid;	/* 0: the ruleset changed during this walk */
	char  table[IPTT_TABLE_LEN];
	char  chain[IPTT_CHAIN_LEN];
};

struct iptt_verdict {
	struct iptt_hdr hdr;
	__u64 latency_ns;	/* fentry->fexit of this table's do_table call */
	__u32 netns;
	__u32 verdict;		/* raw return value of ipt_do_table */
	__u8  family;
	__u8  hook;
	__u8  depth;		/* nesting level, 0 = outermost */
	__u8  nat_valid;	/* nat_tuple is set */
	char  table[IPTT_TABLE_LEN];
	struct iptt_tuple tuple; /* addresses at table entry: shows NAT */
	/*
	 * nat tables only: the addresses once this hook's NAT is applied
	 * (after the table returns), from the conntrack entry's tuples.
	 */
	struct iptt_tuple nat_tuple;
	__u32 pad2;		/* explicit: no stale ring buffer bytes */
};

struct iptt_ruleset {
	struct iptt_hdr hdr;
	__u32 gen;		/* generation after this replacement */
	__u8  family;
	__u8  pad[3];
	char  table[IPTT_TABLE_LEN];
};

/* ---- nf_tables (iptables-nft, native nftables): see bpf/nft.bpf.h ---- */

#define IPTT_NFT_NAME_LEN	128	/* table/chain names (NFT_NAME_MAXLEN is 256) */

/* nf_tables verdict codes (uapi nf_tables.h), as __u32 in the events */
#define IPTT_NFT_CONTINUE	((__u32)-1)
#define IPTT_NFT_BREAK		((__u32)-2)
#define IPTT_NFT_JUMP		((__u32)-3)
#define IPTT_NFT_GOTO		((__u32)-4)
#define IPTT_NFT_RETURN		((__u32)-5)

struct iptt_nft_rule {
	struct iptt_hdr hdr;
	__u64 handle;		/* rule handle; 0 for a policy or an implicit return */
	__u64 table_handle;	/* per netns; with handle, names the rule */
	__u32 netns;
	__u32 verdict;		/* the rule's verdict code; for a policy the policy */
	__u32 gen;		/* nf_tables commits seen (odd: one in progress) */
	__u8  family;		/* NFPROTO_IPV4/IPV6: the packet's */
	__u8  table_family;	/* NFPROTO_*: 1 inet, 2 ip, 3 arp, 5 netdev, 7 bridge, 10 ip6 */
	__u8  hook;		/* the base chain's hook */
	__u8  kind;		/* enum iptt_rule_kind: rule, return, policy */
	__u8  chain_known;	/* chain[] is set (else: unknown) */
	__u8  pad[3];
	char  table[IPTT_NFT_NAME_LEN];
	char  chain[IPTT_NFT_NAME_LEN];
	char  target[IPTT_NFT_NAME_LEN];	/* jump/goto target chain */
};

struct iptt_nft_verdict {
	struct iptt_hdr hdr;
	__u64 latency_ns;	/* fentry->fexit of this nft_do_chain call */
	__u32 netns;
	__u32 verdict;		/* nft_do_chain's return value */
	__s32 priority;		/* the base chain's hook priority */
	__u8  family;
	__u8  table_family;
	__u8  hook;
	__u8  depth;
	char  table[IPTT_NFT_NAME_LEN];
	char  chain[IPTT_NFT_NAME_LEN];
};

/* nf_tables --latency histograms (BPF_MAP_TYPE_PERCPU_HASH "nft_hists") */
struct iptt_nft_hist_key {
	__u64 chain;	/* struct nft_chain * of the base chain */
	__u32 netns;
	__u8 hook;
	__u8 pad[3];
};

struct iptt_nft_hist {
	char table[IPTT_NFT_NAME_LEN];
	char chain[IPTT_NFT_NAME_LEN];
	__u32 netns;
	__s32 priority;
	__u8 table_family;
	__u8 pad[7];
	__u64 count;
	__u64 sum_ns;
	__u64 slots[IPTT_HIST_SLOTS];
};

/* Latency histograms (BPF_MAP_TYPE_PERCPU_HASH "hists"). */
struct iptt_hist_key {
	__u64 table_addr;	/* struct xt_table * */
	/*
	 * A table's address is unique only while its namespace lives: after
	 * namespace churn a new table may reuse a dead one's address, so the
	 * namespace is part of the key.
	 */
	__u32 netns;
	__u8  family;
	__u8  hook;
	__u8  pad[2];
};

struct iptt_hist {
	char  table[IPTT_TABLE_LEN];
	__u32 netns;
	__u32 pad;
	__u64 count;
	__u64 sum_ns;
	__u64 slots[IPTT_HIST_SLOTS];
};

/* ---- packet fate (bpf/fate.bpf.h, user/fate.c) ---- */

enum iptt_fate_kind {
	IPTT_FATE_UNKNOWN = 0,
	IPTT_FATE_DROPPED,	/* skb:kfree_skb: reason and location */
	IPTT_FATE_DELIVERED,	/* ip(6)_protocol_deliver_rcu kept it: local L4 */
	IPTT_FATE_FORWARDED,	/* handed to an egress device, received earlier */
	IPTT_FATE_SENT,		/* handed to an egress device, generated here */
};

struct iptt_fate {
	struct iptt_hdr hdr;
	__u64 location;		/* dropped: the kfree_skb caller's address */
	__u32 reason;		/* dropped: enum skb_drop_reason value */
	__u32 netns;		/* where it ended */
	__u32 ifindex;		/* forwarded/sent: egress device */
	__u16 sport;		/* delivered: TCP/UDP ports, host order */
	__u16 dport;
	__u8  fate;		/* enum iptt_fate_kind */
	__u8  family;		/* NFPROTO_IPV4/IPV6, 0 if unknown */
	__u8  proto;		/* delivered: the L4 protocol */
	__u8  pad[5];
	char  dev[IPTT_IFNAME_LEN];	/* egress (forwarded/sent) or skb->dev */
};

/* ---- /dev/ipttrace ioctl ABI ---- */

#define IPTT_DEV_NAME		"ipttrace"
#define IPTT_FILTER_MAX		4096	/* BPF_MAXINSNS */
#define IPTT_RATE_MAX		1000000	/* traced packets per second, at most */

/* One classic BPF instruction, layout of struct sock_filter. */
struct iptt_insn {
	__u16 code;
	__u8  jt;
	__u8  jf;
	__u32 k;
};

#define IPTT_FAM_IPV4		(1U << 0)
#define IPTT_FAM_IPV6		(1U << 1)

#define IPTT_CFG_KEEP_LOG	(1U << 0)	/* do not silence nf_log_trace */
#define IPTT_CFG_NFT		(1U << 1)	/* hold nft_trace_enabled while enabled */
#define IPTT_CFG_ALL		(IPTT_CFG_KEEP_LOG | IPTT_CFG_NFT)

struct iptt_config {
	__u64 filter;		/* user pointer to struct iptt_insn[filter_len] */
	__u32 filter_len;	/* 0: select every packet */
	__u32 families;		/* IPTT_FAM_* mask; 0 means both */
	__u32 netns;		/* netns inode to select; 0: all */
	__u32 rate;		/* traced packets per second, <= IPTT_RATE_MAX;
				 * 0: module default */
	__u32 flags;		/* IPTT_CFG_*; unknown bits are rejected */
	__u32 pad;		/* must be 0, so that the ABI can grow */
	char  ifname[IPTT_IFNAME_LEN];	/* in or out device, NUL-terminated;
					 * "" for any */
};

struct iptt_stats {
	__u64 seen;		/* packets that reached the hooks while enabled */
	__u64 matched;		/* ... and passed netns/iface/filter */
	__u64 selected;		/* ... and got a token: nf_trace set */
	__u64 rate_limited;	/* matched but over the rate cap */
	__u64 log_silenced;	/* nf_log_trace calls silenced */
	__u64 log_calls;	/* nf_log_trace calls while enabled: every
				 * x_tables rule step the kernel took */
	__u64 already_traced;	/* packets seen with nf_trace already set
				 * (looped back, or marked by someone else):
				 * not selected again */
	__u32 enabled;
	__u32 pad;
};

/*
 * 0xE1 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst.
 * (0xb7, used before, is nsfs's: the old IPTT_IOC_ENABLE was NS_GET_PARENT.)
 */
#define IPTT_IOC_MAGIC		0xE1
/* The ioctl structs are ABI: the same size for 32- and 64-bit callers. */
_Static_assert(sizeof(struct iptt_config) == 48, "struct iptt_config is ABI");
_Static_assert(sizeof(struct iptt_stats) == 64, "struct iptt_stats is ABI");
_Static_assert(sizeof(struct iptt_verdict) % 8 == 0 &&
	       sizeof(struct iptt_verdict) == 160, "no implicit padding in events");

#define IPTT_IOC_SET_CONFIG	_IOW(IPTT_IOC_MAGIC, 1, struct iptt_config)
#define IPTT_IOC_ENABLE		_IO(IPTT_IOC_MAGIC, 2)
#define IPTT_IOC_DISABLE	_IO(IPTT_IOC_MAGIC, 3)
#define IPTT_IOC_GET_STATS	_IOR(IPTT_IOC_MAGIC, 4, struct iptt_stats)

#endif /* IPTTRACE_H */
