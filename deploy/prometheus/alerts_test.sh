#!/bin/bash
# promtool (Debian's prometheus package, deploy/lib/ensure_deps.sh) checks the alert rules'
# syntax and runs their unit tests (alerts_test.yml).
set -euo pipefail
dir="$(dirname "$(readlink -f "$1")")"
command -v promtool >/dev/null || { echo "promtool missing: run deploy/lib/ensure_deps.sh" >&2; exit 1; }
promtool check rules "$dir/alerts.yml"
cd "$dir" && promtool test rules alerts_test.yml
