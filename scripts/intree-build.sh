#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Proves the module builds in tree through Kconfig: copies kmod/, Kconfig
# and the uapi header into the debug kernel's source tree as
# drivers/misc/alpc, sets CONFIG_ALPC=m and builds it there with W=1.
set -euo pipefail
. "$(dirname "$0")/common.sh"

src=$(src_tree)
out=$(debug_dir)
[ -f "$out/.alpc-built" ] || die "no debug kernel: run scripts/build-debug-kernel.sh"

dst=$src/drivers/misc/alpc
mkdir -p "$dst"
rsync -a --delete --exclude Makefile --exclude '*.o' --exclude '*.ko' \
	--exclude '*.mod*' --exclude '.*' --exclude Module.symvers \
	--exclude modules.order "$ALPC_TOP/kmod/" "$dst/"
cp "$ALPC_TOP/Kconfig" "$dst/Kconfig"
cp "$ALPC_TOP/include/uapi/linux/alpc.h" "$src/include/uapi/linux/alpc.h"
grep -q 'drivers/misc/alpc/Kconfig' "$src/drivers/misc/Kconfig" ||
	sed -i '$ s|^endmenu$|source "drivers/misc/alpc/Kconfig"\nendmenu|' "$src/drivers/misc/Kconfig"
grep -q 'CONFIG_ALPC' "$src/drivers/misc/Makefile" ||
	echo 'obj-$(CONFIG_ALPC)		+= alpc/' >>"$src/drivers/misc/Makefile"

"$src/scripts/config" --file "$out/.config" --module ALPC
make -s -C "$src" O="$out" olddefconfig
grep -qx 'CONFIG_ALPC=m' "$out/.config" || die "CONFIG_ALPC=m did not stick"

logf=$out/alpc-intree.log
make -C "$src" O="$out" W=1 -j"$(nproc)" drivers/misc/alpc/alpc.ko >"$logf" 2>&1 ||
	{ tail -30 "$logf"; die "in-tree build failed"; }
if grep -q 'warning:' "$logf"; then
	grep -A5 'warning:' "$logf"
	die "in-tree build has warnings"
fi
[ -f "$out/drivers/misc/alpc/alpc.ko" ] || die "in-tree build made no alpc.ko"
log "in-tree build through Kconfig (CONFIG_ALPC=m): $out/drivers/misc/alpc/alpc.ko"
