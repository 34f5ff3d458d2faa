/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet fate (bpf/fate.bpf.h): where a traced packet's journey ended --
 * delivered, forwarded, sent, dropped with the kernel's reason, or unknown
 * -- formatted for the human output and JSON, and counted for --summary.
 */
#ifndef IPTTRACE_FATE_H
#define IPTTRACE_FATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "ipttrace.h"
#include "json.h"

struct btf;
struct ipttrace_bpf;

/* loader: attach the fate programs (trace mode, fentry/tp_btf only) */
void iptt_fate_autoload(struct ipttrace_bpf *s, bool trace, bool fentry);
/* true once fate events will come: a group then ends with its fate */
bool iptt_fate_enabled(void);
void iptt_fate_set_enabled(bool on);

/* "dropped", "delivered", "forwarded", "sent", "unknown" */
const char *iptt_fate_name(unsigned int fate);

/*
 * The name of value val of enum skb_drop_reason in btf, without the
 * SKB_DROP_REASON_ prefix, into buf; NULL if btf has no such enum or value.
 */
const char *iptt_drop_reason_btf(const struct btf *btf, unsigned int val,
				 char *buf, size_t len);
/* The same from this kernel's vmlinux BTF (loaded once); "reason <n>" if
 * BTF does not know the value. */
const char *iptt_drop_reason(unsigned int val, char *buf, size_t len);
/* A short human hint for a common drop reason name, or NULL. */
const char *iptt_drop_hint(const char *name);

/*
 * "function+0xoff" for a kernel text address, from a kallsyms file
 * (/proc/kallsyms: loaded once per path); NULL if not resolvable.
 * func, if not NULL, gets the bare function name.
 */
const char *iptt_ksym(const char *path, unsigned long long addr, char *buf,
		      size_t len, char *func, size_t funclen);

/* What the trace of the packet says, to explain the fate. */
struct iptt_fate_ctx {
	const char *rule;	/* last rule step "table:chain:kind:num", or NULL */
	const char *rule_text;	/* its text, or NULL */
	const char *verdict;	/* last table verdict name, or NULL */
	const char *verdict_table;
	const char *kallsyms;	/* path; NULL: /proc/kallsyms */
};

/* The human line (no newline); f == NULL: unknown, with why */
void iptt_fate_format(const struct iptt_fate *f, const struct iptt_fate_ctx *c,
		      const char *why, char *buf, size_t len);
/* The JSON members after "event":"fate" and the id; f == NULL: unknown */
void iptt_fate_json(struct jw *w, const struct iptt_fate *f,
		    const struct iptt_fate_ctx *c, const char *why);

/* --summary */
void iptt_fate_count(const struct iptt_fate *f);	/* NULL: unknown */
void iptt_fate_summary_print(FILE *out, bool json);
void iptt_fate_free(void);

#endif /* IPTTRACE_FATE_H */
