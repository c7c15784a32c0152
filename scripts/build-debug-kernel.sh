#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the debug kernel (tinyconfig + scripts/debug-kernel.config) from
# Debian's linux-source-6.1 into $ALPC_CACHE/debug-<hash>, where <hash>
# covers the fragment and the source version. A finished build is reused.
set -euo pipefail
. "$(dirname "$0")/common.sh"

src=$(src_tree)
[ -f "$src/Makefile" ] || die "no kernel source at $src: run scripts/setup.sh"
out=$(debug_dir)
[ -f "$out/.alpc-built" ] && { log "debug kernel cached in $out"; exit 0; }

frag=$(debug_fragment)
log "building the debug kernel in $out (7-10 minutes on 2 cores)"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" olddefconfig >/dev/null

# merge_config only warns when a value does not stick; a debug kernel
# that silently lost KASAN would pass every test, so refuse it.
missing=
while IFS= read -r opt; do
	grep -qx -- "$opt" "$out/.config" || missing="$missing $opt"
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag")
[ -z "$missing" ] || die "options that did not stick in the debug kernel:$missing"

start=$(date +%s)
make -C "$src" O="$out" -j"$(nproc)" bzImage modules_prepare modules >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; die "debug kernel build failed (log: $out/build.log)"; }
cp "$frag" "$out/alpc-fragment.config"
touch "$out/.alpc-built"
log "debug kernel built in $(( $(date +%s) - start )) s: $out/arch/x86/boot/bzImage"
