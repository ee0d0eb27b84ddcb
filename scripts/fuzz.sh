#!/usr/bin/env bash
# Runs a fuzz target for a given time: scripts/fuzz.sh TARGET SECONDS, or scripts/fuzz.sh all
# SECONDS for each target in turn. Needs the nightly toolchain and cargo-fuzz
# (cargo install cargo-fuzz). Targets: yaml json hcl cloudformation run.
#
# One process, one job (-jobs=1 -workers=1): the machines have two shared cores. The limits are
# iamlint's promises: no hang and bounded memory. An input of at most 64 KiB (the size cap is
# 8 MiB, so a blow-up on 64 KiB is the code's) may take at most 2 GiB and 60 s of wall-clock
# time: the slowest seed (testdata/terraform/hostile, every expansion budget at once) takes
# 2.5 s of CPU, and the shared cores stretch that several times. A crash stops libFuzzer; the run restarts for the time left, so one bug does not end
# the session. Crashes go to fuzz/artifacts/TARGET/, logs to $FUZZ_LOGS (default fuzz-logs/).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(run hcl cloudformation yaml json)
if [ $# -ne 2 ]; then
    echo "usage: scripts/fuzz.sh TARGET|all SECONDS (targets: ${targets[*]})" >&2
    exit 2
fi
which=$1 seconds=$2
if [ "$which" = all ]; then
    run=("${targets[@]}")
else
    run=("$which")
fi
logs=${FUZZ_LOGS:-fuzz-logs}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)
[ -d fuzz/corpus/yaml ] || scripts/fuzz-seeds.sh
# No sanitizer: iamlint and its parsers are safe Rust, and without ASan each execution is about
# twice as fast. Debug assertions (-a) turn integer overflows into crashes.
(cd fuzz && cargo +nightly fuzz build -s none -a -O)
root=$(pwd)
bin=$root/fuzz/target/x86_64-unknown-linux-gnu/release
export RAYON_NUM_THREADS=1
for t in "${run[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    start=$(date +%s)
    end=$((start + seconds))
    n=0
    while now=$(date +%s) && [ "$now" -lt "$end" ] && [ "$n" -lt 50 ]; do
        n=$((n + 1))
        # -jobs=1 writes the worker's output to fuzz-0.log in the current directory.
        (cd "$logs" && "$bin/$t" "$root/fuzz/corpus/$t" \
            -artifact_prefix="$root/fuzz/artifacts/$t/" \
            -max_total_time=$((end - now)) -jobs=1 -workers=1 \
            -rss_limit_mb=2048 -timeout=60 -max_len=65536 -print_final_stats=1 \
            >"$logs/$t.$n.out" 2>&1; mv fuzz-0.log "$t.$n.log" 2>/dev/null) || true
    done
    units=$(cat "$logs/$t".*.log 2>/dev/null | awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}')
    echo "$t: $(($(date +%s) - start)) s, $n run(s), $units executions, artifacts: $(ls "fuzz/artifacts/$t" | wc -l)" |
        tee -a "$logs/summary.txt"
done
