#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh LINE...: the benchmarks behind `make bench`. For each kernel
# line, builds the module, boots the VM in bench mode (scripts/guest/
# bench.sh runs alpc_bench) and keeps its JSON in
# build/bench/results-LINE.json; then merges the lines into
# build/bench/results.json, prints a summary table with alpc's ratios to
# the other transports, and draws latency and throughput plots (PNG and
# SVG) into build/bench/.
#
#   BENCH_ARGS="--quick"              arguments for alpc_bench in the VM
#   BENCH_ARGS="--transports alpc-inline,pipe --sizes 64"
#   VM_TIMEOUT=seconds                per VM (default 1500)
set -uo pipefail
. "$(dirname "$0")/common.sh"

[ $# -gt 0 ] || die "usage: bench.sh LINE..."
B=$ALPC_TOP/build
out=$B/bench
mkdir -p "$out" "$B/vm/tests"
# The guest script reads its arguments from here (vm.sh copies the folder).
printf '%s\n' "${BENCH_ARGS:-}" >"$B/vm/tests/bench.args"

rc=0
jsons=()
for line in "$@"; do
	if ! "$ALPC_TOP/scripts/build-module.sh" "$line" "$B/$line"; then
		rc=1
		continue
	fi
	log "benchmarks on the $line kernel"
	# The JSON block is for the files below, not the terminal.
	VM_TIMEOUT=${VM_TIMEOUT:-1500} "$ALPC_TOP/scripts/vm.sh" bench "$line" |
		sed '/BENCH-JSON-BEGIN/,/BENCH-JSON-END/d' || rc=1
	tr -d '\r' <"$B/vm/$line/results.log" >"$out/results-$line.log"
	json=$out/results-$line.json
	if ! grep -qx BENCH-JSON-END "$out/results-$line.log"; then
		echo "FAIL [$line] bench: no results from the VM"
		rm -f "$json"
		rc=1
		continue
	fi
	sed -n '/^BENCH-JSON-BEGIN$/,/^BENCH-JSON-END$/{//!p}' "$out/results-$line.log" >"$json"
	jsons+=("$line=$json")
done

# vm.sh records the accelerator it used; the guest cannot tell.
accels=()
for line in "$@"; do
	a=$(sed -n 's/^INFO accel=//p' "$B/results/$line.results" 2>/dev/null | tail -1)
	accels+=("$line=${a:-unknown}")
done

if [ ${#jsons[@]} -gt 0 ]; then
	python3 "$ALPC_TOP/scripts/bench-report.py" --out "$out" \
		--accel "${accels[@]}" --json "${jsons[@]}" || rc=1
fi
[ $rc = 0 ] || echo "FAIL bench: see above (VM logs in $B/vm/<line>/)"
exit $rc
