#!/bin/sh
# Lint the OpenAPI document at $1 with the pinned Spectral and Redocly (`npm ci` in this folder installs them).
# Exits non-zero on any error or warning either of them reports.
set -eu
document=$(realpath "$1")
cd "$(dirname "$0")"
node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity warn "$document"
# No usage data leaves the machine, and no update notice is looked up.
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint --config redocly.yaml "$document"
