# SPDX-License-Identifier: GPL-2.0
"""Benchmark part: filter INPUT with one chain of N rules, then of 10N rules,
timed by ipttrace --latency.  Reports the ratio of the two; asserts nothing
(TCG timing is emulated and noisy)."""
import sys
sys.path.insert(0, ".")
from labtest import *

N = int(os.environ.get("BENCH_CHAIN_N", "20"))
PINGS = 200


def ruleset(n):
    rules = ["-A INPUT -p udp -m udp --dport %d -j DROP" % (20000 + i) for i in range(n - 1)]
    return "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n%s\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n" % "\n".join(rules)


def measure(n):
    sh("iptables-legacy-restore", ns="srv", input=ruleset(n))
    tr = Tracer(["--latency", "--per-netns"])
    sh("ping -q -n -c %d -i 0.005 10.0.0.2" % PINGS, ns="cli", timeout=120)
    tr.stop()
    srv = int(os.stat("/run/netns/srv").st_ino)
    for e in tr.events():
        if e["event"] == "latency" and e["netns"] == srv and (e["table"], e["hook"]) == ("filter", "INPUT"):
            return e
    raise Fail("no filter INPUT histogram: %s" % tr.stderr())


reset()
two_hosts()
rows = [(n, measure(n)) for n in (N, 10 * N)]
print("\nfilter INPUT latency by chain length (ipttrace --latency, %d pings each, %s)" % (PINGS, KREL))
print("%8s %8s %12s %12s %12s" % ("rules", "calls", "mean ns", "p50 ns", "p99 ns"))
for n, e in rows:
    print("%8d %8d %12.0f %12.0f %12.0f" % (n, e["count"], e["mean_ns"], e["p50_ns"], e["p99_ns"]))
a, b = rows[0][1], rows[1][1]
print("ratio %dN/N: mean %.2fx, p50 %.2fx (linear in rules would be ~%.0fx minus the fixed cost)"
      % (10, b["mean_ns"] / a["mean_ns"], b["p50_ns"] / a["p50_ns"], 10))
reset()
