#!/usr/bin/env bash
# `npm run lint`: eslint (typescript-eslint), prettier's check and shellcheck over the repository;
# exit 1 on any finding. `npm run format` rewrites what prettier and eslint --fix can.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
rc=0
echo "[lint] eslint"
npx eslint --max-warnings 0 . || rc=1
echo "[lint] prettier --check"
npx prettier --check --log-level warn . || rc=1
echo "[lint] shellcheck"
git ls-files -z '*.sh' lab/guest/files/init lab/guest/files/rcS | xargs -0 shellcheck -x -S warning || rc=1
exit $rc
