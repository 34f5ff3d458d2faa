/* SPDX-License-Identifier: GPL-2.0 */
/* -w FILE: traced packets as pcapng, each with its trace as a comment. */
#ifndef IPTTRACE_PCAPNG_H
#define IPTTRACE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define IPTT_LINKTYPE_RAW	101	/* raw IPv4/IPv6, from the IP header */

/* ---- the writer: blocks to a FILE ---- */

struct iptt_pcapng_if {
	unsigned int netns;
	char name[16];
};

struct iptt_pcapng {
	FILE *f;
	unsigned int snaplen;
	struct iptt_pcapng_if *ifs;	/* Interface Description Blocks written */
	unsigned int nifs;
};

/* Section Header Block.  0 or -1 (write error). */
int iptt_pcapng_begin(struct iptt_pcapng *w, FILE *f, unsigned int snaplen,
		      const char *appl);
/*
 * An Enhanced Packet Block on the interface (netns, ifname), whose
 * Interface Description Block is written the first time it is seen.
 * time_ns: UTC nanoseconds; dir: 0 unknown, 1 inbound, 2 outbound;
 * comment: opt_comment (UTF-8), cut to what an option holds, or NULL.
 */
int iptt_pcapng_packet(struct iptt_pcapng *w, unsigned int netns,
		       const char *ifname, unsigned long long time_ns,
		       const void *data, unsigned int caplen, unsigned int len,
		       unsigned int dir, const char *comment);
void iptt_pcapng_end(struct iptt_pcapng *w);

/* ---- -w in trace mode: output.c feeds it ---- */

/* Open path ("-": stdout; then everything else printed to stdout goes to
 * stderr instead).  0, or -1 with a message on stderr. */
int iptt_pcap_open(const char *path, unsigned int snaplen);
bool iptt_pcap_active(void);
/* An IPTT_EV_PACKET_BYTES record: kept until its packet is written. */
void iptt_pcap_bytes(const void *data, size_t len);
/* Packet id is done: write it with this comment, if its bytes came. */
void iptt_pcap_packet(unsigned long long id, long long mono_to_real_ns,
		      unsigned int netns, const char *in, const char *out,
		      const char *comment);
/* Packets written, and packets dropped because their bytes never came. */
unsigned long long iptt_pcap_written(void);
void iptt_pcap_close(void);

#endif /* IPTTRACE_PCAPNG_H */
