#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-module.sh LINE [DIR]: builds alpc.ko for a kernel line (6.1, 6.12,
# debug, or host for the running kernel's headers) with W=1, and fails on
# any compiler warning. Without DIR it builds in kmod/ (make module); with
# DIR it builds a fresh copy there, so several lines can coexist. (A fresh
# copy, because an incremental rebuild against Debian's 6.12 headers makes
# objtool process the linked module twice and warn.)
set -euo pipefail
. "$(dirname "$0")/common.sh"

line=$1 dir=${2:+$(realpath -m "$2")}
if [ "$line" = host ]; then
	KDIR=/lib/modules/$(uname -r)/build
	if [ ! -f "$KDIR/Makefile" ]; then
		log "no headers for the running kernel $(uname -r); building for 6.1"
		line=6.1
	fi
fi
if [ "$line" != host ]; then
	env=$(line_env "$line") || die "kernel line $line is not set up"
	eval "$env"
fi

if [ -n "$dir" ]; then
	rm -rf "$dir/kmod" "$dir/include"
	mkdir -p "$dir"
	cp -r "$ALPC_TOP/include" "$dir/include"
	mkdir "$dir/kmod"
	cp "$ALPC_TOP"/kmod/{Kbuild,Makefile,*.c,*.h} "$dir/kmod/"
	M=$dir/kmod
else
	M=$ALPC_TOP/kmod
fi

# The debug kernel's source tree holds a copy of the uapi header
# (scripts/intree-build.sh puts it there), and the kernel's own include
# paths come before the module's: put this tree's header first, or the
# module builds against whichever copy another tree left there.
inc=()
[ "$line" = debug ] && inc=(NOSTDINC_FLAGS="-nostdinc -I$(dirname "$M")/include")

logf=$(mktemp)
trap 'rm -f "$logf"' EXIT
# ALPC_MAKE_ARGS: more kbuild variables, e.g. GCOV_PROFILE=y (scripts/fuzz.sh).
# shellcheck disable=SC2086
make -C "$KDIR" M="$M" CONFIG_ALPC=m W=1 "${inc[@]}" ${ALPC_MAKE_ARGS:-} -j"$(nproc)" modules \
	>"$logf" 2>&1 ||
	{ cat "$logf"; die "module build failed for $line"; }
if grep -q 'warning:' "$logf"; then
	grep -B2 -A6 'warning:' "$logf"
	die "module build for $line has warnings (W=1)"
fi
log "built $M/alpc.ko for $line ($(basename "$KDIR"))"
