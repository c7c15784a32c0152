#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fuzz.sh: make fuzz. Boots a kernel line (FUZZ_KERNEL, default debug)
# with alpc_fuzz as the only test, for FUZZ_DURATION seconds (default
# 1800), from FUZZ_SEED (default: a random one, printed first), with
# FUZZ_PROCS worker processes of FUZZ_THREADS threads (default 4 and 4).
#
# The run fails on a kernel splat (alpc_fuzz watches the kernel log, and
# the guest runner checks it after the run), a hung worker, a module that
# no longer works, fails to unload, or leaks (kmemleak). The last line
# of a failed run says how to repeat it.
#
# On a kernel with CONFIG_GCOV_KERNEL (the debug kernel has it) the
# module is built with GCOV_PROFILE=y, and the run ends with the module's
# line and branch coverage, per file and per function, in
# build/fuzz/coverage.txt (annotated sources: build/fuzz/*.c.gcov).
set -euo pipefail
. "$(dirname "$0")/common.sh"

line=${FUZZ_KERNEL:-debug}
duration=${FUZZ_DURATION:-1800}
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
procs=${FUZZ_PROCS:-4}
threads=${FUZZ_THREADS:-4}
B=$ALPC_TOP/build
out=$B/fuzz
env=$(line_env "$line") || die "kernel line $line is not set up"
eval "$env"

repeat="make fuzz FUZZ_SEED=$seed FUZZ_DURATION=$duration FUZZ_PROCS=$procs FUZZ_THREADS=$threads"
[ "$line" = debug ] || repeat="$repeat FUZZ_KERNEL=$line"
log "fuzz: seed $seed, $duration s on the $line kernel (repeat: $repeat)"

gcov=
grep -qx 'CONFIG_GCOV_KERNEL=y' "$KDIR/.config" 2>/dev/null && gcov=GCOV_PROFILE=y
ALPC_MAKE_ARGS=$gcov "$ALPC_TOP/scripts/build-module.sh" "$line" "$B/$line"
echo "--seed $seed --duration $duration --procs $procs --threads $threads" \
	>"$B/vm/tests/fuzz.args"
rm -rf "$out"
mkdir -p "$out"

rc=0
VM_TIMEOUT=$((duration + 900)) "$ALPC_TOP/scripts/vm.sh" fuzz "$line" || rc=$?

# Coverage: the guest sent each .gcda file base64-encoded, after a
# "GCDA-FILE <debugfs path>" line; the path ends in the object's path
# here, next to its .gcno.
results=$B/vm/$line/results.log
if [ -n "$gcov" ] && grep -q '^GCDA-FILE ' "$results"; then
	tr -d '\r' <"$results" | awk -v dir="$out/gcda" '
		/^GCDA-FILE / { f = dir "/" substr($2, length("/sys/kernel/debug/gcov/") + 1)
				sub(/\/[^\/]*$/, "", f); n = split($2, p, "/")
				cur = f "/" p[n] ".b64"; system("mkdir -p \"" f "\""); next }
		/^GCDA / && cur != "" { print substr($0, 6) >cur }'
	kmod=$B/$line/kmod
	find "$out/gcda" -name '*.gcda.b64' | while read -r f; do
		base64 -d "$f" >"$kmod/$(basename "${f%.b64}")"
	done
	(
		cd "$out"
		for src in "$kmod"/*.c; do
			case $src in *.mod.c) continue ;; esac
			[ -f "${src%.c}.gcda" ] || continue
			gcov -b -f -o "$kmod" "$src" 2>/dev/null
		done
	) >"$out/gcov.log"
	{
		echo "Module coverage after $duration s of alpc_fuzz, seed $seed ($line kernel)."
		echo "Lines executed and branches taken at least once, per file of kmod/:"
		# gcov prints each function's summary, then each file's (sources and the
		# headers they inline); keep the summaries of the module's .c files.
		awk -v dir="$kmod/" '
			/^File / { f = $2; gsub(/'"'"'/, "", f); keep = index(f, dir) == 1 && f ~ /\.c$/
				   sub(/.*\//, "", f); next }
			keep && /^Lines executed:/ { l = $0; sub(/^Lines executed:/, "", l); lines[f] = l }
			keep && /^Taken at least once:/ { t = $0; sub(/^Taken at least once:/, "", t)
							  taken[f] = t; keep = 0 }
			END { for (f in lines) printf "  %-14s lines %-16s branches %s\n", f, lines[f], taken[f] }' \
			"$out/gcov.log" | grep -v ' trace\.c ' | sort
		echo "The module's functions never entered:"
		awk '/^Function / { fn = $2; gsub(/'"'"'/, "", fn) }
		     /^Lines executed:0.00%/ && fn ~ /^alpc_/ { print "  " fn }' \
			"$out/gcov.log" | sort -u
	} >"$out/coverage.txt"
	cat "$out/coverage.txt"
elif [ -n "$gcov" ]; then
	log "no coverage data came back from the guest"
fi

if [ "$rc" != 0 ]; then
	echo "alpc: make fuzz FAILED (seed $seed); console log: $B/vm/$line/console.log"
	echo "alpc: repeat with: $repeat"
fi
exit "$rc"
