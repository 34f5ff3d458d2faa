# SPDX-License-Identifier: GPL-2.0
"""Safety: crash, flood, a second tracer, rules changing under the trace,
bad input, and teardown that leaves the system exactly as it was."""
from labtest import *


def log_trace_lines():
    return len(kernel_steps())


def kill9():
    two_hosts()
    restore("srv", "chains.v4")
    # nf_log_syslog bound but nothing else marks packets: every TRACE line
    # in the log comes from a packet ipttrace.ko selected (--keep-log)
    sh("modprobe nf_log_syslog")
    sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
    sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns="srv")
    tr = Tracer(["--netns", "srv", "--keep-log", "icmp"])
    ping("cli", "10.0.0.2", 2)
    time.sleep(0.3)
    during = log_trace_lines()
    expect(during >= 4, "only %d TRACE lines while tracing: the check proves nothing" % during)
    tr.p.kill()
    tr.p.wait(10)
    time.sleep(0.2)
    expect("ipttrace: tracing disabled" in sh("dmesg"), "the module did not disable tracing on close")
    sh("dmesg -C")
    ping("cli", "10.0.0.2", 3)
    time.sleep(0.3)
    after = log_trace_lines()
    expect(after == 0, "%d TRACE lines for packets sent after kill -9" % after)
    expect(our_bpf_progs() == [], "BPF programs left after kill -9: %s" % our_bpf_progs())
    sh("rmmod ipttrace")         # not busy: nothing holds it
    tr2 = Tracer(["--netns", "srv", "icmp"])
    ping("cli", "10.0.0.2", 1)
    tr2.stop()
    expect(tr2.rc == 0 and len(tr2.steps()) >= 2, "the next run does not work: %s" % tr2.stderr())
    return "%d TRACE lines before kill -9, 0 after" % during


FLOOD = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2]); n = 0
while time.monotonic() < end:
    for _ in range(200):
        try:
            s.sendto(b"f" * 64, (sys.argv[1], 7)); n += 1
        except OSError:
            pass
print(n)
'''


def flood(ns, addr, seconds):
    script = "%s/flood.py" % TMP
    open(script, "w").write(FLOOD)
    return subprocess.Popen(["ip", "netns", "exec", ns, "python3", script, addr, str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def vmhwm_kb(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmHWM:"):
            return int(l.split()[1])
    return 0


def flood_rate_cap():
    two_hosts()
    restore("srv", "chains.v4")
    server("srv", "udp", 7)
    # a low cap, so that a slow guest's flood (arm64 TCG on a busy host sent
    # 1,200 datagrams in one run) is still many times what the cap lets by
    rate, secs = 10, 4
    tr = Tracer(["--netns", "srv", "--rate", str(rate), "udp dst port 7"])
    t0 = time.monotonic()
    f = flood("cli", "10.0.0.2", secs)
    time.sleep(1)
    expect(ping("cli", "10.0.0.2", 1), "VM unresponsive during the flood: ping failed")
    sent = int(f.communicate(timeout=60)[0])
    elapsed = time.monotonic() - t0
    hwm = vmhwm_kb(tr.p.pid)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    traced = len([e for e in tr.events() if e["event"] == "packet"])
    cap = rate * (elapsed + 1) + rate // 10 + 1
    expect(sent > 5 * cap, "flood too weak to test the cap: sent %d" % sent)
    expect(0 < traced <= cap, "traced %d packets, cap %d (sent %d)" % (traced, cap, sent))
    expect("over the --rate cap" in tr.stderr(), "rate limiting not reported: %s" % tr.stderr())
    expect(hwm < 64 * 1024, "peak RSS %d kB" % hwm)
    return "sent %d, traced %d (cap %d/s), peak RSS %d kB" % (sent, traced, rate, hwm)


def flood_lost_events():
    """The consumer guard mutes packets that start while the ring is half
    full (s50 checks it); events are still lost when one packet's trace is
    larger than the ring: 60 rule steps of 112 bytes each, into 4 KiB."""
    two_hosts()
    sh("iptables-legacy-restore", ns="srv", input=(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" +
        "-A INPUT -p udp -m udp --dport 7\n" * 60 + "-A INPUT -p udp -j ACCEPT\nCOMMIT\n"))
    tr = Tracer(["--netns", "srv", "--rate", "1000000", "--buffer-size", "4K", "udp dst port 7"])
    f = flood("cli", "10.0.0.2", 3)
    f.communicate(timeout=60)
    hwm = vmhwm_kb(tr.p.pid)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    lost = sum(e["count"] for e in tr.events()
               if e["event"] == "lost" and e.get("reason") == "ring-buffer")
    expect(lost > 0, "a 4 KiB ring buffer under a flood lost nothing? events: %d" % len(tr.events()))
    m = re.search(r"(\d+) events lost in all", tr.stderr())
    expect(m and int(m.group(1)) == lost, "stderr total %s, JSON total %d" % (m and m.group(1), lost))
    expect(hwm < 64 * 1024, "peak RSS %d kB" % hwm)
    return "%d events lost, all reported" % lost


def second_instance():
    two_hosts()
    restore("srv", "chains.v4")
    tr = Tracer(["--netns", "srv", "icmp"])
    expect_second = subprocess.run([IPTTRACE, "icmp"], capture_output=True, text=True, timeout=60)
    lines = expect_second.stderr.strip().splitlines()
    expect(expect_second.returncode != 0, "the second ipttrace started")
    expect(len(lines) == 1 and "another ipttrace" in lines[0], "second: %r" % expect_second.stderr)
    expect(module_loaded(), "the second ipttrace unloaded the first one's module")
    ping("cli", "10.0.0.2", 2)
    tr.stop()
    expect(tr.rc == 0 and len(tr.steps()) >= 4, "the first tracer was disturbed: %s" % tr.stderr())


RULES_A = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p icmp -m comment --comment A1 -j ACCEPT
COMMIT
"""
RULES_B = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p tcp --dport 80 -j ACCEPT
-A INPUT -p icmp -m comment --comment B3 -j ACCEPT
-A INPUT -p icmp -m comment --comment B4 -j ACCEPT
COMMIT
"""


def nth_rule(save_text, table, chain, n):
    t, rules = None, []
    for l in save_text.splitlines():
        if l.startswith("*"):
            t = l[1:]
        elif t == table and l.startswith("-A %s " % chain):
            rules.append(l)
    return rules[n - 1] if 0 < n <= len(rules) else None


def rules_change():
    two_hosts()
    sh("iptables-legacy-restore", ns="srv", input=RULES_A)
    save_a = save("srv")
    tr = Tracer(["--netns", "srv", "icmp and dst host 10.0.0.2"])
    sh("ping -n -c 3 -i 0.2 -s 56 10.0.0.2", ns="cli")
    sh("iptables-legacy-restore", ns="srv", input=RULES_B)   # no pause: race the reader
    save_b = save("srv")
    sh("ping -n -c 3 -i 0.2 -s 100 10.0.0.2", ns="cli")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    batch = {e["id"]: (save_a if e["len"] == 84 else save_b)
             for e in tr.events() if e["event"] == "packet"}
    expect(len(batch) == 6, "%d packets" % len(batch))
    shown = changed = 0
    for e in tr.events():
        if e["event"] != "rule" or e["kind"] != "rule" or e.get("backend") == "nft":
            continue
        want = nth_rule(batch[e["id"]], e["table"], e["chain"], e["rulenum"])
        if "rule" in e:
            expect(e["rule"] == want, "WRONG rule text %r for %s:%s:%d, want %r"
                   % (e["rule"], e["table"], e["chain"], e["rulenum"], want))
            shown += 1
        else:
            expect(e.get("rule_status") == "ruleset-changed", "no text and no reason: %s" % e)
            changed += 1
    late = [e for e in tr.events() if e["event"] == "rule" and batch[e["id"]] is save_b
            and e.get("backend") != "nft"]
    expect(late and all("rule" in e for e in late), "rules after the change not resolved: %s" % late[:2])
    return "%d texts shown (all right), %d marked changed" % (shown, changed)


def bad_input():
    two_hosts()
    restore("srv", "chains.v4")
    checks = [
        (["tcp port"], "bad pcap filter"),
        (["-i", "nosuch0", "icmp"], "no interface 'nosuch0'"),
        (["--netns", "nosuchns", "icmp"], "unknown network namespace"),
        (["--netns", "4242", "icmp"], "no network namespace with inode"),
        (["--netns", "/etc/hostname", "icmp"], "not a network namespace"),
        (["--kmod", "/nonexistent/ipttrace.ko", "icmp"], "cannot open"),
    ]
    for args, phrase in checks:
        expect_clean_failure(args, phrase)
    # a module built for another kernel
    other = [k for k in os.listdir("%s/build/kmod" % REPO) if k != KREL]
    if other:
        expect_clean_failure(["--kmod", "%s/build/kmod/%s/ipttrace.ko" % (REPO, other[0]), "icmp"],
                             "not built for this kernel")
    # no module for this kernel next to the binary
    sh("mkdir -p /tmp/alone && cp %s /tmp/alone/ipttrace" % IPTTRACE)
    p = subprocess.run(["/tmp/alone/ipttrace", "icmp"], capture_output=True, text=True)
    expect(p.returncode != 0 and "make kmod" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
           "no-module error: %r" % p.stderr)
    # not root
    expect_clean_failure(["icmp"], "must run as root",
                         prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    # no BTF: hide /sys/kernel/btf in a private mount namespace
    p = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount -t tmpfs none /sys/kernel/btf && exec %s icmp" % IPTTRACE],
                       capture_output=True, text=True)
    expect(p.returncode != 0 and "no BTF" in p.stderr and len(p.stderr.strip().splitlines()) == 1,
           "no-BTF error: %r" % p.stderr)
    expect(not module_loaded(), "module left after the no-BTF error")
    # a logger bound to NFPROTO_UNSPEC
    sh("modprobe nfnetlink_log")
    sh("sysctl -qw net.netfilter.nf_log.0=nfnetlink_log")
    try:
        expect_clean_failure(["icmp"], "NFPROTO_UNSPEC")
    finally:
        sh("sysctl -qw net.netfilter.nf_log.0=NONE")
    return "%d cases" % (len(checks) + 5)


def snapshot():
    strip = "sed -E -e 's/\\[[0-9]+:[0-9]+\\]//' -e '/^#/d'"
    s = {"lsmod": sorted(l.split()[0] for l in open("/proc/modules")),
         "nf_log": open("/proc/net/netfilter/nf_log").read(),
         "nft": sh("nft list ruleset"),
         "bpf": our_bpf_progs()}
    for ns in (None, "srv"):
        s["ipt-%s" % ns] = sh("iptables-legacy-save | %s" % strip, ns=ns)
        s["ip6t-%s" % ns] = sh("ip6tables-legacy-save | %s" % strip, ns=ns)
        s["nflog-%s" % ns] = sh("cat /proc/net/netfilter/nf_log", ns=ns)
    return s


def teardown():
    two_hosts()
    restore("srv", "chains.v4")
    restore("srv", "chains.v6", v6=True)
    sh("modprobe nf_log_syslog")
    ping("cli", "10.0.0.2", 1)
    snapshot()      # its own side effects first: nft loads nf_tables
    before = snapshot()
    ways = [("SIGINT", [], signal.SIGINT), ("SIGTERM", [], signal.SIGTERM),
            ("-c", ["-c", "1"], None), ("-d", ["-d", "2"], None)]
    for name, extra, sig in ways:
        tr = Tracer(["--netns", "srv"] + extra + ["icmp"])
        ping("cli", "10.0.0.2", 2)
        if sig:
            tr.stop(sig)
        else:
            tr.rc = tr.p.wait(30)
        expect(tr.rc == 0, "%s: exit %d: %s" % (name, tr.rc, tr.stderr()))
        after = snapshot()
        for k in before:
            expect(before[k] == after[k], "%s: %s differs after exit:\nbefore %s\nafter  %s"
                   % (name, k, before[k], after[k]))
    return "SIGINT, SIGTERM, -c, -d leave lsmod, rulesets, nft, nf_log unchanged"


def users_trace_rule():
    two_hosts()
    restore("srv", "chains.v4")
    sh("modprobe nf_log_syslog")
    sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
    sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns="srv")
    # the admin's own TRACE rule, for UDP port 7 only
    sh("iptables-legacy -t raw -I PREROUTING -p udp --dport 7 -j TRACE", ns="srv")
    udp_send("cli", "10.0.0.2", 7, 1)
    before = kernel_steps()
    expect(len(before) >= 3, "the admin's TRACE rule logs nothing: %s" % before)
    sh("dmesg -C")
    # ipttrace traces ICMP; the admin's UDP packets show up as trace-rule packets
    tr = Tracer(["--netns", "srv", "icmp"])
    udp_send("cli", "10.0.0.2", 7, 1)
    ping("cli", "10.0.0.2", 1)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    ev = tr.events()
    foreign = [e for e in ev if e["event"] == "packet" and e["origin"] == "trace-rule"]
    expect(len(foreign) == 1 and foreign[0]["dport"] == 7, "trace-rule packets: %s" % foreign)
    steps = [(e["table"], e["chain"], e["kind"], str(e["rulenum"])) for e in ev
             if e["event"] == "rule" and e["id"] == foreign[0]["id"] and e.get("backend") != "nft"]
    expect(steps == before, "the admin's packet: ipttrace %s, kernel before %s" % (steps, before))
    expect(kernel_steps() == [], "log lines while tracing without --keep-log")
    # and the admin's rule logs again once ipttrace is gone
    udp_send("cli", "10.0.0.2", 7, 1)
    expect(kernel_steps() == before, "after exit: %s" % kernel_steps())
    return "the admin's TRACE rule: shown while tracing, logs again after"


run("a TRACE rule of the user's own keeps working", users_trace_rule)
run("kill -9: tracing stops at once (kernel log), module unloads, next run works", kill9)
run("flood: --rate caps traced packets, VM responsive, memory bounded", flood_rate_cap)
run("flood: lost events counted and reported", flood_lost_events)
run("a second ipttrace gets a clear error and disturbs nothing", second_instance)
run("rules replaced mid-trace: rule text never wrong", rules_change)
run("bad input: one-line error naming the fix, nothing left behind", bad_input)
run("teardown by SIGINT, SIGTERM, -c, -d leaves the system as it was", teardown)
