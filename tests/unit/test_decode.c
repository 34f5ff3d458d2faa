// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/decode.c: which ring buffer records are accepted, what
 * the copy looks like, and the names and text forms used to print events.
 * Records and text buffers are malloc()ed at their exact size so that the
 * sanitizer build catches a read or write one byte past them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipttrace.h"
#include "decode.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	unsigned int kind;
	size_t size;
} kinds[] = {
	{ IPTT_EV_PACKET, sizeof(struct iptt_packet) },
	{ IPTT_EV_RULE, sizeof(struct iptt_rule) },
	{ IPTT_EV_VERDICT, sizeof(struct iptt_verdict) },
	{ IPTT_EV_RULESET, sizeof(struct iptt_ruleset) },
};

/*
 * A record of len bytes in its own allocation: the head of a valid event of
 * this kind, followed by filler bytes up to len.
 */
static void *record(unsigned int kind, size_t len)
{
	union iptt_event ev;
	size_t n = len < sizeof(ev) ? len : sizeof(ev);
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.kind = kind;
	ev.hdr.cpu = 3;
	ev.hdr.id = 0x1122334455667788ULL;
	ev.hdr.time_ns = 123456789;
	switch (kind) {
	case IPTT_EV_PACKET:
		ev.packet.skb = 0xffff888012345678ULL;
		ev.packet.netns = 4026531840U;
		ev.packet.mark = 0x10;
		ev.packet.len = 60;
		ev.packet.family = 2;
		ev.packet.hook = 0;
		strcpy(ev.packet.in, "eth0");
		ev.packet.tuple.proto = 6;
		ev.packet.tuple.sport = 40000;
		ev.packet.tuple.dport = 80;
		ev.packet.tuple.tcp_flags = 0x02;
		break;
	case IPTT_EV_RULE:
		ev.rule.netns = 4026531840U;
		ev.rule.rulenum = 4;
		ev.rule.gen = 9;
		ev.rule.family = 2;
		ev.rule.hook = 1;
		ev.rule.kind = IPTT_KIND_POLICY;
		ev.rule.gen_valid = 1;
		strcpy(ev.rule.table, "filter");
		strcpy(ev.rule.chain, "INPUT");
		break;
	case IPTT_EV_VERDICT:
		ev.verdict.latency_ns = 1500;
		ev.verdict.netns = 4026531840U;
		ev.verdict.verdict = 1;
		ev.verdict.family = 10;
		ev.verdict.hook = 3;
		ev.verdict.depth = 1;
		strcpy(ev.verdict.table, "mangle");
		break;
	case IPTT_EV_RULESET:
		ev.ruleset.gen = 10;
		ev.ruleset.family = 2;
		strcpy(ev.ruleset.table, "nat");
		break;
	}
	memset(buf, 0xee, len);
	memcpy(buf, &ev, n);
	return buf;
}

static void test_each_kind_exact_and_bigger(void **state)
{
	union iptt_event ev;
	size_t i, j, sizes[3];
	void *rec;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		sizes[0] = kinds[i].size;
		/*
		 * the ring buffer rounds up to 8 bytes; a record from a newer
		 * BPF object may carry more: the known head is what counts
		 */
		sizes[1] = (kinds[i].size + 8) & ~(size_t)7;
		sizes[2] = kinds[i].size + 4096;
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			rec = record(kinds[i].kind, sizes[j]);
			memset(&ev, 0, sizeof(ev));
			assert_int_equal(iptt_decode(rec, sizes[j], &ev),
					 kinds[i].kind);
			/* a plain copy, strings already terminated */
			assert_memory_equal(&ev, rec, kinds[i].size);
			free(rec);
		}
	}
}

static void test_fields_survive(void **state)
{
	union iptt_event ev;
	void *rec;

	rec = record(IPTT_EV_PACKET, sizeof(struct iptt_packet));
	assert_int_equal(iptt_decode(rec, sizeof(struct iptt_packet), &ev),
			 IPTT_EV_PACKET);
	assert_int_equal(ev.hdr.cpu, 3);
	assert_true(ev.hdr.id == 0x1122334455667788ULL);
	assert_true(ev.packet.skb == 0xffff888012345678ULL);
	assert_int_equal(ev.packet.len, 60);
	assert_string_equal(ev.packet.in, "eth0");
	assert_string_equal(ev.packet.out, "");
	assert_int_equal(ev.packet.tuple.dport, 80);
	free(rec);

	rec = record(IPTT_EV_RULE, sizeof(struct iptt_rule));
	assert_int_equal(iptt_decode(rec, sizeof(struct iptt_rule), &ev),
			 IPTT_EV_RULE);
	assert_string_equal(ev.rule.table, "filter");
	assert_string_equal(ev.rule.chain, "INPUT");
	assert_int_equal(ev.rule.kind, IPTT_KIND_POLICY);
	assert_int_equal(ev.rule.rulenum, 4);
	free(rec);

	rec = record(IPTT_EV_VERDICT, sizeof(struct iptt_verdict));
	assert_int_equal(iptt_decode(rec, sizeof(struct iptt_verdict), &ev),
			 IPTT_EV_VERDICT);
	assert_true(ev.verdict.latency_ns == 1500);
	assert_string_equal(ev.verdict.table, "mangle");
	free(rec);

	rec = record(IPTT_EV_RULESET, sizeof(struct iptt_ruleset));
	assert_int_equal(iptt_decode(rec, sizeof(struct iptt_ruleset), &ev),
			 IPTT_EV_RULESET);
	assert_int_equal(ev.ruleset.gen, 10);
	assert_string_equal(ev.ruleset.table, "nat");
	free(rec);
}

static void test_short_records(void **state)
{
	union iptt_event ev;
	size_t i, len;
	void *rec;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		/* every length below the event's size, down to nothing */
		for (len = 0; len < kinds[i].size; len++) {
			rec = record(kinds[i].kind, len);
			if (iptt_decode(rec, len, &ev) != -1)
				fail_msg("kind %u accepted at %zu of %zu bytes",
					 kinds[i].kind, len, kinds[i].size);
			free(rec);
		}
	}
	/* a ruleset-sized record that claims to be a packet */
	rec = record(IPTT_EV_RULESET, sizeof(struct iptt_ruleset));
	((struct iptt_hdr *)rec)->kind = IPTT_EV_PACKET;
	assert_int_equal(iptt_decode(rec, sizeof(struct iptt_ruleset), &ev), -1);
	free(rec);
}

static void test_unknown_kinds(void **state)
{
	static const unsigned int bad[] = {
		0, IPTT_EV_NFT_VERDICT + 1, 0x100, 0x80000001, 0xffffffff,
	};
	union iptt_event ev;
	size_t i, len = sizeof(ev) + 64;
	void *rec;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		rec = record(IPTT_EV_PACKET, len);
		((struct iptt_hdr *)rec)->kind = bad[i];
		assert_int_equal(iptt_decode(rec, len, &ev), -1);
		free(rec);
	}
}

/* nf_tables steps: names terminated, a kind beyond policy refused */
static void test_nft_events(void **state)
{
	size_t len = sizeof(struct iptt_nft_rule);
	struct iptt_nft_rule *r = calloc(1, len);
	union iptt_event ev;

	assert_non_null(r);
	r->hdr.kind = IPTT_EV_NFT_RULE;
	memset(r->table, 'x', sizeof(r->table));
	memset(r->chain, 'y', sizeof(r->chain));
	memset(r->target, 'z', sizeof(r->target));
	r->kind = IPTT_KIND_POLICY;
	assert_int_equal(iptt_decode(r, len, &ev), IPTT_EV_NFT_RULE);
	assert_int_equal(strlen(ev.nft_rule.table), sizeof(r->table) - 1);
	assert_int_equal(strlen(ev.nft_rule.chain), sizeof(r->chain) - 1);
	assert_int_equal(strlen(ev.nft_rule.target), sizeof(r->target) - 1);
	r->kind = IPTT_KIND_UNKNOWN;
	assert_int_equal(iptt_decode(r, len, &ev), -1);
	assert_int_equal(iptt_decode(r, len - 1, &ev), -1);
	free(r);
}

static void test_packet_family(void **state)
{
	static const unsigned int bad[] = { 0, 1, 3, 7, 11, 255 };
	size_t len = sizeof(struct iptt_packet), i;
	struct iptt_packet *p;
	union iptt_event ev;

	p = record(IPTT_EV_PACKET, len);
	p->family = 2;
	assert_int_equal(iptt_decode(p, len, &ev), IPTT_EV_PACKET);
	assert_int_equal(ev.packet.family, 2);
	p->family = 10;
	assert_int_equal(iptt_decode(p, len, &ev), IPTT_EV_PACKET);
	assert_int_equal(ev.packet.family, 10);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		p->family = bad[i];
		assert_int_equal(iptt_decode(p, len, &ev), -1);
	}
	free(p);
}

/* Every string field filled to its last byte, with no NUL at all. */
static void test_strings_terminated(void **state)
{
	union iptt_event ev;
	struct iptt_packet *p;
	struct iptt_rule *r;
	struct iptt_verdict *v;
	struct iptt_ruleset *s;

	p = record(IPTT_EV_PACKET, sizeof(*p));
	memset(p->in, 'i', sizeof(p->in));
	memset(p->out, 'o', sizeof(p->out));
	memset(&ev, 0x55, sizeof(ev));
	assert_int_equal(iptt_decode(p, sizeof(*p), &ev), IPTT_EV_PACKET);
	assert_int_equal(strlen(ev.packet.in), IPTT_IFNAME_LEN - 1);
	assert_int_equal(strlen(ev.packet.out), IPTT_IFNAME_LEN - 1);
	assert_int_equal(ev.packet.in[0], 'i');
	assert_int_equal(ev.packet.out[IPTT_IFNAME_LEN - 2], 'o');
	/* the field after "out" is untouched */
	assert_memory_equal(&ev.packet.tuple, &p->tuple, sizeof(p->tuple));
	free(p);

	r = record(IPTT_EV_RULE, sizeof(*r));
	memset(r->table, 't', sizeof(r->table));
	memset(r->chain, 'c', sizeof(r->chain));
	assert_int_equal(iptt_decode(r, sizeof(*r), &ev), IPTT_EV_RULE);
	assert_int_equal(strlen(ev.rule.table), IPTT_TABLE_LEN - 1);
	assert_int_equal(strlen(ev.rule.chain), IPTT_CHAIN_LEN - 1);
	assert_int_equal(ev.rule.chain[0], 'c');
	free(r);

	v = record(IPTT_EV_VERDICT, sizeof(*v));
	memset(v->table, 'v', sizeof(v->table));
	assert_int_equal(iptt_decode(v, sizeof(*v), &ev), IPTT_EV_VERDICT);
	assert_int_equal(strlen(ev.verdict.table), IPTT_TABLE_LEN - 1);
	assert_memory_equal(&ev.verdict.tuple, &v->tuple, sizeof(v->tuple));
	free(v);

	s = record(IPTT_EV_RULESET, sizeof(*s));
	memset(s->table, 's', sizeof(s->table));
	assert_int_equal(iptt_decode(s, sizeof(*s), &ev), IPTT_EV_RULESET);
	assert_int_equal(strlen(ev.ruleset.table), IPTT_TABLE_LEN - 1);
	free(s);
}

static void test_rule_kind(void **state)
{
	static const struct {
		unsigned int in, out;
	} cases[] = {
		{ IPTT_KIND_RULE, IPTT_KIND_RULE },
		{ IPTT_KIND_RETURN, IPTT_KIND_RETURN },
		{ IPTT_KIND_POLICY, IPTT_KIND_POLICY },
		{ IPTT_KIND_UNKNOWN, IPTT_KIND_UNKNOWN },
		{ 4, IPTT_KIND_UNKNOWN },
		{ 77, IPTT_KIND_UNKNOWN },
		{ 255, IPTT_KIND_UNKNOWN },
	};
	struct iptt_rule *r = record(IPTT_EV_RULE, sizeof(*r));
	union iptt_event ev;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r->kind = cases[i].in;
		assert_int_equal(iptt_decode(r, sizeof(*r), &ev), IPTT_EV_RULE);
		assert_int_equal(ev.rule.kind, cases[i].out);
	}
	assert_string_equal(iptt_kind_name(ev.rule.kind), "unknown");
	free(r);
}

static void test_verdict_names(void **state)
{
	unsigned int eperm = EPERM;

	assert_string_equal(iptt_verdict_name(0), "DROP");
	assert_string_equal(iptt_verdict_name(1), "ACCEPT");
	assert_string_equal(iptt_verdict_name(2), "STOLEN");
	assert_string_equal(iptt_verdict_name(3), "QUEUE");
	assert_string_equal(iptt_verdict_name(4), "REPEAT");
	assert_string_equal(iptt_verdict_name(5), "STOP");
	assert_null(iptt_verdict_name(6));
	assert_null(iptt_verdict_name(7));
	assert_null(iptt_verdict_name(0xff));
	/* NF_DROP_ERR(): an errno above the verdict, in either sign */
	assert_string_equal(iptt_verdict_name(-eperm << 16), "DROP");
	assert_string_equal(iptt_verdict_name(eperm << 16), "DROP");
	assert_string_equal(iptt_verdict_name((unsigned int)EHOSTUNREACH << 16),
			    "DROP");
	/* NF_QUEUE_NR(5), with and without NF_VERDICT_FLAG_QUEUE_BYPASS */
	assert_string_equal(iptt_verdict_name(5 << 16 | 3), "QUEUE");
	assert_string_equal(iptt_verdict_name(5 << 16 | 0x8000 | 3), "QUEUE");
	assert_string_equal(iptt_verdict_name(0xffff0000 | 1), "ACCEPT");
	assert_null(iptt_verdict_name(5 << 16 | 7));
}

static void test_other_names(void **state)
{
	assert_string_equal(iptt_hook_name(0), "PREROUTING");
	assert_string_equal(iptt_hook_name(1), "INPUT");
	assert_string_equal(iptt_hook_name(2), "FORWARD");
	assert_string_equal(iptt_hook_name(3), "OUTPUT");
	assert_string_equal(iptt_hook_name(4), "POSTROUTING");
	assert_string_equal(iptt_hook_name(5), "?");
	assert_string_equal(iptt_hook_name(255), "?");
	assert_string_equal(iptt_hook_name(0xffffffff), "?");

	assert_string_equal(iptt_kind_name(IPTT_KIND_RULE), "rule");
	assert_string_equal(iptt_kind_name(IPTT_KIND_RETURN), "return");
	assert_string_equal(iptt_kind_name(IPTT_KIND_POLICY), "policy");
	assert_string_equal(iptt_kind_name(IPTT_KIND_UNKNOWN), "unknown");
	assert_string_equal(iptt_kind_name(200), "unknown");

	assert_string_equal(iptt_family_name(2), "ipv4");
	assert_string_equal(iptt_family_name(10), "ipv6");
	assert_string_equal(iptt_family_name(0), "unknown");
	assert_string_equal(iptt_family_name(7), "unknown");
}

static void test_proto_names(void **state)
{
	char buf[32];

	assert_string_equal(iptt_proto_name(6, buf, sizeof(buf)), "tcp");
	assert_string_equal(iptt_proto_name(17, buf, sizeof(buf)), "udp");
	assert_string_equal(iptt_proto_name(1, buf, sizeof(buf)), "icmp");
	assert_string_equal(iptt_proto_name(58, buf, sizeof(buf)), "icmpv6");
	assert_string_equal(iptt_proto_name(132, buf, sizeof(buf)), "sctp");
	assert_string_equal(iptt_proto_name(136, buf, sizeof(buf)), "udplite");
	assert_string_equal(iptt_proto_name(47, buf, sizeof(buf)), "gre");
	assert_string_equal(iptt_proto_name(50, buf, sizeof(buf)), "esp");
	assert_string_equal(iptt_proto_name(0, buf, sizeof(buf)), "proto-0");
	assert_string_equal(iptt_proto_name(41, buf, sizeof(buf)), "proto-41");
	assert_string_equal(iptt_proto_name(255, buf, sizeof(buf)), "proto-255");
	/* the numbered form is written to buf, the names are not */
	assert_ptr_equal(iptt_proto_name(89, buf, sizeof(buf)), buf);
	assert_ptr_not_equal(iptt_proto_name(6, buf, sizeof(buf)), buf);

	assert_true(iptt_has_ports(6));
	assert_true(iptt_has_ports(17));
	assert_true(iptt_has_ports(132));
	assert_true(iptt_has_ports(136));
	assert_false(iptt_has_ports(1));
	assert_false(iptt_has_ports(58));
	assert_false(iptt_has_ports(47));
	assert_false(iptt_has_ports(50));
	assert_false(iptt_has_ports(0));
}

static void addr6(__u8 *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void test_addresses(void **state)
{
	char buf[INET6_ADDRSTRLEN];
	__u8 a[16];

	/* IPv4 reads the first 4 bytes, whatever follows them */
	memset(a, 0xab, sizeof(a));
	memcpy(a, "\x0a\x00\x00\x01", 4);
	assert_string_equal(iptt_addr(2, a, buf, sizeof(buf)), "10.0.0.1");
	memcpy(a, "\xff\xff\xff\xff", 4);
	assert_string_equal(iptt_addr(2, a, buf, sizeof(buf)),
			    "255.255.255.255");
	/* and anything that is not 10 is treated as IPv4 */
	assert_string_equal(iptt_addr(0, a, buf, sizeof(buf)),
			    "255.255.255.255");

	addr6(a, "fd00:0:0:0:0:0:0:1");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)), "fd00::1");
	addr6(a, "2001:0db8:0000:0000:0008:0800:200c:417a");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)),
			    "2001:db8::8:800:200c:417a");
	addr6(a, "::");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)), "::");
	addr6(a, "fe80::1:0:0:2");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)), "fe80::1:0:0:2");
	addr6(a, "::ffff:10.0.0.1");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)),
			    "::ffff:10.0.0.1");
	addr6(a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_string_equal(iptt_addr(10, a, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_endpoints(void **state)
{
	char buf[64];
	__u8 a[16] = { 10, 0, 0, 1 };

	assert_string_equal(iptt_endpoint(2, a, 80, true, buf, sizeof(buf)),
			    "10.0.0.1:80");
	assert_string_equal(iptt_endpoint(2, a, 0, true, buf, sizeof(buf)),
			    "10.0.0.1:0");
	assert_string_equal(iptt_endpoint(2, a, 80, false, buf, sizeof(buf)),
			    "10.0.0.1");
	addr6(a, "fd00::1");
	assert_string_equal(iptt_endpoint(10, a, 443, true, buf, sizeof(buf)),
			    "[fd00::1]:443");
	assert_string_equal(iptt_endpoint(10, a, 65535, true, buf, sizeof(buf)),
			    "[fd00::1]:65535");
	assert_string_equal(iptt_endpoint(10, a, 443, false, buf, sizeof(buf)),
			    "fd00::1");
	addr6(a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_string_equal(iptt_endpoint(10, a, 65535, true, buf, sizeof(buf)),
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_tcp_flags(void **state)
{
	static const struct {
		unsigned int flags;
		const char *text;
	} cases[] = {
		{ 0x02, "S" },		/* SYN */
		{ 0x12, "S." },		/* SYN ACK */
		{ 0x10, "." },		/* ACK */
		{ 0x18, "P." },		/* PSH ACK */
		{ 0x11, "F." },		/* FIN ACK */
		{ 0x19, "FP." },	/* FIN PSH ACK */
		{ 0x14, "R." },		/* RST ACK */
		{ 0x04, "R" },		/* RST */
		{ 0xc2, "SEW" },	/* SYN ECE CWR: an ECN setup */
		{ 0x20, "U" },
		{ 0x00, "none" },
		{ 0x100, "none" },	/* bits above the byte are not flags */
	};
	char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(iptt_tcp_flags(cases[i].flags, buf,
						   sizeof(buf)),
				    cases[i].text);
	assert_ptr_equal(iptt_tcp_flags(0x12, buf, sizeof(buf)), buf);
}

/* Text at most len - 1 bytes long, the start of what a big buffer gets. */
static void check_prefix(const char *got, size_t len, const char *full)
{
	size_t n = strlen(got);

	assert_true(n < len);
	assert_true(n == len - 1 || n == strlen(full));
	assert_memory_equal(got, full, n);
}

static char *exact(size_t len)
{
	char *b = malloc(len);

	assert_non_null(b);
	memset(b, 'X', len);
	return b;
}

static void test_short_buffers(void **state)
{
	__u8 a4[16] = { 192, 168, 100, 200 }, a6[16];
	const char *r;
	char *b;
	size_t len;

	addr6(a6, "fd00::1");
	for (len = 1; len <= 3; len++) {
		b = exact(len);
		r = iptt_addr(2, a4, b, len);
		assert_ptr_equal(r, b);
		/* too small for the address: "?" as far as it fits */
		check_prefix(b, len, "?");
		free(b);

		b = exact(len);
		iptt_addr(10, a6, b, len);
		check_prefix(b, len, "?");
		free(b);

		b = exact(len);
		iptt_endpoint(2, a4, 8080, true, b, len);
		check_prefix(b, len, "192.168.100.200:8080");
		free(b);

		b = exact(len);
		iptt_endpoint(10, a6, 443, true, b, len);
		check_prefix(b, len, "[fd00::1]:443");
		free(b);

		b = exact(len);
		iptt_endpoint(10, a6, 443, false, b, len);
		check_prefix(b, len, "fd00::1");
		free(b);

		b = exact(len);
		iptt_tcp_flags(0x19, b, len);
		check_prefix(b, len, "FP.");
		free(b);

		b = exact(len);
		iptt_tcp_flags(0x0f, b, len);
		check_prefix(b, len, "FSRP");
		free(b);

		b = exact(len);
		r = iptt_proto_name(200, b, len);
		assert_ptr_equal(r, b);
		check_prefix(b, len, "proto-200");
		free(b);
	}

	/* "none" needs 5 bytes: in fewer, nothing rather than a part of it */
	for (len = 1; len < sizeof("none"); len++) {
		b = exact(len);
		iptt_tcp_flags(0, b, len);
		assert_string_equal(b, "");
		free(b);
	}

	/* exactly big enough */
	b = exact(sizeof("192.168.100.200:8080"));
	assert_string_equal(iptt_endpoint(2, a4, 8080, true, b,
					  sizeof("192.168.100.200:8080")),
			    "192.168.100.200:8080");
	free(b);
	b = exact(sizeof("192.168.100.200"));
	assert_string_equal(iptt_addr(2, a4, b, sizeof("192.168.100.200")),
			    "192.168.100.200");
	free(b);
	b = exact(sizeof("none"));
	assert_string_equal(iptt_tcp_flags(0, b, sizeof("none")), "none");
	free(b);

	/* a zero-length buffer is left alone */
	b = exact(1);
	iptt_tcp_flags(0x12, b, 0);
	assert_int_equal(b[0], 'X');
	iptt_proto_name(200, b, 0);
	assert_int_equal(b[0], 'X');
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_kind_exact_and_bigger),
		cmocka_unit_test(test_fields_survive),
		cmocka_unit_test(test_short_records),
		cmocka_unit_test(test_unknown_kinds),
		cmocka_unit_test(test_nft_events),
		cmocka_unit_test(test_packet_family),
		cmocka_unit_test(test_strings_terminated),
		cmocka_unit_test(test_rule_kind),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_other_names),
		cmocka_unit_test(test_proto_names),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_short_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
