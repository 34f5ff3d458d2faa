# SPDX-License-Identifier: GPL-2.0
"""Benchmark part: how the cost of a table call grows with the rules it walks.

filter INPUT holds one chain of N rules that ping does not match, then an
ICMP accept; ipttrace --latency times every call, for N = 20, 200 and 2000
(BENCH_CHAIN_SIZES), on iptables-legacy and on nf_tables (the same rules
through iptables-nft-restore: x_tables matches run as nft expressions).
Prints mean, p50 and p99 per size and the cost per rule walked; asserts
nothing (the numbers are emulated: compare them with each other)."""
import sys
sys.path.insert(0, ".")
from labtest import *

SIZES = [int(x) for x in os.environ.get("BENCH_CHAIN_SIZES", "20,200,2000").split(",") if x]
PINGS = int(os.environ.get("BENCH_CHAIN_PINGS", "200"))


def ruleset(n):
    rules = ["-A INPUT -p udp -m udp --dport %d -j DROP" % (20000 + i) for i in range(n - 1)]
    return ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n%s\n"
            "-A INPUT -p icmp -j ACCEPT\nCOMMIT\n" % "\n".join(rules))


def measure(backend, n):
    restore_tool = "iptables-legacy-restore" if backend == "legacy" else "iptables-nft-restore"
    sh(restore_tool, ns="srv", input=ruleset(n), timeout=600)
    tr = Tracer(["--latency", "--per-netns", "--backend", backend])
    sh("ping -q -n -c %d -i 0.005 10.0.0.2" % PINGS, ns="cli", timeout=300)
    tr.stop()
    srv = int(os.stat("/run/netns/srv").st_ino)
    for e in tr.events():
        if e["event"] != "latency" or e.get("netns") != srv:
            continue
        if backend == "legacy" and (e["table"], e["hook"]) == ("filter", "INPUT"):
            return e
        if backend == "nft" and e.get("backend") == "nft" and \
                (e["table"], e.get("chain")) == ("filter", "INPUT"):
            return e
    raise Fail("no filter INPUT histogram: %s" % tr.stderr())


for backend in ("legacy", "nft"):
    reset()
    two_hosts()
    rows = []
    for n in SIZES:
        try:
            rows.append((n, measure(backend, n)))
        except Exception as e:     # report the sizes that ran
            print("chain length %s %d: FAILED: %s" % (backend, n, str(e).splitlines()[0]))
    print("\nfilter INPUT latency by chain length, %s (ipttrace --latency, %d pings each, %s)"
          % ("iptables-legacy" if backend == "legacy" else "iptables-nft (nf_tables)", PINGS, KREL))
    print("%8s %8s %12s %12s %12s %14s" % ("rules", "calls", "mean ns", "p50 ns", "p99 ns",
                                            "ns/rule added"))
    prev = None
    for n, e in rows:
        per = "-" if prev is None else "%.0f" % ((e["mean_ns"] - prev[1]["mean_ns"]) / (n - prev[0]))
        print("%8d %8d %12.0f %12.0f %12.0f %14s" % (n, e["count"], e["mean_ns"], e["p50_ns"],
                                                   e["p99_ns"], per))
        prev = (n, e)
reset()
