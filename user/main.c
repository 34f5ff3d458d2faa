// SPDX-License-Identifier: GPL-2.0
/*
 * ipttrace: which iptables rule did this packet hit, and why was it dropped?
 *
 * Trace mode: ipttrace.ko selects packets with a pcap filter and sets
 * skb->nf_trace; BPF programs report every rule step, table verdict and
 * latency; this process groups them per packet and adds the rule text.
 * Latency mode (--latency): histograms of every table call, no module.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "accounting.h"
#include "cli.h"
#include "doctor.h"
#include "filter.h"
#include "kbtf.h"
#include "kmod.h"
#include "latency.h"
#include "loader.h"
#include "metrics.h"
#include "netns.h"
#include "nft.h"
#include "output.h"
#include "pcapng.h"
#include "ruletext.h"
#include "summary.h"

#define POLL_MS		100
#define IDLE_NS		200000000ULL	/* a packet quiet this long is done */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int write_ready_file(const char *path)
{
	char buf[32];
	int fd, n;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "ipttrace: cannot create ready file %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (write(fd, buf, n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* A logger bound to NFPROTO_UNSPEC would receive the lines we silence. */
static int check_unspec_logger(void)
{
	char line[256], name[64];
	FILE *f = fopen("/proc/net/netfilter/nf_log", "r");
	int pf;

	if (!f)
		return 0;	/* nf_log not in use at all */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %63s", &pf, name) == 2 && pf == 0 &&
		    strcmp(name, "NONE")) {
			fclose(f);
			fprintf(stderr,
				"ipttrace: logger '%s' is bound to NFPROTO_UNSPEC (/proc/net/netfilter/nf_log line 0), so silencing TRACE lines would send them there: unbind it (sysctl net.netfilter.nf_log.0=NONE) or use --keep-log\n",
				name);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/*
 * Packet events of packets ipttrace.ko selected, to compare with the
 * module's own count: the kprobe that emits them can be skipped too.
 */
static unsigned long long filter_packets;

static int count_event(void *ctx, void *data, size_t len)
{
	const struct iptt_packet *p = data;

	if (len >= sizeof(*p) && p->hdr.kind == IPTT_EV_PACKET &&
	    p->origin == IPTT_ORIGIN_FILTER)
		filter_packets++;
	return iptt_out_event(ctx, data, len);
}

static unsigned int gen_of(void *ctx)
{
	return iptt_bpf_gen(ctx);
}

static int run_trace(const struct iptt_opts *o)
{
	struct iptt_kmod km = { .fd = -1 };
	struct iptt_bpf b = { 0 };
	struct iptt_filter flt = { 0 };
	struct iptt_config cfg = { 0 };
	struct iptt_stats st;
	struct iptt_out_cfg oc = { 0 };
	unsigned long long deadline = 0, lost, reported = 0, seen0 = 0;
	struct iptt_accounting acct = { 0 };
	unsigned long done;
	unsigned int netns = 0;
	char err[512];
	bool v4, v6;
	int ret = 1, e;

	if (iptt_filter_compile(o->filter, &flt, err, sizeof(err))) {
		fprintf(stderr, "ipttrace: %s\n", err);
		return 1;
	}
	if (o->netns && iptt_netns_resolve(o->netns, &netns, err, sizeof(err))) {
		fprintf(stderr, "ipttrace: %s\n", err);
		goto cleanup;
	}
	/* without --netns, an interface of any namespace (a container's) will do */
	if (o->iface && (o->netns ?
			 iptt_netns_has_iface(iptt_netns_fd(netns), o->iface) != 1 :
			 !iptt_netns_any_has_iface(o->iface))) {
		fprintf(stderr, "ipttrace: no interface '%s' in %s (see 'ip link')\n",
			o->iface, o->netns ? "that network namespace" : "any network namespace");
		goto cleanup;
	}
	if (iptt_check_kernel(&v4, &v6))
		goto cleanup;
	if (!o->keep_log && check_unspec_logger())
		goto cleanup;

	if (iptt_kmod_open(&km, o->kmod_path, o->verbose))
		goto cleanup;
	cfg.filter = (unsigned long)flt.insns;
	cfg.filter_len = flt.len;
	cfg.families = (o->ipv4 ? IPTT_FAM_IPV4 : 0) | (o->ipv6 ? IPTT_FAM_IPV6 : 0);
	cfg.netns = netns;
	cfg.rate = o->rate;
	cfg.flags = (o->keep_log ? IPTT_CFG_KEEP_LOG : 0) |
		    (iptt_nft_traced() ? IPTT_CFG_NFT : 0);
	if (o->iface)
		snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", o->iface);
	if (iptt_kmod_configure(&km, &cfg))
		goto cleanup;

	if (o->pcapng && iptt_pcap_open(o->pcapng, o->snaplen))	/* -w */
		goto cleanup;
	oc.f = stdout;
	oc.json = o->json;
	oc.rule_text = !o->no_rule_text;
	oc.color = !o->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	oc.summary = o->summary;
	oc.max_packets = o->count;
	oc.mono_to_real_ns = (long long)now_ns(CLOCK_REALTIME) -
			     (long long)now_ns(CLOCK_MONOTONIC);
	iptt_out_init(&oc);

	b.netns = netns;
	/* rule numbers need the index too, even with --no-rule-text */
	if (iptt_nft_traced())
		iptt_nft_prefetch(netns);
	if (iptt_bpf_start(&b, o, true, count_event, NULL))
		goto cleanup;
	iptt_nft_prefetch_join();
	iptt_ruletext_init(gen_of, &b);
	/* the module counts rule steps from enable on: compare from here */
	seen0 = iptt_bpf_log_calls_seen(&b);
	if (iptt_kmod_enable(&km))
		goto cleanup;
	if (write_ready_file(o->ready_file))
		goto cleanup;
	fprintf(stderr, "ipttrace: tracing %s (%s); Ctrl-C to stop\n",
			o->filter ? o->filter : "all packets",
			b.used == IPTT_PROBE_FENTRY ? "fentry" : "kprobe");

	if (o->duration)
		deadline = now_ns(CLOCK_MONOTONIC) + o->duration * 1e9;
	ret = 0;
	while (!exiting) {
		/*
		 * ring_buffer__poll() reads nothing when it returns at its
		 * timeout; reading anyway costs one check, and progress then
		 * never depends on a wake-up having come.
		 */
		e = ring_buffer__poll(b.rb, POLL_MS);
		if (e >= 0)
			e = ring_buffer__consume(b.rb);
		if (e < 0 && e != -EINTR) {
			fprintf(stderr, "ipttrace: reading events: %s\n", strerror(-e));
			ret = 1;
			break;
		}
		lost = iptt_bpf_lost(&b);
		if (lost > reported) {
			iptt_out_lost(lost - reported);
			reported = lost;
		}
		done = iptt_out_flush(now_ns(CLOCK_MONOTONIC), IDLE_NS);
		iptt_metrics_tick(o, -1, false);
		if (o->count && done >= o->count)
			break;
		if (deadline && now_ns(CLOCK_MONOTONIC) >= deadline)
			break;
	}

	/* stop selecting first, then drain what is already in flight */
	iptt_kmod_disable(&km);
	acct.log_calls_seen = iptt_bpf_log_calls_seen(&b) - seen0;
	if (km.fd >= 0 && iptt_kmod_stats(&km, &st) == 0) {
		acct.have_kmod = true;
		acct.log_calls = st.log_calls;
		acct.selected = st.selected;
		if (o->verbose || st.rate_limited)
			fprintf(stderr, "ipttrace: %llu packets matched, %llu traced, %llu over the --rate cap, %llu log lines silenced\n",
				(unsigned long long)st.matched, (unsigned long long)st.selected,
				(unsigned long long)st.rate_limited,
				(unsigned long long)st.log_silenced);
	}
	iptt_kmod_close(&km);
	if (b.rb)
		ring_buffer__consume(b.rb);
	iptt_out_flush(0, 0);
	lost = iptt_bpf_lost(&b);
	if (lost > reported)
		iptt_out_lost(lost - reported);
	acct.packets_seen = filter_packets;
	acct.ring_lost = lost;
	if (lost)
		fprintf(stderr, "ipttrace: %llu events lost in all\n", lost);
	iptt_accounting_report(&b, &acct, stdout, stderr, o->json);
	if (o->summary)
		iptt_summary_print(stdout, o->json);
	if (iptt_metrics_tick(o, -1, true))
		ret = 1;
	if (o->pcapng && o->verbose)
		fprintf(stderr, "ipttrace: %llu packets written to %s\n",
			iptt_pcap_written(), o->pcapng);
	fflush(stdout);
cleanup:
	iptt_pcap_close();
	iptt_kmod_close(&km);
	iptt_bpf_stop(&b);
	iptt_out_free();
	iptt_ruletext_free();
	iptt_summary_free();
	iptt_filter_free(&flt);
	return ret;
}

static int run_latency(const struct iptt_opts *o)
{
	struct iptt_bpf b = { 0 };
	unsigned long long now, deadline = 0, next = 0;
	int ret = 1;

	if (iptt_bpf_start(&b, o, false, NULL, NULL))
		return 1;
	if (write_ready_file(o->ready_file))
		goto cleanup;
	fprintf(stderr, "ipttrace: timing every ip%s_do_table call (%s); Ctrl-C to print and stop\n",
			b.v4 && b.v6 ? "{,6}t" : b.v6 ? "6t" : "t",
			b.used == IPTT_PROBE_FENTRY ? "fentry" : "kprobe");
	now = now_ns(CLOCK_MONOTONIC);
	if (o->duration)
		deadline = now + o->duration * 1e9;
	if (o->interval)
		next = now + o->interval * 1e9;
	while (!exiting) {
		usleep(POLL_MS * 1000);
		now = now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			break;
		if (next && now >= next) {
			iptt_latency_print(stdout, iptt_bpf_hists_fd(&b), o->per_netns, o->json);
			next += o->interval * 1e9;
		}
		iptt_metrics_tick(o, iptt_bpf_hists_fd(&b), false);
	}
	ret = iptt_latency_print(stdout, iptt_bpf_hists_fd(&b), o->per_netns, o->json) < 0;
	iptt_nft_latency_print(stdout, iptt_nft_hists_fd(), o->json);
	iptt_accounting_report(&b, NULL, stdout, stderr, o->json);
	if (iptt_metrics_tick(o, iptt_bpf_hists_fd(&b), true))
		ret = 1;
cleanup:
	iptt_bpf_stop(&b);
	iptt_latency_free();
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct utsname uts;
	char why[160];
	struct iptt_opts o;
	int ret;

	if (iptt_parse_args(argc, argv, &o))
		return 2;
	if (o.doctor) {		/* read-only: works without root, says less */
		ret = iptt_doctor(&o);
		iptt_opts_free(&o);
		return ret;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "ipttrace: must run as root: it loads BPF programs%s (try sudo)\n",
			o.latency ? "" : " and a kernel module");
		iptt_opts_free(&o);
		return 1;
	}
	uname(&uts);
	if (iptt_kernel_version_ok(uts.release, why, sizeof(why))) {
		fprintf(stderr, "ipttrace: %s\n", why);
		iptt_opts_free(&o);
		return 1;
	}
	/*
	 * Into a file or a pipe, write in large blocks: the consumer flushes
	 * after every poll anyway, and 4 KiB writes were a tenth of its time.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 256 << 10);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);

	ret = o.latency ? run_latency(&o) : run_trace(&o);
	iptt_kbtf_free();
	iptt_opts_free(&o);
	return ret;
}
