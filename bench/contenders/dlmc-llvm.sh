#!/usr/bin/env bash
# Contender "dlmc-llvm" for the peer benchmarks (shared/bench/peers/run_all.sh runs every
# executable contenders/*.sh as `<name>.sh MODELS_DIR OUT_JSONL ROUND`):
# inference latency of the five reference models compiled by dlmc's llvm backend, batch 1 and 64,
# threads 1 and 2, one JSON line each (schema: `dlmc bench --help`, fields as the peers'),
# appended to OUT_JSONL and echoed on stdout. Outputs are checked against MODELS_DIR/<m>/expected_b<B>.npy
# (max_abs_diff). A configuration that fails appends {"bench":"infer",...,"error":"..."} instead.
# With TRAIN=1 (the default) it also times one compiled training step per model, batch 64
# (`dlmc bench M --train`: SGD lr=0.01 momentum 0.9 + cross-entropy on random labels with a fixed
# seed, as the peers' bench_train), one {"bench":"train",...} line per thread count; a model whose
# step cannot be compiled yet gets a line with an "error" field. TRAIN=0 skips it.
#
# Needs the built tool: run `mvn -B -q package -DskipTests` in the repository first (bin/dlmc
# starts cli/target/dlmc.jar). Works from any directory. One JVM per model and batch size compiles
# once per thread count (the GEMM microkernels are compiled once per JVM); about 2-3 minutes.
#
#   bench/contenders/dlmc-llvm.sh /tmp/bench-models /tmp/dlmc.jsonl 1
#   MODELS="mlp lenet" BATCHES=64 THREADS=1 bench/contenders/dlmc-llvm.sh /tmp/bench-models out.jsonl 1
set -uo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $(basename "$0") MODELS_DIR OUT_JSONL [ROUND]" >&2
  exit 2
fi
MODELS_DIR=$1
OUT=$2
ROUND=${3:-1}
REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
DLMC="$REPO/bin/dlmc"
MODELS=${MODELS:-"mlp lenet resnet20 mobilenet transformer"}
BATCHES=${BATCHES:-"1 64"}
THREADS=${THREADS:-"1,2"}
MIN_TIME=${MIN_TIME:-1.5}
TRAIN=${TRAIN:-1}
TRAIN_BATCH=${TRAIN_BATCH:-64}

if [ ! -f "$REPO/cli/target/dlmc.jar" ]; then
  echo "dlmc-llvm.sh: $REPO/cli/target/dlmc.jar is missing" >&2
  echo "  hint: build it first: (cd $REPO && mvn -B -q package -DskipTests)" >&2
  exit 1
fi
if [ ! -d "$MODELS_DIR" ]; then
  echo "dlmc-llvm.sh: $MODELS_DIR: no such directory (the reference models come from shared/bench/peers/export_models.py)" >&2
  exit 1
fi
mkdir -p "$(dirname "$OUT")"

json_string() {  # a JSON string literal of $1 (one line)
  printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

failed=0
for m in $MODELS; do
  for b in $BATCHES; do
    dir="$MODELS_DIR/$m"
    errf=$(mktemp)
    lines=$("$DLMC" bench "$m" --params "$dir/weights.npz" --input "$dir/input_b$b.npy" --expected "$dir/expected_b$b.npy" \
              --batch "$b" --threads "$THREADS" --min-time "$MIN_TIME" --json 2>"$errf")
    rc=$?
    if [ $rc -eq 0 ] && [ -n "$lines" ]; then
      printf '%s\n' "$lines" | tee -a "$OUT"
    else
      failed=$((failed + 1))
      msg="dlmc bench exited $rc: $(grep -v '^note:' "$errf" | head -n 3)"
      echo "dlmc-llvm.sh: $m batch $b (round $ROUND): $msg" >&2
      for t in ${THREADS//,/ }; do
        printf '{"bench": "infer", "peer": "dlmc-llvm", "model": "%s", "batch": %s, "threads": %s, "error": %s}\n' \
          "$m" "$b" "$t" "$(json_string "$msg")" | tee -a "$OUT"
      done
    fi
    rm -f "$errf"
  done
done
if [ "$TRAIN" = "1" ]; then
  for m in $MODELS; do
    errf=$(mktemp)
    lines=$("$DLMC" bench "$m" --train --batch "$TRAIN_BATCH" --threads "$THREADS" --min-time "$MIN_TIME" --json 2>"$errf")
    rc=$?
    if [ -n "$lines" ]; then
      printf '%s\n' "$lines" | tee -a "$OUT"   # error lines included (exit 3: the step does not compile yet)
      [ $rc -eq 0 ] || failed=$((failed + 1))
    else
      failed=$((failed + 1))
      msg="dlmc bench --train exited $rc: $(grep -v '^note:' "$errf" | head -n 3)"
      echo "dlmc-llvm.sh: $m train batch $TRAIN_BATCH (round $ROUND): $msg" >&2
      for t in ${THREADS//,/ }; do
        printf '{"bench": "train", "peer": "dlmc-llvm", "model": "%s", "batch": %s, "threads": %s, "error": %s}\n' \
          "$m" "$TRAIN_BATCH" "$t" "$(json_string "$msg")" | tee -a "$OUT"
      done
    fi
    rm -f "$errf"
  done
fi
[ $failed -eq 0 ]
