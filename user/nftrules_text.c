// SPDX-License-Identifier: GPL-2.0
/*
 * The nf_tables rule-text index (nftrules.c), part two: rule text.  The
 * text listings are attached to the rules the JSON listing gave
 * (nftrules_json.c) only where they provably describe the same rules:
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
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "ipttrace.h"
#include "nftrules_int.h"
#include "rules.h"

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
			tp->c = nftix_chain_by_handle(tp->t, h);
		return;
	}
	if (len == 1 && s[0] == '}') {
		tp->c = NULL;
		return;
	}
	if (!tp->c || !has_h || !len)
		return;		/* chain header lines, set elements, ... */
	r = nftix_find_rule(tp->t, h);
	tp->c->text_seen++;
	if (!r || &tp->t->chains[r->chain] != tp->c ||
	    r->pos != tp->c->text_seen || r->ntext) {
		tp->t->native_bad = true;
		return;
	}
	s[strip_counters(s, len)] = '\0';
	r->ntext = s;
}

int nftix_parse_text(struct nft_index *ix, const char *text, size_t len)
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
		return !nftix_find_chain(t, name);
	}
	return true;
}

/*
 * Decide where a table's text comes from.  An ip/ip6 table that the save
 * tool printed is iptables-nft's; one it did not print (not a table it
 * knows, or "# Table `x' is incompatible", or the tool failed) is native.
 */
static bool in_save(const struct ntable *t, const struct rules_index *ri)
{
	unsigned int i;

	if (!ri || t->native_rule)
		return false;
	for (i = 0; i < t->nchains; i++)
		if (rules_count(ri, t->name, t->chains[i].name) != -1U)
			return true;
	return false;
}

static const struct rules_index *save_of(const struct nft_index *ix,
					 const struct ntable *t)
{
	if (!strcmp(t->family, "ip"))
		return ix->ri4;
	if (!strcmp(t->family, "ip6"))
		return ix->ri6;
	return NULL;
}

/*
 * Whether a table's text must come from the native listing: every table the
 * save tools did not print, and theirs that hold native rules.  The caller
 * lists only those: nft prints iptables-nft's compat matches by loading and
 * calling xtables' translators, which made nft -a list ruleset take 6x as
 * long as the JSON listing on the benchmark's iptables-nft router.
 */
bool nftix_wants_text(const struct nft_index *ix, const struct ntable *t)
{
	return !t->broken && !in_save(t, save_of(ix, t));
}

static void pair_ipt(struct ntable *t, const struct rules_index *ri)
{
	char buf[RULES_BUF_LEN];
	unsigned int i, k;

	if (!in_save(t, ri))
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

/*
 * Per table: native text only if every rule had its line, in order; then
 * iptables-nft-save's instead where the save tool printed the table and its
 * lines pair with the rules.  "-P CHAIN ACCEPT|DROP" for its base chains.
 */
int nftix_attach_text(struct nft_index *ix)
{
	unsigned int i, k;

	for (i = 0; i < ix->ntables; i++) {
		struct ntable *t = &ix->tables[i];

		/* every rule must have had its line, in order */
		for (k = 0; k < t->nrules; k++)
			if (!t->rules[k].ntext)
				t->native_bad = true;
		t->text_ok = !t->native_bad;
		if (!t->broken)
			pair_ipt(t, save_of(ix, t));
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
