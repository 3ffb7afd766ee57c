# shellcheck shell=bash
# Source me: `source scripts/pulumi-env.sh`, then use `pulumi` as usual (offline, local state).
# Also used by scripts/pulumi.sh and the tests.
_dvrlab_repo=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
_dvrlab_bin=$(bash "$_dvrlab_repo/scripts/engine/build.sh") || return 1 2>/dev/null || exit 1
export PATH="$_dvrlab_bin:$PATH"
export PULUMI_HOME="${PULUMI_HOME:-$_dvrlab_repo/.pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$_dvrlab_repo/.pulumi-state}"
# The dev stack's secrets (the lab's SSH key) are encrypted with this documented passphrase.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-dvrlab-dev}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# Type checking is `npm run typecheck` (and the tests); the engine only transpiles.
export PULUMI_NODEJS_TRANSPILE_ONLY=true
export DVRLAB_ROOT="$_dvrlab_repo"
mkdir -p "${PULUMI_BACKEND_URL#file://}" "$PULUMI_HOME"
unset _dvrlab_bin _dvrlab_repo
