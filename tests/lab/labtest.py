#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers for ipttrace's lab tests (run inside a tests/lab/vm guest).

The kernel is the oracle: the same packets are marked for tracing by an
nftables chain (meta nftrace set 1, priority -1000, no iptables rule
touched) and logged by nf_log_syslog, and ipttrace's steps must equal the
"TRACE: table:chain:kind:rulenum" lines of the kernel log.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.environ.get("LAB_REPO", os.getcwd())
IPTTRACE = os.path.join(REPO, "build", "ipttrace")
KREL = os.uname().release
TMP = "/tmp/labtest"
os.makedirs(TMP, exist_ok=True)

TRACE_RE = re.compile(r"TRACE: (\w+):([^:\s]+):(rule|return|policy):(\d+) ")


class Fail(Exception):
    pass


def sh(cmd, check=True, ns=None, timeout=60, input=None):
    if ns:
        cmd = "ip netns exec %s %s" % (ns, cmd)
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=timeout, input=input, executable="/bin/bash")
    if check and p.returncode != 0:
        raise Fail("command failed (%d): %s\n%s%s" % (p.returncode, cmd, p.stdout, p.stderr))
    return p.stdout


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


def reset():
    """Back to a clean guest: no namespaces, no tracer, no oracle."""
    subprocess.run("pkill -9 -f build/ipttrace; sleep 0.2", shell=True)
    for ns in sh("ip netns list", check=False).split():
        if not ns.startswith("("):
            sh("ip netns pids %s | xargs -r kill -9" % ns, check=False)
            sh("ip netns del %s" % ns, check=False)
    sh("rmmod ipttrace", check=False)
    sh("dmesg -C")


def module_loaded():
    return "ipttrace" in [l.split()[0] for l in open("/proc/modules")]


# ---- topologies -------------------------------------------------------

def netns(name):
    sh("ip netns add %s" % name)
    sh("ip link set lo up", ns=name)


def veth(a, aif, b, bif):
    sh("ip link add %s netns %s type veth peer name %s netns %s" % (aif, a, bif, b))
    sh("ip link set %s up" % aif, ns=a)
    sh("ip link set %s up" % bif, ns=b)


def two_hosts():
    """cli 10.0.0.1 / fd00::1  <->  srv 10.0.0.2 / fd00::2"""
    netns("cli")
    netns("srv")
    veth("cli", "veth-cli", "srv", "veth-srv")
    sh("ip addr add 10.0.0.1/24 dev veth-cli", ns="cli")
    sh("ip addr add 10.0.0.2/24 dev veth-srv", ns="srv")
    sh("ip -6 addr add fd00::1/64 dev veth-cli nodad", ns="cli")
    sh("ip -6 addr add fd00::2/64 dev veth-srv nodad", ns="srv")


def three_hosts():
    """cli 10.0.1.2 -> rtr (10.0.1.1 | 10.0.2.1) -> srv 10.0.2.2"""
    for n in ("cli", "rtr", "srv"):
        netns(n)
    veth("cli", "veth-rtr", "rtr", "veth-cli")
    veth("rtr", "veth-srv", "srv", "veth-rtr")
    sh("ip addr add 10.0.1.2/24 dev veth-rtr", ns="cli")
    sh("ip addr add 10.0.1.1/24 dev veth-cli", ns="rtr")
    sh("ip addr add 10.0.2.1/24 dev veth-srv", ns="rtr")
    sh("ip addr add 10.0.2.2/24 dev veth-rtr", ns="srv")
    sh("ip route add default via 10.0.1.1", ns="cli")
    sh("ip route add default via 10.0.2.1", ns="srv")
    sh("sysctl -qw net.ipv4.ip_forward=1", ns="rtr")


def restore(ns, ruleset, v6=False):
    path = os.path.join(REPO, "tests", "lab", "rulesets", ruleset)
    sh("%s < %s" % ("ip6tables-legacy-restore" if v6 else "iptables-legacy-restore", path), ns=ns)


def save(ns, v6=False):
    return sh("ip6tables-legacy-save" if v6 else "iptables-legacy-save", ns=ns)


# ---- traffic ------------------------------------------------------------

PY_SERVER = r'''
import socket, sys, os, threading
kind, fam, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
s = socket.socket(af, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if fam == "6" else "0.0.0.0", port))
n = 0
open(out, "w").write("0\n")
if kind == "tcp":
    s.listen(16)
while True:
    if kind == "tcp":
        c, _ = s.accept(); c.recv(100); c.sendall(b"ok"); c.close()
    else:
        s.recvfrom(2000)
    n += 1
    open(out, "w").write("%d\n" % n)
'''


def server(ns, kind, port, fam="4"):
    """Start a counting server; returns a function giving the count."""
    out = "%s/srv-%s-%s-%d" % (TMP, ns, kind, port)
    script = "%s/server.py" % TMP
    open(script, "w").write(PY_SERVER)
    subprocess.Popen(["ip", "netns", "exec", ns, "python3", script, kind, fam, str(port), out],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(out):
            break
        time.sleep(0.05)
    return lambda: int(open(out).read().strip() or 0)


def tcp_connect(ns, addr, port, timeout=2):
    """True if a TCP connection was accepted and answered."""
    code = ("import socket,sys\n"
            "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=%d)\n"
            "s.sendall(b'hi'); assert s.recv(10)==b'ok'\n" % timeout)
    p = subprocess.run(["ip", "netns", "exec", ns, "python3", "-c", code, addr, str(port)],
                       capture_output=True, text=True, timeout=30)
    return p.returncode == 0


def udp_send(ns, addr, port, count=1, sport=0):
    code = ("import socket,sys,time\n"
            "a=sys.argv[1]; f=socket.AF_INET6 if ':' in a else socket.AF_INET\n"
            "s=socket.socket(f,socket.SOCK_DGRAM)\n"
            "s.bind(('::' if f==socket.AF_INET6 else '0.0.0.0',int(sys.argv[4])))\n"
            "for i in range(int(sys.argv[3])):\n"
            "    s.sendto(b'x'*32,(a,int(sys.argv[2])))\n"
            "    time.sleep(0.02)\n")
    subprocess.run(["ip", "netns", "exec", ns, "python3", "-c", code, addr, str(port),
                    str(count), str(sport)], capture_output=True, timeout=60)


def ping(ns, addr, count=1):
    cmd = "ping -6" if ":" in addr else "ping"
    return subprocess.run("ip netns exec %s %s -n -c %d -i 0.2 -W 1 %s" % (ns, cmd, count, addr),
                          shell=True, capture_output=True).returncode == 0


# ---- the oracle ------------------------------------------------------------

def oracle_on(ns, hosts):
    """Make the kernel log TRACE lines for packets to/from hosts in ns."""
    sh("modprobe nf_log_syslog")
    sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
    sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns=ns)
    sh("sysctl -qw net.netfilter.nf_log.10=nf_log_ipv6", ns=ns)
    rules = []
    for h in hosts:
        fam = "ip6" if ":" in h else "ip"
        rules.append("%s saddr %s meta nftrace set 1" % (fam, h))
        rules.append("%s daddr %s meta nftrace set 1" % (fam, h))
    body = "".join("  %s\n" % r for r in rules)
    nft = ("table inet ipttrace_oracle {\n"
           " chain pre {\n  type filter hook prerouting priority -1000\n%s }\n"
           " chain out {\n  type filter hook output priority -1000\n%s }\n}\n") % (body, body)
    sh("nft -f -", ns=ns, input=nft)


def oracle_off(ns):
    sh("nft delete table inet ipttrace_oracle", ns=ns, check=False)


def kernel_steps():
    """The TRACE steps in the kernel log, in order."""
    out = sh("dmesg")
    return [m.groups() for m in TRACE_RE.finditer(out)]


# ---- ipttrace ----------------------------------------------------------------

class Tracer:
    def __init__(self, args, json_out=True):
        self.ready = "%s/ready-%d" % (TMP, time.monotonic_ns())
        argv = [IPTTRACE] + (["--json"] if json_out else []) + ["--ready-file", self.ready] + args
        self.out = open("%s/out-%d" % (TMP, time.monotonic_ns()), "w+")
        self.err = open("%s/err-%d" % (TMP, time.monotonic_ns()), "w+")
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=self.out, stderr=self.err)
        t0 = time.monotonic()
        while not os.path.exists(self.ready):
            if self.p.poll() is not None:
                raise Fail("ipttrace exited %d before ready: %s" % (self.p.returncode, self.stderr()))
            if time.monotonic() - t0 > 60:
                raise Fail("ipttrace not ready after 60 s: %s" % self.stderr())
            time.sleep(0.05)
        self.ready_s = time.monotonic() - t0

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self, sig=signal.SIGINT, timeout=30):
        time.sleep(0.5)   # let the last groups go quiet
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise Fail("ipttrace did not exit on signal %d" % sig)
        self.out.seek(0)
        self.text = self.out.read()
        return self.rc

    def events(self):
        ev = []
        for line in self.text.splitlines():
            try:
                ev.append(json.loads(line))
            except ValueError:
                raise Fail("not a JSON line: %r" % line)
        return ev

    def steps(self):
        """x_tables steps (the kernel's TRACE log has no nf_tables ones)"""
        return [(e["table"], e["chain"], e["kind"], str(e["rulenum"]))
                for e in self.events() if e["event"] == "rule" and e.get("backend") != "nft"]


def diff_steps(mine, kernel):
    """Readable first difference of two step lists."""
    for i, (a, b) in enumerate(zip(mine, kernel)):
        if a != b:
            return "step %d: ipttrace %s, kernel %s" % (i, ":".join(a), ":".join(b))
    return "ipttrace has %d steps, the kernel %d (%s)" % (
        len(mine), len(kernel), ":".join((mine + kernel)[min(len(mine), len(kernel))])
        if max(len(mine), len(kernel)) > min(len(mine), len(kernel)) else "")


def expect_same_steps(tr, what):
    mine, kernel = tr.steps(), kernel_steps()
    expect(len(kernel) > 0, "%s: the kernel logged no TRACE step: the oracle is broken" % what)
    expect(mine == kernel, "%s: %s" % (what, diff_steps(mine, kernel)))
    return len(kernel)


def expect_rule_text(tr, ns):
    """Every rule step's text is the matching line of the save output."""
    saves = {"ipv4": save(ns), "ipv6": save(ns, v6=True)}
    checked = 0
    for e in tr.events():
        if e["event"] != "rule" or e.get("backend") == "nft":
            continue
        lines = [l for l in saves[e["family"]].splitlines()]
        table = None
        chain_rules, pol = [], []
        for l in lines:
            if l.startswith("*"):
                table = l[1:]
            elif table == e["table"] and l.startswith("-A %s " % e["chain"]):
                chain_rules.append(l)
            elif table == e["table"] and l.startswith(":%s " % e["chain"]):
                pol.append(l)
        n = e["rulenum"]
        if e["kind"] == "rule" or n <= len(chain_rules):
            # the kernel calls an unconditional "-j RETURN/ACCEPT/DROP" rule
            # "return" or "policy" with its own number: its text is shown
            want = chain_rules[n - 1] if 0 < n <= len(chain_rules) else None
        elif e["kind"] == "policy":
            want = "-P %s %s" % (e["chain"], pol[-1].split()[1]) if pol else None
        else:
            want = None     # falling off the end of a user chain: no line
        expect(e.get("rule") == want and "rule_status" not in e,
               "text of %s:%s:%s:%d is %r (%s), iptables-legacy-save says %r"
               % (e["table"], e["chain"], e["kind"], n, e.get("rule"), e.get("rule_status"), want))
        checked += 1
    return checked


def last_verdicts(tr):
    """id -> list of (table, hook, verdict)"""
    out = {}
    for e in tr.events():
        if e["event"] == "verdict" and e.get("backend") != "nft":
            out.setdefault(e["id"], []).append((e["table"], e["hook"], e["verdict"]))
    return out


# ---- running tests ------------------------------------------------------------

RESULTS = []


def run(name, fn):
    reset()
    t0 = time.monotonic()
    try:
        note = fn() or ""
        ok = True
    except Fail as e:
        ok, note = False, str(e)
    except Exception as e:  # a broken test is a failed test
        ok, note = False, "%s: %s" % (type(e).__name__, e)
    if module_loaded():
        if ok:
            ok, note = False, "ipttrace.ko still loaded after the test"
    dt = time.monotonic() - t0
    first = note.splitlines()[0] if note else ""
    print("%s - %s %s (%.1fs)%s" % ("ok" if ok else "not ok", KREL, name, dt,
                                    (" # " + first) if first else ""), flush=True)
    if not ok and "\n" in note:
        for l in note.splitlines()[1:20]:
            print("#   " + l)
    RESULTS.append(ok)
    sys.stdout.flush()


# ---- what this kernel can do ---------------------------------------------------

def kernel_config():
    """{CONFIG_X: value} of the running kernel, {} if unknown"""
    for path in ("/boot/config-%s" % KREL, "/proc/config.gz"):
        try:
            if path.endswith(".gz"):
                import gzip
                text = gzip.open(path, "rt").read()
            else:
                text = open(path).read()
        except OSError:
            continue
        return dict(l.split("=", 1) for l in text.splitlines() if l.startswith("CONFIG_"))
    return {}


def fentry_unavailable():
    """Why this kernel cannot attach fentry/fexit, or None.  A BPF trampoline
    on a kernel function is an ftrace direct call: without
    DYNAMIC_FTRACE_WITH_DIRECT_CALLS (Debian's 6.1 arm64 lacks even HAVE_...)
    every fentry attach fails with ENOTSUPP (524), whatever the function,
    and --probe auto falls back to kprobes."""
    cfg = kernel_config()
    if cfg and cfg.get("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS") != "y":
        return ("%s cannot attach fentry: CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS is not set "
                "(%s), so BPF trampolines fail with ENOTSUPP" % (KREL, os.uname().machine))
    return None


def needs_fentry(fn):
    """A test that forces --probe fentry.  On a kernel that cannot attach
    fentry it still runs, and a failure to attach is reported as a TAP SKIP
    with the reason (a pass stays a pass: the detection was too cautious)."""
    def wrapped():
        why = fentry_unavailable()
        if not why:
            return fn()
        try:
            return fn()
        except Fail as e:
            if "fentry" not in str(e):
                raise
            return "SKIP %s; ipttrace: %s" % (why, str(e).splitlines()[-1].strip()[:160])
    return wrapped


# ---- failure paths -----------------------------------------------------------

OUR_PROGS = {"ipt_enter", "ipt_exit", "ip6t_enter", "ip6t_exit", "ipt_enter_kp", "ipt_exit_kp",
             "ip6t_enter_kp", "ip6t_exit_kp", "nf_log_trace", "packet_selected", "replace_enter",
             "replace_exit", "replace_enter_kp", "replace_exit_kp"}


def our_bpf_progs():
    out = sh("bpftool -j prog show", check=False) or "[]"
    return sorted(p.get("name", "") for p in json.loads(out) if p.get("name", "") in OUR_PROGS)


def expect_clean_failure(args, phrase, prefix=None):
    """ipttrace args fails with one line containing phrase, and leaves no
    module, no BPF program behind."""
    argv = (prefix or []) + [IPTTRACE] + args
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    lines = p.stderr.strip().splitlines()
    expect(p.returncode != 0, "%s: exit 0" % " ".join(args))
    expect(len(lines) == 1, "%s: want one line of error, got:\n%s" % (" ".join(args), p.stderr))
    expect(phrase in lines[0], "%s: error %r does not mention %r" % (" ".join(args), lines[0], phrase))
    expect(not module_loaded(), "%s: ipttrace.ko left loaded" % " ".join(args))
    expect(our_bpf_progs() == [], "%s: BPF programs left: %s" % (" ".join(args), our_bpf_progs()))
    return lines[0]
