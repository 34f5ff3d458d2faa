# SPDX-License-Identifier: GPL-2.0
"""Runs first, on a fresh guest where nothing has loaded ip_tables yet: the
box looks like one that uses iptables-nft."""
from labtest import *


def no_ip_tables():
    expect(not os.path.exists("/sys/module/ip_tables"), "ip_tables already loaded: test order broken")
    expect("nf_tables" in sh("iptables -V"), "iptables is not iptables-nft here")
    # neither backend is in use yet: one line naming both
    line = expect_clean_failure(["icmp"], "iptables-nft")
    expect("ip_tables" in line and "nf_tables" in line, "error does not name both backends: %s" % line)
    expect(not os.path.exists("/sys/module/ip_tables"), "ipttrace loaded ip_tables itself")


run("neither ip_tables nor nf_tables loaded: one-line error naming both, nothing left", no_ip_tables)
