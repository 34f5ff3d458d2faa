// SPDX-License-Identifier: GPL-2.0
/*
 * --metrics-file FILE: the latency histograms (--latency) and the rule hit
 * and verdict counters (--summary) in the Prometheus text format, for
 * node_exporter's textfile collector or anything that reads it.
 *
 * Conventions (https://prometheus.io/docs/practices/naming/): base units
 * (seconds), counters end in _total, one # HELP and # TYPE per family,
 * histograms as cumulative _bucket{le} with le="+Inf" equal to _count.
 * Values are cumulative since ipttrace started: Prometheus computes rates.
 * The file is replaced atomically (temp file in the same directory, then
 * rename), every -I seconds and at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include "cli.h"
#include "decode.h"
#include "ipttrace.h"
#include "latency.h"
#include "metrics.h"
#include "nft.h"
#include "summary.h"

#define MAX_KEYS	4096

void iptt_prom_label(FILE *f, const char *name, const char *value, size_t max)
{
	size_t i, n;

	if (!value)
		value = "";
	n = strlen(value);
	if (max && n > max) {
		n = max;
		/* do not cut a UTF-8 sequence in two */
		while (n && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
	}
	fprintf(f, "%s=\"", name);
	for (i = 0; i < n; i++) {
		switch (value[i]) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(value[i], f);
		}
	}
	if (value[i])
		fputs("...", f);
	fputc('"', f);
}

/* The shortest text that parses back to v (so 1e-09, not 1.0000000000000001e-09). */
static void prom_float(FILE *f, double v)
{
	char buf[64], *c;
	int prec;

	for (prec = 6; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	for (c = buf; *c; c++)
		if (*c == ',')
			*c = '.';
	fputs(buf, f);
}

void iptt_prom_histogram(FILE *f, const char *name, const char *labels,
			 const __u64 *slots, int nslots,
			 unsigned long long sum_ns)
{
	const char *sep = labels && *labels ? "," : "";
	unsigned long long cum = 0;
	int i;

	if (!labels)
		labels = "";
	/*
	 * slot 0 holds 0 ns, slot i [2^(i-1), 2^i - 1] ns; the last slot is
	 * open at the top, so it is only in +Inf.
	 */
	for (i = 0; i < nslots - 1; i++) {
		cum += slots[i];
		fprintf(f, "%s_bucket{%s%sle=\"", name, labels, sep);
		prom_float(f, ((double)(1ULL << i) - 1) / 1e9);
		fprintf(f, "\"} %llu\n", cum);
	}
	cum += slots[nslots - 1];
	fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, cum);
	fprintf(f, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	prom_float(f, sum_ns / 1e9);
	/* the buckets' total, so that +Inf and _count agree by construction */
	fprintf(f, "\n%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
		*labels ? "}" : "", cum);
}

/* ---- x_tables latency: the "hists" map (user/latency.c sums it) ---- */

static void write_latency(FILE *f, int fd, bool per_netns)
{
	static const char name[] = "ipttrace_table_latency_seconds";
	struct iptt_lat *a;
	char *labels;
	size_t llen;
	FILE *lf;
	int n, i;

	n = iptt_latency_collect(fd, per_netns, &a);
	if (n < 0)
		return;
	fprintf(f, "# HELP %s Time spent in one iptables table call (ip[6]t_do_table), per family, table and hook.\n", name);
	fprintf(f, "# TYPE %s histogram\n", name);
	for (i = 0; i < n; i++) {
		lf = open_memstream(&labels, &llen);
		if (!lf)
			break;
		iptt_prom_label(lf, "backend", "legacy", 0);
		fputc(',', lf);
		iptt_prom_label(lf, "family", iptt_family_name(a[i].family), 0);
		fputc(',', lf);
		iptt_prom_label(lf, "table", a[i].table, 0);
		fputc(',', lf);
		iptt_prom_label(lf, "hook", iptt_hook_name(a[i].hook), 0);
		if (per_netns)
			fprintf(lf, ",netns=\"%u\"", a[i].netns);
		fclose(lf);
		iptt_prom_histogram(f, name, labels, a[i].slots, IPTT_HIST_SLOTS,
				    a[i].sum_ns);
		free(labels);
	}
	free(a);
}

/*
 * nf_tables base chains: the "nft_hists" map, one key per chain, netns and
 * hook, summed over CPUs (and over namespaces unless per_netns), in the
 * same family as the x_tables histograms, with a chain label.
 */
struct nlat {
	char *labels;
	unsigned long long sum_ns;
	__u64 slots[IPTT_HIST_SLOTS];
};

static void write_nft_latency(FILE *f, int fd, bool per_netns)
{
	int ncpu = libbpf_num_possible_cpus(), n = 0, c, i, j;
	struct iptt_nft_hist_key key, next, *kp = NULL;
	struct iptt_nft_hist *vals, s;
	struct nlat *a;
	char *labels;
	size_t llen;
	FILE *lf;

	if (fd < 0 || ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	a = calloc(MAX_KEYS, sizeof(*a));
	while (vals && a && n < MAX_KEYS && !bpf_map_get_next_key(fd, kp, &next)) {
		key = next;
		kp = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&s, 0, sizeof(s));
		for (c = 0; c < ncpu; c++) {
			if (!s.chain[0] && vals[c].chain[0]) {
				memcpy(s.table, vals[c].table, sizeof(s.table));
				memcpy(s.chain, vals[c].chain, sizeof(s.chain));
				s.table_family = vals[c].table_family;
			}
			s.sum_ns += vals[c].sum_ns;
			for (j = 0; j < IPTT_HIST_SLOTS; j++)
				s.slots[j] += vals[c].slots[j];
		}
		s.table[sizeof(s.table) - 1] = s.chain[sizeof(s.chain) - 1] = '\0';
		lf = open_memstream(&labels, &llen);
		if (!lf)
			break;
		iptt_prom_label(lf, "backend", "nft", 0);
		fputc(',', lf);
		iptt_prom_label(lf, "family", iptt_nft_family_name(s.table_family), 0);
		fputc(',', lf);
		iptt_prom_label(lf, "table", s.table, 0);
		fputc(',', lf);
		iptt_prom_label(lf, "chain", s.chain, 0);
		fputc(',', lf);
		iptt_prom_label(lf, "hook", iptt_nft_hook_name(s.table_family, key.hook), 0);
		if (per_netns)
			fprintf(lf, ",netns=\"%u\"", key.netns);
		fclose(lf);
		for (i = 0; i < n && strcmp(a[i].labels, labels); i++)
			;
		if (i == n)
			a[n++].labels = labels;
		else
			free(labels);
		a[i].sum_ns += s.sum_ns;
		for (j = 0; j < IPTT_HIST_SLOTS; j++)
			a[i].slots[j] += s.slots[j];
	}
	for (i = 0; i < n; i++) {
		iptt_prom_histogram(f, "ipttrace_table_latency_seconds", a[i].labels,
				    a[i].slots, IPTT_HIST_SLOTS, a[i].sum_ns);
		free(a[i].labels);
	}
	free(a);
	free(vals);
}

/* ---- --summary counters ---- */

static void one_rule(void *ctx, const struct iptt_summary_hits *h)
{
	FILE *f = ctx;

	fputs("ipttrace_rule_hits_total{backend=\"legacy\",", f);
	iptt_prom_label(f, "family", iptt_family_name(h->family), 0);
	fprintf(f, ",netns=\"%u\",", h->netns);
	iptt_prom_label(f, "table", h->table, 0);
	fputc(',', f);
	iptt_prom_label(f, "chain", h->chain, 0);
	fputc(',', f);
	iptt_prom_label(f, "kind", iptt_kind_name(h->kind), 0);
	fprintf(f, ",rulenum=\"%u\",", h->rulenum);
	iptt_prom_label(f, "rule", h->text, IPTT_METRICS_RULE_LABEL_MAX);
	fprintf(f, "} %llu\n", h->hits);
}

static void one_verdict(void *ctx, unsigned int family, unsigned int hook,
			const char *table, const char *verdict,
			unsigned long long n)
{
	FILE *f = ctx;

	fputs("ipttrace_table_verdicts_total{backend=\"legacy\",", f);
	iptt_prom_label(f, "family", iptt_family_name(family), 0);
	fputc(',', f);
	iptt_prom_label(f, "table", table, 0);
	fputc(',', f);
	iptt_prom_label(f, "hook", iptt_hook_name(hook), 0);
	fputc(',', f);
	iptt_prom_label(f, "verdict", verdict, 0);
	fprintf(f, "} %llu\n", n);
}

static void write_summary(FILE *f)
{
	fputs("# HELP ipttrace_rule_hits_total Rule steps of traced packets, per rule (iptables -L --line-numbers numbering).\n"
	      "# TYPE ipttrace_rule_hits_total counter\n", f);
	iptt_summary_each_rule(one_rule, f);
	fputs("# HELP ipttrace_table_verdicts_total Table calls of traced packets, per table, hook and verdict.\n"
	      "# TYPE ipttrace_table_verdicts_total counter\n", f);
	iptt_summary_each_verdict(one_verdict, f);
}

char *iptt_metrics_text(int hists_fd, bool per_netns, bool summary,
			size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (hists_fd >= 0) {
		write_latency(f, hists_fd, per_netns);
		write_nft_latency(f, iptt_nft_hists_fd(), per_netns);
	}
	if (summary)
		write_summary(f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int iptt_write_atomic(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	ssize_t w;
	int fd, err;

	/* same directory, so that rename() is atomic; a dot name, which the
	 * textfile collector ignores (it reads *.prom only) */
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.%d.tmp",
		     slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += w;
	}
	if (fchmod(fd, 0644) || close(fd)) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
fail:
	err = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err;
}

int iptt_metrics_write(const char *path, int hists_fd, bool per_netns,
		       bool summary)
{
	size_t len = 0;
	char *text = iptt_metrics_text(hists_fd, per_netns, summary, &len);
	int err;

	if (!text) {
		fprintf(stderr, "ipttrace: metrics: out of memory\n");
		return -1;
	}
	err = iptt_write_atomic(path, text, len);
	free(text);
	if (err) {
		fprintf(stderr, "ipttrace: cannot write --metrics-file %s: %s\n",
			path, strerror(-err));
		return -1;
	}
	return 0;
}

int iptt_metrics_tick(const struct iptt_opts *o, int hists_fd, bool at_exit)
{
	static double next;
	struct timespec ts;
	double now;

	if (!o->metrics_file)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec + ts.tv_nsec / 1e9;
	if (!at_exit) {
		if (!o->interval)
			return 0;
		if (!next)
			next = now + o->interval;
		if (now < next)
			return 0;
		while (next <= now)
			next += o->interval;
	}
	return iptt_metrics_write(o->metrics_file, hists_fd, o->per_netns,
				  o->summary);
}
