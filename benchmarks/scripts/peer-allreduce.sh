#!/usr/bin/env bash
# The peers of the all-reduce comparison, measured the way ringtrain's benchmark measures itself: float32 SUM,
# every iteration entered from a barrier, time = median over iterations of the slowest rank,
# busbw = size / time * 2(W-1)/W. Open MPI 4.1 (shared memory: btl self,vader; TCP over lo: btl self,tcp) and
# PyTorch's Gloo over tcp://127.0.0.1. Each is skipped, with a message, where it is not installed
# (Debian: apt-get install openmpi-bin libopenmpi-dev python3-torch).
#   benchmarks/scripts/peer-allreduce.sh <world> <sizes, e.g. 4K,1M,16M> [mpi-shm|mpi-tcp|gloo ...]
# Prints one line per size: "<peer> W=<w> size=<bytes> time_us=<t> busbw=<GB/s>".
set -euo pipefail
world=${1:?world size}
sizes=${2:?comma-separated sizes}
shift 2
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(mpi-shm mpi-tcp gloo)

bytes() {
  local s=${1^^}; s=${s%IB}; s=${s%B}
  case $s in
    *K) echo $(( ${s%K} << 10 ));; *M) echo $(( ${s%M} << 20 ));; *G) echo $(( ${s%G} << 30 ));; *) echo "$s";;
  esac
}
size_list=""
for s in ${sizes//,/ }; do size_list="$size_list $(bytes "$s")"; done

iterations() { # the same counts as ringtrain's RankProtocol: timed 5..100, warm-up 2..500
  local b=$1
  local t=$(( (512 << 20) / b )); (( t > 100 )) && t=100; (( t < 5 )) && t=5
  local w=$(( (32 << 20) / b )); (( w > 500 )) && w=500; (( w < 2 )) && w=2
  echo "$t $w"
}

work=$(mktemp -d /tmp/ringtrain-peers-XXXXXX)
trap 'rm -rf "$work"' EXIT

run_mpi() {
  local btl=$1 label=$2
  if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
    echo "# $label skipped: Open MPI not installed (apt-get install openmpi-bin libopenmpi-dev)"; return
  fi
  if [ ! -x "$work/allreduce" ]; then
    cat > "$work/allreduce.c" <<'C'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return (x > y) - (x < y); }
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, world; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &world);
  long bytes = atol(argv[1]); int timed = atoi(argv[2]), warm = atoi(argv[3]);
  int n = (int)(bytes / 4);
  float *buf = malloc(bytes); double *t = malloc(sizeof(double) * timed), *slowest = malloc(sizeof(double) * timed);
  long wrong = 0;
  for (int it = 0; it < warm + timed; it++) {
    for (int i = 0; i < n; i++) buf[i] = (float)((rank + i + it) % 8 + 1);
    MPI_Barrier(MPI_COMM_WORLD);
    double s = MPI_Wtime();
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    double e = MPI_Wtime() - s;
    if (it >= warm) t[it - warm] = e;
    for (int i = 0; i < n; i++) { float x = 0; for (int r = 0; r < world; r++) x += (float)((r + i + it) % 8 + 1); if (buf[i] != x) wrong++; }
  }
  MPI_Reduce(t, slowest, timed, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  long all_wrong = 0; MPI_Reduce(&wrong, &all_wrong, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    qsort(slowest, timed, sizeof(double), cmp);
    double us = slowest[timed / 2] * 1e6;
    printf("%.3f %.4f %ld\n", us, bytes / (us * 1e3) * 2.0 * (world - 1) / world, all_wrong);
  }
  MPI_Finalize();
  return 0;
}
C
    mpicc -O2 -o "$work/allreduce" "$work/allreduce.c"
  fi
  for b in $size_list; do
    read -r timed warm <<<"$(iterations "$b")"
    read -r us bw wrong <<<"$(mpirun --allow-run-as-root --oversubscribe -np "$world" --bind-to none \
      --mca btl "$btl" --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
      "$work/allreduce" "$b" "$timed" "$warm" 2>/dev/null | tail -1)"
    echo "$label W=$world size=$b time_us=$us busbw=$bw wrong=$wrong"
  done
}

run_gloo() {
  if ! /usr/bin/python3 -c 'import torch.distributed' 2>/dev/null; then
    echo "# gloo skipped: PyTorch not installed for /usr/bin/python3 (apt-get install python3-torch)"; return
  fi
  cat > "$work/gloo.py" <<'PY'
import os, sys, time, torch, torch.distributed as dist
rank, world, port = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method="tcp://127.0.0.1:" + port, rank=rank, world_size=world)
for arg in sys.argv[4:]:
    nbytes, timed, warm = (int(x) for x in arg.split(":"))
    n = nbytes // 4
    idx = torch.arange(n, dtype=torch.int64)
    times, wrong = [], 0
    for it in range(warm + timed):
        buf = ((idx + rank + it) % 8 + 1).to(torch.float32)
        dist.barrier()
        s = time.perf_counter()
        dist.all_reduce(buf)
        e = time.perf_counter() - s
        if it >= warm:
            times.append(e)
        expected = sum(((idx + r + it) % 8 + 1) for r in range(world)).to(torch.float32)
        wrong += int((buf != expected).sum())
    t = torch.tensor(times, dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    w = torch.tensor([wrong], dtype=torch.int64)
    dist.all_reduce(w)
    if rank == 0:
        us = float(t.sort().values[len(times) // 2]) * 1e6
        print("%d %.3f %.4f %d" % (nbytes, us, nbytes / (us * 1e3) * 2.0 * (world - 1) / world, int(w)), flush=True)
dist.destroy_process_group()
PY
  local specs="" port=$(( 29500 + RANDOM % 1000 ))
  for b in $size_list; do read -r timed warm <<<"$(iterations "$b")"; specs="$specs $b:$timed:$(( warm < 20 ? warm : 20 ))"; done
  local pids=()
  for (( r = 1; r < world; r++ )); do /usr/bin/python3 "$work/gloo.py" "$r" "$world" "$port" $specs >/dev/null 2>&1 & pids+=($!); done
  /usr/bin/python3 "$work/gloo.py" 0 "$world" "$port" $specs 2>/dev/null | while read -r b us bw wrong; do
    echo "gloo W=$world size=$b time_us=$us busbw=$bw wrong=$wrong"
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}

for peer in "${peers[@]}"; do
  case $peer in
    mpi-shm) run_mpi self,vader mpi-shm;;
    mpi-tcp) run_mpi self,tcp mpi-tcp;;
    gloo) run_gloo;;
    *) echo "unknown peer $peer: use mpi-shm, mpi-tcp or gloo" >&2; exit 2;;
  esac
done
