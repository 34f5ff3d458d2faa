// SPDX-License-Identifier: GPL-2.0
/*
 * pcap filter compilation.  libpcap does the parsing and optimising; the
 * result is classic BPF that the kernel checks again (bpf_prog_create()) and
 * runs on each packet, exactly as xt_bpf does.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"

int iptt_filter_compile(const char *expr, struct iptt_filter *f, char *err,
			size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p;
	int ret = -1;

	f->insns = NULL;
	f->len = 0;
	if (!expr || !*expr)
		return 0;

	p = pcap_open_dead(DLT_RAW, 65535);
	if (!p) {
		snprintf(err, errlen, "libpcap: cannot create a compiler handle");
		return -1;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		/* the reason first: a long expression must not hide it */
		snprintf(err, errlen, "bad pcap filter: %s (in '%.60s%s')",
			 pcap_geterr(p), expr, strlen(expr) > 60 ? "..." : "");
		goto out;
	}
	if (prog.bf_len > IPTT_FILTER_MAX) {
		snprintf(err, errlen,
			 "pcap filter compiles to %u instructions, more than the kernel's %d: simplify it (in '%.60s%s')",
			 prog.bf_len, IPTT_FILTER_MAX, expr,
			 strlen(expr) > 60 ? "..." : "");
		goto free_prog;
	}
	_Static_assert(sizeof(struct bpf_insn) == sizeof(struct iptt_insn),
		       "struct bpf_insn and struct iptt_insn differ");
	f->insns = calloc(prog.bf_len, sizeof(*f->insns));
	if (!f->insns) {
		snprintf(err, errlen, "out of memory");
		goto free_prog;
	}
	memcpy(f->insns, prog.bf_insns, prog.bf_len * sizeof(*f->insns));
	f->len = prog.bf_len;
	ret = 0;
free_prog:
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return ret;
}

void iptt_filter_free(struct iptt_filter *f)
{
	free(f->insns);
	f->insns = NULL;
	f->len = 0;
}

char *iptt_filter_join(int argc, char **argv)
{
	size_t n = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = calloc(1, n);
	if (!s)
		return NULL;
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}
