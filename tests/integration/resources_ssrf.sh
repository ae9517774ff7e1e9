#!/usr/bin/env bash
# URL imports pointed at a listener on 127.0.0.1 (directly and through other spellings of a
# loopback address): refused, nothing stored, and the listener sees zero connections.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
start_daemon
wait_ready

"$CONN_COUNT" "$WORK/conns" > "$WORK/port" &
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
LPORT=$(cat "$WORK/port")
[ -n "$LPORT" ] || fail "listener did not start"
# The listener works: a direct connection is counted (then the counter is reset by the baseline).
curl -s -o /dev/null "http://127.0.0.1:$LPORT/probe" || true
BASELINE=$(cat "$WORK/conns")
assert_eq 1 "$BASELINE" "listener counts a direct connection"

for url in "http://127.0.0.1:$LPORT/doc.md" "http://localhost:$LPORT/doc.md" \
           "http://127.1:$LPORT/doc.md" "http://2130706433:$LPORT/doc.md" \
           "http://0x7f000001:$LPORT/doc.md" "http://[::ffff:127.0.0.1]:$LPORT/doc.md" \
           "http://0.0.0.0:$LPORT/doc.md"; do
  http POST /api/v1/resources "{\"path\":\"$url\",\"wait\":true,\"timeout\":10}" > /dev/null
  case "$(status)" in
    400|403) ;;
    *) fail "$url: HTTP $(status) $(cat "$WORK/body")" ;;
  esac
done
http POST /api/v1/resources '{"path":"file:///etc/passwd"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "file:// URL"
http POST /api/v1/resources '{"path":"ftp://127.0.0.1/x"}' > /dev/null
assert_error 400 INVALID_ARGUMENT "ftp URL"
assert_eq "$BASELINE" "$(cat "$WORK/conns")" "connections the listener saw from skald"
assert_eq 0 "$(glob_count default viking://resources '**')" "nodes stored"
ok "7 loopback spellings refused before connecting: the listener saw 0 connections, nothing stored"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
