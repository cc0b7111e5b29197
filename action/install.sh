#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): this package, from the action's own
# checkout (the commit the workflow pinned in `uses:`), into a private virtual environment
# whose bin/ goes on PATH for the next steps; no script is downloaded and piped to a shell.
set -euo pipefail
: "${GITHUB_ACTION_PATH:?set by the runner}" "${RUNNER_TEMP:?set by the runner}"
: "${GITHUB_PATH:?set by the runner}"
venv="$RUNNER_TEMP/provenance-venv"
python -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"
echo "$venv/bin" >> "$GITHUB_PATH"
"$venv/bin/provenance" --version
