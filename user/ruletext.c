// SPDX-License-Identifier: GPL-2.0
/*
 * Rule text is never guessed.  Every snapshot of iptables-legacy-save output
 * is tagged with the ruleset generation that the BPF side counts on each
 * xt_replace_table(): the generation is read before and after the save runs,
 * and a snapshot taken while it moved is thrown away.  A step is shown with
 * text only when its own walk saw the snapshot's generation.
 */
#include <stdlib.h>
#include <string.h>
#include "netns.h"
#include "rules.h"
#include "ruletext.h"

#define SNAP_MAX	64		/* (netns, family) snapshots kept */
#define SAVE_MAX	(256u << 20)	/* largest save output indexed */
#define SAVE_TRIES	3

struct snapshot {
	unsigned int netns;
	unsigned int family;
	unsigned int gen;
	bool failed;			/* save could not run at gen */
	struct rules_index *ri;
	unsigned long last_use;
};

static struct snapshot snaps[SNAP_MAX];
static unsigned long use_clock;
static iptt_gen_fn gen_fn;
static void *gen_ctx;

void iptt_ruletext_init(iptt_gen_fn gen, void *ctx)
{
	gen_fn = gen;
	gen_ctx = ctx;
}

void iptt_ruletext_free(void)
{
	int i;

	for (i = 0; i < SNAP_MAX; i++) {
		rules_free(snaps[i].ri);
		memset(&snaps[i], 0, sizeof(snaps[i]));
	}
}

const char *iptt_save_cmd(unsigned int family)
{
	return family == 10 ? "ip6tables-legacy-save" : "iptables-legacy-save";
}

static struct snapshot *slot_for(unsigned int netns, unsigned int family)
{
	struct snapshot *free_slot = NULL, *lru = &snaps[0];
	int i;

	for (i = 0; i < SNAP_MAX; i++) {
		struct snapshot *s = &snaps[i];

		if (s->family == family && s->netns == netns && (s->ri || s->failed))
			return s;
		if (!s->ri && !s->failed && !free_slot)
			free_slot = s;
		if (s->last_use < lru->last_use)
			lru = s;
	}
	if (free_slot)
		return free_slot;
	rules_free(lru->ri);
	memset(lru, 0, sizeof(*lru));
	return lru;
}

/* Take a snapshot; true when it is of one known generation. */
static bool refresh(struct snapshot *s, unsigned int netns, unsigned int family)
{
	char *argv[] = { (char *)iptt_save_cmd(family), NULL };
	unsigned int g0, g1;
	size_t len;
	char *out;
	int nsfd, i, st;

	rules_free(s->ri);
	s->ri = NULL;
	s->netns = netns;
	s->family = family;
	s->failed = true;
	s->gen = gen_fn(gen_ctx);
	nsfd = iptt_netns_fd(netns);
	if (nsfd < 0)
		return false;
	for (i = 0; i < SAVE_TRIES; i++) {
		g0 = gen_fn(gen_ctx);
		st = iptt_netns_run(nsfd, argv, &out, &len, SAVE_MAX);
		g1 = gen_fn(gen_ctx);
		if (st != 0) {
			free(out);
			return false;
		}
		if (g0 == g1 && !(g0 & 1)) {
			s->ri = rules_parse(out, len);
			free(out);
			if (!s->ri)
				return false;
			s->gen = g0;
			s->failed = false;
			return true;
		}
		free(out);	/* replaced while we read: again */
	}
	return false;
}

enum iptt_text_status iptt_ruletext(unsigned int netns, unsigned int family,
				    unsigned int gen, bool gen_valid,
				    const char *table, const char *chain,
				    unsigned int kind, unsigned int rulenum,
				    char *buf, size_t buflen,
				    const char **text)
{
	struct snapshot *s;
	bool known;

	*text = NULL;
	if (!gen_valid)
		return IPTT_TEXT_CHANGED;
	s = slot_for(netns, family);
	s->last_use = ++use_clock;
	/* a failed snapshot is retried only once the generation moves */
	if ((!s->ri && !s->failed) || s->gen != gen)
		refresh(s, netns, family);
	if (s->failed)
		return IPTT_TEXT_UNAVAILABLE;
	if (s->gen != gen)
		return IPTT_TEXT_CHANGED;	/* the walk's rules are gone */
	*text = rules_lookup(s->ri, table, chain, kind, rulenum, buf, buflen,
			     &known);
	return known ? IPTT_TEXT_OK : IPTT_TEXT_CHANGED;
}
