# SPDX-License-Identifier: GPL-2.0
"""A real Docker host on iptables-nft: Debian's docker.io (dockerd 20.10,
containerd, runc) started in the lab guest, writing its rules with iptables
(Debian 12's default alternative is iptables-nft).

dockerd runs in a network namespace of its own ("dock"), so its rules,
docker0 and the published port never touch the guest's root namespace and
the tests after this one see the ruleset they always saw.  A client
namespace connects to the published port over a veth, as a machine on the
LAN would: PREROUTING DNAT, FORWARD through DOCKER-USER, the isolation
chains and DOCKER, the answer back through FORWARD and POSTROUTING.

The kernel is the oracle, as in t60: the same packets once marked by an
inet table at priority -1000 (meta nftrace set 1) with `nft -a monitor
trace` listening, once traced by ipttrace with no oracle table.

run() clears every named namespace before each case (labtest.reset), and
would kill dockerd with "dock": so each case names dockerd's namespace for
itself (ip netns attach) and takes the name away when it ends, which leaves
the namespace alive, held by dockerd.
"""
import shutil

from labtest import *
import t60_nft as n60

DOCKER = "/usr/bin/docker"      # Debian's CLI (docker.io), not one in /usr/local
DATA = "/tmp/labtest/docker"    # tmpfs: the guest's root is the host's, read-only
PIDFILE = "/run/labtest-dockerd.pid"
KEEP = os.path.join(REPO, "build", "lab-t62", KREL)
os.makedirs(KEEP, exist_ok=True)
# ipttrace's docker: resolver takes the first docker in PATH: Debian's
PATH_DEBIAN = "/usr/sbin:/usr/bin:/sbin:/bin"

state = {"why": None}       # why dockerd is not up, once a case found out


def missing():
    """Why this guest cannot run Docker (the arm64 guest root has no docker.io)."""
    lost = [p for p in ("/usr/sbin/dockerd", DOCKER, "/usr/bin/containerd", "/usr/sbin/runc")
            if not os.path.exists(p)]
    if lost:
        return "SKIP docker.io is not installed in this guest's root (no %s)" % ", ".join(lost)
    return None


def docker(args, timeout=180, check=True):
    return sh("%s %s" % (DOCKER, args), timeout=timeout, check=check)


def dockerd_pid():
    try:
        pid = int(open(PIDFILE).read())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


class Dock:
    """Name dockerd's namespace "dock" for one case; a client namespace
    "client" (10.0.1.2) on a veth to dock's eth0 (10.0.1.1)."""
    def __enter__(self):
        pid = dockerd_pid()
        expect(pid, "dockerd is not running: %s" % (state["why"] or "it was not started"))
        sh("ip netns attach dock %d" % pid)
        n60.build(*n60.ns_cmds("client"),
                  *n60.veth_cmds("dock", "eth0", "client", "eth0"),
                  "ip -n dock addr add 10.0.1.1/24 dev eth0",
                  "ip -n client addr add 10.0.1.2/24 dev eth0",
                  "ip -n client route add 172.17.0.0/16 via 10.0.1.1")
        return self

    def __exit__(self, *exc):
        sh("ip netns del client", check=False)
        # the name only: the namespace lives on in dockerd
        sh("ip netns del dock", check=False)


def start():
    """dockerd on tmpfs, a busybox image made here (no registry), and
    "web": busybox httpd with port 80 published on 8080."""
    why = missing()
    if why:
        return why
    state["why"] = "dockerd did not start"
    t0 = time.monotonic()
    v = sh("iptables -V").strip()
    expect("nf_tables" in v, "iptables is not iptables-nft here: %s" % v)
    state["root_before"] = sh("nft -s list ruleset")
    state["br_netfilter"] = os.path.exists("/sys/module/br_netfilter")
    sh("mkdir -p %s && mount -t tmpfs tmpfs %s" % (DATA, DATA))
    # dockerd 20.10 writes its identity key to /etc/docker/key.json
    sh("mount -t tmpfs tmpfs /etc/docker")
    sh("ip netns add dock; ip -n dock link set lo up")
    log = open("%s/dockerd.log" % KEEP, "w")
    # nsenter, not ip netns exec: that one remounts /sys, and dockerd needs
    # the cgroup2 hierarchy under it
    subprocess.Popen(["nsenter", "--net=/run/netns/dock", "dockerd", "--data-root", DATA + "/lib",
                      "--exec-root", "/run/docker", "--pidfile", PIDFILE, "--storage-driver", "overlay2",
                      "-H", "unix:///run/docker.sock"],
                     stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PATH=PATH_DEBIAN))
    try:
        while subprocess.run([DOCKER, "version"], capture_output=True).returncode:
            expect(time.monotonic() - t0 < 300, "dockerd not answering after 300 s (log: %s/dockerd.log)" % KEEP)
            time.sleep(1)
        up = time.monotonic() - t0
        root = "%s/root" % TMP
        sh("rm -rf {0}; mkdir -p {0}/bin {0}/www && cp /bin/busybox {0}/bin/ && ln -s busybox {0}/bin/sh "
           "&& echo hello > {0}/www/index.html".format(root))
        sh("tar -C %s -c . | %s import - lab/busybox" % (root, DOCKER), timeout=180)
        docker("run -d --name web -p 8080:80 lab/busybox /bin/busybox httpd -f -p 80 -h /www")
        expect(docker("inspect -f {{.State.Running}} web").strip() == "true", "web is not running")
    finally:
        sh("ip netns del dock", check=False)    # see the docstring
    state["why"] = None
    with Dock():
        # Docker's chains are in nf_tables, and only there
        nft = sh("nft list ruleset", ns="dock")
        for want in ("table ip filter", "chain DOCKER-USER", "chain DOCKER-ISOLATION-STAGE-1",
                     "table ip nat", "dnat to 172.17.0.2:80", "policy drop"):
            expect(want in nft, "nft list ruleset in dock has no %r:\n%s" % (want, nft))
        legacy = sh("iptables-legacy-save", ns="dock", check=False)
        expect("DOCKER" not in legacy, "Docker wrote iptables-legacy rules:\n%s" % legacy)
        save = sh("iptables-nft-save", ns="dock")
        open("%s/iptables-nft-save.txt" % KEEP, "w").write(save)
        open("%s/nft-list-ruleset.txt" % KEEP, "w").write(nft)
        expect(n60.probes("client", [("tcp", "", "10.0.1.1", 8080)]) == ["ok"],
               "no connection to the published port")
    return "%s; %s; dockerd up in %.0f s, web running after %.0f s; Docker's chains in nf_tables only" % (
        v, docker("version -f 'dockerd {{.Server.Version}}'").strip(), up, time.monotonic() - t0)


# the client's packets: SYN to the published port (DNAT, FORWARD to DOCKER,
# the SYN-ACK back), a SYN to a port nothing publishes (INPUT), and a ping
# to the container's address, which FORWARD's policy drops
def traffic():
    return n60.probes("client", [("tcp", "", "10.0.1.1", 8080), ("tcp", "", "10.0.1.1", 8081)]) + \
        n60.pings("client", ["172.17.0.2"])


def published_port():
    why = missing()
    if why:
        return why
    rules, pcap = n60.selection(["10.0.1.2"])
    with Dock():
        # the oracle pass: the kernel's own trace
        n60.oracle_table("dock", rules)
        try:
            mon = n60.Monitor("dock")
            want_res = traffic()
            mon.stop()
        finally:
            sh("nft delete table inet ipttrace_oracle", ns="dock", check=False)
        oracle = mon.steps()
        open("%s/nft-monitor-trace.txt" % KEEP, "w").write(mon.text)
        expect(want_res == ["ok", "ECONNREFUSED", False], "traffic: %s" % want_res)
        expect(oracle, "the oracle saw no nf_tables step: it is broken\n%s" % mon.text[:2000])
        # the ipttrace pass, no oracle table
        before = sh("nft -s list ruleset", ns="dock")
        tr = Tracer(["--netns", "dock", pcap])
        got_res = traffic()
        tr.stop()
        expect(tr.rc == 0, "ipttrace exit %d: %s" % (tr.rc, tr.stderr()))
        open("%s/ipttrace.json" % KEEP, "w").write(tr.text)
        expect(sh("nft -s list ruleset", ns="dock") == before, "the ruleset changed while tracing")
        expect(got_res == want_res, "traffic differs between the passes: %s vs %s" % (got_res, want_res))
        mine = n60.nft_steps(tr)
        expect(mine == oracle, "nf_tables steps differ from nft monitor trace: %s" % n60.first_diff(mine, oracle))
        texts = n60.expect_nft_text(tr, "dock")
        chains = {s[2] for s in oracle}
        for c in ("DOCKER", "DOCKER-USER", "DOCKER-ISOLATION-STAGE-1", "FORWARD", "PREROUTING"):
            expect(c in chains, "no step in %s: the packets did not take Docker's path (%s)" % (c, chains))
        expect(("ip", "filter", "FORWARD", "policy", "drop") in oracle, "the ping was not dropped by policy")
        # the same traffic, human output, for a look (README)
        tr = Tracer(["--netns", "dock", pcap], json_out=False)
        traffic()
        tr.stop()
        open("%s/ipttrace.txt" % KEEP, "w").write(tr.text)
        expect(tr.rc == 0 and "ip nat:DOCKER" in tr.text, "human output: %s %s" % (tr.stderr(), tr.text[:500]))
    return "%d nf_tables steps equal nft monitor trace (chains %s), %d rule texts equal iptables-nft-save" % (
        len(oracle), ", ".join(sorted(chains)), texts)


def netns_docker_web():
    """--netns docker:web through Debian's docker CLI and the real dockerd
    is the container's namespace: /proc/(docker inspect State.Pid)/ns/net."""
    why = missing()
    if why:
        return why
    with Dock():
        pid = int(docker("inspect -f {{.State.Pid}} web").strip())
        ino = os.stat("/proc/%d/ns/net" % pid).st_ino
        dock_ino = os.stat("/run/netns/dock").st_ino
        saved = os.environ["PATH"]
        os.environ["PATH"] = PATH_DEBIAN
        try:
            tr = Tracer(["--netns", "docker:web", "tcp port 80"])
            res = n60.probes("client", [("tcp", "", "10.0.1.1", 8080)])
            tr.stop()
            bad = subprocess.run([IPTTRACE, "--netns", "docker:nosuch", "icmp"], capture_output=True,
                                 text=True, timeout=120)
        finally:
            os.environ["PATH"] = saved
        expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
        expect(res == ["ok"], "connection: %s" % res)
        open("%s/docker-web.txt" % KEEP, "w").write("web pid %d netns %d\n%s%s" % (pid, ino, tr.stderr(), tr.text))
        nets = {e["netns"] for e in tr.events() if e["event"] == "packet"}
        expect(nets == {ino}, "packets from netns %s, want web's %d (dockerd's is %d)" % (nets, ino, dock_ino))
        err = bad.stderr.strip().splitlines()
        expect(bad.returncode != 0 and len(err) == 1 and "nosuch" in err[0], "docker:nosuch: %s" % bad.stderr)
    return "docker:web = /proc/%d/ns/net (inode %d), %d packets there; docker:nosuch: %s" % (
        pid, ino, len([e for e in tr.events() if e["event"] == "packet"]), err[0])


def stop():
    """Stop web and dockerd (which stops its containerd) and leave the guest
    as it was: no Docker process, mount or module, the root ruleset as before."""
    why = missing()
    if why:
        return why
    if "root_before" not in state:
        return "SKIP dockerd was never started"
    t0 = time.monotonic()
    pid = dockerd_pid()
    if pid:
        docker("rm -f web", check=False)
        os.kill(pid, signal.SIGTERM)
        while dockerd_pid() and time.monotonic() - t0 < 120:
            time.sleep(0.5)
    left = sh("pgrep -a -x 'dockerd|containerd|containerd-shim-runc-v2|docker-proxy|busybox'",
              check=False).strip()
    for l in left.splitlines():     # only what this test started
        os.kill(int(l.split()[0]), signal.SIGKILL)
    time.sleep(0.5)
    sh("ip netns del dock", check=False)
    mounts = [l.split()[1] for l in open("/proc/mounts") if "/docker" in l.split()[1]]
    for m in sorted(mounts, reverse=True):
        sh("umount -l %s" % m, check=False)
    if not state["br_netfilter"]:
        sh("rmmod br_netfilter", check=False)
    expect(not left, "left running after dockerd exited: %s" % left)
    expect(not dockerd_pid(), "dockerd did not exit")
    expect(not [l for l in open("/proc/mounts") if "/docker" in l.split()[1]], "Docker mounts left")
    expect(sh("nft -s list ruleset") == state["root_before"], "the root namespace's ruleset changed")
    expect(state["br_netfilter"] or not os.path.exists("/sys/module/br_netfilter"),
           "br_netfilter (loaded by dockerd) still loaded")
    return "dockerd stopped in %.0f s; no process, mount or module left; root ruleset unchanged" % (
        time.monotonic() - t0)


run("docker: Debian's dockerd writes its rules with iptables-nft (published port 8080 -> web:80)", start)
run("docker: a connection to the published port, nf_tables steps equal nft monitor trace", published_port)
run("docker: --netns docker:web through the docker CLI and the real dockerd is the container's netns", netns_docker_web)
run("docker: dockerd stopped, no process, mount, module or rule left", stop)
