/*
 * fuzz_sigv4.c - libFuzzer target for the SigV4 verifier. The input is
 * read as an HTTP request head: "METHOD PATH?QUERY\n" then "Name: value"
 * lines, a blank line, and the body, so the fuzzer can reach the
 * Authorization parser, the canonical request and the presigned form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sigv4.h"

#define NOW 1795944406 /* 2026-11-30 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
lookup(void *ctx, const char *id, char *secret, size_t size)
{
	if (strcmp(id, "AKIDEXAMPLE") != 0)
		return -1;
	strncpy(secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", size - 1);
	secret[size - 1] = '\0';
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_header h[64];
	struct sigv4_request r = {0};
	struct sigv4_result res;
	struct query_list q;
	struct err e, e2;
	int rc;
	char *text = malloc(size + 1), *line, *save = NULL, *body;
	size_t n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	body = strstr(text, "\n\n");
	if (body) {
		*body = '\0';
		body += 2;
	}
	line = strtok_r(text, "\n", &save);
	r.method = "POST";
	r.path = "/";
	r.query = "";
	if (line) {
		char *sp = strchr(line, ' '), *q;

		if (sp) {
			*sp = '\0';
			r.method = line;
			r.path = sp + 1;
			q = strchr(sp + 1, '?');
			if (q) {
				*q = '\0';
				r.query = q + 1;
			}
		}
	}
	while ((line = strtok_r(NULL, "\n", &save)) && n < 64) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		h[n].name = line;
		h[n].value = colon + 1;
		n++;
	}
	r.headers = h;
	r.nheaders = n;
	r.body = body ? body : "";
	r.body_len = body ? strlen(body) : 0;
	rc = sigv4_verify(&r, NOW, lookup, NULL, &res, &e);
	/* The router's way: the query split once and handed in. */
	if (sigv4_query_split(r.query, &q, &e2) == 0) {
		r.decoded = &q;
		if (sigv4_verify(&r, NOW, lookup, NULL, &res, &e2) != rc)
			abort();
	} else if (rc == 0) {
		abort();
	}
	query_list_free(&q);
	free(text);
	return 0;
}
