# SPDX-License-Identifier: GPL-2.0
"""What /dev/ipttrace lets a process do, and what ipttrace touches: the
privilege checks, the ioctl ABI, silencing scoped to the selected namespace,
fragmented datagrams and loopback."""
import ctypes
import errno
import fcntl
import struct
from labtest import *

DEV = "/dev/ipttrace"


def ioc(direction, nr, size):
    # asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr
    return (direction << 30) | (size << 16) | (0xE1 << 8) | nr


CFG_FMT = "=QIIIIII16s"                     # struct iptt_config
CFG_SIZE = struct.calcsize(CFG_FMT)
SET_CONFIG = ioc(1, 1, CFG_SIZE)            # _IOW
ENABLE = ioc(0, 2, 0)                       # _IO
DISABLE = ioc(0, 3, 0)
OLD_ENABLE = (0xb7 << 8) | 2                # nsfs's NS_GET_PARENT


def cfg(families=0, rate=0, flags=0, pad=0, ifname=b""):
    return struct.pack(CFG_FMT, 0, 0, families, 0, rate, flags, pad, ifname)


def load_module():
    sh("insmod %s/build/kmod/%s/ipttrace.ko" % (REPO, KREL))
    for _ in range(100):
        if os.path.exists(DEV):
            return
        time.sleep(0.02)
    raise Fail("%s did not appear" % DEV)


def ioctl_errno(fd, req, arg=0):
    try:
        fcntl.ioctl(fd, req, arg)
        return 0
    except OSError as e:
        return e.errno


def abi():
    load_module()
    fd = os.open(DEV, os.O_RDWR)
    try:
        res = {
            "old 0xb7 magic": (ioctl_errno(fd, OLD_ENABLE), errno.ENOTTY),
            "nonzero pad": (ioctl_errno(fd, SET_CONFIG, cfg(pad=1)), errno.EINVAL),
            "unknown flag": (ioctl_errno(fd, SET_CONFIG, cfg(flags=1 << 7)), errno.EINVAL),
            "unknown family": (ioctl_errno(fd, SET_CONFIG, cfg(families=4)), errno.EINVAL),
            "rate 2^32-1": (ioctl_errno(fd, SET_CONFIG, cfg(rate=0xffffffff)), errno.ERANGE),
            "rate 1000001": (ioctl_errno(fd, SET_CONFIG, cfg(rate=1000001)), errno.ERANGE),
            "ifname without NUL": (ioctl_errno(fd, SET_CONFIG, cfg(ifname=b"x" * 16)), errno.EINVAL),
            "enable before config": (ioctl_errno(fd, ENABLE), errno.EINVAL),
            "rate 1000000": (ioctl_errno(fd, SET_CONFIG, cfg(rate=1000000)), 0),
        }
        # enable and disable again and again with the module loaded: the
        # ftrace filter is set once (re-setting it freed a hash twice on 6.1)
        for i in range(4):
            res["enable #%d" % i] = (ioctl_errno(fd, ENABLE), 0)
            res["disable #%d" % i] = (ioctl_errno(fd, DISABLE), 0)
            res["config #%d" % i] = (ioctl_errno(fd, SET_CONFIG, cfg()), 0)
    finally:
        os.close(fd)
    bad = ["%s: got %s, want %s" % (k, errno.errorcode.get(g, g), errno.errorcode.get(w, w))
           for k, (g, w) in res.items() if g != w]
    expect(not bad, "; ".join(bad))
    enabled = sh("dmesg").count("tracing enabled")
    expect(enabled == 4, "4 enables logged %d times" % enabled)
    sh("rmmod ipttrace")
    return "%d ioctl cases" % len(res)


# run with CAP_NET_ADMIN but neither CAP_SYS_ADMIN nor CAP_PERFMON
DROP = "capsh --drop=cap_sys_admin,cap_perfmon --"

ENABLE_ON_FD = r'''
import fcntl, struct, sys, errno
fd = int(sys.argv[1])
try:
    fcntl.ioctl(fd, %d, 0)
    print("enabled")
except OSError as e:
    print(errno.errorcode[e.errno])
''' % ENABLE


def privilege():
    load_module()
    # open without CAP_SYS_ADMIN / CAP_PERFMON: refused
    p = subprocess.run(DROP + " -c 'exec 3<>%s && echo opened'" % DEV, shell=True,
                       capture_output=True, text=True)
    expect("opened" not in p.stdout and "not permitted" in p.stderr,
           "open with CAP_NET_ADMIN only: %r %r" % (p.stdout, p.stderr))
    # an fd opened by root and passed to a process without them: ENABLE refused
    script = "%s/enable_fd.py" % TMP
    open(script, "w").write(ENABLE_ON_FD)
    fd = os.open(DEV, os.O_RDWR)
    try:
        fcntl.ioctl(fd, SET_CONFIG, cfg())
        p = subprocess.run("%s -c 'python3 %s %d'" % (DROP, script, fd), shell=True,
                           capture_output=True, text=True, pass_fds=(fd,))
    finally:
        os.close(fd)
    expect(p.stdout.strip() == "EPERM", "ENABLE on a passed fd without the capabilities: %r %r"
           % (p.stdout, p.stderr))
    expect("tracing enabled" not in sh("dmesg"), "tracing was enabled by the unprivileged process")
    sh("rmmod ipttrace")
    # the tool itself: one line naming the capabilities, nothing left behind
    # (a ruleset exists, so that is the only thing in its way)
    netns("p1")
    sh("iptables-legacy -A INPUT -p icmp -j ACCEPT", ns="p1")
    line = expect_clean_failure(["icmp"], "CAP_SYS_ADMIN", prefix=DROP.split() + ["-c", "exec \"$@\"", "--"])
    return line


def admins_trace_rule(ns):
    """the admin's own -j TRACE for ICMP in ns, logged by nf_log_syslog"""
    sh("iptables-legacy -t raw -A PREROUTING -p icmp -j TRACE", ns=ns)
    sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns=ns)


def scoped_silencing():
    # a and b each talk to their own peer; ipttrace selects only in a
    for n in ("a", "pa", "b", "pb"):
        netns(n)
    veth("a", "veth-a", "pa", "veth-pa")
    veth("b", "veth-b", "pb", "veth-pb")
    sh("ip addr add 10.9.1.1/24 dev veth-a", ns="a")
    sh("ip addr add 10.9.1.2/24 dev veth-pa", ns="pa")
    sh("ip addr add 10.9.2.1/24 dev veth-b", ns="b")
    sh("ip addr add 10.9.2.2/24 dev veth-pb", ns="pb")
    sh("modprobe nf_log_syslog")
    sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
    for ns in ("a", "b"):
        sh("iptables-legacy -A INPUT -p icmp -j ACCEPT", ns=ns)
        admins_trace_rule(ns)
    tr = Tracer(["--netns", "a", "icmp"])
    ping("pa", "10.9.1.1", 2)
    ping("pb", "10.9.2.1", 2)
    time.sleep(0.3)
    tr.stop()
    steps = kernel_steps()
    log = sh("dmesg")
    in_b = len([l for l in log.splitlines() if "TRACE:" in l and "SRC=10.9.2.2" in l])
    in_a = len([l for l in log.splitlines() if "TRACE:" in l and "SRC=10.9.1.2" in l])
    expect(in_b >= 4, "the admin's TRACE lines in namespace b were silenced (%d lines) by ipttrace --netns a"
           % in_b)
    expect(in_a == 0, "%d TRACE lines of the selected namespace a reached the log" % in_a)
    mine = [e for e in tr.events() if e["event"] == "rule"]
    expect(len(mine) >= 4, "ipttrace reported only %d steps in a" % len(mine))
    return "b: %d TRACE lines kept, a: %d steps traced, 0 logged (%d in all)" % (in_b, len(mine), len(steps))


def fragments():
    two_hosts()
    # conntrack in srv (a ctstate rule) brings its defrag hooks
    sh("iptables-legacy-restore", ns="srv", input=(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A INPUT -m conntrack --ctstate NEW -p udp --dport 7000 -j ACCEPT\nCOMMIT\n"))
    tr = Tracer(["--netns", "srv", "udp port 7000"])
    code = ("import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.sendto(b'z'*3000,('10.0.0.2',7000))\n")
    sh("python3 -c \"%s\"" % code, ns="cli")
    time.sleep(0.5)
    tr.stop()
    pk = [e for e in tr.events() if e["event"] == "packet"]
    expect(len(pk) == 1, "one 3000-byte datagram in 3 fragments gave %d packet events: %s"
           % (len(pk), [(e["len"], e["hook"]) for e in pk]))
    p = pk[0]
    expect(p["len"] == 3028 and p["dport"] == 7000,
           "the selected packet is %d bytes to port %s, not the reassembled 3028-byte datagram"
           % (p["len"], p.get("dport")))
    steps = [(e["table"], e["chain"], e["kind"], e["rulenum"]) for e in tr.events()
             if e["event"] == "rule" and e["id"] == p["id"]]
    expect(("filter", "INPUT", "rule", 1) in steps,
           "the reassembled datagram's steps miss filter:INPUT:rule:1: %s" % steps)
    return "1 packet of %d bytes, steps %s" % (p["len"], steps)


def loopback():
    netns("lo1")
    sh("iptables-legacy -A OUTPUT -p udp --dport 7001 -j ACCEPT", ns="lo1")
    sh("iptables-legacy -A INPUT -p udp --dport 7001 -j ACCEPT", ns="lo1")
    server("lo1", "udp", 7001)
    tr = Tracer(["--netns", "lo1", "-v", "udp port 7001"])
    udp_send("lo1", "127.0.0.1", 7001, count=3)
    time.sleep(0.5)
    tr.stop()
    pk = [e for e in tr.events() if e["event"] == "packet"]
    expect(len(pk) == 3, "3 datagrams over lo gave %d packet events (hooks %s)"
           % (len(pk), [e["hook"] for e in pk]))
    for p in pk:
        chains = [e["chain"] for e in tr.events() if e["event"] == "rule" and e["id"] == p["id"]]
        expect("OUTPUT" in chains and "INPUT" in chains,
               "packet %d: steps %s, want both OUTPUT and INPUT under one id" % (p["id"], chains))
    m = re.search(r"(\d+) traced", tr.stderr())
    expect(m and int(m.group(1)) == 3, "the module spent %s tokens on 3 datagrams: %s"
           % (m.group(1) if m else "?", tr.stderr()))
    return "3 datagrams, 3 ids, OUTPUT and INPUT steps each, 3 tokens"


run("ioctl ABI: own magic, padding, flags, rate cap and ifname checked", abi)
run("privilege: CAP_NET_ADMIN alone cannot open or enable /dev/ipttrace, even with a passed fd",
    privilege)
run("--netns silences only the selected namespace: an admin's TRACE elsewhere is kept",
    scoped_silencing)
run("a fragmented datagram is selected once, reassembled, and traced as such", fragments)
run("a packet over loopback is one packet: one id, one token", loopback)
