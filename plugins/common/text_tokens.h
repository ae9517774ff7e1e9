/* Word tokenizer shared by the lexical plugins (embed_hash, rerank_lexical, vlm_extractive):
 * one definition of "a word" so that embeddings, rerank scores and abstracts agree. */
#ifndef SKALD_TEXT_TOKENS_H
#define SKALD_TEXT_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/* Longest token handed out; longer runs are cut (the rest of the run is skipped). */
#define TEXT_TOKEN_MAX 64

/* Receives one token: lowercased ASCII letters and digits, UTF-8 bytes >= 0x80 kept as they are.
 * tok is valid during the call only. Returns 0 to go on, non-zero to stop. */
typedef int (*text_token_fn)(void *arg, const char *tok, size_t len);

/* Splits text (NUL-terminated UTF-8) into tokens: maximal runs of ASCII letters/digits and
 * non-ASCII bytes, so words of any script stay whole. Returns the number of tokens visited. */
size_t text_tokens_each(const char *text, text_token_fn fn, void *arg);

/* 64-bit FNV-1a of len bytes, the hash every lexical plugin uses for terms. */
uint64_t text_hash(const char *s, size_t len);

#endif
