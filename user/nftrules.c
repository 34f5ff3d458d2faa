// SPDX-License-Identifier: GPL-2.0
/*
 * Index of one netns' nf_tables ruleset: (family, table, handle) -> chain,
 * rule number and rule text.  This file holds the index itself: freeing it,
 * its sorted arrays, nft_index_parse() putting the listings together, and
 * the lookup.  Reading the JSON listing is nftrules_json.c, attaching rule
 * text nftrules_text.c, taking a snapshot in a netns nft_snapshot.c.
 *
 * Tables and chains are looked up through arrays sorted once the JSON is
 * read, rules of a table through an array sorted by handle (handles are
 * unique per table and never reused while it exists), so a lookup is a few
 * binary searches.  A kube-proxy ruleset has thousands of chains.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nftrules.h"
#include "nftrules_int.h"
#include "rules.h"

static void table_free(struct ntable *t)
{
	unsigned int i;

	for (i = 0; i < t->nchains; i++) {
		struct nchain *c = &t->chains[i];

		free(c->name);
		free(c->policy);
		free(c->ipt_pol[0]);
		free(c->ipt_pol[1]);
		free(c->rules);
	}
	for (i = 0; i < t->nrules; i++)
		free(t->rules[i].target);
	free(t->chains);
	free(t->chain_by_name);
	free(t->chain_by_handle);
	free(t->rules);
	free(t->rule_by_handle);
	free(t->family);
	free(t->name);
}

void nft_index_free(struct nft_index *ix)
{
	unsigned int i;

	if (!ix)
		return;
	for (i = 0; i < ix->ntables; i++)
		table_free(&ix->tables[i]);
	free(ix->tables);
	free(ix->table_by_name);
	free(ix->text);
	rules_free(ix->ri4);
	rules_free(ix->ri6);
	free(ix);
}

unsigned long long nft_index_gen(const struct nft_index *ix)
{
	return ix ? ix->gen : 0;
}

void nftix_set_gen(struct nft_index *ix, unsigned long long gen)
{
	ix->gen = gen;
}

/* ---- finding tables, chains, rules ---- */

/* qsort_r/bsearch contexts: the arrays sort indices into another array. */
static int cmp_table_idx(const void *a, const void *b, void *ctx)
{
	const struct ntable *ts = ctx;
	const struct ntable *x = &ts[*(const unsigned int *)a];
	const struct ntable *y = &ts[*(const unsigned int *)b];
	int r = strcmp(x->family, y->family);

	return r ? r : strcmp(x->name, y->name);
}

static int cmp_chain_idx(const void *a, const void *b, void *ctx)
{
	const struct nchain *cs = ctx;

	return strcmp(cs[*(const unsigned int *)a].name,
		      cs[*(const unsigned int *)b].name);
}

static int cmp_chain_handle_idx(const void *a, const void *b, void *ctx)
{
	const struct nchain *cs = ctx;
	unsigned long long x = cs[*(const unsigned int *)a].handle;
	unsigned long long y = cs[*(const unsigned int *)b].handle;

	return x < y ? -1 : x > y;
}

static int cmp_rule_idx(const void *a, const void *b, void *ctx)
{
	const struct nrule *rs = ctx;
	unsigned long long x = rs[*(const unsigned int *)a].handle;
	unsigned long long y = rs[*(const unsigned int *)b].handle;

	return x < y ? -1 : x > y;
}

const struct ntable *nftix_find_table(const struct nft_index *ix,
				      const char *family, const char *name)
{
	unsigned int lo = 0, hi = ix->ntables;

	if (!ix->table_by_name)
		return NULL;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct ntable *t = &ix->tables[ix->table_by_name[mid]];
		int r = strcmp(family, t->family);

		if (!r)
			r = strcmp(name, t->name);
		if (!r)
			return t;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct nchain *nftix_find_chain(const struct ntable *t,
				      const char *name)
{
	unsigned int lo = 0, hi = t->nchains;

	if (!t->chain_by_name)
		return NULL;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct nchain *c = &t->chains[t->chain_by_name[mid]];
		int r = strcmp(name, c->name);

		if (!r)
			return c;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct nrule *nftix_find_rule(const struct ntable *t, unsigned long long h)
{
	unsigned int lo = 0, hi = t->nrules;

	if (!t->rule_by_handle)
		return NULL;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct nrule *r = &t->rules[t->rule_by_handle[mid]];

		if (r->handle == h)
			return r;
		if (h < r->handle)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct nchain *nftix_chain_by_handle(struct ntable *t, unsigned long long h)
{
	unsigned int lo = 0, hi = t->nchains;

	if (!t->chain_by_handle)
		return NULL;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		struct nchain *c = &t->chains[t->chain_by_handle[mid]];

		if (c->handle == h)
			return c;
		if (h < c->handle)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static unsigned int *index_array(unsigned int n)
{
	unsigned int *a = malloc((size_t)n * sizeof(*a)), i;

	if (a)
		for (i = 0; i < n; i++)
			a[i] = i;
	return a;
}

/* Tables by name, chains by name and by handle; duplicates break a table. */
int nftix_sort_chains(struct nft_index *ix)
{
	unsigned int i, j;

	if (ix->ntables) {
		ix->table_by_name = index_array(ix->ntables);
		if (!ix->table_by_name)
			return -1;
		qsort_r(ix->table_by_name, ix->ntables, sizeof(unsigned int),
			cmp_table_idx, ix->tables);
	}
	for (i = 0; i < ix->ntables; i++) {
		struct ntable *t = &ix->tables[i];

		if (!t->nchains)
			continue;
		t->chain_by_name = index_array(t->nchains);
		t->chain_by_handle = index_array(t->nchains);
		if (!t->chain_by_name || !t->chain_by_handle)
			return -1;
		qsort_r(t->chain_by_name, t->nchains, sizeof(unsigned int),
			cmp_chain_idx, t->chains);
		qsort_r(t->chain_by_handle, t->nchains, sizeof(unsigned int),
			cmp_chain_handle_idx, t->chains);
		for (j = 1; j < t->nchains; j++) {
			if (!cmp_chain_idx(&t->chain_by_name[j - 1],
					   &t->chain_by_name[j], t->chains) ||
			    !cmp_chain_handle_idx(&t->chain_by_handle[j - 1],
						  &t->chain_by_handle[j],
						  t->chains))
				t->broken = true;
		}
	}
	return 0;
}

/* Rules by handle; a duplicate handle breaks the table. */
int nftix_sort_rules(struct nft_index *ix)
{
	unsigned int i, j;

	for (i = 0; i < ix->ntables; i++) {
		struct ntable *t = &ix->tables[i];

		if (!t->nrules)
			continue;
		t->rule_by_handle = index_array(t->nrules);
		if (!t->rule_by_handle)
			return -1;
		qsort_r(t->rule_by_handle, t->nrules, sizeof(unsigned int),
			cmp_rule_idx, t->rules);
		for (j = 1; j < t->nrules; j++)
			if (!cmp_rule_idx(&t->rule_by_handle[j - 1],
					  &t->rule_by_handle[j], t->rules))
				t->broken = true;
	}
	return 0;
}

/* ---- parse ---- */

struct nft_index *nft_index_parse_listings(const char *json, size_t json_len,
					   const char *save4, size_t save4_len,
					   const char *save6, size_t save6_len)
{
	struct nft_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	if (!json)
		json_len = 0;
	if (!save4)
		save4_len = 0;
	if (!save6)
		save6_len = 0;
	if (nftix_parse_json(ix, json, json_len))
		goto oom;
	ix->ri4 = rules_parse(save4 ? save4 : "", save4_len);
	ix->ri6 = rules_parse(save6 ? save6 : "", save6_len);
	if (!ix->ri4 || !ix->ri6)
		goto oom;
	return ix;
oom:
	nft_index_free(ix);
	return NULL;
}

int nft_index_text_table(const struct nft_index *ix, unsigned int i,
			 const char **family, const char **name)
{
	if (i >= ix->ntables)
		return -1;
	*family = ix->tables[i].family;
	*name = ix->tables[i].name;
	return nftix_wants_text(ix, &ix->tables[i]);
}

int nft_index_add_text(struct nft_index *ix, const char *text, size_t len)
{
	if (ix->text)
		return -1;		/* once per index */
	if (!text)
		len = 0;
	if (nftix_parse_text(ix, text, len) || nftix_attach_text(ix))
		return -1;
	return 0;
}

struct nft_index *nft_index_parse(const char *json, size_t json_len,
				  const char *text, size_t text_len,
				  const char *save4, size_t save4_len,
				  const char *save6, size_t save6_len)
{
	struct nft_index *ix = nft_index_parse_listings(json, json_len, save4,
							save4_len, save6,
							save6_len);

	if (ix && nft_index_add_text(ix, text, text_len)) {
		nft_index_free(ix);
		return NULL;
	}
	return ix;
}

/* ---- lookup ---- */

int nft_index_lookup(const struct nft_index *ix, const char *family,
		     const char *table, const char *chain,
		     unsigned long long handle, enum nft_kind kind,
		     const char *policy_verdict, struct nft_step_info *out)
{
	const struct ntable *t;
	const struct nchain *c = NULL;
	const struct nrule *r;

	memset(out, 0, sizeof(*out));
	out->chain = chain && *chain ? chain : NULL;
	if (!ix || !family || !table)
		return -1;
	t = nftix_find_table(ix, family, table);
	if (!t || t->broken)
		return -1;
	if (chain && *chain) {
		c = nftix_find_chain(t, chain);
		if (!c)
			return -1;
	}

	switch (kind) {
	case NFT_STEP_RULE:
	case NFT_STEP_RETURN:
		r = handle ? nftix_find_rule(t, handle) : NULL;
		if (!r || (c && &t->chains[r->chain] != c))
			return -1;
		c = &t->chains[r->chain];
		out->rulenum = r->pos;
		if (t->text_ok)
			out->text = t->ipt ? r->itext : r->ntext;
		break;
	case NFT_STEP_IMPLICIT_RETURN:
		if (!c)
			return -1;
		out->rulenum = c->nrules + 1;
		break;
	case NFT_STEP_POLICY: {
		const char *v = policy_verdict ? policy_verdict : c ? c->policy : NULL;
		int d;

		if (!c || !c->base)
			return -1;
		out->rulenum = c->nrules + 1;
		if (!v)
			break;
		if (!strcasecmp(v, "accept"))
			d = 0;
		else if (!strcasecmp(v, "drop"))
			d = 1;
		else
			break;		/* no other policy exists: no text */
		/* from the JSON and the kernel alone: not a guess */
		if (t->ipt)
			out->text = c->ipt_pol[d];
		else
			out->text = d ? "policy drop" : "policy accept";
		break;
	}
	default:
		return -1;
	}
	out->chain = c->name;
	out->known = true;
	out->iptables_nft = t->ipt && out->text;
	return 0;
}
