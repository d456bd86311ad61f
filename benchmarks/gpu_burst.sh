#!/usr/bin/env bash
# One GPU burst: train DisCo and its no-latent twin (blind) side by side on one GPU, then copy the
# results to $OUT. Needs the training cache (git-ignored): run with carry ["cache"].
#
#   bash benchmarks/gpu_burst.sh            # MINUTES=5 per run (both run at once), ~6 min wall
#
# Each run: score stage 70 % (twin 80 %), prior 10 %, confidence 20 % of MINUTES (sampling included).
# $OUT gets (7 files): disco_blind_bundle.pt, twin_blind_bundle.pt (discodock.weights bundles),
# disco_blind.tar.gz, twin_blind.tar.gz (the run folders: config, exports, metrics.csv, Lightning
# checkpoints to resume on CPU), disco_blind.log, twin_blind.log, burst.log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_burst_out}
MINUTES=${MINUTES:-5}
CACHE=${CACHE:-cache/train_blind.pt}
RUNS=${RUNS:-runs/gpu}
PY=${PY:-python}
ACCELERATOR=${ACCELERATOR:-gpu}   # cpu for a local dry run of this script
read -r -a EXTRA <<< "${EXTRA_ARGS:-}"  # more train_docking.py arguments, e.g. "--set model.ns=4"
mkdir -p "$OUT" "$RUNS"
exec > >(tee "$OUT/burst.log") 2>&1

if [ ! -f "$CACHE" ]; then echo "missing $CACHE: build it with benchmarks/build_cache.py and carry 'cache'"; exit 2; fi
$PY - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true

# both runs share the GPU; each gets 4 data workers and 4 threads of the 16 cores
common=(--accelerator "$ACCELERATOR" --max-minutes "$MINUTES" --threads 4
        --set "out_dir=$RUNS" --set "data.cache=$CACHE" --set data.num_workers=4 --set data.batch_size=16
        --set score.log_every_n_steps=5 --set score.ema_decay=0.995 --set confidence.samples_per_complex=4 --set confidence.sampling_steps=20
        --set confidence.sampling_chunk=32 "${EXTRA[@]}")
hard_limit=$(( MINUTES * 60 + 60 ))  # a run that overstays is stopped; what it saved is still packed
start=$(date +%s)
timeout "$hard_limit" $PY benchmarks/train_docking.py --config configs/train_disco.yaml "${common[@]}" > "$OUT/disco_blind.log" 2>&1 &
p1=$!
timeout "$hard_limit" $PY benchmarks/train_docking.py --config configs/train_twin.yaml "${common[@]}" > "$OUT/twin_blind.log" 2>&1 &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
echo "disco rc=$rc1 twin rc=$rc2 after $(( $(date +%s) - start )) s"

for name in disco_blind twin_blind; do
  if [ -d "$RUNS/$name" ]; then
    tar czf "$OUT/$name.tar.gz" --exclude confidence_poses.pt -C "$RUNS" "$name"
    [ -f "$RUNS/$name/bundle.pt" ] && cp "$RUNS/$name/bundle.pt" "$OUT/${name}_bundle.pt"
    tail -n 4 "$RUNS/$name/metrics.csv" 2>/dev/null || true
  fi
done
ls -la "$OUT"
exit $(( rc1 != 0 || rc2 != 0 ))
