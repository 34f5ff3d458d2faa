/* SPDX-License-Identifier: GPL-2.0 */
/* Command line of ipttrace. */
#ifndef IPTTRACE_CLI_H
#define IPTTRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum iptt_probe_mode {
	IPTT_PROBE_AUTO = 0,
	IPTT_PROBE_FENTRY,
	IPTT_PROBE_KPROBE,
};

struct iptt_opts {
	bool ipv4, ipv6;		/* -4 / -6; neither means both */
	const char *iface;		/* -i */
	const char *netns;		/* --netns NAME|PATH|INODE */
	unsigned long count;		/* -c; 0: unlimited */
	double duration;		/* -d seconds; 0: unlimited */
	unsigned int rate;		/* --rate; 0: module default */
	bool json;
	bool no_rule_text;
	bool keep_log;
	bool summary;
	bool latency;			/* --latency: histograms, no module */
	bool per_netns;			/* --per-netns (latency mode) */
	double interval;		/* -I seconds (latency mode) */
	unsigned long buffer_size;	/* --buffer-size bytes; 0: default */
	enum iptt_probe_mode probe;
	const char *kmod_path;
	const char *ready_file;
	const char *metrics_file;	/* --metrics-file (Prometheus text) */
	const char *pcapng;		/* -w FILE|- */
	unsigned int snaplen;		/* -s: bytes per packet with -w */
	bool doctor;			/* --doctor: report and exit */
	int verbose;
	char *filter;			/* joined positional words, or NULL */
};

/*
 * Parse argv into *o.  Returns 0 to run.  Bad usage prints a one-line error
 * and exits with status 2; --help and --version print and exit 0 (argp).
 */
int iptt_parse_args(int argc, char **argv, struct iptt_opts *o);
void iptt_opts_free(struct iptt_opts *o);

#endif /* IPTTRACE_CLI_H */
