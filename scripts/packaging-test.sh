#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# packaging-test.sh: host checks of what users install, as TAP (make check).
#  - make install into a staging DESTDIR; a program found through
#    pkg-config compiles, links (static and shared) and runs;
#  - the DKMS source tree builds with dkms itself, in private dkms and
#    source trees, for the 6.1 and 6.12 kernel lines;
#  - the versions in dkms.conf, kmod/main.c and alpcu.pc.in agree.
set -uo pipefail
# With pipefail, never end a pipeline in grep -q: it exits at the first
# match, the writer may die of SIGPIPE, and the pipeline then fails.
. "$(dirname "$0")/common.sh"

B=$ALPC_TOP/build
T=$B/packaging
rm -rf "$T"
mkdir -p "$T"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; [ -f "${2:-}" ] && tail -20 "$2" | sed 's/^/# /'; }

# make install, then a consumer built the way a user would build one.
if DESTDIR=$T/root PREFIX=/usr/local "$ALPC_TOP/scripts/install.sh" >"$T/install.log" 2>&1 &&
	[ -f "$T/root/usr/local/include/linux/alpc.h" ] &&
	[ -f "$T/root/usr/local/include/alpcu/alpcu.hpp" ] &&
	[ -L "$T/root/usr/local/lib/libalpcu.so" ] &&
	[ -f "$T/root/etc/udev/rules.d/60-alpc.rules" ]; then
	ok "install: library, headers, pkg-config file and udev rule installed"
else
	nok "install: library, headers, pkg-config file and udev rule installed" "$T/install.log"
fi
cat >"$T/consumer.cpp" <<'CPP'
#include <alpcu/alpcu.hpp>
#include <cerrno>
#include <cstdio>
#include <system_error>

int main()
{
	// No module on the host: opening the device must say so with ENOENT.
	try {
		auto dev = alpcu::Device::open();
		std::printf("opened, version %u\n", dev.features().version);
		return 0;
	} catch (const std::system_error &e) {
		std::printf("%s\n", e.what());
		return e.code().value() == ENOENT ? 0 : 1;
	}
}
CPP
pc() { PKG_CONFIG_PATH=$T/root/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$T/root pkg-config "$@"; }
if [ "$(pc --modversion alpcu 2>&1)" = "$(sed -n 's/^Version: //p' "$ALPC_TOP/libalpcu/alpcu.pc.in")" ] &&
	# shellcheck disable=SC2046
	g++ -o "$T/consumer" "$T/consumer.cpp" $(pc --cflags alpcu) \
		-Wl,-Bstatic $(pc --libs --static alpcu) -Wl,-Bdynamic >"$T/consumer.log" 2>&1 &&
	"$T/consumer" >>"$T/consumer.log" 2>&1; then
	ok "install: a program built with pkg-config --cflags --libs --static alpcu runs"
else
	nok "install: a program built with pkg-config --cflags --libs --static alpcu runs" "$T/consumer.log"
fi
# shellcheck disable=SC2046
if g++ -o "$T/consumer-so" "$T/consumer.cpp" $(pc --cflags --libs alpcu) >"$T/consumer-so.log" 2>&1 &&
	LD_LIBRARY_PATH=$T/root/usr/local/lib "$T/consumer-so" >>"$T/consumer-so.log" 2>&1 &&
	LD_LIBRARY_PATH=$T/root/usr/local/lib ldd "$T/consumer-so" >"$T/consumer-so.ldd" &&
	grep -q "libalpcu.so.0 => $T/root" "$T/consumer-so.ldd"; then
	ok "install: the shared library links and loads by its soname"
else
	nok "install: the shared library links and loads by its soname" "$T/consumer-so.log"
fi

v_dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ALPC_TOP/dkms.conf")
v_mod=$(sed -n 's/^#define ALPC_MODULE_VERSION "\(.*\)"/\1/p' "$ALPC_TOP/kmod/main.c")
v_pc=$(sed -n 's/^Version: //p' "$ALPC_TOP/libalpcu/alpcu.pc.in")
if [ -n "$v_dkms" ] && [ "$v_dkms" = "$v_mod" ] && [ "$v_mod" = "$v_pc" ]; then
	ok "dkms: dkms.conf, the module and the library agree on version $v_mod"
else
	nok "dkms: versions differ: dkms.conf '$v_dkms', module '$v_mod', alpcu.pc.in '$v_pc'"
fi

# dkms itself, in private trees: nothing under /usr/src or /var/lib/dkms.
for line in 6.1 6.12; do
	env=$(line_env "$line" 2>/dev/null) || { nok "dkms: builds for $line (line not set up)"; continue; }
	eval "$env"
	src=$T/src-$line/alpc-$v_dkms
	tree=$T/dkms-$line
	mkdir -p "$tree"
	"$ALPC_TOP/scripts/dkms.sh" stage "$src"
	d=(dkms --sourcetree "$T/src-$line" --dkmstree "$tree" -m alpc -v "$v_dkms" -k "$RELEASE")
	if "${d[@]}" add >"$T/dkms-$line.log" 2>&1 &&
		"${d[@]}" build --kernelsourcedir "$KDIR" >>"$T/dkms-$line.log" 2>&1 &&
		modinfo -F vermagic "$tree/alpc/$v_dkms/$RELEASE/x86_64/module/alpc.ko"* 2>>"$T/dkms-$line.log" |
		grep "^$RELEASE " >/dev/null; then
		ok "dkms: dkms build makes alpc.ko for $RELEASE"
	else
		nok "dkms: dkms build makes alpc.ko for $RELEASE" "$T/dkms-$line.log"
	fi
done
echo "1..$n"
