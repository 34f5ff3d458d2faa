// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side keeps one per-CPU histogram per xt_table and hook; a table
 * is per namespace, so "filter in netns A" and "filter in netns B" are
 * separate keys.  Here they are summed over CPUs and, unless --per-netns,
 * over namespaces.  Intervals print differences of cumulative counts, so
 * the map is never cleared under the programs' feet and nothing is lost
 * between two reads.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "decode.h"
#include "hist.h"
#include "json.h"
#include "latency.h"

#define MAX_KEYS	4096

static struct iptt_lat *prev;
static int nprev;

static struct iptt_lat *find(struct iptt_lat *a, int n, const struct iptt_lat *k)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i].family == k->family && a[i].hook == k->hook &&
		    a[i].netns == k->netns && !strcmp(a[i].table, k->table))
			return &a[i];
	return NULL;
}

/* The order a packet meets the tables in at one hook. */
static int table_rank(const char *t)
{
	static const char *const order[] = {
		"raw", "mangle", "nat", "filter", "security",
	};
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(t, order[i]))
			return i;
	return 5;
}

static int cmp_lat(const void *x, const void *y)
{
	const struct iptt_lat *a = x, *b = y;
	int c;

	if (a->family != b->family)
		return a->family - b->family;
	if (a->hook != b->hook)
		return a->hook - b->hook;
	if ((c = table_rank(a->table) - table_rank(b->table)))
		return c;
	if ((c = strcmp(a->table, b->table)))
		return c;
	return a->netns < b->netns ? -1 : a->netns > b->netns;
}

int iptt_latency_collect(int fd, bool per_netns, struct iptt_lat **out)
{
	int ncpu = libbpf_num_possible_cpus(), n = 0, c;
	struct iptt_hist_key key, next, *kp = NULL;
	struct iptt_hist *vals;
	struct iptt_lat *a, k;

	*out = NULL;
	if (ncpu <= 0)
		return -1;
	vals = calloc(ncpu, sizeof(*vals));
	a = calloc(MAX_KEYS, sizeof(*a));
	if (!vals || !a) {
		free(vals);
		free(a);
		return -1;
	}
	while (n < MAX_KEYS && !bpf_map_get_next_key(fd, kp, &next)) {
		struct iptt_lat *dst;

		key = next;
		kp = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&k, 0, sizeof(k));
		k.family = key.family;
		k.hook = key.hook;
		for (c = 0; c < ncpu; c++)
			if (vals[c].table[0]) {
				memcpy(k.table, vals[c].table, sizeof(k.table));
				k.netns = per_netns ? vals[c].netns : 0;
			}
		k.table[sizeof(k.table) - 1] = '\0';
		dst = find(a, n, &k);

		if (!dst) {
			dst = &a[n++];
			*dst = k;
		}
		for (c = 0; c < ncpu; c++) {
			dst->count += vals[c].count;
			dst->sum_ns += vals[c].sum_ns;
			hist_merge(dst->slots, vals[c].slots, IPTT_HIST_SLOTS);
		}
	}
	free(vals);
	qsort(a, n, sizeof(*a), cmp_lat);
	*out = a;
	return n;
}

static void print_one(FILE *f, const struct iptt_lat *d, bool per_netns, bool json)
{
	double mean = d->count ? (double)d->sum_ns / d->count : 0;
	double p50 = hist_percentile(d->slots, IPTT_HIST_SLOTS, 50);
	double p90 = hist_percentile(d->slots, IPTT_HIST_SLOTS, 90);
	double p99 = hist_percentile(d->slots, IPTT_HIST_SLOTS, 99);

	if (json) {
		struct jw w = { 0 };
		const char *line;
		size_t len;
		int i;

		jw_begin(&w);
		jw_str(&w, "event", "latency");
		jw_str(&w, "family", iptt_family_name(d->family));
		jw_str(&w, "table", d->table);
		jw_str(&w, "hook", iptt_hook_name(d->hook));
		if (per_netns)
			jw_u64(&w, "netns", d->netns);
		jw_u64(&w, "count", d->count);
		jw_u64(&w, "sum_ns", d->sum_ns);
		jw_double(&w, "mean_ns", mean);
		jw_double(&w, "p50_ns", p50);
		jw_double(&w, "p90_ns", p90);
		jw_double(&w, "p99_ns", p99);
		jw_arr_begin(&w, "slots");
		for (i = 0; i < IPTT_HIST_SLOTS; i++)
			jw_u64(&w, NULL, d->slots[i]);
		jw_arr_end(&w);
		line = jw_end(&w, &len);
		if (line)
			fwrite(line, 1, len, f);
		jw_free(&w);
		return;
	}
	fprintf(f, "\n%s %s %s", iptt_family_name(d->family), d->table,
		iptt_hook_name(d->hook));
	if (per_netns)
		fprintf(f, " netns %u", d->netns);
	fprintf(f, ": count %llu  mean %.0f ns  p50 %.0f ns  p90 %.0f ns  p99 %.0f ns\n",
		d->count, mean, p50, p90, p99);
	hist_print(f, d->slots, IPTT_HIST_SLOTS, "nsecs");
}

int iptt_latency_print(FILE *f, int map_fd, bool per_netns, bool json)
{
	struct iptt_lat *cur, d;
	int n, i, j, printed = 0;

	n = iptt_latency_collect(map_fd, per_netns, &cur);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct iptt_lat *p = prev ? find(prev, nprev, &cur[i]) : NULL;

		d = cur[i];
		if (p) {
			d.count -= p->count;
			d.sum_ns -= p->sum_ns;
			for (j = 0; j < IPTT_HIST_SLOTS; j++)
				d.slots[j] -= p->slots[j];
		}
		if (!d.count)
			continue;
		print_one(f, &d, per_netns, json);
		printed++;
	}
	if (!printed && !json)
		fprintf(f, "\nno iptables table was called in this interval\n");
	fflush(f);
	free(prev);
	prev = cur;
	nprev = n;
	return printed;
}

void iptt_latency_free(void)
{
	free(prev);
	prev = NULL;
	nprev = 0;
}
