#!/usr/bin/env bash
# Skills round trip: add (a SKILL.md string, an object, an uploaded .md, an uploaded .zip with
# auxiliary files, into the user's or the agent's root, wait or task), list, get (content,
# layers, files), find (skills/find and find with context_type skill), validate (strict and
# lenient), update (replacing files and their vectors), delete (vectors forgotten), the refusals,
# and tenancy between accounts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/find_lib.sh"
MAKE_ZIP="$SKALD_TOOLS_DIR/skald-make-zip"
write_config
start_daemon
wait_ready
AS_ACCOUNT=acct_s

upload_file() { # FILE: prints the temp_file_id
  curl -s -o "$WORK/body" -w '%{http_code}' -H "X-OpenViking-Account: $AS_ACCOUNT" -F "file=@$1" \
    "$BASE/api/v1/resources/temp_upload" > "$WORK/status"
  expect 200 "" "temp_upload $1"
  jq_body .result.temp_file_id
}

KETTLE='---\nname: kettle-care\ndescription: Descale and clean electric kettles with vinegar\ntags: [home, kitchen]\n---\n\n# Kettle care\n\nFill with vinegar, boil, rinse twice.\n'
req POST /api/v1/skills "{\"data\":\"$KETTLE\",\"wait\":true,\"timeout\":60}"
expect 200 "" "add from a SKILL.md string"
assert_eq "success|viking://user/default/skills/kettle-care|kettle-care|0" \
  "$(py "'|'.join(str(r[k]) for k in ('status', 'uri', 'name', 'auxiliary_files'))")" "add result"
assert_eq 0 "$(py "r['queue_status']['Embedding']['error_count']")" "processed without errors"
req GET /api/v1/skills/kettle-care
expect 200 "" "get kettle-care"
assert_eq "skill|kettle-care|Descale and clean electric kettles with vinegar|home kitchen" \
  "$(py "'|'.join(str(x) for x in (r['type'], r['name'], r['description'], ' '.join(r['tags'])))")" "get summary"
assert_eq viking://user/default/skills/kettle-care/SKILL.md "$(py "r['skill_md_uri']")" "skill_md_uri"
case "$(py "r['content']")" in *"Fill with vinegar"*) ;; *) fail "content: $(py "r['content']")" ;; esac
assert_eq True "$(py "len(r['abstract']) > 0 and len(r['overview']) > 0")" "L0/L1 generated"
assert_eq "SKILL.md:definition" "$(py "' '.join(f['path'] + ':' + f['kind'] for f in r['files'])")" "files"
req GET "/api/v1/skills/kettle-care?level=0&include_files=false"
assert_eq "False False True" "$(py "' '.join(str(k in r) for k in ('overview', 'files', 'abstract'))")" "level 0 only"
assert_eq False "$(py "'content' in r")" "no content at level 0"
ok "add from a SKILL.md string (wait): stored, processed, get with content, layers and files"

req POST /api/v1/skills '{"data":{"name":"tea-brewing","description":"Brew green tea at 80 degrees","content":"# Tea\n\nSteep two minutes."}}'
expect 200 "" "add from an object"
task=$(py "r['task_id']")
drain
req GET "/api/v1/tasks/$task"
expect 200 "" "the add_skill task"
assert_eq "add_skill completed" "$(py "r['task_type'] + ' ' + r['status']")" "task done"
printf -- '---\nname: pour-over\ndescription: Make pour-over coffee\n---\n\nGrind medium-fine.\n' > "$WORK/SKILL.md"
req POST /api/v1/skills "{\"temp_file_id\":\"$(upload_file "$WORK/SKILL.md")\",\"wait\":true}"
expect 200 "" "add from an uploaded SKILL.md"
"$MAKE_ZIP" "$WORK/descaler.zip" "descaler/SKILL.md=---
name: descaler
description: Descale coffee machines and kettles with citric acid
---

Run scripts/descale.sh." "descaler/scripts/descale.sh=echo citric acid" "descaler/README.md=Notes on descaling"
req POST /api/v1/skills "{\"temp_file_id\":\"$(upload_file "$WORK/descaler.zip")\",\"wait\":true,\"target_uri\":\"viking://agent/skills\"}"
expect 200 "" "add from an uploaded zip into the agent's root"
assert_eq "viking://agent/skills/descaler 2" "$(py "r['uri'] + ' ' + str(r['auxiliary_files'])")" "zip skill"
req GET /api/v1/skills/descaler
assert_eq "README.md:auxiliary SKILL.md:definition scripts/descale.sh:auxiliary scripts:directory" \
  "$(py "' '.join(sorted(f['path'] + ':' + f['kind'] for f in r['files']))")" "zip files"
ok "add from an object (task completes), an uploaded .md, an uploaded .zip with auxiliary files into viking://agent/skills"

req GET /api/v1/skills
expect 200 "" "list"
assert_eq "viking://user/default/skills viking://agent/skills" "$(py "r['root_uris']")" "root_uris"
assert_eq "kettle-care pour-over tea-brewing descaler" "$(py "[s['name'] for s in r['skills']]")" "user skills, then agent skills"
assert_eq 4 "$(py "r['total']")" "total"
req GET "/api/v1/skills?target_uri=viking://agent/skills"
assert_eq "viking://agent/skills descaler" "$(py "r['root_uri'] + ' ' + ' '.join(s['name'] for s in r['skills'])")" "list of one root"
req GET "/api/v1/skills?node_limit=2"
assert_eq 2 "$(py "r['total']")" "node_limit"
ok "list: both roots in order, one root, node_limit"

req POST /api/v1/skills/find '{"query":"descale a kettle with vinegar"}'
expect 200 "" "skills/find"
assert_eq kettle-care "$(py "r['skills'][0]['name']")" "best skill"
assert_eq True "$(py "all(k in r['skills'][0] for k in ('score', 'level', 'abstract', 'description', 'uri', 'match_reason'))")" "summary fields"
assert_eq True "$(py "len(set(s['uri'] for s in r['skills'])) == len(r['skills'])")" "one summary per skill"
assert_eq True "$(py "'descaler' in [s['name'] for s in r['skills']]")" "the agent's skill too"
req POST /api/v1/skills/find '{"query":"descale","target_uri":"viking://agent/skills","limit":5}'
assert_eq "descaler" "$(py "' '.join(sorted(set(s['name'] for s in r['skills'])))")" "skills/find in one root"
find '{"query":"descale a kettle with vinegar","context_type":"skill","target_uri":["viking://user/default/skills","viking://agent/skills"]}'
assert_eq True "$(py "len(r['skills']) > 0 and not r['resources'] and not r['memories']")" "find with context_type skill"
assert_eq skill "$(py "r['skills'][0]['context_type']")" "context_type of a skill hit"
ok "find: skills/find over both roots and one, find with context_type skill"

req POST /api/v1/skills/validate '{"data":"---\nname: Bad Name\ndescription: d\n---\nbody","skill_dir_name":"other"}'
expect 200 "" "validate lenient"
assert_eq "True 0 2" "$(py "' '.join(str(x) for x in (r['valid'], len(r['errors']), len(r['warnings'])))")" "lenient: warnings"
req POST /api/v1/skills/validate '{"data":"---\nname: Bad Name\ndescription: d\n---\nbody","strict":true}'
assert_eq "False name_allowed_characters" "$(py "str(r['valid']) + ' ' + ' '.join(e['rule'] for e in r['errors'])")" "strict: errors"
req POST /api/v1/skills/validate '{"data":"no front matter"}'
assert_eq "False yaml_format" "$(py "str(r['valid']) + ' ' + r['errors'][0]['rule']")" "no front matter"
req POST /api/v1/skills/validate '{"data":{"name":"ok","description":"fine","content":"x"}}'
assert_eq True "$(py "r['valid']")" "object data"
req POST /api/v1/skills/validate '{}'
expect 400 INVALID_ARGUMENT "validate without data"
ok "validate: lenient warnings, strict errors, front matter and object forms"

"$MAKE_ZIP" "$WORK/descaler2.zip" "SKILL.md=---
name: descaler
description: Descale machines with citric acid, version two
---

No scripts any more." "README.md=Notes on descaling, version two"
req PUT /api/v1/skills/descaler "{\"temp_file_id\":\"$(upload_file "$WORK/descaler2.zip")\",\"wait\":true}"
expect 200 "" "update descaler"
assert_eq "update viking://agent/skills/descaler 1" "$(py "r['action'] + ' ' + r['uri'] + ' ' + str(r['auxiliary_files'])")" "update result"
req GET /api/v1/skills/descaler
assert_eq "Descale machines with citric acid, version two" "$(py "r['description']")" "new description"
assert_eq "README.md SKILL.md" "$(py "' '.join(sorted(f['path'] for f in r['files']))")" "the old script is gone"
find '{"query":"echo citric acid","target_uri":"viking://agent/skills/descaler","level":2,"score_threshold":-1,"node_limit":50}'
lacks viking://agent/skills/descaler/scripts/descale.sh "vectors of the removed file"
has viking://agent/skills/descaler/README.md "vectors of the kept file"
req PUT /api/v1/skills/descaler '{"data":{"name":"other-name","description":"d","content":"x"}}'
expect 400 INVALID_ARGUMENT "update with another name"
req PUT /api/v1/skills/missing '{"data":{"name":"missing","description":"d","content":"x"}}'
expect 404 NOT_FOUND "update of a missing skill"
req POST /api/v1/skills '{"data":{"name":"tea-brewing","description":"Brew green tea at 75 degrees","content":"Steep."},"wait":true}'
expect 200 "" "add over an existing skill replaces it"
req GET /api/v1/skills
assert_eq 4 "$(py "r['total']")" "still four skills"
req GET /api/v1/skills/tea-brewing
assert_eq "Brew green tea at 75 degrees" "$(py "r['description']")" "replaced description"
ok "update: files and their vectors replaced, name mismatch 400, missing 404; add over an existing one replaces it"

req DELETE /api/v1/skills/kettle-care
expect 200 "" "delete"
assert_eq "kettle-care viking://user/default/skills/kettle-care" "$(py "r['name'] + ' ' + r['uri']")" "delete result"
req GET /api/v1/skills/kettle-care
expect 404 NOT_FOUND "get after delete"
req POST /api/v1/skills/find '{"query":"descale a kettle with vinegar","score_threshold":-1,"limit":50}'
assert_eq False "$(py "'kettle-care' in [s['name'] for s in r['skills']]")" "deleted skill not found"
find '{"query":"Fill with vinegar, boil, rinse twice","score_threshold":-1,"node_limit":100}'
assert_eq False "$(py "any('kettle-care' in h['uri'] for h in hits)")" "no vector of the deleted skill left"
req DELETE /api/v1/skills/kettle-care
expect 404 NOT_FOUND "delete twice"
ok "delete: gone from get, list, skills/find and find"

req POST /api/v1/skills '{}'
expect 400 INVALID_ARGUMENT "neither data nor temp_file_id"
req POST /api/v1/skills '{"data":"no front matter here"}'
expect 400 SKILL_INVALID "SKILL.md without front matter"
req POST /api/v1/skills '{"data":"---\nname: two words\ndescription: d\n---\n"}'
expect 400 SKILL_INVALID "a name with a space"
req POST /api/v1/skills '{"data":"---\nname: nodesc\n---\n"}'
expect 400 SKILL_INVALID "no description"
req POST /api/v1/skills '{"data":{"name":"x","description":"d"},"colour":"red"}'
expect 400 INVALID_ARGUMENT "unknown field"
req POST /api/v1/skills '{"data":{"name":"x","description":"d"},"target_uri":"viking://resources/skills"}'
expect 400 INVALID_ARGUMENT "a target outside the skill roots"
req POST /api/v1/skills '{"temp_file_id":"upload_0123456789abcdef0123456789abcdef.md"}'
expect 403 PERMISSION_DENIED "unknown upload"
req GET /api/v1/skills/bad.name
expect 400 INVALID_ARGUMENT "get with an invalid name"
ok "refusals: no data, invalid SKILL.md (SKILL_INVALID), unknown field, wrong root, unknown upload, bad name"

AS_ACCOUNT=acct_other
req GET /api/v1/skills
assert_eq 0 "$(py "r['total']")" "another account lists nothing"
req GET /api/v1/skills/tea-brewing
expect 404 NOT_FOUND "another account cannot get it"
req POST /api/v1/skills/find '{"query":"brew green tea","score_threshold":-1}'
assert_eq 0 "$(py "r['total']")" "another account finds nothing"
ok "tenancy: another account neither lists, gets nor finds these skills"

stop_daemon TERM
assert_eq 0 "$DAEMON_EXIT" "clean exit"
finish
