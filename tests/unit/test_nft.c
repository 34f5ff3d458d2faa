// SPDX-License-Identifier: GPL-2.0
/* nf_tables names: verdicts in nft's words, table families, hooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "nft.h"

static void test_verdicts(void **state)
{
	char b[64];

	assert_string_equal(iptt_nft_verdict_name(IPTT_NFT_CONTINUE, NULL, b, sizeof(b)), "continue");
	assert_string_equal(iptt_nft_verdict_name(IPTT_NFT_RETURN, NULL, b, sizeof(b)), "return");
	assert_string_equal(iptt_nft_verdict_name(IPTT_NFT_JUMP, "DOCKER", b, sizeof(b)), "jump DOCKER");
	assert_string_equal(iptt_nft_verdict_name(IPTT_NFT_GOTO, "filter_IN_public", b, sizeof(b)),
			    "goto filter_IN_public");
	assert_string_equal(iptt_nft_verdict_name(0, NULL, b, sizeof(b)), "drop");
	assert_string_equal(iptt_nft_verdict_name(1, NULL, b, sizeof(b)), "accept");
	assert_string_equal(iptt_nft_verdict_name(2, NULL, b, sizeof(b)), "stolen");
	/* nft_do_chain's DROP: (EPERM << 16) | NF_STOLEN, the skb already freed */
	assert_string_equal(iptt_nft_verdict_name(0x10002, NULL, b, sizeof(b)), "drop");
	assert_string_equal(iptt_nft_verdict_name(3 | (5 << 16), NULL, b, sizeof(b)), "queue");
}

static void test_names(void **state)
{
	assert_string_equal(iptt_nft_family_name(1), "inet");
	assert_string_equal(iptt_nft_family_name(2), "ip");
	assert_string_equal(iptt_nft_family_name(10), "ip6");
	assert_string_equal(iptt_nft_family_name(7), "bridge");
	assert_string_equal(iptt_nft_family_name(5), "netdev");
	assert_string_equal(iptt_nft_family_name(3), "arp");
	assert_string_equal(iptt_nft_hook_name(1, 0), "PREROUTING");
	assert_string_equal(iptt_nft_hook_name(2, 4), "POSTROUTING");
	assert_string_equal(iptt_nft_hook_name(5, 0), "INGRESS");
	assert_string_equal(iptt_nft_hook_name(3, 1), "OUTPUT");
}

static void test_backend_parse(void **state)
{
	assert_int_equal(iptt_backend_parse("nft"), 0);
	assert_int_equal(iptt_backend_choice, IPTT_BACKEND_NFT);
	assert_int_equal(iptt_backend_parse("legacy"), 0);
	assert_int_equal(iptt_backend_choice, IPTT_BACKEND_LEGACY);
	assert_int_equal(iptt_backend_parse("all"), 0);
	assert_int_equal(iptt_backend_choice, IPTT_BACKEND_ALL);
	assert_int_equal(iptt_backend_parse("iptables"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_backend_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
