// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/doctor.c: the parsers of /proc, /sys and module
 * files, the facts read from a fake root laid out in a temporary
 * directory, and the verdict with its fix.
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
#include <unistd.h>

#include "doctor.h"

#define REL	"6.1.0-27-amd64"

static void test_version(void **state)
{
	assert_true(iptt_doctor_version_ok("6.1.0-27-amd64"));
	assert_true(iptt_doctor_version_ok("6.12.117+deb12-amd64"));
	assert_true(iptt_doctor_version_ok("5.12.0"));
	assert_true(iptt_doctor_version_ok("10.0"));
	assert_false(iptt_doctor_version_ok("5.10.0-30-amd64"));
	assert_false(iptt_doctor_version_ok("4.19.0"));
	assert_false(iptt_doctor_version_ok("garbage"));
	assert_false(iptt_doctor_version_ok(NULL));
}

static void test_kconfig(void **state)
{
	const char *cfg =
		"#\n# Automatically generated file\n"
		"CONFIG_KPROBES=y\n"
		"CONFIG_MODULES=y\n"
		"CONFIG_IP_NF_IPTABLES=m\n"
		"# CONFIG_MODULE_SIG_FORCE is not set\n"
		"CONFIG_KPROBES_ON_FTRACE=y\n"
		"CONFIG_LOCALVERSION=\"\"\n";

	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_KPROBES"), 'y');
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_IP_NF_IPTABLES"), 'm');
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_MODULE_SIG_FORCE"), 'n');
	/* a prefix of another symbol is not that symbol */
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_KPROBE"), 'n');
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_MODULE"), 'n');
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_LOCALVERSION"), 'n');
	assert_int_equal(iptt_doctor_kconfig(cfg, "CONFIG_ABSENT"), 'n');
	assert_int_equal(iptt_doctor_kconfig(NULL, "CONFIG_KPROBES"), '?');
	assert_int_equal(iptt_doctor_kconfig("", "CONFIG_KPROBES"), 'n');
	/* last line without a newline */
	assert_int_equal(iptt_doctor_kconfig("CONFIG_X=y", "CONFIG_X"), 'y');
}

static void test_lockdown(void **state)
{
	assert_int_equal(iptt_doctor_parse_lockdown("[none] integrity confidentiality\n"),
			 IPTT_LOCKDOWN_NONE);
	assert_int_equal(iptt_doctor_parse_lockdown("none [integrity] confidentiality\n"),
			 IPTT_LOCKDOWN_INTEGRITY);
	assert_int_equal(iptt_doctor_parse_lockdown("none integrity [confidentiality]\n"),
			 IPTT_LOCKDOWN_CONFIDENTIALITY);
	assert_int_equal(iptt_doctor_parse_lockdown(NULL), IPTT_LOCKDOWN_UNKNOWN);
	assert_int_equal(iptt_doctor_parse_lockdown(""), IPTT_LOCKDOWN_UNKNOWN);
	assert_int_equal(iptt_doctor_parse_lockdown("[bogus] none"), IPTT_LOCKDOWN_UNKNOWN);
	assert_int_equal(iptt_doctor_parse_lockdown("[none"), IPTT_LOCKDOWN_UNKNOWN);
}

static void test_nf_log(void **state)
{
	/* the kernel's format: "%2d %s (%s)" per protocol family */
	const char *unbound =
		" 0 NONE (nfnetlink_log)\n"
		" 1 NONE (nfnetlink_log)\n"
		" 2 nf_log_ipv4 (nf_log_ipv4,nfnetlink_log)\n"
		" 3 NONE ()\n"
		"10 nf_log_ipv6 (nf_log_ipv6,nfnetlink_log)\n";
	const char *bound =
		" 0 nfnetlink_log (nfnetlink_log)\n"
		" 2 NONE (nf_log_ipv4)\n";
	char name[64];

	assert_false(iptt_doctor_parse_nf_log(unbound, 0, name, sizeof(name)));
	assert_string_equal(name, "");
	assert_true(iptt_doctor_parse_nf_log(unbound, 2, name, sizeof(name)));
	assert_string_equal(name, "nf_log_ipv4");
	assert_true(iptt_doctor_parse_nf_log(unbound, 10, name, sizeof(name)));
	assert_string_equal(name, "nf_log_ipv6");
	assert_false(iptt_doctor_parse_nf_log(unbound, 7, name, sizeof(name)));

	assert_true(iptt_doctor_parse_nf_log(bound, 0, name, sizeof(name)));
	assert_string_equal(name, "nfnetlink_log");
	assert_false(iptt_doctor_parse_nf_log(bound, 2, name, sizeof(name)));

	/* no file: nf_log not in use */
	strcpy(name, "junk");
	assert_false(iptt_doctor_parse_nf_log(NULL, 0, name, sizeof(name)));
	assert_string_equal(name, "");
	/* a name longer than the buffer is cut */
	assert_true(iptt_doctor_parse_nf_log(" 0 nfnetlink_log ()\n", 0, name, 5));
	assert_string_equal(name, "nfne");
}

static void test_modules_dep(void **state)
{
	const char *dep =
		"kernel/net/netfilter/x_tables.ko.xz:\n"
		"kernel/net/ipv4/netfilter/ip_tables.ko.xz: kernel/net/netfilter/x_tables.ko.xz\n"
		"updates/dkms/ipttrace_extra.ko.xz:\n"
		"updates/dkms/ipttrace.ko.xz:\n";
	char out[256];

	assert_int_equal(iptt_doctor_modules_dep(dep, "ipttrace", out, sizeof(out)), 0);
	assert_string_equal(out, "updates/dkms/ipttrace.ko.xz");
	assert_int_equal(iptt_doctor_modules_dep(dep, "ip_tables", out, sizeof(out)), 0);
	assert_string_equal(out, "kernel/net/ipv4/netfilter/ip_tables.ko.xz");
	assert_int_equal(iptt_doctor_modules_dep("extra/ipttrace.ko:\n", "ipttrace",
						 out, sizeof(out)), 0);
	assert_string_equal(out, "extra/ipttrace.ko");
	assert_int_equal(iptt_doctor_modules_dep("updates/dkms/ipttrace.ko.zst:", "ipttrace",
						 out, sizeof(out)), 0);
	assert_string_equal(out, "updates/dkms/ipttrace.ko.zst");
	/* names that merely start with it, or other suffixes, do not count */
	assert_int_equal(iptt_doctor_modules_dep("updates/ipttracer.ko:\n"
						 "extra/ipttrace.o:\n"
						 "extra/xipttrace.ko:\n",
						 "ipttrace", out, sizeof(out)), -1);
	assert_int_equal(iptt_doctor_modules_dep(NULL, "ipttrace", out, sizeof(out)), -1);
	assert_int_equal(iptt_doctor_modules_dep("", "ipttrace", out, sizeof(out)), -1);
}

static void test_vermagic_and_signature(void **state)
{
	static const char img[] =
		"\177ELF junk vermagic=not-after-nul \0license=GPL\0"
		"vermagic=" REL " SMP preempt mod_unload modversions \0name=ipttrace\0"
		"~Module signature appended~\n";
	char out[128];

	assert_int_equal(iptt_doctor_vermagic(img, sizeof(img) - 1, out, sizeof(out)), 0);
	assert_string_equal(out, REL);
	assert_true(iptt_doctor_signed(img, sizeof(img) - 1));
	/* without the trailing magic: unsigned */
	assert_false(iptt_doctor_signed(img, sizeof(img) - 2));
	assert_false(iptt_doctor_signed("~Mod", 4));
	assert_int_equal(iptt_doctor_vermagic("no modinfo here", 15, out, sizeof(out)), -1);
	/* vermagic= cut at the end of the image */
	assert_int_equal(iptt_doctor_vermagic("\0vermagic=6.1", 13, out, sizeof(out)), -1);
	assert_int_equal(iptt_doctor_vermagic("vermagic= SMP", 13, out, sizeof(out)), -1);
}

static void test_join_tables(void **state)
{
	char out[256];

	assert_int_equal(iptt_doctor_join_tables("filter\nnat\nmangle\n", false,
						 out, sizeof(out)), 3);
	assert_string_equal(out, "filter, nat, mangle");
	assert_int_equal(iptt_doctor_join_tables("table ip filter\n"
						 "table inet firewalld\n"
						 "# Warning: ...\n", true,
						 out, sizeof(out)), 2);
	assert_string_equal(out, "ip filter, inet firewalld");
	assert_int_equal(iptt_doctor_join_tables("", false, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(iptt_doctor_join_tables(NULL, true, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* a small buffer holds a prefix, the count stays right */
	assert_int_equal(iptt_doctor_join_tables("filter\nnat\n", false, out, 8), 2);
	assert_string_equal(out, "filter,");
}

/* ---- facts from a fake root ---- */

static void put(const char *root, const char *path, const void *data, size_t len)
{
	char full[4096], *p;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0755);
		*p = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void puts_(const char *root, const char *path, const char *text)
{
	put(root, path, text, strlen(text));
}

static char *make_root(void)
{
	char *root = strdup("/tmp/iptt-doctor-XXXXXX");

	assert_non_null(root);
	assert_non_null(mkdtemp(root));
	return root;
}

static void rm_root(char *root)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

/* A Debian box with the DKMS module installed, compressed. */
static void debian_box(const char *root)
{
	puts_(root, "/boot/config-" REL,
	      "CONFIG_DEBUG_INFO_BTF_MODULES=y\nCONFIG_BPF_JIT=y\n"
	      "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y\nCONFIG_KPROBES=y\n"
	      "CONFIG_MODULE_SIG=y\nCONFIG_SECURITY_LOCKDOWN_LSM=y\n");
	puts_(root, "/sys/kernel/btf/vmlinux", "");
	puts_(root, "/sys/kernel/btf/ip_tables", "");
	puts_(root, "/sys/bus/event_source/devices/kprobe/type", "6\n");
	puts_(root, "/sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	puts_(root, "/proc/modules", "ip_tables 36864 0 - Live 0x0\n");
	puts_(root, "/proc/sys/kernel/modules_disabled", "0\n");
	puts_(root, "/sys/module/module/parameters/sig_enforce", "N\n");
	puts_(root, "/sys/module/ip_tables/refcnt", "0\n");
	puts_(root, "/sys/module/nf_tables/refcnt", "0\n");
	puts_(root, "/lib/modules/" REL "/modules.dep",
	      "kernel/net/ipv4/netfilter/ip_tables.ko:\n"
	      "updates/dkms/ipttrace.ko.xz:\n");
	puts_(root, "/lib/modules/" REL "/build/Makefile", "");
	puts_(root, "/proc/net/netfilter/nf_log", " 0 NONE ()\n 2 NONE ()\n");
}

static void test_gather_debian(void **state)
{
	struct iptt_doctor_facts f;
	char *root = make_root(), why[1024];

	debian_box(root);
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_true(f.kconfig_found);
	assert_true(f.btf_vmlinux);
	assert_int_equal(f.btf_modules, IPTT_YES);
	assert_int_equal(f.fentry, IPTT_YES);
	assert_int_equal(f.kprobes, IPTT_YES);
	assert_int_equal(f.lockdown, IPTT_LOCKDOWN_NONE);
	assert_true(f.modules_supported);
	assert_false(f.modules_disabled);
	assert_int_equal(f.sig_enforce, IPTT_NO);
	assert_int_equal(f.secure_boot, IPTT_NO);
	assert_int_equal(f.kmod, IPTT_KMOD_MODPROBE);
	assert_string_equal(f.kmod_path, "/lib/modules/" REL "/updates/dkms/ipttrace.ko.xz");
	assert_true(f.headers);
	assert_true(f.ip_tables);
	assert_false(f.ip6_tables);
	assert_true(f.nf_tables);
	assert_string_equal(f.unspec_logger, "");
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_TRACE);
	assert_string_equal(why, "");
	rm_root(root);
}

/* A module file beside the executable wins; one for another kernel does not. */
static void test_gather_module_file(void **state)
{
	static const char good[] = "\0vermagic=" REL " SMP \0";
	static const char other[] = "\0vermagic=6.12.9 SMP \0";
	struct iptt_doctor_facts f;
	char *root = make_root(), exe[300], why[1024];

	debian_box(root);
	snprintf(exe, sizeof(exe), "%s/opt/bin", root);
	put(root, "/opt/bin/kmod/" REL "/ipttrace.ko", good, sizeof(good));
	iptt_doctor_gather(&f, root, REL, "x86_64", exe, NULL);
	assert_int_equal(f.kmod, IPTT_KMOD_FILE);
	assert_non_null(strstr(f.kmod_path, "/opt/bin/kmod/" REL "/ipttrace.ko"));
	assert_int_equal(f.kmod_signed, IPTT_NO);

	/* the wrong kernel's module: modules.dep is next */
	put(root, "/opt/bin/kmod/" REL "/ipttrace.ko", other, sizeof(other));
	iptt_doctor_gather(&f, root, REL, "x86_64", exe, NULL);
	assert_int_equal(f.kmod, IPTT_KMOD_MODPROBE);

	/* nothing at all: the reason names the wrong build */
	puts_(root, "/lib/modules/" REL "/modules.dep", "");
	iptt_doctor_gather(&f, root, REL, "x86_64", exe, NULL);
	assert_int_equal(f.kmod, IPTT_KMOD_NONE);
	assert_non_null(strstr(f.kmod_why, "built for 6.12.9"));
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_LATENCY);
	assert_non_null(strstr(why, "ipttrace-dkms"));

	/* --kmod that does not exist */
	iptt_doctor_gather(&f, root, REL, "x86_64", exe, "/nonexistent/ipttrace.ko");
	assert_int_equal(f.kmod, IPTT_KMOD_NONE);
	assert_non_null(strstr(f.kmod_why, "--kmod /nonexistent/ipttrace.ko"));
	rm_root(root);
}

/* An already loaded module is used whatever the files say. */
static void test_gather_loaded(void **state)
{
	struct iptt_doctor_facts f;
	char *root = make_root(), why[1024];

	debian_box(root);
	puts_(root, "/lib/modules/" REL "/modules.dep", "");
	puts_(root, "/sys/module/ipttrace/taint", "OE\n");
	puts_(root, "/proc/sys/kernel/modules_disabled", "1\n");
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_int_equal(f.kmod, IPTT_KMOD_LOADED);
	assert_int_equal(f.kmod_signed, IPTT_NO);
	assert_true(f.modules_disabled);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_TRACE);
	rm_root(root);
}

static void test_gather_locked_down(void **state)
{
	static const char img[] = "\0vermagic=" REL " SMP \0";
	struct iptt_doctor_facts f;
	char *root = make_root(), why[1024];

	debian_box(root);
	puts_(root, "/sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	puts_(root, "/sys/module/module/parameters/sig_enforce", "Y\n");
	put(root, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
	    "\x06\0\0\0\x01", 5);
	put(root, "/lib/modules/" REL "/updates/dkms/ipttrace.ko", img, sizeof(img));
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_int_equal(f.lockdown, IPTT_LOCKDOWN_INTEGRITY);
	assert_int_equal(f.sig_enforce, IPTT_YES);
	assert_int_equal(f.secure_boot, IPTT_YES);
	assert_int_equal(f.kmod, IPTT_KMOD_FILE);
	assert_string_equal(f.kmod_path, "/lib/modules/" REL "/updates/dkms/ipttrace.ko");
	assert_int_equal(f.kmod_signed, IPTT_NO);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_LATENCY);
	assert_non_null(strstr(why, "mokutil"));

	puts_(root, "/sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_NOTHING);
	assert_non_null(strstr(why, "confidentiality"));
	rm_root(root);
}

/* The host these tests run on: no modules, no kprobes, config in /proc. */
static void test_gather_no_modules(void **state)
{
	struct iptt_doctor_facts f;
	char *root = make_root(), why[1024];

	puts_(root, "/proc/config.gz",	/* gzopen reads plain text too */
	      "CONFIG_BPF_JIT=y\nCONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y\n"
	      "# CONFIG_KPROBES is not set\n# CONFIG_MODULES is not set\n"
	      "CONFIG_SECURITY_LOCKDOWN_LSM=y\n");
	puts_(root, "/sys/kernel/btf/vmlinux", "");
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_true(f.kconfig_found);
	assert_int_equal(f.btf_modules, IPTT_NO);
	assert_int_equal(f.fentry, IPTT_YES);
	assert_int_equal(f.kprobes, IPTT_NO);
	assert_false(f.modules_supported);
	assert_int_equal(f.lockdown, IPTT_LOCKDOWN_UNKNOWN);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_LATENCY);
	assert_non_null(strstr(why, "kprobes"));

	/* nothing readable at all: no BTF, nothing works */
	unlink(strcat(strcpy(why, root), "/sys/kernel/btf/vmlinux"));
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_NOTHING);
	assert_non_null(strstr(why, "BTF"));

	/* a kernel older than 5.12: nothing, whatever else it has */
	debian_box(root);
	iptt_doctor_gather(&f, root, "5.10.0-30-amd64", "x86_64", NULL, NULL);
	assert_false(f.version_ok);
	assert_int_equal(iptt_doctor_verdict(&f, why, sizeof(why)), IPTT_DOCTOR_NOTHING);
	assert_non_null(strstr(why, "5.12"));
	rm_root(root);
}

/* The report: one line per check, the verdict last, all from the facts. */
static void test_report(void **state)
{
	struct iptt_doctor_facts f;
	char *root = make_root(), *buf = NULL, *p;
	size_t len = 0;
	int lines = 0;
	FILE *out;

	debian_box(root);
	puts_(root, "/proc/net/netfilter/nf_log", " 0 nfnetlink_log ()\n");
	iptt_doctor_gather(&f, root, REL, "x86_64", NULL, NULL);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	iptt_doctor_report(out, &f);
	assert_int_equal(iptt_doctor_conclude(out, &f), IPTT_DOCTOR_TRACE);
	fclose(out);
	for (p = buf; *p; p++)
		lines += *p == '\n';
	/* 13 checks and the verdict */
	assert_int_equal(lines, 14);
	assert_non_null(strstr(buf, "would modprobe /lib/modules/" REL "/updates/dkms/ipttrace.ko.xz"));
	assert_non_null(strstr(buf, "'nfnetlink_log' is bound to NFPROTO_UNSPEC"));
	assert_non_null(strstr(buf, "ip_tables loaded, ip6_tables not loaded"));
	p = strstr(buf, "verdict");
	assert_non_null(p);
	assert_non_null(strstr(p, "full tracing works here"));
	assert_non_null(strstr(p, "--keep-log"));
	free(buf);
	rm_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_kconfig),
		cmocka_unit_test(test_lockdown),
		cmocka_unit_test(test_nf_log),
		cmocka_unit_test(test_modules_dep),
		cmocka_unit_test(test_vermagic_and_signature),
		cmocka_unit_test(test_join_tables),
		cmocka_unit_test(test_gather_debian),
		cmocka_unit_test(test_gather_module_file),
		cmocka_unit_test(test_gather_loaded),
		cmocka_unit_test(test_gather_locked_down),
		cmocka_unit_test(test_gather_no_modules),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
