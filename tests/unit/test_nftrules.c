// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/nftrules.c: the nf_tables index that turns a trace
 * step (family, table, chain, handle, kind) into a chain, a rule number and
 * the rule's text.  The rulesets are real: tests/unit/fixtures/nft/capture.sh
 * loads them into a fresh netns and captures the four listings, and the
 * handles asserted here are the ones in those files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nftrules.h"

#define FIXDIR "tests/unit/fixtures/nft/"

struct listings {
	char *json, *text, *save4, *save6;
	size_t json_len, text_len, save4_len, save6_len;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static void load(struct listings *l, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), FIXDIR "%s.json", name);
	l->json = slurp(path, &l->json_len);
	snprintf(path, sizeof(path), FIXDIR "%s.nft", name);
	l->text = slurp(path, &l->text_len);
	snprintf(path, sizeof(path), FIXDIR "%s.save4", name);
	l->save4 = slurp(path, &l->save4_len);
	snprintf(path, sizeof(path), FIXDIR "%s.save6", name);
	l->save6 = slurp(path, &l->save6_len);
}

static void unload(struct listings *l)
{
	free(l->json);
	free(l->text);
	free(l->save4);
	free(l->save6);
}

static struct nft_index *parse(const struct listings *l)
{
	struct nft_index *ix;

	ix = nft_index_parse(l->json, l->json_len, l->text, l->text_len,
			     l->save4, l->save4_len, l->save6, l->save6_len);
	assert_non_null(ix);
	return ix;
}

static struct nft_index *parse_fixture(const char *name)
{
	struct listings l;
	struct nft_index *ix;

	load(&l, name);
	ix = parse(&l);
	/* the index must not point into the caller's buffers */
	memset(l.json, 'x', l.json_len);
	memset(l.text, 'x', l.text_len);
	memset(l.save4, 'x', l.save4_len);
	memset(l.save6, 'x', l.save6_len);
	unload(&l);
	return ix;
}

/* Replace the first occurrence of from by to in a malloc'ed buffer. */
static void edit(char **buf, size_t *len, const char *from, const char *to)
{
	char *p = strstr(*buf, from);
	size_t fl = strlen(from), tl = strlen(to);
	char *n;

	assert_non_null(p);
	n = malloc(*len - fl + tl + 1);
	assert_non_null(n);
	memcpy(n, *buf, p - *buf);
	memcpy(n + (p - *buf), to, tl);
	memcpy(n + (p - *buf) + tl, p + fl, *len - (p - *buf) - fl + 1);
	*len = *len - fl + tl;
	free(*buf);
	*buf = n;
}

/* Look up a rule step and check everything about it. */
static void check_rule(const struct nft_index *ix, const char *family,
		       const char *table, const char *chain,
		       unsigned long long handle, unsigned int rulenum,
		       const char *text, bool ipt)
{
	struct nft_step_info si;

	assert_int_equal(nft_index_lookup(ix, family, table, chain, handle,
					  NFT_STEP_RULE, NULL, &si), 0);
	assert_true(si.known);
	assert_non_null(si.chain);
	if (chain && *chain)
		assert_string_equal(si.chain, chain);
	assert_int_equal(si.rulenum, rulenum);
	if (text) {
		assert_non_null(si.text);
		assert_string_equal(si.text, text);
	} else {
		assert_null(si.text);
	}
	assert_int_equal(si.iptables_nft, ipt);
}

static void check_unknown(const struct nft_index *ix, const char *family,
			  const char *table, const char *chain,
			  unsigned long long handle, enum nft_kind kind)
{
	struct nft_step_info si;

	assert_int_equal(nft_index_lookup(ix, family, table, chain, handle,
					  kind, "accept", &si), -1);
	assert_false(si.known);
	assert_null(si.text);
}

/* ---- iptables-nft: Docker ---- */

static void test_docker_filter_rules(void **state)
{
	struct nft_index *ix = parse_fixture("docker");

	/* -I inserts: handles 21, 22, 27, 20, 26 are rules 1..5 */
	check_rule(ix, "ip", "filter", "INPUT", 21, 1,
		   "-A INPUT -i lo -j ACCEPT", true);
	check_rule(ix, "ip", "filter", "INPUT", 22, 2,
		   "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", true);
	check_rule(ix, "ip", "filter", "INPUT", 27, 3,
		   "-A INPUT -s 192.0.2.0/24 -m comment --comment \"lab \\\"bad\\\" net\" -j DROP", true);
	check_rule(ix, "ip", "filter", "INPUT", 20, 4,
		   "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", true);
	check_rule(ix, "ip", "filter", "INPUT", 26, 5,
		   "-A INPUT -p tcp -m tcp --dport 23 -g LOGDROP", true);

	check_rule(ix, "ip", "filter", "FORWARD", 8, 1,
		   "-A FORWARD -j DOCKER-USER", true);
	check_rule(ix, "ip", "filter", "FORWARD", 11, 4,
		   "-A FORWARD -o docker0 -j DOCKER", true);
	check_rule(ix, "ip", "filter", "FORWARD", 13, 6,
		   "-A FORWARD -i docker0 -o docker0 -j ACCEPT", true);
	check_rule(ix, "ip", "filter", "DOCKER", 14, 1,
		   "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT", true);
	check_rule(ix, "ip", "filter", "DOCKER-ISOLATION-STAGE-1", 15, 1,
		   "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2", true);
	check_rule(ix, "ip", "filter", "DOCKER-ISOLATION-STAGE-2", 17, 1,
		   "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP", true);

	/* DOCKER-USER: two -I 1 in front of Docker's RETURN */
	check_rule(ix, "ip", "filter", "DOCKER-USER", 29, 1,
		   "-A DOCKER-USER -i eth1 -j LOGDROP", true);
	check_rule(ix, "ip", "filter", "DOCKER-USER", 28, 2,
		   "-A DOCKER-USER -s 10.0.0.0/8 -m comment --comment \"block 10/8 -j DROP\" -j DROP", true);
	check_rule(ix, "ip", "filter", "LOGDROP", 24, 1,
		   "-A LOGDROP -j LOG --log-prefix \"ipt-drop: \"", true);
	check_rule(ix, "ip", "filter", "LOGDROP", 25, 2,
		   "-A LOGDROP -j DROP", true);
	nft_index_free(ix);
}

static void test_docker_nat_mangle_ip6(void **state)
{
	struct nft_index *ix = parse_fixture("docker");

	/* handles are per table: 8 and 11 are also filter rules */
	check_rule(ix, "ip", "nat", "POSTROUTING", 8, 1,
		   "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", true);
	check_rule(ix, "ip", "nat", "DOCKER", 11, 2,
		   "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80", true);
	check_rule(ix, "ip", "nat", "PREROUTING", 6, 1,
		   "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER", true);
	check_rule(ix, "ip", "mangle", "PREROUTING", 2, 1,
		   "-A PREROUTING -p udp -m udp --dport 53 -j MARK --set-xmark 0x1/0xffffffff", true);

	/* ip6 pairs with ip6tables-nft-save, not with the ip table */
	check_rule(ix, "ip6", "filter", "INPUT", 5, 1,
		   "-A INPUT -i lo -j ACCEPT", true);
	check_rule(ix, "ip6", "filter", "INPUT", 9, 2,
		   "-A INPUT -s 2001:db8::/32 -m comment --comment v6-block -j DROP", true);
	check_rule(ix, "ip6", "filter", "INPUT", 6, 3,
		   "-A INPUT -p ipv6-icmp -j ACCEPT", true);
	check_rule(ix, "ip6", "filter", "DOCKER-USER", 8, 1,
		   "-A DOCKER-USER -j RETURN", true);
	check_unknown(ix, "ip6", "filter", "INPUT", 21, NFT_STEP_RULE);
	nft_index_free(ix);
}

static void test_docker_policy_and_returns(void **state)
{
	struct nft_index *ix = parse_fixture("docker");
	struct nft_step_info si;

	/* FORWARD has 6 rules and policy DROP */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "FORWARD", 0,
					  NFT_STEP_POLICY, "drop", &si), 0);
	assert_true(si.known);
	assert_string_equal(si.chain, "FORWARD");
	assert_int_equal(si.rulenum, 7);
	assert_string_equal(si.text, "-P FORWARD DROP");
	assert_true(si.iptables_nft);

	/* no verdict given: the snapshot's policy */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "INPUT", 0,
					  NFT_STEP_POLICY, NULL, &si), 0);
	assert_int_equal(si.rulenum, 6);
	assert_string_equal(si.text, "-P INPUT ACCEPT");

	/* an empty base chain: the policy is entry 1 */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "OUTPUT", 0,
					  NFT_STEP_POLICY, "accept", &si), 0);
	assert_int_equal(si.rulenum, 1);
	assert_string_equal(si.text, "-P OUTPUT ACCEPT");

	assert_int_equal(nft_index_lookup(ix, "ip6", "filter", "FORWARD", 0,
					  NFT_STEP_POLICY, "drop", &si), 0);
	assert_int_equal(si.rulenum, 2);
	assert_string_equal(si.text, "-P FORWARD DROP");

	/* explicit return: a rule with a handle */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter",
					  "DOCKER-ISOLATION-STAGE-2", 18,
					  NFT_STEP_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 2);
	assert_string_equal(si.text, "-A DOCKER-ISOLATION-STAGE-2 -j RETURN");
	assert_int_equal(nft_index_lookup(ix, "ip", "nat", "DOCKER", 10,
					  NFT_STEP_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 1);
	assert_string_equal(si.text, "-A DOCKER -i docker0 -j RETURN");

	/* implicit return: rules + 1, no text, but known */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "LOGDROP", 0,
					  NFT_STEP_IMPLICIT_RETURN, NULL, &si), 0);
	assert_true(si.known);
	assert_string_equal(si.chain, "LOGDROP");
	assert_int_equal(si.rulenum, 3);
	assert_null(si.text);
	assert_false(si.iptables_nft);
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "DOCKER", 0,
					  NFT_STEP_IMPLICIT_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 2);

	/* a user chain has no policy */
	check_unknown(ix, "ip", "filter", "DOCKER-USER", 0, NFT_STEP_POLICY);
	nft_index_free(ix);
}

/* 6.12 does not name the chain of a rule step: the handle alone does. */
static void test_rule_without_chain(void **state)
{
	struct nft_index *ix = parse_fixture("docker");
	struct nft_step_info si;

	check_rule(ix, "ip", "filter", NULL, 28, 2,
		   "-A DOCKER-USER -s 10.0.0.0/8 -m comment --comment \"block 10/8 -j DROP\" -j DROP", true);
	check_rule(ix, "ip", "filter", "", 26, 5,
		   "-A INPUT -p tcp -m tcp --dport 23 -g LOGDROP", true);
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", NULL, 26,
					  NFT_STEP_RULE, NULL, &si), 0);
	assert_string_equal(si.chain, "INPUT");
	assert_int_equal(nft_index_lookup(ix, "ip", "nat", "", 8,
					  NFT_STEP_RULE, NULL, &si), 0);
	assert_string_equal(si.chain, "POSTROUTING");
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", NULL, 16,
					  NFT_STEP_RETURN, NULL, &si), 0);
	assert_string_equal(si.chain, "DOCKER-ISOLATION-STAGE-1");
	assert_int_equal(si.rulenum, 2);
	nft_index_free(ix);

	ix = parse_fixture("native");
	check_rule(ix, "inet", "firewalld", NULL, 41, 2,
		   "udp dport 53 accept comment \"dns lab\"", false);
	assert_int_equal(nft_index_lookup(ix, "ip", "kube-proxy", NULL, 31,
					  NFT_STEP_RULE, NULL, &si), 0);
	assert_string_equal(si.chain, "service-2QRHZV4L-default/kubernetes/tcp/https");
	assert_int_equal(si.rulenum, 2);
	/* the chain-end steps cannot be resolved without their chain */
	check_unknown(ix, "inet", "firewalld", NULL, 0, NFT_STEP_POLICY);
	check_unknown(ix, "inet", "firewalld", "", 0,
		      NFT_STEP_IMPLICIT_RETURN);
	nft_index_free(ix);
}

static void test_unknown_steps(void **state)
{
	struct nft_index *ix = parse_fixture("docker");

	check_unknown(ix, "ip", "filter", "INPUT", 999, NFT_STEP_RULE);
	check_unknown(ix, "ip", "filter", NULL, 999, NFT_STEP_RULE);
	check_unknown(ix, "ip", "filter", NULL, 0, NFT_STEP_RULE);
	check_unknown(ix, "ip", "filter", "INPUT", 0, NFT_STEP_RETURN);
	/* the handle exists, in another chain: not this step */
	check_unknown(ix, "ip", "filter", "INPUT", 8, NFT_STEP_RULE);
	check_unknown(ix, "ip", "filter", "NOPE", 0, NFT_STEP_POLICY);
	check_unknown(ix, "ip", "filter", "NOPE", 0, NFT_STEP_IMPLICIT_RETURN);
	check_unknown(ix, "ip", "filter", "NOPE", 21, NFT_STEP_RULE);
	check_unknown(ix, "ip", "raw", "PREROUTING", 1, NFT_STEP_RULE);
	check_unknown(ix, "inet", "filter", "INPUT", 21, NFT_STEP_RULE);
	check_unknown(ix, "bridge", "filter", "INPUT", 21, NFT_STEP_RULE);
	check_unknown(ix, "ip", "filter", "INPUT", 21, (enum nft_kind)42);
	check_unknown(NULL, "ip", "filter", "INPUT", 21, NFT_STEP_RULE);
	check_unknown(ix, NULL, "filter", "INPUT", 21, NFT_STEP_RULE);
	check_unknown(ix, "ip", NULL, "INPUT", 21, NFT_STEP_RULE);
	assert_int_equal(nft_index_gen(ix), 0);	/* no generation in 1.0.6 JSON */
	nft_index_free(ix);
}

/* ---- listings that disagree ---- */

static void test_save_count_mismatch(void **state)
{
	struct listings l;
	struct nft_index *ix;
	struct nft_step_info si;

	load(&l, "docker");
	edit(&l.save4, &l.save4_len,
	     "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n", "");
	ix = parse(&l);
	/* positions still come from the JSON; the filter text does not */
	check_rule(ix, "ip", "filter", "INPUT", 21, 1, NULL, false);
	check_rule(ix, "ip", "filter", "INPUT", 26, 5, NULL, false);
	check_rule(ix, "ip", "filter", "FORWARD", 8, 1, NULL, false);
	/* the policy is not a guess: chain name and the kernel's verdict */
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "FORWARD", 0,
					  NFT_STEP_POLICY, "drop", &si), 0);
	assert_string_equal(si.text, "-P FORWARD DROP");
	/* other tables are not affected */
	check_rule(ix, "ip", "nat", "POSTROUTING", 8, 1,
		   "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", true);
	check_rule(ix, "ip6", "filter", "INPUT", 9, 2,
		   "-A INPUT -s 2001:db8::/32 -m comment --comment v6-block -j DROP", true);
	nft_index_free(ix);

	/* one line more than the JSON has */
	unload(&l);
	load(&l, "docker");
	edit(&l.save4, &l.save4_len,
	     "--dport 8080 -j DNAT --to-destination 172.17.0.2:80\n",
	     "--dport 8080 -j DNAT --to-destination 172.17.0.2:80\n"
	     "-A DOCKER -j RETURN\n");
	ix = parse(&l);
	check_rule(ix, "ip", "nat", "DOCKER", 10, 1, NULL, false);
	check_rule(ix, "ip", "nat", "DOCKER", 11, 2, NULL, false);
	check_rule(ix, "ip", "filter", "INPUT", 21, 1,
		   "-A INPUT -i lo -j ACCEPT", true);
	nft_index_free(ix);
	unload(&l);
}

static void test_save_verdict_mismatch(void **state)
{
	struct listings l;
	struct nft_index *ix;

	/* same count, another jump target */
	load(&l, "docker");
	edit(&l.save4, &l.save4_len, "-A DOCKER-USER -i eth1 -j LOGDROP",
	     "-A DOCKER-USER -i eth1 -j DOCKER");
	ix = parse(&l);
	check_rule(ix, "ip", "filter", "DOCKER-USER", 29, 1, NULL, false);
	nft_index_free(ix);
	unload(&l);

	/* -g in the JSON, -j in the save */
	load(&l, "docker");
	edit(&l.save4, &l.save4_len, "--dport 23 -g LOGDROP",
	     "--dport 23 -j LOGDROP");
	ix = parse(&l);
	check_rule(ix, "ip", "filter", "INPUT", 26, 5, NULL, false);
	nft_index_free(ix);
	unload(&l);

	/* two lines swapped: ACCEPT where the JSON has a jump */
	load(&l, "docker");
	edit(&l.save4, &l.save4_len,
	     "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	     "-A FORWARD -o docker0 -j DOCKER\n",
	     "-A FORWARD -o docker0 -j DOCKER\n"
	     "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	ix = parse(&l);
	check_rule(ix, "ip", "filter", "FORWARD", 10, 3, NULL, false);
	nft_index_free(ix);
	unload(&l);

	/* a -j to a user chain where the JSON rule has no jump */
	load(&l, "docker");
	edit(&l.save4, &l.save4_len, "-A LOGDROP -j LOG --log-prefix \"ipt-drop: \"",
	     "-A LOGDROP -j DOCKER");
	ix = parse(&l);
	check_rule(ix, "ip", "filter", "LOGDROP", 24, 1, NULL, false);
	nft_index_free(ix);
	unload(&l);

	/* "-j DROP" inside a quoted comment is not the target */
	load(&l, "docker");
	edit(&l.save4, &l.save4_len, "--comment \"block 10/8 -j DROP\" -j DROP",
	     "--comment \"block 10/8 -j DROP\" -j ACCEPT");
	ix = parse(&l);
	check_rule(ix, "ip", "filter", "DOCKER-USER", 28, 2, NULL, false);
	nft_index_free(ix);
	unload(&l);
}

static void test_native_text_mismatch(void **state)
{
	struct listings l;
	struct nft_index *ix;

	/* a rule line missing from the text listing */
	load(&l, "native");
	edit(&l.text, &l.text_len, "\t\tct status dnat accept # handle 15\n", "");
	ix = parse(&l);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 14, 1, NULL, false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 16, 3, NULL, false);
	check_rule(ix, "ip", "kube-proxy", "services", 23, 1,
		   "ip daddr . meta l4proto . th dport vmap @service-ips", false);
	nft_index_free(ix);
	unload(&l);

	/* the same number of lines, a handle the JSON does not have */
	load(&l, "native");
	edit(&l.text, &l.text_len, "goto filter_IN_trusted # handle 40",
	     "goto filter_IN_trusted # handle 99");
	ix = parse(&l);
	check_rule(ix, "inet", "firewalld", "filter_INPUT_ZONES", 26, 2, NULL, false);
	nft_index_free(ix);
	unload(&l);

	/* a rule line under another chain than in the JSON */
	load(&l, "native");
	edit(&l.text, &l.text_len,
	     "\t\tjump masquerading # handle 18\n", "");
	edit(&l.text, &l.text_len,
	     "\t\tjump services # handle 17\n",
	     "\t\tjump services # handle 17\n\t\tjump masquerading # handle 18\n");
	ix = parse(&l);
	check_rule(ix, "ip", "kube-proxy", "nat-postrouting", 18, 1, NULL, false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 18, 5,
		   "jump filter_INPUT_ZONES", false);
	nft_index_free(ix);
	unload(&l);

	/* two lines of one chain in another order than the JSON */
	load(&l, "native");
	edit(&l.text, &l.text_len,
	     "\t\tct status dnat accept # handle 15\n"
	     "\t\tiifname \"lo\" accept # handle 16\n",
	     "\t\tiifname \"lo\" accept # handle 16\n"
	     "\t\tct status dnat accept # handle 15\n");
	ix = parse(&l);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 15, 2, NULL, false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 16, 3, NULL, false);
	check_rule(ix, "ip", "kube-proxy", "nat-postrouting", 18, 1,
		   "jump masquerading", false);
	nft_index_free(ix);
	unload(&l);
}

/* ---- native nftables ---- */

static void test_native_firewalld(void **state)
{
	struct nft_index *ix = parse_fixture("native");
	struct nft_step_info si;

	check_rule(ix, "inet", "firewalld", "filter_INPUT", 14, 1,
		   "ct state { established, related } accept", false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 18, 5,
		   "jump filter_INPUT_ZONES", false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT", 19, 6,
		   "reject with icmpx admin-prohibited", false);
	check_rule(ix, "inet", "firewalld", "filter_PREROUTING", 12, 2,
		   "meta nfproto ipv6 fib saddr . mark . iif oif missing drop", false);
	/* inserted rule first, then the set lookup and the zone gotos */
	check_rule(ix, "inet", "firewalld", "filter_INPUT_ZONES", 40, 1,
		   "iifname \"eth1\" goto filter_IN_trusted", false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT_ZONES", 26, 2,
		   "ip saddr @zone_trusted_src goto filter_IN_trusted", false);
	check_rule(ix, "inet", "firewalld", "filter_INPUT_ZONES", 28, 4,
		   "goto filter_IN_public", false);
	check_rule(ix, "inet", "firewalld", "filter_IN_public_allow", 34, 1,
		   "tcp dport 22 ct state { new, untracked } accept comment \"ssh\"", false);
	check_rule(ix, "inet", "firewalld", "filter_IN_public_allow", 41, 2,
		   "udp dport 53 accept comment \"dns lab\"", false);
	/* counters shown without their values */
	check_rule(ix, "inet", "firewalld", "filter_IN_public_allow", 38, 4,
		   "tcp dport { 80, 443 } ct state new counter accept", false);

	assert_int_equal(nft_index_lookup(ix, "inet", "firewalld",
					  "filter_FORWARD", 0, NFT_STEP_POLICY,
					  "drop", &si), 0);
	assert_int_equal(si.rulenum, 6);
	assert_string_equal(si.text, "policy drop");
	assert_false(si.iptables_nft);
	assert_int_equal(nft_index_lookup(ix, "inet", "firewalld",
					  "filter_INPUT", 0, NFT_STEP_POLICY,
					  NULL, &si), 0);
	assert_int_equal(si.rulenum, 7);
	assert_string_equal(si.text, "policy accept");

	/* an empty zone chain: the implicit return is entry 1 */
	assert_int_equal(nft_index_lookup(ix, "inet", "firewalld",
					  "filter_IN_public_pre", 0,
					  NFT_STEP_IMPLICIT_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 1);
	assert_null(si.text);
	assert_int_equal(nft_index_lookup(ix, "inet", "firewalld",
					  "filter_IN_public", 0,
					  NFT_STEP_IMPLICIT_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 4);
	check_unknown(ix, "inet", "firewalld", "filter_IN_public", 0,
		      NFT_STEP_POLICY);
	/* handle numbers are per table: 14 in kube-proxy is no chain rule */
	check_unknown(ix, "ip", "kube-proxy", NULL, 14, NFT_STEP_RULE);
	check_unknown(ix, "ip", "firewalld", NULL, 14, NFT_STEP_RULE);
	nft_index_free(ix);
}

static void test_native_kube_proxy(void **state)
{
	struct nft_index *ix = parse_fixture("native");
	struct nft_step_info si;

	check_rule(ix, "ip", "kube-proxy", "services", 23, 1,
		   "ip daddr . meta l4proto . th dport vmap @service-ips", false);
	check_rule(ix, "ip", "kube-proxy", "services", 24, 2,
		   "fib daddr type local ip daddr != 127.0.0.0/8 counter return", false);
	check_rule(ix, "ip", "kube-proxy", "service-endpoints-check", 21, 1,
		   "ip daddr . meta l4proto . th dport vmap { 10.96.0.99 . tcp . 80 : goto reject-chain }", false);
	check_rule(ix, "ip", "kube-proxy",
		   "service-2QRHZV4L-default/kubernetes/tcp/https", 31, 2,
		   "numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-default/kubernetes/tcp/https__172.18.0.2/6443, 1 : goto endpoint-ZWKUGZHG-default/kubernetes/tcp/https__172.18.0.3/6443 }", false);
	check_rule(ix, "ip", "kube-proxy",
		   "endpoint-ZWKUGZHG-default/kubernetes/tcp/https__172.18.0.3/6443", 35, 2,
		   "meta l4proto tcp dnat to 172.18.0.3:6443", false);
	check_rule(ix, "ip", "kube-proxy", "masquerading", 25, 1,
		   "meta mark & 0x00004000 == 0x00000000 return", false);
	/* a chain with a comment line before its rule */
	check_rule(ix, "ip", "kube-proxy", "reject-chain", 22, 1, "reject", false);

	assert_int_equal(nft_index_lookup(ix, "ip", "kube-proxy",
					  "filter-forward", 0, NFT_STEP_POLICY,
					  "accept", &si), 0);
	assert_int_equal(si.rulenum, 2);
	assert_string_equal(si.text, "policy accept");
	assert_int_equal(nft_index_lookup(ix, "ip", "kube-proxy",
					  "mark-for-masquerade", 0,
					  NFT_STEP_IMPLICIT_RETURN, NULL, &si), 0);
	assert_int_equal(si.rulenum, 2);
	/* an ip table iptables-nft-save does not print is native */
	check_unknown(ix, "ip", "kube-proxy", "services", 16, NFT_STEP_RULE);
	nft_index_free(ix);
}

/* ---- both in one netns ---- */

static void check_mixed(struct nft_index *ix)
{
	struct nft_step_info si;

	/* "# Table `filter' is incompatible": native text for all of it */
	check_rule(ix, "ip", "filter", "INPUT", 2, 1,
		   "iifname \"lo\" counter accept", false);
	check_rule(ix, "ip", "filter", "INPUT", 3, 2,
		   "tcp dport 22 counter accept", false);
	check_rule(ix, "ip", "filter", "INPUT", 4, 3,
		   "ct state established,related counter accept", false);
	check_rule(ix, "ip", "filter", "FORWARD", 6, 1, "counter accept", false);
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "INPUT", 0,
					  NFT_STEP_POLICY, "drop", &si), 0);
	assert_int_equal(si.rulenum, 4);
	assert_string_equal(si.text, "policy drop");
	assert_false(si.iptables_nft);

	/* the nat table next to it is still iptables-nft's */
	check_rule(ix, "ip", "nat", "POSTROUTING", 3, 1,
		   "-A POSTROUTING -o lo -j RETURN", true);
	check_rule(ix, "ip", "nat", "POSTROUTING", 2, 2,
		   "-A POSTROUTING -s 10.0.0.0/24 -j MASQUERADE", true);
	assert_int_equal(nft_index_lookup(ix, "ip", "nat", "POSTROUTING", 0,
					  NFT_STEP_POLICY, "accept", &si), 0);
	assert_string_equal(si.text, "-P POSTROUTING ACCEPT");
	assert_true(si.iptables_nft);

	/*
	 * mangle: iptables-nft-save 1.8.9 prints the native set lookup as
	 * "-A PREROUTING -p tcp -j ACCEPT" -- the rule text must not be that
	 */
	check_rule(ix, "ip", "mangle", "PREROUTING", 4, 2,
		   "tcp dport { 22, 80 } counter accept", false);
	check_rule(ix, "ip", "mangle", "PREROUTING", 2, 1,
		   "meta l4proto udp counter meta mark set 0x2", false);

	/* ip6 filter: a named set, printed by the save tool as "-j DROP" */
	check_rule(ix, "ip6", "filter", "INPUT", 3, 2,
		   "tcp dport 22 counter accept", false);
	check_rule(ix, "ip6", "filter", "INPUT", 5, 3,
		   "ip6 saddr @blocked drop", false);
}

static void test_mixed(void **state)
{
	struct nft_index *ix = parse_fixture("mixed");

	check_mixed(ix);
	nft_index_free(ix);
}

/* The "table FAMILY NAME {" ... "}" block of a native listing, appended. */
static void cut_table(const char *text, const char *fam, const char *name,
		      char *out, size_t outlen)
{
	char head[128];
	const char *b, *e;

	snprintf(head, sizeof(head), "table %s %s {", fam, name);
	b = strstr(text, head);
	assert_non_null(b);
	e = strstr(b, "\n}\n");
	assert_non_null(e);
	e += 3;
	assert_true(strlen(out) + (e - b) < outlen);
	strncat(out, b, e - b);
}

/*
 * In two steps, as a snapshot takes it: the tables whose text must come
 * from nft -a are the ones the save tools did not print (ip filter,
 * "incompatible") and theirs holding native rules (ip mangle, ip6 filter:
 * set lookups); the native listing of just those gives the same index.
 */
static void test_text_only_where_needed(void **state)
{
	static const char *want[][2] = {
		{ "ip", "filter" }, { "ip", "mangle" }, { "ip6", "filter" },
	};
	const char *fam, *name;
	struct nft_index *ix;
	struct listings l;
	char text[8192] = "";
	unsigned int i, k, n = 0;
	int r;

	load(&l, "mixed");
	ix = nft_index_parse_listings(l.json, l.json_len, l.save4, l.save4_len,
				      l.save6, l.save6_len);
	assert_non_null(ix);
	for (i = 0; (r = nft_index_text_table(ix, i, &fam, &name)) >= 0; i++) {
		bool wanted = false;

		for (k = 0; k < 3; k++)
			if (!strcmp(fam, want[k][0]) && !strcmp(name, want[k][1]))
				wanted = true;
		assert_int_equal(r, wanted);
		if (r) {
			cut_table(l.text, fam, name, text, sizeof(text));
			n++;
		}
	}
	assert_int_equal(i, 4);
	assert_int_equal(n, 3);
	assert_int_equal(nft_index_add_text(ix, text, strlen(text)), 0);
	assert_int_equal(nft_index_add_text(ix, text, strlen(text)), -1);
	check_mixed(ix);
	nft_index_free(ix);

	/* a box iptables-nft alone writes to: no native listing at all */
	unload(&l);
	load(&l, "docker");
	ix = nft_index_parse_listings(l.json, l.json_len, l.save4, l.save4_len,
				      l.save6, l.save6_len);
	assert_non_null(ix);
	for (i = 0; (r = nft_index_text_table(ix, i, &fam, &name)) >= 0; i++)
		assert_int_equal(r, 0);
	assert_true(i > 0);
	assert_int_equal(nft_index_add_text(ix, NULL, 0), 0);
	check_rule(ix, "ip", "filter", "INPUT", 21, 1,
		   "-A INPUT -i lo -j ACCEPT", true);
	nft_index_free(ix);
	unload(&l);
	(void)state;
}

/* A save tool that stopped part-way: its unfinished table is native. */
static void test_save_cut_short(void **state)
{
	struct listings l;
	struct nft_index *ix;

	load(&l, "mixed");
	l.save4_len = strstr(l.save4, "-A POSTROUTING -s 10.0.0.0/24") - l.save4;
	ix = parse(&l);
	check_rule(ix, "ip", "nat", "POSTROUTING", 3, 1,
		   "oifname \"lo\" counter return", false);
	nft_index_free(ix);
	unload(&l);
}

/* ---- robustness ---- */

static void test_partial_inputs(void **state)
{
	struct listings l;
	struct nft_index *ix;
	struct nft_step_info si;

	ix = nft_index_parse(NULL, 0, NULL, 0, NULL, 0, NULL, 0);
	assert_non_null(ix);
	check_unknown(ix, "ip", "filter", "INPUT", 21, NFT_STEP_RULE);
	assert_int_equal(nft_index_gen(ix), 0);
	nft_index_free(ix);
	nft_index_free(NULL);
	assert_int_equal(nft_index_gen(NULL), 0);

	ix = nft_index_parse("", 0, "", 0, "", 0, "", 0);
	assert_non_null(ix);
	check_unknown(ix, "inet", "firewalld", NULL, 14, NFT_STEP_RULE);
	nft_index_free(ix);

	/* JSON alone: positions, no text */
	load(&l, "docker");
	ix = nft_index_parse(l.json, l.json_len, NULL, 0, NULL, 0, NULL, 0);
	assert_non_null(ix);
	check_rule(ix, "ip", "filter", NULL, 27, 3, NULL, false);
	assert_int_equal(nft_index_lookup(ix, "ip", "filter", "FORWARD", 0,
					  NFT_STEP_POLICY, "drop", &si), 0);
	assert_string_equal(si.text, "policy drop");
	nft_index_free(ix);

	/* no JSON: nothing is known, whatever the text says */
	ix = nft_index_parse(NULL, 0, l.text, l.text_len, l.save4, l.save4_len,
			     l.save6, l.save6_len);
	assert_non_null(ix);
	check_unknown(ix, "ip", "filter", "INPUT", 21, NFT_STEP_RULE);
	nft_index_free(ix);

	/* JSON and save, no text listing: iptables-nft text still pairs */
	ix = nft_index_parse(l.json, l.json_len, NULL, 0, l.save4, l.save4_len,
			     l.save6, l.save6_len);
	check_rule(ix, "ip", "filter", "INPUT", 20, 4,
		   "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", true);
	nft_index_free(ix);

	/* a truncated JSON document is not parsed at all */
	ix = nft_index_parse(l.json, l.json_len / 2, l.text, l.text_len,
			     l.save4, l.save4_len, l.save6, l.save6_len);
	assert_non_null(ix);
	check_unknown(ix, "ip", "filter", "INPUT", 21, NFT_STEP_RULE);
	nft_index_free(ix);
	unload(&l);
}

static void test_counters_and_handles_in_text(void **state)
{
	static const char json[] =
		"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
		" {\"table\": {\"family\": \"netdev\", \"name\": \"t\", \"handle\": 7}},"
		" {\"chain\": {\"family\": \"netdev\", \"table\": \"t\", \"name\": \"c\", \"handle\": 1}},"
		" {\"rule\": {\"family\": \"netdev\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 2, \"expr\": []}},"
		" {\"rule\": {\"family\": \"netdev\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 3, \"expr\": []}},"
		" {\"rule\": {\"family\": \"netdev\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 12345678901234, \"expr\": []}}]}";
	static const char text[] =
		"table netdev t { # handle 7\r\n"
		"\tchain c { # handle 1\n"
		"\t\tcounter packets 123 bytes 45678 meta mark set 1 comment \"counter packets 1 bytes 2 # handle 9\" # handle 2\n"
		"\t\tcounter packets 1 bytes 2 counter packets 3 bytes 4   # handle 3\n"
		"\t\tcounter name \"cnt\" drop # handle 12345678901234\n"
		"\t}\n"
		"}\n";
	struct nft_index *ix;

	ix = nft_index_parse(json, sizeof(json) - 1, text, sizeof(text) - 1,
			     NULL, 0, NULL, 0);
	assert_non_null(ix);
	check_rule(ix, "netdev", "t", "c", 2, 1,
		   "counter meta mark set 1 comment \"counter packets 1 bytes 2 # handle 9\"", false);
	check_rule(ix, "netdev", "t", "c", 3, 2, "counter counter", false);
	check_rule(ix, "netdev", "t", NULL, 12345678901234ULL, 3,
		   "counter name \"cnt\" drop", false);
	nft_index_free(ix);
}

/* Duplicate handles or chains in the JSON: nothing of that table is used. */
static void test_inconsistent_json(void **state)
{
	static const char dup_handle[] =
		"{\"nftables\": ["
		" {\"table\": {\"family\": \"inet\", \"name\": \"t\", \"handle\": 1}},"
		" {\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\", \"handle\": 1}},"
		" {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 2}},"
		" {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"handle\": 2}},"
		" {\"table\": {\"family\": \"inet\", \"name\": \"u\", \"handle\": 2}},"
		" {\"chain\": {\"family\": \"inet\", \"table\": \"u\", \"name\": \"c\", \"handle\": 1}},"
		" {\"chain\": {\"family\": \"inet\", \"table\": \"u\", \"name\": \"c\", \"handle\": 2}},"
		" {\"table\": {\"family\": \"inet\", \"name\": \"v\", \"handle\": 3}},"
		" {\"chain\": {\"family\": \"inet\", \"table\": \"v\", \"name\": \"c\", \"handle\": 1}},"
		" {\"rule\": {\"family\": \"inet\", \"table\": \"v\", \"chain\": \"gone\", \"handle\": 2}},"
		" {\"table\": {\"family\": \"inet\", \"name\": \"ok\", \"handle\": 4}},"
		" {\"chain\": {\"family\": \"inet\", \"table\": \"ok\", \"name\": \"c\", \"handle\": 1}},"
		" {\"rule\": {\"family\": \"inet\", \"table\": \"ok\", \"chain\": \"c\", \"handle\": 2}},"
		" {\"rule\": {\"family\": \"inet\", \"table\": \"nope\", \"chain\": \"c\", \"handle\": 2}},"
		" {\"rule\": \"not an object\"}, 42, [], {\"chain\": {}}]}";
	struct nft_index *ix;
	struct nft_step_info si;

	ix = nft_index_parse(dup_handle, sizeof(dup_handle) - 1, NULL, 0,
			     NULL, 0, NULL, 0);
	assert_non_null(ix);
	check_unknown(ix, "inet", "t", "c", 2, NFT_STEP_RULE);
	check_unknown(ix, "inet", "u", "c", 0, NFT_STEP_IMPLICIT_RETURN);
	check_unknown(ix, "inet", "v", "c", 0, NFT_STEP_IMPLICIT_RETURN);
	assert_int_equal(nft_index_lookup(ix, "inet", "ok", NULL, 2,
					  NFT_STEP_RULE, NULL, &si), 0);
	assert_int_equal(si.rulenum, 1);
	assert_null(si.text);
	nft_index_free(ix);
}

static unsigned int rnd_state = 12345;

static unsigned int rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 16;
}

/* Mangled fixtures: no crash, no leak (ASan), lookups stay answerable. */
static void test_mangled_inputs(void **state)
{
	static const char *const names[] = { "docker", "native", "mixed" };
	unsigned int n, i, k;

	for (n = 0; n < 3; n++) {
		struct listings l;

		load(&l, names[n]);
		for (i = 0; i < 60; i++) {
			struct listings m = l;
			struct nft_index *ix;
			struct nft_step_info si;
			char *bufs[4];
			size_t *lens[4] = { &m.json_len, &m.text_len,
					    &m.save4_len, &m.save6_len };

			bufs[0] = m.json = malloc(l.json_len + 1);
			bufs[1] = m.text = malloc(l.text_len + 1);
			bufs[2] = m.save4 = malloc(l.save4_len + 1);
			bufs[3] = m.save6 = malloc(l.save6_len + 1);
			memcpy(m.json, l.json, l.json_len);
			memcpy(m.text, l.text, l.text_len);
			memcpy(m.save4, l.save4, l.save4_len);
			memcpy(m.save6, l.save6, l.save6_len);
			for (k = 0; k < 4; k++) {
				size_t j, flips = rnd() % 8;

				if (!*lens[k])
					continue;
				for (j = 0; j < flips; j++)
					bufs[k][rnd() % *lens[k]] = rnd() & 0xff;
				if (rnd() % 4 == 0)
					*lens[k] = rnd() % *lens[k];
			}
			ix = nft_index_parse(m.json, m.json_len, m.text,
					     m.text_len, m.save4, m.save4_len,
					     m.save6, m.save6_len);
			assert_non_null(ix);
			for (k = 1; k < 50; k++) {
				nft_index_lookup(ix, "ip", "filter", NULL, k,
						 NFT_STEP_RULE, NULL, &si);
				nft_index_lookup(ix, "inet", "firewalld", NULL,
						 k, NFT_STEP_RULE, NULL, &si);
			}
			nft_index_lookup(ix, "ip", "filter", "INPUT", 0,
					 NFT_STEP_POLICY, NULL, &si);
			nft_index_free(ix);
			for (k = 0; k < 4; k++)
				free(bufs[k]);
		}
		unload(&l);
	}
}

/*
 * kube-proxy scale: 10000 chains of 3 rules, rule handles allocated across
 * chains (as when services are added over time), listed like nft does.
 * The index must stay near O(n log n): a quadratic chain search takes
 * seconds here, and ASan builds multiply that.
 */
static void test_kube_proxy_scale(void **state)
{
	const unsigned int nchains = 10000, per = 3;
	size_t jcap = 16 << 20, tcap = 8 << 20, jl = 0, tl = 0;
	char *json = malloc(jcap), *text = malloc(tcap), name[64], want[96];
	struct nft_step_info si;
	struct nft_index *ix;
	unsigned int i, j;
	struct timespec t0, t1;

	assert_non_null(json);
	assert_non_null(text);
	jl += snprintf(json + jl, jcap - jl, "{\"nftables\": [{\"metainfo\": "
		       "{\"version\": \"1.0.6\", \"json_schema_version\": 1}}, "
		       "{\"table\": {\"family\": \"ip\", \"name\": \"kube-proxy\", "
		       "\"handle\": 3}}");
	tl += snprintf(text + tl, tcap - tl, "table ip kube-proxy { # handle 3\n");
	for (i = 0; i < nchains; i++) {
		jl += snprintf(json + jl, jcap - jl,
			       ", {\"chain\": {\"family\": \"ip\", \"table\": "
			       "\"kube-proxy\", \"name\": \"service-%08u-ns/svc/tcp/p\", "
			       "\"handle\": %u}}", i, i + 1);
	}
	for (i = 0; i < nchains; i++) {
		tl += snprintf(text + tl, tcap - tl,
			       "\tchain service-%08u-ns/svc/tcp/p { # handle %u\n",
			       i, i + 1);
		for (j = 0; j < per; j++) {
			/* handle of rule j of chain i: rounds over all chains */
			unsigned int h = nchains + 1 + j * nchains + i;

			jl += snprintf(json + jl, jcap - jl,
				       ", {\"rule\": {\"family\": \"ip\", \"table\": "
				       "\"kube-proxy\", \"chain\": "
				       "\"service-%08u-ns/svc/tcp/p\", \"handle\": %u, "
				       "\"expr\": [{\"goto\": {\"target\": \"ep-%u-%u\"}}]}}",
				       i, h, i, j);
			tl += snprintf(text + tl, tcap - tl,
				       "\t\tnumgen random mod 3 %u goto ep-%u-%u # handle %u\n",
				       j, i, j, h);
		}
		tl += snprintf(text + tl, tcap - tl, "\t}\n");
	}
	jl += snprintf(json + jl, jcap - jl, "]}\n");
	tl += snprintf(text + tl, tcap - tl, "}\n");
	assert_true(jl < jcap && tl < tcap);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ix = nft_index_parse(json, jl, text, tl, NULL, 0, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(ix);
	free(json);
	free(text);
	/* generous: well under a second unsanitized */
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	for (i = 0; i < nchains; i += 997) {
		snprintf(name, sizeof(name), "service-%08u-ns/svc/tcp/p", i);
		for (j = 0; j < per; j++) {
			snprintf(want, sizeof(want),
				 "numgen random mod 3 %u goto ep-%u-%u", j, i, j);
			check_rule(ix, "ip", "kube-proxy", NULL,
				   nchains + 1 + j * nchains + i, j + 1, want,
				   false);
		}
		assert_int_equal(nft_index_lookup(ix, "ip", "kube-proxy", name,
						  0, NFT_STEP_IMPLICIT_RETURN,
						  NULL, &si), 0);
		assert_int_equal(si.rulenum, per + 1);
	}
	nft_index_free(ix);
}

/*
 * The real thing, where it can run: a fresh netns, iptables-nft and nft
 * loading rules, the snapshot and the generation.  Skipped without root,
 * unshare or the tools.
 */
static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_snapshot_live(void **state)
{
	unsigned long long g0, g1;
	struct nft_step_info si;
	struct nft_index *ix;
	char err[128];
	int self;
	pid_t pid;
	int st;

	if (geteuid() != 0 || sh("command -v nft >/dev/null && "
				 "command -v iptables-nft-save >/dev/null"))
		skip();
	/* in a child, so the rest of the tests keep their netns */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(77);
		if (sh("iptables-nft -A INPUT -i lo -j ACCEPT && "
		       "iptables-nft -I INPUT 1 -p tcp --dport 22 -j ACCEPT && "
		       "nft add table inet t && "
		       "nft add chain inet t c '{ type filter hook input priority 0; policy drop; }' && "
		       "nft add rule inet t c counter accept"))
			_exit(77);
		if (nft_ruleset_gen(-1, &g0))
			_exit(2);
		ix = nft_index_snapshot(-1, err, sizeof(err));
		if (!ix)
			_exit(3);
		if (nft_index_gen(ix) != g0)
			_exit(4);
		if (nft_index_lookup(ix, "ip", "filter", NULL, 3, NFT_STEP_RULE,
				     NULL, &si) || si.rulenum != 1 || !si.text ||
		    strcmp(si.text, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"))
			_exit(5);
		if (nft_index_lookup(ix, "inet", "t", NULL, 2, NFT_STEP_RULE,
				     NULL, &si) || !si.text ||
		    strcmp(si.text, "counter accept"))
			_exit(6);
		nft_index_free(ix);
		/* the generation moves with every commit */
		if (sh("nft add rule inet t c drop") ||
		    nft_ruleset_gen(-1, &g1) || g1 == g0)
			_exit(7);
		/* and the same, through a netns fd */
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || nft_ruleset_gen(self, &g0) || g0 != g1)
			_exit(8);
		ix = nft_index_snapshot(self, err, sizeof(err));
		if (!ix || nft_index_gen(ix) != g1 ||
		    nft_index_lookup(ix, "inet", "t", "c", 0, NFT_STEP_POLICY,
				     "drop", &si) || si.rulenum != 3 ||
		    strcmp(si.text, "policy drop"))
			_exit(9);
		nft_index_free(ix);
		close(self);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_filter_rules),
		cmocka_unit_test(test_docker_nat_mangle_ip6),
		cmocka_unit_test(test_docker_policy_and_returns),
		cmocka_unit_test(test_rule_without_chain),
		cmocka_unit_test(test_unknown_steps),
		cmocka_unit_test(test_save_count_mismatch),
		cmocka_unit_test(test_save_verdict_mismatch),
		cmocka_unit_test(test_native_text_mismatch),
		cmocka_unit_test(test_native_firewalld),
		cmocka_unit_test(test_native_kube_proxy),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_text_only_where_needed),
		cmocka_unit_test(test_save_cut_short),
		cmocka_unit_test(test_partial_inputs),
		cmocka_unit_test(test_counters_and_handles_in_text),
		cmocka_unit_test(test_inconsistent_json),
		cmocka_unit_test(test_mangled_inputs),
		cmocka_unit_test(test_kube_proxy_scale),
		cmocka_unit_test(test_snapshot_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
