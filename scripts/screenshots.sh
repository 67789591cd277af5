#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: the browser tests (test/browser) drive the web chat and the dashboard in
# headless Chromium against a test fleet on a fresh Synapse and save each page they visit. Needs what ./fleet test
# needs (the launcher installs Node, dependencies, Synapse and Chromium when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export FLEET_SCREENSHOTS="$PWD/docs/screenshots"
exec ./fleet test --project browser "$@"
