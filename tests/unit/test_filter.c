// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/filter.c: compile pcap expressions for DLT_RAW and run
 * the result with libpcap's own bpf_filter() on hand-built IPv4 and IPv6
 * packets.  The kernel module runs the same program on skb data that starts
 * at the network header, so a packet that matches here is a packet the
 * module selects.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/bpf.h>

#include "ipttrace.h"
#include "filter.h"

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_		1
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_ICMPV6_		58

struct pkt {
	uint8_t b[256];
	size_t len;
};

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t v4addr(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static void v6addr(uint8_t *p, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, p), 1);
}

/*
 * The L4 header at p, with the ports and flags a filter looks at; returns
 * its length.  Checksums stay zero: no BPF filter reads them.
 */
static size_t put_l4(uint8_t *p, unsigned int proto, unsigned int sport,
		     unsigned int dport)
{
	switch (proto) {
	case IPPROTO_TCP_:
		memset(p, 0, 20);
		put16(p, sport);
		put16(p + 2, dport);
		put32(p + 4, 1000);	/* seq */
		p[12] = 5 << 4;		/* data offset: 5 words */
		p[13] = 0x02;		/* SYN */
		put16(p + 14, 64240);
		return 20;
	case IPPROTO_UDP_:
		memset(p, 0, 8);
		put16(p, sport);
		put16(p + 2, dport);
		put16(p + 4, 8);	/* header only, no payload */
		return 8;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
		memset(p, 0, 8);
		/* echo request; sport doubles as the identifier */
		p[0] = proto == IPPROTO_ICMP_ ? 8 : 128;
		put16(p + 4, sport);
		put16(p + 6, 1);
		return 8;
	}
	fail_msg("no L4 header for protocol %u", proto);
	return 0;
}

static unsigned int csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * IPv4 header (with ihl_words > 5: NOP options) and an L4 header.
 * frag: the fragment offset in 8-byte units, 0 for a first fragment.
 */
static void ip4_pkt_opts(struct pkt *k, const char *src, const char *dst,
			 unsigned int proto, unsigned int sport,
			 unsigned int dport, unsigned int ihl_words,
			 unsigned int frag)
{
	size_t hl = ihl_words * 4;
	uint8_t *ip = k->b;

	memset(k, 0, sizeof(*k));
	ip[0] = 0x40 | ihl_words;
	put16(ip + 4, 0x1234);			/* id */
	put16(ip + 6, frag ? frag : 0x4000);	/* DF, or a fragment offset */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, v4addr(src));
	put32(ip + 16, v4addr(dst));
	memset(ip + 20, 1, hl - 20);		/* IPOPT_NOP */
	k->len = hl + put_l4(ip + hl, proto, sport, dport);
	put16(ip + 2, k->len);
	put16(ip + 10, csum16(ip, hl));
}

static void ip4_pkt(struct pkt *k, const char *src, const char *dst,
		    unsigned int proto, unsigned int sport, unsigned int dport)
{
	ip4_pkt_opts(k, src, dst, proto, sport, dport, 5, 0);
}

/*
 * IPv6 header, optionally one extension header (hop-by-hop with a router
 * alert, or a first fragment), then the L4 header.
 */
static void ip6_pkt_ext(struct pkt *k, const char *src, const char *dst,
			unsigned int ext, unsigned int proto,
			unsigned int sport, unsigned int dport)
{
	uint8_t *ip = k->b, *l4 = k->b + 40;

	memset(k, 0, sizeof(*k));
	ip[0] = 0x60;
	ip[7] = 64;				/* hop limit */
	v6addr(ip + 8, src);
	v6addr(ip + 24, dst);
	if (ext == IPPROTO_HOPOPTS_) {
		ip[6] = IPPROTO_HOPOPTS_;
		l4[0] = proto;
		l4[1] = 0;			/* 8 bytes in all */
		l4[2] = 5;			/* router alert ... */
		l4[3] = 2;
		put16(l4 + 4, 0);		/* ... MLD */
		l4[6] = 1;			/* PadN, 0 bytes */
		l4[7] = 0;
		l4 += 8;
	} else if (ext == IPPROTO_FRAGMENT_) {
		ip[6] = IPPROTO_FRAGMENT_;
		l4[0] = proto;
		put16(l4 + 2, 1);		/* offset 0, more fragments */
		put32(l4 + 4, 0xabcd);
		l4 += 8;
	} else {
		ip[6] = proto;
	}
	k->len = (l4 - k->b) + put_l4(l4, proto, sport, dport);
	put16(ip + 4, k->len - 40);
}

static void ip6_pkt(struct pkt *k, const char *src, const char *dst,
		    unsigned int proto, unsigned int sport, unsigned int dport)
{
	/* 255 is no extension header */
	ip6_pkt_ext(k, src, dst, 255, proto, sport, dport);
}

static struct iptt_filter compile_ok(const char *expr)
{
	struct iptt_filter f;
	char err[512] = "";

	if (iptt_filter_compile(expr, &f, err, sizeof(err)))
		fail_msg("'%s' did not compile: %s", expr, err);
	assert_non_null(f.insns);
	assert_in_range(f.len, 2, IPTT_FILTER_MAX);
	/* what the kernel's checker insists on: it ends in a return */
	assert_int_equal(BPF_CLASS(f.insns[f.len - 1].code), BPF_RET);
	return f;
}

static bool match(const struct iptt_filter *f, const struct pkt *k)
{
	_Static_assert(sizeof(struct bpf_insn) == sizeof(struct iptt_insn),
		       "struct iptt_insn is not struct bpf_insn");
	return bpf_filter((const struct bpf_insn *)f->insns, k->b, k->len,
			  k->len) != 0;
}

#define MATCHES(f, k)	assert_true(match(&(f), &(k)))
#define MISSES(f, k)	assert_false(match(&(f), &(k)))

static void test_host(void **state)
{
	struct iptt_filter f = compile_ok("host 10.0.0.1");
	struct pkt k;

	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 40000, 80);
	MATCHES(f, k);
	ip4_pkt(&k, "192.168.1.1", "10.0.0.1", IPPROTO_UDP_, 5353, 53);
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.1", IPPROTO_ICMP_, 7, 0);
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.2", "10.0.0.3", IPPROTO_TCP_, 40000, 80);
	MISSES(f, k);
	ip4_pkt(&k, "10.0.0.10", "1.10.0.0", IPPROTO_TCP_, 40000, 80);
	MISSES(f, k);
	/*
	 * 0a00:0001 at packet bytes 12..15, where an IPv4 source would be:
	 * only the version check keeps this from matching
	 */
	ip6_pkt(&k, "fd00:0:a00:1::5", "fd00::6", IPPROTO_TCP_, 1, 2);
	assert_memory_equal(k.b + 12, "\x0a\x00\x00\x01", 4);
	MISSES(f, k);
	iptt_filter_free(&f);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
}

static void test_tcp_port_80(void **state)
{
	struct iptt_filter f = compile_ok("tcp port 80");
	struct pkt k;

	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 40000, 80);
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.2", "10.0.0.1", IPPROTO_TCP_, 80, 40000);
	MATCHES(f, k);
	ip6_pkt(&k, "fd00::1", "fd00::2", IPPROTO_TCP_, 40000, 80);
	MATCHES(f, k);
	/* the TCP header moves behind IPv4 options: the filter follows ihl */
	ip4_pkt_opts(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 40000, 80, 7, 0);
	assert_int_equal(k.len, 28 + 20);
	MATCHES(f, k);
	/* and not the fixed offset 20: port 80 there in option bytes */
	ip4_pkt_opts(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 1, 2, 7, 0);
	put16(k.b + 20, 80);
	put16(k.b + 22, 80);
	MISSES(f, k);

	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 40000, 8080);
	MISSES(f, k);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_UDP_, 40000, 80);
	MISSES(f, k);
	ip6_pkt(&k, "fd00::1", "fd00::2", IPPROTO_UDP_, 80, 80);
	MISSES(f, k);
	/* a later fragment has no TCP header, whatever its bytes say */
	ip4_pkt_opts(&k, "10.0.0.1", "10.0.0.2", IPPROTO_TCP_, 80, 80, 5, 185);
	MISSES(f, k);
	iptt_filter_free(&f);
}

static void test_icmp6(void **state)
{
	struct iptt_filter f = compile_ok("icmp6");
	struct pkt k;

	ip6_pkt(&k, "fd00::1", "fd00::2", IPPROTO_ICMPV6_, 1, 0);
	MATCHES(f, k);
	/* libpcap looks through one fragment header */
	ip6_pkt_ext(&k, "fd00::1", "fd00::2", IPPROTO_FRAGMENT_,
		    IPPROTO_ICMPV6_, 1, 0);
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP_, 1, 0);
	MISSES(f, k);
	/* next header 58 in an IPv4 protocol field is still not ICMPv6 */
	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP_, 1, 0);
	k.b[9] = IPPROTO_ICMPV6_;
	MISSES(f, k);
	ip6_pkt(&k, "fd00::1", "fd00::2", IPPROTO_UDP_, 1, 2);
	MISSES(f, k);
	/*
	 * ... but not through hop-by-hop options: an MLD report does not
	 * match "icmp6".  That is libpcap's reading of the primitive, and
	 * what a user who traces MLD has to know: use "ip6 protochain 58".
	 */
	ip6_pkt_ext(&k, "fe80::1", "ff02::16", IPPROTO_HOPOPTS_,
		    IPPROTO_ICMPV6_, 1, 0);
	MISSES(f, k);
	iptt_filter_free(&f);

	f = compile_ok("ip6 protochain 58");
	MATCHES(f, k);
	ip6_pkt_ext(&k, "fe80::1", "ff02::16", IPPROTO_HOPOPTS_,
		    IPPROTO_UDP_, 1, 2);
	MISSES(f, k);
	iptt_filter_free(&f);
}

static void test_ip6_udp_dst_53(void **state)
{
	struct iptt_filter f = compile_ok("ip6 and udp dst port 53");
	struct pkt k;

	ip6_pkt(&k, "fd00::1", "fd00::53", IPPROTO_UDP_, 33000, 53);
	MATCHES(f, k);
	assert_int_equal(k.len, 48);
	ip6_pkt(&k, "fd00::53", "fd00::1", IPPROTO_UDP_, 53, 33000);
	MISSES(f, k);		/* the answer: source port 53 */
	ip6_pkt(&k, "fd00::1", "fd00::53", IPPROTO_TCP_, 33000, 53);
	MISSES(f, k);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.53", IPPROTO_UDP_, 33000, 53);
	MISSES(f, k);
	/*
	 * Behind a hop-by-hop header the fixed header says "next: 0", and
	 * libpcap's udp primitive reads only that field.
	 */
	ip6_pkt_ext(&k, "fd00::1", "fd00::53", IPPROTO_HOPOPTS_, IPPROTO_UDP_,
		    33000, 53);
	assert_int_equal(k.len, 40 + 8 + 8);
	assert_int_equal(k.b[6], IPPROTO_HOPOPTS_);
	MISSES(f, k);
	iptt_filter_free(&f);

	/* the same packet by address and by walking the header chain */
	f = compile_ok("ip6 dst host fd00::53 and ip6 protochain 17");
	MATCHES(f, k);
	ip6_pkt_ext(&k, "fd00::1", "fd00::54", IPPROTO_HOPOPTS_, IPPROTO_UDP_,
		    33000, 53);
	MISSES(f, k);
	iptt_filter_free(&f);
}

static void test_src_net_not_icmp(void **state)
{
	struct iptt_filter f = compile_ok("src net 192.168.0.0/16 and not icmp");
	struct pkt k;

	ip4_pkt(&k, "192.168.5.6", "10.0.0.1", IPPROTO_TCP_, 40000, 443);
	MATCHES(f, k);
	ip4_pkt(&k, "192.168.255.255", "8.8.8.8", IPPROTO_UDP_, 40000, 53);
	MATCHES(f, k);
	ip4_pkt(&k, "192.168.1.1", "10.0.0.1", IPPROTO_ICMP_, 1, 0);
	MISSES(f, k);
	ip4_pkt(&k, "192.169.0.1", "10.0.0.1", IPPROTO_TCP_, 40000, 443);
	MISSES(f, k);
	ip4_pkt(&k, "192.167.255.255", "10.0.0.1", IPPROTO_TCP_, 40000, 443);
	MISSES(f, k);
	ip4_pkt(&k, "10.0.0.1", "192.168.1.1", IPPROTO_TCP_, 40000, 443);
	MISSES(f, k);	/* destination in the net, not the source */
	ip6_pkt(&k, "fd00::1", "fd00::2", IPPROTO_TCP_, 40000, 443);
	MISSES(f, k);
	iptt_filter_free(&f);
}

/* An empty expression means "every packet": no program at all. */
static void test_empty_and_null(void **state)
{
	struct iptt_filter f;
	struct iptt_insn dummy;
	char err[64] = "untouched";

	f.insns = &dummy;
	f.len = 7;
	assert_int_equal(iptt_filter_compile("", &f, err, sizeof(err)), 0);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);

	f.insns = &dummy;
	f.len = 7;
	assert_int_equal(iptt_filter_compile(NULL, &f, err, sizeof(err)), 0);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	assert_string_equal(err, "untouched");
	iptt_filter_free(&f);	/* harmless on the empty filter */
	assert_null(f.insns);
}

static void expect_bad(const char *expr, const char *reason)
{
	struct iptt_filter f;
	struct iptt_insn dummy;
	char err[512] = "", quoted[128];

	f.insns = &dummy;
	f.len = 3;
	assert_int_equal(iptt_filter_compile(expr, &f, err, sizeof(err)), -1);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	snprintf(quoted, sizeof(quoted), "'%s'", expr);
	if (!strstr(err, quoted) || !strstr(err, reason))
		fail_msg("error for %s is '%s', wanted %s and '%s'", quoted,
			 err, quoted, reason);
	assert_null(strchr(err, '\n'));		/* one line */
}

static void test_invalid(void **state)
{
	expect_bad("tcp port", "syntax error");
	expect_bad("host 999.1.1.1", "999.1.1.1");
	expect_bad("foo bar", "syntax error");
	expect_bad("tcp port 99999", "port");
	expect_bad("ip6 and (udp", "syntax error");
}

/* A message longer than the buffer is cut, never written past it. */
static void test_error_truncated(void **state)
{
	struct iptt_filter f;
	char *err = malloc(16);

	assert_non_null(err);
	assert_int_equal(iptt_filter_compile("tcp port", &f, err, 16), -1);
	assert_int_equal(strlen(err), 15);
	assert_memory_equal(err, "bad pcap filter", 15);
	free(err);
}

/* "host 10.a.b.c or host ..." over n addresses from 10.0.0.0 on. */
static char *many_hosts(unsigned int n)
{
	char *s = malloc(n * 32 + 1), *p = s;
	unsigned int i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%shost 10.%u.%u.%u", i ? " or " : "",
			     i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
	return s;
}

static void test_instruction_limit(void **state)
{
	char *expr, *err;
	struct iptt_filter f;
	struct pkt k;
	size_t errlen;

	/* 900 hosts: about 3400 instructions, under the limit, and right */
	expr = many_hosts(900);
	f = compile_ok(expr);
	assert_in_range(f.len, 3000, IPTT_FILTER_MAX);
	ip4_pkt(&k, "172.16.0.1", "10.0.3.131", IPPROTO_TCP_, 1, 2); /* #899 */
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.0", "172.16.0.1", IPPROTO_TCP_, 1, 2);   /* #0 */
	MATCHES(f, k);
	ip4_pkt(&k, "172.16.0.1", "10.0.3.132", IPPROTO_TCP_, 1, 2); /* #900 */
	MISSES(f, k);
	iptt_filter_free(&f);
	free(expr);

	/* 1200 hosts: about 4500, which the kernel would refuse */
	expr = many_hosts(1200);
	errlen = 512;		/* what main() gives it: the reason must fit */
	err = malloc(errlen);
	assert_non_null(err);
	f.insns = (struct iptt_insn *)err;
	assert_int_equal(iptt_filter_compile(expr, &f, err, errlen), -1);
	assert_null(f.insns);
	assert_int_equal(f.len, 0);
	assert_non_null(strstr(err, "more than the kernel's 4096"));
	assert_non_null(strstr(err, "(in 'host 10.0.0.0 or "));	/* its start */
	assert_non_null(strstr(err, "...')"));			/* shortened */
	assert_true(strlen(err) < 200);
	free(err);
	free(expr);
}

static void test_join(void **state)
{
	char *w3[] = { "tcp", "port", "80" };
	char *w1[] = { "icmp" };
	char *wq[] = { "tcp[13] & 2 != 0", "and", "host 10.0.0.1" };
	char *we[] = { "", "x", "" };
	char *s;

	s = iptt_filter_join(3, w3);
	assert_string_equal(s, "tcp port 80");
	free(s);
	s = iptt_filter_join(1, w1);
	assert_string_equal(s, "icmp");
	free(s);
	/* a quoted word keeps its spaces, words get exactly one between */
	s = iptt_filter_join(3, wq);
	assert_string_equal(s, "tcp[13] & 2 != 0 and host 10.0.0.1");
	free(s);
	s = iptt_filter_join(3, we);
	assert_string_equal(s, " x ");
	free(s);
	s = iptt_filter_join(0, NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

/* What the CLI does: join the words, then compile the joined string. */
static void test_join_then_compile(void **state)
{
	char *words[] = { "udp", "and", "dst", "port", "53" };
	struct iptt_filter f;
	struct pkt k;
	char *s;

	s = iptt_filter_join(5, words);
	f = compile_ok(s);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_UDP_, 33000, 53);
	MATCHES(f, k);
	ip4_pkt(&k, "10.0.0.1", "10.0.0.2", IPPROTO_UDP_, 53, 33000);
	MISSES(f, k);
	iptt_filter_free(&f);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_tcp_port_80),
		cmocka_unit_test(test_icmp6),
		cmocka_unit_test(test_ip6_udp_dst_53),
		cmocka_unit_test(test_src_net_not_icmp),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_error_truncated),
		cmocka_unit_test(test_instruction_limit),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_then_compile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
