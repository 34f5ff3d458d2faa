// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/metrics.c: the Prometheus text format, judged by
 * `promtool check metrics` (Debian's prometheus package) when it is
 * installed, and the atomic replacement of the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipttrace.h"
#include "metrics.h"
#include "summary.h"

static char *buf;	/* static: gcc 12 sees a dangling pointer otherwise */

static char *mem_text(void (*fn)(FILE *f))
{
	buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f);
	fclose(f);
	return buf;
}

/* promtool's verdict on text: 0 accepted; 77 promtool missing. */
static int promtool(const char *text)
{
	char path[] = "/tmp/test_metrics_XXXXXX", cmd[256];
	int fd, st;
	FILE *f;

	if (system("command -v promtool >/dev/null 2>&1"))
		return 77;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	/* promtool check metrics reads stdin; lint problems exit non-zero */
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >&2", path);
	st = system(cmd);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void labels(FILE *f)
{
	iptt_prom_label(f, "a", "x\"y\\z\nw", 0);
	fputc(',', f);
	iptt_prom_label(f, "b", "abcdef", 3);
	fputc(',', f);
	iptt_prom_label(f, "c", "\xc3\xa9\xc3\xa9", 3);	/* éé: not cut in é */
	fputc(',', f);
	iptt_prom_label(f, "d", NULL, 0);
}

static void test_label_escaping(void **state)
{
	char *s = mem_text(labels);

	assert_string_equal(s, "a=\"x\\\"y\\\\z\\nw\",b=\"abc...\",c=\"\xc3\xa9...\",d=\"\"");
	free(s);
}

static __u64 slots[IPTT_HIST_SLOTS];

static void histo(FILE *f)
{
	memset(slots, 0, sizeof(slots));
	slots[0] = 1;			/* 0 ns */
	slots[10] = 5;			/* 512..1023 ns */
	slots[12] = 3;
	slots[IPTT_HIST_SLOTS - 1] = 2;	/* above 2^30 ns */
	fputs("# HELP t_seconds x\n# TYPE t_seconds histogram\n", f);
	iptt_prom_histogram(f, "t_seconds", "table=\"filter\"", slots,
			    IPTT_HIST_SLOTS, 123456789);
	iptt_prom_histogram(f, "t_seconds", "table=\"nat\"", slots,
			    IPTT_HIST_SLOTS, 1);
}

static void test_histogram(void **state)
{
	char *s = mem_text(histo);
	unsigned long long prev = 0, v;
	double le, prev_le = -1;
	int buckets = 0, r;
	char *l;

	/* cumulative, le ascending, +Inf == _count == all observations */
	for (l = strstr(s, "t_seconds_bucket{table=\"filter\""); l && !strncmp(l, "t_seconds_bucket{table=\"filter\"", 31);
	     l = strchr(l, '\n') + 1) {
		if (sscanf(l, "t_seconds_bucket{table=\"filter\",le=\"%lf\"} %llu", &le, &v) == 2) {
			assert_true(le > prev_le);
			prev_le = le;
		} else {
			assert_int_equal(sscanf(l, "t_seconds_bucket{table=\"filter\",le=\"+Inf\"} %llu", &v), 1);
		}
		assert_true(v >= prev);
		prev = v;
		buckets++;
	}
	assert_int_equal(buckets, IPTT_HIST_SLOTS);
	assert_int_equal(prev, 11);
	assert_non_null(strstr(s, "t_seconds_bucket{table=\"filter\",le=\"0\"} 1\n"));
	/* 2^10 - 1 ns holds slot 10 (512..1023 ns) */
	assert_non_null(strstr(s, "t_seconds_bucket{table=\"filter\",le=\"1.023e-06\"} 6\n"));
	assert_non_null(strstr(s, "t_seconds_count{table=\"filter\"} 11\n"));
	assert_non_null(strstr(s, "t_seconds_sum{table=\"filter\"} 0.123456789"));
	r = promtool(s);
	if (r == 77)
		skip();
	assert_int_equal(r, 0);
	free(s);
}

static void test_full_text_passes_promtool(void **state)
{
	struct iptt_rule r = { .family = 2, .kind = IPTT_KIND_RULE, .rulenum = 3,
			       .netns = 4026531840u, .table = "filter", .chain = "INPUT" };
	struct iptt_verdict v = { .family = 2, .hook = 1, .verdict = 1, .table = "filter" };
	size_t len;
	char *s;
	int i, rc;

	iptt_summary_rule(&r, "-A INPUT -p tcp -m comment --comment \"a \\\"quoted\\\" one\" -j ACCEPT");
	iptt_summary_rule(&r, NULL);
	r.rulenum = 4;
	r.kind = IPTT_KIND_POLICY;
	iptt_summary_rule(&r, NULL);
	for (i = 0; i < 3; i++)
		iptt_summary_verdict(&v);
	v.verdict = 0;
	iptt_summary_verdict(&v);
	s = iptt_metrics_text(-1, false, true, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_non_null(strstr(s, "# TYPE ipttrace_rule_hits_total counter\n"));
	assert_non_null(strstr(s, "ipttrace_rule_hits_total{backend=\"legacy\",family=\"ipv4\",netns=\"4026531840\",table=\"filter\",chain=\"INPUT\",kind=\"rule\",rulenum=\"3\",rule=\"-A INPUT -p tcp -m comment --comment \\\"a \\\\\\\"quoted\\\\\\\" one\\\" -j ACCEPT\"} 2\n"));
	assert_non_null(strstr(s, "ipttrace_table_verdicts_total{backend=\"legacy\",family=\"ipv4\",table=\"filter\",hook=\"INPUT\",verdict=\"ACCEPT\"} 3\n"));
	assert_non_null(strstr(s, "verdict=\"DROP\"} 1\n"));
	rc = promtool(s);
	free(s);
	iptt_summary_free();
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/test_metrics_dir_XXXXXX", path[256], buf[64];
	struct stat st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ipttrace.prom", dir);
	assert_int_equal(iptt_write_atomic(path, "a 1\n", 4), 0);
	assert_int_equal(iptt_write_atomic(path, "b 2\n", 4), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "b 2\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);	/* no temp file left behind */
	assert_true(iptt_write_atomic("/nonexistent-dir/x.prom", "a", 1) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_full_text_passes_promtool),
		cmocka_unit_test(test_atomic_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
