#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): this package, from the action's own checkout
# (the commit the workflow pinned in `uses:`), into a private virtual environment whose bin/
# goes on PATH for the next steps. Every dependency comes from action/requirements.lock, pinned
# and hash-checked (`--require-hashes`), never resolved afresh: a supply-chain gate installs
# itself the way it asks vendors to ship. The caller's Python is left untouched: the venv is
# made with the interpreter setup-python installed without changing the job's environment.
set -euo pipefail
: "${GITHUB_ACTION_PATH:?set by the runner}" "${RUNNER_TEMP:?set by the runner}"
: "${GITHUB_PATH:?set by the runner}" "${PROVENANCE_PYTHON:?the interpreter to build the venv with}"
venv="$RUNNER_TEMP/provenance-venv"
"$PROVENANCE_PYTHON" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --disable-pip-version-check --quiet)
# 1. The locked set (including the build backend), hashes required, nothing else.
"${pip[@]}" --require-hashes --no-deps -r "$GITHUB_ACTION_PATH/action/requirements.lock"
# 2. This package, built with the locked backend; its dependencies are all in the venv.
"${pip[@]}" --no-deps --no-build-isolation "$GITHUB_ACTION_PATH"
echo "$venv/bin" >> "$GITHUB_PATH"
"$venv/bin/provenance" --version
