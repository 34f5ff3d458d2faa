# SPDX-License-Identifier: GPL-2.0
"""Rule-level tracing against the kernel's own TRACE log, step for step."""
from labtest import *


def chains(probe):
    two_hosts()
    restore("srv", "chains.v4")
    web = server("srv", "tcp", 80)
    echo = server("srv", "udp", 7)
    oracle_on("srv", ["10.0.0.1"])
    tr = Tracer(["--netns", "srv", "--keep-log", "--probe", probe, "host 10.0.0.1"])
    expect(ping("cli", "10.0.0.2", 2), "ping failed")
    expect(tcp_connect("cli", "10.0.0.2", 80), "tcp 80 not accepted")
    expect(not tcp_connect("cli", "10.0.0.2", 81), "tcp 81 not rejected")
    expect(not tcp_connect("cli", "10.0.0.2", 82, timeout=1), "tcp 82 not dropped")
    udp_send("cli", "10.0.0.2", 9, 2)
    udp_send("cli", "10.0.0.2", 7, 2)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = expect_same_steps(tr, "chains")
    t = expect_rule_text(tr, "srv")
    expect(web() == 1 and echo() == 2, "servers saw %d tcp, %d udp" % (web(), echo()))
    # port 9 datagrams were dropped: their last verdict is filter INPUT DROP
    ev = tr.events()
    udp9 = [e["id"] for e in ev if e["event"] == "packet" and e.get("dport") == 9]
    vs = last_verdicts(tr)
    expect(len(udp9) == 2, "%d packet events for udp/9" % len(udp9))
    for i in udp9:
        expect(vs[i][-1] == ("filter", "INPUT", "DROP"), "udp/9 verdicts %s" % vs[i])
    udp7 = [e["id"] for e in ev if e["event"] == "packet" and e.get("dport") == 7]
    for i in udp7:
        expect(vs[i][-1] == ("filter", "INPUT", "ACCEPT"), "udp/7 verdicts %s" % vs[i])
    return "%d steps equal, %d rule texts" % (n, t)


def nat_forward():
    three_hosts()
    restore("rtr", "nat.v4")
    web = server("srv", "tcp", 80)
    dns = server("srv", "udp", 53)
    oracle_on("rtr", ["10.0.1.2"])
    tr = Tracer(["--netns", "rtr", "--keep-log", "host 10.0.1.2"])
    expect(tcp_connect("cli", "10.0.1.1", 8080), "published port 8080 unreachable")
    udp_send("cli", "10.0.1.1", 5353, 2)
    expect(ping("cli", "10.0.2.2", 1) is False, "forwarded ping should hit FORWARD DROP")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = expect_same_steps(tr, "nat")
    expect_rule_text(tr, "rtr")
    expect(web() == 1, "server got %d connections" % web())
    expect(dns() == 0, "dropped DNS reached the server")
    nats = [e for e in tr.events() if e["event"] == "nat"]
    syn = [e for e in nats if e["from"].get("dport") == 8080]
    expect(syn, "no NAT event for the published port: %s" % nats)
    expect(syn[0]["to"]["daddr"] == "10.0.2.2" and syn[0]["to"]["dport"] == 80
           and syn[0]["after"] == "nat:PUBLISH:rule:1", "NAT event %s" % syn[0])
    # MASQUERADE in POSTROUTING: no table runs after it, the conntrack
    # binding shows it
    snat = [e for e in nats if e["id"] == syn[0]["id"] and e["after"] == "nat:POSTROUTING:rule:1"]
    expect(snat and snat[0]["to"]["saddr"] == "10.0.2.1" and snat[0]["from"]["saddr"] == "10.0.1.2"
           and snat[0]["to"]["daddr"] == "10.0.2.2", "no MASQUERADE event: %s" % nats)
    # later packets of the connection: conntrack applies the DNAT, no nat table runs
    later = [e for e in nats if e["after"] == "conntrack" and e["from"].get("dport") == 8080]
    expect(later and later[0]["to"]["daddr"] == "10.0.2.2" and later[0]["to"]["dport"] == 80,
           "no conntrack NAT for the connection's later packets: %s" % nats)
    return "%d steps equal" % n


def ipv6():
    two_hosts()
    restore("srv", "chains.v6", v6=True)
    web = server("srv", "tcp", 80, fam="6")
    oracle_on("srv", ["fd00::1"])
    tr = Tracer(["--netns", "srv", "--keep-log", "-6", "host fd00::1"])
    expect(ping("cli", "fd00::2", 2), "ping6 failed")
    expect(tcp_connect("cli", "fd00::2", 80), "tcp6 80 failed")
    udp_send("cli", "fd00::2", 9, 1)
    udp_send("cli", "fd00::2", 10, 1)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = expect_same_steps(tr, "ipv6")
    expect_rule_text(tr, "srv")
    fams = {e["family"] for e in tr.events() if e["event"] == "packet"}
    expect(fams == {"ipv6"}, "families %s" % fams)
    return "%d steps equal" % n


def reject():
    two_hosts()
    restore("srv", "reject.v4")
    oracle_on("srv", ["10.0.0.1"])
    tr = Tracer(["--netns", "srv", "--keep-log", "host 10.0.0.1"])
    udp_send("cli", "10.0.0.2", 9, 1)
    expect(not tcp_connect("cli", "10.0.0.2", 81), "tcp 81 not reset")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = expect_same_steps(tr, "reject")
    # the ICMP error is its own packet, walked while the UDP one is in INPUT
    ev = tr.events()
    icmp = [e for e in ev if e["event"] == "packet" and e.get("proto") == "icmp"]
    expect(icmp and icmp[0]["icmp_type"] == 3, "no ICMP unreachable packet event: %s" % icmp)
    nested = [e for e in ev if e["event"] == "verdict" and e["id"] == icmp[0]["id"]
              and e.get("backend") != "nft"]
    expect(nested and all(v["verdict"] == "ACCEPT" for v in nested), "ICMP verdicts %s" % nested)
    return "%d steps equal" % n


def local_out():
    two_hosts()
    restore("srv", "chains.v4")
    oracle_on("srv", ["10.0.0.1", "127.0.0.1"])
    tr = Tracer(["--netns", "srv", "--keep-log", "host 10.0.0.1 or host 127.0.0.1"])
    expect(ping("srv", "10.0.0.1", 1), "ping from srv failed")
    ping("srv", "127.0.0.1", 1)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = expect_same_steps(tr, "local")
    hooks = {e["hook"] for e in tr.events() if e["event"] == "packet"}
    expect("OUTPUT" in hooks, "no locally generated packet selected: %s" % hooks)
    return "%d steps equal" % n


def filter_selects():
    two_hosts()
    sh("ip addr add 10.0.0.3/24 dev veth-cli", ns="cli")
    restore("srv", "chains.v4")
    tr = Tracer(["--netns", "srv", "src host 10.0.0.3 and icmp"])
    ping("cli", "10.0.0.2", 2)
    sh("ping -n -c 3 -i 0.2 -I 10.0.0.3 10.0.0.2", ns="cli")
    udp_send("cli", "10.0.0.2", 9, 2)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    pk = [e for e in tr.events() if e["event"] == "packet"]
    expect(len(pk) == 3, "%d packets selected, want the 3 pings from 10.0.0.3" % len(pk))
    for e in pk:
        expect(e["saddr"] == "10.0.0.3" and e["proto"] == "icmp", "unmatched packet %s" % e)
    ids = {e["id"] for e in pk}
    other = [e for e in tr.events() if e["event"] in ("rule", "verdict") and e["id"] not in ids]
    expect(not other, "events for unselected packets: %s" % other[:3])


def iface_selects():
    two_hosts()
    restore("srv", "chains.v4")
    # no --netns: the interface lives in another namespace, as a container's would
    tr = Tracer(["-i", "veth-srv", "icmp"])
    ping("cli", "10.0.0.2", 2)
    ping("srv", "10.0.0.1", 1)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    pk = [e for e in tr.events() if e["event"] == "packet"]
    expect(len(pk) == 6, "%d packets, want 6 (2 requests + 2 replies, 1 + 1)" % len(pk))
    for e in pk:
        expect("veth-srv" in (e.get("in"), e.get("out")), "packet not on veth-srv: %s" % e)


def netns_created_later():
    # the tracer starts first; the namespaces and their rules come after
    tr = Tracer(["--keep-log", "icmp and host 10.0.0.1"])
    two_hosts()
    restore("srv", "chains.v4")
    oracle_on("srv", ["10.0.0.1"])
    sh("dmesg -C")
    expect(ping("cli", "10.0.0.2", 2), "ping failed")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    srv = int(os.stat("/run/netns/srv").st_ino)
    nss = {e["netns"] for e in tr.events() if e["event"] == "packet"}
    expect(srv in nss, "no packet selected in a namespace created while tracing: %s" % nss)
    n = expect_same_steps(tr, "late netns")
    return "%d steps equal" % n


def quiet_log():
    two_hosts()
    restore("srv", "chains.v4")
    oracle_on("srv", ["10.0.0.1"])
    tr = Tracer(["--netns", "srv", "host 10.0.0.1"])
    ping("cli", "10.0.0.2", 2)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    expect(len(tr.steps()) >= 4, "ipttrace saw %d steps" % len(tr.steps()))
    expect(kernel_steps() == [], "TRACE lines reached the kernel log while tracing: %s"
           % kernel_steps()[:3])
    # the same packets log again once ipttrace is gone: the oracle works
    ping("cli", "10.0.0.2", 1)
    expect(len(kernel_steps()) >= 2, "no TRACE line after exit: the check proves nothing")


def same_steps_both_probes():
    two_hosts()
    restore("srv", "chains.v4")
    got = {}
    for probe in ("fentry", "kprobe"):
        tr = Tracer(["--netns", "srv", "--probe", probe, "host 10.0.0.1"])
        ping("cli", "10.0.0.2", 2)
        udp_send("cli", "10.0.0.2", 9, 1)
        tr.stop()
        expect(tr.rc == 0, "%s exit %d: %s" % (probe, tr.rc, tr.stderr()))
        got[probe] = tr.steps()
    expect(got["fentry"] and got["fentry"] == got["kprobe"],
           "fentry and kprobe differ: %s" % diff_steps(got["fentry"], got["kprobe"]))


def human_output():
    three_hosts()
    restore("rtr", "nat.v4")
    server("srv", "tcp", 80)
    tr = Tracer(["--netns", "rtr", "-c", "1", "tcp dst port 8080"], json_out=False)
    tcp_connect("cli", "10.0.1.1", 8080)
    rc = tr.p.wait(30)
    tr.out.seek(0)
    out = tr.out.read()
    expect(rc == 0, "exit %d" % rc)
    lines = out.splitlines()
    expect(re.search(r"ipv4 id \d+ netns \d+ PREROUTING in=veth-cli out=- 10\.0\.1\.2:\d+ > 10\.0\.1\.1:8080 tcp \[S\]", lines[0]),
           "header line: %r" % lines[0])
    expect(any("nat:PUBLISH:rule:1" in l and "--to-destination 10.0.2.2:80" in l for l in lines),
           "no DNAT step with its rule text:\n" + out)
    expect(any("NAT destination 10.0.1.1:8080 -> 10.0.2.2:80 (after nat:PUBLISH:rule:1)" in l for l in lines),
           "no NAT line:\n" + out)
    expect(any(re.search(r"=> filter FORWARD +ACCEPT", l) for l in lines), "no FORWARD verdict:\n" + out)
    expect("\033[" not in out, "colour codes written to a file")
    expect(not module_loaded(), "module left loaded")


run("chains, jumps, gotos, returns, policies equal the kernel TRACE log (fentry)",
    needs_fentry(lambda: chains("fentry")))
run("chains equal the kernel TRACE log (kprobe)", lambda: chains("kprobe"))
run("NAT and forwarding across three namespaces equal the kernel TRACE log", nat_forward)
run("IPv6 equals the kernel TRACE log", ipv6)
run("REJECT generating a packet mid-walk equals the kernel TRACE log", reject)
run("locally generated traffic equals the kernel TRACE log", local_out)
run("the filter selects only matching packets", filter_selects)
run("-i selects one interface, in any namespace", iface_selects)
run("namespaces created while tracing are traced", netns_created_later)
run("no TRACE line reaches the kernel log while tracing", quiet_log)
run("fentry and kprobe give the same steps", needs_fentry(same_steps_both_probes))
run("human output: header, rule text, NAT, verdicts, -c", human_output)
