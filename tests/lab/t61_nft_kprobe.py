# SPDX-License-Identifier: GPL-2.0
"""nf_tables steps by kprobe (the fallback where BPF trampolines are missing)
equal those by fentry, for the same packets on the same ruleset."""
from labtest import *

RS = os.path.join(REPO, "tests", "lab", "rulesets")


def nft_steps(tr):
    return [(e["table_family"], e["table"], e["chain"], e["kind"], e.get("handle"), e["rulenum"],
             e["verdict"], e.get("rule")) for e in tr.events()
            if e["event"] == "rule" and e.get("backend") == "nft"]


def kprobe_equals_fentry():
    two_hosts()
    sh("iptables-nft -N CHECKS", ns="srv")
    sh("iptables-nft -A INPUT -s 10.0.0.1 -j CHECKS", ns="srv")
    sh("iptables-nft -A CHECKS -p udp -j RETURN", ns="srv")
    sh("iptables-nft -A CHECKS -p icmp -j ACCEPT", ns="srv")
    sh("nft -f %s/mixed-native.nft" % RS, ns="srv")
    got = {}
    for probe in ("fentry", "kprobe"):
        tr = Tracer(["--netns", "srv", "--probe", probe, "host 10.0.0.1"])
        ping("cli", "10.0.0.2", 1)
        udp_send("cli", "10.0.0.2", 7, 1)
        tr.stop()
        expect(tr.rc == 0, "--probe %s: exit %d %s" % (probe, tr.rc, tr.stderr()))
        got[probe] = nft_steps(tr)
        v = [e for e in tr.events() if e["event"] == "verdict" and e.get("backend") == "nft"]
        expect(v, "--probe %s: no nf_tables verdict event" % probe)
    expect(len(got["fentry"]) >= 6, "fentry saw %d nf_tables steps" % len(got["fentry"]))
    expect(got["kprobe"] == got["fentry"], "kprobe %s\nfentry %s" % (got["kprobe"], got["fentry"]))
    return "%d nf_tables steps, the same by kprobe and fentry" % len(got["fentry"])


run("nf_tables: kprobe fallback gives the same steps as fentry", kprobe_equals_fentry)
