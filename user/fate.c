// SPDX-License-Identifier: GPL-2.0
/*
 * Packet fate: naming and explaining the IPTT_EV_FATE events.
 *
 * Drop reasons are the kernel's enum skb_drop_reason, read from vmlinux BTF
 * at run time (the values differ between kernels: never a table of ours);
 * the dropping function is the kfree_skb tracepoint's location, resolved
 * through /proc/kallsyms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "decode.h"
#include "fate.h"
#include "ipttrace.skel.h"
#include "kbtf.h"

static bool enabled;

bool iptt_fate_enabled(void)
{
	return enabled;
}

void iptt_fate_set_enabled(bool on)
{
	enabled = on;
}

/* The kernel has everything the fate programs attach to. */
static bool kernel_has_targets(void)
{
	static const char *const funcs[] = {
		"ip_protocol_deliver_rcu", "ip6_protocol_deliver_rcu",
	};
	static const char *const tps[] = {
		"btf_trace_kfree_skb", "btf_trace_net_dev_start_xmit",
	};
	struct btf *btf = iptt_vmlinux_btf();
	bool ok = btf != NULL;
	unsigned int i;

	for (i = 0; ok && i < sizeof(funcs) / sizeof(funcs[0]); i++)
		ok = btf__find_by_name_kind(btf, funcs[i], BTF_KIND_FUNC) > 0;
	for (i = 0; ok && i < sizeof(tps) / sizeof(tps[0]); i++)
		ok = btf__find_by_name_kind(btf, tps[i], BTF_KIND_TYPEDEF) > 0;
	return ok;
}

void iptt_fate_autoload(struct ipttrace_bpf *s, bool trace, bool fentry)
{
	bool on = trace && fentry && !getenv("IPTTRACE_NO_FATE") &&
		  kernel_has_targets();

	bpf_program__set_autoload(s->progs.fate_kfree_skb, on);
	bpf_program__set_autoload(s->progs.fate_xmit, on);
	bpf_program__set_autoload(s->progs.fate_deliver4, on);
	bpf_program__set_autoload(s->progs.fate_deliver4_exit, on);
	bpf_program__set_autoload(s->progs.fate_deliver6, on);
	bpf_program__set_autoload(s->progs.fate_deliver6_exit, on);
	enabled = on;
}

const char *iptt_fate_name(unsigned int fate)
{
	switch (fate) {
	case IPTT_FATE_DROPPED:		return "dropped";
	case IPTT_FATE_DELIVERED:	return "delivered";
	case IPTT_FATE_FORWARDED:	return "forwarded";
	case IPTT_FATE_SENT:		return "sent";
	default:			return "unknown";
	}
}

/* ---- drop reasons ---- */

#define REASON_PREFIX	"SKB_DROP_REASON_"

/* The name of value val of enum skb_drop_reason (BTF type id), or NULL. */
static const char *reason_name(const struct btf *btf, __s32 id, unsigned int val,
			       char *buf, size_t len)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	const char *name;
	int i;

	if (id <= 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	if (!t)
		return NULL;
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		if ((unsigned int)e->val != val)
			continue;
		name = btf__name_by_offset(btf, e->name_off);
		if (!name)
			return NULL;
		if (!strncmp(name, REASON_PREFIX, strlen(REASON_PREFIX)))
			name += strlen(REASON_PREFIX);
		snprintf(buf, len, "%s", name);
		return buf;
	}
	return NULL;
}

const char *iptt_drop_reason_btf(const struct btf *btf, unsigned int val,
				 char *buf, size_t len)
{
	if (!btf || !len)
		return NULL;
	return reason_name(btf, btf__find_by_name_kind(btf, "skb_drop_reason",
						       BTF_KIND_ENUM),
			   val, buf, len);
}

/*
 * The kernel's enum is looked up once per run, not once per dropped packet:
 * a lookup by name scans every type of vmlinux (about 150,000).  Type ids
 * are those of the kernel's BTF file, the same in every parse of it.
 */
static __s32 kernel_reason_id;

const char *iptt_drop_reason(unsigned int val, char *buf, size_t len)
{
	const struct btf *btf = iptt_vmlinux_btf();

	if (btf && len && !kernel_reason_id)
		kernel_reason_id = btf__find_by_name_kind(btf, "skb_drop_reason",
							  BTF_KIND_ENUM);
	if (btf && len && reason_name(btf, kernel_reason_id, val, buf, len))
		return buf;
	snprintf(buf, len, "reason %u", val);
	return buf;
}

static const struct { const char *name, *hint; } hints[] = {
	{ "NOT_SPECIFIED", "the kernel gave no reason (kfree_skb without one): see the function" },
	{ "NO_SOCKET", "no socket listens on this port (the kernel answers with a TCP RST or ICMP port unreachable)" },
	{ "SOCKET_RCVBUFF", "the socket's receive queue is full: the application does not read fast enough (SO_RCVBUF, net.core.rmem_*)" },
	{ "SOCKET_FILTER", "a socket filter (SO_ATTACH_FILTER/BPF) rejected it" },
	{ "TCP_CSUM", "bad TCP checksum (checksum offload, or corruption on the way)" },
	{ "UDP_CSUM", "bad UDP checksum (checksum offload, or corruption on the way)" },
	{ "IP_CSUM", "bad IPv4 header checksum" },
	{ "NETFILTER_DROP", "dropped by a firewall rule or policy" },
	{ "IP_RPFILTER", "reverse path filter: the source is not routed back through the incoming interface; see net.ipv4.conf.*.rp_filter" },
	{ "IP_NOROUTE", "no route to the destination (ip route get)" },
	{ "IP_INADDRERRORS", "bad destination address: no route or not a local address" },
	{ "IP_INNOROUTES", "no route to the destination (ip route get)" },
	{ "IP_OUTNOROUTES", "no route for a locally generated packet (ip route get)" },
	{ "NEIGH_FAILED", "the next hop never answered ARP/neighbour discovery (ip neigh)" },
	{ "NEIGH_QUEUEFULL", "too many packets waiting for neighbour resolution (ip neigh, gc_thresh, unres_qlen)" },
	{ "OTHERHOST", "the packet is for another host's MAC address" },
	{ "PKT_TOO_SMALL", "truncated packet" },
	{ "TCP_FLAGS", "TCP flags make no sense for this connection" },
	{ "TCP_INVALID_SEQUENCE", "TCP segment outside the receive window" },
	{ "TCP_OLD_DATA", "TCP data already received" },
	{ "XFRM_POLICY", "an IPsec (xfrm) policy rejected it" },
	{ "QDISC_DROP", "the egress queueing discipline dropped it (tc -s qdisc)" },
	{ "FULL_RING", "the device's queue is full" },
	{ "DEV_READY", "the egress device is down or not ready" },
	{ "IP_TUNNEL_ECN", "the tunnel's ECN bits are inconsistent" },
	{ "UNHANDLED_PROTO", "no handler for this protocol here" },
};

const char *iptt_drop_hint(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(hints[i].name, name))
			return hints[i].hint;
	return NULL;
}

/* ---- kallsyms ---- */

struct ksym {
	unsigned long long addr;
	char *name;
};

static struct ksym *ksyms;
static size_t nksyms;
static char *ksyms_path;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_free(void)
{
	size_t i;

	for (i = 0; i < nksyms; i++)
		free(ksyms[i].name);
	free(ksyms);
	free(ksyms_path);
	ksyms = NULL;
	ksyms_path = NULL;
	nksyms = 0;
}

static void ksyms_load(const char *path)
{
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	FILE *f;

	if (ksyms_path && !strcmp(ksyms_path, path))
		return;
	ksyms_free();
	ksyms_path = strdup(path);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (!addr || (type != 't' && type != 'T'))
			continue;
		if (nksyms == cap) {
			size_t nc = cap ? cap * 2 : 4096;
			struct ksym *n = realloc(ksyms, nc * sizeof(*n));

			if (!n)
				break;
			ksyms = n;
			cap = nc;
		}
		ksyms[nksyms].addr = addr;
		ksyms[nksyms].name = strdup(name);
		if (ksyms[nksyms].name)
			nksyms++;
	}
	fclose(f);
	qsort(ksyms, nksyms, sizeof(*ksyms), ksym_cmp);
}

const char *iptt_ksym(const char *path, unsigned long long addr, char *buf,
		      size_t len, char *func, size_t funclen)
{
	size_t lo = 0, hi;

	ksyms_load(path ? path : "/proc/kallsyms");
	hi = nksyms;
	if (!nksyms || addr < ksyms[0].addr)
		return NULL;
	while (hi - lo > 1) {	/* last symbol at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	snprintf(buf, len, "%s+0x%llx", ksyms[lo].name, addr - ksyms[lo].addr);
	if (func)
		snprintf(func, funclen, "%s", ksyms[lo].name);
	return buf;
}

/* ---- formatting ---- */

static const char *proto_name(unsigned int proto, char *buf, size_t len)
{
	return iptt_proto_name(proto, buf, len);
}

static bool has_ports(unsigned int proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* "the packet left ipttrace's view" explanations for unknown */
static const char *unknown_why(const struct iptt_fate_ctx *c, const char *why)
{
	if (why)
		return why;
	if (c && c->verdict && !strcmp(c->verdict, "QUEUE"))
		return "queued to userspace (NFQUEUE): it left ipttrace's view";
	if (c && c->verdict && !strcmp(c->verdict, "STOLEN"))
		return "taken by a netfilter hook (STOLEN): it left ipttrace's view";
	return "no end of its journey was seen";
}

void iptt_fate_format(const struct iptt_fate *f, const struct iptt_fate_ctx *c,
		      const char *why, char *buf, size_t len)
{
	char reason[96], sym[192], p[16];
	const char *r, *hint, *loc;
	int n;

	if (!f || f->fate == IPTT_FATE_UNKNOWN) {
		snprintf(buf, len, "    fate: unknown: %s", unknown_why(c, why));
		return;
	}
	switch (f->fate) {
	case IPTT_FATE_DELIVERED:
		if (has_ports(f->proto))
			snprintf(buf, len, "    fate: delivered locally to %s port %u (netns %u)",
				 proto_name(f->proto, p, sizeof(p)), f->dport, f->netns);
		else
			snprintf(buf, len, "    fate: delivered locally to %s (netns %u)",
				 proto_name(f->proto, p, sizeof(p)), f->netns);
		return;
	case IPTT_FATE_FORWARDED:
	case IPTT_FATE_SENT:
		snprintf(buf, len, "    fate: %s out %s (netns %u)",
			 iptt_fate_name(f->fate), f->dev[0] ? f->dev : "?", f->netns);
		return;
	}
	r = iptt_drop_reason(f->reason, reason, sizeof(reason));
	loc = iptt_ksym(c ? c->kallsyms : NULL, f->location, sym, sizeof(sym), NULL, 0);
	n = snprintf(buf, len, "    fate: dropped %s", r);
	if (n >= 0 && (size_t)n < len && !strcmp(r, "NETFILTER_DROP") && c && c->rule)
		n += snprintf(buf + n, len - n, " by %s%s%s%s", c->rule,
			      c->rule_text ? " (" : "", c->rule_text ? c->rule_text : "",
			      c->rule_text ? ")" : "");
	if (n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " in %s", loc ? loc : "?");
	if (n >= 0 && (size_t)n < len && f->dev[0])
		n += snprintf(buf + n, len - n, " (dev %s netns %u)", f->dev, f->netns);
	hint = iptt_drop_hint(r);
	if (c && c->verdict && !strcmp(c->verdict, "QUEUE"))
		hint = "NFQUEUE verdict with no program listening on the queue (--queue-bypass lets such packets pass)";
	if (n >= 0 && (size_t)n < len && hint)
		snprintf(buf + n, len - n, ": %s", hint);
}

void iptt_fate_json(struct jw *w, const struct iptt_fate *f,
		    const struct iptt_fate_ctx *c, const char *why)
{
	char reason[96], sym[192], func[128], p[16];
	const char *r, *hint, *loc;

	if (!f || f->fate == IPTT_FATE_UNKNOWN) {
		jw_str(w, "fate", "unknown");
		jw_str(w, "why", unknown_why(c, why));
		return;
	}
	jw_str(w, "fate", iptt_fate_name(f->fate));
	jw_u64(w, "netns", f->netns);
	switch (f->fate) {
	case IPTT_FATE_DELIVERED:
		jw_str(w, "proto", proto_name(f->proto, p, sizeof(p)));
		if (has_ports(f->proto)) {
			jw_u64(w, "port", f->dport);
			jw_u64(w, "sport", f->sport);
		}
		return;
	case IPTT_FATE_FORWARDED:
	case IPTT_FATE_SENT:
		jw_str(w, "interface", f->dev);
		jw_u64(w, "ifindex", f->ifindex);
		return;
	}
	r = iptt_drop_reason(f->reason, reason, sizeof(reason));
	jw_str(w, "reason", r);
	jw_u64(w, "reason_code", f->reason);
	loc = iptt_ksym(c ? c->kallsyms : NULL, f->location, sym, sizeof(sym),
			func, sizeof(func));
	if (loc) {
		jw_str(w, "function", func);
		jw_str(w, "location", loc);
	}
	if (f->dev[0])
		jw_str(w, "dev", f->dev);
	if (!strcmp(r, "NETFILTER_DROP") && c && c->rule) {
		jw_str(w, "rule", c->rule);
		jw_str(w, "rule_text", c->rule_text);
	}
	if (c && c->verdict)
		jw_str(w, "last_verdict", c->verdict);
	hint = iptt_drop_hint(r);
	if (c && c->verdict && !strcmp(c->verdict, "QUEUE"))
		hint = "NFQUEUE verdict with no program listening on the queue (--queue-bypass lets such packets pass)";
	jw_str(w, "hint", hint);
}

/* ---- --summary ---- */

#define MAX_REASONS	128

static unsigned long long fate_n[IPTT_FATE_SENT + 1];
static struct { char name[96]; unsigned long long n; } reasons[MAX_REASONS];
static unsigned int nreasons;

void iptt_fate_count(const struct iptt_fate *f)
{
	char buf[96];
	unsigned int i;

	if (!f || f->fate > IPTT_FATE_SENT) {
		fate_n[IPTT_FATE_UNKNOWN]++;
		return;
	}
	fate_n[f->fate]++;
	if (f->fate != IPTT_FATE_DROPPED)
		return;
	iptt_drop_reason(f->reason, buf, sizeof(buf));
	for (i = 0; i < nreasons; i++)
		if (!strcmp(reasons[i].name, buf))
			break;
	if (i == nreasons) {
		if (nreasons == MAX_REASONS)
			return;
		snprintf(reasons[nreasons++].name, sizeof(reasons[0].name), "%s", buf);
	}
	reasons[i].n++;
}

void iptt_fate_summary_print(FILE *out, bool json)
{
	static const unsigned int order[] = {
		IPTT_FATE_DELIVERED, IPTT_FATE_FORWARDED, IPTT_FATE_SENT,
		IPTT_FATE_DROPPED, IPTT_FATE_UNKNOWN,
	};
	unsigned long long total = 0;
	struct jw w = { 0 };
	const char *line;
	unsigned int i;
	size_t len;

	for (i = 0; i <= IPTT_FATE_SENT; i++)
		total += fate_n[i];
	if (!enabled && !total)
		return;
	if (json) {
		jw_begin(&w);
		jw_str(&w, "event", "summary_fates");
		jw_obj_begin(&w, "fates");
		for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			jw_u64(&w, iptt_fate_name(order[i]), fate_n[order[i]]);
		jw_obj_end(&w);
		jw_obj_begin(&w, "drop_reasons");
		for (i = 0; i < nreasons; i++)
			jw_u64(&w, reasons[i].name, reasons[i].n);
		jw_obj_end(&w);
		line = jw_end(&w, &len);
		if (line)
			fwrite(line, 1, len, out);
		jw_free(&w);
		return;
	}
	fprintf(out, "\nPacket fates (traced packets):\n");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		fprintf(out, "%10llu  %s\n", fate_n[order[i]], iptt_fate_name(order[i]));
	if (nreasons) {
		fprintf(out, "\nDrop reasons:\n");
		for (i = 0; i < nreasons; i++)
			fprintf(out, "%10llu  %s\n", reasons[i].n, reasons[i].name);
	}
}

void iptt_fate_free(void)
{
	memset(fate_n, 0, sizeof(fate_n));
	nreasons = 0;
	kernel_reason_id = 0;
	ksyms_free();
}
