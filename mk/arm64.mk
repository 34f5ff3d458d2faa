# SPDX-License-Identifier: GPL-2.0
# make ARCH=arm64 on an amd64 host: a cross-build into build/arm64/, never
# mixed with the native one in build/, and the arm64 lab (tests/lab/vm-arm64).
# Included by the top Makefile when ARCH=arm64.
#
#   make ARCH=arm64                   build/arm64/ipttrace (static libbpf)
#   make ARCH=arm64 lab-kmods         build/arm64/kmod/<arm64 release>/ipttrace.ko
#   make ARCH=arm64 lab KVER=6.12 CMD='tests/lab/suite'
#   make ARCH=arm64 vmlinux           regenerate vmlinux/arm64/vmlinux.h
#   make ARCH=arm64 deb               build/arm64/deb/ipttrace_<version>_arm64.deb
#
# Libraries and kernel headers come from Debian's arm64 packages, unpacked
# by tests/lab/arm64-root into build/arm64/lab/sysroot (cached; downloads
# are kept).  On an arm64 host none of this applies: the build is native.

ifneq ($(shell uname -m),aarch64)

.DEFAULT_GOAL := all

# a build folder of its own (unless BUILD= is given)
ifeq ($(origin BUILD),file)
BUILD := build/arm64
endif
ARM64_LAB  := build/arm64/lab
SYSROOT    := $(abspath $(ARM64_LAB))/sysroot
CROSS_COMPILE ?= aarch64-linux-gnu-
export CROSS_COMPILE
ifneq ($(origin CC),command line)
CC := $(CROSS_COMPILE)gcc --sysroot=$(SYSROOT)
endif

# kernel modules for the arm64 builds of the amd64 lab kernels
LAB_KRELS = $(shell tests/lab/arm64-root -k)
LAB_KDIR   = $(SYSROOT)/usr/src/linux-headers-$$r
LAB_VM     = tests/lab/vm-arm64
KDIR       = $(SYSROOT)/usr/src/linux-headers-$(lastword $(LAB_KRELS))

.PHONY: arm64-sysroot
# order-only: tests/lab/arm64-root returns at once when up to date
arm64-sysroot:
	$(Q)tests/lab/arm64-root

$(patsubst user/%.c,$(BUILD)/user/%.o,$(wildcard user/*.c)): | arm64-sysroot
$(BUILD)/udpflood: | arm64-sysroot
lab-kmods kmod: arm64-sysroot

# the SMP test's UDP flooder, prebuilt: the guest root has no compiler
all: $(BUILD)/udpflood
$(BUILD)/udpflood: tests/lab/udpflood.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall $< -o $@

# make deb ARCH=arm64: the arm64 ipttrace package alone (-B; ipttrace-dkms
# is arch-all: make deb), cross-built by dpkg-buildpackage into
# build/arm64/deb.  -d: the arm64 build dependencies are in the sysroot,
# not in dpkg's database; debian/rules builds with this file.  nocheck: the
# unit tests are arm64 binaries.
DEB_ARCH  := arm64
DEB_FLAGS := -B --host-arch arm64 -d -Pcross,nocheck
DEB_PKGS   = ipttrace_$(VERSION)_arm64.deb
DEB_ENV    = CC=$(CROSS_COMPILE)gcc DEB_BUILD_OPTIONS="nocheck $(DEB_BUILD_OPTIONS)"
deb: arm64-sysroot

# vmlinux.h from the BTF of the arm64 build of the kernel series the x86
# header comes from (6.1), read from its raw Image: no need to boot it
VMLINUX_SERIES ?= 6.1
VMLINUX_KREL = $(firstword $(filter $(VMLINUX_SERIES).% $(VMLINUX_SERIES)-%,$(LAB_KRELS)))
VMLINUX = $(BUILD)/vmlinux-$(VMLINUX_KREL).btf
vmlinux: $(VMLINUX)
$(BUILD)/vmlinux-%.btf: | arm64-sysroot
	$(Q)mkdir -p $(@D)
	$(Q)mk/extract-btf $(ARM64_LAB)/root/boot/vmlinuz-$* $@

endif
