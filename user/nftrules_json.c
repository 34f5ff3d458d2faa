// SPDX-License-Identifier: GPL-2.0
/*
 * The nf_tables rule-text index (nftrules.c), part one: the JSON listing
 * (nft -j -a list ruleset).  It alone says which tables, chains and rules
 * exist, with which handles and in which order: a chain's rules are listed
 * in evaluation order, so the i-th rule object of a chain is rule i.  It
 * also gives each rule's verdict, which the iptables-nft-save pairing
 * (nftrules_text.c) checks against.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nftrules_int.h"

/* ---- growing arrays ---- */

/* Make room for one more element; -1 when out of memory or too many. */
static int grow(void **arr, unsigned int n, unsigned int *cap, size_t size)
{
	unsigned int ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (*cap >= UINT_MAX / 2 - 1)
		return -1;
	ncap = *cap ? *cap * 2 : 4;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Linear: tables are few, and this is only used while reading the JSON. */
static struct ntable *find_table_lin(struct nft_index *ix, const char *family,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < ix->ntables; i++)
		if (!strcmp(ix->tables[i].family, family) &&
		    !strcmp(ix->tables[i].name, name))
			return &ix->tables[i];
	return NULL;
}

/* ---- the JSON listing ---- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Handles are u64 in the kernel; jansson reads integers as long long. */
static bool jhandle(const json_t *o, unsigned long long *h)
{
	json_t *v = json_object_get(o, "handle");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*h = (unsigned long long)json_integer_value(v);
	return true;
}

static int add_table(struct nft_index *ix, const json_t *o)
{
	const char *family = jstr(o, "family"), *name = jstr(o, "name");
	unsigned long long h;
	struct ntable *t;

	if (!family || !name || !jhandle(o, &h))
		return 0;
	t = find_table_lin(ix, family, name);
	if (t) {
		/* nft never lists a table twice: trust none of it */
		t->broken = true;
		return 0;
	}
	if (grow((void **)&ix->tables, ix->ntables, &ix->ctables,
		 sizeof(*ix->tables)))
		return -1;
	t = &ix->tables[ix->ntables];
	memset(t, 0, sizeof(*t));
	t->family = strdup(family);
	t->name = strdup(name);
	t->handle = h;
	ix->ntables++;
	if (!t->family || !t->name)
		return -1;
	return 0;
}

static int add_chain(struct nft_index *ix, const json_t *o)
{
	const char *family = jstr(o, "family"), *table = jstr(o, "table");
	const char *name = jstr(o, "name"), *policy = jstr(o, "policy");
	unsigned long long h;
	struct ntable *t;
	struct nchain *c;

	if (!family || !table)
		return 0;
	t = find_table_lin(ix, family, table);
	if (!t)
		return 0;
	/* duplicate names are found once the chains are sorted */
	if (!name || !jhandle(o, &h)) {
		t->broken = true;
		return 0;
	}
	if (grow((void **)&t->chains, t->nchains, &t->cchains,
		 sizeof(*t->chains)))
		return -1;
	c = &t->chains[t->nchains++];
	memset(c, 0, sizeof(*c));
	c->handle = h;
	c->name = strdup(name);
	if (!c->name)
		return -1;
	/* a base chain is one with a hook; only base chains have a policy */
	c->base = json_object_get(o, "hook") != NULL;
	if (c->base && policy) {
		c->policy = strdup(policy);
		if (!c->policy)
			return -1;
	}
	return 0;
}

/*
 * Whether a statement uses a set, map or verdict map: iptables-nft never
 * writes those into ip/ip6 tables, and iptables-nft-save 1.8.9 prints such
 * a rule as a different, broader one ("tcp dport { 22, 80 } accept" comes
 * out as "-p tcp -j ACCEPT", a verdict map as a rule without -j) instead of
 * calling the table incompatible.
 */
static bool uses_set(const json_t *v, int depth)
{
	const char *key;
	json_t *e;
	size_t i;

	if (depth > 64)
		return true;	/* deeper than any rule nft prints: be safe */
	if (json_is_string(v))
		return json_string_value(v)[0] == '@';
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (uses_set(e, depth + 1))
				return true;
		return false;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e) {
			if (!strcmp(key, "set") || !strcmp(key, "map") ||
			    !strcmp(key, "vmap"))
				return true;
			if (uses_set(e, depth + 1))
				return true;
		}
	}
	return false;
}

static int rule_verdict(struct nrule *r, const json_t *expr, bool *native)
{
	static const struct { const char *key; enum verdict v; } simple[] = {
		{ "accept", V_ACCEPT }, { "drop", V_DROP },
		{ "return", V_RETURN },
	};
	json_t *st, *v;
	const char *key;
	size_t i, k;

	json_array_foreach(expr, i, st) {
		if (!json_is_object(st))
			continue;
		if (uses_set(st, 0))
			*native = true;
		json_object_foreach(st, key, v) {
			for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++)
				if (!strcmp(key, simple[k].key))
					r->verdict = simple[k].v;
			if (!strcmp(key, "jump") || !strcmp(key, "goto")) {
				const char *tg = jstr(v, "target");

				r->verdict = key[0] == 'j' ? V_JUMP : V_GOTO;
				free(r->target);
				r->target = tg ? strdup(tg) : NULL;
				if (tg && !r->target)
					return -1;
			}
		}
	}
	return 0;
}

static int add_rule(struct nft_index *ix, const json_t *o)
{
	const char *family = jstr(o, "family"), *table = jstr(o, "table");
	const char *chain = jstr(o, "chain");
	json_t *expr = json_object_get(o, "expr");
	bool native = false;
	unsigned long long h;
	struct ntable *t;
	struct nchain *c;
	struct nrule *r;
	unsigned int ci;

	if (!family || !table)
		return 0;
	t = (struct ntable *)nftix_find_table(ix, family, table);
	if (!t)
		return 0;
	c = chain ? (struct nchain *)nftix_find_chain(t, chain) : NULL;
	if (!c || !jhandle(o, &h) || !h) {
		t->broken = true;	/* a rule we cannot place shifts others */
		return 0;
	}
	ci = c - t->chains;
	if (grow((void **)&t->rules, t->nrules, &t->crules, sizeof(*t->rules)) ||
	    grow((void **)&c->rules, c->nrules, &c->cap, sizeof(*c->rules)))
		return -1;
	r = &t->rules[t->nrules];
	memset(r, 0, sizeof(*r));
	r->handle = h;
	r->chain = ci;
	r->pos = c->nrules + 1;
	c->rules[c->nrules++] = t->nrules++;
	if (json_is_array(expr) && rule_verdict(r, expr, &native))
		return -1;
	if (native)
		t->native_rule = true;
	return 0;
}

/*
 * Two passes: tables and chains first, sorted, then the rules, each placed
 * by a binary search for its chain (a kube-proxy ruleset has thousands).
 */
int nftix_parse_json(struct nft_index *ix, const char *json, size_t len)
{
	json_t *root, *arr, *item;
	const char *key;
	json_t *o;
	size_t i;
	int ret = 0;

	if (!json || !len)
		return nftix_sort_chains(ix) || nftix_sort_rules(ix) ? -1 : 0;
	root = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
	/* bad input, or no memory: nothing is known */
	arr = root ? json_object_get(root, "nftables") : NULL;
	json_array_foreach(arr, i, item) {
		json_object_foreach(item, key, o) {
			if (!json_is_object(o))
				continue;
			if (!strcmp(key, "table"))
				ret = add_table(ix, o);
			else if (!strcmp(key, "chain"))
				ret = add_chain(ix, o);
			if (ret)
				goto out;
		}
	}
	ret = nftix_sort_chains(ix);
	if (ret)
		goto out;
	json_array_foreach(arr, i, item) {
		o = json_object_get(item, "rule");
		if (json_is_object(o) && (ret = add_rule(ix, o)))
			goto out;
	}
	ret = nftix_sort_rules(ix);
out:
	json_decref(root);
	return ret;
}
