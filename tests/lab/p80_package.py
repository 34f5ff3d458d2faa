# SPDX-License-Identifier: GPL-2.0
"""A fresh install of the Debian packages, as a new user would do it, on the
lab kernel (issue 12).  tests/check runs it on each lab kernel in a VM of
its own (LAB_PATTERN='p*.py'), after make deb; alone: `make lab-package
KVER=...` (builds build/deb/*.deb first; a missing package fails the test,
it never skips).  LAB_PKG_TRACE=1 prints dpkg's output with the second of
each line (under TCG: DKMS's compile about 2 minutes, each depmod about 1).

The guest's / is the host's root, read-only over 9p.  This test unshares its
mount namespace and mounts an overlay in place over /usr, /etc and /var, each
with a tmpfs upper layer; /tmp and /run are the guest's tmpfs already, and
anything else written would fail (read-only).  Everything dpkg and DKMS write
lands in the tmpfs: nothing reaches the host, and the mounts die with this
process (other test files never see them).  In there:
  1. dpkg -i both packages; DKMS builds ipttrace.ko for the running kernel;
  2. ipttrace --doctor says tracing works (exit 0);
  3. ipttrace -c 1 icmp, from PATH, traces a ping through an iptables-legacy
     rule in a network namespace;
  4. man ipttrace renders, bash completion loads;
  5. dpkg --purge of both: no file left, changed or removed -- compared with
     the root before the install, through the overlay's upper layer (every
     file written since the overlay was mounted is there) and a file list of
     the directories the packages touch taken before and after -- no module
     loaded, none under /lib/modules, no DKMS tree."""
import ctypes
import shlex
import stat

from labtest import *

VERSION = open(os.path.join(REPO, "debian", "changelog")).readline().split("(")[1].split(")")[0]
DEB_DIR = os.path.join(REPO, "build", "deb")
DEBS = [os.path.join(DEB_DIR, "ipttrace_%s_amd64.deb" % VERSION),
        os.path.join(DEB_DIR, "ipttrace-dkms_%s_all.deb" % VERSION)]
TOP = "/tmp/t80-pkg"
UPPER = TOP + "/upper"
LOWER = TOP + "/lower"
# merged /usr: /lib and /sbin are symlinks into /usr on Debian 12
OVERLAID = ["usr", "etc", "var"] + [d for d in ("lib", "lib64", "sbin", "bin") if not os.path.islink("/" + d)]
# what dpkg -i / --purge may write for itself: its database and logs, DKMS's
# state, the caches its triggers rebuild
STATE = ("var/lib/dpkg", "var/log", "var/cache", "var/tmp")
# DKMS's own module-signing key, made at its first build on a box and kept
# for every DKMS module after (dkms owns it, not a package that used it):
# the only files the purge may leave, and only these
DKMS_KEY = ("var/lib/dkms/mok.key", "var/lib/dkms/mok.pub")
# the other lab kernels' header links, removed in the overlay (make_root)
HIDDEN = set()
CACHES = ("etc/ld.so.cache", "var/lib/man-db/")
# the file list before and after: where the packages and DKMS put files, to
# a depth that keeps find quick over 9p under TCG (the upper layer has it all)
LISTED = (("usr/sbin", 1), ("usr/src", 1), ("usr/share/man/man8", 1),
          ("usr/share/bash-completion/completions", 1), ("usr/share/doc", 1),
          ("lib/modules/%s" % KREL, 3), ("var/lib/dkms", 9), ("etc", 2))
INSTALL_TIMEOUT = int(os.environ.get("LAB_INSTALL_TIMEOUT", "900"))
state = {"root": None, "installed": False, "before": None}


def in_root(cmd, timeout=60, check=True):
    # this process's mount namespace has the overlays: no chroot needed
    return sh(cmd, timeout=timeout, check=check)


def file_list():
    files = set()
    for d, depth in LISTED:
        if os.path.isdir("/" + d):
            files.update(sh("cd / && find %s -maxdepth %d" % (d, depth), timeout=300).splitlines())
    return files


def make_root():
    """The overlays, once: the error if they cannot be made."""
    if state["root"] is not None:
        return state["root"]
    state["root"] = ""
    try:
        missing = [d for d in DEBS if not os.path.isfile(d)]
        expect(not missing, "%s missing: make check builds the packages before the lab "
               "(tests/check), by hand: DEB_BUILD_OPTIONS=nocheck make deb" % ", ".join(missing))
        libc = ctypes.CDLL(None, use_errno=True)
        CLONE_NEWNS = 0x00020000
        expect(libc.unshare(CLONE_NEWNS) == 0,
               "unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno()))
        sh("mount --make-rprivate /")
        # the host root as it is, without the guest's mounts: the lower
        # layer, and what the purge is compared with
        os.makedirs(LOWER, exist_ok=True)
        sh("mount --bind / %s && mount -o remount,bind,ro %s" % (LOWER, LOWER))
        os.makedirs(UPPER, exist_ok=True)
        sh("mount -t tmpfs tmpfs %s" % UPPER)
        # an overlay over each directory dpkg writes to, mounted in place
        # (an overlay of the whole / cannot carry /proc and /dev mounts: its
        # dentries over the 9p root are dropped, and the mounts with them)
        for d in OVERLAID:
            sh("mkdir -p %s/%s/u %s/%s/w && mount -t overlay overlay -o lowerdir=%s/%s,upperdir=%s/%s/u,"
               "workdir=%s/%s/w /%s" % (UPPER, d, UPPER, d, LOWER, d, UPPER, d, UPPER, d, d))
        # udev makes /dev/fd on a real system; the guest has a bare
        # devtmpfs, and dkms uses <(...) (guest-only, nothing to undo)
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            if not os.path.lexists("/dev/" + name):
                os.symlink(target, "/dev/" + name)
        # a box with the headers of its running kernel only: the lab's root
        # has every lab kernel's, and DKMS would build for the newest one
        # too (minutes under TCG).  Their build links go, in the overlay.
        for k in os.listdir("/lib/modules"):
            link = "/lib/modules/%s/build" % k
            if k != KREL and os.path.islink(link):
                os.unlink(link)
                HIDDEN.add(os.path.realpath("/lib/modules/%s" % k)[1:] + "/build")
        sh("cp %s /tmp/" % " ".join(DEBS))  # as a user would have them
    except Fail as e:
        state["root"] = "no overlay root: %s" % e
        raise Fail(state["root"])
    return ""


def need_root():
    why = make_root()
    expect(not why, why)


def need_installed():
    need_root()
    expect(state["installed"], "the packages are not installed (dpkg -i failed above)")


def install():
    need_root()
    state["before"] = file_list()
    expect(len(state["before"]) > 100, "the overlay root looks empty: %d files listed"
           % len(state["before"]))
    t0 = time.monotonic()
    # DKMS compiles the module under TCG: minutes; bounded, so a stuck build
    # fails this test instead of the whole VM (LAB_TIMEOUT)
    # each line of dpkg's and DKMS's output with the second it came at
    out = in_root("set -o pipefail; DEBIAN_FRONTEND=noninteractive timeout -k 10 %d dpkg -i "
                  "/tmp/ipttrace_%s_amd64.deb /tmp/ipttrace-dkms_%s_all.deb 2>&1 | "
                  "while IFS= read -r l; do printf '%%(%%s)T %%s\\n' -1 \"$l\"; done"
                  % (INSTALL_TIMEOUT, VERSION, VERSION), timeout=INSTALL_TIMEOUT + 30)
    if os.environ.get("LAB_PKG_TRACE"):
        print("# dpkg -i, timed:\n# " + out.replace("\n", "\n# "), flush=True)
    out = re.sub(r"(?m)^\d+ ", "", out)
    dt = time.monotonic() - t0
    state["installed"] = True
    expect(in_root("dpkg-query -W -f '${Status} ${Version}\\n' ipttrace ipttrace-dkms")
           == "install ok installed %s\n" % VERSION * 2, "dpkg-query: not both installed")
    status = in_root("dkms status ipttrace 2>&1", check=False).strip()
    expect("%s, %s" % (VERSION, KREL) in status and "installed" in status,
           "dkms status: %r\n%s" % (status, out))
    ko = in_root("find /lib/modules/%s/updates/dkms -name 'ipttrace.ko*'" % KREL, check=False).split()
    expect(len(ko) == 1, "DKMS installed %s for %s\n%s" % (ko or "no ipttrace.ko", KREL, out))
    dep = in_root("grep -c '^updates/dkms/ipttrace.ko' /lib/modules/%s/modules.dep" % KREL, check=False)
    expect(dep.strip() == "1", "modules.dep of %s does not list %s" % (KREL, ko[0]))
    built = re.findall(r"Building initial module for (\S+)", out)
    return "DKMS built %s for %s in %.0f s (dpkg -i)" % (os.path.basename(ko[0]), " and ".join(built), dt)


def doctor():
    need_installed()
    p = subprocess.run(["/bin/bash", "-c", "ipttrace --doctor"],
                       capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    expect(p.returncode == 0, "ipttrace --doctor exit %d:\n%s" % (p.returncode, out))
    # the module it would load is the one DKMS installed
    expect("updates/dkms/ipttrace.ko" in out or "modprobe" in out,
           "--doctor does not name the DKMS module:\n%s" % out)
    lines = [l for l in out.splitlines() if l.strip()]
    return "exit 0: %s" % (lines[-1].strip() if lines else "")


def trace():
    need_installed()
    two_hosts()
    # the first packet -c 1 sees is the echo request leaving cli
    sh("iptables-legacy -A OUTPUT -p icmp -m comment --comment t80-package -j ACCEPT", ns="cli")
    which = in_root("command -v ipttrace").strip()
    expect(which == "/usr/sbin/ipttrace", "ipttrace on PATH is %r" % which)
    ready = "/tmp/t80-ready"
    out = open(TMP + "/t80-trace.out", "w+")
    p = subprocess.Popen(["/bin/bash", "-c",
                          "exec ipttrace --ready-file %s -c 1 icmp" % ready],
                         stdout=out, stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    while not os.path.exists(ready):
        if p.poll() is not None:
            break
        if time.monotonic() - t0 > 60:
            p.kill()
            break
        time.sleep(0.05)
    pinged = ping("cli", "10.0.0.2", 1) if p.poll() is None else False
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)
        rc = p.wait(10)
    out.seek(0)
    text = out.read()
    expect(pinged, "no ping reply (ipttrace exit %s):\n%s" % (p.returncode, text))
    expect(rc == 0, "ipttrace -c 1 icmp exit %d:\n%s" % (rc, text))
    expect("t80-package" in text,
           "the trace does not show the rule -A OUTPUT ... t80-package:\n%s" % text)
    rule = [l for l in text.splitlines() if "t80-package" in l]
    return rule[0].strip()[:100]


def man_and_completion():
    need_installed()
    page = in_root("MANWIDTH=80 man ipttrace 2>&1")
    for want in ("ipttrace", "EXIT STATUS", "--doctor"):
        expect(want in page, "man ipttrace: no %r in:\n%s" % (want, page[:500]))
    comp = in_root("source /usr/share/bash-completion/bash_completion; _completion_loader ipttrace; "
                   "complete -p ipttrace", check=False)
    expect("_ipttrace" in comp, "bash completion for ipttrace not loaded: %r" % comp)
    return "man: %d lines" % len(page.splitlines())


def upper_changes():
    """What the root holds now that it did not before, or lost or changed:
    every path written since the overlays were mounted is in an upper layer."""
    bad = []
    for top in OVERLAID:
        up = "%s/%s/u" % (UPPER, top)
        for dirpath, dirs, files in os.walk(up):
            rel_dir = os.path.normpath(os.path.join(top, os.path.relpath(dirpath, up)))
            dirs[:] = [d for d in dirs if os.path.join(rel_dir, d) not in STATE]
            for name in sorted(dirs + files):
                rel = os.path.join(rel_dir, name)
                if rel in STATE or rel in DKMS_KEY or rel in HIDDEN:
                    continue
                path, lower = os.path.join(dirpath, name), os.path.join(LOWER, rel)
                st = os.lstat(path)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                    bad.append("/%s (removed)" % rel)          # a whiteout
                elif stat.S_ISDIR(st.st_mode):
                    if not os.path.isdir(lower):
                        bad.append("/%s/ (left)" % rel)
                elif not os.path.lexists(lower):
                    bad.append("/%s (left)" % rel)
                elif any(rel == c or rel.startswith(c) for c in CACHES):
                    continue
                elif stat.S_ISLNK(st.st_mode):
                    if not os.path.islink(lower) or os.readlink(lower) != os.readlink(path):
                        bad.append("/%s (changed)" % rel)
                elif not stat.S_ISREG(st.st_mode) or subprocess.run(["cmp", "-s", path, lower]).returncode:
                    bad.append("/%s (changed)" % rel)
    return bad


def purge():
    need_installed()
    out = in_root("DEBIAN_FRONTEND=noninteractive dpkg --purge ipttrace ipttrace-dkms 2>&1", timeout=300)
    state["installed"] = False
    left = in_root("dpkg-query -W -f '${db:Status-Abbrev}\\n' ipttrace ipttrace-dkms 2>/dev/null",
                   check=False).split()
    expect(not [s for s in left if s != "un"], "dpkg still knows the packages: %s\n%s" % (left, out))
    expect(not module_loaded(), "ipttrace.ko is loaded after the purge")
    mods = in_root("find /lib/modules /usr/src /var/lib/dkms -name '*ipttrace*'", check=False).split()
    expect(not mods, "after the purge: %s" % " ".join(mods))
    after = file_list()
    gone, new = sorted(state["before"] - after), sorted(after - state["before"])
    new = [f for f in new if f not in DKMS_KEY + ("var/lib/dkms",)]
    expect(not gone and not new, "file list after the purge differs from before: new %s, gone %s"
           % (new[:10], gone[:10]))
    bad = upper_changes()
    expect(not bad, "after the purge, %d paths differ from the root before the install:\n%s"
           % (len(bad), "\n".join(bad[:20])))
    return "%d files listed before and after; upper layer holds only dpkg state" % len(after)


if os.uname().machine != "x86_64":
    # the arm64 lab runs this suite too: the packages are amd64 (debian/control)
    print("ok - %s package install # SKIP ipttrace is packaged for amd64 only "
          "(debian/control), and %s is %s" % (KREL, KREL, os.uname().machine), flush=True)
else:
    run("package: dpkg -i ipttrace and ipttrace-dkms %s, DKMS builds ipttrace.ko" % VERSION, install)
    run("package: ipttrace --doctor from PATH says tracing works", doctor)
    run("package: ipttrace -c 1 icmp from PATH traces a ping through an iptables-legacy rule", trace)
    run("package: man ipttrace renders, bash completion loads", man_and_completion)
    run("package: dpkg --purge leaves no file, no module, no DKMS tree", purge)
    reset()
