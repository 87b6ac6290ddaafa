/*
 * test_query.c - decoding Query requests into the parameter tree (every
 * body in tests/data/ec2-requests, plus hostile input), the EC2 XML encoder
 * and escaping, filter wildcards, pagination tokens and base64.
 */
#include <dirent.h>
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
			struct err e = { "", "" };

			for (char *h = p; h > text; h--)
				if (strncasecmp(h, "\nContent-Length:", 16) == 0) {
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
		"%9C%AC&Tag.3.Key=empty&Tag.3.Value=", &e);
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
	CHECK(param_strlist(p, "ResourceId", 10, &ids, &e) == 0 &&
		      ids.n == 2 && strcmp(ids.v[1], "vol-1") == 0,
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

static void
test_bad_input(void)
{
	static const char *const bad[] = {
		"A=%zz", "A=%4", "A=%", "A.0=x", "A..B=x", ".A=x", "A.=x",
		"A=1&A=2", "A=%00", "A=%ff", "A=%c3%28", "A=%ed%a0%80",
		"A=%c0%af", "A=%01", "A.1001=x", "A.01=x",
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
				     "99999999999999999999&E=pem", &e);
	static const char *const formats[] = { "pem", "ppk", NULL };
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
		{ "abc", "abc", true },	   { "abc", "abcd", false },
		{ "a*", "abcd", true },	   { "*d", "abcd", true },
		{ "*", "", true },	   { "a*c*e", "abxcyye", true },
		{ "a*c*e", "abxcyy", false },
		/* '?' is zero or one character (EC2 User Guide). */
		{ "ab?", "ab", true },	   { "ab?", "abc", true },
		{ "ab?", "abcd", false },  { "a?c", "ac", true },
		{ "t3.?icro", "t3.micro", true },
		{ "\\*x", "*x", true },	   { "\\*x", "ax", false },
		{ "a\\?", "a?", true },	   { "a\\?", "a", false },
		{ "\\\\", "\\", true },	   { "c6i.*", "c6i.large", true },
		{ "c6i.*", "c6id.large", false },
		{ "", "", true },	   { "", "a", false },
		{ "**a**", "xa", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(wildcard_match(cases[i].pattern, cases[i].s) ==
			      cases[i].match,
		      "wildcard '%s' on '%s'", cases[i].pattern, cases[i].s);
}

static void
test_paginate(void)
{
	const char *keys[] = { "a", "b", "c", "d", "e" };
	char token[256] = "", key[PAGE_KEY_MAX];
	struct page pg;
	struct err e;
	int seen = 0, pages = 0;

	CHECK(page_token_encode("L", "i-0123\x01x", token, sizeof(token)) ==
			      0 &&
		      page_token_decode(token, "L", key, sizeof(key)) == 0 &&
		      strcmp(key, "i-0123\x01x") == 0,
	      "token round trip");
	CHECK(page_token_decode(token, "M", key, sizeof(key)) < 0,
	      "a token of another listing");
	CHECK(page_token_decode("garbage!", "L", key, sizeof(key)) < 0,
	      "garbage");
	CHECK(page_token_decode("Zm9v", "L", key, sizeof(key)) < 0,
	      "base64 without the prefix");
	page_token_encode("L", "", token, sizeof(token));
	CHECK(page_token_decode(token, "L", key, sizeof(key)) < 0,
	      "a token with an empty key");
	/* Walk five items two at a time, as a client loop would. */
	token[0] = '\0';
	do {
		char req[300];
		struct param *p;

		snprintf(req, sizeof(req), "MaxResults=2%s%s",
			 token[0] ? "&NextToken=" : "", token);
		p = decode_str(req, &e);
		CHECK(page_parse(p, "L", 1, 10, &pg, &e) == 0, "page_parse");
		for (int i = 0; i < 5; i++)
			if (page_take(&pg, keys[i]))
				seen++;
		token[0] = '\0';
		if (pg.more)
			page_token_encode("L", pg.last, token, sizeof(token));
		params_free(p);
	} while (token[0] && ++pages < 10);
	CHECK(seen == 5 && pages == 2, "5 items in 3 pages: seen %d, %d",
	      seen, pages);
	{
		struct param *p = decode_str("MaxResults=1001", &e);

		CHECK(page_parse(p, "L", 5, 1000, &pg, &e) < 0 &&
			      strcmp(e.code, "InvalidParameterValue") == 0,
		      "MaxResults over the range");
		params_free(p);
		p = decode_str("NextToken=abc", &e);
		CHECK(page_parse(p, "L", 5, 1000, &pg, &e) < 0 &&
			      strcmp(e.code, "InvalidPaginationToken") == 0,
		      "bad token: %s", e.code);
		params_free(p);
	}
}

static void
test_b64(void)
{
	static const char *const good[][2] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" },
		{ "Zm9v", "foo" }, { "aGVsbG8=", "hello" },
	};
	static const char *const bad[] = { "Zg=", "Zm9", "Z===", "Zh==",
					   "Zm9v\n", "Zm=v", "====" };
	char enc[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t n;
		unsigned char *d = b64_decode(good[i][0], strlen(good[i][0]),
					      &n);

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
}

int
main(void)
{
	test_fixtures();
	test_special_chars();
	test_list_order();
	test_bad_input();
	test_getters();
	test_xml();
	test_wildcards();
	test_paginate();
	test_b64();
	return UNIT_DONE();
}
