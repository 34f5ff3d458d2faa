// SPDX-License-Identifier: GPL-2.0
/* argp command line: options, checks of their values, and the help text. */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "nft.h"
#include "ipttrace.h"
#include "filter.h"

#ifndef IPTT_VERSION
#define IPTT_VERSION "unknown"	/* the Makefile passes debian/changelog's */
#endif
const char *argp_program_version = "ipttrace " IPTT_VERSION;

static const char doc[] =
"Show which iptables rule each selected packet hits, and why it was dropped.\n"
"\n"
"USAGE: ipttrace [OPTION...] [PCAP FILTER]\n"
"       ipttrace --latency [-I SECONDS] [--per-netns]\n"
"\n"
"EXAMPLES:\n"
"    ipttrace 'tcp port 8080'              # every rule TCP port 8080 hits\n"
"    ipttrace -c 5 host 10.0.0.2           # five packets to/from 10.0.0.2\n"
"    ipttrace --netns web -i eth0 icmp     # pings in netns 'web' on eth0\n"
"    ipttrace --netns /proc/1234/ns/net    # a container's namespace\n"
"    ipttrace --json -d 10 udp port 53     # JSON lines for 10 seconds\n"
"    ipttrace --summary -d 30 'tcp[13] & 2 != 0'  # rule hit counts of SYNs\n"
"    ipttrace --latency -I 5               # per-table latency, no module\n"
"\n"
"Traces iptables-legacy (ip_tables, ip6_tables) and nf_tables (iptables-nft,\n"
"nftables) rulesets, without adding a rule; --backend picks.\v"
"The filter uses pcap syntax on packets that start at the IP header.";

enum {
	OPT_NETNS = 1000,
	OPT_RATE,
	OPT_JSON,
	OPT_NO_RULE_TEXT,
	OPT_KEEP_LOG,
	OPT_PROBE,
	OPT_BACKEND,
	OPT_KMOD,
	OPT_READY,
	OPT_SUMMARY,
	OPT_LATENCY,
	OPT_PER_NETNS,
	OPT_BUFFER,
	OPT_DOCTOR,
	OPT_METRICS,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Selection:", 1 },
	{ NULL, '4', NULL, 0, "IPv4 only", 1 },
	{ NULL, '6', NULL, 0, "IPv6 only", 1 },
	{ "interface", 'i', "IFACE", 0, "Packets entering or leaving IFACE", 1 },
	{ "netns", OPT_NETNS, "NAME|PATH|INODE", 0,
	  "One network namespace: a name under /run/netns, a path such as /proc/PID/ns/net, an inode, pid:PID, docker:CONTAINER or cri:POD|CONTAINER (default: all)", 1 },
	{ "rate", OPT_RATE, "N", 0,
	  "Trace at most N packets per second (default 1000)", 1 },
	{ NULL, 0, NULL, 0, "Stopping:", 2 },
	{ "count", 'c', "COUNT", 0, "Stop after COUNT packets", 2 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS", 2 },
	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "json", OPT_JSON, NULL, 0, "JSON lines", 3 },
	{ "no-rule-text", OPT_NO_RULE_TEXT, NULL, 0,
	  "Do not resolve rule text with iptables-legacy-save", 3 },
	{ "summary", OPT_SUMMARY, NULL, 0,
	  "At exit, print hits per rule and verdicts per table and hook", 3 },
	{ "verbose", 'v', NULL, 0, "Say what is being set up", 3 },
	{ "metrics-file", OPT_METRICS, "FILE", 0,
	  "With --latency or --summary: write Prometheus metrics to FILE (atomically), every -I seconds and at exit", 3 },
	{ "write", 'w', "FILE", 0,
	  "Write the traced packets to FILE as pcapng (- for stdout), each with its trace as a comment", 3 },
	{ "snaplen", 's', "BYTES", 0,
	  "With -w: keep the first BYTES of each packet, from the IP header (default 128, at most 256)", 3 },
	{ NULL, 0, NULL, 0, "Latency mode:", 4 },
	{ "latency", OPT_LATENCY, NULL, 0,
	  "Latency histograms of every table call; needs no module", 4 },
	{ "interval", 'I', "SECONDS", 0,
	  "Print the histograms every SECONDS (default: at exit only)", 4 },
	{ "per-netns", OPT_PER_NETNS, NULL, 0,
	  "Latency histograms per network namespace too", 4 },
	{ NULL, 0, NULL, 0, "Mechanics:", 5 },
	{ "keep-log", OPT_KEEP_LOG, NULL, 0,
	  "Leave the kernel's own TRACE log lines alone", 5 },
	{ "backend", OPT_BACKEND, "legacy|nft|all", 0,
	  "Which rulesets to trace (default: the ones in use: iptables-legacy, nf_tables)", 5 },
	{ "probe", OPT_PROBE, "auto|fentry|kprobe", 0,
	  "How to attach to ipt_do_table (default auto: fentry, else kprobe)", 5 },
	{ "kmod", OPT_KMOD, "PATH", 0, "Use this ipttrace.ko", 5 },
	{ "buffer-size", OPT_BUFFER, "BYTES", 0,
	  "Ring buffer size, K/M suffixes allowed, a power of two (default 8M)", 5 },
	{ "ready-file", OPT_READY, "PATH", 0,
	  "Create PATH once everything is attached", 5 },
	{ "doctor", OPT_DOCTOR, NULL, 0,
	  "Check what this kernel allows and which module would be loaded; changes nothing", 5 },
	{ NULL },
};

static int parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')	/* strtoul would take " -1" */
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v > max)
		return -1;
	return 0;
}

/* 4K..1G, a power of two: what a BPF ring buffer accepts */
static int parse_size(const char *s, unsigned long *v)
{
	unsigned long mult = 1;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1UL << 10, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1UL << 20, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1UL << 30, end++;
	if (*end || *v > (1UL << 30) / mult)
		return -1;
	*v *= mult;
	if (*v < 4096 || *v > (1UL << 30) || (*v & (*v - 1)))
		return -1;
	return 0;
}

static int parse_seconds(const char *s, double *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || *end || !(*v > 0) || *v > 1e9)
		return -1;
	return 0;
}

/* What the kernel's dev_valid_name() accepts. */
static bool iface_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

struct parse_state {
	struct iptt_opts *o;
	int nwords;
	char **words;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	struct iptt_opts *o = ps->o;
	unsigned long v;

	switch (key) {
	case '4':
		o->ipv4 = true;
		break;
	case '6':
		o->ipv6 = true;
		break;
	case 'i':
		if (!iface_name_ok(arg))
			argp_error(state, "invalid interface name '%s'", arg);
		o->iface = arg;
		break;
	case OPT_NETNS:
		if (!*arg)
			argp_error(state, "--netns needs a name, path or inode");
		o->netns = arg;
		break;
	case OPT_RATE:
		/* the module refuses more (IPTT_RATE_MAX) */
		if (parse_ulong(arg, IPTT_RATE_MAX, &v) || !v)
			argp_error(state, "--rate wants packets per second, 1 to %u, not '%s'",
				   IPTT_RATE_MAX, arg);
		o->rate = v;
		break;
	case 'c':
		if (parse_ulong(arg, ULONG_MAX, &v) || !v)
			argp_error(state, "-c wants a positive count, not '%s'", arg);
		o->count = v;
		break;
	case 'd':
		if (parse_seconds(arg, &o->duration))
			argp_error(state, "-d wants a positive number of seconds, not '%s'", arg);
		break;
	case 'I':
		if (parse_seconds(arg, &o->interval))
			argp_error(state, "-I wants a positive number of seconds, not '%s'", arg);
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_NO_RULE_TEXT:
		o->no_rule_text = true;
		break;
	case OPT_KEEP_LOG:
		o->keep_log = true;
		break;
	case OPT_SUMMARY:
		o->summary = true;
		break;
	case OPT_LATENCY:
		o->latency = true;
		break;
	case OPT_PER_NETNS:
		o->per_netns = true;
		break;
	case OPT_BACKEND:
		if (iptt_backend_parse(arg))
			argp_error(state, "--backend wants legacy, nft or all, not '%s'", arg);
		break;
	case OPT_PROBE:
		if (!strcmp(arg, "auto"))
			o->probe = IPTT_PROBE_AUTO;
		else if (!strcmp(arg, "fentry"))
			o->probe = IPTT_PROBE_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			o->probe = IPTT_PROBE_KPROBE;
		else
			argp_error(state, "--probe wants auto, fentry or kprobe, not '%s'", arg);
		break;
	case OPT_BUFFER:
		if (parse_size(arg, &v))
			argp_error(state, "--buffer-size wants a power of two from 4K to 1G, not '%s'", arg);
		o->buffer_size = v;
		break;
	case OPT_KMOD:
		o->kmod_path = arg;
		break;
	case OPT_READY:
		o->ready_file = arg;
		break;
	case OPT_DOCTOR:
		o->doctor = true;
		break;
	case OPT_METRICS:
		if (!*arg)
			argp_error(state, "--metrics-file needs a file name");
		o->metrics_file = arg;
		break;
	case 'w':
		if (!*arg)
			argp_error(state, "-w needs a file name, or - for stdout");
		o->pcapng = arg;
		break;
	case 's':
		if (parse_ulong(arg, IPTT_SNAP_MAX, &v) || v < 20)
			argp_error(state, "-s wants 20 to %u bytes, not '%s'", IPTT_SNAP_MAX, arg);
		o->snaplen = v;
		break;
	case 'v':
		o->verbose++;
		break;
	case ARGP_KEY_ARGS:
		ps->nwords = state->argc - state->next;
		ps->words = state->argv + state->next;
		break;
	case ARGP_KEY_END:
		if (o->latency && ps->nwords)
			argp_error(state, "--latency times every packet: it takes no filter");
		if (o->latency && (o->count || o->iface || o->rate || o->summary))
			argp_error(state, "--latency does not combine with -c, -i, --rate or --summary");
		if (!o->latency && ((o->interval && !o->metrics_file) || o->per_netns))
			argp_error(state, "-I and --per-netns belong to --latency (or -I to --metrics-file)");
		if (o->metrics_file && !o->latency && !o->summary)
			argp_error(state, "--metrics-file writes what --latency or --summary counts: add one of them");
		if (o->pcapng && o->latency)
			argp_error(state, "-w writes traced packets: it does not combine with --latency");
		if (o->snaplen && !o->pcapng)
			argp_error(state, "-s belongs to -w");
		if (o->pcapng && !o->snaplen)
			o->snaplen = IPTT_SNAP_DEFAULT;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int iptt_parse_args(int argc, char **argv, struct iptt_opts *o)
{
	static const struct argp argp = {
		.options = options,
		.parser = parse_opt,
		.args_doc = "[PCAP FILTER...]",
		.doc = doc,
	};
	struct parse_state ps = { .o = o };
	int err;

	memset(o, 0, sizeof(*o));
	argp_err_exit_status = 2;
	/* argp_error() and --help exit by themselves; both are what a CLI
	 * wants, and the unit tests run the parser in a child process */
	err = argp_parse(&argp, argc, argv, 0, NULL, &ps);
	if (err)
		return -1;
	if (o->ipv4 && o->ipv6)
		o->ipv4 = o->ipv6 = false;	/* -4 -6: both */
	if (ps.nwords) {
		o->filter = iptt_filter_join(ps.nwords, ps.words);
		if (!o->filter) {
			fprintf(stderr, "ipttrace: out of memory\n");
			return -1;
		}
	}
	return 0;
}

void iptt_opts_free(struct iptt_opts *o)
{
	free(o->filter);
	o->filter = NULL;
}
