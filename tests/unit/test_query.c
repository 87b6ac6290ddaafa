/*
 * test_query.c - decoding Query requests into the parameter tree (every
 * body in tests/data/ec2-requests, plus hostile input), the EC2 XML encoder
 * and escaping, filter wildcards, pagination tokens and base64.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/ec2xml.h"
#include "api/query.h"
#include "common/b64.h"
#include "services/ec2/filter.h"
#include "services/ec2/paginate.h"
#include "unit.h"

#define FIXTURES "../data/ec2-requests"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *d;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = calloc(1, (size_t)n + 1);
	if (fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		d = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return d;
}

static struct param *
decode_str(const char *s, struct err *e)
{
	struct param *p = params_new();

	if (query_decode(s, strlen(s), p, 0, e) < 0) {
		params_free(p);
		return NULL;
	}
	return p;
}

/* Every request body in the fixtures decodes, with Action and Version. */
static void
test_fixtures(void)
{
	DIR *d = opendir(FIXTURES);
	struct dirent *de;
	int files = 0, bodies = 0;

	CHECK(d != NULL, "cannot open %s", FIXTURES);
	while (d && (de = readdir(d))) {
		char path[512];
		size_t len;
		char *text, *p;

		if (!strstr(de->d_name, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", FIXTURES, de->d_name);
		text = slurp(path, &len);
		files++;
		for (p = text; p && (p = strstr(p, "\r\n\r\n")); p += 4) {
			const char *body = p + 4;
			char *end = strstr(body, "\n\n=== END OF REQUEST ===");
			const char *cl = NULL;
			size_t blen;
			struct param *root;
			struct err e = {"", ""};

			for (char *h = p; h > text; h--)
				if (strncasecmp(h, "\nContent-Length:", 16) ==
				    0) {
					cl = h + 16;
					break;
				}
			blen = cl ? strtoul(cl, NULL, 10) : 0;
			if (end && (size_t)(end - body) < blen)
				blen = (size_t)(end - body);
			root = params_new();
			CHECK(query_decode(body, blen, root, 0, &e) == 0,
			      "%s: %s", de->d_name, e.message);
			CHECK(param_value(root, "Action") != NULL,
			      "%s: no Action", de->d_name);
			CHECK_STR(param_value(root, "Version"), "2016-11-15");
			params_free(root);
			bodies++;
		}
		free(text);
	}
	if (d)
		closedir(d);
	CHECK(files >= 50 && bodies >= files, "fixtures: %d files, %d bodies",
	      files, bodies);
}

static void
test_special_chars(void)
{
	struct err e;
	struct param *p = decode_str(
	    "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-1&"
	    "ResourceId.2=vol-1&Tag.1.Key=k+sp&Tag.1.Value=a+b%2Bc%26d%3De"
	    "%2Ff~g%2Ah%25i%3Aj&Tag.2.Key=%C3%BC&Tag.2.Value=%E6%97%A5%E6"
	    "%9C%AC&Tag.3.Key=empty&Tag.3.Value=",
	    &e);
	const struct param **v;
	struct strlist ids;
	size_t n;

	CHECK(p != NULL, "decode");
	CHECK_STR(param_value(p, "Tag.1.Key"), "k sp");
	CHECK_STR(param_value(p, "Tag.1.Value"), "a b+c&d=e/f~g*h%i:j");
	CHECK_STR(param_value(p, "Tag.2.Key"), "\xc3\xbc");
	CHECK_STR(param_value(p, "Tag.3.Value"), "");
	CHECK(param_list(p, "Tag", 0, &v, &n, &e) == 0 && n == 3, "3 tags");
	free(v);
	strlist_init(&ids);
	CHECK(param_strlist(p, "ResourceId", 10, &ids, &e) == 0 && ids.n == 2 &&
		  strcmp(ids.v[1], "vol-1") == 0,
	      "ResourceId list");
	strlist_free(&ids);
	params_free(p);
}

/* Lists come out in numeric order, whatever order they were sent in. */
static void
test_list_order(void)
{
	struct err e;
	struct param *p = decode_str("A.10=j&A.2=b&A.1=a&A.9=i", &e);
	const struct param **v;
	size_t n;

	CHECK(param_list(p, "A", 0, &v, &n, &e) == 0 && n == 4, "list");
	CHECK(n == 4 && strcmp(v[0]->value, "a") == 0 &&
		  strcmp(v[1]->value, "b") == 0 &&
		  strcmp(v[2]->value, "i") == 0 &&
		  strcmp(v[3]->value, "j") == 0,
	      "numeric order");
	free(v);
	CHECK(param_list(p, "A", 3, &v, &n, &e) < 0 &&
		  strcmp(e.code, "InvalidParameterValue") == 0,
	      "list longer than its maximum");
	params_free(p);
}

/* The one percent-decoder and the split that SigV4 and the router share. */
static void
test_unescape_split(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"", ""},
	    {"a+b", "a b"},
	    {"%41%42%43", "ABC"},
	    {"%c3%bc%C3%BC", "\xc3\xbc\xc3\xbc"},
	    {"%2B+", "+ "},
	    {"~-._*", "~-._*"},
	};
	static const struct {
		const char *in;
		size_t bad_at;
	} bad[] = {
	    {"%", 0},	{"%4", 0},    {"a%4", 1},  {"%%41", 0},
	    {"%g1", 0}, {"ab%1g", 2}, {"%41%", 3}, {"% 41", 0},
	};
	struct query_list l;
	struct err e;
	char out[32];
	size_t n, at;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = 99;
		CHECK(query_unescape(good[i].in, strlen(good[i].in), out, &n,
				     &at) == 0 &&
			  n == strlen(good[i].out) &&
			  memcmp(out, good[i].out, n) == 0,
		      "unescape '%s'", good[i].in);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at = 99;
		CHECK(query_unescape(bad[i].in, strlen(bad[i].in), out, &n,
				     &at) == -EINVAL &&
			  at == bad[i].bad_at,
		      "unescape '%s': bad at %zu", bad[i].in, at);
	}
	/* Bounded: a length cuts an escape short, whatever follows. */
	CHECK(query_unescape("%41", 2, out, &n, &at) == -EINVAL && at == 0,
	      "escape cut by the length");
	CHECK(query_unescape("a%00b", 5, out, &n, &at) == 0 && n == 3 &&
		  out[1] == '\0',
	      "%%00 decodes to a NUL byte");

	CHECK(query_split("a=1&&b&=&c=%3D=", 15, 4, "X", "test", &l, &e) == 0,
	      "split: %s", e.message);
	CHECK(l.n == 4 && strcmp(l.v[0].name, "a") == 0 &&
		  strcmp(l.v[0].value, "1") == 0 &&
		  strcmp(l.v[1].name, "b") == 0 && l.v[1].value_len == 0 &&
		  l.v[2].name_len == 0 && l.v[2].value_len == 0 &&
		  strcmp(l.v[3].name, "c") == 0 &&
		  strcmp(l.v[3].value, "==") == 0,
	      "split: pairs in order, empties skipped");
	query_list_free(&l);
	query_list_free(&l);
	err_clear(&e);
	CHECK(query_split("a&b&c", 5, 2, "TooMany", "test", &l, &e) < 0 &&
		  strcmp(e.code, "TooMany") == 0 && l.n == 0 && !l.v,
	      "split: more pairs than allowed: %s", e.code);
	err_clear(&e);
	CHECK(query_split("a=1&b=%zz", 9, 8, "Bad", "test", &l, &e) < 0 &&
		  strcmp(e.code, "Bad") == 0 && strstr(e.message, "%zz") &&
		  !l.v,
	      "split: illegal hex: %s", e.message);
	err_clear(&e);
	CHECK(query_split("a=%4", 4, 8, "Bad", "test", &l, &e) < 0 &&
		  strstr(e.message, "Incomplete trailing escape"),
	      "split: cut escape: %s", e.message);
	err_clear(&e);
	CHECK(query_split("a=%\x01\x80", 5, 8, "Bad", "test", &l, &e) < 0 &&
		  query_text_ok(e.message, strlen(e.message)),
	      "split: the message never quotes raw bytes: %s", e.message);
	/* The router's order: the query's X-Amz-* left out, then params. */
	{
		struct param *p = params_new();

		CHECK(query_split("X-Amz-Date=1&Action=A%2Bb", 25, 8, "Bad",
				  "test", &l, &e) == 0 &&
			  query_params(&l, p, 1, &e) == 0 &&
			  !param_value(p, "X-Amz-Date") &&
			  strcmp(param_value(p, "Action"), "A+b") == 0,
		      "query_params skips the presign parameters");
		query_list_free(&l);
		params_free(p);
	}
}

static void
test_bad_input(void)
{
	static const char *const bad[] = {
	    "A=%zz",
	    "A=%4",
	    "A=%",
	    "A.0=x",
	    "A..B=x",
	    ".A=x",
	    "A.=x",
	    "A=1&A=2",
	    "A=%00",
	    "A=%ff",
	    "A=%c3%28",
	    "A=%ed%a0%80",
	    "A=%c0%af",
	    "A=%01",
	    "A.1001=x",
	    "A.01=x",
	    "a.b.c.d.e.f.g.h.i=x",
	};
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct param *p;

		err_clear(&e);
		p = decode_str(bad[i], &e);
		CHECK(p == NULL && e.code[0], "accepted bad input %s", bad[i]);
		params_free(p);
	}
	{
		struct param *p = decode_str("A=1&&B=%E2%9C%93&C", &e);

		CHECK(p && strcmp(param_value(p, "B"), "\xe2\x9c\x93") == 0 &&
			  strcmp(param_value(p, "C"), "") == 0,
		      "tolerated: empty pairs, a name without '='");
		params_free(p);
	}
}

static void
test_getters(void)
{
	struct err e;
	struct param *p = decode_str("N=42&B=TRUE&S=hello&Neg=-1&Big="
				     "99999999999999999999&E=pem",
				     &e);
	static const char *const formats[] = {"pem", "ppk", NULL};
	long long n = 0;
	bool b = false;
	const char *s = NULL;

	CHECK(param_int(p, "N", true, 5, 100, &n, &e) == 0 && n == 42, "int");
	CHECK(param_int(p, "N", true, 50, 100, &n, &e) < 0 &&
		  strcmp(e.code, "InvalidParameterValue") == 0,
	      "int range");
	CHECK(param_int(p, "Big", true, 0, 100, &n, &e) < 0, "overflow");
	CHECK(param_int(p, "Missing", true, 0, 1, &n, &e) < 0 &&
		  strcmp(e.code, "MissingParameter") == 0,
	      "missing");
	CHECK(param_bool(p, "B", &b, &e) == 0 && b, "bool");
	CHECK(param_bool(p, "S", &b, &e) < 0, "not a bool");
	CHECK(param_str(p, "S", true, 3, &s, &e) < 0, "too long");
	CHECK(param_enum(p, "E", true, formats, &s, &e) == 0 &&
		  strcmp(s, "pem") == 0,
	      "enum");
	CHECK(param_enum(p, "S", true, formats, &s, &e) < 0 &&
		  strstr(e.message, "pem, ppk"),
	      "enum lists the valid values");
	params_free(p);
}

/* A struct out encoder into EC2 XML, escaping included. */
static void
test_xml(void)
{
	struct buf b;
	struct out o;

	buf_init(&b, 0);
	ec2xml_out_init(&o, &b);
	out_open(&o, "a");
	out_str(&o, "s", "<&>\"' \r\n\xe6\x97\xa5");
	out_list(&o, "l");
	out_str(&o, NULL, "x");
	out_item(&o);
	out_int(&o, "n", -5);
	out_bool(&o, "t", true);
	out_double(&o, "d", 2.5);
	out_item_end(&o);
	out_list_end(&o);
	out_str(&o, "absent", NULL);
	out_time(&o, "when", 0);
	out_close(&o);
	CHECK_STR(buf_cstr(&b),
		  "<a><s>&lt;&amp;&gt;&quot;&apos; &#13;\n\xe6\x97\xa5</s>"
		  "<l><item>x</item><item><n>-5</n><t>true</t><d>2.5</d>"
		  "</item></l><when>1970-01-01T00:00:00.000Z</when></a>");
	CHECK(!o.failed && o.depth == 0, "balanced");
	buf_free(&b);

	{
		struct err e;

		buf_init(&b, 0);
		err_set(&e, "InvalidX", "bad <thing> & more");
		ec2xml_error(&b, &e, "rid");
		CHECK(strstr(buf_cstr(&b),
			     "<Response><Errors><Error><Code>InvalidX</Code>"
			     "<Message>bad &lt;thing&gt; &amp; more</Message>"
			     "</Error></Errors><RequestID>rid</RequestID>"
			     "</Response>") != NULL,
		      "error body: %s", buf_cstr(&b));
		buf_free(&b);
	}
	buf_init(&b, 16);
	buf_adds(&b, "0123456789abcdefg");
	CHECK(buf_failed(&b), "a buffer past its maximum fails");
	buf_adds(&b, "x");
	CHECK(buf_failed(&b) && buf_cstr(&b)[0] == '\0', "and stays failed");
	buf_free(&b);
}

static void
test_wildcards(void)
{
	static const struct {
		const char *pattern, *s;
		bool match;
	} cases[] = {
	    {"abc", "abc", true},
	    {"abc", "abcd", false},
	    {"a*", "abcd", true},
	    {"*d", "abcd", true},
	    {"*", "", true},
	    {"a*c*e", "abxcyye", true},
	    {"a*c*e", "abxcyy", false},
	    /* '?' is zero or one character (EC2 User Guide). */
	    {"ab?", "ab", true},
	    {"ab?", "abc", true},
	    {"ab?", "abcd", false},
	    {"a?c", "ac", true},
	    {"t3.?icro", "t3.micro", true},
	    {"\\*x", "*x", true},
	    {"\\*x", "ax", false},
	    {"a\\?", "a?", true},
	    {"a\\?", "a", false},
	    {"\\\\", "\\", true},
	    {"c6i.*", "c6i.large", true},
	    {"c6i.*", "c6id.large", false},
	    {"", "", true},
	    {"", "a", false},
	    {"**a**", "xa", true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(wildcard_match(cases[i].pattern, cases[i].s) ==
			  cases[i].match,
		      "wildcard '%s' on '%s'", cases[i].pattern, cases[i].s);
}

/* Parse req as a page of listing "L" under secret k; the token or "". */
static int
page_of(const char *req, const unsigned char *k, struct page *pg, struct err *e)
{
	struct param *p = decode_str(req, e);
	int rc = p ? page_parse_keyed(p, k, "L", 1, 10, pg, e) : -1;

	params_free(p);
	return rc;
}

static void
test_paginate_tokens(void)
{
	unsigned char k1[PAGE_SECRET_LEN] = {1}, k2[PAGE_SECRET_LEN] = {2};
	char token[256] = "", other[256], key[PAGE_KEY_MAX], req[400];
	struct page pg, pg2;
	struct err e;

	CHECK(page_of("Filter.1.Name=a&Filter.1.Value.1=x", k1, &pg, &e) == 0,
	      "parse");
	CHECK(page_token_encode(&pg, "i-0123\x01x", token, sizeof(token)) ==
		      0 &&
		  page_token_decode(&pg, token, key, sizeof(key)) == 0 &&
		  strcmp(key, "i-0123\x01x") == 0,
	      "token round trip");
	snprintf(req, sizeof(req),
		 "MaxResults=7&Filter.1.Name=a&Filter.1.Value.1=x&NextToken=%s",
		 token);
	CHECK(page_of(req, k1, &pg2, &e) == 0 &&
		  strcmp(pg2.after, "i-0123\x01x") == 0 && pg2.max == 7,
	      "the same filters, another MaxResults: accepted");
	snprintf(req, sizeof(req),
		 "Filter.1.Name=a&Filter.1.Value.1=y&NextToken=%s", token);
	CHECK(page_of(req, k1, &pg2, &e) < 0 &&
		  strcmp(e.code, "InvalidPaginationToken") == 0,
	      "another filter value: refused");
	snprintf(req, sizeof(req), "NextToken=%s", token);
	CHECK(page_of(req, k1, &pg2, &e) < 0, "filters dropped: refused");
	snprintf(req, sizeof(req),
		 "Filter.1.Name=a&Filter.1.Value.1=x&NextToken=%s", token);
	CHECK(page_of(req, k2, &pg2, &e) < 0,
	      "another deployment's secret: refused");
	{
		struct param *p = decode_str("Filter.1.Name=a&Filter.1."
					     "Value.1=x",
					     &e);

		CHECK(page_parse_keyed(p, k1, "M", 1, 10, &pg2, &e) == 0 &&
			  page_token_decode(&pg2, token, key, sizeof(key)) < 0,
		      "a token of another listing");
		params_free(p);
	}
	/* Forged: the key changed, the MAC kept; and one bit flipped. */
	page_token_encode(&pg, "i-9999\x01x", other, sizeof(other));
	memcpy(other, token, 22); /* 16 bytes of MAC: 21.3 characters */
	CHECK(page_token_decode(&pg, other, key, sizeof(key)) < 0,
	      "another key under the old MAC");
	snprintf(other, sizeof(other), "%s", token);
	other[3] = other[3] == 'A' ? 'B' : 'A';
	CHECK(page_token_decode(&pg, other, key, sizeof(key)) < 0,
	      "one character changed");
	CHECK(page_token_decode(&pg, "garbage!", key, sizeof(key)) < 0,
	      "garbage");
	CHECK(page_token_decode(&pg, "Zm9v", key, sizeof(key)) < 0,
	      "too short for a MAC");
	CHECK(page_token_encode(&pg, "", token, sizeof(token)) < 0,
	      "no token for an empty key");
}

static void
test_paginate(void)
{
	const char *keys[] = {"a", "b", "c", "d", "e"};
	unsigned char k[PAGE_SECRET_LEN] = {7};
	char token[256] = "";
	struct page pg;
	struct err e;
	int seen = 0, pages = 0;

	test_paginate_tokens();
	/* Walk five items two at a time, as a client loop would. */
	do {
		char req[300];

		snprintf(req, sizeof(req), "MaxResults=2%s%s",
			 token[0] ? "&NextToken=" : "", token);
		CHECK(page_of(req, k, &pg, &e) == 0, "page_parse");
		for (int i = 0; i < 5; i++)
			if (page_take(&pg, keys[i]))
				seen++;
		token[0] = '\0';
		if (pg.more)
			page_token_encode(&pg, pg.last, token, sizeof(token));
	} while (token[0] && ++pages < 10);
	CHECK(seen == 5 && pages == 2, "5 items in 3 pages: seen %d, %d", seen,
	      pages);
	{
		struct param *p = decode_str("MaxResults=1001", &e);

		CHECK(page_parse_keyed(p, k, "L", 5, 1000, &pg, &e) < 0 &&
			  strcmp(e.code, "InvalidParameterValue") == 0,
		      "MaxResults over the range");
		params_free(p);
		p = decode_str("NextToken=abc", &e);
		CHECK(page_parse_keyed(p, k, "L", 5, 1000, &pg, &e) < 0 &&
			  strcmp(e.code, "InvalidPaginationToken") == 0,
		      "bad token: %s", e.code);
		params_free(p);
	}
}

/* The bounded form, whitespace for key files, and embedded NULs. */
static void
test_b64_to(void)
{
	unsigned char out[8];
	size_t n = 99;

	CHECK(b64_decode_to(" Zm9v\r\nYmFy\tYg==\n", 17, B64_SPACE, out,
			    sizeof(out), &n) == 0 &&
		  n == 7 && memcmp(out, "foobarb", 7) == 0,
	      "B64_SPACE skips whitespace");
	CHECK(b64_decode_to("Zm9v\nYmFy", 9, 0, out, sizeof(out), &n) ==
		  -EINVAL,
	      "whitespace without B64_SPACE");
	CHECK(b64_decode_to("Zm9 v", 5, B64_SPACE, out, sizeof(out), &n) == 0 &&
		  n == 3,
	      "a space inside a group with B64_SPACE");
	CHECK(b64_decode_to("Zg= =", 5, B64_SPACE, out, sizeof(out), &n) == 0 &&
		  n == 1 && out[0] == 'f',
	      "space between the padding characters");
	CHECK(b64_decode_to("Zg==\n Zg==", 10, B64_SPACE, out, sizeof(out),
			    &n) == -EINVAL,
	      "a second group after the padding");
	CHECK(b64_decode_to("Zm9vYmFy", 8, 0, out, 6, &n) == 0 && n == 6,
	      "exactly fits");
	CHECK(b64_decode_to("Zm9vYmFy", 8, 0, out, 5, &n) == -ENOSPC,
	      "one byte too many for the buffer");
	CHECK(b64_decode_to("Zm9vYg==", 8, 0, out, 3, &n) == -ENOSPC,
	      "a padded group past the buffer");
	CHECK(b64_decode_to("Zm\0v", 4, 0, out, sizeof(out), &n) == -EINVAL,
	      "NUL inside the text");
	CHECK(b64_decode_to("", 0, 0, out, 0, &n) == 0 && n == 0, "empty");
	CHECK(b64_decoded_max(8) == 6 && b64_decoded_max(11) == 6,
	      "b64_decoded_max");
	CHECK(b64_value('A') == 0 && b64_value('/') == 63 &&
		  b64_value('=') < 0 && b64_value(0) < 0 && b64_value(0xc3) < 0,
	      "b64_value");
}

static void
test_b64(void)
{
	static const char *const good[][2] = {
	    {"", ""},	     {"Zg==", "f"},	    {"Zm8=", "fo"},
	    {"Zm9v", "foo"}, {"aGVsbG8=", "hello"},
	};
	static const char *const bad[] = {
	    "Zg=",   "Zm9",	 "Z===",     "Zh==",	"Zm9v\n", "Zm=v",
	    "====",  "Zm8=Zm9v", "Zg==Zg==", "Zg=a",	"Zm9v=",  "Zm9v====",
	    "Zm 9v", "Zm8-",	 "Zm8_",     "Zm\x80v", "Zm8%",
	};
	char enc[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n;
		unsigned char *d =
		    b64_decode(good[i][0], strlen(good[i][0]), &n);

		CHECK(d && n == strlen(good[i][1]) &&
			  memcmp(d, good[i][1], n) == 0,
		      "decode %s", good[i][0]);
		free(d);
		b64_encode(good[i][1], strlen(good[i][1]), enc);
		CHECK_STR(enc, good[i][0]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n;
		unsigned char *d = b64_decode(bad[i], strlen(bad[i]), &n);

		CHECK(d == NULL, "accepted bad base64 '%s'", bad[i]);
		free(d);
	}
	test_b64_to();
}

int
main(void)
{
	test_fixtures();
	test_special_chars();
	test_list_order();
	test_bad_input();
	test_unescape_split();
	test_getters();
	test_xml();
	test_wildcards();
	test_paginate();
	test_b64();
	return UNIT_DONE();
}
