/* SPDX-License-Identifier: GPL-2.0 */
/* Trace events -> per-packet groups -> human text or JSON lines. */
#ifndef IPTTRACE_OUTPUT_H
#define IPTTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct iptt_out_cfg {
	FILE *f;
	bool json;
	bool rule_text;
	bool color;
	bool summary;
	unsigned long max_packets;	/* -c: later packets are ignored */
	long long mono_to_real_ns;	/* add to bpf_ktime_get_ns() */
};

void iptt_out_init(const struct iptt_out_cfg *cfg);
/* ring_buffer_sample_fn: one raw record */
int iptt_out_event(void *ctx, void *data, size_t len);
/*
 * Print (human mode) and retire packets with no event for idle_ns, or all
 * of them when now_ns is 0.  Returns the number of packets finished so far.
 */
unsigned long iptt_out_flush(unsigned long long now_ns,
			     unsigned long long idle_ns);
void iptt_out_lost(unsigned long long count);
/*
 * For nft_output.c: a step of packet id (false: the packet is not shown,
 * -c reached); done: nothing more will come for it.  Then, in human mode,
 * its line (malloc'ed, taken over; NULL is ignored).
 */
bool iptt_out_nft_step(unsigned long long id, unsigned long long time_ns,
		       unsigned int family, bool done);
/*
 * An nf_tables step is the packet's last rule so far: a fate of
 * NETFILTER_DROP names it ("inet t:input:rule:3", and its text or NULL).
 */
void iptt_out_nft_rule(unsigned long long id, const char *rule,
		       const char *text);
void iptt_out_nft_line(unsigned long long id, char *line);
unsigned long long iptt_out_bad_records(void);
void iptt_out_free(void);

#endif /* IPTTRACE_OUTPUT_H */
