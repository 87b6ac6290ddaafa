/*
 * test_sigv4.c - sigv4_verify() against requests that real clients signed.
 *
 * Three sources of signed requests, all raw HTTP/1.1 parsed by the small
 * parser below: the captures of aws-cli, boto3 and packer in
 * tests/data/ec2-requests (each must verify at its own X-Amz-Date and
 * fail after every kind of tampering), golden requests botocore signed for
 * tests/data/sigv4 (presigned URLs, Date fallback, content hash, repeated
 * headers, path and query canonicalisation; see generate.py there), and
 * vectors of AWS's published SigV4 test suite in tests/data/sigv4/aws-suite.
 * Then the limits, and a deterministic fuzz loop that must never crash.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/sigv4.h"
#include "unit.h"

#define FIXTURES  "../data/ec2-requests"
#define DATA	  "../data/sigv4"
#define SEPARATOR "=== END OF REQUEST ==="
#define KEY_ID	  "AKIDEXAMPLE"
#define SECRET	  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

#define T_MAX_HEADERS 32

/* One parsed request, mutable so a test can tamper with a copy. */
struct treq {
	char label[256];
	char method[16];
	char path[1024];
	char query[4096];
	char name[T_MAX_HEADERS][64];
	char value[T_MAX_HEADERS][1024];
	size_t nheaders;
	char body[16384];
	size_t body_len;
};

static int
lookup(void *ctx, const char *key_id, char *secret, size_t size)
{
	(void)ctx;
	if (strcmp(key_id, KEY_ID) != 0)
		return -1;
	snprintf(secret, size, "%s", SECRET);
	return 0;
}

static int
verify(const struct treq *t, time_t now, struct sigv4_result *res,
       struct err *e)
{
	struct sigv4_header h[T_MAX_HEADERS];
	struct sigv4_request r = {
	    .method = t->method,
	    .path = t->path,
	    .query = t->query,
	    .headers = h,
	    .nheaders = t->nheaders,
	    .body = t->body,
	    .body_len = t->body_len,
	};
	struct sigv4_result res2;
	struct query_list q;
	struct err e2;
	size_t i;
	int rc, rc2;

	for (i = 0; i < t->nheaders; i++) {
		h[i].name = t->name[i];
		h[i].value = t->value[i];
	}
	err_clear(e);
	rc = sigv4_verify(&r, now, lookup, NULL, res, e);
	/* The router's way, the query decoded once beforehand: same answer. */
	err_clear(&e2);
	rc2 = sigv4_query_split(t->query, &q, &e2);
	if (rc2 == 0) {
		r.decoded = &q;
		rc2 = sigv4_verify(&r, now, lookup, NULL, &res2, &e2);
	}
	query_list_free(&q);
	CHECK(rc == rc2 && strcmp(e->code, e2.code) == 0,
	      "%s: pre-split query: %d %s, raw: %d %s", t->label, rc2, e2.code,
	      rc, e->code);
	return rc;
}

/*
 * Verifies t at now and checks the outcome: success when code is NULL,
 * else that error code with a message containing msg (when not NULL).
 */
static void
expect_msg(const struct treq *t, time_t now, const char *code, const char *msg,
	   const char *what)
{
	struct sigv4_result res;
	struct err e;
	int rc = verify(t, now, &res, &e);

	if (!code) {
		CHECK(rc == 0, "%s: %s: want success, got %s: %s", t->label,
		      what, e.code, e.message);
		return;
	}
	CHECK(rc == -1 && strcmp(e.code, code) == 0 && e.message[0] &&
		  (!msg || strstr(e.message, msg)),
	      "%s: %s: want %s (%s), got %s: %s", t->label, what, code,
	      msg ? msg : "", rc ? e.code : "success", e.message);
}

static void
expect(const struct treq *t, time_t now, const char *code, const char *what)
{
	expect_msg(t, now, code, NULL, what);
}

/* ---- a raw HTTP/1.1 parser, for test data only ---- */

static char *
read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len + 1))) {
		if (fread(data, 1, (size_t)len, f) != (size_t)len) {
			free(data);
			data = NULL;
		} else {
			data[len] = '\0';
			*ret_len = (size_t)len;
		}
	}
	fclose(f);
	return data;
}

/* The next line of [*p, end) without its LF or CRLF; NULL at the end. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *start = *p, *nl;

	if (start >= end)
		return NULL;
	nl = memchr(start, '\n', (size_t)(end - start));
	*p = nl ? nl + 1 : end;
	*len = (size_t)((nl ? nl : end) - start);
	if (*len && start[*len - 1] == '\r')
		(*len)--;
	return start;
}

static int
copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int
parse_request_line(struct treq *t, const char *line, size_t n)
{
	const char *sp1 = memchr(line, ' ', n), *sp2 = line + n, *q;
	size_t target_len;

	while (sp2 > line && sp2[-1] != ' ')
		sp2--;
	if (!sp1 || sp2 - 1 <= sp1)
		return -1;
	target_len = (size_t)(sp2 - 1 - (sp1 + 1));
	q = memchr(sp1 + 1, '?', target_len);
	if (copy_str(t->method, sizeof(t->method), line, (size_t)(sp1 - line)))
		return -1;
	if (!q)
		return copy_str(t->path, sizeof(t->path), sp1 + 1, target_len) |
		       copy_str(t->query, sizeof(t->query), "", 0);
	return copy_str(t->path, sizeof(t->path), sp1 + 1,
			(size_t)(q - sp1 - 1)) |
	       copy_str(t->query, sizeof(t->query), q + 1,
			(size_t)(sp2 - 1 - q - 1));
}

/*
 * Parses the request starting at *p (leading blank lines skipped) into t
 * and moves *p past it and its separator line. Returns 1 for a request,
 * 0 at the end of the data, -1 on malformed input.
 */
static int
parse_request(const char **p, const char *end, struct treq *t)
{
	const char *line, *sep;
	size_t n, content_length = SIZE_MAX;

	while (*p < end && (**p == '\r' || **p == '\n'))
		(*p)++;
	if (*p >= end)
		return 0;
	t->nheaders = 0;
	if (!(line = next_line(p, end, &n)) || parse_request_line(t, line, n))
		return -1;
	while ((line = next_line(p, end, &n)) && n) {
		const char *colon = memchr(line, ':', n);
		size_t i = t->nheaders;

		if (!colon || i == T_MAX_HEADERS ||
		    copy_str(t->name[i], sizeof(t->name[i]), line,
			     (size_t)(colon - line)) ||
		    copy_str(t->value[i], sizeof(t->value[i]), colon + 1,
			     (size_t)(line + n - colon - 1)))
			return -1;
		if (strcasecmp(t->name[i], "Content-Length") == 0) {
			char *num_end;

			content_length = strtoul(t->value[i], &num_end, 10);
			if (num_end == t->value[i] || *num_end)
				return -1;
		}
		t->nheaders++;
	}
	if (!line)
		return -1;
	sep = strstr(*p, "\n" SEPARATOR);
	if (content_length == SIZE_MAX)
		content_length = (size_t)((sep ? sep : end) - *p);
	if (content_length > (size_t)(end - *p) ||
	    copy_str(t->body, sizeof(t->body), *p, content_length))
		return -1;
	t->body_len = content_length;
	*p += content_length;
	sep = strstr(*p, SEPARATOR);
	*p = sep ? sep + strlen(SEPARATOR) : end;
	return 1;
}

/* ---- tampering helpers ---- */

/* The value of the first header called name; like strchr, not const. */
static char *
header(const struct treq *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nheaders; i++)
		if (strcasecmp(t->name[i], name) == 0)
			return (char *)t->value[i];
	return NULL;
}

static void
remove_header(struct treq *t, const char *name)
{
	size_t i, j = 0;

	for (i = 0; i < t->nheaders; i++) {
		if (strcasecmp(t->name[i], name) == 0)
			continue;
		if (i != j) {
			memcpy(t->name[j], t->name[i], sizeof(t->name[i]));
			memcpy(t->value[j], t->value[i], sizeof(t->value[i]));
		}
		j++;
	}
	t->nheaders = j;
}

static void
add_header(struct treq *t, const char *name, const char *value)
{
	if (t->nheaders < T_MAX_HEADERS) {
		snprintf(t->name[t->nheaders], sizeof(t->name[0]), "%s", name);
		snprintf(t->value[t->nheaders], sizeof(t->value[0]), "%s",
			 value);
		t->nheaders++;
	}
}

/* Replaces the first `from` in s[size] with `to`; 0 when done. */
static int
replace(char *s, size_t size, const char *from, const char *to)
{
	char *at = strstr(s, from);
	size_t flen = strlen(from), tlen = strlen(to), len = strlen(s);

	if (!at || len - flen + tlen >= size)
		return -1;
	memmove(at + tlen, at + flen, len - (size_t)(at - s) - flen + 1);
	memcpy(at, to, tlen);
	return 0;
}

/* A copy of base with `from` replaced by `to` in header `name`. */
static int
edit_header(struct treq *t, const struct treq *base, const char *name,
	    const char *from, const char *to)
{
	char *v;

	*t = *base;
	v = header(t, name);
	return v ? replace(v, sizeof(t->value[0]), from, to) : -1;
}

/* Seconds since the epoch of 20261130T100715Z; -1 when malformed. */
static time_t
parse_iso(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	while (*s == ' ')
		s++;
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%a, %d %b %Y %H:%M:%S", &tm);
	}
	return end ? timegm(&tm) : (time_t)-1;
}

static void
format_iso(time_t when, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(out, size, "%Y%m%dT%H%M%SZ", &tm);
}

/* When the request says it was signed: X-Amz-Date, query or header. */
static time_t
signed_at(const struct treq *t)
{
	const char *q = strstr(t->query, "X-Amz-Date=");
	const char *v = header(t, "X-Amz-Date");

	if (q)
		return parse_iso(q + strlen("X-Amz-Date="));
	if (!v)
		v = header(t, "Date");
	return v ? parse_iso(v) : (time_t)-1;
}

/* ---- the captured client requests ---- */

static void
check_signed_headers_tampered(const struct treq *base, time_t t0)
{
	char list[512], *name, *save = NULL;
	const char *sh =
	    strstr(header(base, "Authorization"), "SignedHeaders=");
	struct treq t;
	size_t n;

	CHECK(sh != NULL, "%s: no SignedHeaders", base->label);
	if (!sh)
		return;
	sh += strlen("SignedHeaders=");
	n = strcspn(sh, ",");
	snprintf(list, sizeof(list), "%.*s", (int)n, sh);
	for (name = strtok_r(list, ";", &save); name;
	     name = strtok_r(NULL, ";", &save)) {
		char what[128], *v;

		if (strcmp(name, "x-amz-date") == 0)
			continue; /* the date has its own cases */
		t = *base;
		v = header(&t, name);
		CHECK(v && v[1], "%s: signed header %s missing", base->label,
		      name);
		if (!v || !v[1])
			continue;
		/* One byte, never a space, so trimming cannot undo it. */
		v[1] = v[1] == 'x' ? 'y' : 'x';
		snprintf(what, sizeof(what), "one byte of %s changed", name);
		expect(&t, t0, "SignatureDoesNotMatch", what);
		t = *base;
		remove_header(&t, name);
		snprintf(what, sizeof(what), "signed header %s removed", name);
		expect_msg(&t, t0, "SignatureDoesNotMatch",
			   "is not in the request", what);
	}
}

static void
check_date_tampered(const struct treq *base, time_t t0)
{
	char iso[32];
	struct treq t;
	char *v;
	size_t n;

	t = *base;
	v = header(&t, "X-Amz-Date");
	n = v ? strlen(v) : 0;
	CHECK(n >= 16, "%s: no X-Amz-Date", base->label);
	if (n < 16)
		return;
	/* The last seconds digit: still within 15 minutes, wrong signature. */
	v[n - 2] = v[n - 2] == '0' ? '1' : (char)(v[n - 2] - 1);
	expect(&t, t0, "SignatureDoesNotMatch", "X-Amz-Date second changed");
	/* The tens of hours: ten hours off is outside the window. */
	t = *base;
	v = header(&t, "X-Amz-Date");
	v[n - 7] = v[n - 7] == '0' ? '1' : '0';
	expect(&t, t0, "RequestExpired", "X-Amz-Date hour changed");
	/* A day later at a clock that agrees: the scope date is now wrong. */
	t = *base;
	format_iso(t0 + 86400, iso, sizeof(iso));
	snprintf(header(&t, "X-Amz-Date"), sizeof(t.value[0]), "%s", iso);
	expect_msg(&t, t0 + 86400, "SignatureDoesNotMatch",
		   "Date in Credential scope",
		   "X-Amz-Date a day later than the credential scope");
	t = *base;
	snprintf(header(&t, "X-Amz-Date"), sizeof(t.value[0]),
		 "2026-11-30T10:07:15Z");
	expect(&t, t0, "IncompleteSignature", "X-Amz-Date not basic ISO 8601");
	t = *base;
	remove_header(&t, "X-Amz-Date");
	expect_msg(&t, t0, "IncompleteSignature",
		   "either a 'X-Amz-Date' or a 'Date' header",
		   "no X-Amz-Date nor Date");
}

/* Authorization edits: from -> to, and the code EC2 answers. */
static const struct {
	const char *from, *to, *code, *msg, *what;
} auth_edits[] = {
    {"Credential=AKIDEXAMPLE/", "Credential=AKIDUNKNOWN/", "AuthFailure",
     "not able to validate", "unknown access key"},
    {"Credential=", "Credentials=", "IncompleteSignature",
     "requires 'Credential' parameter", "no Credential"},
    {"SignedHeaders=", "SignedHeader=", "IncompleteSignature",
     "requires 'SignedHeaders' parameter", "no SignedHeaders"},
    {", Signature=", ", Sig=", "IncompleteSignature",
     "requires 'Signature' parameter", "no Signature"},
    {"AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 ", "IncompleteSignature",
     "Unsupported AWS 'algorithm'", "other algorithm"},
    {"AWS4-HMAC-SHA256 ", "AWS ", "IncompleteSignature",
     "Unsupported AWS 'algorithm'", "signature version 2 style"},
    {"/us-east-1/ec2/", "/us-east-1/", "IncompleteSignature",
     "exactly 5 slash-delimited", "scope with 4 parts"},
    {"/ec2/aws4_request", "/ec2/x/aws4_request", "IncompleteSignature",
     "exactly 5 slash-delimited", "scope with 6 parts"},
    {", SignedHeaders=", ", SignedHeaders ", "IncompleteSignature",
     "missing equal-sign", "parameter without '='"},
    {"/aws4_request", "/aws4_requesx", "SignatureDoesNotMatch",
     "valid terminator", "scope terminator not aws4_request"},
    {"/20261130/", "/20261129/", "SignatureDoesNotMatch",
     "Date in Credential scope", "scope date not the X-Amz-Date day"},
    {"host;", "", "SignatureDoesNotMatch", "'Host'", "host not signed"},
    {"/us-east-1/", "/eu-west-1/", "SignatureDoesNotMatch",
     "signature we calculated", "other region in the scope"},
    {"/ec2/", "/ec3/", "SignatureDoesNotMatch", "signature we calculated",
     "other service in the scope"},
};

static void
check_authorization_tampered(const struct treq *base, time_t t0)
{
	struct treq t;
	char *v;
	size_t i, n;

	for (i = 0; i < sizeof(auth_edits) / sizeof(auth_edits[0]); i++) {
		int rc = edit_header(&t, base, "Authorization",
				     auth_edits[i].from, auth_edits[i].to);

		CHECK(rc == 0, "%s: cannot apply '%s'", base->label,
		      auth_edits[i].what);
		if (rc == 0)
			expect_msg(&t, t0, auth_edits[i].code,
				   auth_edits[i].msg, auth_edits[i].what);
	}
	CHECK(edit_header(&t, base, "Authorization",
			  "Credential=", "Credential=junk, Credential=") == 0,
	      "%s", base->label);
	expect(&t, t0, NULL, "a repeated key: the last one counts");
	t = *base;
	v = header(&t, "Authorization");
	n = strlen(v);
	v[n - 1] = v[n - 1] == '0' ? '1' : '0';
	expect(&t, t0, "SignatureDoesNotMatch", "last signature digit");
	t = *base;
	v = header(&t, "Authorization");
	v[n - 1] = '\0';
	expect(&t, t0, "SignatureDoesNotMatch", "signature one digit short");
	t = *base;
	snprintf(header(&t, "Authorization"), sizeof(t.value[0]), " ");
	expect(&t, t0, "IncompleteSignature", "empty Authorization");
	t = *base;
	snprintf(header(&t, "Authorization"), sizeof(t.value[0]),
		 "AWS4-HMAC-SHA256");
	expect(&t, t0, "IncompleteSignature", "algorithm only");
	t = *base;
	remove_header(&t, "Authorization");
	expect_msg(&t, t0, "MissingAuthenticationToken",
		   "missing Authentication Token", "no Authorization");
	t = *base;
	snprintf(t.query, sizeof(t.query), "X-Amz-Algorithm=AWS4-HMAC-SHA256");
	expect(&t, t0, "SignatureDoesNotMatch", "header and presigned both");
}

static void
check_captured(const struct treq *base)
{
	time_t t0 = signed_at(base);
	struct sigv4_result res;
	struct err e;
	struct treq t;

	CHECK(t0 != (time_t)-1, "%s: no X-Amz-Date", base->label);
	if (t0 == (time_t)-1)
		return;
	CHECK(verify(base, t0, &res, &e) == 0, "%s: want success, got %s: %s",
	      base->label, e.code, e.message);
	CHECK_STR(res.access_key_id, KEY_ID);
	CHECK_STR(res.region, "us-east-1");
	CHECK_STR(res.service, "ec2");
	expect(base, t0 + 15 * 60, NULL, "clock 15 minutes ahead");
	expect(base, t0 - 15 * 60, NULL, "clock 15 minutes behind");
	expect(base, t0 + 16 * 60, "RequestExpired", "clock 16 minutes ahead");
	expect(base, t0 - 16 * 60, "RequestExpired", "clock 16 minutes behind");
	if (base->body_len) {
		t = *base;
		t.body[t.body_len - 1] ^= 1;
		expect(&t, t0, "SignatureDoesNotMatch", "last body byte");
		t = *base;
		t.body_len--;
		expect(&t, t0, "SignatureDoesNotMatch", "body one byte short");
		t = *base;
		add_header(&t, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
		expect_msg(&t, t0, "SignatureDoesNotMatch", "UNSIGNED-PAYLOAD",
			   "UNSIGNED-PAYLOAD with a body");
	}
	t = *base;
	snprintf(t.path, sizeof(t.path), "/x");
	expect(&t, t0, "SignatureDoesNotMatch", "other path");
	t = *base;
	snprintf(t.method, sizeof(t.method), "PUT");
	expect(&t, t0, "SignatureDoesNotMatch", "other method");
	t = *base;
	snprintf(t.query, sizeof(t.query), "Action=TerminateInstances");
	expect(&t, t0, "SignatureDoesNotMatch", "unsigned query added");
	t = *base;
	add_header(&t, "X-Unsigned", "anything");
	expect(&t, t0, NULL, "an unsigned header added");
	check_signed_headers_tampered(base, t0);
	check_date_tampered(base, t0);
	check_authorization_tampered(base, t0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every request of every fixture file, in name order. */
static void
test_captured_requests(void)
{
	DIR *d = opendir(FIXTURES);
	struct dirent *de;
	char *names[256];
	size_t nnames = 0, i, total = 0;
	struct treq *t = calloc(1, sizeof(*t));

	CHECK(d != NULL && t != NULL, "cannot open %s", FIXTURES);
	if (!d || !t)
		goto out;
	while ((de = readdir(d)) && nnames < 256) {
		size_t n = strlen(de->d_name);

		if (n > 4 && strcmp(de->d_name + n - 4, ".txt") == 0)
			names[nnames++] = strdup(de->d_name);
	}
	qsort(names, nnames, sizeof(names[0]), name_cmp);
	for (i = 0; i < nnames; i++) {
		char path[512];
		const char *p, *end, *s;
		size_t len = 0, want = 0, got = 0;
		char *data;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES, names[i]);
		data = read_file(path, &len);
		CHECK(data != NULL, "cannot read %s", path);
		if (!data)
			continue;
		for (s = data; (s = strstr(s, SEPARATOR)); s++)
			want++;
		p = data;
		end = data + len;
		while ((rc = parse_request(&p, end, t)) == 1) {
			snprintf(t->label, sizeof(t->label), "%s#%zu", names[i],
				 ++got);
			check_captured(t);
		}
		CHECK(rc == 0, "%s: unparsable request after #%zu", names[i],
		      got);
		CHECK(got == want && got > 0, "%s: parsed %zu requests of %zu",
		      names[i], got, want);
		total += got;
		free(data);
	}
	CHECK(nnames > 0 && total >= nnames, "%zu fixture files, %zu requests",
	      nnames, total);
	printf("captured: %zu files, %zu requests\n", nnames, total);
out:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	if (d)
		closedir(d);
	free(t);
}

/* ---- golden requests and AWS's test suite ---- */

static int
load_one(const char *path, struct treq *t)
{
	size_t len = 0;
	char *data = read_file(path, &len);
	const char *p = data;
	int rc;

	CHECK(data != NULL, "cannot read %s", path);
	if (!data)
		return -1;
	memset(t, 0, sizeof(*t));
	rc = parse_request(&p, data + len, t);
	CHECK(rc == 1, "%s: unparsable", path);
	snprintf(t->label, sizeof(t->label), "%s", path);
	free(data);
	return rc == 1 ? 0 : -1;
}

/* A copy of base whose query has `from` replaced by `to`. */
static int
edit_query(struct treq *t, const struct treq *base, const char *from,
	   const char *to)
{
	*t = *base;
	return replace(t->query, sizeof(t->query), from, to);
}

static void
check_presigned(const char *file, long expires)
{
	char path[256];
	struct treq *base = malloc(sizeof(*base)), *t = malloc(sizeof(*t));
	time_t t0;

	snprintf(path, sizeof(path), "%s/%s", DATA, file);
	if (!base || !t || load_one(path, base) < 0)
		goto out;
	t0 = signed_at(base);
	expect(base, t0, NULL, "at its date");
	expect(base, t0 + expires, NULL, "the last second it is valid");
	expect(base, t0 + expires + 1, "RequestExpired", "expired");
	expect(base, t0 - 16 * 60, "RequestExpired", "16 minutes early");
	expect(base, t0 - 15 * 60, NULL, "15 minutes early");
	CHECK(edit_query(t, base, "Version=2016-11-15", "Version=2016-11-16") ==
		  0,
	      "%s: no Version", file);
	expect(t, t0, "SignatureDoesNotMatch", "a parameter changed");
	CHECK(edit_query(t, base, "&X-Amz-Algorithm",
			 "&Extra=1&X-Amz-Algorithm") == 0,
	      "%s", file);
	expect(t, t0, "SignatureDoesNotMatch", "a parameter added");
	*t = *base;
	t->query[strlen(t->query) - 1] ^= 1;
	expect(t, t0, "SignatureDoesNotMatch", "last signature digit");
	CHECK(edit_query(t, base, "X-Amz-Credential=", "X-Amz-Credentials=") ==
		  0,
	      "%s", file);
	expect(t, t0, "IncompleteSignature", "no X-Amz-Credential");
	CHECK(edit_query(t, base, "X-Amz-Signature=", "X-Amz-Sig=") == 0, "%s",
	      file);
	expect(t, t0, "IncompleteSignature", "no X-Amz-Signature");
	CHECK(edit_query(t, base, "X-Amz-Date=", "X-Amz-Dates=") == 0, "%s",
	      file);
	expect(t, t0, "IncompleteSignature", "no X-Amz-Date");
	CHECK(edit_query(t, base, "X-Amz-SignedHeaders=", "X-Amz-Signed=") == 0,
	      "%s", file);
	expect(t, t0, "IncompleteSignature", "no X-Amz-SignedHeaders");
	CHECK(edit_query(t, base, "HMAC-SHA256", "HMAC-SHA1") == 0, "%s", file);
	expect(t, t0, "IncompleteSignature", "other X-Amz-Algorithm");
	CHECK(edit_query(t, base, "AKIDEXAMPLE", "AKIDUNKNOWN") == 0, "%s",
	      file);
	expect(t, t0, "AuthFailure", "unknown access key");
	CHECK(edit_query(t, base,
			 "X-Amz-Expires=", "X-Amz-Expires=604801&X=") == 0,
	      "%s", file);
	expect(t, t0, "IncompleteSignature", "X-Amz-Expires over a week");
	CHECK(edit_query(t, base, "X-Amz-Expires=", "X-Amz-Expires=-") == 0,
	      "%s", file);
	expect(t, t0, "IncompleteSignature", "X-Amz-Expires not a number");
	CHECK(edit_query(t, base, "aws4_request", "aws4_request%zz") == 0, "%s",
	      file);
	expect(t, t0, "MalformedQueryString", "bad percent escape");
	*t = *base;
	add_header(t, "Authorization", "AWS4-HMAC-SHA256 Credential=x");
	expect(t, t0, "SignatureDoesNotMatch", "presigned and header both");
out:
	free(base);
	free(t);
}

static void
test_presigned(void)
{
	struct treq *base = malloc(sizeof(*base)), *t = malloc(sizeof(*t));
	time_t t0;

	check_presigned("presign-describe-instances.txt", 300);
	check_presigned("presign-create-tags-special.txt", 3600);
	check_presigned("presign-max-expires.txt", 604800);
	check_presigned("presign-unsigned-payload.txt", 60);
	if (!base || !t ||
	    load_one(DATA "/presign-create-tags-special.txt", base) < 0)
		goto out;
	t0 = signed_at(base);
	CHECK(edit_query(t, base, "k%20sp", "k+sp") == 0, "no k%%20sp");
	expect(t, t0, NULL, "a space sent as '+'");
	CHECK(edit_query(t, base, "a%2Bb", "a+b") == 0, "no a%%2Bb");
	expect(t, t0, "SignatureDoesNotMatch", "a '+' sent unescaped");
	if (load_one(DATA "/presign-unsigned-payload.txt", base) < 0)
		goto out;
	t0 = signed_at(base);
	*t = *base;
	snprintf(t->body, sizeof(t->body), "Action=TerminateInstances");
	t->body_len = strlen(t->body);
	expect(t, t0, "SignatureDoesNotMatch", "UNSIGNED-PAYLOAD and a body");
	CHECK(edit_header(t, base, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD",
			  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
			  "95991b7852b855") == 0,
	      "no content hash header");
	expect(t, t0, "SignatureDoesNotMatch", "content hash header changed");
	CHECK(edit_header(t, base, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD",
			  "UNSIGNED-PAYLOAX") == 0,
	      "no content hash header");
	expect_msg(t, t0, "SignatureDoesNotMatch",
		   "'x-amz-content-sha256' header does not match",
		   "content hash header neither a hash nor UNSIGNED-PAYLOAD");
out:
	free(base);
	free(t);
}

static void
test_golden_header_signed(void)
{
	struct treq *base = malloc(sizeof(*base)), *t = malloc(sizeof(*t));
	time_t t0;

	if (!base || !t)
		goto out;
	if (load_one(DATA "/header-date-fallback.txt", base) == 0) {
		t0 = signed_at(base);
		expect(base, t0, NULL, "signed with a Date header");
		expect(base, t0 + 16 * 60, "RequestExpired", "16 minutes late");
		CHECK(edit_header(t, base, "Date", ":00 -0000", ":01 -0000") ==
			  0,
		      "no Date");
		expect(t, t0, "SignatureDoesNotMatch", "Date one second off");
		CHECK(edit_header(t, base, "Date", "-0000", "GMT") == 0,
		      "Date");
		expect(t, t0, "SignatureDoesNotMatch", "Date zone respelled");
		CHECK(edit_header(t, base, "Date", "Nov", "Now") == 0, "Date");
		expect(t, t0, "IncompleteSignature", "Date unparsable");
	}
	if (load_one(DATA "/header-content-sha256.txt", base) == 0) {
		t0 = signed_at(base);
		expect(base, t0, NULL, "with X-Amz-Content-SHA256");
		*t = *base;
		t->body[0] = 'a';
		expect_msg(t, t0, "SignatureDoesNotMatch",
			   "'x-amz-content-sha256' header does not match",
			   "body not the hash");
		CHECK(edit_header(t, base, "X-Amz-Content-SHA256", "9034",
				  "9035") == 0,
		      "hash");
		expect(t, t0, "SignatureDoesNotMatch", "hash header changed");
	}
	if (load_one(DATA "/header-repeated-spaced.txt", base) == 0) {
		t0 = signed_at(base);
		expect(base, t0, NULL, "repeated and spaced header");
		CHECK(edit_header(t, base, "X-Ec2d-Multi", "one   two",
				  "\tone two ") == 0,
		      "multi");
		expect(t, t0, NULL, "same value, other spacing");
		CHECK(edit_header(t, base, "X-Ec2d-Multi", "one   two",
				  "onetwo") == 0,
		      "multi");
		expect(t, t0, "SignatureDoesNotMatch", "space removed");
		*t = *base;
		remove_header(t, "X-Ec2d-Multi");
		add_header(t, "X-Ec2d-Multi", "three");
		add_header(t, "X-Ec2d-Multi", "  one   two  ");
		add_header(t, "X-Ec2d-Multi", "four five");
		expect(t, t0, "SignatureDoesNotMatch",
		       "repeated values reordered");
	}
	if (load_one(DATA "/header-path-query.txt", base) == 0) {
		t0 = signed_at(base);
		expect(base, t0, NULL, "dot segments and escapes in the path");
		*t = *base;
		snprintf(t->path, sizeof(t->path), "/a/c%%20d/e/");
		expect(t, t0, NULL, "the same path normalised");
		snprintf(t->path, sizeof(t->path), "/a/b/../c%%20d/./e//");
		expect(t, t0, NULL, "the same path spelled otherwise");
		snprintf(t->path, sizeof(t->path), "/a/c%%20d/e");
		expect(t, t0, "SignatureDoesNotMatch",
		       "trailing slash dropped");
		snprintf(t->path, sizeof(t->path), "/a/c d/e/");
		expect(t, t0, "SignatureDoesNotMatch", "escape decoded");
		snprintf(t->path, sizeof(t->path), "a/c%%20d/e/");
		expect(t, t0, "SignatureDoesNotMatch", "path not absolute");
		*t = *base;
		snprintf(t->query, sizeof(t->query),
			 "empty&a=x%%2fy&z=%%e6%%97%%a5&a=b");
		expect(t, t0, NULL, "the same query reordered and respelled");
		snprintf(t->query, sizeof(t->query),
			 "z=%%E6%%97%%A5&a=x/y&a=b&empty=");
		expect(t, t0, NULL, "a slash sent unescaped");
		snprintf(t->query, sizeof(t->query),
			 "z=%%E6%%97%%A5&a=x%%2Fy&a=c&empty=");
		expect(t, t0, "SignatureDoesNotMatch", "a value changed");
		snprintf(t->query, sizeof(t->query),
			 "z=%%E6%%97%%A5&a=x%%2Fy&a=b");
		expect(t, t0, "SignatureDoesNotMatch",
		       "an empty value dropped");
	}
out:
	free(base);
	free(t);
}

/* Published vectors, signed for us-east-1/service at 20150830T123600Z. */
static void
test_aws_suite(void)
{
	static const char *const names[] = {
	    "get-vanilla",
	    "post-vanilla",
	    "get-vanilla-query-order-key-case",
	    "get-vanilla-query-order-encoded",
	    "get-vanilla-query-unreserved",
	    "get-vanilla-utf8-query",
	    "get-vanilla-empty-query-key",
	    "get-unreserved",
	    "get-utf8",
	    "get-space-normalized",
	    "get-slash-dot-slash-normalized",
	    "get-slashes-normalized",
	    "get-relative-relative-normalized",
	    "get-header-key-duplicate",
	    "get-header-value-order",
	    "get-header-value-trim",
	    "get-vanilla-with-session-token",
	    "post-x-www-form-urlencoded",
	    "query-get-vanilla-query-order-key-case",
	    "query-get-vanilla-query-order-encoded",
	};
	struct treq *base = malloc(sizeof(*base)), *t = malloc(sizeof(*t));
	const time_t t0 = 1440938160; /* 2015-08-30T12:36:00Z */
	struct sigv4_result res;
	struct err e;
	size_t i;

	for (i = 0; base && t && i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256];
		int presigned = strncmp(names[i], "query-", 6) == 0;

		snprintf(path, sizeof(path), "%s/aws-suite/%s.txt", DATA,
			 names[i]);
		if (load_one(path, base) < 0)
			continue;
		CHECK(verify(base, t0, &res, &e) == 0 &&
			  strcmp(res.service, "service") == 0,
		      "%s: want success, got %s: %s", names[i], e.code,
		      e.message);
		*t = *base;
		if (presigned) {
			t->query[strlen(t->query) - 1] ^= 1;
			expect(base, t0 + 3601, "RequestExpired", "expired");
		} else {
			char *v = header(t, "Authorization");

			v[strlen(v) - 1] ^= 1;
		}
		expect(t, t0, "SignatureDoesNotMatch", "signature changed");
	}
	free(base);
	free(t);
}

/* ---- the signing key, limits and garbage ---- */

static void
test_signing_key(void)
{
	/* AWS's "derive a signing key" example (IAM, 20120215). */
	static const char want[] = "f4780e2d9f65fa895f9c67b32ce1baf0"
				   "b0d8a43505a000a1a9e090d414db404d";
	unsigned char key[SIGV4_KEY_LEN];
	char hex[2 * SIGV4_KEY_LEN + 1], long_secret[SIGV4_MAX_SECRET + 2];
	size_t i;

	CHECK(sigv4_signing_key(SECRET, "20120215", "us-east-1", "iam", key) ==
		  0,
	      "signing key failed");
	for (i = 0; i < SIGV4_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	CHECK_STR(hex, want);
	memset(long_secret, 'k', sizeof(long_secret) - 1);
	long_secret[sizeof(long_secret) - 1] = '\0';
	CHECK(sigv4_signing_key(long_secret, "20120215", "us-east-1", "iam",
				key) == -1,
	      "over-long secret accepted");
}

static void
expect_raw(const struct sigv4_request *r, time_t now, const char *code,
	   const char *what)
{
	struct sigv4_result res;
	struct err e;
	int rc;

	err_clear(&e);
	rc = sigv4_verify(r, now, lookup, NULL, &res, &e);
	CHECK(rc == -1 && strcmp(e.code, code) == 0,
	      "limits: %s: want %s, got %s: %s", what, code,
	      rc ? e.code : "success", e.message);
}

static void
test_limits(void)
{
	static struct sigv4_header many[SIGV4_MAX_HEADERS + 1];
	char *big = malloc(SIGV4_MAX_QUERY + 2);
	char list[2048] = "host", auth[2400];
	struct sigv4_header h[3] = {
	    {"Host", "127.0.0.1:8799"},
	    {"X-Amz-Date", "20261130T100715Z"},
	    {"Authorization", auth},
	};
	struct sigv4_request r = {"POST", "/", "", h, 3, "", 0, NULL};
	const time_t t0 = 1796033235; /* 2026-11-30T10:07:15Z */
	size_t i;

	snprintf(auth, sizeof(auth),
		 "AWS4-HMAC-SHA256 Credential=" KEY_ID
		 "/20261130/us-east-1/ec2/aws4_request, SignedHeaders=%s, "
		 "Signature=%064d",
		 list, 0);
	expect_raw(&r, t0, "SignatureDoesNotMatch", "a well-formed request");
	for (i = 0; i < SIGV4_MAX_SIGNED_HEADERS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 ";x-h%zu", i);
	snprintf(auth, sizeof(auth),
		 "AWS4-HMAC-SHA256 Credential=" KEY_ID
		 "/20261130/us-east-1/ec2/aws4_request, SignedHeaders=%s, "
		 "Signature=%064d",
		 list, 0);
	expect_raw(&r, t0, "IncompleteSignature", "65 signed headers");
	if (!big)
		return;
	memset(big, 'a', SIGV4_MAX_HEADER_VALUE + 1);
	big[SIGV4_MAX_HEADER_VALUE + 1] = '\0';
	h[0].value = big;
	snprintf(auth, sizeof(auth),
		 "AWS4-HMAC-SHA256 Credential=" KEY_ID
		 "/20261130/us-east-1/ec2/aws4_request, SignedHeaders=host, "
		 "Signature=%064d",
		 0);
	expect_raw(&r, t0, "IncompleteSignature", "8 KiB + 1 header value");
	h[0].value = "127.0.0.1:8799";
	h[2].value = big;
	expect_raw(&r, t0, "IncompleteSignature", "8 KiB + 1 Authorization");
	h[2].value = auth;
	memset(big, 'a', SIGV4_MAX_QUERY + 1);
	big[SIGV4_MAX_QUERY + 1] = '\0';
	r.query = big;
	expect_raw(&r, t0, "MalformedQueryString", "256 KiB + 1 query");
	for (i = 0; i < SIGV4_MAX_QUERY_PARAMS + 1; i++)
		memcpy(big + 2 * i, "a&", 2);
	big[2 * i] = '\0';
	expect_raw(&r, t0, "MalformedQueryString", "4097 query parameters");
	r.query = "";
	memset(big, 'p', SIGV4_MAX_PATH + 1);
	big[0] = '/';
	big[SIGV4_MAX_PATH + 1] = '\0';
	r.path = big;
	expect_raw(&r, t0, "IncompleteSignature", "8 KiB + 1 path");
	r.path = "/";
	for (i = 0; i < SIGV4_MAX_HEADERS + 1; i++)
		many[i] = h[i % 3];
	r.headers = many;
	r.nheaders = SIGV4_MAX_HEADERS + 1;
	expect_raw(&r, t0, "IncompleteSignature", "257 headers");
	free(big);
}

/* a and b with runs of spaces and tabs squeezed, and trimmed. */
static int
same_spacing_str(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		while (*a && *a == *b && *a != ' ' && *a != '\t') {
			a++;
			b++;
		}
		if (!*a || !*b)
			return *a == *b;
		/* Both at a run of spaces go round again; else they differ. */
		if (!(*a == ' ' || *a == '\t') || !(*b == ' ' || *b == '\t'))
			return 0;
	}
}

/* True when t differs from base only where SigV4 squeezes whitespace. */
static int
same_but_spacing(const struct treq *t, const struct treq *base)
{
	size_t i;

	if (strcmp(t->path, base->path) || strcmp(t->query, base->query) ||
	    t->nheaders != base->nheaders)
		return 0;
	for (i = 0; i < t->nheaders; i++)
		if (strcmp(t->name[i], base->name[i]) ||
		    !same_spacing_str(t->value[i], base->value[i]))
			return 0;
	return 1;
}

/* Random byte damage anywhere must be refused, never crash. */
static void
test_garbage(void)
{
	static const char alphabet[] = "=/;, %&+AZaz09\t\x80\xff";
	struct treq *base = malloc(sizeof(*base)), *t = malloc(sizeof(*t));
	uint32_t seed = 12345;
	size_t round, accepted = 0, codeless = 0, cut;
	time_t t0;

	if (!base || !t ||
	    load_one(FIXTURES "/awscli2-run-instances.txt", base) < 0)
		goto out;
	t0 = signed_at(base);
	for (round = 0; round < 20000; round++) {
		struct sigv4_result res;
		struct err e;
		char *field;
		size_t len, flips, k;

		*t = *base;
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 16) % 4) {
		case 0:
			field = header(t, "Authorization");
			break;
		case 1:
			field = header(t, "X-Amz-Date");
			break;
		case 2:
			snprintf(t->query, sizeof(t->query),
				 "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-"
				 "Credential=%s&X-Amz-Date=20261130T100000Z&"
				 "X-Amz-SignedHeaders=host&X-Amz-Expires=60&"
				 "X-Amz-Signature=00",
				 KEY_ID "%2F20261130%2Fus-east-1%2Fec2%2F"
					"aws4_request");
			remove_header(t, "Authorization");
			field = t->query;
			break;
		default:
			field = t->path;
			break;
		}
		len = strlen(field);
		flips = 1 + (seed >> 8) % 4;
		for (k = 0; k < flips && len; k++) {
			seed = seed * 1103515245u + 12345u;
			field[(seed >> 8) % len] =
			    alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		if (verify(t, t0, &res, &e) == 0 && !same_but_spacing(t, base))
			accepted++;
		else if (!e.code[0] && !same_but_spacing(t, base))
			codeless++;
	}
	/* Every prefix of the Authorization header, too. */
	for (cut = 0; cut < strlen(header(base, "Authorization")); cut++) {
		struct sigv4_result res;
		struct err e;

		*t = *base;
		header(t, "Authorization")[cut] = '\0';
		if (verify(t, t0, &res, &e) == 0)
			accepted++;
	}
	CHECK(accepted == 0, "garbage: %zu damaged requests accepted",
	      accepted);
	CHECK(codeless == 0, "garbage: %zu refusals without a code", codeless);
out:
	free(base);
	free(t);
}

int
main(void)
{
	test_signing_key();
	test_captured_requests();
	test_presigned();
	test_golden_header_signed();
	test_aws_suite();
	test_limits();
	test_garbage();
	return UNIT_DONE();
}
