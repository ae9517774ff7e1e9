#!/usr/bin/env bash
# Rerank on and off: without [rerank] a find is flat and ranked by vector scores; with it, the
# hierarchical mode reranks, so a document holding the query's word outranks ones that only look
# alike to the embedding. A reranker that fails (breaker open) or is slower than the request can
# wait still gets a 200 with exactly the vector scores, a log line and a counted fallback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/find_lib.sh"
write_config "[server]
call_timeout = 2"
drop_section rerank
start_daemon
wait_ready
put_doc viking://resources/r/a.md "descale the kettle. descale it often, descale it well."
put_doc viking://resources/r/b.md "descaled descaling descales descaler kettles"
put_doc viking://resources/r/e.md "descaler descaled descaling"
put_doc viking://resources/r/d.md "Spring garden notes: plant tomatoes, water roses, prune apple trees, mulch beds, and descale."
drain
Q='{"query":"descale","level":2,"include_provenance":true}'

# rank URI: position of a hit in the last answer (best first, from 1).
rank() { py "[h['uri'] for h in sorted(hits, key=lambda h: -h['score'])].index('$1') + 1"; }

find "$Q"
vector_scores=$(py "sorted((h['uri'], h['score']) for h in hits)")
assert_eq 4 "$(py "r['total']")" "four files"
[ "$(rank viking://resources/r/e.md)" -lt "$(rank viking://resources/r/d.md)" ] ||
  fail "without a reranker the look-alike e.md ranks above d.md: $(uris)"
case "$(py "r['provenance'][0]['thinking_trace']")" in quick:*) ;; *) fail "trace: $(py "r['provenance'][0]['thinking_trace']")" ;; esac
assert_eq vector "$(py "' '.join(sorted(set(m['match_reason'] for m in r['provenance'][0]['matched_contexts'])))")" "match reasons"
ok "rerank off: flat search, vector scores"

printf '[rerank]\nplugin = rerank_lexical\n' >> "$CONF"
reload
find "$Q"
assert_eq viking://resources/r/a.md "$(py "sorted(hits, key=lambda h: -h['score'])[0]['uri']")" "best hit"
[ "$(rank viking://resources/r/d.md)" -lt "$(rank viking://resources/r/e.md)" ] ||
  fail "with the reranker d.md (holds 'descale') ranks above e.md: $(uris)"
case "$(py "r['provenance'][0]['thinking_trace']")" in thinking:*reranked*) ;; *) fail "trace: $(py "r['provenance'][0]['thinking_trace']")" ;; esac
assert_eq rerank "$(py "' '.join(sorted(set(m['match_reason'] for m in r['provenance'][0]['matched_contexts'])))")" "match reasons"
has_dir=$(py "'viking://resources/r' in r['provenance'][0]['searched_directories']")
assert_eq True "$has_dir" "the hierarchical search descended into viking://resources/r"
[ "$(py "sorted((h['uri'], h['score']) for h in hits)")" != "$vector_scores" ] || fail "reranked scores equal vector scores"
ok "rerank on: hierarchical search, the lexical match moves up, scores blended"

sed -i 's/^plugin = rerank_lexical$/plugin = test_rerank_fail/' "$CONF"
reload
before=$(plugin_metric rerank retrieval_fallbacks_total)
for i in 1 2 3; do
  find "$Q"
  assert_eq "$vector_scores" "$(py "sorted((h['uri'], h['score']) for h in hits)")" "failing reranker $i: vector scores"
done
case "$(py "r['provenance'][0]['thinking_trace']")" in *"reranker failed"*"breaker open"*) ;; *) fail "trace: $(py "r['provenance'][0]['thinking_trace']")" ;; esac
assert_eq vector "$(py "' '.join(sorted(set(m['match_reason'] for m in r['provenance'][0]['matched_contexts'])))")" "match reasons"
assert_eq $((before + 3)) "$(plugin_metric rerank retrieval_fallbacks_total)" "fallbacks counted"
grep -q 'retrieval: reranker failed, ranking by vector scores.*test_rerank_fail' "$LOG" || fail "no fallback log line"
ok "reranker failing: 200 with vector scores, trace, log line, retrieval_fallbacks_total"

# A reranker slower than the request may wait: it gets half of what is left, then the find goes on.
set_key rerank fail off
set_key rerank delay_ms 60000
reload
before=$(plugin_metric rerank retrieval_fallbacks_total)
find "$Q"
assert_eq "$vector_scores" "$(py "sorted((h['uri'], h['score']) for h in hits)")" "slow reranker: vector scores"
case "$(py "r['provenance'][0]['thinking_trace']")" in *"reranker failed"*deadline*) ;; *) fail "trace: $(py "r['provenance'][0]['thinking_trace']")" ;; esac
assert_eq $((before + 1)) "$(plugin_metric rerank retrieval_fallbacks_total)" "slow fallback counted"
req POST /api/v1/search/search "$Q"
expect 200 "" "search with the slow reranker"
ok "reranker slower than the call deadline: 200 with vector scores before the deadline"

stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit"
finish
