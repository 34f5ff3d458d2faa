// SPDX-License-Identifier: GPL-2.0
/*
 * Packet fate, the pure parts: drop reason names from a BTF enum (built
 * here, with values that are not 6.1's or 6.12's on purpose), hints,
 * kallsyms resolution, and the human and JSON forms of each fate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "fate.h"
#include "json.h"

static struct btf *small_btf(void)
{
	struct btf *b = btf__new_empty();
	int id;

	assert_non_null(b);
	assert_true(btf__add_int(b, "int", 4, BTF_INT_SIGNED) > 0);
	id = btf__add_enum(b, "skb_drop_reason", 4);
	assert_true(id > 0);
	assert_int_equal(btf__add_enum_value(b, "SKB_NOT_DROPPED_YET", 0), 0);
	assert_int_equal(btf__add_enum_value(b, "SKB_CONSUMED", 1), 0);
	assert_int_equal(btf__add_enum_value(b, "SKB_DROP_REASON_NOT_SPECIFIED", 2), 0);
	assert_int_equal(btf__add_enum_value(b, "SKB_DROP_REASON_IP_RPFILTER", 17), 0);
	assert_int_equal(btf__add_enum_value(b, "SKB_DROP_REASON_NETFILTER_DROP", 9), 0);
	/* another enum with the same values must not be read */
	assert_true(btf__add_enum(b, "other_reason", 4) > 0);
	assert_int_equal(btf__add_enum_value(b, "OTHER_42", 42), 0);
	return b;
}

static void test_reason_names(void **state)
{
	struct btf *b = small_btf();
	char buf[64];

	(void)state;
	assert_string_equal(iptt_drop_reason_btf(b, 17, buf, sizeof(buf)), "IP_RPFILTER");
	assert_string_equal(iptt_drop_reason_btf(b, 9, buf, sizeof(buf)), "NETFILTER_DROP");
	assert_string_equal(iptt_drop_reason_btf(b, 2, buf, sizeof(buf)), "NOT_SPECIFIED");
	/* no prefix to strip: the name as the kernel has it */
	assert_string_equal(iptt_drop_reason_btf(b, 1, buf, sizeof(buf)), "SKB_CONSUMED");
	assert_null(iptt_drop_reason_btf(b, 42, buf, sizeof(buf)));
	assert_null(iptt_drop_reason_btf(b, 3, buf, sizeof(buf)));
	assert_null(iptt_drop_reason_btf(NULL, 17, buf, sizeof(buf)));
	/* truncated, never overrun */
	assert_string_equal(iptt_drop_reason_btf(b, 17, buf, 5), "IP_R");
	btf__free(b);
}

static void test_no_enum(void **state)
{
	struct btf *b = btf__new_empty();
	char buf[32];

	(void)state;
	assert_true(btf__add_int(b, "int", 4, BTF_INT_SIGNED) > 0);
	assert_null(iptt_drop_reason_btf(b, 0, buf, sizeof(buf)));
	btf__free(b);
}

/* The host's own vmlinux BTF, when it has one: the well-known names */
static void test_vmlinux(void **state)
{
	struct btf *b = btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	char buf[64];
	int id, i, found = 0;

	(void)state;
	if (!b) {
		skip();
		return;
	}
	id = btf__find_by_name_kind(b, "skb_drop_reason", BTF_KIND_ENUM);
	if (id <= 0) {
		btf__free(b);
		skip();
		return;
	}
	t = btf__type_by_id(b, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(b, e->name_off);

		if (!strcmp(n, "SKB_DROP_REASON_NO_SOCKET")) {
			assert_string_equal(iptt_drop_reason_btf(b, e->val, buf, sizeof(buf)),
					    "NO_SOCKET");
			found++;
		}
		if (!strcmp(n, "SKB_DROP_REASON_NETFILTER_DROP")) {
			assert_string_equal(iptt_drop_reason_btf(b, e->val, buf, sizeof(buf)),
					    "NETFILTER_DROP");
			found++;
		}
	}
	assert_int_equal(found, 2);
	btf__free(b);
}

static void test_hints(void **state)
{
	(void)state;
	assert_non_null(strstr(iptt_drop_hint("IP_RPFILTER"), "rp_filter"));
	assert_non_null(iptt_drop_hint("NO_SOCKET"));
	assert_non_null(iptt_drop_hint("NETFILTER_DROP"));
	assert_null(iptt_drop_hint("SOMETHING_NEW"));
	assert_null(iptt_drop_hint(NULL));
}

static char *kallsyms_file(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/test_fate_kallsymsXXXXXX");
	fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81a00000 t ip_rcv_finish_core\n"
	      "ffffffff81a00800 T ip_rcv\n"
	      "ffffffff81b00000 D some_data\n"
	      "ffffffffc0001000 t nf_hook_slow\t[nf_foo]\n", f);
	fclose(f);
	return path;
}

static void test_ksym(void **state)
{
	char *path = kallsyms_file();
	char buf[128], fn[64];

	(void)state;
	assert_string_equal(iptt_ksym(path, 0xffffffff81a001a3ULL, buf, sizeof(buf), fn, sizeof(fn)),
			    "ip_rcv_finish_core+0x1a3");
	assert_string_equal(fn, "ip_rcv_finish_core");
	assert_string_equal(iptt_ksym(path, 0xffffffff81a00800ULL, buf, sizeof(buf), NULL, 0),
			    "ip_rcv+0x0");
	/* data symbols are not functions: the text symbol below it */
	assert_string_equal(iptt_ksym(path, 0xffffffff81b00010ULL, buf, sizeof(buf), NULL, 0),
			    "ip_rcv+0xff810");
	assert_string_equal(iptt_ksym(path, 0xffffffffc0001010ULL, buf, sizeof(buf), NULL, 0),
			    "nf_hook_slow+0x10");
	assert_null(iptt_ksym(path, 0x1000, buf, sizeof(buf), NULL, 0));
	unlink(path);
}

static void test_format(void **state)
{
	struct iptt_fate f = { .hdr.kind = IPTT_EV_FATE, .hdr.id = 7 };
	struct iptt_fate_ctx c = { 0 };
	char *path = kallsyms_file();
	char buf[512];

	(void)state;
	c.kallsyms = path;
	f.fate = IPTT_FATE_DELIVERED;
	f.proto = 17;
	f.dport = 7;
	f.netns = 4026532000U;
	iptt_fate_format(&f, &c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "    fate: delivered locally to udp port 7 (netns 4026532000)");
	f.proto = 1;
	iptt_fate_format(&f, &c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "    fate: delivered locally to icmp (netns 4026532000)");
	f.fate = IPTT_FATE_FORWARDED;
	strcpy(f.dev, "veth-srv");
	iptt_fate_format(&f, &c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "    fate: forwarded out veth-srv (netns 4026532000)");
	f.fate = IPTT_FATE_SENT;
	iptt_fate_format(&f, &c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "    fate: sent out veth-srv (netns 4026532000)");
	iptt_fate_format(NULL, &c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "    fate: unknown: no end of its journey was seen");
	c.verdict = "QUEUE";
	iptt_fate_format(NULL, &c, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "unknown: queued to userspace (NFQUEUE)"));
	c.verdict = NULL;
	/* dropped: the name comes from this host's BTF, or "reason <n>" */
	f.fate = IPTT_FATE_DROPPED;
	f.reason = 100000;
	f.location = 0xffffffff81a001a3ULL;
	iptt_fate_format(&f, &c, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "fate: dropped reason 100000 in ip_rcv_finish_core+0x1a3"));
	unlink(path);
}

static void test_json(void **state)
{
	struct iptt_fate f = { .hdr.kind = IPTT_EV_FATE, .hdr.id = 7 };
	struct iptt_fate_ctx c = { 0 };
	struct jw w = { 0 };
	const char *line;
	size_t len;

	(void)state;
	f.fate = IPTT_FATE_DELIVERED;
	f.proto = 6;
	f.dport = 80;
	f.sport = 40000;
	f.netns = 5;
	jw_begin(&w);
	jw_str(&w, "event", "fate");
	iptt_fate_json(&w, &f, &c, NULL);
	line = jw_end(&w, &len);
	assert_string_equal(line, "{\"event\":\"fate\",\"fate\":\"delivered\",\"netns\":5,"
			    "\"proto\":\"tcp\",\"port\":80,\"sport\":40000}\n");
	jw_begin(&w);
	iptt_fate_json(&w, NULL, &c, "gone");
	line = jw_end(&w, &len);
	assert_string_equal(line, "{\"fate\":\"unknown\",\"why\":\"gone\"}\n");
	f.fate = IPTT_FATE_FORWARDED;
	strcpy(f.dev, "eth1");
	f.ifindex = 3;
	jw_begin(&w);
	iptt_fate_json(&w, &f, &c, NULL);
	line = jw_end(&w, &len);
	assert_string_equal(line, "{\"fate\":\"forwarded\",\"netns\":5,\"interface\":\"eth1\",\"ifindex\":3}\n");
	jw_free(&w);
}

static void test_summary(void **state)
{
	struct iptt_fate f = { .fate = IPTT_FATE_DROPPED, .reason = 100001 };
	char *text = NULL;
	size_t len;
	FILE *m = open_memstream(&text, &len);

	(void)state;
	iptt_fate_count(&f);
	iptt_fate_count(&f);
	f.fate = IPTT_FATE_DELIVERED;
	iptt_fate_count(&f);
	iptt_fate_count(NULL);
	iptt_fate_summary_print(m, true);
	fclose(m);
	assert_string_equal(text, "{\"event\":\"summary_fates\",\"fates\":{\"delivered\":1,"
			    "\"forwarded\":0,\"sent\":0,\"dropped\":2,\"unknown\":1},"
			    "\"drop_reasons\":{\"reason 100001\":2}}\n");
	free(text);
	iptt_fate_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_no_enum),
		cmocka_unit_test(test_vmlinux),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_ksym),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
