// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for iptt_kmod_candidates() in user/kmod.c: where ipttrace
 * looks for ipttrace.ko, in which order.  The order matters: a module
 * freshly built beside build/ipttrace must win over an older installed one,
 * and "make install" puts modules in PREFIX/lib/ipttrace/kmod/, reached
 * from PREFIX/sbin through "..".  The ipttrace-dkms package's module lands
 * in /lib/modules/REL/updates/dkms/, searched before extra/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kmod.h"

#define REL	"6.1.0-27-amd64"
#define PATHLEN	4096

/* More slots than any search uses, marked so that unwritten ones show. */
static char (*slots(int n))[PATHLEN]
{
	char (*p)[PATHLEN] = malloc(n * sizeof(*p));
	int i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		strcpy(p[i], "unwritten");
	return p;
}

static void test_order(void **state)
{
	char (*p)[PATHLEN] = slots(8);

	assert_int_equal(iptt_kmod_candidates("/usr/local/sbin", REL, p, 8), 4);
	assert_int_equal(IPTT_KMOD_MAX_CANDIDATES, 4);
	assert_string_equal(p[0], "/usr/local/sbin/kmod/" REL "/ipttrace.ko");
	assert_string_equal(p[1],
		"/usr/local/sbin/../lib/ipttrace/kmod/" REL "/ipttrace.ko");
	assert_string_equal(p[2], "/lib/modules/" REL "/updates/dkms/ipttrace.ko");
	assert_string_equal(p[3], "/lib/modules/" REL "/extra/ipttrace.ko");
	assert_string_equal(p[4], "unwritten");
	free(p);
}

/* The build tree: build/ipttrace and build/kmod/REL/ipttrace.ko. */
static void test_build_tree(void **state)
{
	char (*p)[PATHLEN] = slots(4);

	assert_int_equal(iptt_kmod_candidates("/src/ipttrace/build", "6.12.9",
					      p, 4), 4);
	assert_string_equal(p[0], "/src/ipttrace/build/kmod/6.12.9/ipttrace.ko");
	assert_string_equal(p[1],
		"/src/ipttrace/build/../lib/ipttrace/kmod/6.12.9/ipttrace.ko");
	assert_string_equal(p[2], "/lib/modules/6.12.9/updates/dkms/ipttrace.ko");
	assert_string_equal(p[3], "/lib/modules/6.12.9/extra/ipttrace.ko");
	free(p);
}

/* No executable directory (readlink failed): only the system paths. */
static void test_null_exe_dir(void **state)
{
	char (*p)[PATHLEN] = slots(4);

	assert_int_equal(iptt_kmod_candidates(NULL, REL, p, 4), 2);
	assert_string_equal(p[0], "/lib/modules/" REL "/updates/dkms/ipttrace.ko");
	assert_string_equal(p[1], "/lib/modules/" REL "/extra/ipttrace.ko");
	assert_string_equal(p[2], "unwritten");

	assert_int_equal(iptt_kmod_candidates(NULL, REL, p, 1), 1);
	assert_string_equal(p[0], "/lib/modules/" REL "/updates/dkms/ipttrace.ko");
	free(p);
}

/* The executable in "/": exe_dir is "", which still means the root. */
static void test_root_exe_dir(void **state)
{
	char (*p)[PATHLEN] = slots(4);

	assert_int_equal(iptt_kmod_candidates("", REL, p, 4), 4);
	assert_string_equal(p[0], "/kmod/" REL "/ipttrace.ko");
	assert_string_equal(p[1], "/../lib/ipttrace/kmod/" REL "/ipttrace.ko");
	free(p);
}

/* max caps the count and the writes, keeping the order's prefix. */
static void test_max(void **state)
{
	char (*p)[PATHLEN];
	int max;

	for (max = 0; max <= 4; max++) {
		/* exactly max slots: a write past them is an ASan report */
		p = max ? slots(max) : NULL;
		assert_int_equal(iptt_kmod_candidates("/opt/bin", REL, p, max),
				 max);
		if (max >= 1)
			assert_string_equal(p[0],
				"/opt/bin/kmod/" REL "/ipttrace.ko");
		if (max >= 2)
			assert_string_equal(p[1],
				"/opt/bin/../lib/ipttrace/kmod/" REL "/ipttrace.ko");
		if (max >= 3)
			assert_string_equal(p[2],
				"/lib/modules/" REL "/updates/dkms/ipttrace.ko");
		if (max >= 4)
			assert_string_equal(p[3],
				"/lib/modules/" REL "/extra/ipttrace.ko");
		free(p);
	}

	assert_int_equal(iptt_kmod_candidates("/opt/bin", REL, NULL, -1), 0);
	p = slots(2);
	assert_int_equal(iptt_kmod_candidates(NULL, REL, p, 0), 0);
	assert_string_equal(p[0], "unwritten");
	free(p);
}

/* A directory longer than a slot is cut, not written past the slot. */
static void test_long_exe_dir(void **state)
{
	char (*p)[PATHLEN] = slots(4);
	char *dir = malloc(PATHLEN + 100);

	assert_non_null(dir);
	memset(dir, 'd', PATHLEN + 99);
	dir[0] = '/';
	dir[PATHLEN + 99] = '\0';
	assert_int_equal(iptt_kmod_candidates(dir, REL, p, 4), 4);
	assert_int_equal(strlen(p[0]), PATHLEN - 1);
	assert_int_equal(strlen(p[1]), PATHLEN - 1);
	assert_memory_equal(p[0], dir, PATHLEN - 1);
	/* the system paths do not depend on the directory */
	assert_string_equal(p[2], "/lib/modules/" REL "/updates/dkms/ipttrace.ko");
	assert_string_equal(p[3], "/lib/modules/" REL "/extra/ipttrace.ko");
	free(dir);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_build_tree),
		cmocka_unit_test(test_null_exe_dir),
		cmocka_unit_test(test_root_exe_dir),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_long_exe_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
