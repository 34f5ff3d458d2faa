// SPDX-License-Identifier: GPL-2.0
/*
 * Aggregates for --summary.  The number of distinct rules and tables is
 * small next to the number of packets, so flat arrays with a linear search
 * are enough; both are capped, and what does not fit is counted.
 */
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "json.h"
#include "nft.h"
#include "summary.h"
#include "fate.h"

#define MAX_RULES	8192
#define MAX_TABLES	256
#define NVERDICTS	6

struct rule_hits {
	unsigned int netns, family, kind, rulenum;
	char table[IPTT_TABLE_LEN];
	char chain[IPTT_CHAIN_LEN];
	char *text;
	unsigned long long hits;
};

struct table_verdicts {
	unsigned int family, hook;
	char table[IPTT_TABLE_LEN];
	unsigned long long n[NVERDICTS + 1];	/* last: other */
};

static struct rule_hits *rules;
static unsigned int nrules;
static struct table_verdicts tables[MAX_TABLES];
static unsigned int ntables;
static unsigned long long overflow;

void iptt_summary_rule(const struct iptt_rule *r, const char *text)
{
	struct rule_hits *h;
	unsigned int i;

	for (i = 0; i < nrules; i++) {
		h = &rules[i];
		if (h->rulenum == r->rulenum && h->kind == r->kind &&
		    h->family == r->family && h->netns == r->netns &&
		    !strcmp(h->chain, r->chain) && !strcmp(h->table, r->table))
			goto hit;
	}
	if (!rules)
		rules = calloc(MAX_RULES, sizeof(*rules));
	if (!rules || nrules == MAX_RULES) {
		overflow++;
		return;
	}
	h = &rules[nrules++];
	h->netns = r->netns;
	h->family = r->family;
	h->kind = r->kind;
	h->rulenum = r->rulenum;
	memcpy(h->table, r->table, sizeof(h->table));
	memcpy(h->chain, r->chain, sizeof(h->chain));
hit:
	if (!h->text && text)
		h->text = strdup(text);
	h->hits++;
}

void iptt_summary_verdict(const struct iptt_verdict *v)
{
	struct table_verdicts *t;
	unsigned int i, vi = v->verdict & 0xff;

	for (i = 0; i < ntables; i++) {
		t = &tables[i];
		if (t->family == v->family && t->hook == v->hook &&
		    !strcmp(t->table, v->table))
			goto hit;
	}
	if (ntables == MAX_TABLES) {
		overflow++;
		return;
	}
	t = &tables[ntables++];
	t->family = v->family;
	t->hook = v->hook;
	memcpy(t->table, v->table, sizeof(t->table));
hit:
	t->n[vi < NVERDICTS ? vi : NVERDICTS]++;
}

static int by_hits(const void *a, const void *b)
{
	const struct rule_hits *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits < y->hits ? 1 : -1;
	return 0;
}

static void print_json(FILE *f)
{
	struct jw w = { 0 };
	const char *line;
	unsigned int i, k;
	size_t len;

	for (i = 0; i < nrules; i++) {
		const struct rule_hits *h = &rules[i];

		jw_begin(&w);
		jw_str(&w, "event", "summary_rule");
		jw_str(&w, "family", iptt_family_name(h->family));
		jw_u64(&w, "netns", h->netns);
		jw_str(&w, "table", h->table);
		jw_str(&w, "chain", h->chain);
		jw_str(&w, "kind", iptt_kind_name(h->kind));
		jw_u64(&w, "rulenum", h->rulenum);
		jw_str(&w, "rule", h->text);
		jw_u64(&w, "hits", h->hits);
		line = jw_end(&w, &len);
		if (line)
			fwrite(line, 1, len, f);
	}
	for (i = 0; i < ntables; i++) {
		const struct table_verdicts *t = &tables[i];

		jw_begin(&w);
		jw_str(&w, "event", "summary_verdicts");
		jw_str(&w, "family", iptt_family_name(t->family));
		jw_str(&w, "table", t->table);
		jw_str(&w, "hook", iptt_hook_name(t->hook));
		jw_obj_begin(&w, "verdicts");
		for (k = 0; k < NVERDICTS; k++)
			if (t->n[k])
				jw_u64(&w, iptt_verdict_name(k), t->n[k]);
		if (t->n[NVERDICTS])
			jw_u64(&w, "other", t->n[NVERDICTS]);
		jw_obj_end(&w);
		line = jw_end(&w, &len);
		if (line)
			fwrite(line, 1, len, f);
	}
	jw_free(&w);
}

void iptt_summary_print(FILE *f, bool json)
{
	unsigned int i, k;

	qsort(rules, nrules, sizeof(*rules), by_hits);
	if (json) {
		print_json(f);
		goto out;
	}
	fprintf(f, "\nRule hits (traced packets):\n");
	fprintf(f, "%10s  %-4s %-8s %-24s %-6s %5s  %s\n", "HITS", "FAM",
		"TABLE", "CHAIN", "KIND", "NUM", "RULE");
	for (i = 0; i < nrules; i++) {
		const struct rule_hits *h = &rules[i];

		fprintf(f, "%10llu  %-4s %-8s %-24s %-6s %5u%s%s\n", h->hits,
			h->family == 10 ? "ip6" : "ip", h->table, h->chain,
			iptt_kind_name(h->kind), h->rulenum,
			h->text ? "  " : "", h->text ? h->text : "");
	}
	fprintf(f, "\nVerdicts per table and hook:\n");
	fprintf(f, "%-4s %-8s %-12s %10s %10s %10s\n", "FAM", "TABLE", "HOOK",
		"ACCEPT", "DROP", "OTHER");
	for (i = 0; i < ntables; i++) {
		const struct table_verdicts *t = &tables[i];
		unsigned long long other = t->n[NVERDICTS];

		for (k = 2; k < NVERDICTS; k++)
			other += t->n[k];
		fprintf(f, "%-4s %-8s %-12s %10llu %10llu %10llu\n",
			t->family == 10 ? "ip6" : "ip", t->table,
			iptt_hook_name(t->hook), t->n[1], t->n[0], other);
	}
out:
	iptt_nft_summary_print(f, json);
	iptt_fate_summary_print(f, json);
	if (overflow)
		fprintf(stderr, "ipttrace: summary full: %llu steps not counted\n",
			overflow);
}

void iptt_summary_each_rule(void (*fn)(void *ctx, const struct iptt_summary_hits *h),
			    void *ctx)
{
	struct iptt_summary_hits o;
	unsigned int i;

	for (i = 0; i < nrules; i++) {
		o.netns = rules[i].netns;
		o.family = rules[i].family;
		o.kind = rules[i].kind;
		o.rulenum = rules[i].rulenum;
		o.table = rules[i].table;
		o.chain = rules[i].chain;
		o.text = rules[i].text;
		o.hits = rules[i].hits;
		fn(ctx, &o);
	}
}

void iptt_summary_each_verdict(void (*fn)(void *ctx, unsigned int family,
					  unsigned int hook, const char *table,
					  const char *verdict, unsigned long long n),
			       void *ctx)
{
	unsigned int i, k;

	for (i = 0; i < ntables; i++)
		for (k = 0; k <= NVERDICTS; k++)
			if (tables[i].n[k])
				fn(ctx, tables[i].family, tables[i].hook,
				   tables[i].table, k < NVERDICTS ?
				   iptt_verdict_name(k) : "other", tables[i].n[k]);
}

void iptt_summary_free(void)
{
	unsigned int i;

	for (i = 0; i < nrules; i++)
		free(rules[i].text);
	free(rules);
	rules = NULL;
	nrules = ntables = 0;
	iptt_fate_free();
}
