#!/usr/bin/env bash
# One GPU burst: train several docking configs side by side on one GPU, then pack the runs into $OUT.
# Needs the training cache (git-ignored): on the device tool, carry ["cache"] (and [".whl"] for e3nn).
#
#   bash benchmarks/gpu_burst.sh NAME=CONFIG[,KEY=VALUE...] ...
#   bash benchmarks/gpu_burst.sh disco_pocket_gpu=configs/train_disco_pocket.yaml \
#        twin_pocket_gpu=configs/train_twin_pocket.yaml
#
# Every job gets the same per-stage wall-clock minutes (SCORE_MIN, PRIOR_MIN, CONF_MIN: the twin has
# no prior stage and does not get its minutes), so a DisCo run and its twin get the same score-stage
# budget. Defaults follow benchmarks/results/gpu_burst_2026-11-27/README.md: on an H200 a pocket step is
# launch-bound (batch 64 costs 1.2x batch 16), compiling takes over a minute per process, and four
# processes on one GPU made ~3 steps/s each; so batch 64, eager, and two jobs (a DisCo run and its twin).
# The score stage's EMA warms up (score.ema_warmup=true): a burst is ~1,000 steps, and the plain 0.999 EMA of
# the 27 Nov burst exported ~40 % of its first step's weights (validation 0.96 vs 0.79 for the raw weights).
# COMPILE=true first runs a 20-step compiled smoke run and falls back to eager if it fails.
# $OUT gets burst.log and NAME.tar.gz per job (config, exports, bundle.pt, metrics, logs, Lightning
# last.ckpt files to resume on CPU).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu_burst_out}
SCORE_MIN=${SCORE_MIN:-5}
PRIOR_MIN=${PRIOR_MIN:-1}
CONF_MIN=${CONF_MIN:-3}         # sampling the training poses alone took 83 s on the H200
CACHE=${CACHE:-cache/train_blind.pt}
RUNS=${RUNS:-runs/gpu}
PY=${PY:-python}
WORKERS=${WORKERS:-5}       # 0.33 s of CPU per batch of 64: >= 2 workers keep a 0.22 s GPU step fed
BATCH=${BATCH:-64}
COMPILE=${COMPILE:-false}
ACCELERATOR=${ACCELERATOR:-gpu}   # cpu for a local dry run of this script
[ $# -gt 0 ] || set -- disco_blind=configs/train_disco.yaml twin_blind=configs/train_twin.yaml
mkdir -p "$OUT" "$RUNS"
exec > >(tee "$OUT/burst.log") 2>&1

if [ ! -f "$CACHE" ]; then echo "missing $CACHE: build it with benchmarks/build_cache.py and carry 'cache'"; exit 2; fi
$PY - <<'PY'
import e3nn, pytorch_lightning, torch
print("torch", torch.__version__, "e3nn", e3nn.__version__, "lightning", pytorch_lightning.__version__,
      "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv 2>/dev/null || true

common=(--accelerator "$ACCELERATOR" --threads 1
        --set "data.cache=$CACHE" --set "data.num_workers=$WORKERS" --set "data.batch_size=$BATCH"
        --set score.max_epochs=1000000 --set score.max_steps=-1 --set score.val_every_n_epochs=10
        --set score.log_every_n_steps=10 --set score.ema_warmup=true --set confidence.sampling_chunk=32 --set prior.max_steps=-1 --set confidence.max_steps=-1
        --set "score.max_minutes=$SCORE_MIN" --set "prior.max_minutes=$PRIOR_MIN" --set "confidence.max_minutes=$CONF_MIN")

compile=false
if [ "$COMPILE" = true ]; then  # smoke: 20 compiled score steps of the first job
  first_config=${1#*=}; first_config=${first_config%%,*}
  if timeout 300 $PY benchmarks/train_docking.py --config "$first_config" "${common[@]}" --stages score \
       --set "out_dir=$RUNS/smoke" --set score.max_steps=20 --set score.compile=true > "$OUT/smoke.log" 2>&1; then
    compile=true
  else
    tail -n 20 "$OUT/smoke.log"; echo "compiled smoke run failed: training eager"
  fi
fi
echo "score.compile=$compile"

start=$(date +%s)
hard_limit=$(python3 -c "print(int(60 * ($SCORE_MIN + $PRIOR_MIN + $CONF_MIN) + 120))")
pids=(); names=()
for job in "$@"; do
  name=${job%%=*}; spec=${job#*=}
  IFS=, read -r -a parts <<< "$spec"
  sets=()
  for kv in "${parts[@]:1}"; do sets+=(--set "$kv"); done
  timeout "$hard_limit" $PY benchmarks/train_docking.py --config "${parts[0]}" "${common[@]}" \
    --set "out_dir=$RUNS" --set "name=$name" --set "score.compile=$compile" "${sets[@]}" > "$OUT/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"; rc=$?
  echo "${names[$i]} rc=$rc after $(( $(date +%s) - start )) s"; [ $rc -eq 0 ] || failed=1
done

for name in "${names[@]}"; do
  [ -d "$RUNS/$name" ] || continue
  mv "$OUT/$name.log" "$RUNS/$name/burst.log"
  tar czf "$OUT/$name.tar.gz" --exclude confidence_poses.pt --exclude best.ckpt --exclude "last-v*.ckpt" -C "$RUNS" "$name"
  grep -h "^score" "$RUNS/$name/metrics.csv" 2>/dev/null | tail -n 1 || true
done
ls -la "$OUT"
exit $failed
