#!/usr/bin/env bash
# `pnpm test:release`: the release path, end to end, through a real registry — as a user outside this workspace
# gets the toolkit.
#
#  1. Verdaccio (the root devDependency) on a free loopback port, its config, storage and users in a temp folder;
#     `@cnn/*` is served only from there, every other package through an uplink to the registry this machine's
#     npm config names (`npm config get registry`, read now: no registry host is written into the repo).
#  2. A throwaway copy of the workspace (git's tracked and unignored files): `pnpm install` from the store,
#     `changeset version`, `pnpm build`, `pnpm -r publish` of every public package (the backend's prepack bundles
#     its prebuilt addon). The real tree is never written.
#  3. In a temp folder outside the workspace, with that registry only (own npm user config, global config and
#     cache): `npm create @cnn/app@latest my-app -- --template folder`, `npm install`, a small folder of 3 classes (15 each)
#     of PNGs, `npx cnn train ./images --epochs 1 --valid-pct 0.2 --image-size 32`, `npx cnn predict --json`,
#     `npx cnn serve` in the background and one `POST /v1/predict`; the answers are checked (class names, the
#     probabilities, predict and serve agreeing on the same image).
#  4. Stops Verdaccio and the server and removes the temp folder (also on failure or Ctrl-C).
#
# Environment: CNN_RELEASE_REUSE_BUILD=1 copies the real tree's dist/ folders instead of building the copy (local
# iterations; CI builds). CNN_RELEASE_KEEP=1 keeps the temp folder for inspection.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
started=$SECONDS
log() { printf '[test:release +%ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() {
  printf '[test:release] FAILED: %s\n' "$*" >&2
  exit 1
}

upstream=$(npm config get registry)
[ -n "$upstream" ] && [ "$upstream" != undefined ] || fail "npm config get registry gave no registry for the uplink"
work=$(mktemp -d "${TMPDIR:-/tmp}/cnn-release.XXXXXX")
verdaccio_pid=""
serve_pid=""
warm_pid=""
stop_group() { # kill a process group started with setsid, then wait for it
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  stop_group "$serve_pid"
  stop_group "$warm_pid"
  stop_group "$verdaccio_pid"
  if [ "${CNN_RELEASE_KEEP:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
  if [ "$status" = 0 ]; then log "passed"; else printf '[test:release] failed (status %s) after %ss\n' "$status" "$((SECONDS - started))" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_http() { # URL SECONDS PID: until URL answers 200, or PID dies, or time runs out
  local url=$1 secs=$2 pid=$3
  for _ in $(seq 1 $((secs * 4))); do
    node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$url" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.25
  done
  return 1
}

# --- 1. Verdaccio ---------------------------------------------------------------------------------------------
port=$(free_port)
registry="http://127.0.0.1:$port/"
mkdir -p "$work/verdaccio/storage"
cat >"$work/verdaccio/config.yaml" <<EOF
storage: $work/verdaccio/storage
auth:
  htpasswd:
    file: $work/verdaccio/htpasswd
uplinks:
  upstream:
    url: $upstream
    timeout: 60s
    max_fails: 5
packages:
  '@cnn/*':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
    proxy: upstream
max_body_size: 300mb
publish:
  allow_offline: true
log: { type: stdout, format: pretty, level: warn }
EOF
log "verdaccio on $registry (uplink: the registry of npm config)"
setsid "$repo/node_modules/.bin/verdaccio" --config "$work/verdaccio/config.yaml" --listen "127.0.0.1:$port" >"$work/verdaccio.log" 2>&1 &
verdaccio_pid=$!
wait_http "${registry}-/ping" 60 "$verdaccio_pid" || {
  cat "$work/verdaccio.log" >&2
  fail "verdaccio did not answer on $registry"
}
# A throwaway user; its token publishes.
token=$(node -e "
fetch(process.argv[1] + '-/user/org.couchdb.user:release-test', {
  method: 'PUT', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'release-test', password: 'release-test-' + process.pid, email: 'release-test@example.invalid' }),
}).then(async (r) => { const b = await r.json(); if (!b.token) throw new Error(r.status + ' ' + JSON.stringify(b)); console.log(b.token); })
  .catch((e) => { console.error(e.message); process.exit(1); });" "$registry") || fail "could not create the registry user"
# npm/pnpm configuration of everything below: this registry only, a fresh cache, no user or global npmrc.
cat >"$work/npmrc" <<EOF
registry=$registry
//127.0.0.1:$port/:_authToken=$token
fund=false
audit=false
update-notifier=false
EOF
: >"$work/npmrc-global"
export npm_config_userconfig="$work/npmrc" npm_config_globalconfig="$work/npmrc-global" npm_config_cache="$work/npm-cache"
export npm_config_registry="$registry" npm_config_yes=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# --- 2. Version, build and publish a throwaway copy ------------------------------------------------------------
ws="$work/workspace"
mkdir -p "$ws"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$ws"
cp "$work/npmrc" "$ws/.npmrc"
log "copied the workspace to $ws; pnpm install (from the store)"
(cd "$ws" && { pnpm install --frozen-lockfile --prefer-offline --ignore-scripts --reporter=silent || fail "pnpm install in the copy failed"; })
# The native addon: the real tree's build (scripts/setup.sh made it), else a source build in the copy.
if [ -f "$repo/packages/backend-onednn/build/Release/onednn_binding.node" ]; then
  cp -a "$repo/packages/backend-onednn/build" "$ws/packages/backend-onednn/"
else
  (cd "$ws" && pnpm --filter @cnn/backend-onednn run build:native)
fi
(cd "$ws" && git init -q && git add -A && git -c user.name=release-test -c user.email=release-test@example.invalid commit -qm snapshot)
log "changeset version"
(cd "$ws" && pnpm exec changeset version >"$work/changeset.log" 2>&1) || {
  cat "$work/changeset.log" >&2
  fail "changeset version failed"
}
# While the copy builds (CPU), fetch the third-party dependencies of the public packages through Verdaccio (network)
# into the temp npm cache, so the user's `npm install` below mostly reads the cache.
mkdir -p "$work/warm"
echo '{ "name": "warm", "private": true }' >"$work/warm/package.json"
warm_deps=$(cd "$ws" && node -e "
const fs = require('node:fs');
const seen = new Map();
for (const d of fs.readdirSync('packages')) {
  const f = 'packages/' + d + '/package.json';
  if (!fs.existsSync(f)) continue;
  const p = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (p.private) continue;
  for (const [n, r] of Object.entries(p.dependencies ?? {})) if (!n.startsWith('@cnn/') && !r.startsWith('workspace:') && !seen.has(n)) seen.set(n, r);
}
console.log([...seen].map(([n, r]) => n + '@' + r).join(' '));")
# shellcheck disable=SC2086 # one word per package
setsid bash -c 'cd "$1" && shift && exec npm install --ignore-scripts --no-audit --no-fund --no-package-lock "$@"' _ "$work/warm" $warm_deps >"$work/warm.log" 2>&1 &
warm_pid=$!
if [ "${CNN_RELEASE_REUSE_BUILD:-}" = 1 ]; then
  log "copying the real tree's dist/ folders (CNN_RELEASE_REUSE_BUILD=1)"
  (cd "$repo" && find packages -mindepth 2 -maxdepth 2 -name dist -type d | tar -T - -cf -) | tar -xf - -C "$ws"
else
  log "pnpm build (the packages under packages/)"
  (cd "$ws" && pnpm exec turbo run build --filter='./packages/*' --output-logs=errors-only) || fail "pnpm build in the copy failed"
fi
log "pnpm -r publish to $registry"
(cd "$ws" && pnpm -r publish --registry "$registry" --no-git-checks --access public --report-summary >"$work/publish.log" 2>&1) || {
  tail -50 "$work/publish.log" >&2
  fail "pnpm -r publish failed"
}
published=$(node -e "const s=require(process.argv[1]);console.log(s.publishedPackages.map(p=>p.name+'@'+p.version).join(' '))" "$ws/pnpm-publish-summary.json")
log "published: $published"
expected=$(cd "$ws" && node -e "
const fs = require('node:fs');
const dirs = fs.readdirSync('packages').map((d) => 'packages/' + d + '/package.json').filter((f) => fs.existsSync(f));
console.log(dirs.map((f) => JSON.parse(fs.readFileSync(f, 'utf8'))).filter((p) => !p.private).map((p) => p.name + '@' + p.version).sort().join(' '));")
[ "$(tr ' ' '\n' <<<"$published" | sort | tr '\n' ' ' | sed 's/ $//')" = "$expected" ] || fail "published ($published) is not every public package ($expected)"
cli_version=$(node -p "require('$ws/packages/cli/package.json').version")

wait "$warm_pid" || log "warming the npm cache failed (see below); the install fetches everything itself: $(tail -3 "$work/warm.log")"
warm_pid=""
# --- 3. A new user's project -----------------------------------------------------------------------------------
home="$work/user"
mkdir -p "$home"
cd "$home"
log "npm create @cnn/app@latest my-app -- --template folder"
npm create @cnn/app@latest my-app -- --template folder >"$work/create.log" 2>&1 || {
  cat "$work/create.log" >&2
  fail "npm create @cnn/app failed"
}
grep -q 'npm run train' "$work/create.log" || fail "npm create printed no next steps: $(cat "$work/create.log")"
cd my-app
node -e "
const p = require('./package.json');
const all = { ...p.dependencies, ...p.devDependencies };
if (JSON.stringify(all).includes('workspace:')) throw new Error('package.json names workspace: ranges: ' + JSON.stringify(all));
if (p.dependencies['@cnn/cli'] !== '^' + process.argv[1]) throw new Error('@cnn/cli ' + p.dependencies['@cnn/cli'] + ', expected ^' + process.argv[1]);
if (p.name !== 'my-app') throw new Error('name ' + p.name);" "$cli_version" || fail "my-app/package.json"
log "npm install"
npm install --no-audit --no-fund >"$work/install.log" 2>&1 || {
  tail -40 "$work/install.log" >&2
  fail "npm install failed"
}
[ "$(node -p "require('@cnn/cli/package.json').version")" = "$cli_version" ] || fail "installed @cnn/cli is not $cli_version"

log "making images/{red,green,blue} (15 PNGs each, 20×20, resized to 32×32)"
node --input-type=module -e "
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
const colours = { red: [200, 30, 30], green: [30, 200, 30], blue: [30, 30, 200] };
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (const [name, rgb] of Object.entries(colours)) {
  mkdirSync('images/' + name, { recursive: true });
  for (let i = 0; i < 15; i++) {
    const px = Buffer.alloc(20 * 20 * 3);
    for (let j = 0; j < px.length; j++) px[j] = Math.max(0, Math.min(255, rgb[j % 3] + Math.round((rand() - 0.5) * 60)));
    await sharp(px, { raw: { width: 20, height: 20, channels: 3 } }).png().toFile('images/' + name + '/' + i + '.png');
  }
}"

log "npx cnn train ./images --epochs 1 --valid-pct 0.2 --image-size 32"
npx cnn train ./images --epochs 1 --valid-pct 0.2 --image-size 32 --out runs/release >"$work/train.log" 2>&1 || {
  tail -40 "$work/train.log" >&2
  fail "cnn train failed"
}
for f in model/model.json history.json summary.json; do [ -f "runs/release/$f" ] || fail "cnn train wrote no runs/release/$f"; done
node -e "
const s = require('./runs/release/summary.json');
for (const k of ['valAcc', 'valLoss']) if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw new Error('summary.json ' + k + ' = ' + s[k]);" ||
  fail "summary.json has no finite valAcc / valLoss"

log "npx cnn predict"
npx cnn predict runs/release/model images/red/0.png images/blue/0.png --json >"$work/predict.json" 2>"$work/predict.log" || {
  cat "$work/predict.log" >&2
  fail "cnn predict failed"
}
node -e "
const a = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
const names = ['blue', 'green', 'red'];
if (!Array.isArray(a) || a.length !== 2 || a[0].file !== 'images/red/0.png') throw new Error('answer ' + JSON.stringify(a));
for (const { top } of a) {
  if (top.length !== 3 || !top.every((t) => names.includes(t.className) && t.probability >= 0 && t.probability <= 1)) throw new Error('top ' + JSON.stringify(top));
  const sum = top.reduce((s, t) => s + t.probability, 0);
  if (Math.abs(sum - 1) > 1e-4 || top[0].probability < top[1].probability) throw new Error('probabilities ' + JSON.stringify(top));
}" "$work/predict.json" || fail "cnn predict answered $(cat "$work/predict.json")"

serve_port=$(free_port)
log "npx cnn serve (port $serve_port) and POST /v1/predict"
setsid npx cnn serve runs/release/model --port "$serve_port" >"$work/serve.log" 2>&1 &
serve_pid=$!
wait_http "http://127.0.0.1:$serve_port/healthz" 120 "$serve_pid" || {
  cat "$work/serve.log" >&2
  fail "cnn serve did not answer /healthz"
}
node -e "
const fs = require('node:fs');
const [port, predictFile] = process.argv.slice(1);
const expected = JSON.parse(fs.readFileSync(predictFile, 'utf8'))[0].top;
fetch('http://127.0.0.1:' + port + '/v1/predict', { method: 'POST', headers: { 'content-type': 'image/png' }, body: fs.readFileSync('images/red/0.png') })
  .then(async (r) => {
    const body = await r.json();
    if (r.status !== 200) throw new Error('HTTP ' + r.status + ' ' + JSON.stringify(body));
    const got = body.predictions;
    if (!Array.isArray(got) || got.length !== 3) throw new Error('predictions ' + JSON.stringify(body));
    // serve folds BatchNorm (optimizeForInference): the same image, the same answer up to rounding
    for (const [i, p] of got.entries()) {
      if (Math.abs(p.probability - expected[i].probability) > 1e-3) throw new Error('serve ' + JSON.stringify(got) + ' vs predict ' + JSON.stringify(expected));
      if (p.label !== expected[i].className && Math.abs(expected[i].probability - (expected[i + 1]?.probability ?? -1)) > 1e-3) throw new Error('serve ' + JSON.stringify(got) + ' vs predict ' + JSON.stringify(expected));
    }
    console.log('POST /v1/predict: ' + JSON.stringify(got));
  })
  .catch((e) => { console.error(e.message); process.exit(1); });" "$serve_port" "$work/predict.json" || {
  cat "$work/serve.log" >&2
  fail "POST /v1/predict"
}
stop_group "$serve_pid"
serve_pid=""
grep -q 'SIGTERM: finishing in-flight requests' "$work/serve.log" || fail "cnn serve did not stop on SIGTERM: $(cat "$work/serve.log")"
cd "$repo"
