// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/json.c: the exact bytes of --json lines, since other
 * tools parse them.
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

#include "json.h"

/* The finished line, checked for the invariants every line must have. */
static const char *finish(struct jw *w)
{
	size_t len = 12345;
	const char *s = jw_end(w, &len);

	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_true(len >= 3);
	assert_int_equal(s[0], '{');
	assert_memory_equal(s + len - 2, "}\n", 2);
	return s;
}

/* One string member "s" holding val[0..n). */
static const char *one_string(struct jw *w, const char *val, size_t n)
{
	jw_begin(w);
	jw_strn(w, "s", val, n);
	return finish(w);
}

#define EXPECT_STRING(w, in, n, out) \
	assert_string_equal(one_string(w, in, n), "{\"s\":\"" out "\"}\n")

static void test_scalars(void **state)
{
	struct jw w = { 0 };

	jw_begin(&w);
	jw_str(&w, "table", "filter");
	jw_u64(&w, "id", 18446744073709551615ULL);
	jw_u64(&w, "zero", 0);
	jw_i64(&w, "neg", -42);
	jw_i64(&w, "min", INT64_MIN);
	jw_bool(&w, "t", true);
	jw_bool(&w, "f", false);
	jw_null(&w, "rule");
	assert_string_equal(finish(&w),
		"{\"table\":\"filter\",\"id\":18446744073709551615,"
		"\"zero\":0,\"neg\":-42,\"min\":-9223372036854775808,"
		"\"t\":true,\"f\":false,\"rule\":null}\n");
	jw_free(&w);
}

static void test_doubles(void **state)
{
	struct jw w = { 0 };

	jw_begin(&w);
	jw_double(&w, "a", 767.5);
	jw_double(&w, "b", 0.1);
	jw_double(&w, "c", 1e300);
	jw_double(&w, "d", -0.0);
	jw_double(&w, "e", 3.0);
	jw_double(&w, "nan", NAN);
	jw_double(&w, "inf", INFINITY);
	jw_double(&w, "ninf", -INFINITY);
	assert_string_equal(finish(&w),
		"{\"a\":767.5,\"b\":0.1,\"c\":1e+300,\"d\":-0,\"e\":3,"
		"\"nan\":null,\"inf\":null,\"ninf\":null}\n");
	jw_free(&w);
}

static void test_empty_and_null_values(void **state)
{
	struct jw w = { 0 };

	jw_begin(&w);
	assert_string_equal(finish(&w), "{}\n");

	/* a NULL value omits the member, and its comma */
	jw_begin(&w);
	jw_str(&w, "a", NULL);
	jw_str(&w, "b", "x");
	jw_strn(&w, "c", NULL, 5);
	jw_str(&w, "d", "");
	jw_str(&w, "e", NULL);
	assert_string_equal(finish(&w), "{\"b\":\"x\",\"d\":\"\"}\n");
	jw_free(&w);
}

static void test_control_characters(void **state)
{
	static const char *want[0x20] = {
		NULL, "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
		"\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f",
		"\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",
		"\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
		"\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c",
		"\\u001d", "\\u001e", "\\u001f",
	};
	struct jw w = { 0 };
	char in[4], out[64];
	int c;

	for (c = 1; c < 0x20; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'z';
		snprintf(out, sizeof(out), "{\"s\":\"a%sz\"}\n", want[c]);
		assert_string_equal(one_string(&w, in, 3), out);
	}
	/* all of them in one string */
	{
		char all[0x20];
		char expect[256] = "{\"s\":\"";

		for (c = 1; c < 0x20; c++) {
			all[c - 1] = (char)c;
			strcat(expect, want[c]);
		}
		strcat(expect, "\"}\n");
		assert_string_equal(one_string(&w, all, 0x1f), expect);
	}
	jw_free(&w);
}

static void test_quotes_and_backslashes(void **state)
{
	struct jw w = { 0 };
	const char *rule = "-A INPUT -m comment --comment "
			   "\"with \\\"quotes\\\" and 'x'\" -j ACCEPT";

	EXPECT_STRING(&w, "\"", 1, "\\\"");
	EXPECT_STRING(&w, "\\", 1, "\\\\");
	EXPECT_STRING(&w, "/", 1, "/");
	EXPECT_STRING(&w, "\x7f", 1, "\x7f");	/* DEL needs no escape */
	EXPECT_STRING(&w, rule, strlen(rule),
		      "-A INPUT -m comment --comment "
		      "\\\"with \\\\\\\"quotes\\\\\\\" and 'x'\\\" -j ACCEPT");
	jw_free(&w);
}

/* Every single byte, so no byte value is left untested. */
static void test_every_byte(void **state)
{
	struct jw w = { 0 };
	char out[64];
	int c;

	for (c = 0; c < 256; c++) {
		char in = (char)c;

		if (c == 0)
			strcpy(out, "{\"s\":\"\"}\n");	/* strnlen stops */
		else if (c < 0x20)
			continue;	/* test_control_characters */
		else if (c == '"' || c == '\\')
			snprintf(out, sizeof(out), "{\"s\":\"\\%c\"}\n", c);
		else if (c < 0x80)
			snprintf(out, sizeof(out), "{\"s\":\"%c\"}\n", c);
		else	/* a lone byte >= 0x80 is never valid UTF-8 */
			strcpy(out, "{\"s\":\"\\ufffd\"}\n");
		assert_string_equal(one_string(&w, &in, 1), out);
	}
	jw_free(&w);
}

static void test_valid_utf8_passes(void **state)
{
	struct jw w = { 0 };

	EXPECT_STRING(&w, "caf\xc3\xa9", 5, "caf\xc3\xa9");
	EXPECT_STRING(&w, "\xc2\x80", 2, "\xc2\x80");		/* U+0080 */
	EXPECT_STRING(&w, "\xdf\xbf", 2, "\xdf\xbf");		/* U+07FF */
	EXPECT_STRING(&w, "\xe0\xa0\x80", 3, "\xe0\xa0\x80");	/* U+0800 */
	EXPECT_STRING(&w, "\xe2\x82\xac", 3, "\xe2\x82\xac");	/* euro */
	EXPECT_STRING(&w, "\xed\x9f\xbf", 3, "\xed\x9f\xbf");	/* U+D7FF */
	EXPECT_STRING(&w, "\xee\x80\x80", 3, "\xee\x80\x80");	/* U+E000 */
	EXPECT_STRING(&w, "\xef\xbf\xbf", 3, "\xef\xbf\xbf");	/* U+FFFF */
	EXPECT_STRING(&w, "\xf0\x90\x80\x80", 4, "\xf0\x90\x80\x80");
	EXPECT_STRING(&w, "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
	EXPECT_STRING(&w, "\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf");
	jw_free(&w);
}

/* One U+FFFD per maximal ill-formed subpart (Unicode 3.9, table 3-8). */
static void test_invalid_utf8(void **state)
{
	struct jw w = { 0 };

#define R "\\ufffd"
	EXPECT_STRING(&w, "\x80", 1, R);
	EXPECT_STRING(&w, "\xbf\xbf", 2, R R);
	EXPECT_STRING(&w, "\xc0\x80", 2, R R);		/* overlong NUL */
	EXPECT_STRING(&w, "\xc1\xbf", 2, R R);
	EXPECT_STRING(&w, "\xe0\x80\x80", 3, R R R);	/* overlong */
	EXPECT_STRING(&w, "\xe0\x9f\xbf", 3, R R R);
	EXPECT_STRING(&w, "\xed\xa0\x80", 3, R R R);	/* surrogate */
	EXPECT_STRING(&w, "\xed\xbf\xbf", 3, R R R);
	EXPECT_STRING(&w, "\xf0\x80\x80\x80", 4, R R R R);
	EXPECT_STRING(&w, "\xf4\x90\x80\x80", 4, R R R R);	/* > 10FFFF */
	EXPECT_STRING(&w, "\xf5\x80\x80\x80", 4, R R R R);
	EXPECT_STRING(&w, "\xfe\xff", 2, R R);
	/* truncated sequences: one replacement for the whole prefix */
	EXPECT_STRING(&w, "\xe2\x82", 2, R);
	EXPECT_STRING(&w, "\xe2\x82" "A", 3, R "A");
	EXPECT_STRING(&w, "\xf0\x9f\x98" "x", 4, R "x");
	EXPECT_STRING(&w, "\xc3", 1, R);
	EXPECT_STRING(&w, "\xc3\"", 2, R "\\\"");
	/* the example of the Unicode standard */
	EXPECT_STRING(&w, "a\xf1\x80\x80\xe1\x80\xc2" "b\x80" "c\x80\xbf" "d",
		      13, "a" R R R "b" R "c" R R "d");
	/* a cut at n must not read past it */
	EXPECT_STRING(&w, "\xe2\x82\xac", 2, R);
#undef R
	jw_free(&w);
}

static void test_strn_fixed_arrays(void **state)
{
	struct jw w = { 0 };
	char full[4] = { 'e', 't', 'h', '0' };	/* IFNAMSIZ-like, no NUL */
	char shorter[8] = "lo";

	jw_begin(&w);
	jw_strn(&w, "in", full, sizeof(full));
	jw_strn(&w, "out", shorter, sizeof(shorter));
	jw_strn(&w, "none", full, 0);
	jw_strn(&w, "cut", "abcdef", 3);
	assert_string_equal(finish(&w),
		"{\"in\":\"eth0\",\"out\":\"lo\",\"none\":\"\","
		"\"cut\":\"abc\"}\n");
	jw_free(&w);
}

static void test_keys_are_escaped(void **state)
{
	struct jw w = { 0 };

	jw_begin(&w);
	jw_u64(&w, "a\"b\n\xff", 1);
	assert_string_equal(finish(&w), "{\"a\\\"b\\n\\ufffd\":1}\n");
	jw_free(&w);
}

static void test_nesting(void **state)
{
	struct jw w = { 0 };

	jw_begin(&w);
	jw_u64(&w, "id", 7);
	jw_obj_begin(&w, "tuple");
	jw_str(&w, "saddr", "10.0.0.1");
	jw_u64(&w, "sport", 80);
	jw_obj_begin(&w, "inner");
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_arr_begin(&w, "steps");
	jw_obj_begin(&w, NULL);
	jw_str(&w, "chain", "INPUT");
	jw_u64(&w, "rulenum", 1);
	jw_obj_end(&w);
	jw_obj_begin(&w, "ignored-key");
	jw_str(&w, "chain", "DOCKER");
	jw_obj_end(&w);
	jw_str(&w, NULL, "plain");
	jw_u64(&w, NULL, 3);
	jw_arr_begin(&w, NULL);
	jw_arr_end(&w);
	jw_arr_end(&w);
	jw_bool(&w, "last", true);
	assert_string_equal(finish(&w),
		"{\"id\":7,\"tuple\":{\"saddr\":\"10.0.0.1\",\"sport\":80,"
		"\"inner\":{}},\"steps\":[{\"chain\":\"INPUT\",\"rulenum\":1},"
		"{\"chain\":\"DOCKER\"},\"plain\",3,[]],\"last\":true}\n");
	jw_free(&w);
}

static void test_misuse_keeps_json_valid(void **state)
{
	struct jw w = { 0 };
	int i;

	/* jw_end closes what is left open */
	jw_begin(&w);
	jw_obj_begin(&w, "a");
	jw_arr_begin(&w, "b");
	jw_u64(&w, NULL, 1);
	assert_string_equal(finish(&w), "{\"a\":{\"b\":[1]}}\n");

	/* a value without a key inside an object is dropped */
	jw_begin(&w);
	jw_str(&w, NULL, "x");
	jw_u64(&w, "k", 1);
	jw_obj_begin(&w, NULL);		/* dropped, with its members */
	jw_u64(&w, "lost", 2);
	jw_obj_end(&w);
	jw_u64(&w, "kept", 3);
	assert_string_equal(finish(&w), "{\"k\":1,\"kept\":3}\n");

	/* extra ends cannot close the line's own object */
	jw_begin(&w);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_u64(&w, "k", 1);
	assert_string_equal(finish(&w), "{\"k\":1}\n");

	/* members outside begin/end are dropped */
	jw_u64(&w, "after", 1);
	jw_obj_begin(&w, "after");
	jw_begin(&w);
	jw_u64(&w, "k", 2);
	assert_string_equal(finish(&w), "{\"k\":2}\n");
	assert_string_equal(finish(&w), "{}\n");	/* end without begin */

	/* nesting deeper than JW_MAX_DEPTH drops the deepest levels */
	jw_begin(&w);
	for (i = 0; i < JW_MAX_DEPTH + 8; i++)
		jw_obj_begin(&w, "o");
	jw_u64(&w, "deep", 1);
	for (i = 0; i < 8; i++)
		jw_obj_end(&w);
	jw_u64(&w, "at32", 1);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_obj_end(&w);
	jw_u64(&w, "top", 1);
	{
		char expect[1024] = "{";

		for (i = 0; i < JW_MAX_DEPTH; i++)
			strcat(expect, "\"o\":{");
		strcat(expect, "\"at32\":1");
		for (i = 0; i < JW_MAX_DEPTH; i++)
			strcat(expect, "}");
		strcat(expect, ",\"top\":1}\n");
		assert_string_equal(finish(&w), expect);
	}
	jw_free(&w);
}

static void test_buffer_reuse_and_growth(void **state)
{
	struct jw w = { 0 };
	size_t n = 1 << 20, len;
	char *big = malloc(n);
	const char *s;

	assert_non_null(big);
	memset(big, '"', n);		/* each byte doubles when escaped */
	jw_begin(&w);
	jw_strn(&w, "big", big, n);
	s = jw_end(&w, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen("{\"big\":\"\"}\n") + 2 * n);
	assert_int_equal(s[len - 1], '\n');

	/* the next line starts from scratch */
	jw_begin(&w);
	jw_u64(&w, "n", 1);
	assert_string_equal(finish(&w), "{\"n\":1}\n");

	/* jw_free leaves a reusable writer */
	jw_free(&w);
	jw_begin(&w);
	jw_bool(&w, "again", false);
	assert_string_equal(finish(&w), "{\"again\":false}\n");
	jw_free(&w);
	jw_free(&w);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_empty_and_null_values),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_quotes_and_backslashes),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_valid_utf8_passes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_strn_fixed_arrays),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_misuse_keeps_json_valid),
		cmocka_unit_test(test_buffer_reuse_and_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
