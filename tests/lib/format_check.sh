#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted as the repository's .clang-format says
# (clang-format --dry-run -Werror). Prints one PASS/FAIL line, and on failure the files to fix
# with `clang-format -i`. Run from anywhere inside the clone.
set -uo pipefail
cd "$(git rev-parse --show-toplevel)" || exit 1
if ! command -v clang-format >/dev/null; then
  echo "FAIL clang-format: not installed (deploy/lib/ensure_deps.sh installs it)"
  exit 1
fi
total=$(git ls-files '*.cc' '*.h' | wc -l)
# One clang-format per 50 files; a file that differs is named in a "warning:" line.
mapfile -t bad < <(git ls-files -z '*.cc' '*.h' |
  xargs -0 -n 50 clang-format --dry-run -Werror 2>&1 >/dev/null |
  sed -nE 's/^([^:]+):[0-9]+:[0-9]+: (warning|error):.*/\1/p' | sort -u)
if ((${#bad[@]} == 0)); then
  echo "PASS clang-format: $total C++ files formatted"
else
  echo "FAIL clang-format: ${#bad[@]} of $total C++ files differ (clang-format -i them): ${bad[*]:0:20}"
  exit 1
fi
