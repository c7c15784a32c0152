# SPDX-License-Identifier: GPL-2.0
# alpc: Windows-style ALPC ports for Linux. `make help` lists the targets.
#
# Kernel lines: KERNEL=6.1 or KERNEL=6.12 (Debian's LTS kernels, headers
# and images cached by scripts/setup.sh), debug (built by make check-debug).
# `make module` without KERNEL builds against the running kernel's headers.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

KERNEL ?=
B := build
ALPC_CACHE := $(shell bash -c '. scripts/common.sh && echo $$ALPC_CACHE')
export ALPC_CACHE
SETUP_STAMP := $(ALPC_CACHE)/setup-$(shell cat scripts/setup.sh | sha256sum | cut -c1-12).stamp

CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
ALPC_CFLAGS := -std=gnu11 -Wall -Werror -D_GNU_SOURCE -pthread -Iinclude/uapi -Iselftests -I$(B)/ksft
ALPC_CXXFLAGS := -std=c++20 $(WARN) -Wpedantic -pthread -Iinclude/uapi -Ilibalpcu/include

LIB_SRCS := $(wildcard libalpcu/src/*.cpp)
LIB_OBJS := $(LIB_SRCS:libalpcu/src/%.cpp=$(B)/libalpcu/%.o)
LIB_HDRS := $(wildcard libalpcu/include/alpcu/*.hpp) include/uapi/linux/alpc.h
LIBA := $(B)/lib/libalpcu.a
LIBSO := $(B)/lib/libalpcu.so.0
PCFILE := $(B)/lib/pkgconfig/alpcu.pc

KSFT_SRCS := $(wildcard selftests/*_test.c)
KSFT_BINS := $(KSFT_SRCS:selftests/%.c=$(B)/vm/tests/%)
KSFT_HDRS := $(B)/ksft/kselftest_harness.h $(B)/ksft/kselftest.h
# The race programs (selftests/race/, stress, not unit tests): the guest's
# race_test.sh runs them.
RACE_SRCS := $(wildcard selftests/race/race_*.c)
RACE_BINS := $(RACE_SRCS:selftests/race/%.c=$(B)/vm/tests/%)
CATCH_SRCS := $(wildcard libalpcu/tests/*.cpp)
CATCH_OBJS := $(CATCH_SRCS:libalpcu/tests/%.cpp=$(B)/catch/%.o)
CATCH_BIN := $(B)/vm/tests/alpcu_test
EXAMPLE_SRCS := $(wildcard examples/*.cpp)
EXAMPLE_BINS := $(EXAMPLE_SRCS:examples/%.cpp=$(B)/vm/tests/%)
BENCH_SRCS := $(wildcard bench/*.cpp)
BENCH_BIN := $(if $(BENCH_SRCS),$(B)/vm/tests/alpc_bench)
GUEST_SCRIPTS := $(patsubst scripts/guest/%,$(B)/vm/tests/%,$(wildcard scripts/guest/*.sh))
FUZZ_BIN := $(B)/vm/tests/alpc_fuzz
# alpcctl goes into the VM with the tests (the guest's /init puts it on PATH).
ALPCCTL_SRCS := $(wildcard tools/alpcctl/*.cpp)
ALPCCTL := $(B)/vm/tests/alpcctl
ALPCCTL_TEST := $(B)/vm/tests/alpcctl_test
# Recursive: pkg-config runs once setup.sh has installed libnl. -isystem
# keeps libnl's headers out of -Wpedantic.
NL_CFLAGS = $(shell pkg-config --cflags-only-I libnl-genl-3.0 | sed 's/-I/-isystem /g')
NL_LIBS = $(shell pkg-config --libs libnl-genl-3.0)
TEST_BINS := $(KSFT_BINS) $(FUZZ_BIN) $(RACE_BINS) $(CATCH_BIN) $(ALPCCTL) $(ALPCCTL_TEST) \
	$(B)/vm/tests/manifest

LINES := $(or $(KERNEL),6.1 6.12)

all: module lib tests examples alpcctl

help:
	@echo "make            module, library and tests"
	@echo "make demo       boot a VM: echo server and clients at work (KERNEL=6.1|6.12)"
	@echo "make shell      boot a VM with the module loaded, interactive (KERNEL=6.1|6.12)"
	@echo "make bench      benchmarks against pipes, UNIX sockets, futexes, binder"
	@echo "make check      all tests, in a VM of each kernel line and on the host"
	@echo "make check-debug  the tests on a KASAN/lockdep/kmemleak kernel"
	@echo "make fuzz       the fuzzer alone on the debug kernel, with coverage"
	@echo "                (FUZZ_DURATION=seconds, default 1800; FUZZ_SEED=n)"
	@echo "make module     alpc.ko in kmod/ (KERNEL=6.1|6.12, default: running kernel)"
	@echo "make lib        libalpcu, static and shared, and its pkg-config file"
	@echo "make alpcctl    the alpcctl tool (build/vm/tests/alpcctl) and its test"
	@echo "make setup      install packages and cache kernels (root; run automatically)"
	@echo "make install    library, headers, pkg-config file, alpcctl, udev rule (PREFIX, DESTDIR)"
	@echo "make dkms-install  alpc.ko through DKMS, rebuilt on kernel upgrades (root)"
	@echo "make format     clang-format the C++ sources"

# Everything below needs the packages and kernels setup.sh installs; its
# stamp names the script's hash, so editing the script runs it again.
setup: $(SETUP_STAMP)
$(SETUP_STAMP):
	@if [ "$$(id -u)" = 0 ]; then scripts/setup.sh; \
	else sudo env ALPC_CACHE="$(ALPC_CACHE)" scripts/setup.sh; fi
	@mkdir -p $(dir $@) && touch $@

module: $(SETUP_STAMP)
	scripts/build-module.sh $(or $(KERNEL),host)

lib: $(LIBA) $(LIBSO) $(PCFILE)

$(B)/libalpcu/%.o: libalpcu/src/%.cpp $(LIB_HDRS) $(wildcard libalpcu/src/*.hpp) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) -fPIC -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBSO): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CXX) -shared -Wl,-soname,libalpcu.so.0 -o $@ $^
	ln -sf libalpcu.so.0 $(B)/lib/libalpcu.so

$(PCFILE): libalpcu/alpcu.pc.in
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(abspath $(B))|; s|@INCLUDEDIR@|$(abspath include/uapi) -I$(abspath libalpcu/include)|' $< >$@

tests: $(TEST_BINS)

$(KSFT_HDRS): $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	cp "$$(bash -c '. scripts/common.sh && src_tree')/tools/testing/selftests/$(notdir $@)" $@

$(B)/vm/tests/%: selftests/%.c $(wildcard selftests/*.h) include/uapi/linux/alpc.h $(KSFT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALPC_CFLAGS) -o $@ $<

$(RACE_BINS): $(B)/vm/tests/%: selftests/race/%.c selftests/race/common.h include/uapi/linux/alpc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ALPC_CFLAGS) -o $@ $<

$(B)/catch/%.o: libalpcu/tests/%.cpp $(wildcard libalpcu/tests/*.hpp) $(LIB_HDRS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) -c -o $@ $<

$(CATCH_BIN): $(CATCH_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CXX) -pthread -o $@ $(CATCH_OBJS) $(LIBA)

examples: $(EXAMPLE_BINS)

alpcctl: $(ALPCCTL) $(ALPCCTL_TEST)

$(ALPCCTL): $(ALPCCTL_SRCS) $(wildcard tools/alpcctl/*.hpp) include/uapi/linux/alpc.h | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) $(NL_CFLAGS) -o $@ $(ALPCCTL_SRCS) $(NL_LIBS)

$(ALPCCTL_TEST): tools/alpcctl/tests/alpcctl_test.cpp libalpcu/tests/support.hpp $(B)/catch/main.o $(LIBA) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) -Ilibalpcu/tests -o $@ $< $(B)/catch/main.o $(LIBA)

$(BENCH_BIN): $(BENCH_SRCS) $(wildcard bench/*.hpp) $(LIBA) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) -Ibench -o $@ $(BENCH_SRCS) $(LIBA)

# Benchmarks in a VM of each line: build/bench/results.json, a table, plots.
bench: $(SETUP_STAMP) lib tests $(BENCH_BIN) $(GUEST_SCRIPTS)
	scripts/bench.sh $(LINES)

$(B)/vm/tests/%: examples/%.cpp $(LIBA) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(ALPC_CXXFLAGS) -o $@ $< $(LIBA)

$(B)/vm/tests/%.sh: scripts/guest/%.sh
	@mkdir -p $(dir $@)
	install -m 755 $< $@

$(B)/vm/tests/manifest: selftests/manifest
	@mkdir -p $(dir $@)
	cp $< $@

check: $(SETUP_STAMP) lib tests examples $(BENCH_BIN) $(GUEST_SCRIPTS)
	scripts/check.sh check $(LINES)

check-debug: $(SETUP_STAMP) lib tests examples $(BENCH_BIN) $(GUEST_SCRIPTS)
	scripts/build-debug-kernel.sh
	scripts/intree-build.sh
	scripts/check.sh check-debug debug

# The fuzzer alone on the debug kernel (scripts/fuzz.sh): FUZZ_DURATION
# seconds, default 1800; FUZZ_SEED, default random; FUZZ_PROCS, FUZZ_THREADS.
fuzz: $(SETUP_STAMP) $(FUZZ_BIN) $(GUEST_SCRIPTS)
	scripts/build-debug-kernel.sh
	scripts/fuzz.sh

# The main job: a VM with the module loaded, servers and clients at work.
demo: $(SETUP_STAMP) lib tests examples $(BENCH_BIN) $(GUEST_SCRIPTS)
	scripts/build-module.sh $(or $(KERNEL),6.1) $(B)/$(or $(KERNEL),6.1)
	scripts/vm.sh demo $(or $(KERNEL),6.1)

shell: $(SETUP_STAMP) tests examples $(GUEST_SCRIPTS)
	scripts/build-module.sh $(or $(KERNEL),6.1) $(B)/$(or $(KERNEL),6.1)
	scripts/vm.sh shell $(or $(KERNEL),6.1)

# PREFIX=/usr/local, LIBDIR, UDEVDIR=/etc/udev/rules.d, DESTDIR: see scripts/install.sh.
install: lib
	scripts/install.sh

dkms-install:
	scripts/dkms.sh install $(KERNELRELEASE)

dkms-remove:
	scripts/dkms.sh remove

format:
	clang-format -i $$(find libalpcu examples bench tools -name '*.cpp' -o -name '*.hpp' 2>/dev/null)

clean:
	rm -rf $(B)
	$(MAKE) -C kmod clean KDIR="$$(bash -c '. scripts/common.sh && line_env 6.1 | sed -n s/^KDIR=//p')" 2>/dev/null || true

.PHONY: all help setup module lib tests examples alpcctl demo bench check check-debug fuzz \
	shell format clean install dkms-install dkms-remove
