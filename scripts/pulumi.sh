#!/usr/bin/env bash
# `npm run up|preview|refresh|destroy [-- args]`: pulumi on the dev stack (or $DVRLAB_STACK),
# offline, creating the stack on first use. Extra arguments pass through (`npm run up -- --yes`).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/pulumi-env.sh
stack=${DVRLAB_STACK:-dev}
pulumi stack select "$stack" --non-interactive 2>/dev/null || pulumi stack init "$stack" --non-interactive >/dev/null
exec pulumi "$@" --stack "$stack"
