/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An index of one netns' nf_tables ruleset, so that an nf_tables trace step
 * (family, table, chain, rule handle, kind) can be shown as a chain name, a
 * rule number and the text of the rule.
 *
 * The JSON listing (nft -j -a list ruleset) is the authority on which rules
 * exist, in which order and with which handles; the text comes from a second
 * listing and is only attached where both agree:
 *  - tables that iptables-nft manages (ip/ip6 tables that iptables-nft-save /
 *    ip6tables-nft-save prints): the i-th JSON rule of a chain is the i-th
 *    "-A CHAIN" line, checked by rule count per chain and by verdict (accept,
 *    drop, return, jump and goto targets against -j/-g);
 *  - every other table (and iptables-nft tables that hold native rules): the
 *    rule line of nft -a list ruleset, found by its "# handle N" comment.
 */
#ifndef IPTT_NFTRULES_H
#define IPTT_NFTRULES_H

#include <stdbool.h>
#include <stddef.h>

struct nft_index;			/* one snapshot of one netns */

/*
 * Build from the raw outputs of
 *	json	nft -j -a list ruleset
 *	text	nft -a list ruleset
 *	save4	iptables-nft-save
 *	save6	ip6tables-nft-save
 * Any may be NULL or empty and none need be NUL-terminated; all are copied
 * or parsed, nothing points into the caller's buffers afterwards.  Never
 * fails on bad input (what cannot be parsed is simply not known); NULL only
 * when out of memory.
 */
struct nft_index *nft_index_parse(const char *json, size_t json_len,
				  const char *text, size_t text_len,
				  const char *save4, size_t save4_len,
				  const char *save6, size_t save6_len);
/*
 * The same in two steps, so that the native text is listed only for the
 * tables that need it: nft_index_parse_listings() reads the JSON and the
 * save tools' listings; nft_index_text_table() says for table i (0..) its
 * family and name and whether its text must come from nft -a (1), not (0),
 * or that there is no table i (-1); nft_index_add_text() then takes the
 * native listing of those tables (any number of "nft -a list table"
 * outputs one after the other, or the whole ruleset's, or NULL) and must be
 * called once before the index is used.  -1 / NULL: out of memory.
 */
struct nft_index *nft_index_parse_listings(const char *json, size_t json_len,
					   const char *save4, size_t save4_len,
					   const char *save6, size_t save6_len);
int nft_index_text_table(const struct nft_index *ix, unsigned int i,
			 const char **family, const char **name);
int nft_index_add_text(struct nft_index *ix, const char *text, size_t len);

void nft_index_free(struct nft_index *ix);

/*
 * Ruleset generation (NFT_MSG_GETGEN) the snapshot was taken at, 0 if not
 * known.  nft 1.0.6 prints no generation in its JSON metainfo, so an index
 * from nft_index_parse() has 0; nft_index_snapshot() sets it from the
 * kernel, read before and after the listings.
 */
unsigned long long nft_index_gen(const struct nft_index *ix);

enum nft_kind {
	NFT_STEP_RULE,			/* a rule matched (handle != 0) */
	NFT_STEP_RETURN,		/* explicit return rule (handle != 0) */
	NFT_STEP_IMPLICIT_RETURN,	/* end of a non-base chain, no handle */
	NFT_STEP_POLICY,		/* end of a base chain: its policy */
};

struct nft_step_info {
	const char *chain;	/* resolved chain name (points into the index) */
	unsigned int rulenum;	/* 1-based; rules + 1 for policy/implicit return */
	/*
	 * NULL: an implicit return (there is no rule), or the table's text is
	 * unavailable because the listings disagree (the caller tells them
	 * apart by the kind it asked for).  Lives as long as the index.
	 */
	const char *text;
	bool known;		/* false: the index does not hold this step */
	bool iptables_nft;	/* text is an iptables-nft-save line / -P */
};

/*
 * Resolve one step.  family: "ip", "ip6", "inet", "arp", "bridge", "netdev";
 * chain may be NULL or "" for rule and return steps (6.12 does not report it
 * for them): the rule handle alone names the rule, handles being unique per
 * table.  When a chain is given it must be the handle's chain.  Implicit
 * return and policy steps need the chain.  policy_verdict: for a policy
 * step, "accept" or "drop" as the kernel applied it (NULL: the policy in the
 * snapshot); policy text is "-P CHAIN ACCEPT" for iptables-nft tables and
 * "policy accept" for native ones.
 *
 * Returns 0 when the step is known, -1 (out->known = false) when the index
 * does not hold it: an unknown table, chain or handle, or a step that does
 * not fit the chain (a policy of a non-base chain).  On a miss the caller
 * takes a new snapshot once; if the generation moved since this one
 * (nft_ruleset_gen() != nft_index_gen()) the ruleset changed under the
 * trace, else the text is unavailable.
 */
int nft_index_lookup(const struct nft_index *ix, const char *family,
		     const char *table, const char *chain,
		     unsigned long long handle, enum nft_kind kind,
		     const char *policy_verdict, struct nft_step_info *out);

/*
 * Snapshot the ruleset of the netns whose fd is given (-1: our own) by
 * running nft -j -a list ruleset, iptables-nft-save and ip6tables-nft-save
 * inside it, then nft -a list table for each table that needs native text
 * (the whole ruleset when most do, or when a table listing fails).  The generation is read before and after;
 * if it moved the listings are taken again (a few times, then the last
 * listings are kept with the generation they started at).  Only nft -j
 * failing is an error: NULL with a one-line message in err.  A save tool
 * that is missing or fails just leaves its tables with native text.
 */
struct nft_index *nft_index_snapshot(int netns_fd, char *err, size_t errlen);

/*
 * Current ruleset generation of the netns (-1: our own), by NFT_MSG_GETGEN.
 * Returns 0, or -1 when it cannot be read (*gen is then 0).
 */
int nft_ruleset_gen(int netns_fd, unsigned long long *gen);

#endif /* IPTT_NFTRULES_H */
