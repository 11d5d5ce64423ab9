#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run one libFuzzer target: run_fuzz.sh check|long TARGET SECONDS
#   check: replay every input under tests/fuzz/regressions/TARGET/ (each must
#          pass, except those listed in tests/fuzz/regressions/KNOWN, which are
#          expected to fail until their bug is fixed), then fuzz SECONDS from
#          the seeds with a fixed seed.
#   long:  fuzz SECONDS, keeping the working corpus in build/fuzz/work/TARGET.
# A crash leaves its input in build/fuzz/crash/TARGET/.  One summary line per
# run is appended to build/fuzz/summary-MODE.txt.
set -u
mode=$1 t=$2 secs=$3
out=build/fuzz
bin=$out/fuzz_$t
reg=tests/fuzz/regressions/$t
known=tests/fuzz/regressions/KNOWN
mkdir -p "$out/work/$t" "$out/crash/$t" "$out/log"
seeds="tests/fuzz/corpus/$t"
[ "$t" = kmod_seq ] && seeds="$seeds kmod/tests/fuzz-corpus"
log=$out/log/$t-$mode.log
fail=0 xfail=0 replayed=0

if [ "$mode" = check ] && [ -d "$reg" ]; then
	for f in "$reg"/*; do
		[ -f "$f" ] || continue
		replayed=$((replayed + 1))
		name="$t/$(basename "$f")"
		if "$bin" "$f" >"$out/log/replay.log" 2>&1; then
			if grep -qx "$name" "$known" 2>/dev/null; then
				echo "fuzz: $name passes now: its bug is fixed, remove it from $known"
			fi
		elif grep -qx "$name" "$known" 2>/dev/null; then
			xfail=$((xfail + 1))
			echo "fuzz: $name still fails (known bug, see $known)"
		else
			echo "fuzz: regression $name FAILS:"; tail -n 20 "$out/log/replay.log"; fail=1
		fi
	done
fi

# While a target has open known bugs, its harness skips their input classes.
if grep -q "^$t/" "$known" 2>/dev/null; then
	export FUZZ_KNOWN_BUGS=1
	echo "fuzz: $t has open known bugs ($known): their input classes are skipped"
fi

# -seed fixes the run in check mode; long runs take a random seed.
extra=""
[ "$mode" = check ] && extra="-seed=1"
[ "$mode" = check ] && work="$out/work/$t-check" || work="$out/work/$t"
[ "$mode" = check ] && rm -rf "$work" && mkdir -p "$work"
# shellcheck disable=SC2086
"$bin" $extra -max_total_time="$secs" -max_len=2048 -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix="$out/crash/$t/" -print_final_stats=1 "$work" $seeds >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
corp=$(ls "$work" | wc -l)
if [ $rc -ne 0 ]; then
	echo "fuzz: $t FOUND A FAILURE (see $log; input in $out/crash/$t/):"
	grep -m 5 -E 'ERROR|SUMMARY|runtime error|deadly' "$log"
	fail=1
fi
line="$t: ${execs:-?} executions in ${secs}s, coverage ${cov:-?} edges, corpus $corp, regressions replayed $replayed (known failing $xfail), $( [ $fail = 0 ] && echo ok || echo FAILED)"
echo "$line" >>"$out/summary-$mode.txt"
exit $fail
