#!/usr/bin/env bash
# temp_upload: multipart checks and the size limit (413, no partial file left in the upload dir).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/resources_lib.sh"
write_config
set_key server max_body 64k
start_daemon
wait_ready

uploads_left() { find "$DATA/uploads" -type f 2>/dev/null | wc -l; }

head -c 100000 /dev/zero | tr '\0' 'a' > "$WORK/big.txt"
curl -s -o "$WORK/body" -w '%{http_code}' -F "file=@$WORK/big.txt" \
  "$BASE/api/v1/resources/temp_upload" > "$WORK/status" || true
assert_error 413 PAYLOAD_TOO_LARGE "upload over max_body"
assert_eq 0 "$(uploads_left)" "files in the upload dir after a 413"
ok "upload over the limit: 413 PAYLOAD_TOO_LARGE, nothing left in $DATA/uploads"

printf '# Small\n\nfits.\n' > "$WORK/small.md"
ID=$(upload "$WORK/small.md")
[[ "$ID" =~ ^upload_[0-9a-f]{32}\.md$ ]] || fail "temp_file_id '$ID' has not the upload_<hex>.md form"
assert_eq 2 "$(uploads_left)" "files in the upload dir after one upload (file + name sidecar)"
ok "upload under the limit: temp_file_id $ID, one complete file (and its name) stored"

curl -s -o "$WORK/body" -w '%{http_code}' -F "other=@$WORK/small.md" \
  "$BASE/api/v1/resources/temp_upload" > "$WORK/status" || true
assert_error 400 INVALID_ARGUMENT "multipart without a file part"
curl -s -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data '{}' \
  "$BASE/api/v1/resources/temp_upload" > "$WORK/status" || true
assert_error 400 INVALID_ARGUMENT "not multipart"
assert_eq 2 "$(uploads_left)" "files in the upload dir after bad uploads"
ok "temp_upload without a file part or not multipart: 400, nothing stored"
stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "exit code after SIGTERM (sanitizer reports fail it)"
finish
