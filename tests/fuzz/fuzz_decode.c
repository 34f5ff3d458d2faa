// FUZZ-SOURCES: user/decode.c
// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the ring buffer decoder.  Arbitrary bytes go to
 * iptt_decode(); a record it accepts must be a faithful copy of a
 * well-formed event, and every field of it must print through the naming
 * functions into small buffers -- malloc()ed at their exact size so that
 * ASan sees one byte too many -- as a NUL-terminated string that is the
 * start of what a big buffer gets.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipttrace.h"
#include "decode.h"

#define BIG	128

#define check(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Buffer sizes to try: tiny ones, and one the input chooses. */
static size_t sizes[] = { 1, 2, 3, 4, 5, 0 };
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

static char *small_buf(size_t len)
{
	char *b = malloc(len);

	check(b);
	memset(b, 0xa5, len);
	return b;
}

/* s, written into a buffer of len bytes, ends inside it. */
static void check_in(const char *s, const char *buf, size_t len)
{
	check(s == buf);
	check(memchr(buf, '\0', len));
}

/* small holds a prefix of full, as long as it fits. */
static void check_prefix(const char *small, size_t len, const char *full)
{
	size_t n = strlen(small);

	check(n < len);
	check(n == strlen(full) || n == len - 1);
	check(!memcmp(small, full, n));
}

static void check_static(const char *s)
{
	check(s);
	check(strlen(s) < 32);
}

static void fmt_addr(unsigned int family, const __u8 *addr)
{
	char full[BIG], *b;
	size_t i, len;

	iptt_addr(family, addr, full, sizeof(full));
	check(memchr(full, '\0', sizeof(full)) && strcmp(full, "?"));
	for (i = 0; i < NSIZES; i++) {
		len = sizes[i];
		b = small_buf(len);
		check_in(iptt_addr(family, addr, b, len), b, len);
		/* the address if it fits, else as much of "?" as fits */
		check(!strcmp(b, full) || !strcmp(b, len > 1 ? "?" : ""));
		free(b);
	}
}

static void fmt_endpoint(unsigned int family, const __u8 *addr,
			 unsigned int port, bool has_port)
{
	char full[BIG], *b;
	size_t i, len;

	iptt_endpoint(family, addr, port, has_port, full, sizeof(full));
	check(memchr(full, '\0', sizeof(full)));
	for (i = 0; i < NSIZES; i++) {
		len = sizes[i];
		b = small_buf(len);
		check_in(iptt_endpoint(family, addr, port, has_port, b, len),
			 b, len);
		check_prefix(b, len, full);
		free(b);
	}
}

static void fmt_flags(unsigned int flags)
{
	char full[BIG], *b;
	size_t i, len;

	iptt_tcp_flags(flags, full, sizeof(full));
	check(strlen(full) >= 1 && strlen(full) <= 8);
	for (i = 0; i < NSIZES; i++) {
		len = sizes[i];
		b = small_buf(len);
		check_in(iptt_tcp_flags(flags, b, len), b, len);
		/* "none" is all or nothing */
		if (!strcmp(full, "none"))
			check(!strcmp(b, len > 4 ? "none" : ""));
		else
			check_prefix(b, len, full);
		free(b);
	}
}

static void fmt_proto(unsigned int proto)
{
	char full[BIG], *b;
	const char *s, *fs;
	size_t i, len;

	fs = iptt_proto_name(proto, full, sizeof(full));
	check_static(fs);
	for (i = 0; i < NSIZES; i++) {
		len = sizes[i];
		b = small_buf(len);
		s = iptt_proto_name(proto, b, len);
		if (s == b)
			check_prefix(b, len, fs);
		else
			check(!strcmp(s, fs));	/* a name needs no buffer */
		free(b);
	}
}

static void fmt_tuple(unsigned int family, const struct iptt_tuple *t)
{
	bool ports = iptt_has_ports(t->proto);

	fmt_addr(family, t->saddr);
	fmt_addr(family, t->daddr);
	fmt_endpoint(family, t->saddr, t->sport, ports);
	fmt_endpoint(family, t->daddr, t->dport, ports);
	fmt_endpoint(family, t->daddr, t->dport, !ports);
	fmt_proto(t->proto);
	fmt_flags(t->tcp_flags);
}

static void fmt_common(unsigned int family, unsigned int hook)
{
	check_static(iptt_family_name(family));
	check_static(iptt_hook_name(hook));
}

static void check_str(const char *s, size_t len)
{
	check(memchr(s, '\0', len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union iptt_event ev;
	size_t head;
	const char *v;
	int kind;

	/* the last byte picks one more buffer size, 1 .. 64 */
	sizes[NSIZES - 1] = size ? 1 + data[size - 1] % 64 : 4;

	memset(&ev, 0x5a, sizeof(ev));
	kind = iptt_decode(data, size, &ev);
	if (kind < 0)
		return 0;
	/* the kinds the decoder knows, and no other */
	check((kind >= IPTT_EV_PACKET && kind <= IPTT_EV_NFT_VERDICT) ||
	      kind == IPTT_EV_FATE);
	check((unsigned int)kind == ev.hdr.kind);
	check_static(iptt_kind_name(ev.hdr.kind));

	switch (kind) {
	case IPTT_EV_PACKET:
		head = offsetof(struct iptt_packet, in);
		check(size >= sizeof(ev.packet));
		check(ev.packet.family == 2 || ev.packet.family == 10);
		check_str(ev.packet.in, sizeof(ev.packet.in));
		check_str(ev.packet.out, sizeof(ev.packet.out));
		check(!memcmp(&ev.packet.tuple,
			      data + offsetof(struct iptt_packet, tuple),
			      sizeof(ev.packet.tuple)));
		fmt_common(ev.packet.family, ev.packet.hook);
		fmt_tuple(ev.packet.family, &ev.packet.tuple);
		break;
	case IPTT_EV_RULE:
		head = offsetof(struct iptt_rule, kind);
		check(size >= sizeof(ev.rule));
		check(ev.rule.kind <= IPTT_KIND_UNKNOWN);
		check_str(ev.rule.table, sizeof(ev.rule.table));
		check_str(ev.rule.chain, sizeof(ev.rule.chain));
		check_static(iptt_kind_name(ev.rule.kind));
		fmt_common(ev.rule.family, ev.rule.hook);
		break;
	case IPTT_EV_VERDICT:
		head = offsetof(struct iptt_verdict, table);
		check(size >= sizeof(ev.verdict));
		check_str(ev.verdict.table, sizeof(ev.verdict.table));
		v = iptt_verdict_name(ev.verdict.verdict);
		check(!v == ((ev.verdict.verdict & 0xff) > 5));
		if (v)
			check_static(v);
		fmt_common(ev.verdict.family, ev.verdict.hook);
		fmt_tuple(ev.verdict.family, &ev.verdict.tuple);
		break;
	case IPTT_EV_RULESET:
		head = offsetof(struct iptt_ruleset, table);
		check(size >= sizeof(ev.ruleset));
		check_str(ev.ruleset.table, sizeof(ev.ruleset.table));
		fmt_common(ev.ruleset.family, 0);
		break;
	case IPTT_EV_NFT_RULE:
		head = offsetof(struct iptt_nft_rule, table);
		check(size >= sizeof(ev.nft_rule));
		check(ev.nft_rule.kind <= IPTT_KIND_POLICY);
		check_str(ev.nft_rule.table, sizeof(ev.nft_rule.table));
		check_str(ev.nft_rule.chain, sizeof(ev.nft_rule.chain));
		check_str(ev.nft_rule.target, sizeof(ev.nft_rule.target));
		fmt_common(ev.nft_rule.family, ev.nft_rule.hook);
		break;
	case IPTT_EV_NFT_VERDICT:
		head = offsetof(struct iptt_nft_verdict, table);
		check(size >= sizeof(ev.nft_verdict));
		check_str(ev.nft_verdict.table, sizeof(ev.nft_verdict.table));
		check_str(ev.nft_verdict.chain, sizeof(ev.nft_verdict.chain));
		fmt_common(ev.nft_verdict.family, ev.nft_verdict.hook);
		break;
	case IPTT_EV_FATE:
		head = offsetof(struct iptt_fate, dev);
		check(size >= sizeof(ev.fate));
		check(ev.fate.fate <= IPTT_FATE_SENT);
		check_str(ev.fate.dev, sizeof(ev.fate.dev));
		break;
	default:
		__builtin_trap();
	}
	/* everything before the first field decode may change is a copy */
	check(!memcmp(&ev, data, head));
	return 0;
}
