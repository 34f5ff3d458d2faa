/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPTT_KBTF_H
#define IPTT_KBTF_H

struct btf;

/*
 * The running kernel's BTF, parsed at most once per run and shared by every
 * user (vmlinux BTF is several MB: parsing it again for each question was a
 * measurable part of ipttrace's start-up).  NULL when the kernel has none.
 * Owned here: callers never free what they get, and do not keep it across
 * iptt_kbtf_free() (the loader calls it once set up: it is parsed again if
 * asked for later).
 */
struct btf *iptt_vmlinux_btf(void);
/* A module's split BTF on top of vmlinux's, e.g. "ip_tables"; NULL if none. */
struct btf *iptt_module_btf(const char *module);
void iptt_kbtf_free(void);

#endif
