// SPDX-License-Identifier: GPL-2.0
/*
 * nf_tables events -> lines of the per-packet output (human or JSON), with
 * the rule number and text from the nft ruleset index (nftrules.c), and the
 * --summary and --latency parts for nf_tables.
 *
 * Rule text is never guessed: each netns' index is tagged with the count of
 * nf_tables commits the BPF side had seen when the listings were taken
 * (read before and after; a snapshot taken while it moved is retaken).  A
 * step is resolved only against a snapshot of its own generation; else it
 * says ruleset-changed.  A step the index does not hold makes one fresh
 * snapshot; if that does not hold it either, the text is unavailable.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hist.h"
#include "json.h"
#include "netns.h"
#include "nft.h"
#include "nftrules.h"
#include "output.h"

#define NS_MAX		64
#define SNAP_TRIES	3

struct ns_index {
	unsigned int netns;
	bool used;
	bool failed;		/* nft could not list at gen */
	unsigned int gen;	/* BPF commit count the snapshot belongs to */
	unsigned int resnap_gen; /* a miss already forced a snapshot at this gen */
	bool resnapped;
	struct nft_index *ix;
	unsigned long last_use;
};

static struct ns_index nss[NS_MAX];
static unsigned long use_clock;
static struct iptt_out_cfg cfg;
static struct jw jw;

/* ---- names ---- */

const char *iptt_nft_family_name(unsigned int f)
{
	switch (f) {
	case 1:
		return "inet";
	case 2:
		return "ip";
	case 3:
		return "arp";
	case 5:
		return "netdev";
	case 7:
		return "bridge";
	case 10:
		return "ip6";
	default:
		return "unknown";
	}
}

const char *iptt_nft_hook_name(unsigned int table_family, unsigned int hook)
{
	static const char *const inet[] = {
		"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", "INGRESS",
	};

	if (table_family == 5)
		return hook == 0 ? "INGRESS" : hook == 1 ? "EGRESS" : "?";
	if (table_family == 3)
		return hook == 0 ? "INPUT" : hook == 1 ? "OUTPUT" : hook == 2 ? "FORWARD" : "?";
	return hook < sizeof(inet) / sizeof(inet[0]) ? inet[hook] : "?";
}

const char *iptt_nft_verdict_name(unsigned int code, const char *target,
				  char *buf, size_t len)
{
	switch (code) {
	case IPTT_NFT_CONTINUE:
		return "continue";
	case IPTT_NFT_BREAK:
		return "break";
	case IPTT_NFT_RETURN:
		return "return";
	case IPTT_NFT_JUMP:
	case IPTT_NFT_GOTO:
		snprintf(buf, len, "%s %s", code == IPTT_NFT_JUMP ? "jump" : "goto",
			 target && *target ? target : "?");
		return buf;
	}
	switch (code & 0xff) {
	case 0:
		return "drop";
	case 1:
		return "accept";
	case 2:
		/* NF_DROP_ERR: a drop whose skb nf_tables already freed */
		return code >> 16 ? "drop" : "stolen";
	case 3:
		return "queue";
	case 4:
		return "repeat";
	case 5:
		return "stop";
	}
	snprintf(buf, len, "%u", code);
	return buf;
}

/* ---- the ruleset index, per netns ---- */

static struct ns_index *slot_for(unsigned int netns)
{
	struct ns_index *lru = &nss[0], *free_slot = NULL;
	int i;

	for (i = 0; i < NS_MAX; i++) {
		if (nss[i].used && nss[i].netns == netns)
			return &nss[i];
		if (!nss[i].used && !free_slot)
			free_slot = &nss[i];
		if (nss[i].last_use < lru->last_use)
			lru = &nss[i];
	}
	if (!free_slot) {
		nft_index_free(lru->ix);
		free_slot = lru;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->netns = netns;
	return free_slot;
}

static void snapshot(struct ns_index *s)
{
	char err[256];
	int i, fd = iptt_netns_fd(s->netns);

	nft_index_free(s->ix);
	s->ix = NULL;
	s->failed = true;
	if (fd < 0)
		return;
	for (i = 0; i < SNAP_TRIES; i++) {
		unsigned int g0 = iptt_nft_gen(), g1;
		struct nft_index *ix;

		if (g0 & 1) {		/* a commit is running */
			usleep(2000);
			continue;
		}
		ix = nft_index_snapshot(fd, err, sizeof(err));
		g1 = iptt_nft_gen();
		if (g1 != g0) {
			nft_index_free(ix);
			continue;
		}
		s->ix = ix;
		s->gen = g0;
		s->failed = !ix;
		return;
	}
	s->gen = iptt_nft_gen();
}

/*
 * The first snapshot of the traced netns is taken by a thread while the BPF
 * programs load, and is in place before ipttrace says it is ready, so the
 * first traced packets do not queue behind it: on the benchmark's
 * iptables-nft router the listings took as long as the loading, and a
 * consumer stuck in them lost the first seconds of a flood.  It was listed
 * before the BPF side counted commits, so it is adopted only if the
 * kernel's own generation of that netns has not moved since: no commit in
 * between, and the BPF count read around that check then names it.
 */
static struct {
	pthread_t th;
	bool running;
	int fd;
	unsigned int netns;
	struct nft_index *ix;
} pre;

static void *prefetch_main(void *arg)
{
	char err[256];

	(void)arg;
	pre.ix = nft_index_snapshot(pre.fd, err, sizeof(err));
	return NULL;
}

void iptt_nft_prefetch(unsigned int netns)
{
	if (!netns)
		netns = iptt_netns_self();
	pre.fd = iptt_netns_fd(netns);	/* resolved here: netns.c is not MT-safe */
	if (pre.fd < 0)
		return;
	pre.netns = netns;
	pre.running = !pthread_create(&pre.th, NULL, prefetch_main, NULL);
}

void iptt_nft_prefetch_join(void)
{
	unsigned long long kgen = 0;
	unsigned int b0;
	struct ns_index *s;

	if (!pre.running)
		return;
	pthread_join(pre.th, NULL);
	pre.running = false;
	b0 = iptt_nft_gen();
	if (pre.ix && nft_index_gen(pre.ix) && !(b0 & 1) &&
	    !nft_ruleset_gen(pre.fd, &kgen) &&
	    kgen == nft_index_gen(pre.ix) && iptt_nft_gen() == b0) {
		s = slot_for(pre.netns);
		if (!s->ix) {
			s->ix = pre.ix;
			s->gen = b0;
			s->failed = false;
			pre.ix = NULL;
		}
	}
	nft_index_free(pre.ix);
	pre.ix = NULL;
}

enum text_status { TEXT_OK, TEXT_CHANGED, TEXT_UNAVAILABLE };

static enum nft_kind step_kind(const struct iptt_nft_rule *r)
{
	switch (r->kind) {
	case IPTT_KIND_POLICY:
		return NFT_STEP_POLICY;
	case IPTT_KIND_RETURN:
		return r->handle ? NFT_STEP_RETURN : NFT_STEP_IMPLICIT_RETURN;
	default:
		return NFT_STEP_RULE;
	}
}

static enum text_status resolve(const struct iptt_nft_rule *r,
				struct nft_step_info *info)
{
	const char *fam = iptt_nft_family_name(r->table_family);
	const char *chain = r->chain_known ? r->chain : NULL;
	const char *pol = NULL;
	struct ns_index *s = slot_for(r->netns);
	unsigned int cur = iptt_nft_gen();

	memset(info, 0, sizeof(*info));
	s->last_use = ++use_clock;
	if (r->kind == IPTT_KIND_POLICY)
		pol = (r->verdict & 0xff) == 1 ? "accept" : "drop";
	if (r->gen & 1)
		return TEXT_CHANGED;	/* a commit ran during this step */
	/* a commit since the snapshot: take a new one */
	if ((!s->ix && !s->failed) || (s->gen != cur && !(cur & 1)))
		snapshot(s);
	if (!s->ix || s->gen != r->gen)
		return s->gen != r->gen ? TEXT_CHANGED : TEXT_UNAVAILABLE;
	if (!nft_index_lookup(s->ix, fam, r->table, chain, r->handle,
			      step_kind(r), pol, info))
		return TEXT_OK;
	/* not in the index: one new snapshot per generation */
	if (s->resnapped && s->resnap_gen == s->gen)
		return TEXT_UNAVAILABLE;
	s->resnapped = true;
	s->resnap_gen = s->gen;
	snapshot(s);
	s->resnapped = true;
	s->resnap_gen = s->gen;
	if (!s->ix || s->gen != r->gen)
		return s->gen != r->gen ? TEXT_CHANGED : TEXT_UNAVAILABLE;
	if (!nft_index_lookup(s->ix, fam, r->table, chain, r->handle,
			      step_kind(r), pol, info))
		return TEXT_OK;
	return TEXT_UNAVAILABLE;
}

/* ---- --summary ---- */

#define SUM_MAX		8192

struct nft_hits {
	unsigned int netns, table_family, kind, rulenum;
	unsigned long long handle;
	char *table, *chain, *text;
	unsigned long long hits;
};

struct nft_chain_verdicts {
	unsigned int table_family, hook;
	char *table, *chain;
	unsigned long long accept, drop, other;
};

static struct nft_hits *hits;
static unsigned int nhits;
static struct nft_chain_verdicts *cvs;
static unsigned int ncvs;
static unsigned long long sum_overflow;

static void sum_rule(const struct iptt_nft_rule *r, const char *chain,
		     unsigned int rulenum, const char *text)
{
	unsigned int i;

	for (i = 0; i < nhits; i++) {
		struct nft_hits *h = &hits[i];

		if (h->netns == r->netns && h->table_family == r->table_family &&
		    h->kind == r->kind && h->rulenum == rulenum &&
		    h->handle == r->handle && !strcmp(h->table, r->table) &&
		    !strcmp(h->chain, chain)) {
			h->hits++;
			return;
		}
	}
	if (!hits)
		hits = calloc(SUM_MAX, sizeof(*hits));
	if (!hits || nhits == SUM_MAX) {
		sum_overflow++;
		return;
	}
	hits[nhits] = (struct nft_hits){
		.netns = r->netns, .table_family = r->table_family,
		.kind = r->kind, .rulenum = rulenum, .handle = r->handle,
		.table = strdup(r->table), .chain = strdup(chain),
		.text = text ? strdup(text) : NULL, .hits = 1,
	};
	nhits++;
}

static void sum_verdict(const struct iptt_nft_verdict *v, const char *name)
{
	struct nft_chain_verdicts *c = NULL;
	unsigned int i;

	for (i = 0; i < ncvs; i++)
		if (cvs[i].table_family == v->table_family && cvs[i].hook == v->hook &&
		    !strcmp(cvs[i].table, v->table) && !strcmp(cvs[i].chain, v->chain))
			c = &cvs[i];
	if (!c) {
		if (!cvs)
			cvs = calloc(SUM_MAX, sizeof(*cvs));
		if (!cvs || ncvs == SUM_MAX) {
			sum_overflow++;
			return;
		}
		c = &cvs[ncvs++];
		*c = (struct nft_chain_verdicts){
			.table_family = v->table_family, .hook = v->hook,
			.table = strdup(v->table), .chain = strdup(v->chain),
		};
	}
	if (!strcmp(name, "accept"))
		c->accept++;
	else if (!strcmp(name, "drop"))
		c->drop++;
	else
		c->other++;
}

static int by_hits(const void *a, const void *b)
{
	const struct nft_hits *x = a, *y = b;

	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : 0;
}

static void emit(void)
{
	size_t len;
	const char *line = jw_end(&jw, &len);

	if (line)
		fwrite(line, 1, len, cfg.f);
}

void iptt_nft_summary_print(FILE *f, bool json)
{
	unsigned int i;

	if (!nhits && !ncvs)
		return;
	qsort(hits, nhits, sizeof(*hits), by_hits);
	if (json) {
		FILE *keep = cfg.f;

		cfg.f = f;
		for (i = 0; i < nhits; i++) {
			const struct nft_hits *h = &hits[i];

			jw_begin(&jw);
			jw_str(&jw, "event", "summary_rule");
			jw_str(&jw, "backend", "nft");
			jw_u64(&jw, "netns", h->netns);
			jw_str(&jw, "table_family", iptt_nft_family_name(h->table_family));
			jw_str(&jw, "table", h->table);
			jw_str(&jw, "chain", h->chain);
			jw_str(&jw, "kind", iptt_kind_name(h->kind));
			if (h->handle)
				jw_u64(&jw, "handle", h->handle);
			jw_u64(&jw, "rulenum", h->rulenum);
			jw_str(&jw, "rule", h->text);
			jw_u64(&jw, "hits", h->hits);
			emit();
		}
		for (i = 0; i < ncvs; i++) {
			const struct nft_chain_verdicts *c = &cvs[i];

			jw_begin(&jw);
			jw_str(&jw, "event", "summary_verdicts");
			jw_str(&jw, "backend", "nft");
			jw_str(&jw, "table_family", iptt_nft_family_name(c->table_family));
			jw_str(&jw, "table", c->table);
			jw_str(&jw, "chain", c->chain);
			jw_str(&jw, "hook", iptt_nft_hook_name(c->table_family, c->hook));
			jw_obj_begin(&jw, "verdicts");
			if (c->accept)
				jw_u64(&jw, "accept", c->accept);
			if (c->drop)
				jw_u64(&jw, "drop", c->drop);
			if (c->other)
				jw_u64(&jw, "other", c->other);
			jw_obj_end(&jw);
			emit();
		}
		cfg.f = keep;
		goto out;
	}
	fprintf(f, "\nnf_tables rule hits (traced packets):\n");
	fprintf(f, "%10s  %-6s %-12s %-24s %-6s %5s %7s  %s\n", "HITS", "FAM",
		"TABLE", "CHAIN", "KIND", "NUM", "HANDLE", "RULE");
	for (i = 0; i < nhits; i++) {
		const struct nft_hits *h = &hits[i];
		char hd[24] = "-";

		if (h->handle)
			snprintf(hd, sizeof(hd), "%llu", h->handle);
		fprintf(f, "%10llu  %-6s %-12s %-24s %-6s %5u %7s%s%s\n", h->hits,
			iptt_nft_family_name(h->table_family), h->table, h->chain,
			iptt_kind_name(h->kind), h->rulenum, hd,
			h->text ? "  " : "", h->text ? h->text : "");
	}
	fprintf(f, "\nnf_tables verdicts per base chain:\n");
	fprintf(f, "%-6s %-12s %-24s %-12s %10s %10s %10s\n", "FAM", "TABLE",
		"CHAIN", "HOOK", "ACCEPT", "DROP", "OTHER");
	for (i = 0; i < ncvs; i++) {
		const struct nft_chain_verdicts *c = &cvs[i];

		fprintf(f, "%-6s %-12s %-24s %-12s %10llu %10llu %10llu\n",
			iptt_nft_family_name(c->table_family), c->table, c->chain,
			iptt_nft_hook_name(c->table_family, c->hook), c->accept,
			c->drop, c->other);
	}
out:
	if (sum_overflow)
		fprintf(stderr, "ipttrace: nf_tables summary full: %llu steps not counted\n",
			sum_overflow);
}

/* ---- events ---- */

static void on_rule(const struct iptt_nft_rule *r)
{
	struct nft_step_info info;
	enum text_status st = TEXT_UNAVAILABLE;
	const char *chain, *text = NULL, *verdict;
	char vbuf[IPTT_NFT_NAME_LEN + 8], *line = NULL;
	unsigned int rulenum = 0;

	/* the rule number needs the listing even with --no-rule-text */
	st = resolve(r, &info);
	if (st == TEXT_OK) {
		rulenum = info.rulenum;
		text = info.text;
	}
	chain = r->chain_known ? r->chain : info.chain ? info.chain : "?";
	/* an implicit return has no rule, so no text: that is known */
	if (st == TEXT_OK && !text && r->kind == IPTT_KIND_RETURN && !r->handle)
		text = NULL;
	else if (st == TEXT_OK && !text)
		st = TEXT_UNAVAILABLE;
	verdict = iptt_nft_verdict_name(r->verdict, r->target, vbuf, sizeof(vbuf));
	if (cfg.summary)
		sum_rule(r, chain, rulenum, st == TEXT_OK ? text : NULL);
	if (!iptt_out_nft_step(r->hdr.id, r->hdr.time_ns, r->family, false))
		return;
	{
		char rule[2 * IPTT_NFT_NAME_LEN + 48];

		snprintf(rule, sizeof(rule), "%s %s:%s:%s:%u",
			 iptt_nft_family_name(r->table_family), r->table, chain,
			 iptt_kind_name(r->kind), rulenum);
		iptt_out_nft_rule(r->hdr.id, rule, st == TEXT_OK ? text : NULL);
	}
	if (cfg.json) {
		jw_begin(&jw);
		jw_str(&jw, "event", "rule");
		jw_str(&jw, "backend", "nft");
		jw_u64(&jw, "id", r->hdr.id);
		jw_u64(&jw, "time_ns", r->hdr.time_ns);
		jw_str(&jw, "family", iptt_family_name(r->family));
		jw_u64(&jw, "netns", r->netns);
		jw_str(&jw, "table_family", iptt_nft_family_name(r->table_family));
		jw_str(&jw, "table", r->table);
		jw_str(&jw, "chain", chain);
		jw_str(&jw, "kind", iptt_kind_name(r->kind));
		if (r->handle)
			jw_u64(&jw, "handle", r->handle);
		jw_u64(&jw, "rulenum", rulenum);
		jw_str(&jw, "verdict", verdict);
		jw_str(&jw, "hook", iptt_nft_hook_name(r->table_family, r->hook));
		if (cfg.rule_text && st == TEXT_OK && text)
			jw_str(&jw, "rule", text);
		else if (cfg.rule_text && !(st == TEXT_OK && !text))
			jw_str(&jw, "rule_status", st == TEXT_CHANGED ?
			       "ruleset-changed" : "unavailable");
		emit();
		return;
	}
	{
		char step[2 * IPTT_NFT_NAME_LEN + 64], hd[32] = "";
		const char *t = NULL;

		if (r->handle)
			snprintf(hd, sizeof(hd), " #%llu", (unsigned long long)r->handle);
		snprintf(step, sizeof(step), "%s %s:%s:%s:%u%s", iptt_nft_family_name(r->table_family),
			 r->table, chain, iptt_kind_name(r->kind), rulenum, hd);
		if (cfg.rule_text)
			t = st == TEXT_OK ? text : st == TEXT_CHANGED ?
			    "? (ruleset changed since: text not shown)" :
			    "? (rule text unavailable)";
		if (asprintf(&line, "    %-40s %-10s%s%s", step, verdict,
			     t ? " " : "", t ? t : "") < 0)
			line = NULL;
	}
	iptt_out_nft_line(r->hdr.id, line);
}

static void fmt_duration(unsigned long long ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%.2f us", ns / 1000.0);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", ns / 1000.0);
	else
		snprintf(buf, len, "%.1f ms", ns / 1000000.0);
}

static void on_verdict(const struct iptt_nft_verdict *v)
{
	char vbuf[32], dur[32], *line = NULL;
	const char *name = iptt_nft_verdict_name(v->verdict, NULL, vbuf, sizeof(vbuf));
	unsigned int b = v->verdict & 0xff;
	bool gone = b == 0 || b == 2;	/* dropped or stolen: nothing follows */

	if (cfg.summary)
		sum_verdict(v, name);
	if (!iptt_out_nft_step(v->hdr.id, v->hdr.time_ns, v->family, gone))
		return;
	if (cfg.json) {
		jw_begin(&jw);
		jw_str(&jw, "event", "verdict");
		jw_str(&jw, "backend", "nft");
		jw_u64(&jw, "id", v->hdr.id);
		jw_u64(&jw, "time_ns", v->hdr.time_ns);
		jw_str(&jw, "family", iptt_family_name(v->family));
		jw_u64(&jw, "netns", v->netns);
		jw_str(&jw, "table_family", iptt_nft_family_name(v->table_family));
		jw_str(&jw, "table", v->table);
		jw_str(&jw, "chain", v->chain);
		jw_str(&jw, "hook", iptt_nft_hook_name(v->table_family, v->hook));
		jw_i64(&jw, "priority", v->priority);
		jw_str(&jw, "verdict", name);
		jw_u64(&jw, "latency_ns", v->latency_ns);
		emit();
		return;
	}
	fmt_duration(v->latency_ns, dur, sizeof(dur));
	{
		char where[2 * IPTT_NFT_NAME_LEN + 64];

		snprintf(where, sizeof(where), "%s %s %s %s prio %d",
			 iptt_nft_family_name(v->table_family), v->table, v->chain,
			 iptt_nft_hook_name(v->table_family, v->hook), v->priority);
		if (asprintf(&line, "    => %-37s %s  %s", where, name, dur) < 0)
			line = NULL;
	}
	iptt_out_nft_line(v->hdr.id, line);
}

void iptt_nft_out_init(const struct iptt_out_cfg *c)
{
	cfg = *c;
}

void iptt_nft_out_event(const union iptt_event *ev)
{
	if (ev->hdr.kind == IPTT_EV_NFT_RULE)
		on_rule(&ev->nft_rule);
	else if (ev->hdr.kind == IPTT_EV_NFT_VERDICT)
		on_verdict(&ev->nft_verdict);
}

void iptt_nft_out_free(void)
{
	unsigned int i;

	iptt_nft_prefetch_join();

	for (i = 0; i < NS_MAX; i++) {
		nft_index_free(nss[i].ix);
		memset(&nss[i], 0, sizeof(nss[i]));
	}
	for (i = 0; i < nhits; i++) {
		free(hits[i].table);
		free(hits[i].chain);
		free(hits[i].text);
	}
	free(hits);
	hits = NULL;
	nhits = 0;
	for (i = 0; i < ncvs; i++) {
		free(cvs[i].table);
		free(cvs[i].chain);
	}
	free(cvs);
	cvs = NULL;
	ncvs = 0;
	jw_free(&jw);
}

/* ---- --latency ---- */

int iptt_nft_latency_print(FILE *f, int map_fd, bool json)
{
	struct iptt_nft_hist_key key, next, *pk = NULL;
	int ncpu = libbpf_num_possible_cpus(), printed = 0, c, i;
	struct iptt_nft_hist *vals;

	if (map_fd < 0 || ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -1;
	while (!bpf_map_get_next_key(map_fd, pk, &next)) {
		struct iptt_nft_hist sum;

		key = next;
		pk = &key;
		if (bpf_map_lookup_elem(map_fd, &key, vals))
			continue;
		sum = vals[0];
		for (c = 1; c < ncpu; c++) {
			if (!sum.table[0])
				memcpy(sum.table, vals[c].table, sizeof(sum.table));
			if (!sum.chain[0]) {
				memcpy(sum.chain, vals[c].chain, sizeof(sum.chain));
				sum.table_family = vals[c].table_family;
				sum.priority = vals[c].priority;
			}
			sum.count += vals[c].count;
			sum.sum_ns += vals[c].sum_ns;
			hist_merge(sum.slots, vals[c].slots, IPTT_HIST_SLOTS);
		}
		sum.table[sizeof(sum.table) - 1] = sum.chain[sizeof(sum.chain) - 1] = '\0';
		if (!sum.count)
			continue;
		printed++;
		{
			double mean = (double)sum.sum_ns / sum.count;
			double p50 = hist_percentile(sum.slots, IPTT_HIST_SLOTS, 50);
			double p90 = hist_percentile(sum.slots, IPTT_HIST_SLOTS, 90);
			double p99 = hist_percentile(sum.slots, IPTT_HIST_SLOTS, 99);
			const char *hook = iptt_nft_hook_name(sum.table_family, key.hook);

			if (json) {
				FILE *keep = cfg.f;

				cfg.f = f;
				jw_begin(&jw);
				jw_str(&jw, "event", "latency");
				jw_str(&jw, "backend", "nft");
				jw_str(&jw, "table_family", iptt_nft_family_name(sum.table_family));
				jw_str(&jw, "table", sum.table);
				jw_str(&jw, "chain", sum.chain);
				jw_str(&jw, "hook", hook);
				jw_i64(&jw, "priority", sum.priority);
				jw_u64(&jw, "netns", key.netns);
				jw_u64(&jw, "count", sum.count);
				jw_u64(&jw, "sum_ns", sum.sum_ns);
				jw_double(&jw, "mean_ns", mean);
				jw_double(&jw, "p50_ns", p50);
				jw_double(&jw, "p90_ns", p90);
				jw_double(&jw, "p99_ns", p99);
				jw_arr_begin(&jw, "slots");
				for (i = 0; i < IPTT_HIST_SLOTS; i++)
					jw_u64(&jw, NULL, sum.slots[i]);
				jw_arr_end(&jw);
				emit();
				cfg.f = keep;
				continue;
			}
			fprintf(f, "\nnft %s %s %s %s (prio %d) netns %u: count %llu  mean %.0f ns  p50 %.0f ns  p90 %.0f ns  p99 %.0f ns\n",
				iptt_nft_family_name(sum.table_family), sum.table, sum.chain,
				hook, sum.priority, key.netns, (unsigned long long)sum.count,
				mean, p50, p90, p99);
			hist_print(f, sum.slots, IPTT_HIST_SLOTS, "nsecs");
		}
	}
	free(vals);
	fflush(f);
	return printed;
}
