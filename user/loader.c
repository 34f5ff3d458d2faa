// SPDX-License-Identifier: GPL-2.0
/*
 * BPF set-up: which programs to load, in which flavour, and the kernel facts
 * they depend on.  fentry/fexit are cheaper than kprobes but need BPF
 * trampolines and the target module's BTF; --probe auto tries them first and
 * falls back to kprobe/kretprobe, reopening the skeleton from scratch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ipttrace.skel.h"
#include "fate.h"
#include "kbtf.h"
#include "loader.h"
#include "modattach.h"
#include "nft.h"

static int verbose_level;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (verbose_level < 2 && level == LIBBPF_DEBUG)
		return 0;
	if (verbose_level < 1)
		return 0;	/* our own one-line error says what failed */
	return vfprintf(stderr, fmt, args);
}

int iptt_check_kernel(bool *v4, bool *v6)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr,
			"ipttrace: this kernel has no BTF (/sys/kernel/btf/vmlinux missing): ipttrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -1;
	}
	*v4 = access("/sys/module/ip_tables", F_OK) == 0;
	*v6 = access("/sys/module/ip6_tables", F_OK) == 0;
	if (iptt_backend_choice == IPTT_BACKEND_NFT)
		*v4 = *v6 = false;
	/* nf_tables: traced if loaded and its layout is known (user/nft.c) */
	iptt_nft_detect(verbose_level);
	return iptt_backend_check(*v4 || *v6);
}

/*
 * ipt_do_table(skb, state, table) became ipt_do_table(priv, skb, state) in
 * 5.16.  Read the first parameter's type from the module's BTF; without BTF
 * fall back to the kernel version.
 */
static bool do_table_skb_first(void)
{
	const struct btf_param *p;
	const struct btf_type *t;
	struct btf *mod;
	bool skb_first = false;
	struct utsname u;
	int id, maj = 0, min = 0;

	mod = iptt_module_btf("ip_tables");
	if (!mod) {
		uname(&u);
		sscanf(u.release, "%d.%d", &maj, &min);
		skb_first = maj < 5 || (maj == 5 && min < 16);
		goto out;
	}
	id = btf__find_by_name_kind(mod, "ipt_do_table", BTF_KIND_FUNC);
	if (id < 0)
		goto out;
	t = btf__type_by_id(mod, btf__type_by_id(mod, id)->type);
	if (!t || btf_vlen(t) < 1)
		goto out;
	p = btf_params(t);
	t = btf__type_by_id(mod, p[0].type);
	while (t && (btf_is_ptr(t) || btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(mod, t->type);
	skb_first = t && btf_is_struct(t) &&
		    !strcmp(btf__name_by_offset(mod, t->name_off), "sk_buff");
out:
	return skb_first;
}

static void set_autoload(struct ipttrace_bpf *s, bool trace, bool v4, bool v6,
			 bool fentry)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->obj)
		bpf_program__set_autoload(prog, false);

	bpf_program__set_autoload(fentry ? s->progs.ipt_enter : s->progs.ipt_enter_kp, v4);
	bpf_program__set_autoload(fentry ? s->progs.ipt_exit : s->progs.ipt_exit_kp, v4);
	bpf_program__set_autoload(fentry ? s->progs.ip6t_enter : s->progs.ip6t_enter_kp, v6);
	bpf_program__set_autoload(fentry ? s->progs.ip6t_exit : s->progs.ip6t_exit_kp, v6);
	iptt_nft_autoload(s, trace, fentry);
	iptt_fate_autoload(s, trace, fentry);	/* packet fate */
	if (!trace)
		return;
	bpf_program__set_autoload(s->progs.packet_selected, true);
	if (!v4 && !v6)
		return;		/* nf_tables only: x_tables may not even be loaded */
	bpf_program__set_autoload(s->progs.nf_log_trace, true);
	bpf_program__set_autoload(fentry ? s->progs.replace_enter : s->progs.replace_enter_kp, true);
	bpf_program__set_autoload(fentry ? s->progs.replace_exit : s->progs.replace_exit_kp, true);
}

static int try_load(struct iptt_bpf *b, const struct iptt_opts *o, bool trace,
		    bool skb_first, bool fentry, char *why, size_t whylen)
{
	struct ipttrace_bpf *s;
	int err;

	/* SEC("fentry.mod/...") must be known before the object is opened */
	err = iptt_modattach_register();
	if (err) {
		snprintf(why, whylen, "registering the module fentry sections: %s", strerror(-err));
		return -1;
	}
	s = ipttrace_bpf__open();
	if (!s) {
		snprintf(why, whylen, "opening the BPF object: %s", strerror(errno));
		return -1;
	}
	s->rodata->cfg.trace = trace;
	s->rodata->cfg.latency = !trace;
	s->rodata->cfg.args_skb_first = skb_first;
	s->rodata->cfg.lazy_frames = trace && fentry;
	s->rodata->cfg.netns = b->netns;
	s->rodata->snaplen = trace && o->pcapng ? o->snaplen : 0;	/* -w */
	/* latency mode sends no events: keep the ring buffer minimal */
	bpf_map__set_max_entries(s->maps.events, !trace ? (unsigned long)getpagesize() :
				 o->buffer_size ? o->buffer_size : 8UL << 20);
	/*
	 * Trace mode keeps no histograms: their per-CPU hashes are
	 * preallocated (4096 entries times every CPU), which was a visible
	 * part of the start-up.
	 */
	if (trace) {
		bpf_map__set_max_entries(s->maps.hists, 1);
		bpf_map__set_max_entries(s->maps.nft_hists, 1);
	}
	set_autoload(s, trace, b->v4, b->v6, fentry);

	err = ipttrace_bpf__load(s);
	iptt_modattach_release();	/* the programs hold their targets' BTF */
	if (err) {
		snprintf(why, whylen, "loading the %s programs: %s",
			 fentry ? "fentry" : "kprobe", strerror(-err));
		ipttrace_bpf__destroy(s);
		return -1;
	}
	err = ipttrace_bpf__attach(s);
	if (err) {
		snprintf(why, whylen, "attaching the %s programs: %s",
			 fentry ? "fentry" : "kprobe", strerror(-err));
		ipttrace_bpf__destroy(s);
		return -1;
	}
	b->skel = s;
	b->used = fentry ? IPTT_PROBE_FENTRY : IPTT_PROBE_KPROBE;
	iptt_nft_bind(s);
	return 0;
}

int iptt_bpf_start(struct iptt_bpf *b, const struct iptt_opts *o, bool trace,
		   ring_buffer_sample_fn cb, void *ctx)
{
	char why[256] = "";
	bool skb_first;
	int err = -1;

	verbose_level = o->verbose;
	libbpf_set_print(libbpf_print);
	b->skel = NULL;
	b->rb = NULL;
	if (iptt_check_kernel(&b->v4, &b->v6))
		return -1;
	if (o->ipv4 && !b->v4 && !iptt_nft_traced()) {
		fprintf(stderr, "ipttrace: -4 given but ip_tables is not loaded: no IPv4 iptables-legacy ruleset here\n");
		return -1;
	}
	if (o->ipv6 && !b->v6 && !iptt_nft_traced()) {
		fprintf(stderr, "ipttrace: -6 given but ip6_tables is not loaded: no IPv6 ip6tables-legacy ruleset here\n");
		return -1;
	}
	if (o->ipv4)
		b->v6 = false;
	if (o->ipv6)
		b->v4 = false;
	if (o->verbose && !b->v6)
		fprintf(stderr, "ipttrace: ip6_tables not loaded: IPv6 not traced\n");
	if (o->verbose && !b->v4)
		fprintf(stderr, "ipttrace: ip_tables not loaded: IPv4 not traced\n");

	skb_first = do_table_skb_first();
	if (o->probe != IPTT_PROBE_KPROBE)
		err = try_load(b, o, trace, skb_first, true, why, sizeof(why));
	if (err && o->probe == IPTT_PROBE_AUTO) {
		if (o->verbose)
			fprintf(stderr, "ipttrace: fentry unavailable (%s); using kprobes\n", why);
		err = try_load(b, o, trace, skb_first, false, why, sizeof(why));
	} else if (err && o->probe == IPTT_PROBE_KPROBE) {
		err = try_load(b, o, trace, skb_first, false, why, sizeof(why));
	}
	if (err) {
		fprintf(stderr, "ipttrace: %s (run with -v for libbpf's log; needs root, kprobes and BPF trampolines or kprobes)\n",
			why);
		return -1;
	}
	if (o->verbose)
		fprintf(stderr, "ipttrace: attached with %s, %s argument order\n",
			b->used == IPTT_PROBE_FENTRY ? "fentry/fexit" : "kprobe/kretprobe",
			skb_first ? "pre-5.16" : "5.16+");
	if (trace) {
		b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.events), cb, ctx, NULL);
		if (!b->rb) {
			fprintf(stderr, "ipttrace: cannot map the ring buffer: %s\n", strerror(errno));
			iptt_bpf_stop(b);
			return -1;
		}
	}
	/*
	 * Everything that reads the kernel's BTF to set up is done: give its
	 * megabytes back.  A drop reason's name is read from it again, once,
	 * on the first dropped packet (user/fate.c).
	 */
	iptt_kbtf_free();
	return 0;
}

void iptt_bpf_stop(struct iptt_bpf *b)
{
	ring_buffer__free(b->rb);
	b->rb = NULL;
	ipttrace_bpf__destroy(b->skel);
	b->skel = NULL;
}

unsigned long long iptt_bpf_lost(const struct iptt_bpf *b)
{
	return b->skel ? __atomic_load_n(&b->skel->bss->lost_events, __ATOMIC_RELAXED) : 0;
}

/* packets the consumer guard muted (bpf/ipttrace.bpf.c, IPTT_ID_MUTED) */
unsigned long long iptt_bpf_muted(const struct iptt_bpf *b)
{
	return b->skel ? __atomic_load_n(&b->skel->bss->muted_packets, __ATOMIC_RELAXED) : 0;
}

unsigned long long iptt_bpf_overflows(const struct iptt_bpf *b)
{
	return b->skel ? __atomic_load_n(&b->skel->bss->stack_overflows, __ATOMIC_RELAXED) : 0;
}

#define BSS(b, field) \
	((b)->skel ? __atomic_load_n(&(b)->skel->bss->field, __ATOMIC_RELAXED) : 0)

unsigned long long iptt_bpf_unmatched_exits(const struct iptt_bpf *b)
{
	return BSS(b, unmatched_exits);
}

unsigned long long iptt_bpf_log_calls_seen(const struct iptt_bpf *b)
{
	return BSS(b, log_calls_seen);
}

unsigned long long iptt_bpf_log_calls_unattributed(const struct iptt_bpf *b)
{
	return BSS(b, log_calls_unattributed);
}

/*
 * Runs of our programs the kernel skipped because another BPF program was
 * running on that CPU (bpf_prog_info.recursion_misses, 5.12+): a nested
 * softirq hitting a table while an entry or exit program ran.
 */
int iptt_bpf_recursion_misses(const struct iptt_bpf *b, struct iptt_miss *out,
			      int max)
{
	struct bpf_program *prog;
	int n = 0;

	if (!b->skel)
		return 0;
	bpf_object__for_each_program(prog, b->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || !bpf_program__autoload(prog))
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.recursion_misses)
			continue;
		if (n < max) {
			out[n].name = bpf_program__name(prog);
			out[n].count = info.recursion_misses;
			n++;
		}
	}
	return n;
}

unsigned int iptt_bpf_gen(const struct iptt_bpf *b)
{
	return b->skel ? __atomic_load_n(&b->skel->bss->ruleset_gen, __ATOMIC_ACQUIRE) : 0;
}

int iptt_bpf_hists_fd(const struct iptt_bpf *b)
{
	return bpf_map__fd(b->skel->maps.hists);
}

int iptt_kernel_version_ok(const char *release, char *why, size_t whylen)
{
	int maj = 0, min = 0;

	if (sscanf(release, "%d.%d", &maj, &min) != 2) {
		snprintf(why, whylen, "cannot read the kernel version from '%s'", release);
		return -1;
	}
	if (maj > IPTT_MIN_KERNEL_MAJOR ||
	    (maj == IPTT_MIN_KERNEL_MAJOR && min >= IPTT_MIN_KERNEL_MINOR))
		return 0;
	snprintf(why, whylen,
		 "ipttrace needs Linux %d.%d or later (BPF atomic fetch-and-add, module BTF); this kernel is %s",
		 IPTT_MIN_KERNEL_MAJOR, IPTT_MIN_KERNEL_MINOR, release);
	return -1;
}
