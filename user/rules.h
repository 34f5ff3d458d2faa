/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An index of iptables-legacy-save / ip6tables-legacy-save output, so that a
 * TRACE step (table, chain, kind, rulenum) can be shown as the text of the
 * rule it refers to.  One index holds one family: parse the iptables and the
 * ip6tables output into two indexes.
 */
#ifndef IPTT_RULES_H
#define IPTT_RULES_H

#include <stdbool.h>
#include <stddef.h>

struct rules_index;

/* Large enough for any "-P CHAIN POLICY" that rules_lookup() formats. */
#define RULES_BUF_LEN	96

/*
 * Parse save output; text need not be NUL-terminated and is copied.  Never
 * fails on bad input: unknown or malformed lines are skipped.  A table is
 * only indexed once its COMMIT line is seen, and a table that contains a
 * line that may be a rule but cannot be attributed to a chain is dropped
 * as a whole, since every later rule number of it could be wrong.  When a
 * table appears twice the later copy wins.  Returns NULL only when out of
 * memory.
 */
struct rules_index *rules_parse(const char *text, size_t len);
void rules_free(struct rules_index *ri);

/*
 * The text for one TRACE step; kind is enum iptt_rule_kind.
 *  - IPTT_KIND_RULE, 1 <= rulenum <= rules of the chain: the "-A CHAIN ..."
 *    line as printed by the save tool, without its line terminator.  The
 *    string lives as long as the index.
 *  - IPTT_KIND_POLICY, a built-in chain and rulenum == rules + 1 (how the
 *    kernel numbers the policy entry): "-P CHAIN POLICY" formatted into buf
 *    (truncated to buflen; RULES_BUF_LEN is always enough for the names the
 *    kernel reports).
 *  - IPTT_KIND_RETURN, a user chain and rulenum == rules + 1: NULL with
 *    *known = true; there is no line to show.
 * Anything else -- unknown table or chain, rulenum out of range, a kind that
 * does not fit the chain -- returns NULL with *known = false: the ruleset the
 * index was built from is not the one the kernel walked.
 */
const char *rules_lookup(const struct rules_index *ri, const char *table,
			 const char *chain, int kind, unsigned int rulenum,
			 char *buf, size_t buflen, bool *known);

/* Number of rules of a chain, or -1U if the index has no such chain. */
unsigned int rules_count(const struct rules_index *ri, const char *table,
			 const char *chain);

#endif /* IPTT_RULES_H */
