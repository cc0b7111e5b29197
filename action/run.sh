#!/usr/bin/env bash
# The GitHub Action's vet step (action.yml). Inputs come as INPUT_* environment variables.
#
# 1. Check the inputs (exit 2 on a bad one, as the CLI does).
# 2. `provenance vet` for a directory or an archive, `provenance verify --segment` for a
#    single file; Markdown, SARIF and JSON reports (and the requested format) into
#    $RUNNER_TEMP/provenance/. GitHub's workflow commands are suspended meanwhile, so a
#    vendor's file name printed in the log cannot issue one.
# 3. The decision is read from the JSON report and must agree with the exit code; anything
#    else (no report, exit 2, a mismatch) fails the step (fail closed).
# 4. The Markdown report is appended to $GITHUB_STEP_SUMMARY; decision, report-path and
#    sarif-path go to $GITHUB_OUTPUT.
# 5. Exit 1 on deny when fail-on-deny is true.
set -euo pipefail

# An annotation's message escaped as GitHub's workflow commands require (%, CR, LF), so text
# from a delivery (a file name in an error line) cannot end the command or start another.
fail() {
    local message=${1//%/%25}
    message=${message//$'\r'/%0D}
    echo "::error title=provenance::${message//$'\n'/%0A}"
    exit "${2:-2}"
}

: "${GITHUB_OUTPUT:?set by the runner}" "${GITHUB_STEP_SUMMARY:?set by the runner}"
: "${RUNNER_TEMP:?set by the runner}"

# 1. inputs
path=${INPUT_PATH:-}
policy=${INPUT_POLICY:-}
segment=${INPUT_SEGMENT:-}
format=${INPUT_FORMAT:-html}
fail_on_deny=${INPUT_FAIL_ON_DENY:-true}
[ -n "$path" ] || fail "input path: expected an artifact or a delivery, got nothing"
[ -n "$policy" ] || fail "input policy: expected a policy file, got nothing"
[ -n "$segment" ] || fail "input segment: expected a segment of the policy, got nothing"
[ -e "$path" ] || fail "input path: expected an existing file or directory, got '$path'"
case "$format" in
    text) extension=txt ;;
    json | sarif | html) extension=$format ;;
    junit) extension=xml ;;
    markdown) extension=md ;;
    *) fail "input format: expected text, json, sarif, junit, markdown or html, got '$format'" ;;
esac
case "$fail_on_deny" in
    true | false) ;;
    *) fail "input fail-on-deny: expected true or false, got '$fail_on_deny'" ;;
esac

# 2. run
out="$RUNNER_TEMP/provenance"
mkdir -p "$out"
summary="$out/summary.md"
sarif="$out/report.sarif"
json="$out/report.json"
report="$out/report.$extension"
rm -f "$summary" "$sarif" "$json" "$report"

is_delivery=false
if [ -d "$path" ]; then
    is_delivery=true
else
    case "$path" in
        *.zip | *.tar | *.tar.gz | *.tgz | *.tar.xz | *.txz) is_delivery=true ;;
    esac
fi
if [ "$is_delivery" = true ]; then
    command=(provenance vet "$path" --policy "$policy" --segment "$segment")
else
    command=(provenance verify "$path" --policy "$policy" --segment "$segment")
fi
command+=(--report "markdown=$summary" --report "sarif=$sarif" --report "json=$json")
case "$format" in
    markdown) report=$summary ;;
    sarif) report=$sarif ;;
    json) report=$json ;;
    *) command+=(--report "$format=$report") ;;
esac

token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
echo "::stop-commands::$token"
errors="$out/stderr.txt"
set +e
"${command[@]}" 2> "$errors"
code=$?
set -e
cat "$errors" >&2 # the verdict lines, in the log (commands still stopped)
echo "::$token::"

# 3. the decision, from the JSON report, agreeing with the exit code
if [ "$code" -gt 1 ]; then
    # The first line that says what went wrong ("error: ...", "internal error ..."), escaped
    # by the CLI already, in the annotation and the job summary.
    first=$(grep -m1 -E '^(error:|internal error|FAIL:)' "$errors" || true)
    why="provenance could not run as asked (exit $code): ${first:-see the log above}"
    printf '## provenance: could not decide\n\n%s\n' "$why" >> "$GITHUB_STEP_SUMMARY"
    fail "$why"
fi
[ -s "$json" ] || fail "provenance wrote no JSON report to $json"
decision=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["decision"])' "$json")
case "$decision:$code" in
    allow:0 | deny:1) ;;
    *) fail "decision '$decision' disagrees with exit code $code" ;;
esac

# 4. summary and outputs
if [ -s "$summary" ]; then
    cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi
{
    echo "decision=$decision"
    echo "report-path=$report"
    echo "sarif-path=$sarif"
} >> "$GITHUB_OUTPUT"

# 5. verdict
if [ "$decision" = deny ]; then
    if [ "$fail_on_deny" = true ]; then
        fail "denied for $segment (see the job summary)" 1
    fi
    echo "::warning title=provenance::denied for $segment; fail-on-deny is false"
fi
