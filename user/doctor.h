/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipttrace --doctor: what this kernel allows and what ipttrace would do,
 * one line each.  It reads /proc, /sys, /boot and /lib/modules and runs
 * read-only listings in each network namespace; it loads nothing and
 * changes nothing.  The parsers and the verdict are pure functions, unit
 * tested on the host (tests/unit/test_doctor.c).
 */
#ifndef IPTTRACE_DOCTOR_H
#define IPTTRACE_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "cli.h"

/* yes / no / could not tell */
enum iptt_tri { IPTT_UNKNOWN = -1, IPTT_NO = 0, IPTT_YES = 1 };

enum iptt_lockdown {
	IPTT_LOCKDOWN_UNKNOWN = -1,	/* no securityfs or no lockdown LSM */
	IPTT_LOCKDOWN_NONE = 0,
	IPTT_LOCKDOWN_INTEGRITY,	/* unsigned modules refused */
	IPTT_LOCKDOWN_CONFIDENTIALITY,	/* and BPF may not read kernel memory */
};

enum iptt_kmod_source {
	IPTT_KMOD_NONE = 0,	/* nothing fits this kernel */
	IPTT_KMOD_LOADED,	/* ipttrace.ko is already loaded */
	IPTT_KMOD_FILE,		/* a file ipttrace loads itself */
	IPTT_KMOD_MODPROBE,	/* modules.dep knows it: modprobe ipttrace */
};

struct iptt_doctor_facts {
	char release[128];
	char machine[64];
	bool version_ok;		/* Linux 5.12 or later */
	bool kconfig_found;		/* /boot/config-REL or /proc/config.gz */
	bool btf_vmlinux;
	enum iptt_tri btf_modules;	/* /sys/kernel/btf/<module> or config */
	enum iptt_tri fentry;		/* BPF trampolines */
	enum iptt_tri kprobes;
	enum iptt_lockdown lockdown;
	bool modules_supported;		/* CONFIG_MODULES (/proc/modules) */
	bool modules_disabled;		/* kernel.modules_disabled=1 */
	enum iptt_tri sig_enforce;	/* module.sig_enforce */
	enum iptt_tri secure_boot;
	enum iptt_kmod_source kmod;
	char kmod_path[4096];		/* the file, when there is one */
	char kmod_why[512];		/* why nothing fits, or a note */
	enum iptt_tri kmod_signed;
	bool headers;			/* /lib/modules/REL/build */
	bool ip_tables, ip6_tables, nf_tables;
	char unspec_logger[64];		/* bound to NFPROTO_UNSPEC, or "" */
	bool root;
};

enum iptt_doctor_verdict {
	IPTT_DOCTOR_TRACE = 0,		/* full tracing works */
	IPTT_DOCTOR_LATENCY,		/* only --latency */
	IPTT_DOCTOR_NOTHING,
};

/* ---- parsers (text in, answer out; NULL text means "file missing") ---- */

/* 'y', 'm' or 'n' for sym (e.g. "CONFIG_KPROBES") in a kernel config;
 * '?' when text is NULL. */
char iptt_doctor_kconfig(const char *text, const char *sym);
/* /sys/kernel/security/lockdown: "none [integrity] confidentiality" */
enum iptt_lockdown iptt_doctor_parse_lockdown(const char *text);
/*
 * /proc/net/netfilter/nf_log: " 0 NONE (nf_log_ipv4)" lines.  Copies the
 * logger bound to protocol family pf into name ("" when NONE or absent)
 * and returns whether one is bound.
 */
bool iptt_doctor_parse_nf_log(const char *text, int pf, char *name,
			      size_t len);
/*
 * modules.dep: the path (relative to /lib/modules/REL/) of module 'mod'
 * (ipttrace.ko, .ko.xz, .ko.zst, .ko.gz) into out.  Returns 0 or -1.
 */
int iptt_doctor_modules_dep(const char *text, const char *mod, char *out,
			    size_t len);
/*
 * The release in a module image's "vermagic=REL SMP ..." modinfo string,
 * into out.  Returns 0, or -1 when the image has none.
 */
int iptt_doctor_vermagic(const char *image, size_t len, char *out,
			 size_t outlen);
/* Whether a module image ends with an appended signature. */
bool iptt_doctor_signed(const char *image, size_t len);
/*
 * Lines of table names (/proc/net/ip_tables_names) or of "table FAMILY
 * NAME" (nft list tables) joined by ", " into out ("" when none).
 * Returns the number of tables.
 */
int iptt_doctor_join_tables(const char *text, bool nft, char *out,
			    size_t len);

/* Whether kernel release rel is one ipttrace supports (5.12 or later). */
bool iptt_doctor_version_ok(const char *rel);

/* ---- facts, verdict, report ---- */

/*
 * Read the facts from the files under root ("" or NULL for "/"), for
 * kernel release rel.  exe_dir: where the executable is, for the module
 * candidates; kmod_path: --kmod or NULL.
 */
void iptt_doctor_gather(struct iptt_doctor_facts *f, const char *root,
			const char *rel, const char *machine,
			const char *exe_dir, const char *kmod_path);
/* What works, with the reason and the fix in why when it is not all. */
enum iptt_doctor_verdict iptt_doctor_verdict(const struct iptt_doctor_facts *f,
					     char *why, size_t len);
/* The one-line-per-check report of the facts (not the namespaces). */
void iptt_doctor_report(FILE *out, const struct iptt_doctor_facts *f);
/* The closing line; returns the verdict. */
enum iptt_doctor_verdict iptt_doctor_conclude(FILE *out,
					      const struct iptt_doctor_facts *f);

/* ipttrace --doctor: the whole report on stdout; exit status 0 when
 * tracing can work here, 1 otherwise. */
int iptt_doctor(const struct iptt_opts *o);

#endif /* IPTTRACE_DOCTOR_H */
