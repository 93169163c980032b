# Sourced by the project's scripts: `step "what"` names the step that runs,
# and a failure reports that step and how to retry.
#   SCRIPT=tools/x.sh RETRY_HINT="…"; . tools/steps.sh
STEP=""
step() { STEP=$1; printf '== %s\n' "$1" >&2; }
report_failure() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    printf 'error: %s failed at step: %s (exit %s)\n' "$SCRIPT" "$STEP" "$status" >&2
    printf 'retry: %s  (%s)\n' "$SCRIPT" "$RETRY_HINT" >&2
  fi
}
trap report_failure EXIT
