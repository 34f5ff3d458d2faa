// SPDX-License-Identifier: GPL-2.0
/* The kernel's BTF, parsed once: see kbtf.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kbtf.h"

#define IPTT_KBTF_MODULES	8	/* ip_tables, ip6_tables, x_tables, nf_tables: room to spare */

static struct btf *vmlinux;
static bool vmlinux_tried;

static struct {
	char *name;
	struct btf *btf;	/* NULL: looked for, not there */
} modules[IPTT_KBTF_MODULES];

struct btf *iptt_vmlinux_btf(void)
{
	if (!vmlinux_tried) {
		vmlinux_tried = true;
		vmlinux = btf__load_vmlinux_btf();	/* NULL if none (libbpf 1.x) */
	}
	return vmlinux;
}

struct btf *iptt_module_btf(const char *module)
{
	struct btf *base = iptt_vmlinux_btf();
	int i;

	if (!base)
		return NULL;
	for (i = 0; i < IPTT_KBTF_MODULES && modules[i].name; i++)
		if (!strcmp(modules[i].name, module))
			return modules[i].btf;
	if (i == IPTT_KBTF_MODULES)	/* full: answer without caching */
		return NULL;
	modules[i].name = strdup(module);
	if (!modules[i].name)
		return NULL;
	modules[i].btf = btf__load_module_btf(module, base);
	return modules[i].btf;
}

void iptt_kbtf_free(void)
{
	int i;

	for (i = 0; i < IPTT_KBTF_MODULES; i++) {
		btf__free(modules[i].btf);
		free(modules[i].name);
		modules[i].btf = NULL;
		modules[i].name = NULL;
	}
	btf__free(vmlinux);
	vmlinux = NULL;
	vmlinux_tried = false;
}
