// SPDX-License-Identifier: GPL-2.0
/*
 * user/output.c: events of packets handled at the same time on different
 * CPUs arrive interleaved; each packet must still be printed as one group,
 * in step order, and NAT between tables must be reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ipttrace.h"
#include "output.h"

static FILE *out;

static void start(bool json, unsigned long max)
{
	struct iptt_out_cfg c = {
		.json = json, .rule_text = false, .max_packets = max,
	};

	out = tmpfile();
	assert_non_null(out);
	c.f = out;
	iptt_out_init(&c);
}

static char *finish(void)
{
	long n;
	char *buf;

	iptt_out_flush(0, 0);
	iptt_out_free();
	n = ftell(out);
	buf = calloc(1, n + 1);
	rewind(out);
	assert_int_equal(fread(buf, 1, n, out), (size_t)n);
	fclose(out);
	return buf;
}

static void feed(void *ev, size_t len)
{
	assert_int_equal(iptt_out_event(NULL, ev, len), 0);
}

static void packet(__u64 id, __u32 cpu, const char *saddr4, __u16 dport)
{
	struct iptt_packet p = { .hdr = { IPTT_EV_PACKET, cpu, id, id * 10 } };

	p.family = 2;
	p.tuple.proto = 17;
	memcpy(p.tuple.saddr, saddr4, 4);
	memcpy(p.tuple.daddr, "\x0a\x00\x00\x02", 4);
	p.tuple.sport = 1000;
	p.tuple.dport = dport;
	strcpy(p.in, "eth0");
	feed(&p, sizeof(p));
}

static void rule(__u64 id, __u32 cpu, const char *table, const char *chain,
		 __u32 num)
{
	struct iptt_rule r = { .hdr = { IPTT_EV_RULE, cpu, id, id * 10 + num } };

	r.family = 2;
	r.rulenum = num;
	r.kind = IPTT_KIND_RULE;
	strcpy(r.table, table);
	strcpy(r.chain, chain);
	feed(&r, sizeof(r));
}

static void verdict(__u64 id, const char *table, __u32 v, __u16 dport)
{
	struct iptt_verdict e = { .hdr = { IPTT_EV_VERDICT, 0, id, id * 10 + 9 } };

	e.family = 2;
	e.verdict = v;
	e.latency_ns = 1500;
	strcpy(e.table, table);
	e.tuple.proto = 17;
	memcpy(e.tuple.saddr, "\x0a\x00\x00\x01", 4);
	memcpy(e.tuple.daddr, "\x0a\x00\x00\x02", 4);
	e.tuple.sport = 1000;
	e.tuple.dport = dport;
	feed(&e, sizeof(e));
}

static void test_interleaved_cpus_grouped(void **state)
{
	char *txt, *g1, *g2;

	start(false, 0);
	packet(1, 0, "\x0a\x00\x00\x01", 53);
	packet(2, 1, "\x0a\x00\x00\x01", 80);
	rule(1, 0, "filter", "INPUT", 1);
	rule(2, 1, "filter", "INPUT", 5);
	rule(1, 0, "filter", "ONE", 2);
	rule(2, 1, "filter", "TWO", 3);
	verdict(2, "filter", 0, 80);		/* id 2 dropped: done first */
	rule(1, 0, "filter", "ONE", 3);
	/* nothing is idle yet: only the dropped packet is finished */
	assert_int_equal(iptt_out_flush(100, 1ULL << 62), 1);
	txt = finish();

	g2 = strstr(txt, "id 2 ");
	g1 = strstr(txt, "id 1 ");
	assert_non_null(g1);
	assert_non_null(g2);
	assert_true(g2 < g1);			/* the dropped one is printed first */
	g2 = strndup(g2, g1 - g2);		/* its block alone */
	/* each block holds only its own steps, in order */
	assert_non_null(strstr(g2, "filter:INPUT:rule:5\n    filter:TWO:rule:3\n    => filter"));
	assert_null(strstr(g2, "ONE"));
	assert_non_null(strstr(g1, "filter:INPUT:rule:1\n    filter:ONE:rule:2\n    filter:ONE:rule:3\n"));
	assert_null(strstr(g1, "TWO"));
	assert_non_null(strstr(g2, "DROP"));
	free(g2);
	free(txt);
}

static void test_nat_between_tables(void **state)
{
	char *txt;

	start(false, 0);
	packet(7, 0, "\x0a\x00\x00\x01", 8080);
	rule(7, 0, "nat", "PUBLISH", 1);
	verdict(7, "nat", 1, 8080);		/* entry tuple: before DNAT */
	rule(7, 0, "filter", "FORWARD", 2);
	verdict(7, "filter", 1, 80);		/* entry tuple: after DNAT */
	txt = finish();
	assert_non_null(strstr(txt, "NAT destination 10.0.0.2:8080 -> 10.0.0.2:80 (after nat:PUBLISH:rule:1)"));
	/* reported before the table that first saw the new addresses */
	assert_true(strstr(txt, "NAT destination") < strstr(txt, "filter:FORWARD:rule:2"));
	free(txt);
}

static void test_json_lines_and_count(void **state)
{
	char *txt, *line;
	int n = 0;

	start(true, 1);
	packet(1, 0, "\x0a\x00\x00\x01", 53);
	rule(1, 0, "raw", "PREROUTING", 1);
	packet(2, 1, "\x0a\x00\x00\x01", 53);	/* over -c 1: ignored */
	rule(2, 1, "raw", "PREROUTING", 1);
	verdict(1, "raw", 1, 53);
	txt = finish();
	for (line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
		assert_int_equal(line[0], '{');
		assert_non_null(strstr(line, "\"id\":1,"));
		n++;
	}
	assert_int_equal(n, 3);
	free(txt);
}

static void test_bad_records_counted(void **state)
{
	char junk[64] = { 42 };
	struct iptt_rule r = { .hdr = { IPTT_EV_RULE } };

	start(true, 0);
	feed(junk, sizeof(junk));
	feed(&r, sizeof(r) - 1);
	assert_int_equal(iptt_out_bad_records(), 2);
	free(finish());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_cpus_grouped),
		cmocka_unit_test(test_nat_between_tables),
		cmocka_unit_test(test_json_lines_and_count),
		cmocka_unit_test(test_bad_records_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
