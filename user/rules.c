// SPDX-License-Identifier: GPL-2.0
/*
 * Index of iptables-legacy-save output: table -> chain -> rule lines.
 *
 * The whole input is copied once and every line is NUL-terminated in place,
 * so a rule's text is a pointer into that copy and the index costs a few
 * words per rule and per chain on top of the input size.  Tables and chains
 * are found through small chained hash tables keyed by name; a chain keeps
 * its rules in an array, so a lookup is one hash probe and one index.
 *
 * The rule numbers the kernel reports count the entries of a chain from 1,
 * and the entry after the last rule is the policy of a built-in chain or
 * the implicit return of a user chain.  The save tool prints the rules of
 * each chain in that same order, so rule N is the N-th "-A CHAIN" line of
 * the table.  Anything that could shift that count -- a line that looks
 * like a rule but cannot be attributed, a table cut short before COMMIT --
 * makes the table unusable rather than slightly wrong.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipttrace.h"
#include "rules.h"

struct hnode {
	struct hnode *next;
	const char *name;	/* not NUL-terminated: see len */
	size_t len;
	unsigned int hash;
};

struct hmap {
	struct hnode **b;
	unsigned int nb;	/* number of buckets: 0 or a power of two */
	unsigned int n;
};

enum chain_decl {
	DECL_NONE,		/* only seen in -A lines */
	DECL_USER,		/* ":NAME - [p:b]" */
	DECL_BUILTIN,		/* ":NAME POLICY [p:b]" */
};

struct rchain {
	struct hnode node;	/* first: a struct hnode * is a chain */
	const char *policy;	/* NUL-terminated, inside the text copy */
	enum chain_decl decl;
	unsigned int nrules;
	unsigned int cap;
	const char **rules;	/* rules[i] is rule i + 1 */
};

struct rtable {
	struct hnode node;	/* first */
	struct hmap chains;
	bool poisoned;		/* a rule line could not be attributed */
};

struct rules_index {
	char *text;		/* copy of the input, lines NUL-terminated */
	struct hmap tables;
};

/* FNV-1a: short keys, no adversary worth more than that. */
static unsigned int hash_name(const char *s, size_t len)
{
	unsigned int h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static struct hnode *hmap_find(const struct hmap *m, const char *name,
			       size_t len, unsigned int hash)
{
	struct hnode *n;

	if (!m->nb)
		return NULL;
	for (n = m->b[hash & (m->nb - 1)]; n; n = n->next)
		if (n->hash == hash && n->len == len &&
		    !memcmp(n->name, name, len))
			return n;
	return NULL;
}

/* Returns -1 when out of memory; the node is then not added. */
static int hmap_add(struct hmap *m, struct hnode *node)
{
	unsigned int i;

	if (m->n >= m->nb) {
		unsigned int nb = m->nb ? m->nb * 2 : 8;
		struct hnode **b;

		if (nb < m->nb)
			return -1;
		b = calloc(nb, sizeof(*b));
		if (!b)
			return -1;
		for (i = 0; i < m->nb; i++) {
			struct hnode *n = m->b[i], *next;

			for (; n; n = next) {
				next = n->next;
				n->next = b[n->hash & (nb - 1)];
				b[n->hash & (nb - 1)] = n;
			}
		}
		free(m->b);
		m->b = b;
		m->nb = nb;
	}
	i = node->hash & (m->nb - 1);
	node->next = m->b[i];
	m->b[i] = node;
	m->n++;
	return 0;
}

static void hmap_del(struct hmap *m, struct hnode *node)
{
	struct hnode **pp;

	for (pp = &m->b[node->hash & (m->nb - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			m->n--;
			return;
		}
	}
}

static void table_free(struct rtable *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->chains.nb; i++) {
		struct hnode *n = t->chains.b[i], *next;

		for (; n; n = next) {
			struct rchain *c = (struct rchain *)n;

			next = n->next;
			free(c->rules);
			free(c);
		}
	}
	free(t->chains.b);
	free(t);
}

void rules_free(struct rules_index *ri)
{
	unsigned int i;

	if (!ri)
		return;
	for (i = 0; i < ri->tables.nb; i++) {
		struct hnode *n = ri->tables.b[i], *next;

		for (; n; n = next) {
			next = n->next;
			table_free((struct rtable *)n);
		}
	}
	free(ri->tables.b);
	free(ri->text);
	free(ri);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the token at s (up to a blank or e). */
static size_t token_len(const char *s, const char *e)
{
	const char *p = s;

	while (p < e && !is_blank(*p))
		p++;
	return p - s;
}

static const char *skip_blanks(const char *s, const char *e)
{
	while (s < e && is_blank(*s))
		s++;
	return s;
}

struct parse {
	struct rules_index *ri;
	struct rtable *cur;	/* table being parsed, not yet committed */
	struct rchain *last;	/* chain of the previous -A line */
};

static struct rchain *get_chain(struct parse *ps, const char *name,
				size_t len, bool *oom)
{
	unsigned int h = hash_name(name, len);
	struct rchain *c;

	c = (struct rchain *)hmap_find(&ps->cur->chains, name, len, h);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c) {
		*oom = true;
		return NULL;
	}
	c->node.name = name;
	c->node.len = len;
	c->node.hash = h;
	if (hmap_add(&ps->cur->chains, &c->node)) {
		free(c);
		*oom = true;
		return NULL;
	}
	return c;
}

/* "*name": start a table; an unfinished previous one is dropped. */
static int parse_table(struct parse *ps, const char *s, const char *e)
{
	size_t len = token_len(s + 1, e);

	table_free(ps->cur);
	ps->cur = NULL;
	ps->last = NULL;
	if (!len || memchr(s + 1, '\0', len))
		return 0;
	ps->cur = calloc(1, sizeof(*ps->cur));
	if (!ps->cur)
		return -1;
	ps->cur->node.name = s + 1;
	ps->cur->node.len = len;
	ps->cur->node.hash = hash_name(s + 1, len);
	return 0;
}

/*
 * COMMIT: the table replaces any earlier copy.  A poisoned table still
 * removes the earlier copy, which is older than what the save tool printed
 * last and so no better.
 */
static int parse_commit(struct parse *ps)
{
	struct rtable *t = ps->cur;
	struct hnode *old;

	if (!t)
		return 0;
	ps->cur = NULL;
	ps->last = NULL;
	old = hmap_find(&ps->ri->tables, t->node.name, t->node.len,
			t->node.hash);
	if (old) {
		hmap_del(&ps->ri->tables, old);
		table_free((struct rtable *)old);
	}
	if (t->poisoned) {
		table_free(t);
		return 0;
	}
	if (hmap_add(&ps->ri->tables, &t->node)) {
		table_free(t);
		return -1;
	}
	return 0;
}

/* ":NAME POLICY [pkts:bytes]"; s is writable (the line is never shown). */
static int parse_decl(struct parse *ps, char *s, const char *e)
{
	const char *name = s + 1, *pol;
	size_t nlen, plen;
	struct rchain *c;
	bool oom = false;

	nlen = token_len(name, e);
	pol = skip_blanks(name + nlen, e);
	plen = token_len(pol, e);
	/* malformed: leave the chain undeclared, so no policy is claimed */
	if (!nlen || !plen || memchr(s, '\0', e - s))
		return 0;
	c = get_chain(ps, name, nlen, &oom);
	if (!c)
		return oom ? -1 : 0;
	/* the byte after the policy is a blank or the line's NUL */
	((char *)pol)[plen] = '\0';
	c->policy = pol;
	c->decl = (plen == 1 && pol[0] == '-') ? DECL_USER : DECL_BUILTIN;
	return 0;
}

/* "-A CHAIN args...": anything else starting with '-' poisons the table. */
static int parse_rule(struct parse *ps, const char *s, const char *e)
{
	const char *name = s + 2;
	struct rchain *c = ps->last;
	size_t nlen;
	bool oom = false;

	if (e - s < 4 || s[1] != 'A' || !is_blank(s[2]) ||
	    memchr(s, '\0', e - s))
		goto poison;
	name = skip_blanks(name, e);
	nlen = token_len(name, e);
	if (!nlen)
		goto poison;
	if (!c || c->node.len != nlen || memcmp(c->node.name, name, nlen)) {
		c = get_chain(ps, name, nlen, &oom);
		if (!c)
			return oom ? -1 : 0;
		ps->last = c;
	}
	/* rules + 1 must still be a representable rule number */
	if (c->nrules >= UINT_MAX - 1)
		goto poison;
	if (c->nrules == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 2;
		const char **r;

		if (cap < c->cap)
			cap = UINT_MAX - 1;
		r = realloc(c->rules, (size_t)cap * sizeof(*r));
		if (!r)
			return -1;
		c->rules = r;
		c->cap = cap;
	}
	c->rules[c->nrules++] = s;
	return 0;
poison:
	ps->cur->poisoned = true;
	return 0;
}

static int parse_line(struct parse *ps, char *line, char *e)
{
	char *s = (char *)skip_blanks(line, e);

	if (s == e || *s == '#')
		return 0;
	if (*s == '*')
		return parse_table(ps, s, e);
	if (!ps->cur)
		return 0;	/* outside a table: nothing to attribute to */
	if (*s == ':')
		return parse_decl(ps, s, e);
	if (*s == '-')
		return parse_rule(ps, s, e);
	if (e - s >= 6 && !memcmp(s, "COMMIT", 6) &&
	    skip_blanks(s + 6, e) == e)
		return parse_commit(ps);
	return 0;		/* unknown: skipped */
}

struct rules_index *rules_parse(const char *text, size_t len)
{
	struct parse ps = { 0 };
	char *p, *end;

	if (len == SIZE_MAX)
		return NULL;
	ps.ri = calloc(1, sizeof(*ps.ri));
	if (!ps.ri)
		return NULL;
	ps.ri->text = malloc(len + 1);
	if (!ps.ri->text)
		goto oom;
	if (len)
		memcpy(ps.ri->text, text, len);
	ps.ri->text[len] = '\0';

	p = ps.ri->text;
	end = p + len;
	while (p < end) {
		char *line = p, *eol = memchr(p, '\n', end - p);

		if (!eol)
			eol = end;	/* no final newline: text[len] is NUL */
		p = eol + 1;
		*eol = '\0';
		if (eol > line && eol[-1] == '\r')
			*--eol = '\0';
		if (parse_line(&ps, line, eol))
			goto oom;
	}
	/* a table without COMMIT may be cut short: not indexed */
	table_free(ps.cur);
	return ps.ri;
oom:
	table_free(ps.cur);
	rules_free(ps.ri);
	return NULL;
}

static const struct rchain *find_chain(const struct rules_index *ri,
				       const char *table, const char *chain)
{
	const struct rtable *t;
	size_t len;

	if (!ri || !table || !chain)
		return NULL;
	len = strlen(table);
	t = (const struct rtable *)hmap_find(&ri->tables, table, len,
					     hash_name(table, len));
	if (!t)
		return NULL;
	len = strlen(chain);
	return (const struct rchain *)hmap_find(&t->chains, chain, len,
						hash_name(chain, len));
}

/*
 * The kernel also calls a rule "policy" (built-in chain) or "return" (user
 * chain) when it is unconditional -- no address, interface, protocol or
 * match -- and its target is a plain verdict: "-A X -j RETURN" ends a user
 * chain exactly like falling off its end.  Accept only that exact form.
 */
static const char *verdict_rule(const struct rchain *c, unsigned int rulenum,
				bool *known)
{
	static const char *const verdicts[] = { "ACCEPT", "DROP", "RETURN" };
	const char *r = c->rules[rulenum - 1], *v;
	size_t i;

	/* "-A " CHAIN " -j " VERDICT and nothing else */
	if (strncmp(r, "-A ", 3) || strncmp(r + 3, c->node.name, c->node.len))
		return NULL;
	v = r + 3 + c->node.len;
	if (strncmp(v, " -j ", 4))
		return NULL;
	v += 4;
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		if (!strcmp(v, verdicts[i])) {
			*known = true;
			return r;
		}
	}
	return NULL;
}

const char *rules_lookup(const struct rules_index *ri, const char *table,
			 const char *chain, int kind, unsigned int rulenum,
			 char *buf, size_t buflen, bool *known)
{
	const struct rchain *c = find_chain(ri, table, chain);
	bool dummy;

	if (!known)
		known = &dummy;
	*known = false;
	if (!c)
		return NULL;

	switch (kind) {
	case IPTT_KIND_RULE:
		if (rulenum < 1 || rulenum > c->nrules)
			return NULL;
		*known = true;
		return c->rules[rulenum - 1];
	case IPTT_KIND_POLICY:
		if (c->decl != DECL_BUILTIN)
			return NULL;
		if (rulenum >= 1 && rulenum <= c->nrules)
			return verdict_rule(c, rulenum, known);
		if (rulenum != c->nrules + 1 || !buf || !buflen)
			return NULL;
		snprintf(buf, buflen, "-P %.*s %s",
			 (int)(c->node.len > INT_MAX ? INT_MAX : c->node.len),
			 c->node.name, c->policy);
		*known = true;
		return buf;
	case IPTT_KIND_RETURN:
		if (c->decl != DECL_USER)
			return NULL;
		if (rulenum >= 1 && rulenum <= c->nrules)
			return verdict_rule(c, rulenum, known);
		if (rulenum != c->nrules + 1)
			return NULL;
		*known = true;
		return NULL;
	default:
		return NULL;
	}
}

unsigned int rules_count(const struct rules_index *ri, const char *table,
			 const char *chain)
{
	const struct rchain *c = find_chain(ri, table, chain);

	return c ? c->nrules : -1U;
}
