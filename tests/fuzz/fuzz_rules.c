// FUZZ-SOURCES: user/rules.c
// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the iptables-save index: parse arbitrary bytes, then
 * look up the tables and chains named in them and check that every answer
 * is consistent with rules_count() -- a lookup must never claim to know a
 * step that does not fit the chain, nor miss one that does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipttrace.h"
#include "rules.h"

#define MAX_NAMES	8
#define NAME_MAX_LEN	40
#define NFIXED		(sizeof(fixed) / sizeof(fixed[0]))

struct names {
	char v[MAX_NAMES][NAME_MAX_LEN + 1];
	int n;
};

static void add_name(struct names *ns, const uint8_t *s, size_t len)
{
	int i;

	if (ns->n == MAX_NAMES || len > NAME_MAX_LEN || memchr(s, 0, len))
		return;
	for (i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == len && !memcmp(ns->v[i], s, len))
			return;
	memcpy(ns->v[ns->n], s, len);
	ns->v[ns->n][len] = '\0';
	ns->n++;
}

static size_t token(const uint8_t *s, const uint8_t *e)
{
	const uint8_t *p = s;

	while (p < e && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		p++;
	return p - s;
}

/* Table names from "*x" lines, chain names from ":x" and "-A x" lines. */
static void collect(const uint8_t *d, size_t size, struct names *tables,
		    struct names *chains)
{
	const uint8_t *p = d, *e = d + size;

	add_name(tables, (const uint8_t *)"filter", 6);
	add_name(chains, (const uint8_t *)"INPUT", 5);
	while (p < e) {
		const uint8_t *nl = memchr(p, '\n', e - p), *le = nl ? nl : e;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (p < le && *p == '*')
			add_name(tables, p + 1, token(p + 1, le));
		else if (p < le && *p == ':')
			add_name(chains, p + 1, token(p + 1, le));
		else if (le - p > 3 && p[0] == '-' && p[1] == 'A' &&
			 (p[2] == ' ' || p[2] == '\t')) {
			p += 3;
			while (p < le && (*p == ' ' || *p == '\t'))
				p++;
			add_name(chains, p, token(p, le));
		}
		p = nl ? nl + 1 : e;
	}
}


/*
 * An unconditional plain-verdict rule, which the kernel reports as a
 * "return" or "policy" step with its own number: exactly
 * "-A CHAIN -j ACCEPT|DROP|RETURN", one of the chain's rules.
 */
static void verdict_rule(const char *s, const char *chain, size_t clen,
			 unsigned int num, unsigned int n)
{
	const char *v;

	if (num < 1 || num > n || strncmp(s, "-A ", 3) ||
	    strncmp(s + 3, chain, clen) || strncmp(s + 3 + clen, " -j ", 4))
		abort();
	v = s + 3 + clen + 4;
	if (strcmp(v, "ACCEPT") && strcmp(v, "DROP") && strcmp(v, "RETURN"))
		abort();
}

static void check(const struct rules_index *ri, const char *table,
		  const char *chain, int kind, unsigned int num, size_t size)
{
	unsigned int n = rules_count(ri, table, chain);
	char buf[RULES_BUF_LEN];
	bool known = false;
	const char *s;
	size_t clen = strlen(chain);

	memset(buf, 'x', sizeof(buf));
	s = rules_lookup(ri, table, chain, kind, num, buf, sizeof(buf), &known);
	if (!known) {
		if (s)
			abort();
		/* unknown is only allowed where the step does not fit */
		if (n != -1U && kind == IPTT_KIND_RULE && num >= 1 && num <= n)
			abort();
		return;
	}
	if (n == -1U)
		abort();
	switch (kind) {
	case IPTT_KIND_RULE: {
		const char *p;

		if (!s || num < 1 || num > n || strncmp(s, "-A", 2))
			abort();
		/* the line of this chain, whole, and nothing past it */
		p = s + 2;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, chain, clen) || (p[clen] && p[clen] != ' ' &&
						p[clen] != '\t'))
			abort();
		if (strchr(s, '\n') || strlen(s) > size)
			abort();
		break;
	}
	case IPTT_KIND_POLICY:
		if (s && s != buf) {
			verdict_rule(s, chain, clen, num, n);
			break;
		}
		if (s != buf || num != n + 1 || strncmp(s, "-P ", 3) ||
		    strlen(s) >= sizeof(buf))
			abort();
		if (strlen(chain) + 4 < sizeof(buf) &&
		    (strncmp(s + 3, chain, clen) || s[3 + clen] != ' '))
			abort();
		break;
	case IPTT_KIND_RETURN:
		if (s)
			verdict_rule(s, chain, clen, num, n);
		else if (num != n + 1)
			abort();
		break;
	default:
		abort();	/* no other kind can be known */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int fixed[] = { 0, 1, 2, 3, 100, -1U };
	struct names tables = { .n = 0 }, chains = { .n = 0 };
	struct rules_index *ri = rules_parse((const char *)data, size);
	unsigned int h = 0;
	size_t i;
	int t, c, kind;

	if (!ri)
		abort();	/* only out of memory may fail */
	collect(data, size, &tables, &chains);
	/* one rule number derived from the input, besides the edges */
	for (i = 0; i < size && i < 64; i++)
		h = h * 31 + data[i];

	for (t = 0; t < tables.n; t++) {
		for (c = 0; c < chains.n; c++) {
			const char *tn = tables.v[t], *cn = chains.v[c];
			unsigned int n = rules_count(ri, tn, cn);

			for (kind = -1; kind <= IPTT_KIND_UNKNOWN + 1; kind++) {
				size_t k;

				for (k = 0; k < NFIXED; k++)
					check(ri, tn, cn, kind, fixed[k], size);
				check(ri, tn, cn, kind, n, size);
				check(ri, tn, cn, kind, n + 1, size);
				check(ri, tn, cn, kind, n + 2, size);
				if (n != -1U && n)
					check(ri, tn, cn, kind, 1 + h % n,
					      size);
			}
		}
	}
	rules_free(ri);
	return 0;
}
