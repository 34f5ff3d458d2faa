/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel types that vmlinux.h does not carry, and the per-architecture layout
 * of nf_log_trace()'s variadic arguments.
 */
#ifndef IPTTRACE_KERNEL_TYPES_BPF_H
#define IPTTRACE_KERNEL_TYPES_BPF_H

/*
 * struct xt_table lives in the x_tables module, so vmlinux BTF has no
 * definition; CO-RE relocates these fields against the module's BTF.
 * Only the fields read here are declared.
 */
struct xt_table {
	__u8 af;
	char name[32];
} __attribute__((preserve_access_index));

/*
 * nf_log_trace(net, pf, hooknum, skb, in, out, loginfo, fmt, ...) is
 * variadic, so it cannot be an fentry target and the arguments after the
 * register ones must be read from the stack.  ip_tables/ip6_tables call it
 * with "TRACE: %s:%s:%s:%u " and (tablename, chainname, comment, rulenum).
 *
 * x86-64 (SysV): di, si, dx, cx, r8, r9 carry the first six arguments;
 *   loginfo, fmt and the variadic ones follow on the stack in 8-byte slots.
 *   At function entry sp points at the return address, so stack slot i is
 *   at sp + 8 * (i + 1): loginfo sp+8, fmt sp+16, tablename sp+24, ...
 * arm64 (AAPCS64, Linux): x0..x7 carry all eight named arguments, and the
 *   variadic ones start at sp+0 in 8-byte slots.
 *
 * IPTT_VARG(ctx, n) is the address of the n-th variadic argument, and
 * IPTT_PT_REGS_PARM6() the sixth register argument (libbpf 1.1 stops at 5).
 */
#if defined(__TARGET_ARCH_x86)
#define IPTT_VARG(ctx, n)	(PT_REGS_SP(ctx) + 8 * ((n) + 3))
#define IPTT_PT_REGS_PARM6(ctx)	(((struct pt_regs *)(ctx))->r9)
#elif defined(__TARGET_ARCH_arm64)
#define IPTT_VARG(ctx, n)	(PT_REGS_SP(ctx) + 8 * (n))
#define IPTT_PT_REGS_PARM6(ctx)	(((struct user_pt_regs *)(ctx))->regs[5])
#else
#error "nf_log_trace argument layout is known for x86-64 and arm64 only"
#endif

#define IPTT_VARG_TABLE		0
#define IPTT_VARG_CHAIN		1
#define IPTT_VARG_COMMENT	2
#define IPTT_VARG_RULENUM	3

/*
 * skb->nf_trace: the test every untraced packet pays at every probe.  fentry,
 * fexit and tp_btf programs get typed (BTF) arguments and read it with one
 * load; a kprobe's arguments are plain register values and need
 * bpf_probe_read_kernel(), a helper call that cost about a hundred
 * instructions per table call in make bench.  btf must be a constant.
 */
#define IPTT_SKB_NF_TRACE(skb, btf)					\
	((btf) ? BPF_CORE_READ_BITFIELD(skb, nf_trace) :		\
		 BPF_CORE_READ_BITFIELD_PROBED(skb, nf_trace))

/* Values of the uapi constants that vmlinux.h (BTF) cannot carry. */
#define IPTT_ETH_P_IP		0x0800
#define IPTT_NF_VERDICT_MASK	0x000000ff

#endif /* IPTTRACE_KERNEL_TYPES_BPF_H */
