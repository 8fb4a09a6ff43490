#!/usr/bin/env bash
# npm test: the strict type check, then every test tier that runs here.
#   test/cpu  needs no GPU;  test/gpu  runs on any WebGPU adapter (software here);  test/e2e  headless Chromium.
# Usage: scripts/test.sh [cpu|gpu|e2e ...]   (default: typecheck + all tiers)
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=("$@")
if [ ${#tiers[@]} -eq 0 ]; then
  echo "== typecheck (tsc --noEmit, strict)"
  npx tsc --noEmit -p .
  tiers=(cpu gpu e2e)
fi
files=()
for tier in "${tiers[@]}"; do
  while IFS= read -r f; do files+=("$f"); done < <(find "test/$tier" -name '*.test.ts' 2>/dev/null | sort)
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files in: ${tiers[*]}" >&2; exit 1; fi
echo "== node --test (${tiers[*]}): ${#files[@]} files"
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
