// SPDX-License-Identifier: GPL-2.0
/*
 * Events arrive in ring buffer order, which interleaves packets handled on
 * different CPUs.  Each event carries its packet's trace id, so events are
 * grouped by id: a group is printed when its packet is dropped or when it
 * has been quiet for a while (a packet that is accepted everywhere gives no
 * other sign that it is done).  JSON lines are written as events arrive,
 * each with its id, and the groups only keep the count and the NAT state.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "decode.h"
#include "json.h"
#include "nft.h"
#include "output.h"
#include "rules.h"
#include "ruletext.h"
#include "summary.h"
#include "pcapng.h"
#include "fate.h"

#define MAX_GROUPS	4096	/* packets in flight before the oldest is forced out */
#define MAX_STEPS	512	/* lines kept per packet */

enum line_type { LINE_RULE, LINE_VERDICT, LINE_NAT, LINE_TEXT /* nf_tables, preformatted */ };

struct line {
	enum line_type type;
	union {
		struct iptt_rule rule;
		struct iptt_verdict verdict;
		struct {
			struct iptt_tuple from, to;
			char after[IPTT_TABLE_LEN + IPTT_CHAIN_LEN + 24];
		} nat;
	};
	char *text;		/* rule text or why it is missing */
	bool text_known;
};

struct group {
	unsigned long long id;
	unsigned long long last_ns;
	bool have_packet;
	bool done;
	struct iptt_packet pkt;
	bool have_tuple;
	struct iptt_tuple tuple;	/* addresses as last seen */
	unsigned int family;
	char last_nat[IPTT_TABLE_LEN + IPTT_CHAIN_LEN + 24];
	struct line *lines;
	unsigned int nlines, cap, dropped_lines;
	unsigned int table_start;	/* first line after the last verdict */
	/* packet fate (user/fate.c): what explains it, and whether it came */
	bool have_fate, have_verdict;
	unsigned int last_verdict;
	char last_verdict_table[IPTT_TABLE_LEN];
	char last_rule[2 * IPTT_NFT_NAME_LEN + 48];	/* legacy or nf_tables step */
	char *last_rule_text;
};

static struct iptt_out_cfg cfg;
static struct group *groups[MAX_GROUPS];
static unsigned int ngroups;
static unsigned long finished, started;
static unsigned long long bad_records;
static struct jw jw;

void iptt_out_init(const struct iptt_out_cfg *c)
{
	cfg = *c;
	iptt_nft_out_init(c);
	finished = started = 0;
	bad_records = 0;
}

unsigned long long iptt_out_bad_records(void)
{
	return bad_records;
}

/* ---- formatting helpers ---- */

static const char *color_of(const char *verdict)
{
	if (!cfg.color || !verdict)
		return "";
	if (!strcmp(verdict, "ACCEPT"))
		return "\033[32m";
	if (!strcmp(verdict, "DROP"))
		return "\033[1;31m";
	return "\033[33m";
}

static const char *color_end(void)
{
	return cfg.color ? "\033[0m" : "";
}

static void wall_time(unsigned long long mono_ns, char *buf, size_t len)
{
	long long ns = (long long)mono_ns + cfg.mono_to_real_ns;
	time_t sec = ns / 1000000000LL;
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (ns % 1000000000LL) / 1000);
}

static void fmt_duration(unsigned long long ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%.2f us", ns / 1000.0);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", ns / 1000.0);
	else
		snprintf(buf, len, "%.1f ms", ns / 1000000.0);
}

static void fmt_tuple(unsigned int family, const struct iptt_tuple *t,
		      char *buf, size_t len)
{
	char s[64], d[64], p[16], fl[16];
	bool ports = iptt_has_ports(t->proto);
	const char *proto = iptt_proto_name(t->proto, p, sizeof(p));
	int n;

	iptt_endpoint(family, t->saddr, t->sport, ports, s, sizeof(s));
	iptt_endpoint(family, t->daddr, t->dport, ports, d, sizeof(d));
	n = snprintf(buf, len, "%s > %s %s", s, d, proto);
	if (n < 0 || (size_t)n >= len)
		return;
	if (t->proto == IPPROTO_TCP)
		snprintf(buf + n, len - n, " [%s]",
			 iptt_tcp_flags(t->tcp_flags, fl, sizeof(fl)));
	else if (t->proto == 1 || t->proto == 58)
		snprintf(buf + n, len - n, " type %u code %u", t->icmp_type,
			 t->icmp_code);
}

/* "daddr 10.0.0.1:8080 -> 10.0.2.2:80" for the fields that differ */
static void fmt_nat(unsigned int family, const struct iptt_tuple *a,
		    const struct iptt_tuple *b, char *buf, size_t len)
{
	bool ports = iptt_has_ports(a->proto);
	char x[64], y[64];
	size_t n = 0;

	buf[0] = '\0';
	if (memcmp(a->saddr, b->saddr, 16) || a->sport != b->sport) {
		iptt_endpoint(family, a->saddr, a->sport, ports, x, sizeof(x));
		iptt_endpoint(family, b->saddr, b->sport, ports, y, sizeof(y));
		n += snprintf(buf + n, len - n, "source %s -> %s", x, y);
	}
	if (n < len && (memcmp(a->daddr, b->daddr, 16) || a->dport != b->dport)) {
		iptt_endpoint(family, a->daddr, a->dport, ports, x, sizeof(x));
		iptt_endpoint(family, b->daddr, b->dport, ports, y, sizeof(y));
		snprintf(buf + n, len - n, "%sdestination %s -> %s",
			 n ? ", " : "", x, y);
	}
}

static bool tuple_changed(const struct iptt_tuple *a, const struct iptt_tuple *b)
{
	return memcmp(a->saddr, b->saddr, 16) || memcmp(a->daddr, b->daddr, 16) ||
	       a->sport != b->sport || a->dport != b->dport;
}

/* ---- groups ---- */

static struct group *find_group(unsigned long long id, bool create)
{
	struct group *g;
	unsigned int i;

	for (i = ngroups; i-- > 0;)
		if (groups[i]->id == id)
			return groups[i];
	if (!create || (cfg.max_packets && started >= cfg.max_packets))
		return NULL;
	if (ngroups == MAX_GROUPS)
		iptt_out_flush(~0ULL, 0);	/* shed the oldest */
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->id = id;
	groups[ngroups++] = g;
	started++;
	return g;
}

static struct line *add_line(struct group *g, enum line_type type)
{
	struct line *l;

	if (cfg.json)
		return NULL;	/* already written */
	if (g->nlines == MAX_STEPS) {
		g->dropped_lines++;
		return NULL;
	}
	if (g->nlines == g->cap) {
		unsigned int cap = g->cap ? g->cap * 2 : 16;
		struct line *n = realloc(g->lines, cap * sizeof(*n));

		if (!n) {
			g->dropped_lines++;
			return NULL;
		}
		g->lines = n;
		g->cap = cap;
	}
	l = &g->lines[g->nlines++];
	memset(l, 0, sizeof(*l));
	l->type = type;
	return l;
}

static void free_group(struct group *g)
{
	unsigned int i;

	for (i = 0; i < g->nlines; i++)
		free(g->lines[i].text);
	free(g->last_rule_text);
	free(g->lines);
	free(g);
}

/* ---- human output ---- */

static void print_group(FILE *f, const struct group *g)
{
	char t[32], tup[200], buf[64];
	unsigned int i;

	if (g->have_packet) {
		const struct iptt_packet *p = &g->pkt;

		wall_time(p->hdr.time_ns, t, sizeof(t));
		fmt_tuple(p->family, &p->tuple, tup, sizeof(tup));
		fprintf(f, "%s %s id %llu netns %u %s in=%s out=%s %s len %u mark 0x%x%s\n",
			t, iptt_family_name(p->family), g->id, p->netns,
			iptt_hook_name(p->hook), p->in[0] ? p->in : "-",
			p->out[0] ? p->out : "-", tup, p->len, p->mark,
			p->origin == IPTT_ORIGIN_FOREIGN ? " (traced by a -j TRACE rule)" : "");
	} else {
		fprintf(f, "? %s id %llu (packet event lost)\n",
			iptt_family_name(g->family), g->id);
	}
	for (i = 0; i < g->nlines; i++) {
		const struct line *l = &g->lines[i];

		switch (l->type) {
		case LINE_RULE: {
			char step[IPTT_TABLE_LEN + IPTT_CHAIN_LEN + 24];

			snprintf(step, sizeof(step), "%s:%s:%s:%u", l->rule.table,
				 l->rule.chain, iptt_kind_name(l->rule.kind),
				 l->rule.rulenum);
			if (l->text)
				fprintf(f, "    %-40s %s%s\n", step,
					l->text_known ? "" : "? ", l->text);
			else
				fprintf(f, "    %s\n", step);
			break;
		}
		case LINE_VERDICT: {
			const char *v = iptt_verdict_name(l->verdict.verdict);

			char where[IPTT_TABLE_LEN + 16];

			fmt_duration(l->verdict.latency_ns, buf, sizeof(buf));
			snprintf(where, sizeof(where), "%s %s", l->verdict.table,
				 iptt_hook_name(l->verdict.hook));
			fprintf(f, "    => %-37s %s%s%s  %s\n", where,
				color_of(v), v ? v : "?", color_end(), buf);
			break;
		}
		case LINE_NAT:
			fmt_nat(g->family, &l->nat.from, &l->nat.to, tup, sizeof(tup));
			fprintf(f, "    %-40s NAT %s (after %s)\n", "", tup,
				l->nat.after[0] ? l->nat.after :
				"conntrack: the connection's NAT");
			break;
		case LINE_TEXT:
			fprintf(f, "%s\n", l->text);
			break;
		}
	}
	if (g->dropped_lines)
		fprintf(f, "    ... %u more steps not shown\n", g->dropped_lines);
	fflush(f);
}

/* ---- JSON output ---- */

static void json_tuple(struct jw *w, unsigned int family, const struct iptt_tuple *t)
{
	char a[64], p[16];

	jw_str(w, "saddr", iptt_addr(family, t->saddr, a, sizeof(a)));
	jw_str(w, "daddr", iptt_addr(family, t->daddr, a, sizeof(a)));
	jw_str(w, "proto", iptt_proto_name(t->proto, p, sizeof(p)));
	if (iptt_has_ports(t->proto)) {
		jw_u64(w, "sport", t->sport);
		jw_u64(w, "dport", t->dport);
	}
	if (t->proto == IPPROTO_TCP)
		jw_str(w, "tcp_flags", iptt_tcp_flags(t->tcp_flags, p, sizeof(p)));
	if (t->proto == 1 || t->proto == 58) {
		jw_u64(w, "icmp_type", t->icmp_type);
		jw_u64(w, "icmp_code", t->icmp_code);
	}
}

static void json_emit(void)
{
	size_t len;
	const char *line = jw_end(&jw, &len);

	if (line)
		fwrite(line, 1, len, cfg.f);
}

static void json_packet(const struct iptt_packet *p)
{
	jw_begin(&jw);
	jw_str(&jw, "event", "packet");
	jw_u64(&jw, "id", p->hdr.id);
	jw_u64(&jw, "time_ns", p->hdr.time_ns);
	jw_str(&jw, "family", iptt_family_name(p->family));
	jw_u64(&jw, "netns", p->netns);
	jw_str(&jw, "hook", iptt_hook_name(p->hook));
	jw_str(&jw, "in", p->in);
	jw_str(&jw, "out", p->out);
	json_tuple(&jw, p->family, &p->tuple);
	jw_u64(&jw, "len", p->len);
	jw_u64(&jw, "mark", p->mark);
	{
		char skb[24];

		snprintf(skb, sizeof(skb), "0x%llx", (unsigned long long)p->skb);
		jw_str(&jw, "skb", skb);
	}
	jw_str(&jw, "origin", p->origin == IPTT_ORIGIN_FOREIGN ? "trace-rule" : "filter");
	json_emit();
}

static void json_rule(const struct iptt_rule *r, const char *text,
		      enum iptt_text_status st)
{
	jw_begin(&jw);
	jw_str(&jw, "event", "rule");
	jw_str(&jw, "backend", "legacy");
	jw_u64(&jw, "id", r->hdr.id);
	jw_u64(&jw, "time_ns", r->hdr.time_ns);
	jw_str(&jw, "family", iptt_family_name(r->family));
	jw_u64(&jw, "netns", r->netns);
	jw_str(&jw, "table", r->table);
	jw_str(&jw, "chain", r->chain);
	jw_str(&jw, "kind", iptt_kind_name(r->kind));
	jw_u64(&jw, "rulenum", r->rulenum);
	jw_str(&jw, "hook", iptt_hook_name(r->hook));
	if (cfg.rule_text && st == IPTT_TEXT_OK)
		jw_str(&jw, "rule", text);
	else if (cfg.rule_text)
		jw_str(&jw, "rule_status", st == IPTT_TEXT_CHANGED ?
		       "ruleset-changed" : "unavailable");
	json_emit();
}

static void json_verdict(const struct iptt_verdict *v)
{
	const char *name = iptt_verdict_name(v->verdict);

	jw_begin(&jw);
	jw_str(&jw, "event", "verdict");
	jw_str(&jw, "backend", "legacy");
	jw_u64(&jw, "id", v->hdr.id);
	jw_u64(&jw, "time_ns", v->hdr.time_ns);
	jw_str(&jw, "family", iptt_family_name(v->family));
	jw_u64(&jw, "netns", v->netns);
	jw_str(&jw, "table", v->table);
	jw_str(&jw, "hook", iptt_hook_name(v->hook));
	if (name)
		jw_str(&jw, "verdict", name);
	else
		jw_u64(&jw, "verdict", v->verdict);
	jw_u64(&jw, "latency_ns", v->latency_ns);
	json_emit();
}

static void json_nat(const struct group *g, unsigned long long time_ns,
		     unsigned int family, const struct iptt_tuple *from,
		     const struct iptt_tuple *to)
{
	jw_begin(&jw);
	jw_str(&jw, "event", "nat");
	jw_u64(&jw, "id", g->id);
	jw_u64(&jw, "time_ns", time_ns);
	jw_str(&jw, "family", iptt_family_name(family));
	jw_str(&jw, "after", g->last_nat[0] ? g->last_nat : "conntrack");
	jw_obj_begin(&jw, "from");
	json_tuple(&jw, family, from);
	jw_obj_end(&jw);
	jw_obj_begin(&jw, "to");
	json_tuple(&jw, family, to);
	jw_obj_end(&jw);
	json_emit();
}

/* ---- event handling ---- */

/* The packet's last rule step so far (either backend): a fate names it. */
static void set_last_rule(struct group *g, const char *rule, const char *text)
{
	snprintf(g->last_rule, sizeof(g->last_rule), "%s", rule);
	free(g->last_rule_text);
	g->last_rule_text = text ? strdup(text) : NULL;
}

static void on_rule(const struct iptt_rule *r)
{
	struct group *g = find_group(r->hdr.id, true);
	enum iptt_text_status st = IPTT_TEXT_UNAVAILABLE;
	char buf[RULES_BUF_LEN], rule[sizeof(g->last_rule)];
	const char *text = NULL;
	struct line *l;

	if (!g)
		return;
	g->last_ns = r->hdr.time_ns;
	g->family = r->family;
	if (cfg.rule_text)
		st = iptt_ruletext(r->netns, r->family, r->gen, r->gen_valid,
				   r->table, r->chain, r->kind, r->rulenum,
				   buf, sizeof(buf), &text);
	if (!strcmp(r->table, "nat") && r->kind == IPTT_KIND_RULE)
		snprintf(g->last_nat, sizeof(g->last_nat), "%s:%s:rule:%u",
			 r->table, r->chain, r->rulenum);
	if (cfg.summary)
		iptt_summary_rule(r, st == IPTT_TEXT_OK ? text : NULL);
	snprintf(rule, sizeof(rule), "%s:%s:%s:%u", r->table, r->chain,
		 iptt_kind_name(r->kind), r->rulenum);
	set_last_rule(g, rule, st == IPTT_TEXT_OK ? text : NULL);
	if (cfg.json) {
		json_rule(r, text, st);
		return;
	}
	l = add_line(g, LINE_RULE);
	if (!l)
		return;
	l->rule = *r;
	if (!cfg.rule_text)
		return;
	l->text_known = st == IPTT_TEXT_OK;
	if (st == IPTT_TEXT_OK)
		l->text = text ? strdup(text) : NULL;
	else
		l->text = strdup(st == IPTT_TEXT_CHANGED ?
				 "(ruleset changed since: text not shown)" :
				 "(rule text unavailable)");
}

/* A NAT line at position at (or at the end), from the group's last tuple. */
static void add_nat(struct group *g, const struct iptt_verdict *v,
		    const struct iptt_tuple *to, unsigned int at)
{
	struct line nat = { .type = LINE_NAT }, *l;

	if (cfg.json) {
		json_nat(g, v->hdr.time_ns, v->family, &g->tuple, to);
	} else if ((l = add_line(g, LINE_NAT))) {
		nat.nat.from = g->tuple;
		nat.nat.to = *to;
		snprintf(nat.nat.after, sizeof(nat.nat.after), "%s", g->last_nat);
		l = &g->lines[at];
		memmove(l + 1, l, (g->nlines - 1 - at) * sizeof(*l));
		*l = nat;
	}
	g->last_nat[0] = '\0';
	g->tuple = *to;
}

static void on_verdict(const struct iptt_verdict *v)
{
	struct group *g = find_group(v->hdr.id, true);
	struct line *l;

	if (!g)
		return;
	g->last_ns = v->hdr.time_ns;
	g->family = v->family;
	/*
	 * Addresses at this table's entry differ from the last ones seen: a
	 * NAT happened before this table (conntrack on an existing
	 * connection, or a nat table whose result was not known); it is
	 * shown before this table's steps.
	 */
	if (g->have_tuple && tuple_changed(&g->tuple, &v->tuple))
		add_nat(g, v, &v->tuple, g->table_start);
	g->tuple = v->tuple;
	g->have_tuple = true;
	if (cfg.summary)
		iptt_summary_verdict(v);
	g->have_verdict = true;
	g->last_verdict = v->verdict;
	memcpy(g->last_verdict_table, v->table, sizeof(g->last_verdict_table));
	if ((v->verdict & 0xff) == 0 && !iptt_fate_enabled())
		g->done = true;		/* dropped: nothing more will come */
	if (cfg.json) {
		json_verdict(v);
	} else {
		l = add_line(g, LINE_VERDICT);
		if (l)
			l->verdict = *v;
	}
	g->table_start = g->nlines;
	/* a nat table's own result, applied as it returns */
	if (v->nat_valid && tuple_changed(&g->tuple, &v->nat_tuple))
		add_nat(g, v, &v->nat_tuple, g->nlines);
	g->table_start = g->nlines;
}

static void on_packet(const struct iptt_packet *p)
{
	struct group *g = find_group(p->hdr.id, true);

	if (!g)
		return;
	g->have_packet = true;
	g->pkt = *p;
	g->family = p->family;
	g->last_ns = p->hdr.time_ns;
	if (!g->have_tuple) {
		g->tuple = p->tuple;
		g->have_tuple = true;
	}
	if (cfg.json)
		json_packet(p);
}

/*
 * A table was replaced.  Rule text needs nothing from this (each step
 * carries its generation); it is shown so that a change in the middle of a
 * trace is visible.
 */
static void on_ruleset(const struct iptt_ruleset *r)
{
	if (cfg.json) {
		jw_begin(&jw);
		jw_str(&jw, "event", "ruleset");
		jw_u64(&jw, "time_ns", r->hdr.time_ns);
		jw_str(&jw, "family", iptt_family_name(r->family));
		jw_str(&jw, "table", r->table);
		jw_u64(&jw, "generation", r->gen);
		json_emit();
		return;
	}
	fprintf(cfg.f, "--- %s table '%s' replaced (ruleset generation %u)\n",
		iptt_family_name(r->family), r->table, r->gen);
}

/* ---- packet fate (user/fate.c) ---- */

static void fate_ctx(const struct group *g, struct iptt_fate_ctx *c)
{
	memset(c, 0, sizeof(*c));
	if (!g)
		return;
	c->rule = g->last_rule[0] ? g->last_rule : NULL;
	c->rule_text = g->last_rule_text;
	if (g->have_verdict) {
		c->verdict = iptt_verdict_name(g->last_verdict);
		c->verdict_table = g->last_verdict_table;
	}
}

/* f == NULL: the group ends without one (unknown) */
static void emit_fate(struct group *g, unsigned long long id,
		      const struct iptt_fate *f)
{
	struct iptt_fate_ctx c;
	char buf[768];
	struct line *l;

	fate_ctx(g, &c);
	iptt_fate_count(f);
	if (cfg.json) {
		jw_begin(&jw);
		jw_str(&jw, "event", "fate");
		jw_u64(&jw, "id", id);
		if (f)
			jw_u64(&jw, "time_ns", f->hdr.time_ns);
		if (f && f->family)
			jw_str(&jw, "family", iptt_family_name(f->family));
		iptt_fate_json(&jw, f, &c, NULL);
		json_emit();
		return;
	}
	iptt_fate_format(f, &c, NULL, buf, sizeof(buf));
	if (g && (l = add_line(g, LINE_TEXT))) {
		l->text = strdup(buf);
		return;
	}
	if (!g)		/* its trace was printed already */
		fprintf(cfg.f, "  id %llu%s\n", id, buf + 3);
}

static void on_fate(const struct iptt_fate *f)
{
	struct group *g = find_group(f->hdr.id, false);

	if (!g && cfg.max_packets && started >= cfg.max_packets)
		return;		/* -c: a packet past the count */
	if (g) {
		if (g->have_fate)
			return;
		g->have_fate = true;
		g->done = true;		/* the end of its journey */
	}
	emit_fate(g, f->hdr.id, f);
}

/* -w: the packet with its trace, as the human output shows it, as comment */
static void pcap_group(const struct group *g)
{
	bool color = cfg.color;
	char *text = NULL;
	size_t len;
	FILE *f;

	if (!g->have_packet || !(f = open_memstream(&text, &len)))
		return;
	cfg.color = false;
	print_group(f, g);
	cfg.color = color;
	if (!fclose(f)) {
		while (len && text[len - 1] == '\n')
			text[--len] = '\0';
		iptt_pcap_packet(g->id, cfg.mono_to_real_ns, g->pkt.netns,
				 g->pkt.in, g->pkt.out, text);
	}
	free(text);
}

int iptt_out_event(void *ctx, void *data, size_t len)
{
	union iptt_event ev;

	if (len >= sizeof(struct iptt_hdr) &&
	    ((const struct iptt_hdr *)data)->kind == IPTT_EV_PACKET_BYTES) {
		iptt_pcap_bytes(data, len);	/* -w */
		return 0;
	}
	switch (iptt_decode(data, len, &ev)) {
	case IPTT_EV_PACKET:
		on_packet(&ev.packet);
		break;
	case IPTT_EV_RULE:
		on_rule(&ev.rule);
		break;
	case IPTT_EV_VERDICT:
		on_verdict(&ev.verdict);
		break;
	case IPTT_EV_RULESET:
		on_ruleset(&ev.ruleset);
		break;
	case IPTT_EV_NFT_RULE:
	case IPTT_EV_NFT_VERDICT:
		iptt_nft_out_event(&ev);
		break;
	case IPTT_EV_FATE:
		on_fate(&ev.fate);
		break;
	default:
		bad_records++;
	}
	return 0;
}

unsigned long iptt_out_flush(unsigned long long now_ns,
			     unsigned long long idle_ns)
{
	unsigned int i, kept = 0;
	bool shed = now_ns == ~0ULL;

	for (i = 0; i < ngroups; i++) {
		struct group *g = groups[i];
		bool go = !now_ns || g->done || (shed && i == 0) ||
			  (!shed && now_ns > g->last_ns + idle_ns);

		if (!go) {
			groups[kept++] = g;
			continue;
		}
		if (!g->have_fate && iptt_fate_enabled())
			emit_fate(g, g->id, NULL);
		if (!cfg.json)
			print_group(cfg.f, g);
		if (iptt_pcap_active())
			pcap_group(g);
		finished++;
		free_group(g);
	}
	ngroups = kept;
	if (cfg.json)
		fflush(cfg.f);
	return finished;
}

void iptt_out_lost(unsigned long long count)
{
	if (cfg.json) {
		jw_begin(&jw);
		jw_str(&jw, "event", "lost");
		jw_u64(&jw, "count", count);
		jw_str(&jw, "reason", "ring-buffer");
		json_emit();
		fflush(cfg.f);
	} else {
		fprintf(cfg.f, "*** %llu events lost: the ring buffer was full (lower --rate or narrow the filter)\n",
			count);
	}
}

bool iptt_out_nft_step(unsigned long long id, unsigned long long time_ns,
		       unsigned int family, bool done)
{
	struct group *g = find_group(id, true);

	if (!g)
		return false;
	g->last_ns = time_ns;
	g->family = family;
	if (done && !iptt_fate_enabled())
		g->done = true;		/* else the fate event ends it */
	return true;
}

void iptt_out_nft_rule(unsigned long long id, const char *rule,
		       const char *text)
{
	struct group *g = find_group(id, false);

	if (g)
		set_last_rule(g, rule, text);
}

void iptt_out_nft_line(unsigned long long id, char *line)
{
	struct group *g = find_group(id, false);
	struct line *l;

	if (!line)
		return;
	if (!g || !(l = add_line(g, LINE_TEXT))) {
		free(line);
		return;
	}
	l->text = line;
}

void iptt_out_free(void)
{
	iptt_nft_out_free();
	unsigned int i;

	for (i = 0; i < ngroups; i++)
		free_group(groups[i]);
	ngroups = 0;
	jw_free(&jw);
}
