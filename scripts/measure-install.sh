#!/usr/bin/env bash
# Install size as an npm user sees it: `pnpm pack` every published package (the backend's prepack bundles its
# prebuilt; timed), then for each of @cnn/models, @cnn/train, @cnn/deploy and @cnn/backend-onednn an
# `npm install --ignore-scripts` of its tarball (plus the @cnn tarballs it depends on, since they are not on a
# registry) into an empty project outside the workspace. Prints a Markdown table: bytes on disk (du) and file
# count of node_modules. Extra packages a user adds (the tfjs peers) are listed per row.
#
# Usage: bash scripts/measure-install.sh [outdir]   (default: a fresh folder under $TMPDIR; removed at the end)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/cnn-measure-XXXXXX")}"
tarballs="$work/tarballs"
mkdir -p "$tarballs"

# Every package under packages/ that is published (not private), so the closure of each target can be installed.
mapfile -t pkgs < <(cd "$repo/packages" && for d in */; do
  d="${d%/}"
  node -e "const p=require('./$d/package.json'); if (!p.private) console.log('$d')"
done)

for d in "${pkgs[@]}"; do
  start=$(date +%s.%N)
  (cd "$repo/packages/$d" && pnpm pack --pack-destination "$tarballs" >/dev/null)
  end=$(date +%s.%N)
  printf 'packed %-26s in %5.1f s\n' "$d" "$(echo "$end - $start" | bc)" >&2
done

# The tarball of a package name (@cnn/x → cnn-x-<version>.tgz).
tarball() { ls "$tarballs"/"$(echo "$1" | sed 's#^@##; s#/#-#')"-[0-9]*.tgz; }

# The @cnn packages `name` needs at install time (dependencies + optionalDependencies + non-optional peers),
# transitively; with a second argument `noopt`, without optionalDependencies (an install on a platform that has
# no prebuilt package, or with --omit=optional).
closure() {
  node - "$repo" "$1" "${2:-}" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const [repo, start, mode] = process.argv.slice(2);
const byName = {};
for (const d of fs.readdirSync(path.join(repo, 'packages'))) {
  const f = path.join(repo, 'packages', d, 'package.json');
  if (fs.existsSync(f)) { const p = JSON.parse(fs.readFileSync(f, 'utf8')); byName[p.name] = p; }
}
const seen = new Set(), todo = [start];
while (todo.length) {
  const n = todo.pop();
  if (seen.has(n) || !byName[n]) continue;
  seen.add(n);
  const p = byName[n], optPeer = p.peerDependenciesMeta ?? {};
  const deps = { ...p.dependencies, ...(mode === 'noopt' ? {} : p.optionalDependencies) };
  for (const [k] of Object.entries(p.peerDependencies ?? {})) if (!optPeer[k]?.optional) deps[k] = '*';
  for (const k of Object.keys(deps)) if (k.startsWith('@cnn/')) todo.push(k);
}
console.log([...seen].join('\n'));
JS
}

# Non-@cnn peers a user installs next to `name` (required peers of its closure), as name@range.
userPeers() {
  node - "$repo" "$@" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const [repo, ...names] = process.argv.slice(2);
const out = new Map();
for (const d of fs.readdirSync(path.join(repo, 'packages'))) {
  const f = path.join(repo, 'packages', d, 'package.json');
  if (!fs.existsSync(f)) continue;
  const p = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (!names.includes(p.name)) continue;
  for (const [k, v] of Object.entries(p.peerDependencies ?? {}))
    if (!k.startsWith('@cnn/') && !p.peerDependenciesMeta?.[k]?.optional) out.set(k, `${k}@${v.replace(/^\^/, '')}`);
}
console.log([...out.values()].join('\n'));
JS
}

echo
echo '| package | install size | files | packages | peers the user adds |'
echo '| --- | ---: | ---: | ---: | --- |'
for row in @cnn/models @cnn/train @cnn/deploy @cnn/backend-onednn @cnn/backend-onednn:noopt; do
  target="${row%%:*}"
  mode="${row#"$target"}"
  mapfile -t names < <(closure "$target" "${mode#:}")
  files=()
  for n in "${names[@]}"; do files+=("$(tarball "$n")"); done
  mapfile -t peers < <(userPeers "${names[@]}")
  project="$work/project-$(echo "$row" | sed 's#^@##; s#[/:]#-#g')"
  rm -rf "$project" && mkdir -p "$project"
  echo '{"name":"user-project","private":true,"version":"1.0.0"}' >"$project/package.json"
  omit=()
  [ -n "$mode" ] && omit=(--omit=optional)
  (cd "$project" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error "${omit[@]}" "${files[@]}" "${peers[@]}" >/dev/null)
  bytes=$(du -sb "$project/node_modules" | cut -f1)
  count=$(find "$project/node_modules" -type f | wc -l)
  npkgs=$(cd "$project" && npm ls --all --parseable 2>/dev/null | tail -n +2 | sort -u | wc -l)
  label="$target"
  [ -n "$mode" ] && label="$target (no prebuilt: other platforms, --omit=optional)"
  printf '| %s | %.1f MB | %d | %d | %s |\n' "$label" "$(echo "$bytes / 1000000" | bc -l)" "$count" "$npkgs" "${peers[*]:-}"
done
if [ -z "${1:-}" ]; then rm -rf "$work"; fi
