/*
 * golden.h - golden files for the unit tests (include after unit.h).
 *
 * golden_check(path, text, len) compares what a renderer produced with
 * the file at path (relative to tests/unit/, so "../data/...") byte for
 * byte and records one CHECK; on a difference it prints a line diff
 * (golden "-", generated "+") on stderr. With UPDATE_GOLDEN=1 in the
 * environment it writes the file instead (and says so): regenerate after
 * an intended change, then review the diff in git. A missing golden is a
 * failure, never a silent pass.
 */
#ifndef EC2D_TESTS_GOLDEN_H
#define EC2D_TESTS_GOLDEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define GOLDEN_MAX   (1u << 20)
#define GOLDEN_LINES 1024

/* The whole file as a NUL-terminated string (length in *ret_len). */
static char *
golden_read(const char *path, size_t *ret_len)
{
	struct buf b;
	char chunk[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, GOLDEN_MAX);
	buf_adds(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_steal(&b, ret_len);
}

/* Split text into lines in place; returns the count. */
static size_t
golden_split(char *text, char **lines, size_t max)
{
	size_t n = 0;

	while (*text && n < max) {
		char *nl = strchr(text, '\n');

		lines[n++] = text;
		if (!nl)
			break;
		*nl = '\0';
		text = nl + 1;
	}
	return n;
}

/* A unified-style diff (longest common subsequence) on stderr. */
static void
golden_diff(const char *name, char *want_text, char *got_text)
{
	static char *want[GOLDEN_LINES], *got[GOLDEN_LINES];
	size_t nw = golden_split(want_text, want, GOLDEN_LINES);
	size_t ng = golden_split(got_text, got, GOLDEN_LINES);
	size_t *lcs = calloc((nw + 1) * (ng + 1), sizeof(*lcs));
	size_t i = 0, j = 0;

#define L(a, b) lcs[(a) * (ng + 1) + (b)]
	if (!lcs)
		return;
	for (size_t a = nw; a-- > 0;)
		for (size_t b = ng; b-- > 0;)
			L(a, b) = strcmp(want[a], got[b]) == 0
				      ? L(a + 1, b + 1) + 1
				  : L(a + 1, b) > L(a, b + 1) ? L(a + 1, b)
							      : L(a, b + 1);
	fprintf(stderr, "--- %s (golden)\n+++ %s (generated)\n", name, name);
	while (i < nw || j < ng) {
		if (i < nw && j < ng && strcmp(want[i], got[j]) == 0) {
			fprintf(stderr, "  %s\n", want[i]);
			i++, j++;
		} else if (i < nw && (j == ng || L(i + 1, j) >= L(i, j + 1))) {
			fprintf(stderr, "- %s\n", want[i++]);
		} else {
			fprintf(stderr, "+ %s\n", got[j++]);
		}
	}
#undef L
	free(lcs);
}

static void
golden_check(const char *path, const char *text, size_t len)
{
	const char *update = getenv("UPDATE_GOLDEN");
	char *golden, *mine;
	size_t golden_len = 0;

	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "we");

		CHECK(f && fwrite(text, 1, len, f) == len && fclose(f) == 0,
		      "%s: cannot write golden", path);
		printf("updated %s\n", path);
		return;
	}
	golden = golden_read(path, &golden_len);
	CHECK(golden != NULL, "%s: missing golden (UPDATE_GOLDEN=1 makes it)",
	      path);
	if (!golden)
		return;
	CHECK(golden_len == len && memcmp(golden, text, len) == 0,
	      "%s: differs from the golden file (UPDATE_GOLDEN=1 "
	      "regenerates it):",
	      path);
	if (golden_len != len || memcmp(golden, text, len) != 0) {
		size_t at = 0;

		/* Replies are often one long line: say where they part. */
		while (at < len && at < golden_len && golden[at] == text[at])
			at++;
		fprintf(stderr, "%s: first difference at byte %zu\n", path, at);
	}
	if ((golden_len != len || memcmp(golden, text, len) != 0) &&
	    (mine = strndup(text, len))) {
		golden_diff(path, golden, mine);
		free(mine);
	}
	free(golden);
}

#endif
