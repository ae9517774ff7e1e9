#!/usr/bin/env bash
# Tenancy of hits, in both retrieval modes: a marker stored by one account is never found by
# another (dev mode, identity headers); in api_key mode a USER or ADMIN never sees another user's
# viking://user/{other} (default targets, explicit targets, the bare viking://user), and the root
# key may not search at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/find_lib.sh"
MARK=ZebraMarker4471

# Every hit of the last find lies where the caller may look.
only_under() { # WHAT PREFIX...
  local what="$1"
  shift
  local prefixes
  prefixes=$(printf "'%s'," "$@")
  assert_eq True "$(py "all(h['uri'].startswith(($prefixes)) for h in hits)")" "$what: $(uris)"
}

write_config
start_daemon
wait_ready
AS_ACCOUNT=acct_a
put_doc viking://resources/a/notes.md "# A notes\n\nThe $MARK of account A lives here."
put_doc viking://user/default/memories/a.md "Account A remembers the $MARK."
AS_ACCOUNT=acct_b
put_doc viking://resources/b/notes.md "# B notes\n\nAccount B writes about zebras and markers."
drain
for mode in thinking quick; do
  AS_ACCOUNT=acct_a
  find "{\"query\":\"$MARK\"}"
  has viking://resources/a/notes.md "$mode: A finds its resource"
  has viking://user/default/memories/a.md "$mode: A finds its memory"
  AS_ACCOUNT=acct_b
  for body in "{\"query\":\"$MARK\"}" "{\"query\":\"$MARK\",\"node_limit\":1000}" \
      "{\"query\":\"$MARK\",\"target_uri\":\"viking://resources/a\"}" \
      "{\"query\":\"$MARK\",\"context_type\":\"memory\",\"score_threshold\":-1}"; do
    find "$body"
    case "$(cat "$WORK/body")" in *"$MARK"*|*resources/a/*) fail "$mode: B sees A's data: $(cat "$WORK/body")" ;; esac
  done
  only_under "$mode: B's hits" viking://resources/b viking://user/default
  ok "$mode: account B never finds account A's marker (default target, A's target, threshold -1)"
  # Now the same without a reranker.
  drop_section rerank
  reload
done
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (dev mode)"

# api_key mode: two users and an admin of acme, a user of another account, a root key.
write_config "[auth]
root_api_key = root-key-7
[keys]
alice = account=acme user=alice key=alice-key-1
bob = account=acme user=bob key=bob-key-2
ada = account=acme user=ada role=admin key=ada-key-3
carol = account=other user=carol key=carol-key-4"
rm -rf "$DATA"
start_daemon
wait_ready
ROOT_KEY=root-key-7
AS_ACCOUNT=""
AS_KEY=alice-key-1
put_doc viking://user/alice/memories/m.md "Alice keeps the $MARK in her memories."
put_doc viking://resources/shared/s.md "# Shared\n\nThe team page mentions the $MARK too."
AS_KEY=bob-key-2
put_doc viking://user/bob/memories/m.md "Bob hides a $MARK of his own."
AS_KEY=ada-key-3
put_doc viking://user/ada/memories/m.md "Ada the admin notes the $MARK as well."
AS_KEY=carol-key-4
put_doc viking://resources/other/c.md "# Carol\n\nCarol of another account has the $MARK."
AS_KEY=root-key-7
drain
for mode in thinking quick; do
  AS_KEY=alice-key-1
  find "{\"query\":\"$MARK\",\"node_limit\":1000,\"score_threshold\":-1}"
  has viking://user/alice/memories/m.md "$mode: alice finds her memory"
  has viking://resources/shared/s.md "$mode: alice finds the account's resources"
  only_under "$mode: alice's default targets" viking://user/alice viking://resources
  for t in '"viking://user"' '"viking://"' '["viking://user","viking://resources"]' '"viking://~"'; do
    find "{\"query\":\"$MARK\",\"node_limit\":1000,\"score_threshold\":-1,\"target_uri\":$t}"
    only_under "$mode: alice with target $t" viking://user/alice viking://resources
    lacks viking://user/bob/memories/m.md "$mode: alice with target $t"
  done
  req POST /api/v1/search/find "{\"query\":\"$MARK\",\"target_uri\":\"viking://user/bob\"}"
  expect 403 PERMISSION_DENIED "$mode: alice targets bob"
  req POST /api/v1/search/find "{\"query\":\"$MARK\",\"target_uri\":[\"viking://resources\",\"viking://user/bob/memories\"]}"
  expect 403 PERMISSION_DENIED "$mode: alice lists bob among targets"
  req POST /api/v1/search/search "{\"query\":\"$MARK\",\"target_uri\":\"viking://user/bob\"}"
  expect 403 PERMISSION_DENIED "$mode: alice searches bob"
  AS_KEY=ada-key-3
  find "{\"query\":\"$MARK\",\"node_limit\":1000,\"score_threshold\":-1,\"target_uri\":\"viking://user\"}"
  only_under "$mode: the admin's user space" viking://user/ada
  req POST /api/v1/search/find "{\"query\":\"$MARK\",\"target_uri\":\"viking://user/alice\"}"
  expect 403 PERMISSION_DENIED "$mode: the admin targets alice"
  AS_KEY=carol-key-4
  find "{\"query\":\"$MARK\",\"node_limit\":1000,\"score_threshold\":-1}"
  only_under "$mode: carol" viking://resources/other viking://user/carol
  has viking://resources/other/c.md "$mode: carol finds her own"
  AS_KEY=root-key-7
  req POST /api/v1/search/find "{\"query\":\"$MARK\"}"
  expect 403 PERMISSION_DENIED "$mode: the root key may not search"
  AS_KEY=""
  req POST /api/v1/search/find "{\"query\":\"$MARK\"}"
  expect 401 UNAUTHENTICATED "$mode: no key"
  ok "$mode: users see their own space and the account's, never another user's or account's; 403 for bob's space, the root key"
  drop_section rerank
  reload
done
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit (api_key mode)"
finish
