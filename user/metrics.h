/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --metrics-file: the Prometheus text exposition format (0.0.4, which
 * promtool and node_exporter's textfile collector read), written atomically.
 */
#ifndef IPTTRACE_METRICS_H
#define IPTTRACE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* Rule text labels are cut to this many bytes (and marked with "..."). */
#define IPTT_METRICS_RULE_LABEL_MAX	120

/*
 * Write the metrics to path: to a temporary file in the same directory,
 * then rename() over path, so a reader sees the old file or the new one,
 * never half of one.  hists_fd: the x_tables latency map ("hists"), or -1;
 * summary: rule hits and verdicts counted by summary.c.  Returns 0, or -1
 * with a message on stderr.
 */
int iptt_metrics_write(const char *path, int hists_fd, bool per_netns,
		       bool summary);

struct iptt_opts;
/*
 * For the main loops: with --metrics-file, write when -I seconds have
 * passed since the first call or the last write, and always when at_exit.
 * hists_fd: as above (-1 in trace mode).  0, or -1 if a write failed.
 */
int iptt_metrics_tick(const struct iptt_opts *o, int hists_fd, bool at_exit);

/* ---- the pieces, for the unit tests ---- */

/* A label value with \\, \" and \n escaped, cut to max bytes (0: no cut). */
void iptt_prom_label(FILE *f, const char *name, const char *value, size_t max);
/*
 * One histogram series from log2 slots (hist.h): cumulative _bucket lines
 * with le in seconds (slot i holds integer ns up to 2^i - 1), le="+Inf",
 * _sum in seconds and _count.  labels: "a=\"b\",c=\"d\"" (no braces), or "".
 */
void iptt_prom_histogram(FILE *f, const char *name, const char *labels,
			 const __u64 *slots, int nslots,
			 unsigned long long sum_ns);
/* The full text: what iptt_metrics_write writes.  malloc'ed, or NULL. */
char *iptt_metrics_text(int hists_fd, bool per_netns, bool summary,
			size_t *len);
/* Write len bytes to path atomically (temp file + rename).  0 or -errno. */
int iptt_write_atomic(const char *path, const char *text, size_t len);

#endif /* IPTTRACE_METRICS_H */
