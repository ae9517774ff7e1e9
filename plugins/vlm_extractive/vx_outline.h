/* Reading a Markdown or plain-text document into the pieces an extractive summary is made of:
 * headings and the first sentence under each. */
#ifndef SKALD_VX_OUTLINE_H
#define SKALD_VX_OUTLINE_H

#include <stddef.h>

/* A growable output text with a hard length limit in bytes and in words. */
struct vx_text {
    char *data; /* malloc'ed, NUL-terminated; owned by the struct, freed by vx_text_free */
    size_t len, cap;
    size_t max_bytes;
    size_t words, max_words;
    int full;  /* a limit was reached: further appends are ignored */
    int oom;   /* an allocation failed */
};

void vx_text_init(struct vx_text *t, size_t max_bytes, size_t max_words);
void vx_text_free(struct vx_text *t);
/* Appends len bytes, cutting at a word boundary (and never inside a UTF-8 sequence) when a limit
 * is reached. */
void vx_text_append(struct vx_text *t, const char *s, size_t len);

/* Visits the document's blocks in order. A heading has level 1..6 and its text without the '#'
 * marks; a paragraph (level 0) is the joined text of consecutive non-blank lines, with list
 * markers and quote marks kept. Fenced code blocks are skipped. Return non-zero to stop. */
typedef int (*vx_block_fn)(void *arg, int level, const char *text, size_t len);
void vx_outline_each(const char *doc, size_t doc_len, vx_block_fn fn, void *arg);

/* Length of the first sentence of text (up to and including its ". ", "! " or "? ", or all of
 * it), with trailing blanks removed. */
size_t vx_first_sentence(const char *text, size_t len);

#endif
