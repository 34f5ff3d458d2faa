// SPDX-License-Identifier: GPL-2.0
/* Checking and naming of the events the BPF programs send. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "decode.h"

#define TERMINATE(arr) ((arr)[sizeof(arr) - 1] = '\0')

int iptt_decode(const void *data, size_t len, union iptt_event *ev)
{
	struct iptt_hdr hdr;
	size_t want;

	if (len < sizeof(hdr))
		return -1;
	memcpy(&hdr, data, sizeof(hdr));
	switch (hdr.kind) {
	case IPTT_EV_PACKET:
		want = sizeof(ev->packet);
		break;
	case IPTT_EV_RULE:
		want = sizeof(ev->rule);
		break;
	case IPTT_EV_VERDICT:
		want = sizeof(ev->verdict);
		break;
	case IPTT_EV_RULESET:
		want = sizeof(ev->ruleset);
		break;
	case IPTT_EV_NFT_RULE:
		want = sizeof(ev->nft_rule);
		break;
	case IPTT_EV_NFT_VERDICT:
		want = sizeof(ev->nft_verdict);
		break;
	case IPTT_EV_FATE:
		want = sizeof(ev->fate);
		break;
	default:
		return -1;
	}
	/* the ring buffer rounds records up to 8 bytes, never down */
	if (len < want)
		return -1;
	memcpy(ev, data, want);

	switch (hdr.kind) {
	case IPTT_EV_PACKET:
		TERMINATE(ev->packet.in);
		TERMINATE(ev->packet.out);
		if (ev->packet.family != 2 && ev->packet.family != 10)
			return -1;
		break;
	case IPTT_EV_RULE:
		TERMINATE(ev->rule.table);
		TERMINATE(ev->rule.chain);
		if (ev->rule.kind > IPTT_KIND_UNKNOWN)
			ev->rule.kind = IPTT_KIND_UNKNOWN;
		break;
	case IPTT_EV_VERDICT:
		TERMINATE(ev->verdict.table);
		break;
	case IPTT_EV_RULESET:
		TERMINATE(ev->ruleset.table);
		break;
	case IPTT_EV_NFT_RULE:
		TERMINATE(ev->nft_rule.table);
		TERMINATE(ev->nft_rule.chain);
		TERMINATE(ev->nft_rule.target);
		if (ev->nft_rule.kind > IPTT_KIND_POLICY)
			return -1;
		break;
	case IPTT_EV_NFT_VERDICT:
		TERMINATE(ev->nft_verdict.table);
		TERMINATE(ev->nft_verdict.chain);
		break;
	case IPTT_EV_FATE:
		TERMINATE(ev->fate.dev);
		if (ev->fate.fate > IPTT_FATE_SENT)
			return -1;
		break;
	}
	return (int)hdr.kind;
}

const char *iptt_family_name(unsigned int family)
{
	switch (family) {
	case 2:
		return "ipv4";
	case 10:
		return "ipv6";
	default:
		return "unknown";
	}
}

const char *iptt_hook_name(unsigned int hook)
{
	static const char *const names[] = {
		"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
	};

	return hook < sizeof(names) / sizeof(names[0]) ? names[hook] : "?";
}

const char *iptt_kind_name(unsigned int kind)
{
	switch (kind) {
	case IPTT_KIND_RULE:
		return "rule";
	case IPTT_KIND_RETURN:
		return "return";
	case IPTT_KIND_POLICY:
		return "policy";
	default:
		return "unknown";
	}
}

const char *iptt_verdict_name(unsigned int verdict)
{
	/* NF_DROP_ERR() and NF_QUEUE_NR() keep extra bits above the mask */
	switch (verdict & 0xff) {
	case 0:
		return "DROP";
	case 1:
		return "ACCEPT";
	case 2:
		return "STOLEN";
	case 3:
		return "QUEUE";
	case 4:
		return "REPEAT";
	case 5:
		return "STOP";
	default:
		return NULL;
	}
}

const char *iptt_proto_name(unsigned int proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_ESP:
		return "esp";
	default:
		snprintf(buf, len, "proto-%u", proto);
		return buf;
	}
}

bool iptt_has_ports(unsigned int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

const char *iptt_addr(unsigned int family, const __u8 *addr, char *buf,
		      size_t len)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *iptt_tcp_flags(unsigned int flags, char *buf, size_t len)
{
	/* the order tcpdump prints them in; ACK is "." */
	static const struct {
		unsigned int bit;
		char c;
	} f[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	size_t n = 0, i;

	if (!len)
		return buf;
	for (i = 0; i < sizeof(f) / sizeof(f[0]) && n + 1 < len; i++)
		if (flags & f[i].bit)
			buf[n++] = f[i].c;
	if (!n && len > 4) {
		memcpy(buf, "none", 4);
		n = 4;
	}
	buf[n] = '\0';
	return buf;
}

const char *iptt_endpoint(unsigned int family, const __u8 *addr,
			  unsigned int port, bool has_port, char *buf,
			  size_t len)
{
	char a[INET6_ADDRSTRLEN];

	iptt_addr(family, addr, a, sizeof(a));
	if (!has_port)
		snprintf(buf, len, "%s", a);
	else if (family == 10)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
	return buf;
}
