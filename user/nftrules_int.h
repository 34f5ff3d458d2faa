/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the nf_tables rule-text index (nftrules.h): its types and what
 * its parts share.  For the files that build or read an index only:
 *	nftrules.c	the index: lifetime, sorted arrays, lookup, parse entry
 *	nftrules_json.c	the JSON listing: tables, chains, rules, their order
 *	nftrules_text.c	rule text: nft -a list ruleset, iptables-nft-save
 *	nft_snapshot.c	taking the listings inside a netns, the generation
 */
#ifndef IPTT_NFTRULES_INT_H
#define IPTT_NFTRULES_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "nftrules.h"

struct rules_index;

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

/*
 * nftrules.c: the sorted arrays, built while the JSON is read: tables by
 * name, chains by name and by handle, then rules by handle.  A duplicate
 * breaks its table.  -1: no memory.
 */
int nftix_sort_chains(struct nft_index *ix);
int nftix_sort_rules(struct nft_index *ix);

/* Binary searches in them; NULL when not there (or not sorted yet). */
const struct ntable *nftix_find_table(const struct nft_index *ix,
				      const char *family, const char *name);
const struct nchain *nftix_find_chain(const struct ntable *t,
				      const char *name);
struct nchain *nftix_chain_by_handle(struct ntable *t, unsigned long long h);
struct nrule *nftix_find_rule(const struct ntable *t, unsigned long long h);

/* The generation the snapshot was taken at (nft_snapshot.c). */
void nftix_set_gen(struct nft_index *ix, unsigned long long gen);

/*
 * nftrules_json.c: tables, chains and rules with their handles, order and
 * verdicts from nft -j -a list ruleset, and the sorted arrays.  json need
 * not be NUL-terminated; bad input leaves things unknown.  -1: no memory.
 */
int nftix_parse_json(struct nft_index *ix, const char *json, size_t len);

/*
 * nftrules_text.c: the native listing (nft -a list ruleset), copied into
 * ix->text and attached to the rules by handle.  -1: no memory.
 */
int nftix_parse_text(struct nft_index *ix, const char *text, size_t len);

/*
 * nftrules_text.c, once ix->ri4 and ix->ri6 are read: decide per table
 * whose text is shown (iptables-nft-save's or the native listing's, or
 * none when they disagree with the JSON).  -1: no memory.
 */
int nftix_attach_text(struct nft_index *ix);
bool nftix_wants_text(const struct nft_index *ix, const struct ntable *t);

#endif /* IPTT_NFTRULES_INT_H */
