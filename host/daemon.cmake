# The skald daemon. Everything but main() is a static library so tests can link the parts.
add_library(skald_host STATIC
  config/config.c config/config_auth.c config/config_sessions.c
  auth/identity.c auth/auth_table.c auth/auth_key_spec.c
  uri/viking_uri.c uri/viking_name.c uri/utf8.c
  ingest/ingest_status.c ingest/multipart.c ingest/upload_store.c ingest/import_name.c
  ingest/import_tree.c ingest/doc_type.c ingest/zip_import.c ingest/addr_policy.c
  ingest/url_fetch.c ingest/markdown_split.c ingest/document_import.c
  store/store_sqlite.c store/store_uri.c store/store_node.c store/store_content.c
  store/store_tree.c store/store_write.c store/store_subtree.c store/store_attrs.c
  store/store_tags.c store/store_tasks.c store/store_find.c
  daemon/lockfile.c daemon/control.c daemon/recovery.c daemon/notify.c daemon/watchdog.c
  http/access_log.c metrics/metrics_text.c metrics/metrics_http.c metrics/metrics_process.c
  metrics/routes_metrics.c
  runtime/workers.c runtime/generation.c runtime/queue_migrate.c
  http/server.c http/router.c http/request_args.c http/reply.c http/json_body.c http/waiters.c
  http/routes_system.c http/routes_debug.c
  http/api_call.c http/routes_system_data.c http/routes_fs.c http/routes_content.c
  http/routes_resources.c http/routes_tasks.c http/routes_search_text.c http/routes_observer.c
  http/task_view.c http/queue_view.c http/resource_add.c
  http/fs_entry.c http/index_wait.c http/routes_fs_change.c http/routes_content_write.c
  http/routes_content_reindex.c http/reindex_prune.c
  http/routes_search.c http/routes_skills.c skills/skill_doc.c
  retrieval/retrieval.c retrieval/retrieval_time.c retrieval/retrieval_record.c
  retrieval/retrieval_filter.c retrieval/retrieval_spec.c retrieval/retrieval_targets.c
  retrieval/retrieval_hits.c retrieval/retrieval_scan.c retrieval/retrieval_score.c
  retrieval/retrieval_rerank.c retrieval/retrieval_quick.c retrieval/retrieval_think.c
  retrieval/retrieval_json.c retrieval/retrieval_session.c retrieval/retrieval_plan.c
  pipeline/job.c pipeline/pipeline.c pipeline/summarize.c pipeline/semantic_job.c
  pipeline/embed_job.c pipeline/task_track.c pipeline/rescan.c pipeline/index_sync.c
  session/session_message.c session/session_store.c session/session_job.c
  session/session_liveness.c session/session_lanes.c session/session_engine.c
  session/session_extract.c session/session_memory.c session/session_phase2.c
  session/session_commit.c session/session_policy.c session/session_ops.c
  session/session_view.c session/session_recover.c session/task_cancel.c
  http/session_call.c http/routes_sessions.c http/routes_session_messages.c
  http/routes_lanes.c)
target_link_libraries(skald_host PUBLIC skald_base PkgConfig::MHD PkgConfig::JANSSON PkgConfig::INIH
  PkgConfig::SQLITE3)
target_link_libraries(skald_host PUBLIC PkgConfig::LIBZIP PkgConfig::CURL)
# Plugins are looked for beside the build tree until installed; an installed skald looks in lib/skald/plugins.
target_compile_definitions(skald_host PRIVATE
  SKALD_DEFAULT_PLUGIN_DIR="$<IF:$<BOOL:${SKALD_INSTALL_LAYOUT}>,${CMAKE_INSTALL_FULL_LIBDIR}/skald/plugins,${SKALD_PLUGIN_OUTPUT_DIR}>")

add_executable(skald main.c)
target_link_libraries(skald PRIVATE skald_host)
install(TARGETS skald RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
