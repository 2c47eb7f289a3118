#!/usr/bin/env bash
# Kill -9 a fast-recipe run in the middle of an epoch, resume it, and check it ends exactly as an uninterrupted run.
#
# Usage: apps/cifar10/scripts/kill-resume.sh SEED KILLED_DIR REFERENCE_DIR [KILL_AFTER_EPOCH] [-- FLAGS...]
#
#   SEED              --seed of both runs
#   KILLED_DIR        --out of the run that is killed and resumed (must not exist yet)
#   REFERENCE_DIR     --out of the uninterrupted run; trained first unless it already holds summary.json
#   KILL_AFTER_EPOCH  kill once KILLED_DIR/checkpoint holds this epoch, KILL_DELAY seconds later, while the next
#                     epoch trains (default 3)
#   FLAGS             more flags for both runs, e.g. --data-dir DIR, --subset 5000 --epochs 3 (default none: the full
#                     recipe, about an hour per run on two cores)
#
# Environment: KILL_DELAY (seconds after the checkpoint, default 20), OMP_NUM_THREADS as for any run.
# Runs `pnpm cifar10 -- --recipe fast --seed SEED --out DIR FLAGS` from the repository root (the killed run in its own
# process group, so pnpm, tsx and node all get SIGKILL), then the same with --resume, then compares the two runs'
# summary.json (testAcc, testAccNoTta, testLoss, testLossNoTta, epochs, params) and model/weights.bin byte for byte.
# Exit status 0 when they are identical, 1 when they differ, 2 on bad usage or when the kill missed its window.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 3 ] || usage
seed=$1; killed=$2; reference=$3; shift 3
kill_after=3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then kill_after=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
extra=("$@")
delay=${KILL_DELAY:-20}
[[ $seed =~ ^[0-9]+$ ]] || { echo "kill-resume: SEED must be a non-negative integer, got '$seed'" >&2; exit 2; }
[[ $kill_after =~ ^[1-9][0-9]*$ ]] || { echo "kill-resume: KILL_AFTER_EPOCH must be a positive integer, got '$kill_after'" >&2; exit 2; }

abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
killed=$(abs "$killed")
reference=$(abs "$reference")
[ -e "$killed" ] && { echo "kill-resume: $killed exists; give a new folder for the killed run" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"

run() { pnpm --silent cifar10 -- --recipe fast --seed "$seed" "$@" "${extra[@]}"; }
checkpoint_epoch() {
  node -e 'try { const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.state.epoch); } catch { console.log(0); }' \
    "$killed/checkpoint/checkpoint.json"
}

if [ ! -f "$reference/summary.json" ]; then
  echo "kill-resume: training the uninterrupted reference run into $reference"
  run --out "$reference"
fi

mkdir -p "$(dirname "$killed")"
log="$killed.log"
echo "kill-resume: starting the run to kill into $killed (log: $log)"
setsid bash -c 'exec "$@"' _ pnpm --silent cifar10 -- --recipe fast --seed "$seed" --out "$killed" "${extra[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill -9 -- "-$pid" 2>/dev/null || true' EXIT
while [ "$(checkpoint_epoch)" -lt "$kill_after" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "kill-resume: the run ended before its epoch-$kill_after checkpoint (see $log)" >&2; exit 2
  fi
  sleep 1
done
sleep "$delay"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "kill-resume: the run finished within ${delay}s of its epoch-$kill_after checkpoint; lower KILL_DELAY or KILL_AFTER_EPOCH" >&2; exit 2
fi
kill -9 -- "-$pid"
wait "$pid" 2>/dev/null || true
trap - EXIT
at=$(checkpoint_epoch)
[ -f "$killed/summary.json" ] && { echo "kill-resume: the run wrote summary.json before the kill; lower KILL_DELAY" >&2; exit 2; }
echo "kill-resume: killed with SIGKILL ${delay}s after the epoch-$kill_after checkpoint (checkpoint at epoch $at; the next epoch was training)"

echo "kill-resume: resuming into $killed"
run --out "$killed" --resume

summary=0
node - "$reference/summary.json" "$killed/summary.json" <<'JS' || summary=1
const fs = require('fs');
const [a, b] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const keys = ['testAcc', 'testAccNoTta', 'testLoss', 'testLossNoTta', 'epochs', 'params'];
let same = true;
for (const k of keys) {
  const eq = a[k] === b[k];
  same &&= eq;
  console.log(`${eq ? 'same' : 'DIFFERENT'}  ${k}: uninterrupted ${a[k]}, killed and resumed ${b[k]}`);
}
console.log(`totalSeconds: uninterrupted ${a.totalSeconds?.toFixed(1)}, killed and resumed ${b.totalSeconds?.toFixed(1)} (the lost part of the killed epoch is not counted)`);
process.exit(same ? 0 : 1);
JS
if cmp -s "$reference/model/weights.bin" "$killed/model/weights.bin"; then
  echo "same  model/weights.bin (byte for byte)"
  weights=0
else
  echo "DIFFERENT  model/weights.bin"
  weights=1
fi
if [ "$summary" -eq 0 ] && [ "$weights" -eq 0 ]; then echo "kill-resume: OK, the resumed run ends exactly as the uninterrupted one"; exit 0; fi
echo "kill-resume: FAILED, the runs differ" >&2
exit 1
