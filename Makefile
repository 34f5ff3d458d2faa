# SPDX-License-Identifier: GPL-2.0
#
# ipttrace top-level Makefile.  Everything built goes under build/.
#   make deps       install the Debian packages the build, tests and lab need
#   make            build/ipttrace (BPF object, skeleton, CLI)
#   make kmod       build/kmod/<release>/ipttrace.ko for KDIR (default: running kernel)
#   make check      deps + build + host unit tests + lab tests on 6.1 and 6.12
#   make lab KVER=6.1 CMD='...'   run one command in a lab VM
#   make ARCH=arm64 [lab ...]     cross-build into build/arm64, arm64 lab (mk/arm64.mk)
#   make demo       a traced Docker-style host in the lab
#   make bench      overhead/throughput table (lab)
#   make fuzz       libFuzzer on the event decoder and the iptables-save parser
#   make deb        build/deb/ipttrace_*.deb and ipttrace-dkms_*.deb, lintian-checked
#   make deb ARCH=arm64   build/arm64/deb/ipttrace_*_arm64.deb, cross-built
#   make deb-check  make deb, then install, use and purge both in a throwaway overlay root
#   make man        lint the man page doc/ipttrace.8 (mandoc)
#   make install [DESTDIR= prefix=], make clean
#   V=1             show full commands

.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BUILD   ?= build
CLANG   ?= clang
BPFTOOL ?= bpftool
CC      ?= gcc
prefix  ?= /usr/local
KDIR    ?= /lib/modules/$(shell uname -r)/build

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
ifeq ($(ARCH),arm64)
include mk/arm64.mk
endif

CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# the version, from one place: debian/changelog's first line
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) \
		   -DIPTT_VERSION='"$(VERSION)"'
LDLIBS  := -l:libbpf.a -lelf -lz -lpcap -ljansson -lnftnl -lmnl
BPF_CFLAGS := -g -O2 -Wall -mcpu=v3 -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I$(dir $(VMLINUX_H)) -Iinclude -Ibpf

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# everything but main(): linked into the unit tests and fuzzers
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libpcap-dev \
	libcmocka-dev libjansson-dev libnftnl-dev libmnl-dev make gcc pkg-config kmod iproute2 iptables nftables \
	qemu-system-x86 qemu-system-arm gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross file busybox-static cpio xz-utils python3 sparse \
	linux-image-amd64 linux-headers-amd64 \
	linux-image-6.12-amd64 linux-headers-6.12-amd64 \
	libclang-rt-14-dev libnetfilter-log-dev iputils-ping socat procps curl \
	dpkg-dev debhelper dh-dkms dkms lintian mandoc man-db bash-completion \
	prometheus tshark docker.io

.PHONY: all deps kmod lab-kmods check unit unit-sanitize lab demo bench fuzz install clean vmlinux deb deb-check man lab-package

all: $(BUILD)/ipttrace

# docker.io is for the lab guest (tests/lab/t62_docker.py starts its own
# dockerd there); a policy-rc.d that denies every start (exit 101) keeps its
# postinst from starting dockerd and containerd on this host.
deps:
	@missing=; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		rcd=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			rcd=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' >$$rcd; chmod 755 $$rcd; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		st=$$?; [ -z "$$rcd" ] || rm -f $$rcd; exit $$st; \
	fi

$(BUILD)/ipttrace.bpf.o: bpf/ipttrace.bpf.c $(wildcard bpf/*.h) include/ipttrace.h $(VMLINUX_H)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/ipttrace.skel.h: $(BUILD)/ipttrace.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name ipttrace_bpf > $@

$(BUILD)/user/%.o: user/%.c $(wildcard user/*.h) include/ipttrace.h $(BUILD)/ipttrace.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# --version comes from debian/changelog
$(BUILD)/user/cli.o: debian/changelog

$(BUILD)/ipttrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

man:
	$(Q)mandoc -T lint -W warning doc/ipttrace.8

# Debian packages (debian/): dpkg-buildpackage writes to ..; move them here.
# make deb ARCH=arm64 (mk/arm64.mk) sets DEB_ARCH, DEB_FLAGS, DEB_PKGS, DEB_ENV.
DEB_ARCH ?= $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_FLAGS ?= -b
DEB_PKGS ?= ipttrace_$(VERSION)_$(DEB_ARCH).deb ipttrace-dkms_$(VERSION)_all.deb
deb:
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb
	$(Q)$(DEB_ENV) dpkg-buildpackage -us -uc $(DEB_FLAGS) --post-clean
	$(Q)for f in $(addprefix ../,$(DEB_PKGS)) \
		../ipttrace-dbgsym_$(VERSION)_$(DEB_ARCH).deb \
		../ipttrace_$(VERSION)_$(DEB_ARCH).buildinfo ../ipttrace_$(VERSION)_$(DEB_ARCH).changes; do \
		if [ -f $$f ]; then mv $$f $(BUILD)/deb/; fi; \
	done
	$(Q)lintian --fail-on error,warning $(addprefix $(BUILD)/deb/,$(DEB_PKGS))
	@ls -1 $(BUILD)/deb/*.deb

deb-check: deb
	$(Q)tests/package-install $(BUILD)/deb

# the package install test alone in a lab guest (make check runs it on
# every lab kernel)
lab-package: all lab-kmods
	$(Q)DEB_BUILD_OPTIONS=nocheck $(MAKE) -s deb
	$(Q)tests/lab/vm $(or $(KVER),6.12) "LAB_PATTERN='p*.py'" tests/lab/suite

# ---- kernel module ----
kmod:
	$(Q)$(MAKE) -s -C kmod KDIR=$(KDIR) OUT=$(abspath $(BUILD))/kmod/$$($(MAKE) -s -C $(KDIR) kernelrelease)

# the module for every lab kernel installed on this machine
LAB_KRELS ?= $(shell tests/lab/kernels)
LAB_KDIR ?= /usr/src/linux-headers-$$r
LAB_VM ?= tests/lab/vm
lab-kmods:
	$(Q)for r in $(LAB_KRELS); do \
		$(MAKE) -s -C kmod KDIR=$(LAB_KDIR) OUT=$(abspath $(BUILD))/kmod/$$r || exit 1; \
	done

# ---- tests ----
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ -lcmocka $(LDLIBS) -o $@

unit: $(UNIT_BINS)
	$(Q)tests/unit/run $(UNIT_BINS)

# the same unit tests, built into build/san with ASan and UBSan
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
unit-sanitize:
	$(Q)$(MAKE) -s BUILD=$(BUILD)/san CFLAGS="$(SAN_FLAGS)" unit

lab: all lab-kmods
	$(Q)$(LAB_VM) $(if $(CPUS),-c $(CPUS)) $(or $(KVER),6.1) '$(CMD)'

check: deps
	$(Q)$(MAKE) all lab-kmods
	$(Q)tests/check

demo: deps
	$(Q)$(MAKE) all lab-kmods
	$(Q)tests/lab/vm 6.12 tests/lab/demo.sh

# make bench: instruction-counted guest time by default (the rates then do not
# move with the host's load); BENCH_CLOCK=wall for plain TCG.  BENCH_* make or
# environment variables reach tests/lab/bench.py in the guest.
BENCH_CLOCK ?= icount
BENCH_QEMU = $(if $(filter icount,$(BENCH_CLOCK)),-icount shift=2$(comma)sleep=off)
comma := ,
BENCH_VARS = $(foreach v,$(sort BENCH_CLOCK $(filter-out BENCH_VARS BENCH_QEMU,$(filter BENCH_%,$(.VARIABLES)))),$(v)='$($(v))')
bench: deps
	$(Q)$(MAKE) all lab-kmods
	$(Q)LAB_TIMEOUT=$(or $(LAB_TIMEOUT),2400) LAB_QEMU_EXTRA="$(BENCH_QEMU)" \
		tests/lab/vm -c 2 $(or $(KVER),6.12) \
		"$(BENCH_VARS) tests/lab/bench.sh; cd tests/lab && $(BENCH_VARS) python3 bench_chainlen.py"

fuzz:
	$(Q)tests/fuzz/run

# regenerate the committed vmlinux.h from a kernel image with BTF
vmlinux:
	$(BPFTOOL) btf dump file $(or $(VMLINUX),/sys/kernel/btf/vmlinux) format c > $(VMLINUX_H)

install: $(BUILD)/ipttrace
	install -D -m 0755 $(BUILD)/ipttrace $(DESTDIR)$(prefix)/sbin/ipttrace
	install -D -m 0644 doc/ipttrace.8 $(DESTDIR)$(prefix)/share/man/man8/ipttrace.8
	install -D -m 0644 completion/ipttrace.bash \
		$(DESTDIR)$(prefix)/share/bash-completion/completions/ipttrace
	@for d in $(wildcard $(BUILD)/kmod/*/ipttrace.ko); do \
		r=$$(basename $$(dirname $$d)); \
		install -D -m 0644 $$d $(DESTDIR)$(prefix)/lib/ipttrace/kmod/$$r/ipttrace.ko; \
	done

clean:
	rm -rf $(BUILD)
