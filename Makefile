# Permafrost — one entry point: make, make test, make install, make deb
#
# Products go under $(OUT). `make V=1` shows the commands.

OUT       ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR   ?= $(PREFIX)/lib/systemd/system

CC        ?= cc
CLANG     ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL   ?= bpftool
# vmlinux.h is checked in (generated once, see `make vmlinux`), so a package
# build never depends on the builder's running kernel. CO-RE relocates field
# offsets on the target kernel.
VMLINUX_H ?= bpf/vmlinux.h
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CFLAGS    ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
# user/lib/ is grouped by domain: approval/ (tokens, SSHSIG, allowed_signers),
# policy/ (the policy and its resolution), log/ (the audit log), util/
# (shared helpers). Headers are included by name ("policy.h"), every folder
# of the library on the include path; file names are unique across them.
LIB_DIRS  := user/lib $(patsubst %/,%,$(sort $(dir $(wildcard user/lib/*/*.c))))
XCFLAGS   := $(WARNFLAGS) -std=gnu11 -D_GNU_SOURCE $(addprefix -I,$(LIB_DIRS)) -Ibpf -I$(OUT) \
             -DPF_VERSION='"$(VERSION)"' -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDLIBS    := -lbpf -lelf -lz -lcap -lcrypto
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ibpf -I$(dir $(VMLINUX_H)) \
              -Wall -Werror -Wno-unused-function $(BPF_EXTRA)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test unit vmtest bench install vmlinux deps fuzz demo next

LIB_SRCS  := $(sort $(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
LIB_OBJS  := $(patsubst user/lib/%.c,$(OUT)/lib/%.o,$(LIB_SRCS))
LIB_HDRS  := $(wildcard $(addsuffix /*.h,$(LIB_DIRS))) bpf/permafrost.h
# One name, one file: "x.h" must find one header, and ar keeps members by
# their base name.
LIB_NAMES := $(notdir $(LIB_SRCS) $(LIB_HDRS))
ifneq ($(words $(LIB_NAMES)),$(words $(sort $(LIB_NAMES))))
$(error user/lib: two files share a name: $(sort $(foreach n,$(LIB_NAMES),$(if $(filter-out 1,$(words $(filter $(n),$(LIB_NAMES)))),$(n)))))
endif
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

all: $(OUT)/permafrostd $(OUT)/permafrost $(OUT)/pfop

$(OUT) $(OUT)/tests:
	$(Q)mkdir -p $@

# --- BPF object and skeleton -------------------------------------------------
# One compilation unit: permafrost.bpf.c includes its parts, bpf/*.bpf.h.
BPF_HDRS  := $(wildcard bpf/*.bpf.h) bpf/permafrost.h

$(OUT)/permafrost.bpf.o: bpf/permafrost.bpf.c $(BPF_HDRS) $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/permafrost.skel.h: $(OUT)/permafrost.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name permafrost_bpf > $@

# The same source built for kernels without bpf_loop (5.10 to 5.16): see
# bpf/compat.bpf.h. The agent embeds both and picks one at start.
$(OUT)/permafrost_compat.bpf.o: bpf/permafrost.bpf.c $(BPF_HDRS) $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DPF_COMPAT -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUT)/permafrost_compat.skel.h: $(OUT)/permafrost_compat.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name permafrost_compat_bpf > $@

SKELS := $(OUT)/permafrost.skel.h $(OUT)/permafrost_compat.skel.h

# --- user space --------------------------------------------------------------
$(OUT)/lib/%.o: user/lib/%.c $(LIB_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -c $< -o $@

$(OUT)/libpermafrost.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The agent: one file per concern under user/agent (see user/agent/agent.h).
AGENT_SRCS := $(sort $(wildcard user/agent/*.c))
AGENT_OBJS := $(patsubst user/agent/%.c,$(OUT)/agent/%.o,$(AGENT_SRCS))
AGENT_HDRS := $(wildcard user/agent/*.h)

$(OUT)/agent:
	$(Q)mkdir -p $@

$(OUT)/agent/%.o: user/agent/%.c $(AGENT_HDRS) $(LIB_HDRS) $(SKELS) | $(OUT)/agent
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser/agent -c $< -o $@

$(OUT)/permafrostd: $(AGENT_OBJS) $(OUT)/libpermafrost.a
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $(AGENT_OBJS) $(OUT)/libpermafrost.a $(LDLIBS) -o $@

$(OUT)/permafrost: user/permafrost.c $(OUT)/libpermafrost.a $(LIB_HDRS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $< $(OUT)/libpermafrost.a $(LDLIBS) -o $@

# pfop: performs one file-system operation and reports its errno; used by the
# VM tests and the benchmark (busybox lacks renameat2, io_uring, xattrs...).
$(OUT)/pfop: tests/vm/pfop.c | $(OUT)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $< -o $@

# --- tests -------------------------------------------------------------------
$(OUT)/tests/test_%: tests/unit/test_%.c tests/unit/tap.h $(OUT)/libpermafrost.a | $(OUT)/tests
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Itests/unit $< $(OUT)/libpermafrost.a $(LDLIBS) -o $@

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(OUT)

# The same agent built again with other BPF instruction encodings
# (-mcpu=v2): other program tags, same maps. The VM upgrade suite replaces a
# running agent's pinned set with it, as a package upgrade does.
next:
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/next BPF_EXTRA=-mcpu=v2 $(OUT)/next/permafrostd

# The full suite: unit tests on the host, the enforcement suite in a VM on
# each kernel. Ends with "N passed, N failed".
test: all next $(UNIT_BINS)
	$(Q)tests/run-all.sh $(OUT)

vmtest: all
	$(Q)tests/vm/run.sh

$(OUT)/evpipe: tests/bench/evpipe.c $(OUT)/libpermafrost.a $(LIB_HDRS) | $(OUT)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) $< $(OUT)/libpermafrost.a $(LDLIBS) -o $@

# The agent's apply step natively: its own objects but main.o.
$(OUT)/applybench: tests/bench/applybench.c $(filter-out $(OUT)/agent/main.o,$(AGENT_OBJS)) $(OUT)/libpermafrost.a $(AGENT_HDRS) | $(OUT)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $(XCFLAGS) -Iuser/agent $< $(filter-out $(OUT)/agent/main.o,$(AGENT_OBJS)) $(OUT)/libpermafrost.a $(LDLIBS) -o $@

bench: all $(OUT)/evpipe $(OUT)/applybench
	$(Q)OUT=$(OUT) tests/bench/run.sh

demo: all
	$(Q)tests/vm/demo.sh

deps:
	$(Q)scripts/install-deps.sh

vmlinux:
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > bpf/vmlinux.h

# --- install -----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/permafrost
	install -m 0755 $(OUT)/permafrostd $(DESTDIR)$(SBINDIR)/permafrostd
	install -m 0755 $(OUT)/permafrost $(DESTDIR)$(BINDIR)/permafrost
	test -e $(DESTDIR)$(SYSCONFDIR)/permafrost/permafrost.conf || \
		install -m 0644 policy/example.conf $(DESTDIR)$(SYSCONFDIR)/permafrost/permafrost.conf
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 packaging/permafrostd.service $(DESTDIR)$(UNITDIR)/permafrostd.service

clean:
	rm -rf $(OUT)

# make deb, make rpm (packaging/README.md)
include packaging/packaging.mk
