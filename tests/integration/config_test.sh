#!/usr/bin/env bash
# skald -t: good, broken and missing-plugin configs, and -o overrides.
. "$(dirname "$0")/lib.sh"

expect_t() { # expected_exit needle... (runs skald -t -c $CONF plus $T_ARGS)
  local want="$1"; shift
  set +e
  "$SKALD_BIN" -t -c "$CONF" ${T_ARGS:-} > "$WORK/t.out" 2>&1
  local got=$?
  set -e
  [ "$got" = "$want" ] || fail "skald -t exit $got, expected $want: $(cat "$WORK/t.out")"
  for needle in "$@"; do
    grep -qF -- "$needle" "$WORK/t.out" || fail "skald -t output lacks '$needle': $(cat "$WORK/t.out")"
  done
}

write_config
expect_t 0 "test is successful"
ok "good config: exit 0"

set_key server workers abc
expect_t 1 "$CONF" "[server]" "workers" "abc"
ok "bad value: exit 1 naming file, section and key"

write_config
set_key vector plugin nosuch_plugin
expect_t 1 "$CONF" "[vector]" "plugin" "nosuch_plugin.so"
ok "missing plugin: exit 1 naming file, section and plugin file"

write_config
set_key embedding plugin queue_memory
expect_t 1 "[embedding]" "queue plugin"
ok "plugin of the wrong kind: exit 1"

write_config
set_key embedding dims zero
expect_t 1 "[embedding]" "dims"
ok "a key the plugin rejects: exit 1 naming section and key"

write_config
set_key server bogus_key 1
expect_t 1 "[server]" "bogus_key" "unknown key"
ok "unknown [server] key: exit 1"

write_config
T_ARGS="-o server.workers=abc" expect_t 1 "(-o override)" "workers"
ok "-o with a bad value: exit 1 naming the override"

set_key server workers abc
T_ARGS="-o server.workers=2" expect_t 0 "test is successful"
ok "-o fixing a broken key: exit 0"

set +e
"$SKALD_BIN" -t > /dev/null 2>&1; rc=$?
set -e
assert_eq 2 "$rc" "usage error exit"
ok "usage error: exit 2"
finish
