// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/cli.c.  argp exits the process on a usage error and
 * on --help, so every parse runs in a forked child.  The parent gets the
 * child's exit status, its stdout and stderr, and -- when the parse
 * returned -- a dump of struct iptt_opts written to a third pipe, one
 * "field=value" per line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* child exit codes of a parse that returned; argp uses 0 and 2 */
#define PARSED		100
#define PARSE_FAILED	101

#define MAX_ARGS	40

struct run {
	int status;		/* exit code, or 128 + signal */
	char out[16384];	/* stdout */
	char err[16384];	/* stderr */
	char dump[4096];	/* "\nfield=value\n..." or "" */
};

static void dump_opts(int fd, const struct iptt_opts *o)
{
	dprintf(fd, "\nipv4=%d\nipv6=%d\niface=%s\nnetns=%s\ncount=%lu\n",
		o->ipv4, o->ipv6, o->iface ? o->iface : "(null)",
		o->netns ? o->netns : "(null)", o->count);
	dprintf(fd, "duration=%g\nrate=%u\njson=%d\nno_rule_text=%d\n",
		o->duration, o->rate, o->json, o->no_rule_text);
	dprintf(fd, "keep_log=%d\nsummary=%d\nlatency=%d\nper_netns=%d\n",
		o->keep_log, o->summary, o->latency, o->per_netns);
	dprintf(fd, "interval=%g\nprobe=%d\nkmod=%s\nready=%s\nverbose=%d\n",
		o->interval, (int)o->probe,
		o->kmod_path ? o->kmod_path : "(null)",
		o->ready_file ? o->ready_file : "(null)", o->verbose);
	dprintf(fd, "filter=%s\n", o->filter ? o->filter : "(null)");
}

static void child(char **argv, int out, int err, int dump)
{
	struct iptt_opts o;
	int argc = 0;

	if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(127);
	while (argv[argc])
		argc++;
	if (iptt_parse_args(argc, argv, &o))
		exit(PARSE_FAILED);
	dump_opts(dump, &o);
	iptt_opts_free(&o);
	if (o.filter)
		exit(PARSE_FAILED);	/* free must forget the pointer */
	/* exit(), not _exit(): the leak checker of the sanitizer build runs */
	exit(PARSED);
}

/* Read the three pipes until the child closes all of them. */
static void collect(struct run *r, int fds[3])
{
	char *bufs[3] = { r->out, r->err, r->dump };
	size_t caps[3] = { sizeof(r->out), sizeof(r->err), sizeof(r->dump) };
	size_t lens[3] = { 0 };
	struct pollfd p[3];
	int open = 3, i;
	ssize_t n;

	for (i = 0; i < 3; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (open) {
		if (poll(p, 3, 10000) <= 0)
			fail_msg("the child neither wrote nor exited in 10 s");
		for (i = 0; i < 3; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (lens[i] + 1 == caps[i])
				fail_msg("child output over %zu bytes", caps[i]);
			n = read(p[i].fd, bufs[i] + lens[i],
				 caps[i] - 1 - lens[i]);
			if (n < 0 && errno == EINTR)
				continue;
			assert_true(n >= 0);
			if (n == 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open--;
			}
			lens[i] += n;
		}
	}
	for (i = 0; i < 3; i++)
		bufs[i][lens[i]] = '\0';
}

static void run_argv(struct run *r, char **argv)
{
	int pipes[3][2], rd[3], i, st;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 3; i++)
		assert_int_equal(pipe(pipes[i]), 0);
	/* or the child's exit() writes the parent's buffered output again */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		for (i = 0; i < 3; i++)
			close(pipes[i][0]);
		child(argv, pipes[0][1], pipes[1][1], pipes[2][1]);
	}
	for (i = 0; i < 3; i++) {
		close(pipes[i][1]);
		rd[i] = pipes[i][0];
	}
	collect(r, rd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	else
		r->status = 128 + WTERMSIG(st);
}

#define RUN(r, ...) do {						\
	char *argv_[MAX_ARGS] = { "ipttrace", ##__VA_ARGS__, NULL };	\
	run_argv((r), argv_);						\
} while (0)

static void expect_field(const struct run *r, const char *fv)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", fv);
	if (!strstr(r->dump, want))
		fail_msg("no '%s' in the parsed options:%s", fv, r->dump);
}

static void expect_parsed(const struct run *r)
{
	if (r->status != PARSED)
		fail_msg("parse ended with status %d, stderr: %s", r->status,
			 r->err);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "");
}

/*
 * A usage error: status 2, nothing parsed, and a stderr that contains msg
 * and the hint argp adds.
 */
static void expect_usage_error(const struct run *r, const char *msg)
{
	if (r->status != 2)
		fail_msg("status %d, not 2; stderr: %s", r->status, r->err);
	assert_string_equal(r->dump, "");
	if (!strstr(r->err, msg))
		fail_msg("stderr lacks '%s': %s", msg, r->err);
	assert_non_null(strstr(r->err, "--help"));
}

static void test_defaults(void **state)
{
	struct run r;

	RUN(&r);
	expect_parsed(&r);
	expect_field(&r, "ipv4=0");
	expect_field(&r, "ipv6=0");
	expect_field(&r, "iface=(null)");
	expect_field(&r, "netns=(null)");
	expect_field(&r, "count=0");
	expect_field(&r, "duration=0");
	expect_field(&r, "rate=0");
	expect_field(&r, "json=0");
	expect_field(&r, "latency=0");
	expect_field(&r, "interval=0");
	expect_field(&r, "probe=0");
	expect_field(&r, "verbose=0");
	expect_field(&r, "filter=(null)");
}

static void test_everything(void **state)
{
	struct run r;

	RUN(&r, "-4", "-i", "eth0", "--netns", "web", "-c", "5", "-d", "2.5",
	    "--rate", "100", "--json", "--no-rule-text", "--keep-log",
	    "--probe", "kprobe", "--kmod", "/x.ko", "--ready-file", "/tmp/r",
	    "-v", "tcp", "port", "80");
	expect_parsed(&r);
	expect_field(&r, "ipv4=1");
	expect_field(&r, "ipv6=0");
	expect_field(&r, "iface=eth0");
	expect_field(&r, "netns=web");
	expect_field(&r, "count=5");
	expect_field(&r, "duration=2.5");
	expect_field(&r, "rate=100");
	expect_field(&r, "json=1");
	expect_field(&r, "no_rule_text=1");
	expect_field(&r, "keep_log=1");
	expect_field(&r, "summary=0");
	expect_field(&r, "latency=0");
	expect_field(&r, "probe=2");
	expect_field(&r, "kmod=/x.ko");
	expect_field(&r, "ready=/tmp/r");
	expect_field(&r, "verbose=1");
	expect_field(&r, "filter=tcp port 80");
}

/* argp moves options out of the filter words, wherever they are. */
static void test_options_among_words(void **state)
{
	struct run r;

	RUN(&r, "tcp", "port", "80", "-c", "3", "-vv", "--summary",
	    "tcp[13] & 2 != 0");
	expect_parsed(&r);
	expect_field(&r, "count=3");
	expect_field(&r, "verbose=2");
	expect_field(&r, "summary=1");
	expect_field(&r, "filter=tcp port 80 tcp[13] & 2 != 0");

	/* after "--" even a dash is a filter word */
	RUN(&r, "-c", "1", "--", "-c", "2");
	expect_parsed(&r);
	expect_field(&r, "count=1");
	expect_field(&r, "filter=-c 2");
}

static void test_latency_mode(void **state)
{
	struct run r;

	RUN(&r, "--latency", "-I", "5", "--per-netns");
	expect_parsed(&r);
	expect_field(&r, "latency=1");
	expect_field(&r, "interval=5");
	expect_field(&r, "per_netns=1");
	expect_field(&r, "filter=(null)");

	RUN(&r, "--latency", "-d", "0.25");
	expect_parsed(&r);
	expect_field(&r, "latency=1");
	expect_field(&r, "duration=0.25");
	expect_field(&r, "interval=0");
}

static void test_families(void **state)
{
	struct run r;

	RUN(&r, "-6");
	expect_parsed(&r);
	expect_field(&r, "ipv4=0");
	expect_field(&r, "ipv6=1");

	/* both flags: both families, which the rest spells "neither" */
	RUN(&r, "-4", "-6");
	expect_parsed(&r);
	expect_field(&r, "ipv4=0");
	expect_field(&r, "ipv6=0");
	RUN(&r, "-64");
	expect_parsed(&r);
	expect_field(&r, "ipv4=0");
	expect_field(&r, "ipv6=0");
}

static void test_probe_modes(void **state)
{
	struct run r;

	RUN(&r, "--probe", "fentry");
	expect_parsed(&r);
	expect_field(&r, "probe=1");
	RUN(&r, "--probe", "kprobe", "--probe", "auto");
	expect_parsed(&r);
	expect_field(&r, "probe=0");
	RUN(&r, "--probe=kprobe");
	expect_parsed(&r);
	expect_field(&r, "probe=2");

	RUN(&r, "--probe", "foo");
	expect_usage_error(&r, "--probe wants auto, fentry or kprobe, not 'foo'");
	RUN(&r, "--probe", "Fentry");
	expect_usage_error(&r, "not 'Fentry'");
}

static void test_bad_count(void **state)
{
	struct run r;

	RUN(&r, "-c", "0");
	expect_usage_error(&r, "-c wants a positive count, not '0'");
	RUN(&r, "-c", "x");
	expect_usage_error(&r, "-c wants a positive count, not 'x'");
	RUN(&r, "-c", "-1");
	expect_usage_error(&r, "not '-1'");
	RUN(&r, "-c", "5x");
	expect_usage_error(&r, "not '5x'");
	RUN(&r, "-c", "");
	expect_usage_error(&r, "not ''");
	RUN(&r, "-c", "99999999999999999999999");
	expect_usage_error(&r, "not '99999999999999999999999'");
	RUN(&r, "-c");
	expect_usage_error(&r, "requires an argument");
}

static void test_bad_duration(void **state)
{
	struct run r;

	RUN(&r, "-d", "-1");
	expect_usage_error(&r, "-d wants a positive number of seconds, not '-1'");
	RUN(&r, "-d", "0");
	expect_usage_error(&r, "not '0'");
	RUN(&r, "-d", "1s");
	expect_usage_error(&r, "not '1s'");
	RUN(&r, "-d", "nan");
	expect_usage_error(&r, "not 'nan'");
	RUN(&r, "-d", "inf");
	expect_usage_error(&r, "not 'inf'");
	RUN(&r, "--duration", "1e10");
	expect_usage_error(&r, "not '1e10'");
	/* the largest accepted */
	RUN(&r, "-d", "1e9");
	expect_parsed(&r);
	expect_field(&r, "duration=1e+09");
}

static void test_bad_rate(void **state)
{
	struct run r;

	RUN(&r, "--rate", "0");
	expect_usage_error(&r, "--rate wants packets per second, 1 to 1000000, not '0'");
	RUN(&r, "--rate", "1000001");
	expect_usage_error(&r, "not '1000001'");
	RUN(&r, "--rate", "-5");
	expect_usage_error(&r, "not '-5'");
	RUN(&r, "--rate", "1000000");
	expect_parsed(&r);
	expect_field(&r, "rate=1000000");
}

static void test_bad_interface(void **state)
{
	struct run r;

	RUN(&r, "-i", "");
	expect_usage_error(&r, "invalid interface name ''");
	/* IFNAMSIZ is 16 with the NUL: 15 characters fit, 16 do not */
	RUN(&r, "-i", "abcdefghijklmnop");
	expect_usage_error(&r, "invalid interface name 'abcdefghijklmnop'");
	RUN(&r, "--interface", "a-very-long-interface-name");
	expect_usage_error(&r, "invalid interface name");
	RUN(&r, "-i", "eth0/1");
	expect_usage_error(&r, "invalid interface name 'eth0/1'");
	RUN(&r, "-i", "abcdefghijklmno");
	expect_parsed(&r);
	expect_field(&r, "iface=abcdefghijklmno");

	RUN(&r, "--netns", "");
	expect_usage_error(&r, "--netns needs a name, path or inode");
}

static void test_latency_conflicts(void **state)
{
	struct run r;

	RUN(&r, "--latency", "tcp");
	expect_usage_error(&r, "--latency times every packet: it takes no filter");
	RUN(&r, "--latency", "-c", "3");
	expect_usage_error(&r, "--latency does not combine with -c");
	RUN(&r, "--latency", "-i", "eth0");
	expect_usage_error(&r, "--latency does not combine with");
	RUN(&r, "--latency", "--rate", "5");
	expect_usage_error(&r, "--latency does not combine with");
	RUN(&r, "--summary", "--latency");
	expect_usage_error(&r, "--latency does not combine with");
}

static void test_latency_only_options(void **state)
{
	struct run r;

	RUN(&r, "-I", "5");
	expect_usage_error(&r, "-I and --per-netns belong to --latency");
	RUN(&r, "--per-netns", "icmp");
	expect_usage_error(&r, "-I and --per-netns belong to --latency");
	RUN(&r, "--latency", "-I", "0");
	expect_usage_error(&r, "-I wants a positive number of seconds, not '0'");
}

static void test_unknown_option(void **state)
{
	struct run r;

	RUN(&r, "--frobnicate");
	expect_usage_error(&r, "frobnicate");
	RUN(&r, "-Z", "tcp");
	expect_usage_error(&r, "invalid option");
	RUN(&r, "--json=yes");
	expect_usage_error(&r, "--json");
}

static void test_help(void **state)
{
	struct run r;

	RUN(&r, "--help");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.dump, "");
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "USAGE: ipttrace"));
	assert_non_null(strstr(r.out, "EXAMPLES:"));
	assert_non_null(strstr(r.out, "--latency"));
	assert_non_null(strstr(r.out, "--probe=auto|fentry|kprobe"));
	/* help stops the parse before the checks of option combinations */
	RUN(&r, "--latency", "tcp", "--help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "EXAMPLES:"));

	RUN(&r, "--version");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.dump, "");
	/* the Makefile passes debian/changelog's version */
	assert_non_null(strstr(r.out, "ipttrace " IPTT_VERSION "\n"));
	assert_null(strstr(r.out, "unknown"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_options_among_words),
		cmocka_unit_test(test_latency_mode),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_probe_modes),
		cmocka_unit_test(test_bad_count),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_bad_rate),
		cmocka_unit_test(test_bad_interface),
		cmocka_unit_test(test_latency_conflicts),
		cmocka_unit_test(test_latency_only_options),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
