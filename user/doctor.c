// SPDX-License-Identifier: GPL-2.0
/*
 * ipttrace --doctor: the first command on a new box.  One line per thing
 * this kernel allows or refuses, which ipttrace.ko would be loaded, which
 * firewall backend each network namespace uses, and a closing verdict:
 * full tracing, --latency only, or nothing, with the fix.
 *
 * Read-only by construction: files under /proc, /sys, /boot and
 * /lib/modules, and listings run inside each namespace ('nft list tables'
 * only where nf_tables is already loaded, since nfnetlink would otherwise
 * load it).  No module, no BPF program, no sysctl.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "doctor.h"
#include "kmod.h"
#include "netns.h"

#define MAX_NETNS_LINES	20
#define SIG_MAGIC	"~Module signature appended~\n"
#define EFI_SECUREBOOT	"/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* ---------------------------------------------------------------- parsers */

/* The line of text that starts at p, as [p, end). */
static const char *line_end(const char *p)
{
	const char *e = strchr(p, '\n');

	return e ? e : p + strlen(p);
}

char iptt_doctor_kconfig(const char *text, const char *sym)
{
	size_t n = strlen(sym);
	const char *p, *e;

	if (!text)
		return '?';
	for (p = text; *p; p = *e ? e + 1 : e) {
		e = line_end(p);
		if ((size_t)(e - p) > n + 1 && !strncmp(p, sym, n) && p[n] == '=')
			return p[n + 1] == 'y' || p[n + 1] == 'm' ? p[n + 1] : 'n';
	}
	return 'n';
}

enum iptt_lockdown iptt_doctor_parse_lockdown(const char *text)
{
	static const char *const names[] = { "none", "integrity", "confidentiality" };
	const char *open, *close;
	size_t i, n;

	if (!text || !(open = strchr(text, '[')) || !(close = strchr(open, ']')))
		return IPTT_LOCKDOWN_UNKNOWN;
	n = close - open - 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(open + 1, names[i], n))
			return (enum iptt_lockdown)i;
	return IPTT_LOCKDOWN_UNKNOWN;
}

bool iptt_doctor_parse_nf_log(const char *text, int pf, char *name, size_t len)
{
	const char *p, *e;
	char word[64];
	int n;

	if (len)
		name[0] = '\0';
	if (!text)
		return false;
	for (p = text; *p; p = *e ? e + 1 : e) {
		e = line_end(p);
		if (sscanf(p, "%d %63[^ (\n]", &n, word) != 2 || n != pf)
			continue;
		if (!strcmp(word, "NONE"))
			return false;
		if (len)
			snprintf(name, len, "%s", word);
		return true;
	}
	return false;
}

int iptt_doctor_modules_dep(const char *text, const char *mod, char *out,
			    size_t len)
{
	static const char *const exts[] = { ".ko:", ".ko.xz:", ".ko.zst:", ".ko.gz:" };
	size_t m = strlen(mod), i, k;
	const char *p, *e, *colon, *base;

	if (!text)
		return -1;
	for (p = text; *p; p = *e ? e + 1 : e) {
		e = line_end(p);
		colon = memchr(p, ':', e - p);
		if (!colon)
			continue;
		base = p;
		for (const char *q = p; q < colon; q++)
			if (*q == '/')
				base = q + 1;
		if ((size_t)(colon - base) <= m || strncmp(base, mod, m))
			continue;
		for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			k = strlen(exts[i]);
			if (base + m + k - 1 == colon && !strncmp(base + m, exts[i], k)) {
				snprintf(out, len, "%.*s", (int)(colon - p), p);
				return 0;
			}
		}
	}
	return -1;
}

int iptt_doctor_vermagic(const char *image, size_t len, char *out, size_t outlen)
{
	static const char key[] = "vermagic=";
	const char *p = image, *end = image + len, *v, *s;

	while (p < end && (p = memmem(p, end - p, key, sizeof(key) - 1))) {
		/* a modinfo string starts after a NUL (or at the start) */
		if (p == image || p[-1] == '\0') {
			v = p + sizeof(key) - 1;
			for (s = v; s < end && *s && *s != ' '; s++)
				;
			if (s == v || s == end)
				return -1;
			snprintf(out, outlen, "%.*s", (int)(s - v), v);
			return 0;
		}
		p++;
	}
	return -1;
}

bool iptt_doctor_signed(const char *image, size_t len)
{
	size_t n = sizeof(SIG_MAGIC) - 1;

	return len >= n && !memcmp(image + len - n, SIG_MAGIC, n);
}

int iptt_doctor_join_tables(const char *text, bool nft, char *out, size_t len)
{
	const char *p, *e;
	char fam[32], name[256], item[300];
	size_t used = 0;
	int count = 0;

	if (len)
		out[0] = '\0';
	if (!text)
		return 0;
	for (p = text; *p; p = *e ? e + 1 : e) {
		e = line_end(p);
		if (nft) {
			if (sscanf(p, "table %31s %255s", fam, name) != 2)
				continue;
			snprintf(item, sizeof(item), "%s %s", fam, name);
		} else {
			if (sscanf(p, "%255s", name) != 1)
				continue;
			snprintf(item, sizeof(item), "%s", name);
		}
		if (used < len)
			used += snprintf(out + used, len - used, "%s%s",
					 count ? ", " : "", item);
		count++;
	}
	return count;
}

/* The BPF programs use atomic fetch-and-add (5.12) and CO-RE against
 * module BTF (5.11). */
bool iptt_doctor_version_ok(const char *rel)
{
	int maj = 0, min = 0;

	if (!rel || sscanf(rel, "%d.%d", &maj, &min) != 2)
		return false;
	return maj > 5 || (maj == 5 && min >= 12);
}

/* ---------------------------------------------------------------- facts */

/* root + path: the files a test lays out under a directory */
static void rooted(char *buf, size_t len, const char *root, const char *path)
{
	snprintf(buf, len, "%s%s", root ? root : "", path);
}

static bool exists(const char *root, const char *path)
{
	char p[PATH_MAX];

	rooted(p, sizeof(p), root, path);
	return access(p, F_OK) == 0;
}

/* Up to max bytes of a file (gzip or plain), NUL-terminated; NULL if absent. */
static char *slurp(const char *root, const char *path, size_t max, size_t *lenp)
{
	char p[PATH_MAX], *buf;
	size_t len = 0;
	gzFile gz;
	int n;

	rooted(p, sizeof(p), root, path);
	gz = gzopen(p, "rb");
	if (!gz)
		return NULL;
	buf = malloc(max + 1);
	while (buf && len < max && (n = gzread(gz, buf + len, max - len)) > 0)
		len += n;
	gzclose(gz);
	if (buf)
		buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

static void read_line(const char *root, const char *path, char *out, size_t len)
{
	char *t = slurp(root, path, 4096, NULL);

	out[0] = '\0';
	if (t) {
		snprintf(out, len, "%.*s", (int)strcspn(t, "\n"), t);
		free(t);
	}
}

static bool btf_dir_has_modules(const char *root)
{
	char p[PATH_MAX];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	rooted(p, sizeof(p), root, "/sys/kernel/btf");
	dir = opendir(p);
	while (dir && !found && (d = readdir(dir)))
		found = d->d_name[0] != '.' && strcmp(d->d_name, "vmlinux");
	if (dir)
		closedir(dir);
	return found;
}

static enum iptt_tri from_kconfig(const char *config, const char *sym)
{
	char c = iptt_doctor_kconfig(config, sym);

	return c == '?' ? IPTT_UNKNOWN : c == 'y' ? IPTT_YES : IPTT_NO;
}

/*
 * Look at a module file: does it fit this kernel, is it signed.  Returns
 * true when it fits; otherwise says why in f->kmod_why.
 */
static bool check_module_file(struct iptt_doctor_facts *f, const char *root,
			      const char *path, const char *rel)
{
	char full[PATH_MAX], magic[128];
	size_t len;
	char *img;

	if (!strncmp(path, "/lib/modules/", 13))
		rooted(full, sizeof(full), root, path);
	else
		snprintf(full, sizeof(full), "%s", path);
	if (access(full, R_OK))
		return false;
	img = slurp("", full, 64 << 20, &len);
	if (!img) {
		snprintf(f->kmod_why, sizeof(f->kmod_why), "%s: cannot read it", path);
		return false;
	}
	if (iptt_doctor_vermagic(img, len, magic, sizeof(magic))) {
		snprintf(f->kmod_why, sizeof(f->kmod_why),
			 "%s is not a kernel module (no vermagic)", path);
		free(img);
		return false;
	}
	if (strcmp(magic, rel)) {
		snprintf(f->kmod_why, sizeof(f->kmod_why),
			 "%s was built for %s, not %s", path, magic, rel);
		free(img);
		return false;
	}
	f->kmod_signed = iptt_doctor_signed(img, len) ? IPTT_YES : IPTT_NO;
	free(img);
	return true;
}

static void find_module(struct iptt_doctor_facts *f, const char *root,
			const char *rel, const char *exe_dir,
			const char *kmod_path)
{
	char paths[IPTT_KMOD_MAX_CANDIDATES][4096], dep[PATH_MAX], rel_path[PATH_MAX];
	char taint[32], *text;
	int i, n;

	f->kmod_signed = IPTT_UNKNOWN;
	if (exists(root, "/sys/module/ipttrace")) {
		f->kmod = IPTT_KMOD_LOADED;
		read_line(root, "/sys/module/ipttrace/taint", taint, sizeof(taint));
		/* 'E': an unsigned module was loaded */
		f->kmod_signed = strchr(taint, 'E') ? IPTT_NO : IPTT_YES;
		return;
	}
	if (kmod_path) {
		if (check_module_file(f, root, kmod_path, rel)) {
			f->kmod = IPTT_KMOD_FILE;
			snprintf(f->kmod_path, sizeof(f->kmod_path), "%.4095s", kmod_path);
		} else if (!f->kmod_why[0]) {
			snprintf(f->kmod_why, sizeof(f->kmod_why),
				 "--kmod %s: no such file", kmod_path);
		}
		return;
	}
	n = iptt_kmod_candidates(exe_dir, rel, paths, IPTT_KMOD_MAX_CANDIDATES);
	for (i = 0; i < n; i++) {
		if (check_module_file(f, root, paths[i], rel)) {
			f->kmod = IPTT_KMOD_FILE;
			snprintf(f->kmod_path, sizeof(f->kmod_path), "%.4095s", paths[i]);
			return;
		}
	}
	/* what modprobe would find: DKMS may have compressed it */
	snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", rel);
	text = slurp(root, dep, 16 << 20, NULL);
	if (!iptt_doctor_modules_dep(text, "ipttrace", rel_path, sizeof(rel_path))) {
		f->kmod = IPTT_KMOD_MODPROBE;
		snprintf(f->kmod_path, sizeof(f->kmod_path), "/lib/modules/%.127s/%.3900s",
			 rel, rel_path);
		if (!check_module_file(f, root, f->kmod_path, rel))
			f->kmod_why[0] = '\0';	/* compressed: modprobe knows */
	} else if (!f->kmod_why[0]) {
		snprintf(f->kmod_why, sizeof(f->kmod_why),
			 "no ipttrace.ko for %s (beside the executable, in /lib/modules/%s/{updates/dkms,extra} or modules.dep)",
			 rel, rel);
	}
	free(text);
}

void iptt_doctor_gather(struct iptt_doctor_facts *f, const char *root,
			const char *rel, const char *machine,
			const char *exe_dir, const char *kmod_path)
{
	char path[PATH_MAX], line[64], *config, *text;
	size_t len;

	memset(f, 0, sizeof(*f));
	snprintf(f->release, sizeof(f->release), "%s", rel);
	snprintf(f->machine, sizeof(f->machine), "%s", machine ? machine : "");
	f->version_ok = iptt_doctor_version_ok(rel);
	f->root = geteuid() == 0;

	snprintf(path, sizeof(path), "/boot/config-%s", rel);
	config = slurp(root, path, 4 << 20, NULL);
	if (!config)
		config = slurp(root, "/proc/config.gz", 4 << 20, NULL);
	f->kconfig_found = config != NULL;

	f->btf_vmlinux = exists(root, "/sys/kernel/btf/vmlinux");
	if (btf_dir_has_modules(root))
		f->btf_modules = IPTT_YES;
	else
		f->btf_modules = from_kconfig(config, "CONFIG_DEBUG_INFO_BTF_MODULES");

	/* trampolines: BTF, the JIT and ftrace direct calls */
	if (!f->btf_vmlinux)
		f->fentry = IPTT_NO;
	else if (from_kconfig(config, "CONFIG_BPF_JIT") == IPTT_NO)
		f->fentry = IPTT_NO;
	else
		f->fentry = from_kconfig(config, "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS");

	read_line(root, "/sys/kernel/debug/kprobes/enabled", line, sizeof(line));
	if (!strcmp(line, "0"))
		f->kprobes = IPTT_NO;	/* switched off at run time */
	else if (exists(root, "/sys/bus/event_source/devices/kprobe"))
		f->kprobes = IPTT_YES;
	else
		f->kprobes = from_kconfig(config, "CONFIG_KPROBES");

	text = slurp(root, "/sys/kernel/security/lockdown", 4096, NULL);
	f->lockdown = iptt_doctor_parse_lockdown(text);
	free(text);
	if (f->lockdown == IPTT_LOCKDOWN_UNKNOWN &&
	    from_kconfig(config, "CONFIG_SECURITY_LOCKDOWN_LSM") == IPTT_NO)
		f->lockdown = IPTT_LOCKDOWN_NONE;

	f->modules_supported = exists(root, "/proc/modules");
	read_line(root, "/proc/sys/kernel/modules_disabled", line, sizeof(line));
	f->modules_disabled = !strcmp(line, "1");

	read_line(root, "/sys/module/module/parameters/sig_enforce", line, sizeof(line));
	if (line[0] == 'Y')
		f->sig_enforce = IPTT_YES;
	else if (line[0] == 'N')
		f->sig_enforce = IPTT_NO;
	else if (from_kconfig(config, "CONFIG_MODULE_SIG_FORCE") == IPTT_YES)
		f->sig_enforce = IPTT_YES;
	else if (from_kconfig(config, "CONFIG_MODULE_SIG") == IPTT_NO)
		f->sig_enforce = IPTT_NO;
	else
		f->sig_enforce = IPTT_UNKNOWN;

	/* efivars: 4 bytes of attributes, then the value */
	text = slurp(root, EFI_SECUREBOOT, 64, &len);
	if (text && len >= 5)
		f->secure_boot = text[4] == 1 ? IPTT_YES : IPTT_NO;
	else if (!exists(root, "/sys/firmware/efi"))
		f->secure_boot = IPTT_NO;	/* not booted with UEFI */
	else
		f->secure_boot = IPTT_UNKNOWN;
	free(text);

	find_module(f, root, rel, exe_dir, kmod_path);
	snprintf(path, sizeof(path), "/lib/modules/%s/build", rel);
	f->headers = exists(root, path);

	f->ip_tables = exists(root, "/sys/module/ip_tables");
	f->ip6_tables = exists(root, "/sys/module/ip6_tables");
	f->nf_tables = exists(root, "/sys/module/nf_tables");

	text = slurp(root, "/proc/net/netfilter/nf_log", 65536, NULL);
	iptt_doctor_parse_nf_log(text, 0, f->unspec_logger, sizeof(f->unspec_logger));
	free(text);
	free(config);
}

/* ---------------------------------------------------------------- verdict */

static bool module_refused(const struct iptt_doctor_facts *f)
{
	return f->kmod != IPTT_KMOD_LOADED && f->kmod_signed == IPTT_NO &&
	       (f->lockdown == IPTT_LOCKDOWN_INTEGRITY || f->sig_enforce == IPTT_YES);
}

enum iptt_doctor_verdict iptt_doctor_verdict(const struct iptt_doctor_facts *f,
					     char *why, size_t len)
{
	if (len)
		why[0] = '\0';
	if (!f->version_ok) {
		snprintf(why, len, "Linux %s is too old: ipttrace needs 5.12 or later (BPF atomics, CO-RE on module BTF); fix: a newer kernel",
			 f->release);
		return IPTT_DOCTOR_NOTHING;
	}
	if (!f->btf_vmlinux) {
		snprintf(why, len, "this kernel has no BTF (/sys/kernel/btf/vmlinux); fix: a kernel built with CONFIG_DEBUG_INFO_BTF=y, as Debian's and Ubuntu's are");
		return IPTT_DOCTOR_NOTHING;
	}
	if (f->lockdown == IPTT_LOCKDOWN_CONFIDENTIALITY) {
		snprintf(why, len, "lockdown=confidentiality forbids BPF to read kernel memory; fix: boot with lockdown=integrity or without lockdown");
		return IPTT_DOCTOR_NOTHING;
	}
	if (f->fentry == IPTT_NO && f->kprobes == IPTT_NO) {
		snprintf(why, len, "neither BPF trampolines (fentry) nor kprobes; fix: a kernel with CONFIG_KPROBES=y");
		return IPTT_DOCTOR_NOTHING;
	}
	if (f->kprobes == IPTT_NO) {
		snprintf(why, len, "tracing rules needs kprobes (nf_log_trace is variadic) and this kernel has none; fix: a kernel with CONFIG_KPROBES=y (or echo 1 > /sys/kernel/debug/kprobes/enabled)");
		return IPTT_DOCTOR_LATENCY;
	}
	if (!f->modules_supported) {
		snprintf(why, len, "this kernel cannot load modules (CONFIG_MODULES off); fix: a kernel with module support");
		return IPTT_DOCTOR_LATENCY;
	}
	if (f->kmod == IPTT_KMOD_LOADED)
		return IPTT_DOCTOR_TRACE;
	if (f->modules_disabled) {
		snprintf(why, len, "kernel.modules_disabled=1 refuses every module until reboot; fix: reboot without setting it, or have ipttrace.ko loaded before it is set (/etc/modules-load.d)");
		return IPTT_DOCTOR_LATENCY;
	}
	if (f->kmod == IPTT_KMOD_NONE) {
		snprintf(why, len, "%s; fix: apt install ipttrace-dkms linux-headers-%s (or 'make kmod' in a checkout, or --kmod PATH)",
			 f->kmod_why[0] ? f->kmod_why : "no ipttrace.ko fits this kernel",
			 f->release);
		return IPTT_DOCTOR_LATENCY;
	}
	if (module_refused(f)) {
		snprintf(why, len, "%s is unsigned and this kernel loads only signed modules; fix: sign it with a key the kernel trusts (DKMS signs with /var/lib/dkms/mok.key: enroll it with 'mokutil --import /var/lib/dkms/mok.pub' and reboot)",
			 f->kmod_path);
		return IPTT_DOCTOR_LATENCY;
	}
	return IPTT_DOCTOR_TRACE;
}

/* ---------------------------------------------------------------- report */

static void line(FILE *out, const char *status, const char *what,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void line(FILE *out, const char *status, const char *what,
		 const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%-4s  %-15s ", status, what);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static const char *tri_status(enum iptt_tri t, const char *no)
{
	return t == IPTT_YES ? "ok" : t == IPTT_NO ? no : "?";
}

void iptt_doctor_report(FILE *out, const struct iptt_doctor_facts *f)
{
	static const char *const lockdown[] = { "none", "integrity", "confidentiality" };
	const char *cfg = f->kconfig_found ? "" : " (kernel config not found)";

	line(out, f->version_ok ? "ok" : "FAIL", "kernel", "%s %s%s", f->release,
	     f->machine, f->version_ok ? "" : ": ipttrace needs Linux 5.12 or later");
	if (f->btf_vmlinux)
		line(out, "ok", "BTF vmlinux", "/sys/kernel/btf/vmlinux");
	else
		line(out, "FAIL", "BTF vmlinux", "missing: needs CONFIG_DEBUG_INFO_BTF=y");
	line(out, tri_status(f->btf_modules, "warn"), "BTF modules",
	     f->btf_modules == IPTT_YES ? "yes (fentry can attach to ip_tables/nf_tables)" :
	     f->btf_modules == IPTT_NO ? "no: functions in modules are reached by kprobe" :
	     "cannot tell%s", cfg);
	line(out, tri_status(f->fentry, "warn"), "fentry",
	     f->fentry == IPTT_YES ? "BPF trampolines available (--probe fentry, the default)" :
	     f->fentry == IPTT_NO ? "unavailable: kprobes are used instead" :
	     "cannot tell%s; --probe auto falls back to kprobes", cfg);
	line(out, tri_status(f->kprobes, "FAIL"), "kprobes",
	     f->kprobes == IPTT_YES ? "available" :
	     f->kprobes == IPTT_NO ? "unavailable: rule tracing needs them" :
	     "cannot tell%s", cfg);

	if (!f->modules_supported)
		line(out, "FAIL", "modules", "this kernel has no module support (CONFIG_MODULES off)");
	else if (f->modules_disabled)
		line(out, "FAIL", "modules", "kernel.modules_disabled=1: no module loads until reboot");
	else
		line(out, "ok", "modules", "loading allowed (kernel.modules_disabled=0)");
	if (f->lockdown == IPTT_LOCKDOWN_UNKNOWN)
		line(out, "?", "lockdown", "cannot tell (/sys/kernel/security/lockdown unreadable%s)",
		     f->root ? "" : "; run as root");
	else
		line(out, f->lockdown == IPTT_LOCKDOWN_NONE ? "ok" :
		     f->lockdown == IPTT_LOCKDOWN_INTEGRITY ? "warn" : "FAIL",
		     "lockdown", "%s%s", lockdown[f->lockdown],
		     f->lockdown == IPTT_LOCKDOWN_INTEGRITY ? ": only signed modules load" :
		     f->lockdown == IPTT_LOCKDOWN_CONFIDENTIALITY ?
		     ": BPF may not read kernel memory" : "");
	line(out, f->sig_enforce == IPTT_NO ? "ok" : f->sig_enforce == IPTT_YES ? "warn" : "?",
	     "signatures", "%s; Secure Boot %s",
	     f->sig_enforce == IPTT_YES ? "enforced (module.sig_enforce=Y): only signed modules load" :
	     f->sig_enforce == IPTT_NO ? "not enforced (unsigned modules load and taint the kernel)" :
	     "enforcement unknown",
	     f->secure_boot == IPTT_YES ? "on" : f->secure_boot == IPTT_NO ? "off" : "unknown");

	switch (f->kmod) {
	case IPTT_KMOD_LOADED:
		line(out, "ok", "ipttrace.ko", "already loaded (ipttrace uses it and leaves it loaded)");
		break;
	case IPTT_KMOD_FILE:
	case IPTT_KMOD_MODPROBE:
		line(out, module_refused(f) ? "FAIL" : "ok", "ipttrace.ko", "%s %s%s",
		     f->kmod == IPTT_KMOD_FILE ? "would load" : "would modprobe",
		     f->kmod_path,
		     f->kmod_signed == IPTT_YES ? " (signed)" :
		     f->kmod_signed == IPTT_NO ? " (unsigned)" : "");
		break;
	default:
		line(out, "FAIL", "ipttrace.ko", "%s", f->kmod_why[0] ? f->kmod_why :
		     "no module fits this kernel");
	}
	line(out, f->headers ? "ok" : f->kmod == IPTT_KMOD_NONE ? "warn" : "info",
	     "kernel headers", "/lib/modules/%s/build %s", f->release,
	     f->headers ? "present (DKMS and 'make kmod' can build the module)" :
	     "missing: apt install linux-headers-$(uname -r) to build the module");

	line(out, f->ip_tables || f->ip6_tables ? "ok" : "info", "x_tables",
	     "ip_tables %s, ip6_tables %s%s", f->ip_tables ? "loaded" : "not loaded",
	     f->ip6_tables ? "loaded" : "not loaded",
	     f->ip_tables || f->ip6_tables ? "" : ": no iptables-legacy ruleset here");
	line(out, f->nf_tables ? "ok" : "info", "nf_tables", "%s",
	     f->nf_tables ? "loaded (iptables-nft or nftables rulesets)" :
	     "not loaded: no nftables or iptables-nft ruleset here");
	if (f->unspec_logger[0])
		line(out, "warn", "loggers",
		     "'%s' is bound to NFPROTO_UNSPEC: tracing refuses to start without --keep-log; fix: sysctl net.netfilter.nf_log.0=NONE",
		     f->unspec_logger);
	else
		line(out, "ok", "loggers", "none bound to NFPROTO_UNSPEC (/proc/net/netfilter/nf_log)");
}

enum iptt_doctor_verdict iptt_doctor_conclude(FILE *out,
					      const struct iptt_doctor_facts *f)
{
	enum iptt_doctor_verdict v;
	char why[1024];

	v = iptt_doctor_verdict(f, why, sizeof(why));
	switch (v) {
	case IPTT_DOCTOR_TRACE:
		line(out, "ok", "verdict", "full tracing works here%s%s",
		     !f->ip_tables && !f->ip6_tables && !f->nf_tables ?
		     " (but no ruleset is loaded yet: nothing to trace)" : "",
		     f->unspec_logger[0] ? " (with --keep-log, or unbind the NFPROTO_UNSPEC logger)" : "");
		break;
	case IPTT_DOCTOR_LATENCY:
		line(out, "FAIL", "verdict", "only 'ipttrace --latency' works here: %s", why);
		break;
	default:
		line(out, "FAIL", "verdict", "ipttrace cannot work here: %s", why);
	}
	return v;
}

/* ---------------------------------------------------------------- netns */

struct ns_seen {
	unsigned int inode[1024];
	int n;
};

static bool seen_add(struct ns_seen *s, unsigned int inode)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->inode[i] == inode)
			return false;
	if (s->n < (int)(sizeof(s->inode) / sizeof(s->inode[0])))
		s->inode[s->n++] = inode;
	return true;
}

/* Run argv in the namespace and join the tables it lists. */
static int ns_tables(int fd, char *const argv[], bool nft, char *out,
		     size_t len, bool *failed)
{
	size_t olen;
	char *text;
	int rc, n;

	rc = iptt_netns_run(fd, argv, &text, &olen, 1 << 20);
	if (rc == 126 || rc < 0 || (nft && rc))
		*failed = true;
	n = iptt_doctor_join_tables(rc == 0 ? text : NULL, nft, out, len);
	free(text);
	return n;
}

static void report_ns(FILE *out, const struct iptt_doctor_facts *f,
		      const char *label, unsigned int inode, int fd)
{
	static char *const v4[] = { "cat", "/proc/self/net/ip_tables_names", NULL };
	static char *const v6[] = { "cat", "/proc/self/net/ip6_tables_names", NULL };
	static char *const nft[] = { "nft", "list", "tables", NULL };
	char t4[512] = "", t6[512] = "", tn[1024] = "", legacy[1100] = "";
	bool failed = false;
	int n4 = 0, n6 = 0, nn = 0;

	if (f->ip_tables)
		n4 = ns_tables(fd, v4, false, t4, sizeof(t4), &failed);
	if (f->ip6_tables)
		n6 = ns_tables(fd, v6, false, t6, sizeof(t6), &failed);
	if (f->nf_tables)
		nn = ns_tables(fd, nft, true, tn, sizeof(tn), &failed);
	if (n4 || n6)
		snprintf(legacy, sizeof(legacy), "iptables-legacy (%s%s%s%s%s)",
			 n4 ? "ipv4: " : "", t4, n4 && n6 ? "; " : "",
			 n6 ? "ipv6: " : "", t6);
	line(out, failed ? "?" : "info", "netns", "%s [%u]: %s%s%s%s%s%s", label, inode,
	     n4 || n6 ? legacy : "", (n4 || n6) && nn ? " + " : "",
	     nn ? "nf_tables (" : "", tn, nn ? ")" : "",
	     !n4 && !n6 && !nn ? (failed ? "cannot look inside (run as root)" : "no tables") : "");
}

static void report_namespaces(FILE *out, const struct iptt_doctor_facts *f)
{
	struct ns_seen *seen = calloc(1, sizeof(*seen));
	char path[300], label[400], comm[64];
	unsigned int init = 0, self = iptt_netns_self();
	int shown = 0, more = 0, fd;
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if (!seen)
		return;
	if (!f->ip_tables && !f->ip6_tables && !f->nf_tables) {
		free(seen);
		return;		/* no tables anywhere: nothing to list */
	}
	if (!stat("/proc/1/ns/net", &st))
		init = st.st_ino;
	seen_add(seen, self);
	report_ns(out, f, self == init ? "host" : "this one", self, -1);
	shown++;

	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (stat(path, &st) || !seen_add(seen, st.st_ino))
			continue;
		if (shown >= MAX_NETNS_LINES) {
			more++;
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		report_ns(out, f, d->d_name, st.st_ino, fd);
		close(fd);
		shown++;
	}
	if (dir)
		closedir(dir);

	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		if (stat(path, &st) || !seen_add(seen, st.st_ino))
			continue;
		if (shown >= MAX_NETNS_LINES) {
			more++;
			continue;
		}
		snprintf(label, sizeof(label), "/proc/%s/comm", d->d_name);
		read_line("", label, comm, sizeof(comm));
		snprintf(label, sizeof(label), "pid %s (%s)", d->d_name, comm);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		report_ns(out, f, label, st.st_ino, fd);
		close(fd);
		shown++;
	}
	if (dir)
		closedir(dir);
	if (more)
		line(out, "info", "netns", "... and %d more namespaces", more);
	free(seen);
}

int iptt_doctor(const struct iptt_opts *o)
{
	struct iptt_doctor_facts f;
	char exe[PATH_MAX], *slash;
	struct utsname u;
	ssize_t n;

	uname(&u);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	iptt_doctor_gather(&f, "", u.release, u.machine, n ? exe : NULL,
			   o->kmod_path);
	if (!f.root)
		line(stdout, "info", "user", "not root: some answers need root (sudo ipttrace --doctor)");
	iptt_doctor_report(stdout, &f);
	report_namespaces(stdout, &f);
	return iptt_doctor_conclude(stdout, &f) == IPTT_DOCTOR_TRACE ? 0 : 1;
}
