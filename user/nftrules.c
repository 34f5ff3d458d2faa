// SPDX-License-Identifier: GPL-2.0
/*
 * Index of one netns' nf_tables ruleset: (family, table, handle) -> chain,
 * rule number and rule text.
 *
 * Order and handles come from the JSON listing only: a chain's rules are
 * listed in evaluation order, so the i-th rule object of a chain is rule i.
 * The text listings are attached afterwards and only where they provably
 * describe the same rules:
 *
 *  - native text (nft -a list ruleset) is found by the "# handle N" comment
 *    each rule line ends with, and each table's lines must give the same
 *    handles in the same order per chain as the JSON;
 *  - iptables-nft text has no handles, so the i-th "-A CHAIN" line is paired
 *    with the i-th JSON rule, and the pairing stands only if every chain has
 *    as many lines as rules and every line's -j/-g agrees with the rule's
 *    verdict.
 *
 * A table whose listings disagree keeps its positions but loses its text:
 * two reads of a ruleset that changed in between cannot be told apart from
 * a mistake, and a wrong rule shown as the one a packet hit is worse than
 * none.
 *
 * Tables and chains are looked up through arrays sorted once the JSON is
 * read, rules of a table through an array sorted by handle (handles are
 * unique per table and never reused while it exists), so a lookup is a few
 * binary searches.  A kube-proxy ruleset has thousands of chains.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <jansson.h>

#include "ipttrace.h"
#include "netns.h"
#include "nftrules.h"
#include "rules.h"

enum verdict {
	V_NONE,			/* no verdict statement, or another one (xt target) */
	V_ACCEPT,
	V_DROP,
	V_RETURN,
	V_JUMP,
	V_GOTO,
};

struct nrule {
	unsigned long long handle;
	unsigned int chain;	/* index into table->chains */
	unsigned int pos;	/* 1-based position in the chain */
	enum verdict verdict;
	char *target;		/* jump/goto target */
	const char *ntext;	/* native text, inside ix->text */
	const char *itext;	/* "-A" line, inside ri4/ri6 */
};

struct nchain {
	char *name;
	unsigned long long handle;
	bool base;
	char *policy;		/* "accept"/"drop" of a base chain */
	char *ipt_pol[2];	/* "-P NAME ACCEPT", "-P NAME DROP" */
	unsigned int *rules;	/* indices into table->rules, in order */
	unsigned int nrules, cap;
	unsigned int text_seen;	/* rule lines met in the text listing */
};

struct ntable {
	char *family;
	char *name;
	unsigned long long handle;
	struct nchain *chains;
	unsigned int nchains, cchains;
	unsigned int *chain_by_name;
	unsigned int *chain_by_handle;
	struct nrule *rules;
	unsigned int nrules, crules;
	unsigned int *rule_by_handle;
	bool broken;		/* the JSON itself is inconsistent: unusable */
	bool native_rule;	/* has a rule iptables-nft-save cannot print */
	bool native_bad;	/* text listing disagrees with the JSON */
	bool ipt;		/* text is iptables-nft-save's */
	bool text_ok;		/* rule text may be shown */
};

struct nft_index {
	struct ntable *tables;
	unsigned int ntables, ctables;
	unsigned int *table_by_name;
	char *text;		/* copy of the native listing, lines cut */
	struct rules_index *ri4, *ri6;
	unsigned long long gen;
};

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

/* ---- finding tables, chains, rules ---- */

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

static const struct ntable *find_table(const struct nft_index *ix,
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

static const struct nchain *find_chain(const struct ntable *t, const char *name)
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

static struct nrule *find_rule(const struct ntable *t, unsigned long long h)
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
	t = (struct ntable *)find_table(ix, family, table);
	if (!t)
		return 0;
	c = chain ? (struct nchain *)find_chain(t, chain) : NULL;
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

static int sort_chains(struct nft_index *ix);
static int sort_rules(struct nft_index *ix);

/*
 * Two passes: tables and chains first, sorted, then the rules, each placed
 * by a binary search for its chain (a kube-proxy ruleset has thousands).
 */
static int parse_json(struct nft_index *ix, const char *json, size_t len)
{
	json_t *root, *arr, *item;
	const char *key;
	json_t *o;
	size_t i;
	int ret = 0;

	if (!json || !len)
		return sort_chains(ix) || sort_rules(ix) ? -1 : 0;
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
	ret = sort_chains(ix);
	if (ret)
		goto out;
	json_array_foreach(arr, i, item) {
		o = json_object_get(item, "rule");
		if (json_is_object(o) && (ret = add_rule(ix, o)))
			goto out;
	}
	ret = sort_rules(ix);
out:
	json_decref(root);
	return ret;
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
static int sort_chains(struct nft_index *ix)
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
static int sort_rules(struct nft_index *ix)
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

/* ---- the native text listing ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * If line[0..*len) ends with "# handle N", return true with N in *h and
 * *len cut before the comment and the blanks ahead of it.
 */
static bool cut_handle(const char *line, size_t *len, unsigned long long *h)
{
	static const char tag[] = "# handle ";
	size_t n = *len, d = n, tl = sizeof(tag) - 1;
	unsigned long long v = 0;
	size_t i;

	while (d > 0 && isdigit((unsigned char)line[d - 1]))
		d--;
	if (d == n || n - d > 20 || d < tl || memcmp(line + d - tl, tag, tl))
		return false;
	for (i = d; i < n; i++) {
		unsigned int dig = line[i] - '0';

		if (v > (ULLONG_MAX - dig) / 10)
			return false;
		v = v * 10 + dig;
	}
	d -= tl;
	if (d > 0 && !is_blank(line[d - 1]))
		return false;	/* "x# handle 1" is not the comment */
	while (d > 0 && is_blank(line[d - 1]))
		d--;
	*h = v;
	*len = d;
	return true;
}

/*
 * "counter packets N bytes M" -> "counter", outside quoted strings, in
 * place (the result is never longer), so the text stays the same while
 * packets flow.  Returns the new length.
 */
static size_t strip_counters(char *s, size_t len)
{
	static const char pk[] = "counter packets ", by[] = " bytes ";
	size_t r = 0, w = 0;
	bool quoted = false;

	while (r < len) {
		if (s[r] == '"')
			quoted = !quoted;
		if (!quoted && (r == 0 || is_blank(s[r - 1])) &&
		    len - r >= sizeof(pk) - 1 &&
		    !memcmp(s + r, pk, sizeof(pk) - 1)) {
			size_t p = r + sizeof(pk) - 1, q;

			q = p;
			while (q < len && isdigit((unsigned char)s[q]))
				q++;
			if (q > p && len - q >= sizeof(by) - 1 &&
			    !memcmp(s + q, by, sizeof(by) - 1)) {
				p = q + sizeof(by) - 1;
				q = p;
				while (q < len && isdigit((unsigned char)s[q]))
					q++;
				if (q > p && (q == len || is_blank(s[q]))) {
					memmove(s + w, "counter", 7);
					w += 7;
					r = q;
					continue;
				}
			}
		}
		s[w++] = s[r++];
	}
	return w;
}

struct tparse {
	struct nft_index *ix;
	struct ntable *t;	/* table of the current block, if known */
	struct nchain *c;	/* chain of the current block, if known */
};

static struct ntable *table_by_handle(struct nft_index *ix, const char *fam,
				      size_t flen, unsigned long long h)
{
	unsigned int i;

	for (i = 0; i < ix->ntables; i++) {
		struct ntable *t = &ix->tables[i];

		if (t->handle == h && strlen(t->family) == flen &&
		    !memcmp(t->family, fam, flen))
			return t;
	}
	return NULL;
}

static struct nchain *chain_by_handle(struct ntable *t, unsigned long long h)
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

static void text_line(struct tparse *tp, char *s, size_t len)
{
	unsigned long long h = 0;
	struct nrule *r;
	bool has_h;

	while (len && is_blank(s[len - 1]))
		len--;
	has_h = cut_handle(s, &len, &h);

	if (len >= 6 && !memcmp(s, "table ", 6)) {
		const char *fam = s + 6;
		size_t flen = 0;

		while (fam + flen < s + len && !is_blank(fam[flen]))
			flen++;
		tp->t = has_h ? table_by_handle(tp->ix, fam, flen, h) : NULL;
		tp->c = NULL;
		return;
	}
	if (!tp->t)
		return;
	if (len && s[len - 1] == '{') {
		/* a block: a chain, or a set, map, flowtable, object... */
		tp->c = NULL;
		if (has_h && len >= 6 && !memcmp(s, "chain ", 6))
			tp->c = chain_by_handle(tp->t, h);
		return;
	}
	if (len == 1 && s[0] == '}') {
		tp->c = NULL;
		return;
	}
	if (!tp->c || !has_h || !len)
		return;		/* chain header lines, set elements, ... */
	r = find_rule(tp->t, h);
	tp->c->text_seen++;
	if (!r || &tp->t->chains[r->chain] != tp->c ||
	    r->pos != tp->c->text_seen || r->ntext) {
		tp->t->native_bad = true;
		return;
	}
	s[strip_counters(s, len)] = '\0';
	r->ntext = s;
}

static int parse_text(struct nft_index *ix, const char *text, size_t len)
{
	struct tparse tp = { .ix = ix };
	char *p, *end;

	if (len == SIZE_MAX)
		return -1;
	ix->text = malloc(len + 1);
	if (!ix->text)
		return -1;
	if (len)
		memcpy(ix->text, text, len);
	ix->text[len] = '\0';
	p = ix->text;
	end = p + len;
	while (p < end) {
		char *line = p, *eol = memchr(p, '\n', end - p);

		if (!eol)
			eol = end;
		p = eol + 1;
		*eol = '\0';
		if (eol > line && eol[-1] == '\r')
			*--eol = '\0';
		while (line < eol && is_blank(*line))
			line++;
		/* a NUL inside the line would cut a rule's text short */
		if (memchr(line, '\0', eol - line)) {
			if (tp.t)
				tp.t->native_bad = true;
			continue;
		}
		text_line(&tp, line, eol - line);
	}
	return 0;
}

/* ---- pairing with iptables-nft-save ---- */

/*
 * The -j and -g targets of a save line, outside quoted strings (a comment
 * may well say "-j DROP").  Pointers into the line, lengths in *jl and *gl.
 */
static void line_targets(const char *s, const char **j, size_t *jl,
			 const char **g, size_t *gl)
{
	const char *prev = NULL;	/* the token before this one */
	size_t plen = 0;

	*j = *g = NULL;
	*jl = *gl = 0;
	while (*s) {
		const char *b;
		bool q = false;

		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		b = s;
		while (*s && (q || !is_blank(*s))) {
			if (*s == '\\' && q && s[1])
				s++;
			else if (*s == '"')
				q = !q;
			s++;
		}
		if (plen == 2 && prev[0] == '-' && prev[1] == 'j') {
			*j = b;
			*jl = s - b;
		} else if (plen == 2 && prev[0] == '-' && prev[1] == 'g') {
			*g = b;
			*gl = s - b;
		}
		prev = b;
		plen = s - b;
	}
}

static bool tok_is(const char *t, size_t len, const char *s)
{
	return t && strlen(s) == len && !memcmp(t, s, len);
}

static bool verdict_agrees(const struct ntable *t, const struct nrule *r,
			   const char *line)
{
	const char *j, *g;
	size_t jl, gl;

	line_targets(line, &j, &jl, &g, &gl);
	switch (r->verdict) {
	case V_ACCEPT:
		return !g && tok_is(j, jl, "ACCEPT");
	case V_DROP:
		return !g && tok_is(j, jl, "DROP");
	case V_RETURN:
		return !g && tok_is(j, jl, "RETURN");
	case V_JUMP:
		return !g && r->target && tok_is(j, jl, r->target);
	case V_GOTO:
		return !j && r->target && tok_is(g, gl, r->target);
	case V_NONE:
		break;
	}
	/* no verdict: an extension target (-j LOG, DNAT...) or none */
	if (g || tok_is(j, jl, "ACCEPT") || tok_is(j, jl, "DROP") ||
	    tok_is(j, jl, "RETURN"))
		return false;
	if (j) {
		char name[NFT_CHAIN_MAXNAMELEN];

		if (jl >= sizeof(name))
			return true;	/* no chain has such a long name */
		memcpy(name, j, jl);
		name[jl] = '\0';
		return !find_chain(t, name);
	}
	return true;
}

/*
 * Decide where a table's text comes from.  An ip/ip6 table that the save
 * tool printed is iptables-nft's; one it did not print (not a table it
 * knows, or "# Table `x' is incompatible", or the tool failed) is native.
 */
static void pair_ipt(struct ntable *t, const struct rules_index *ri)
{
	char buf[RULES_BUF_LEN];
	bool in_save = false;
	unsigned int i, k;

	if (!ri || t->native_rule)
		return;
	for (i = 0; i < t->nchains; i++)
		if (rules_count(ri, t->name, t->chains[i].name) != -1U)
			in_save = true;
	if (!in_save)
		return;
	t->ipt = true;
	t->text_ok = false;
	for (i = 0; i < t->nchains; i++) {
		struct nchain *c = &t->chains[i];

		if (rules_count(ri, t->name, c->name) != c->nrules)
			return;
		for (k = 0; k < c->nrules; k++) {
			struct nrule *r = &t->rules[c->rules[k]];
			const char *line;
			bool known;

			line = rules_lookup(ri, t->name, c->name,
					    IPTT_KIND_RULE, k + 1, buf,
					    sizeof(buf), &known);
			if (!line || !known || !verdict_agrees(t, r, line))
				return;
			r->itext = line;
		}
	}
	t->text_ok = true;
}

static int finish(struct nft_index *ix)
{
	unsigned int i, k;

	for (i = 0; i < ix->ntables; i++) {
		struct ntable *t = &ix->tables[i];

		/* every rule must have had its line, in order */
		for (k = 0; k < t->nrules; k++)
			if (!t->rules[k].ntext)
				t->native_bad = true;
		t->text_ok = !t->native_bad;
		if (!t->broken && !strcmp(t->family, "ip"))
			pair_ipt(t, ix->ri4);
		else if (!t->broken && !strcmp(t->family, "ip6"))
			pair_ipt(t, ix->ri6);
		if (!t->ipt)
			continue;
		for (k = 0; k < t->nchains; k++) {
			struct nchain *c = &t->chains[k];

			if (!c->base)
				continue;
			if (asprintf(&c->ipt_pol[0], "-P %s ACCEPT", c->name) < 0) {
				c->ipt_pol[0] = NULL;
				return -1;
			}
			if (asprintf(&c->ipt_pol[1], "-P %s DROP", c->name) < 0) {
				c->ipt_pol[1] = NULL;
				return -1;
			}
		}
	}
	return 0;
}

struct nft_index *nft_index_parse(const char *json, size_t json_len,
				  const char *text, size_t text_len,
				  const char *save4, size_t save4_len,
				  const char *save6, size_t save6_len)
{
	struct nft_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	if (!json)
		json_len = 0;
	if (!text)
		text_len = 0;
	if (!save4)
		save4_len = 0;
	if (!save6)
		save6_len = 0;
	if (parse_json(ix, json, json_len) || parse_text(ix, text, text_len))
		goto oom;
	ix->ri4 = rules_parse(save4 ? save4 : "", save4_len);
	ix->ri6 = rules_parse(save6 ? save6 : "", save6_len);
	if (!ix->ri4 || !ix->ri6 || finish(ix))
		goto oom;
	return ix;
oom:
	nft_index_free(ix);
	return NULL;
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
	t = find_table(ix, family, table);
	if (!t || t->broken)
		return -1;
	if (chain && *chain) {
		c = find_chain(t, chain);
		if (!c)
			return -1;
	}

	switch (kind) {
	case NFT_STEP_RULE:
	case NFT_STEP_RETURN:
		r = handle ? find_rule(t, handle) : NULL;
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

/* ---- snapshot ---- */

#define LIST_MAX	(256u << 20)	/* largest listing indexed */
#define SNAP_TRIES	3

/* NFT_MSG_GETGEN in the current netns. */
static int getgen_here(unsigned int *gen)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nfg;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
		.nfg = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char b[4096];
	} buf;
	struct nlmsghdr *nh = &buf.nh;
	struct nlattr *a;
	ssize_t n;
	size_t off;
	int fd, ret = -1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != sizeof(req))
		goto out;
	do
		n = recv(fd, buf.b, sizeof(buf.b), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 || !NLMSG_OK(nh, (size_t)n) ||
	    nh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
		goto out;
	off = NLMSG_SPACE(sizeof(struct nfgenmsg));
	while (off + NLA_HDRLEN <= nh->nlmsg_len) {
		a = (struct nlattr *)(buf.b + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > nh->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID &&
		    a->nla_len >= NLA_HDRLEN + 4) {
			uint32_t v;

			memcpy(&v, (char *)a + NLA_HDRLEN, 4);
			*gen = ntohl(v);
			ret = 0;
			break;
		}
		off += NLA_ALIGN(a->nla_len);
	}
out:
	close(fd);
	return ret;
}

int nft_ruleset_gen(int netns_fd, unsigned long long *gen)
{
	unsigned int g = 0;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	*gen = 0;
	if (netns_fd < 0) {
		if (getgen_here(&g))
			return -1;
		*gen = g;
		return 0;
	}
	/* a netlink socket belongs to the netns it is opened in */
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (setns(netns_fd, CLONE_NEWNET) || getgen_here(&g))
			_exit(1);
		_exit(write(pfd[1], &g, sizeof(g)) == sizeof(g) ? 0 : 1);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &g, sizeof(g));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(g) || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	*gen = g;
	return 0;
}

struct listing {
	char *argv[6];
	char *out;
	size_t len;
	int st;
};

struct nft_index *nft_index_snapshot(int netns_fd, char *err, size_t errlen)
{
	struct listing l[4] = {
		{ .argv = { "nft", "-j", "-a", "list", "ruleset", NULL } },
		{ .argv = { "nft", "-a", "list", "ruleset", NULL } },
		{ .argv = { "iptables-nft-save", NULL } },
		{ .argv = { "ip6tables-nft-save", NULL } },
	};
	unsigned long long g0 = 0, g1 = 0;
	struct nft_index *ix = NULL;
	bool have_gen = false;
	int try, i;

	if (errlen)
		err[0] = '\0';
	for (try = 0; try < SNAP_TRIES; try++) {
		have_gen = !nft_ruleset_gen(netns_fd, &g0);
		for (i = 0; i < 4; i++) {
			free(l[i].out);
			l[i].out = NULL;
			l[i].st = iptt_netns_run(netns_fd, l[i].argv, &l[i].out,
						 &l[i].len, LIST_MAX);
		}
		if (l[0].st != 0) {
			snprintf(err, errlen, "nft -j -a list ruleset %s",
				 l[0].st < 0 ? "could not run" : "failed");
			goto out;
		}
		/* without a generation there is nothing to compare */
		if (!have_gen || (!nft_ruleset_gen(netns_fd, &g1) && g0 == g1))
			break;
	}
	/*
	 * A save tool that failed may still have printed complete tables
	 * before the one it choked on; rules_parse() drops the unfinished one.
	 */
	ix = nft_index_parse(l[0].out, l[0].len, l[1].out, l[1].len,
			     l[2].out, l[2].len, l[3].out, l[3].len);
	if (!ix)
		snprintf(err, errlen, "out of memory");
	else if (have_gen)
		ix->gen = g0;
out:
	for (i = 0; i < 4; i++)
		free(l[i].out);
	return ix;
}
