# SPDX-License-Identifier: GPL-2.0
"""Runs last: kernel.modules_disabled=1 cannot be undone in this guest.
A kernel that refuses modules gets a clear error that points to --latency,
and --latency really works there."""
from labtest import *


def refused():
    two_hosts()
    restore("srv", "chains.v4")
    sh("sysctl -qw kernel.modules_disabled=1")
    expect_clean_failure(["icmp"], "--latency")
    tr = Tracer(["--latency"])
    ping("cli", "10.0.0.2", 2)
    tr.stop()
    counts = {(e["table"], e["hook"]): e["count"] for e in tr.events()}
    expect(tr.rc == 0 and counts.get(("filter", "INPUT")) == 2,
           "--latency under modules_disabled: %s %s" % (counts, tr.stderr()))


run("module refused: error points to --latency, which works", refused)
