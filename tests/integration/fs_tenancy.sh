#!/usr/bin/env bash
# Tenancy: what account alpha stores is not there for account beta (dev mode, identity headers),
# in ls, tree, stat, read, abstract, download, and beta's changes never touch alpha's data.
. "$(dirname "$0")/fs_lib.sh"
start_store

S=viking://resources/secret
ACCOUNT=alpha
write_file "$S/plan.md" 'alpha-marker-7f3a' create '"wait":true'
get /api/v1/content/read "uri=$S/plan.md"
assert_eq alpha-marker-7f3a "$(jq_body .result)" "alpha reads its own file"
alpha_vectors=$(vector_records "$S")
[ "$alpha_vectors" -ge 1 ] || fail "alpha's file has no vectors"
ok "account alpha writes $S/plan.md"

ACCOUNT=beta
get /api/v1/fs/ls uri=viking://resources simple=true
expect 200 "" "beta ls"
assert_eq 0 "$(count .result)" "entries beta sees under viking://resources"
get /api/v1/fs/tree uri=viking:// level_limit=10
grep -q alpha-marker "$WORK/body" && fail "alpha's marker in beta's tree"
has_uri .result "$S" && fail "alpha's directory in beta's tree"
get /api/v1/fs/ls "uri=$S"
expect 404 NOT_FOUND "beta ls of alpha's directory"
get /api/v1/fs/stat "uri=$S/plan.md"
expect 404 NOT_FOUND "beta stat"
get /api/v1/content/read "uri=$S/plan.md"
expect 404 NOT_FOUND "beta read"
get /api/v1/content/abstract "uri=$S"
expect 404 NOT_FOUND "beta abstract"
get /api/v1/content/download "uri=$S/plan.md"
expect 404 NOT_FOUND "beta download"
assert_eq 0 "$(vector_records "$S")" "vector records beta sees"
ok "account beta: alpha's data is not there in ls, tree, stat, read, abstract, download, vectors"

write_file "$S/plan.md" 'beta-own-content'
get /api/v1/content/read "uri=$S/plan.md"
assert_eq beta-own-content "$(jq_body .result)" "beta's own file at the same URI"
del /api/v1/fs "uri=$S" recursive=true
expect 200 "" "beta rm of its own copy"
post /api/v1/content/reindex "{\"uri\":\"viking://resources\",\"mode\":\"prune_orphans\"}"
expect 200 "" "beta prune_orphans"
ACCOUNT=alpha
get /api/v1/content/read "uri=$S/plan.md"
expect 200 "" "alpha read after beta's changes"
assert_eq alpha-marker-7f3a "$(jq_body .result)" "alpha's content untouched"
assert_eq "$alpha_vectors" "$(vector_records "$S")" "alpha's vectors untouched"
ok "the same URI in beta is another node: beta's write, rm and prune leave alpha's file and vectors alone"

ACCOUNT=""
get /api/v1/fs/stat "uri=$S/plan.md"
expect 404 NOT_FOUND "default account stat"
ok "without the header (account default) alpha's file is not there either"

stop_store
finish
