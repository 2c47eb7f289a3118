#!/usr/bin/env bash
# clang-format over the native addon's sources (packages/backend-onednn/src/native, style in
# packages/backend-onednn/.clang-format). Default: check (exit 1 on any difference); --fix: rewrite the files.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "clang-format: not installed (bash scripts/setup.sh installs it with apt)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files 'packages/backend-onednn/src/native/*.cc' 'packages/backend-onednn/src/native/*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i --style=file "${files[@]}"
else
  clang-format --dry-run --Werror --style=file "${files[@]}"
  echo "clang-format: ${#files[@]} native files formatted"
fi
