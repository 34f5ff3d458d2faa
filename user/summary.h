/* SPDX-License-Identifier: GPL-2.0 */
/* --summary: hits per rule and verdicts per table and hook, printed at exit. */
#ifndef IPTTRACE_SUMMARY_H
#define IPTTRACE_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>
#include "ipttrace.h"

void iptt_summary_rule(const struct iptt_rule *r, const char *text);
void iptt_summary_verdict(const struct iptt_verdict *v);
void iptt_summary_print(FILE *f, bool json);

/* For --metrics-file: what has been counted so far, rule by rule, and per
 * table, hook and verdict name ("other" for the rest). */
struct iptt_summary_hits {
	unsigned int netns, family, kind, rulenum;
	const char *table, *chain, *text;	/* text may be NULL */
	unsigned long long hits;
};
void iptt_summary_each_rule(void (*fn)(void *ctx, const struct iptt_summary_hits *h),
			    void *ctx);
void iptt_summary_each_verdict(void (*fn)(void *ctx, unsigned int family,
					  unsigned int hook, const char *table,
					  const char *verdict, unsigned long long n),
			       void *ctx);
void iptt_summary_free(void);

#endif /* IPTTRACE_SUMMARY_H */
