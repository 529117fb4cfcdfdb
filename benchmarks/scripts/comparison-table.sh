#!/usr/bin/env bash
# The issue-12 comparison in one script: for W=2 and W=4, float32 SUM at 4K, 1M, 16M and 64M, every iteration
# entered from a barrier, time = median of the slowest rank: Gloo, Open MPI (shared memory and TCP) and ringtrain
# over UDP and over IPC (one shared driver). Run from the repository root after `mvn -B -q -DskipTests package`,
# on an otherwise idle machine; repeat with a second round number to get ranges:
#   benchmarks/scripts/comparison-table.sh [out-dir] [rounds]
set -euo pipefail
out=${1:-comparison}
rounds=${2:-1}
mkdir -p "$out"
bench="java -jar benchmarks/target/ringtrain-bench.jar"
here=$(dirname "$0")
for round in $(seq "$rounds"); do
  for world in 2 4; do
    echo "== round $round W=$world load $(cut -d' ' -f1 /proc/loadavg)"
    "$here/peer-allreduce.sh" "$world" 4K,1M,16M,64M | tee -a "$out/peers.txt"
    for transport in udp ipc; do
      $bench allreduce --world "$world" --transport "$transport" --sizes 4K,1M,16M,64M --p2p-size 0 --broadcast-size 0 \
        --csv "$out/ringtrain-w$world-$transport-r$round.csv" | grep -E '^ +[0-9]' \
        | awk -v w="$world" -v t="$transport" '{printf "ringtrain-%s W=%s size=%s time_us=%s busbw=%s wrong=%s\n", t, w, $1, $5, $7, $8}' \
        | tee -a "$out/ringtrain.txt"
    done
  done
done
