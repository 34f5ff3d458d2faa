/* SPDX-License-Identifier: GPL-2.0 */
/* Ring buffer records -> checked events, and the names used to print them. */
#ifndef IPTTRACE_DECODE_H
#define IPTTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include "ipttrace.h"

union iptt_event {
	struct iptt_hdr hdr;
	struct iptt_packet packet;
	struct iptt_rule rule;
	struct iptt_verdict verdict;
	struct iptt_ruleset ruleset;
	struct iptt_nft_rule nft_rule;
	struct iptt_nft_verdict nft_verdict;
	struct iptt_fate fate;
};

/*
 * Copy a record into *ev after checking its kind and size, and NUL-terminate
 * every string field.  Returns the kind, or -1 for a record that is not a
 * well-formed event (which a mismatched BPF object could produce).
 */
int iptt_decode(const void *data, size_t len, union iptt_event *ev);

const char *iptt_family_name(unsigned int family);	/* "ipv4", "ipv6" */
const char *iptt_hook_name(unsigned int hook);		/* "PREROUTING", ... */
const char *iptt_kind_name(unsigned int kind);		/* "rule", "return", "policy" */
/* "ACCEPT", "DROP", "STOLEN", "QUEUE", "REPEAT", "STOP" or NULL */
const char *iptt_verdict_name(unsigned int verdict);
const char *iptt_proto_name(unsigned int proto, char *buf, size_t len);

/* Address in the usual text form; IPv4 uses the first 4 bytes. */
const char *iptt_addr(unsigned int family, const __u8 *addr, char *buf,
		      size_t len);
/* tcpdump-style flags: "S", "S.", "P.", "F.", "R", "." ... */
const char *iptt_tcp_flags(unsigned int flags, char *buf, size_t len);
/* "10.0.0.1:80", "[2001:db8::1]:80", or the bare address without ports */
const char *iptt_endpoint(unsigned int family, const __u8 *addr,
			  unsigned int port, bool has_port, char *buf,
			  size_t len);
bool iptt_has_ports(unsigned int proto);

#endif /* IPTTRACE_DECODE_H */
