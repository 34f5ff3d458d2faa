/* SPDX-License-Identifier: GPL-2.0 */
/* The pcap filter: compiled by libpcap for DLT_RAW, run by ipttrace.ko. */
#ifndef IPTTRACE_FILTER_H
#define IPTTRACE_FILTER_H

#include <stddef.h>
#include "ipttrace.h"

struct iptt_filter {
	struct iptt_insn *insns;	/* NULL with len 0: match everything */
	unsigned int len;
};

/*
 * Compile a tcpdump-style expression for packets that start at the network
 * header (DLT_RAW), as they do at PRE_ROUTING and LOCAL_OUT.  An empty or
 * NULL expression selects every packet.  On error returns -1 and writes a
 * one-line message to err.
 */
int iptt_filter_compile(const char *expr, struct iptt_filter *f, char *err,
			size_t errlen);
void iptt_filter_free(struct iptt_filter *f);

/* Join positional words into one expression, as tcpdump does. */
char *iptt_filter_join(int argc, char **argv);

#endif /* IPTTRACE_FILTER_H */
