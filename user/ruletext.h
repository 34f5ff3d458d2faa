/* SPDX-License-Identifier: GPL-2.0 */
/* Rule text for TRACE steps, from iptables-legacy-save in the packet's netns. */
#ifndef IPTTRACE_RULETEXT_H
#define IPTTRACE_RULETEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Current ruleset generation (odd while a replacement is in progress). */
typedef unsigned int (*iptt_gen_fn)(void *ctx);

void iptt_ruletext_init(iptt_gen_fn gen, void *ctx);
void iptt_ruletext_free(void);

enum iptt_text_status {
	IPTT_TEXT_OK,		/* *text is the rule (NULL for a chain return) */
	IPTT_TEXT_CHANGED,	/* the ruleset changed since: not shown */
	IPTT_TEXT_UNAVAILABLE,	/* netns gone, save tool missing or failed */
};

/*
 * Look up the text of one step.  gen/gen_valid: the ruleset generation the
 * BPF side saw during the walk.  The save output is re-read only when its
 * generation differs from the step's; a text is returned only when the
 * snapshot is known to be of that exact generation.
 */
enum iptt_text_status iptt_ruletext(unsigned int netns, unsigned int family,
				    unsigned int gen, bool gen_valid,
				    const char *table, const char *chain,
				    unsigned int kind, unsigned int rulenum,
				    char *buf, size_t buflen,
				    const char **text);

/* The loaded save command for a family, e.g. "iptables-legacy-save". */
const char *iptt_save_cmd(unsigned int family);

#endif /* IPTTRACE_RULETEXT_H */
