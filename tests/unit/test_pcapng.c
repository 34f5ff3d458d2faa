// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/pcapng.c: the block layout, and the judges: capinfos
 * reports no error and tshark decodes addresses, ports and the comment
 * (Debian's tshark package; the checks are skipped when it is missing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapng.h"

/* IPv4 UDP 10.0.0.1:5555 -> 10.0.0.2:53, 4 bytes of payload */
static const unsigned char udp4[] = {
	0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x15, 0xb3, 0, 53, 0, 12, 0, 0, 'a', 'b', 'c', 'd',
};

/* IPv6 TCP fd00::1:40000 -> fd00::2:80, SYN */
static const unsigned char tcp6[] = {
	0x60, 0, 0, 0, 0, 20, 6, 64,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
	0, 0, 0, 0,
};

static char path[64];

static void write_file(void)
{
	struct iptt_pcapng w;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_pcapng_%d.pcapng", (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(iptt_pcapng_begin(&w, f, 128, "ipttrace test"), 0);
	assert_int_equal(iptt_pcapng_packet(&w, 4026531840u, "veth0", 1700000000123456789ULL,
					    udp4, sizeof(udp4), sizeof(udp4), 1,
					    "ipv4 id 1\n    filter:INPUT:rule:3  -A INPUT -p udp -j ACCEPT\n    => filter INPUT ACCEPT"), 0);
	/* caplen < len: cut by the snap length */
	assert_int_equal(iptt_pcapng_packet(&w, 4026531841u, "eth0", 1700000001000000000ULL,
					    tcp6, sizeof(tcp6), 1500, 2, "ipv6 id 2 \"quoted\""), 0);
	/* the same interface again: no new IDB */
	assert_int_equal(iptt_pcapng_packet(&w, 4026531840u, "veth0", 1700000002000000000ULL,
					    udp4, 31, sizeof(udp4), 0, NULL), 0);
	assert_int_equal(w.nifs, 2);
	iptt_pcapng_end(&w);
	assert_int_equal(fclose(f), 0);
}

static void test_layout(void **state)
{
	unsigned char buf[4096];
	uint32_t type, len, off = 0, n = 0, types[16];
	size_t got;
	FILE *f;

	write_file();
	f = fopen(path, "rb");
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* blocks chain exactly to the end of the file, lengths repeated */
	while (off < got) {
		memcpy(&type, buf + off, 4);
		memcpy(&len, buf + off + 4, 4);
		assert_true(len % 4 == 0 && len >= 12 && off + len <= got);
		assert_memory_equal(buf + off + 4, buf + off + len - 4, 4);
		types[n++] = type;
		off += len;
	}
	assert_int_equal(off, got);
	assert_int_equal(n, 6);
	assert_int_equal(types[0], 0x0A0D0D0A);	/* SHB */
	assert_int_equal(types[1], 1);		/* IDB veth0 */
	assert_int_equal(types[2], 6);		/* EPB */
	assert_int_equal(types[3], 1);		/* IDB eth0 */
	assert_int_equal(types[4], 6);
	assert_int_equal(types[5], 6);
	unlink(path);
}

static char *run(const char *fmt)
{
	char cmd[512], *out = NULL;
	size_t len = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), fmt, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (getdelim(&out, &len, '\0', p) < 0) {
		free(out);
		out = strdup("");
	}
	assert_int_equal(pclose(p), 0);
	return out;
}

static void test_tshark(void **state)
{
	char *out;

	if (system("command -v tshark >/dev/null 2>&1 && command -v capinfos >/dev/null 2>&1"))
		skip();
	write_file();
	out = run("capinfos -c -M %s 2>/dev/null");
	assert_non_null(strstr(out, "Number of packets:   3"));
	free(out);
	out = run("tshark -r %s -T fields -E separator=, -e frame.interface_name -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport -e frame.cap_len -e frame.len -e frame.time_epoch 2>/dev/null");
	assert_string_equal(out,
		"veth0,10.0.0.1,10.0.0.2,5555,53,,,,,32,32,1700000000.123456789\n"
		"eth0,,,,,fd00::1,fd00::2,40000,80,60,1500,1700000001.000000000\n"
		"veth0,10.0.0.1,10.0.0.2,5555,53,,,,,31,32,1700000002.000000000\n");
	free(out);
	/* the comment, newlines and all, as -T json shows it */
	out = run("tshark -r %s -T json -e frame.comment 2>/dev/null");
	assert_non_null(strstr(out, "\"ipv4 id 1\\n    filter:INPUT:rule:3  -A INPUT -p udp -j ACCEPT\\n    => filter INPUT ACCEPT\""));
	assert_non_null(strstr(out, "\"ipv6 id 2 \\\"quoted\\\"\""));
	free(out);
	out = run("tshark -r %s -T fields -e frame.p2p_dir 2>/dev/null");
	assert_string_equal(out, "1\n0\n\n");
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_tshark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
