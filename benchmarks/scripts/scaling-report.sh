#!/usr/bin/env bash
# Reproduces the figures quoted in the issues' closing notes: all-reduce tables (W=2 and W=4, UDP and IPC),
# the reduce kernel against a copy, the training run with 1, 2 and 4 workers, and the checkpoint benchmark.
# Run from the repository root after `mvn -B -q -DskipTests package`, on an otherwise idle machine:
#   benchmarks/scripts/scaling-report.sh [out-dir]
set -euo pipefail
out=${1:-scaling-report}
mkdir -p "$out"
bench="java -jar benchmarks/target/ringtrain-bench.jar"
ringtrain="java -jar coordinator/target/ringtrain.jar"

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/machine.txt"

for world in 2 4; do
  for transport in udp ipc; do
    echo "== all-reduce W=$world $transport"
    $bench allreduce --world "$world" --transport "$transport" --sizes 4K,64K,1M,16M,64M,256M \
      --csv "$out/allreduce-w$world-$transport.csv" --plot "$out/allreduce-w$world-$transport.png" \
      | tee "$out/allreduce-w$world-$transport.txt"
  done
done

for transport in udp ipc; do
  echo "== all-reduce W=4 $transport, iterations back to back"
  $bench allreduce --world 4 --transport "$transport" --sizes 4K,64K,1M,16M,64M --p2p-size 0 --back-to-back \
    | tee "$out/allreduce-w4-$transport-back-to-back.txt"
done

echo "== reduce kernel (float32 a += b over 64 MiB) against a copy of the same size"
$bench jmh -- ReduceKernel -f 1 -wi 3 -i 5 | tee "$out/jmh.txt" | grep -E '^(Benchmark|ReduceKernel)'

for workers in 1 2 4; do
  echo "== ringtrain local --workers $workers"
  rm -rf "$out/ckpt-$workers"
  $ringtrain local --workers "$workers" --checkpoint-dir "$out/ckpt-$workers" --log-dir "$out/logs" \
    --summary-json "$out/local-w$workers.json" | tee "$out/local-w$workers.txt" | sed -n '/finished/,$p'
done

echo "== checkpoints: directory and S3 (embedded S3Proxy on 127.0.0.1)"
$bench checkpoint --sizes 256M,1G --writers 4 --iterations 3 --s3 | tee "$out/checkpoint.txt"
