// SPDX-License-Identifier: GPL-2.0
/* The minimum-kernel check: 5.10 LTS is refused with a reason, 5.12+ runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "loader.h"

static void test_versions(void **state)
{
	char why[160];

	assert_int_equal(iptt_kernel_version_ok("6.1.0-57-amd64", why, sizeof(why)), 0);
	assert_int_equal(iptt_kernel_version_ok("6.12.117+deb12-amd64", why, sizeof(why)), 0);
	assert_int_equal(iptt_kernel_version_ok("5.12.0", why, sizeof(why)), 0);
	assert_int_equal(iptt_kernel_version_ok("10.0", why, sizeof(why)), 0);
	assert_int_equal(iptt_kernel_version_ok("5.10.0-30-amd64", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "needs Linux 5.12 or later"));
	assert_non_null(strstr(why, "5.10.0-30-amd64"));
	assert_int_equal(iptt_kernel_version_ok("5.11.22", why, sizeof(why)), -1);
	assert_int_equal(iptt_kernel_version_ok("4.19.0", why, sizeof(why)), -1);
	assert_int_equal(iptt_kernel_version_ok("garbage", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot read the kernel version"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
