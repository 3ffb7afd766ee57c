#!/usr/bin/env bash
# `npm test`: type check and lint (eslint, prettier, shellcheck), then every mocha test (unit,
# integration against a real sshd, lab, end to end with the real pulumi CLI). Brings the lab up for the tests that need it and takes it
# down again at the end (even on failure) if it was not up before. Extra args go to mocha
# (e.g. `npm test -- -g LinuxBridge`).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1

bash scripts/engine/build.sh >/dev/null || { echo "engine missing: run bash scripts/setup.sh"; exit 1; }
echo "[test] type check"
npx tsc --noEmit -p . || exit 1
echo "[test] lint"
bash scripts/lint.sh || exit 1

lab_started=0
if [ -f lab/lab.sh ] && [ "${DVRLAB_SKIP_LAB:-0}" != 1 ]; then
    # status exits 0 only when all three hosts are healthy: then the lab (and any stack on it) stays
    if ! bash lab/lab.sh status >/dev/null 2>&1; then
        echo "[test] lab:up"
        bash lab/lab.sh up || { echo "[test] lab:up failed"; exit 1; }
        lab_started=1
    fi
    export DVRLAB_LAB_UP=1
fi
# Quiet unless it fails: the test runner's summary stays the last line.
cleanup() {
    if [ $lab_started = 1 ]; then
        out=$(bash lab/lab.sh down 2>&1) || { echo "[test] lab:down failed:"; echo "$out"; }
    fi
}
trap cleanup EXIT

npx mocha 'test/**/*.test.ts' "$@"
