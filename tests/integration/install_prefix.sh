#!/usr/bin/env bash
# cmake --install into a temporary prefix: the daemon, skaldctl, the plugin checker, the plugins,
# the ABI header and skald-plugin.pc, the unit, the example config and the man pages land where a
# distribution puts them; the out-of-tree example plugin builds against that prefix with
# pkg-config, passes the installed skald-plugin-check, and the installed daemon serves with it,
# the installed skaldctl talking to it.
. "$(dirname "$0")/lib.sh"
: "${SKALD_SOURCE_DIR:?}" "${SKALD_BUILD_DIR:?}"
PREFIX="$WORK/prefix"
cmake --install "$SKALD_BUILD_DIR" --prefix "$PREFIX" > "$WORK/install.out" 2>&1 ||
  { cat "$WORK/install.out"; fail "cmake --install failed"; }
pc=$(find "$PREFIX" -name skald-plugin.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || fail "no skald-plugin.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/skald bin/skaldctl bin/skald-plugin-check include/skald/plugin.h share/skald/skald.service \
         share/skald/skald.ini share/man/man8/skald.8 share/man/man1/skaldctl.1 share/man/man5/skald.ini.5; do
  [ -f "$PREFIX/$f" ] || fail "$f not installed"
done
for p in embed_hash vlm_extractive rerank_lexical vector_flat queue_sqlite queue_memory; do
  [ -f "$libdir/skald/plugins/$p.so" ] || fail "plugin $p not in ${libdir#$PREFIX/}/skald/plugins"
done
[ -x "$PREFIX/bin/skald" ] || fail "bin/skald is not executable"
"$PREFIX/bin/skaldctl" --help > "$WORK/ctl.out" 2>&1 || { cat "$WORK/ctl.out"; fail "installed skaldctl --help failed"; }
grep -q '^usage: skaldctl ' "$WORK/ctl.out" || fail "installed skaldctl --help: $(cat "$WORK/ctl.out")"
grep -q "^ExecStart=$PREFIX/bin/skald " "$PREFIX/share/skald/skald.service" ||
  fail "the installed unit does not run the installed skald: $(grep ExecStart "$PREFIX/share/skald/skald.service")"
ok "binaries, plugins, header, .pc, unit, example config and man pages installed"

cflags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags skald-plugin) || fail "pkg-config does not find skald-plugin"
inc=$(sed -n 's/^-I\([^ ]*\).*/\1/p' <<< "$cflags")
[ "$(cd "$inc" && pwd -P)" = "$(cd "$PREFIX/include" && pwd -P)" ] || fail "pkg-config --cflags '$cflags' is not $PREFIX/include"
cp -r "$SKALD_SOURCE_DIR/docs/example-plugin" "$WORK/example"
PKG_CONFIG_PATH="$(dirname "$pc")" make -s -C "$WORK/example" > "$WORK/make.out" 2>&1 ||
  { cat "$WORK/make.out"; fail "the example plugin does not build against the installed header"; }
ok "docs/example-plugin builds against the prefix with pkg-config --cflags skald-plugin ($cflags)"

"$PREFIX/bin/skald-plugin-check" "$WORK/example/example_embed.so" dims=64 > "$WORK/check.out" 2>&1 ||
  { cat "$WORK/check.out"; fail "the installed skald-plugin-check failed the example plugin"; }
ok "the installed skald-plugin-check passes it: $(tail -n 1 "$WORK/check.out")"

if command -v systemd-analyze >/dev/null; then
  MANPATH="$PREFIX/share/man" systemd-analyze verify "$PREFIX/share/skald/skald.service" > "$WORK/verify.out" 2>&1 ||
    { cat "$WORK/verify.out"; fail "systemd-analyze verify rejected the installed unit"; }
  ok "the installed unit passes systemd-analyze verify, its man pages found under share/man"
fi

cp "$WORK/example/example_embed.so" "$libdir/skald/plugins/"
SKALD_BIN="$PREFIX/bin/skald"
write_config
set_key server plugin_dir "$libdir/skald/plugins"
set_key embedding plugin example_embed
start_daemon
wait_ready
http GET /api/v1/system/status >/dev/null
assert_eq example_embed "$(jq_body .result.plugins[0].name)" "embedding plugin"
http POST /api/v1/debug/embed '{"texts":["out of tree"]}' >/dev/null
assert_eq 200 "$(status)" "embed through the example plugin"
assert_eq 64 "$(jq_body .result.dims)" "dims"
XDG_CONFIG_HOME="$WORK/no-config" "$PREFIX/bin/skaldctl" -u "$BASE" health > "$WORK/ctl.out" 2>&1 ||
  { cat "$WORK/ctl.out"; fail "installed skaldctl health against the installed daemon"; }
grep -qx 'healthy: true' "$WORK/ctl.out" || fail "installed skaldctl health: $(cat "$WORK/ctl.out")"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code"
ok "the installed daemon loads the example plugin from lib/skald/plugins: /ready 200, embeds; the installed skaldctl reaches it"
finish
