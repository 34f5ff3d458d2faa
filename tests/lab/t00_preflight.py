# SPDX-License-Identifier: GPL-2.0
"""Runs first, on a fresh guest where nothing has loaded ip_tables yet: the
box looks like one that uses iptables-nft."""
from labtest import *


def no_ip_tables():
    expect(not os.path.exists("/sys/module/ip_tables"), "ip_tables already loaded: test order broken")
    expect("nf_tables" in sh("iptables -V"), "iptables is not iptables-nft here")
    expect_clean_failure(["icmp"], "iptables-nft")
    expect(not os.path.exists("/sys/module/ip_tables"), "ipttrace loaded ip_tables itself")


run("no ip_tables (iptables-nft box): one-line error, nothing left", no_ip_tables)
