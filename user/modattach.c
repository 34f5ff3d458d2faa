// SPDX-License-Identifier: GPL-2.0
/*
 * fentry/fexit on module functions (nf_tables, ip_tables, x_tables), without
 * libbpf's target search.
 *
 * For SEC("fentry/FUNC") libbpf 1.1 looks FUNC up in vmlinux's BTF and then
 * in each loaded module's BTF in load order, and each module's lookup
 * (btf__find_by_name_kind on split BTF) starts over from vmlinux's first
 * type: one nf_tables target costs a full vmlinux scan per module loaded
 * before nf_tables.  Measured in the lab (6.12, icount, iptables-nft
 * ruleset, about 80 module BTFs): 0.27 s per program, 5 programs.  Here
 * the section names the module, and the function is searched among that
 * module's own types only.  A module built into this kernel has no BTF of
 * its own: then the function is in vmlinux's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "modattach.h"

#define MAX_MODS	8

static struct {
	char name[64];
	int fd;		/* the module's BTF object, for attach_btf_obj_fd */
} mods[MAX_MODS];
static int nmods;

/* the kernel's BTF object named @module: what libbpf's load_module_btfs() finds */
static int module_btf_fd(const char *module)
{
	__u32 id = 0;
	int i, fd;

	for (i = 0; i < nmods; i++)
		if (!strcmp(mods[i].name, module))
			return mods[i].fd;
	if (nmods == MAX_MODS)
		return -ENOSPC;
	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info;
		__u32 len = sizeof(info);
		char name[64];

		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;	/* gone since */
		memset(&info, 0, sizeof(info));
		info.name = (unsigned long)name;
		info.name_len = sizeof(name);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
		    !strcmp(name, module)) {
			snprintf(mods[nmods].name, sizeof(mods[nmods].name), "%s", module);
			mods[nmods++].fd = fd;
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

/* FUNC among @mod's own types (not its base's); -ENOENT if not there */
static int own_func_id(const struct btf *mod, const char *func)
{
	int id = btf__type_cnt(btf__base_btf(mod)), n = btf__type_cnt(mod);

	for (; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(mod, id);

		if (btf_is_func(t) && !strcmp(btf__name_by_offset(mod, t->name_off), func))
			return id;
	}
	return -ENOENT;
}

static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
			long cookie)
{
	const char *target = strchr(bpf_program__section_name(prog), '/') + 1;
	const char *func = strchr(target, ':');
	struct btf *btf;
	char module[64];
	int id, fd = 0;

	if (!func || func - target >= (int)sizeof(module))
		return -EINVAL;
	snprintf(module, sizeof(module), "%.*s", (int)(func - target), target);
	func++;
	btf = iptt_module_btf(module);
	if (btf) {
		id = own_func_id(btf, func);
		fd = id < 0 ? id : module_btf_fd(module);
	} else {
		btf = iptt_vmlinux_btf();	/* built in, or not loaded */
		id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;
	}
	if (id < 0 || fd < 0)	/* libbpf says which program (-v) */
		return id < 0 ? id : fd;
	opts->attach_btf_obj_fd = fd;	/* 0: vmlinux */
	opts->attach_btf_id = id;
	return 0;
}

static int attach(const struct bpf_program *prog, long cookie, struct bpf_link **link)
{
	*link = bpf_program__attach_trace(prog);
	return *link ? 0 : -errno;
}

int iptt_modattach_register(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		.prog_prepare_load_fn = prepare_load,
		.prog_attach_fn = attach,
	);
	static int done;
	int err;

	if (done)
		return 0;
	err = libbpf_register_prog_handler("fentry.mod/", BPF_PROG_TYPE_TRACING,
					   BPF_TRACE_FENTRY, &o);
	if (err < 0)
		return err;
	err = libbpf_register_prog_handler("fexit.mod/", BPF_PROG_TYPE_TRACING,
					   BPF_TRACE_FEXIT, &o);
	if (err < 0)
		return err;
	done = 1;
	return 0;
}

void iptt_modattach_release(void)
{
	while (nmods)
		close(mods[--nmods].fd);
}
