// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/hist.c: slot boundaries, percentile estimates on
 * known distributions, merging and the printed form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipttrace.h"
#include "hist.h"

#define N IPTT_HIST_SLOTS

#define assert_close(a, b) do {						\
	double a_ = (a), b_ = (b);					\
	if (!(fabs(a_ - b_) <= 1e-9 * (fabs(b_) + 1))) {		\
		print_error("%.17g != %.17g\n", a_, b_);		\
		fail();							\
	}								\
} while (0)

static void test_slot_boundaries(void **state)
{
	int i;

	assert_int_equal(hist_slot(0, N), 0);
	assert_int_equal(hist_slot(1, N), 1);
	assert_int_equal(hist_slot(2, N), 2);
	assert_int_equal(hist_slot(3, N), 2);
	assert_int_equal(hist_slot(4, N), 3);
	assert_int_equal(hist_slot(7, N), 3);
	assert_int_equal(hist_slot(8, N), 4);
	/* slot i holds exactly [2^(i-1), 2^i - 1] */
	for (i = 1; i < N - 1; i++) {
		assert_int_equal(hist_slot(1ULL << (i - 1), N), i);
		assert_int_equal(hist_slot((1ULL << i) - 1, N), i);
		assert_int_equal(hist_slot(1ULL << i, N), i + 1);
	}
	/* the last slot takes everything above */
	assert_int_equal(hist_slot(1ULL << 30, N), N - 1);
	assert_int_equal(hist_slot((1ULL << 31) - 1, N), N - 1);
	assert_int_equal(hist_slot(1ULL << 31, N), N - 1);
	assert_int_equal(hist_slot(UINT64_MAX, N), N - 1);
	assert_int_equal(hist_slot(UINT64_MAX, 65), 64);
	assert_int_equal(hist_slot(1ULL << 63, 65), 64);
	assert_int_equal(hist_slot((1ULL << 63) - 1, 65), 63);
	assert_int_equal(hist_slot(5, 1), 0);
}

static void test_percentile_empty(void **state)
{
	__u64 slots[N] = { 0 };

	assert_close(hist_percentile(slots, N, 50), 0);
	assert_close(hist_percentile(slots, N, 99), 0);
	assert_close(hist_percentile(slots, 0, 50), 0);
}

static void test_percentile_one_bucket(void **state)
{
	__u64 slots[N] = { 0 };

	/* 512 .. 1023 ns */
	slots[10] = 100;
	assert_close(hist_percentile(slots, N, 0), 512);
	assert_close(hist_percentile(slots, N, 25), 512 + 0.25 * 511);
	assert_close(hist_percentile(slots, N, 50), 767.5);
	assert_close(hist_percentile(slots, N, 100), 1023);

	/* degenerate slots: 0 ns and 1 ns */
	memset(slots, 0, sizeof(slots));
	slots[0] = 5;
	assert_close(hist_percentile(slots, N, 0), 0);
	assert_close(hist_percentile(slots, N, 99.9), 0);
	memset(slots, 0, sizeof(slots));
	slots[1] = 5;
	assert_close(hist_percentile(slots, N, 50), 1);
	assert_close(hist_percentile(slots, N, 100), 1);

	/* a single value */
	memset(slots, 0, sizeof(slots));
	slots[4] = 1;		/* 8 .. 15 */
	assert_close(hist_percentile(slots, N, 50), 11.5);
}

static void test_percentile_exact_boundaries(void **state)
{
	__u64 slots[N] = { 0 };

	slots[3] = 50;		/* 4 .. 7 */
	slots[5] = 50;		/* 16 .. 31 */
	assert_close(hist_percentile(slots, N, 0), 4);
	/* the 50th value is the last of slot 3 */
	assert_close(hist_percentile(slots, N, 50), 7);
	assert_true(hist_percentile(slots, N, 50.0001) >= 16);
	assert_true(hist_percentile(slots, N, 50.0001) < 16.01);
	assert_close(hist_percentile(slots, N, 75), 23.5);
	assert_close(hist_percentile(slots, N, 100), 31);
	/* the empty slot in between is never chosen */
	assert_true(hist_percentile(slots, N, 49.9) <= 7);
}

static void test_percentile_uniform_across_buckets(void **state)
{
	__u64 slots[N] = { 0 };
	int i;

	for (i = 1; i <= 10; i++)
		slots[i] = 10;	/* 100 values in slots 1 .. 10 */
	assert_close(hist_percentile(slots, N, 10), 1);
	assert_close(hist_percentile(slots, N, 15), 2.5);
	assert_close(hist_percentile(slots, N, 20), 3);
	assert_close(hist_percentile(slots, N, 90), 511);
	assert_close(hist_percentile(slots, N, 95), 767.5);
	assert_close(hist_percentile(slots, N, 99), 512 + 0.9 * 511);
	assert_close(hist_percentile(slots, N, 100), 1023);
}

static void test_percentile_clamps_p(void **state)
{
	__u64 slots[N] = { 0 };

	slots[2] = 3;
	slots[6] = 1;
	assert_close(hist_percentile(slots, N, -5), 2);
	assert_close(hist_percentile(slots, N, NAN), 2);
	assert_close(hist_percentile(slots, N, 150), 63);
	assert_close(hist_percentile(slots, N, INFINITY), 63);
}

static void test_percentile_last_slot(void **state)
{
	__u64 slots[N] = { 0 };
	double lo = 1ULL << 30, hi = (1ULL << 31) - 1;

	slots[N - 1] = 10;
	assert_close(hist_percentile(slots, N, 50), lo + 0.5 * (hi - lo));
	assert_close(hist_percentile(slots, N, 100), hi);

	/* 65 slots reach the top of __u64 without overflow */
	{
		__u64 big[65] = { 0 };

		big[64] = 1;
		/* (double)UINT64_MAX is 2^64 */
		assert_close(hist_percentile(big, 65, 100), 0x1p64);
		assert_close(hist_percentile(big, 65, 0), 0x1p63);
	}
}

/* The estimate lies in the slot of the true percentile, and grows with p. */
static void test_percentile_tracks_real_data(void **state)
{
	static __u64 vals[20000];
	__u64 slots[N] = { 0 };
	unsigned int seed = 1, i;
	double prev = 0;
	int p;

	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		/* log-uniformish latencies from 1 ns to ~1 ms */
		vals[i] = 1ULL << ((seed >> 16) % 20);
		vals[i] += (seed >> 8) % vals[i];
		slots[hist_slot(vals[i], N)]++;
	}
	for (i = 1; i < 20000; i++) {	/* insertion sort is enough here */
		__u64 v = vals[i];
		unsigned int j = i;

		for (; j && vals[j - 1] > v; j--)
			vals[j] = vals[j - 1];
		vals[j] = v;
	}
	for (p = 1; p <= 100; p++) {
		__u64 truth = vals[(20000 * p + 99) / 100 - 1];
		double est = hist_percentile(slots, N, p);
		int s = hist_slot(truth, N);

		assert_true(est >= (s ? (double)(1ULL << (s - 1)) : 0));
		assert_true(est <= (double)((1ULL << s) - 1) || s == 0);
		assert_true(est >= prev);
		prev = est;
	}
}

static void test_merge(void **state)
{
	__u64 a[4] = { 1, 2, 0, UINT64_MAX - 1 };
	__u64 b[4] = { 10, 0, 5, 7 };

	hist_merge(a, b, 4);
	assert_int_equal(a[0], 11);
	assert_int_equal(a[1], 2);
	assert_int_equal(a[2], 5);
	assert_true(a[3] == UINT64_MAX);	/* saturates, never wraps */
	assert_int_equal(b[0], 10);		/* source untouched */
	hist_merge(a, b, 0);
	assert_int_equal(a[0], 11);
}

static char *print_to_string(const __u64 *slots, int n, const char *label)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	hist_print(f, slots, n, label);
	fclose(f);
	return out;
}

static void test_print(void **state)
{
	__u64 slots[N] = { 0 };
	char *s;

	slots[1] = 1;
	slots[2] = 5;
	slots[4] = 10;
	s = print_to_string(slots, N, "nsecs");
	assert_string_equal(s,
"     nsecs               : count     distribution\n"
"         1 -> 1          : 1        |****                                    |\n"
"         2 -> 3          : 5        |********************                    |\n"
"         4 -> 7          : 0        |                                        |\n"
"         8 -> 15         : 10       |****************************************|\n");
	free(s);
}

static void test_print_zero_and_last_slot(void **state)
{
	__u64 slots[N] = { 0 };
	char *s;
	static const char head[] =
"     nsecs               : count     distribution\n"
"         0 -> 0          : 3        |****************************************|\n"
"         1 -> 1          : 0        |                                        |\n";
	static const char tail[] =
"\n"
" 536870912 -> 1073741823 : 2        |**************************              |\n"
"1073741824 -> inf        : 1        |*************                           |\n";

	slots[0] = 3;
	slots[N - 1] = 1;
	slots[N - 2] = 2;
	s = print_to_string(slots, N, "nsecs");
	/* the 0 ns slot is shown; the top slot is open-ended; 40*2/3 */
	assert_int_equal(strncmp(s, head, strlen(head)), 0);
	assert_true(strlen(s) > strlen(tail));
	assert_string_equal(s + strlen(s) - strlen(tail), tail);
	/* every slot in between, empty or not */
	{
		int lines = 0;
		char *p;

		for (p = s; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 1 + N);
	}
	free(s);
}

static void test_print_empty_and_trimmed(void **state)
{
	__u64 slots[N] = { 0 };
	char *s;

	s = print_to_string(slots, N, "nsecs");
	assert_string_equal(s, "");
	free(s);

	/* only the non-empty range is printed */
	slots[12] = 7;
	s = print_to_string(slots, N, "usecs");
	assert_string_equal(s,
"     usecs               : count     distribution\n"
"      2048 -> 4095       : 7        |****************************************|\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_boundaries),
		cmocka_unit_test(test_percentile_empty),
		cmocka_unit_test(test_percentile_one_bucket),
		cmocka_unit_test(test_percentile_exact_boundaries),
		cmocka_unit_test(test_percentile_uniform_across_buckets),
		cmocka_unit_test(test_percentile_clamps_p),
		cmocka_unit_test(test_percentile_last_slot),
		cmocka_unit_test(test_percentile_tracks_real_data),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_zero_and_last_slot),
		cmocka_unit_test(test_print_empty_and_trimmed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
