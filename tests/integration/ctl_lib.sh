# skaldctl tests: the environment pointing skaldctl at the test daemon, and how to run it.
: "${SKALDCTL_BIN:?}"

# ctl_env: skaldctl talks to $BASE without a key; the user's own skaldctl.ini stays out.
ctl_env() {
  export SKALD_URL="$BASE"
  unset SKALD_API_KEY
  export XDG_CONFIG_HOME="$WORK/no-config"
}

# ctl ARGS...: runs skaldctl; stdout to $WORK/out, stderr to $WORK/err, the exit code to $RC.
ctl() {
  set +e
  "$SKALDCTL_BIN" "$@" > "$WORK/out" 2> "$WORK/err"
  RC=$?
  set -e
}
out() { cat "$WORK/out"; }
err() { cat "$WORK/err"; }
