// SPDX-License-Identifier: GPL-2.0
/*
 * nf_tables backend: which backends run, and which BPF programs this kernel
 * needs for nf_tables.
 *
 * nft_trace_notify() changed its arguments in 6.3: 6.1 passes only the
 * struct nft_traceinfo (pkt, verdict, rule, chain inside it), 6.3+ pass
 * (pkt, verdict, rule, info).  The count of its parameters in nf_tables'
 * module BTF picks the program; a kernel whose nf_tables has no BTF, or
 * another count, is reported in one line and only legacy is traced.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ipttrace.skel.h"
#include "kbtf.h"
#include "nft.h"

enum iptt_backend iptt_backend_choice = IPTT_BACKEND_AUTO;

static bool detected;
static enum iptt_nft_layout layout;
static struct ipttrace_bpf *skel;

int iptt_backend_parse(const char *arg)
{
	if (!strcmp(arg, "legacy"))
		iptt_backend_choice = IPTT_BACKEND_LEGACY;
	else if (!strcmp(arg, "nft"))
		iptt_backend_choice = IPTT_BACKEND_NFT;
	else if (!strcmp(arg, "all"))
		iptt_backend_choice = IPTT_BACKEND_ALL;
	else if (!strcmp(arg, "auto"))
		iptt_backend_choice = IPTT_BACKEND_AUTO;
	else
		return -1;
	return 0;
}

bool iptt_nft_loaded(void)
{
	return access("/sys/module/nf_tables", F_OK) == 0;
}

/* parameters of nft_trace_notify in nf_tables' BTF; -1: no BTF, -2: no func */
static int notify_params(void)
{
	const struct btf_type *t;
	struct btf *mod;
	int id, n = -1;

	mod = iptt_module_btf("nf_tables");
	if (!mod)
		goto out;
	n = -2;
	id = btf__find_by_name_kind(mod, "nft_trace_notify", BTF_KIND_FUNC);
	if (id < 0)
		goto out;
	t = btf__type_by_id(mod, btf__type_by_id(mod, id)->type);
	if (t && btf_is_func_proto(t))
		n = btf_vlen(t);
out:
	return n;
}

enum iptt_nft_layout iptt_nft_detect(int verbose)
{
	int n;

	if (detected)
		return layout;
	detected = true;
	layout = IPTT_NFT_LAYOUT_NONE;
	if (iptt_backend_choice == IPTT_BACKEND_LEGACY || !iptt_nft_loaded())
		return layout;
	n = notify_params();
	if (n == 1)
		layout = IPTT_NFT_LAYOUT_V61;
	else if (n == 4)
		layout = IPTT_NFT_LAYOUT_V63;
	else if (n == -1)
		fprintf(stderr, "ipttrace: nf_tables has no BTF (/sys/kernel/btf/nf_tables): nf_tables rules are not traced\n");
	else
		fprintf(stderr, "ipttrace: unknown nft_trace_notify layout in nf_tables' BTF (%s): nf_tables rules are not traced\n",
			n == -2 ? "no such function" : "unexpected parameters");
	if (verbose && layout)
		fprintf(stderr, "ipttrace: nf_tables traced, nft_trace_notify with the %s layout\n",
			layout == IPTT_NFT_LAYOUT_V61 ? "6.1 (info)" : "6.3+ (pkt, verdict, rule, info)");
	return layout;
}

bool iptt_nft_traced(void)
{
	return layout != IPTT_NFT_LAYOUT_NONE;
}

void iptt_nft_autoload(struct ipttrace_bpf *s, bool trace, bool fentry)
{
	bool v61 = layout == IPTT_NFT_LAYOUT_V61;

	if (!layout)
		return;
	/* base chain timing: verdict events, or --latency histograms */
	bpf_program__set_autoload(fentry ? s->progs.nft_chain_enter_fe : s->progs.nft_chain_enter_kp, true);
	bpf_program__set_autoload(fentry ? s->progs.nft_chain_exit_fe : s->progs.nft_chain_exit_kp, true);
	if (!trace)
		return;
	if (fentry)
		bpf_program__set_autoload(v61 ? s->progs.nft_notify_v61 : s->progs.nft_notify_v612, true);
	else
		bpf_program__set_autoload(v61 ? s->progs.nft_notify_v61_kp : s->progs.nft_notify_v612_kp, true);
	bpf_program__set_autoload(fentry ? s->progs.nft_commit_enter : s->progs.nft_commit_enter_kp, true);
	bpf_program__set_autoload(fentry ? s->progs.nft_commit_exit : s->progs.nft_commit_exit_kp, true);
}

void iptt_nft_bind(struct ipttrace_bpf *s)
{
	skel = s;
}

unsigned int iptt_nft_gen(void)
{
	return skel ? __atomic_load_n(&skel->bss->nft_gen, __ATOMIC_ACQUIRE) : 0;
}

int iptt_nft_hists_fd(void)
{
	return skel && layout ? bpf_map__fd(skel->maps.nft_hists) : -1;
}

/*
 * After iptt_nft_detect(): 0 if something will be traced, else -1 after one
 * line.  legacy: ip_tables or ip6_tables is loaded (and wanted).
 */
int iptt_backend_check(bool legacy)
{
	bool nft = iptt_nft_traced();

	switch (iptt_backend_choice) {
	case IPTT_BACKEND_LEGACY:
		if (legacy)
			return 0;
		fprintf(stderr,
			"ipttrace: --backend legacy: ip_tables is not loaded, so no iptables-legacy ruleset exists here%s\n",
			iptt_nft_loaded() ? " (nf_tables is: try --backend nft)" : "");
		return -1;
	case IPTT_BACKEND_NFT:
		if (nft)
			return 0;
		if (!iptt_nft_loaded())
			fprintf(stderr, "ipttrace: --backend nft: nf_tables is not loaded, so no nftables or iptables-nft ruleset exists here\n");
		return -1;	/* else iptt_nft_detect() said why */
	case IPTT_BACKEND_ALL:
		if (legacy && nft)
			return 0;
		if (!legacy)
			fprintf(stderr, "ipttrace: --backend all: ip_tables is not loaded (no iptables-legacy ruleset)\n");
		else if (!iptt_nft_loaded())
			fprintf(stderr, "ipttrace: --backend all: nf_tables is not loaded (no nftables or iptables-nft ruleset)\n");
		return -1;
	default:
		if (legacy || nft)
			return 0;
		if (!iptt_nft_loaded())
			fprintf(stderr,
				"ipttrace: neither ip_tables (iptables-legacy) nor nf_tables (iptables-nft, nftables) is loaded: no ruleset here to trace\n");
		return -1;
	}
}
