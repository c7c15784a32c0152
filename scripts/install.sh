#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install.sh: what `make install` runs, after `make lib` (and alpcctl, if
# built). Installs under $DESTDIR$PREFIX:
#   lib/       libalpcu.a, libalpcu.so.0 and its libalpcu.so link
#   lib/pkgconfig/alpcu.pc
#   include/   alpcu/*.hpp and linux/alpc.h (the uapi header)
#   sbin/alpcctl and share/man/man8/alpcctl.8
# and the udev rule into $DESTDIR$UDEVDIR. The module is installed with
# `make dkms-install`, so that it follows kernel upgrades.
#
#   PREFIX=/usr/local  LIBDIR=$PREFIX/lib  UDEVDIR=/etc/udev/rules.d
set -euo pipefail
. "$(dirname "$0")/common.sh"

PREFIX=${PREFIX:-/usr/local}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
D=${DESTDIR:-}
B=$ALPC_TOP/build
version=$(sed -n 's/^Version: //p' "$ALPC_TOP/libalpcu/alpcu.pc.in")

[ -f "$B/lib/libalpcu.a" ] && [ -f "$B/lib/libalpcu.so.0" ] || die "build the library first: make lib"

install -d "$D$LIBDIR/pkgconfig" "$D$INCLUDEDIR/alpcu" "$D$INCLUDEDIR/linux" "$D$UDEVDIR"
install -m 644 "$B/lib/libalpcu.a" "$D$LIBDIR/"
install -m 755 "$B/lib/libalpcu.so.0" "$D$LIBDIR/"
ln -sf libalpcu.so.0 "$D$LIBDIR/libalpcu.so"
install -m 644 "$ALPC_TOP"/libalpcu/include/alpcu/*.hpp "$D$INCLUDEDIR/alpcu/"
install -m 644 "$ALPC_TOP/include/uapi/linux/alpc.h" "$D$INCLUDEDIR/linux/"
cat >"$D$LIBDIR/pkgconfig/alpcu.pc" <<PC
prefix=$PREFIX
libdir=$LIBDIR
includedir=$INCLUDEDIR

Name: alpcu
Description: C++ library for alpc, Windows-style ALPC ports on Linux
Version: $version
Cflags: -I\${includedir} -std=c++20
Libs: -L\${libdir} -lalpcu
PC
install -m 644 "$ALPC_TOP/packaging/60-alpc.rules" "$D$UDEVDIR/"
if [ -x "$B/vm/tests/alpcctl" ]; then
	install -d "$D$PREFIX/sbin" "$D$PREFIX/share/man/man8"
	install -m 755 "$B/vm/tests/alpcctl" "$D$PREFIX/sbin/"
	install -m 644 "$ALPC_TOP/tools/alpcctl/alpcctl.8" "$D$PREFIX/share/man/man8/"
fi
log "installed into $D$PREFIX"
