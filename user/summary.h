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
void iptt_summary_free(void);

#endif /* IPTTRACE_SUMMARY_H */
