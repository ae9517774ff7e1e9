#!/usr/bin/env bash
# conf/skald.service: Type=notify with reload by SIGHUP, the watchdog and the sandbox, and it
# passes `systemd-analyze verify` (with its binary path pointed at this build, and its
# Documentation= man pages found in docs/man).
. "$(dirname "$0")/lib.sh"
: "${SKALD_SOURCE_DIR:?}"
UNIT_SRC="$SKALD_SOURCE_DIR/conf/skald.service"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (Debian package systemd; .ci/deps.sh installs it)"

for line in 'Type=notify' 'NotifyAccess=main' 'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' \
            'ProtectSystem=strict' 'PrivateTmp=yes' 'ReadWritePaths=/var/lib/skald'; do
  grep -qxF "$line" "$UNIT_SRC" || fail "the unit has no '$line'"
done
grep -qE '^WatchdogSec=[1-9][0-9]*' "$UNIT_SRC" || fail "the unit has no WatchdogSec"
grep -qE '^ExecStart=/usr/bin/skald -c /etc/skald/skald.ini -o server.data_dir=/var/lib/skald$' "$UNIT_SRC" ||
  fail "ExecStart does not run skald on /etc/skald/skald.ini with the data dir it may write"
ok "the unit: Type=notify, NotifyAccess=main, ExecReload=kill -HUP, WatchdogSec, the sandbox"

mkdir -p "$WORK/unit" "$WORK/man/man1" "$WORK/man/man5" "$WORK/man/man8"
sed "s|/usr/bin/skald |$SKALD_BIN |" "$UNIT_SRC" > "$WORK/unit/skald.service"
cp "$SKALD_SOURCE_DIR/docs/man/skald.8" "$WORK/man/man8/"
cp "$SKALD_SOURCE_DIR/docs/man/skald.ini.5" "$WORK/man/man5/"
if ! MANPATH="$WORK/man" systemd-analyze verify "$WORK/unit/skald.service" > "$WORK/verify.out" 2>&1; then
  cat "$WORK/verify.out"; fail "systemd-analyze verify rejected the unit"
fi
[ -s "$WORK/verify.out" ] && { cat "$WORK/verify.out"; fail "systemd-analyze verify printed warnings"; }
ok "systemd-analyze verify passes, man pages included"

# The daemon under the unit's command line shape: -o server.data_dir wins over the file.
write_config
"$SKALD_BIN" -t -c "$CONF" -o "server.data_dir=$WORK/other" 2>>"$LOG" || fail "skald -t with the unit's -o"
ok "skald -t accepts the unit's data_dir override"
finish
