/*
 * SKILL.md documents (OpenViking section 2.10, the Agent Skills format): YAML front matter with
 * `name` and `description` (and optionally `tags`, `allowed-tools`, any other keys) between
 * `---` lines, then a Markdown body. The front matter is read by a small YAML subset (scalars,
 * quoted strings, flow and block lists, `|`/`>` blocks, one level of nested mapping), enough for
 * what skills carry. Pure string work: safe on any thread.
 */
#ifndef SKALD_SKILLS_SKILL_DOC_H
#define SKALD_SKILLS_SKILL_DOC_H

#include <stddef.h>

#include <jansson.h>

#define SKILL_NAME_MAX 64
#define SKILL_DESCRIPTION_MAX 1024

struct skill_doc {
    json_t *meta;      /* the front matter as an object; owned */
    const char *name;  /* meta's "name" when a string, else NULL */
    const char *description;
    json_t *tags;      /* array of strings (borrowed from meta or owned by it) */
    json_t *allowed_tools;
    char *body;        /* the Markdown after the front matter, trimmed; owned */
    char *text;        /* the SKILL.md to store; owned */
};

/* Parses a SKILL.md text. Returns 0, or -1 with why (no front matter, not a mapping). */
int skill_doc_parse(const char *text, struct skill_doc *out, char *why, size_t why_cap);
/* Builds one from {"name","description","content"} (plus optional "tags" and
 * "allowed_tools"/"allowed-tools"), composing its SKILL.md text. Returns 0, or -1 with why. */
int skill_doc_from_object(const json_t *obj, struct skill_doc *out, char *why, size_t why_cap);
void skill_doc_clear(struct skill_doc *d);

/* Whether name may name a skill (and its directory): 1..64 of [A-Za-z0-9_-]. */
int skill_name_valid(const char *name);
/* The first rule d breaks for storing it (a name, a description up to 1024 bytes), or NULL. */
const char *skill_doc_invalid(const struct skill_doc *d);

/* POST /api/v1/skills/validate's answer for data (a SKILL.md string or an object): {"valid",
 * "strict","name","description","tags","allowed_tools","body_lines","source_path",
 * "skill_dir_name","errors":[{"rule","message","field"}],"warnings":[...]}. Style rules (name
 * characters and length, name = directory, description length) are errors under strict and
 * warnings otherwise. NULL when out of memory. */
json_t *skill_doc_validate(const json_t *data, int strict, const char *skill_dir_name,
                           const char *source_path);

#endif
