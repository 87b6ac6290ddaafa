/*
 * sigv4.c - verifies AWS Signature Version 4 on incoming API requests.
 *
 * The API layer hands every request to sigv4_verify() before it looks at
 * the action. The verifier rebuilds the canonical request the client must
 * have signed (method, normalised path, sorted query, the signed headers,
 * the payload hash), derives the signing key from the secret the caller
 * looks up, and compares the signatures in constant time. The checks run
 * in the order AWS documents for its services, so a client gets the error
 * code AWS would give: query syntax, which auth mechanism, its parameters,
 * the timestamp, the credential scope, the access key, and only then the
 * signature itself. Messages follow AWS's wording where it is known.
 *
 * Nothing is kept between calls; every allocation is freed before return.
 */
#include "api/sigv4.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/buf.h"

#define ALGORITHM	 "AWS4-HMAC-SHA256"
#define TERMINATOR	 "aws4_request"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define HEX_LEN		 (2 * SIGV4_KEY_LEN)
#define ISO_BASIC_LEN	 16 /* 20261130T100715Z */
#define MAX_AUTH_PARAMS	 16 /* key=value pairs in Authorization */
#define MAX_METHOD	 32
#define CANONICAL_MAX	 (4u << 20)
/* How much of a client-supplied string an error message quotes. */
#define SHOWN(n) ((int)((n) > 200 ? 200 : (n)))

#define MSG_MISMATCH                                                           \
	"The request signature we calculated does not match the signature "    \
	"you provided. Check your AWS Secret Access Key and signing "          \
	"method. Consult the service documentation for details."

/* A piece of a client-supplied string; p == NULL means "absent". */
struct span {
	const char *p;
	size_t n;
};

/* One query parameter: decoded by query_split(), encoded here. */
struct qparam {
	struct span key, value;	  /* decoded */
	struct span ekey, evalue; /* AWS URI-encoded */
};

struct query {
	struct query_list own; /* when the caller gave no pairs */
	char *arena;	       /* every encoded element */
	size_t size, used;
	struct qparam *params;	/* as received */
	struct qparam **sorted; /* by encoded key, then value */
	size_t n;
};

/* The signature parameters, from the header or from the query. */
struct auth {
	int presigned;
	struct span credential, signed_headers, signature, date, expires;
	const char *date_name; /* where date came from, for messages */
};

/* The five parts of Credential=AK/20261130/us-east-1/ec2/aws4_request. */
struct scope {
	struct span key_id, date, region, service, terminator;
	struct span whole; /* date/region/service/terminator */
};

struct timestamp {
	long long epoch;
	char iso[32]; /* ISO 8601 basic, 16 chars */
};

struct signed_names {
	struct span name[SIGV4_MAX_SIGNED_HEADERS];
	size_t n;
};

static struct span
span_of(const char *s)
{
	struct span sp = {s, s ? strlen(s) : 0};

	return sp;
}

static int
span_eq(struct span a, const char *s)
{
	size_t n = strlen(s);

	return a.p && a.n == n && memcmp(a.p, s, n) == 0;
}

static int
ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
span_caseeq(struct span a, const char *s)
{
	size_t i, n = strlen(s);

	if (!a.p || a.n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a.p[i]) !=
		    ascii_lower((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t';
}

static struct span
span_trim(struct span s)
{
	while (s.n && is_space((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

static int
span_cmp(const struct span *a, const struct span *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0;

	if (c)
		return c;
	return (a->n > b->n) - (a->n < b->n);
}

/* The first header called name (any case), or NULL. */
static const struct sigv4_header *
header_find(const struct sigv4_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].name && r->headers[i].value &&
		    span_caseeq(span_of(r->headers[i].name), name))
			return &r->headers[i];
	return NULL;
}

/* The trimmed value of the first header called name, bounded. */
static int
header_value(const struct sigv4_request *r, const char *name, struct span *ret,
	     struct err *e)
{
	const struct sigv4_header *h = header_find(r, name);
	size_t n;

	ret->p = NULL;
	ret->n = 0;
	if (!h)
		return 0;
	n = strnlen(h->value, SIGV4_MAX_HEADER_VALUE + 1);
	if (n > SIGV4_MAX_HEADER_VALUE)
		return err_set(e, "IncompleteSignature",
			       "The %s header is longer than %d bytes.", name,
			       SIGV4_MAX_HEADER_VALUE);
	ret->p = h->value;
	ret->n = n;
	*ret = span_trim(*ret);
	return 0;
}

static int
is_unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* AWS's URI encoding of one byte into out: itself, or %XX upper case. */
static size_t
uri_encode_byte(unsigned char c, int keep_slash, char out[3])
{
	static const char hex[] = "0123456789ABCDEF";

	if (is_unreserved(c) || (keep_slash && c == '/')) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '%';
	out[1] = hex[c >> 4];
	out[2] = hex[c & 15];
	return 3;
}

/* Appends the AWS encoding of a decoded element to the arena. */
static struct span
query_encode(struct query *q, struct span s)
{
	char *out = q->arena + q->used;
	size_t i, len = 0;

	assert(q->used + 3 * s.n <= q->size);
	for (i = 0; i < s.n; i++)
		len += uri_encode_byte((unsigned char)s.p[i], 0, out + len);
	q->used += len;
	return (struct span){out, len};
}

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = *(const struct qparam *const *)a;
	const struct qparam *y = *(const struct qparam *const *)b;
	int c = span_cmp(&x->ekey, &y->ekey);

	return c ? c : span_cmp(&x->evalue, &y->evalue);
}

static void
query_free(struct query *q)
{
	query_list_free(&q->own);
	free(q->arena);
	free(q->params);
	free(q->sorted);
}

int
sigv4_query_split(const char *query, struct query_list *ret, struct err *e)
{
	size_t len = strnlen(query, SIGV4_MAX_QUERY + 1);

	memset(ret, 0, sizeof(*ret));
	if (len > SIGV4_MAX_QUERY)
		return err_set(e, "MalformedQueryString",
			       "The query string is longer than %d bytes.",
			       SIGV4_MAX_QUERY);
	return query_split(query, len, SIGV4_MAX_QUERY_PARAMS,
			   "MalformedQueryString", "query string", ret, e);
}

/*
 * Takes the decoded query parameters (the caller's, or split here from
 * the raw query), re-encodes each the way SigV4 wants, and sorts them by
 * encoded name, then encoded value. The caller frees q with query_free()
 * whatever this returns.
 */
static int
query_parse(struct query *q, const struct sigv4_request *r, struct err *e)
{
	const struct query_list *l = r->decoded;
	size_t total = 0, i;

	memset(q, 0, sizeof(*q));
	if (!l) {
		if (sigv4_query_split(r->query ? r->query : "", &q->own, e) < 0)
			return -1;
		l = &q->own;
	}
	for (i = 0; i < l->n; i++)
		total += l->v[i].name_len + l->v[i].value_len;
	/* Encoding at most triples an element; the arena never moves. */
	q->size = 3 * total + 1;
	q->arena = malloc(q->size);
	q->params = calloc(l->n ? l->n : 1, sizeof(*q->params));
	q->sorted = calloc(l->n ? l->n : 1, sizeof(*q->sorted));
	if (!q->arena || !q->params || !q->sorted)
		return err_set(e, "InternalFailure", "Out of memory.");
	for (i = 0; i < l->n; i++) {
		struct qparam *p = &q->params[i];

		p->key = (struct span){l->v[i].name, l->v[i].name_len};
		p->value = (struct span){l->v[i].value, l->v[i].value_len};
		p->ekey = query_encode(q, p->key);
		p->evalue = query_encode(q, p->value);
		q->sorted[i] = p;
	}
	q->n = l->n;
	if (q->n)
		qsort(q->sorted, q->n, sizeof(*q->sorted), qparam_cmp);
	return 0;
}

/* The decoded value of the first parameter called name, or an absent span. */
static struct span
query_get(const struct query *q, const char *name)
{
	struct span none = {NULL, 0};
	size_t i;

	for (i = 0; i < q->n; i++)
		if (span_eq(q->params[i].key, name))
			return q->params[i].value;
	return none;
}

static void
msg_add(char *msg, size_t size, const char *s)
{
	size_t len = strlen(msg);

	if (len < size)
		snprintf(msg + len, size - len, "%s%s", len ? " " : "", s);
}

/* Reads AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */
static int
auth_header_params(struct span v, struct auth *a, struct err *e)
{
	const char *sp = memchr(v.p, ' ', v.n);
	struct span alg = {v.p, sp ? (size_t)(sp - v.p) : v.n};
	struct span rest = {v.p + alg.n, v.n - alg.n};
	size_t nparams = 0;

	if (!span_eq(alg, ALGORITHM))
		return err_set(e, "IncompleteSignature",
			       "Unsupported AWS 'algorithm': '%.*s'.",
			       SHOWN(alg.n), alg.p);
	while (rest.n) {
		const char *comma = memchr(rest.p, ',', rest.n);
		struct span param = {rest.p,
				     comma ? (size_t)(comma - rest.p) : rest.n};
		struct span key, val;
		const char *eq;

		rest.p += param.n + (comma ? 1 : 0);
		rest.n -= param.n + (comma ? 1 : 0);
		param = span_trim(param);
		if (!param.n)
			continue;
		if (++nparams > MAX_AUTH_PARAMS)
			return err_set(e, "IncompleteSignature",
				       "The Authorization header has more "
				       "than %d parameters.",
				       MAX_AUTH_PARAMS);
		eq = memchr(param.p, '=', param.n);
		if (!eq)
			return err_set(e, "IncompleteSignature",
				       "'%.*s' not a valid key=value pair "
				       "(missing equal-sign) in Authorization "
				       "header: '%.*s'",
				       SHOWN(param.n), param.p, SHOWN(v.n),
				       v.p);
		key = (struct span){param.p, (size_t)(eq - param.p)};
		val = (struct span){eq + 1, param.n - key.n - 1};
		/* A repeated key overrides the earlier one, as AWS does. */
		if (span_eq(key, "Credential"))
			a->credential = val;
		else if (span_eq(key, "SignedHeaders"))
			a->signed_headers = val;
		else if (span_eq(key, "Signature"))
			a->signature = val;
	}
	return 0;
}

/*
 * Reads the Authorization header, then the request date from X-Amz-Date
 * or else Date, and names everything missing in one message, as AWS does.
 */
static int
auth_from_header(const struct sigv4_request *r, struct span v, struct auth *a,
		 struct err *e)
{
	char missing[512] = "";

	if (auth_header_params(v, a, e) < 0 ||
	    header_value(r, "X-Amz-Date", &a->date, e) < 0)
		return -1;
	a->date_name = "X-Amz-Date";
	if (!a->date.p) {
		if (header_value(r, "Date", &a->date, e) < 0)
			return -1;
		a->date_name = "Date";
	}
	if (!a->credential.p)
		msg_add(missing, sizeof(missing),
			"Authorization header requires 'Credential' "
			"parameter.");
	if (!a->signature.p)
		msg_add(missing, sizeof(missing),
			"Authorization header requires 'Signature' "
			"parameter.");
	if (!a->signed_headers.p)
		msg_add(missing, sizeof(missing),
			"Authorization header requires 'SignedHeaders' "
			"parameter.");
	if (!a->date.p)
		msg_add(missing, sizeof(missing),
			"Authorization header requires existence of either a "
			"'X-Amz-Date' or a 'Date' header.");
	if (missing[0])
		return err_set(e, "IncompleteSignature",
			       "%s Authorization=" ALGORITHM, missing);
	return 0;
}

/* Reads the X-Amz-* parameters of a presigned URL. */
static int
auth_from_query(const struct query *q, struct span alg, struct auth *a,
		struct err *e)
{
	char missing[512] = "";

	a->presigned = 1;
	if (!span_eq(alg, ALGORITHM))
		return err_set(e, "IncompleteSignature",
			       "Unsupported AWS 'algorithm': '%.*s'.",
			       SHOWN(alg.n), alg.p);
	a->credential = query_get(q, "X-Amz-Credential");
	a->signature = query_get(q, "X-Amz-Signature");
	a->signed_headers = query_get(q, "X-Amz-SignedHeaders");
	a->date = query_get(q, "X-Amz-Date");
	a->expires = query_get(q, "X-Amz-Expires");
	a->date_name = "X-Amz-Date";
	if (!a->credential.p)
		msg_add(missing, sizeof(missing),
			"AWS query-string parameters must include "
			"'X-Amz-Credential'.");
	if (!a->signature.p)
		msg_add(missing, sizeof(missing),
			"AWS query-string parameters must include "
			"'X-Amz-Signature'.");
	if (!a->signed_headers.p)
		msg_add(missing, sizeof(missing),
			"AWS query-string parameters must include "
			"'X-Amz-SignedHeaders'.");
	if (!a->date.p)
		msg_add(missing, sizeof(missing),
			"AWS query-string parameters must include "
			"'X-Amz-Date'.");
	if (missing[0])
		return err_set(e, "IncompleteSignature",
			       "%s Re-examine the query-string parameters.",
			       missing);
	return 0;
}

/* Decides between the Authorization header and a presigned URL. */
static int
auth_parse(const struct sigv4_request *r, const struct query *q, struct auth *a,
	   struct err *e)
{
	struct span header, alg = query_get(q, "X-Amz-Algorithm");

	memset(a, 0, sizeof(*a));
	if (header_value(r, "Authorization", &header, e) < 0)
		return -1;
	if (header.p && alg.p)
		return err_set(e, "SignatureDoesNotMatch",
			       "Only one auth mechanism allowed; only the "
			       "X-Amz-Algorithm query parameter or the "
			       "Authorization header should be specified.");
	if (header.p)
		return auth_from_header(r, header, a, e);
	if (alg.p)
		return auth_from_query(q, alg, a, e);
	return err_set(e, "MissingAuthenticationToken",
		       "Request is missing Authentication Token");
}

static int
is_header_name_char(int c)
{
	return c > ' ' && c < 0x7f && c != ':' && c != ';';
}

/* Splits SignedHeaders=a;b;c and insists that host is among them. */
static int
signed_names_parse(struct span list, struct signed_names *sn, struct err *e)
{
	size_t i, start;
	int have_host = 0;

	sn->n = 0;
	for (start = 0; start <= list.n; start = i + 1) {
		struct span name;
		size_t j;

		for (i = start; i < list.n && list.p[i] != ';'; i++)
			;
		name = (struct span){list.p + start, i - start};
		if (sn->n == SIGV4_MAX_SIGNED_HEADERS)
			return err_set(e, "IncompleteSignature",
				       "SignedHeaders lists more than %d "
				       "headers.",
				       SIGV4_MAX_SIGNED_HEADERS);
		if (!name.n || name.n > SIGV4_MAX_HEADER_NAME)
			return err_set(e, "IncompleteSignature",
				       "SignedHeaders has an empty or too "
				       "long header name: '%.*s'",
				       SHOWN(list.n), list.p);
		for (j = 0; j < name.n; j++)
			if (!is_header_name_char((unsigned char)name.p[j]))
				return err_set(e, "IncompleteSignature",
					       "SignedHeaders has an invalid "
					       "header name: '%.*s'",
					       SHOWN(name.n), name.p);
		if (span_caseeq(name, "host"))
			have_host = 1;
		sn->name[sn->n++] = name;
	}
	if (!have_host)
		return err_set(e, "SignatureDoesNotMatch",
			       "'Host' or ':authority' must be a "
			       "'SignedHeader' in the AWS Authorization.");
	return 0;
}

static int
parse_digits(const char *p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, for y >= 0. */
static long long
days_from_civil(int y, int m, int d)
{
	int yy = m <= 2 ? y - 1 : y;
	int era = yy / 400, yoe = yy - era * 400;
	int mp = m > 2 ? m - 3 : m + 9;
	int doy = (153 * mp + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (long long)era * 146097 + doe - 719468;
}

static int
timestamp_set(struct timestamp *t, int y, int mo, int d, int h, int mi, int s)
{
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 59)
		return -1;
	t->epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	snprintf(t->iso, sizeof(t->iso), "%04d%02d%02dT%02d%02d%02dZ", y, mo, d,
		 h, mi, s);
	return 0;
}

/* 20261130T100715Z */
static int
parse_iso_basic(struct span v, struct timestamp *t)
{
	int y, mo, d, h, mi, s;

	if (v.n != ISO_BASIC_LEN || v.p[8] != 'T' || v.p[15] != 'Z' ||
	    parse_digits(v.p, 4, &y) || parse_digits(v.p + 4, 2, &mo) ||
	    parse_digits(v.p + 6, 2, &d) || parse_digits(v.p + 9, 2, &h) ||
	    parse_digits(v.p + 11, 2, &mi) || parse_digits(v.p + 13, 2, &s))
		return -1;
	return timestamp_set(t, y, mo, d, h, mi, s);
}

/*
 * Mon, 30 Nov 2026 10:07:15 GMT: the HTTP date. botocore, given a Date
 * header, writes its RFC 2822 twin "... -0000", so UTC offsets of zero are
 * taken too.
 */
static int
parse_http_date(struct span v, struct timestamp *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char days[] = "SunMonTueWedThuFriSat";
	struct span zone;
	int y, mo = 0, d, h, mi, s, i;

	if (v.n < 25)
		return -1;
	zone = (struct span){v.p + 25, v.n - 25};
	if (memcmp(v.p + 3, ", ", 2) != 0 || v.p[7] != ' ' || v.p[11] != ' ' ||
	    v.p[16] != ' ' || v.p[19] != ':' || v.p[22] != ':')
		return -1;
	if (!span_eq(zone, " GMT") && !span_eq(zone, " UTC") &&
	    !span_eq(zone, " +0000") && !span_eq(zone, " -0000"))
		return -1;
	for (i = 0; i < 7 && memcmp(days + 3 * i, v.p, 3) != 0; i++)
		;
	if (i == 7)
		return -1;
	for (i = 0; i < 12; i++)
		if (memcmp(months + 3 * i, v.p + 8, 3) == 0)
			mo = i + 1;
	if (!mo || parse_digits(v.p + 5, 2, &d) ||
	    parse_digits(v.p + 12, 4, &y) || parse_digits(v.p + 17, 2, &h) ||
	    parse_digits(v.p + 20, 2, &mi) || parse_digits(v.p + 23, 2, &s))
		return -1;
	return timestamp_set(t, y, mo, d, h, mi, s);
}

static int
timestamp_parse(const struct auth *a, struct timestamp *t, struct err *e)
{
	int rc = parse_iso_basic(a->date, t);

	if (rc < 0 && strcmp(a->date_name, "Date") == 0)
		rc = parse_http_date(a->date, t);
	if (rc < 0)
		return err_set(e, "IncompleteSignature",
			       "Date must be in ISO-8601 'basic format'. Got "
			       "'%.*s'. See http://en.wikipedia.org/wiki/"
			       "ISO_8601",
			       SHOWN(a->date.n), a->date.p);
	return 0;
}

static void
format_time(long long when, char *out, size_t size)
{
	time_t tt = (time_t)when;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, size, "%Y%m%dT%H%M%SZ", &tm))
		snprintf(out, size, "@%lld", when);
}

static int
parse_expires(struct span v, long long *out, struct err *e)
{
	long long x = 0;
	size_t i;

	if (!v.n || v.n > 7)
		goto bad;
	for (i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			goto bad;
		x = x * 10 + (v.p[i] - '0');
	}
	if (x < 1 || x > SIGV4_MAX_EXPIRES)
		goto bad;
	*out = x;
	return 0;
bad:
	return err_set(e, "IncompleteSignature",
		       "X-Amz-Expires must be a number of seconds from 1 to "
		       "%d (a week); got '%.*s'.",
		       SIGV4_MAX_EXPIRES, SHOWN(v.n), v.p);
}

/*
 * A signed request is good for 15 minutes either side of its date; a
 * presigned URL from its date until X-Amz-Expires seconds later.
 */
static int
check_time(const struct auth *a, const struct timestamp *t, time_t now,
	   struct err *e)
{
	long long skew = t->epoch - (long long)now, expires = 0;
	char server[32], until[32];

	format_time((long long)now, server, sizeof(server));
	if (skew > SIGV4_MAX_SKEW_SECONDS)
		return err_set(e, "RequestExpired",
			       "Request has expired: its date %s is more than "
			       "15 minutes after the server time %s.",
			       t->iso, server);
	if (!a->presigned || !a->expires.p) {
		if (-skew > SIGV4_MAX_SKEW_SECONDS)
			return err_set(e, "RequestExpired",
				       "Request has expired: its date %s is "
				       "more than 15 minutes before the server "
				       "time %s.",
				       t->iso, server);
		return 0;
	}
	if (parse_expires(a->expires, &expires, e) < 0)
		return -1;
	if ((long long)now > t->epoch + expires) {
		format_time(t->epoch + expires, until, sizeof(until));
		return err_set(e, "RequestExpired",
			       "Request has expired: the presigned URL signed "
			       "at %s expired at %s (X-Amz-Expires=%lld); the "
			       "server time is %s.",
			       t->iso, until, expires, server);
	}
	return 0;
}

static int
scope_parse(struct span c, struct scope *s, struct err *e)
{
	struct span *part[5] = {&s->key_id, &s->date, &s->region, &s->service,
				&s->terminator};
	size_t i, start, n = 0;

	if (memchr(c.p, '\0', c.n))
		goto bad;
	for (start = 0; start <= c.n; start = i + 1) {
		for (i = start; i < c.n && c.p[i] != '/'; i++)
			;
		if (n == 5)
			goto bad;
		*part[n++] = (struct span){c.p + start, i - start};
	}
	if (n != 5)
		goto bad;
	s->whole.p = s->date.p;
	s->whole.n = c.n - s->key_id.n - 1;
	if (s->key_id.n > SIGV4_MAX_KEY_ID ||
	    s->region.n > SIGV4_MAX_SCOPE_NAME ||
	    s->service.n > SIGV4_MAX_SCOPE_NAME)
		return err_set(e, "IncompleteSignature",
			       "Credential has an access key id, region or "
			       "service that is too long: '%.*s'",
			       SHOWN(c.n), c.p);
	return 0;
bad:
	return err_set(e, "IncompleteSignature",
		       "Credential must have exactly 5 slash-delimited "
		       "elements, e.g. keyid/date/region/service/term, got "
		       "'%.*s'",
		       SHOWN(c.n), c.p);
}

static int
scope_check(const struct scope *s, const struct timestamp *t, struct err *e)
{
	if (!span_eq(s->terminator, TERMINATOR))
		return err_set(e, "SignatureDoesNotMatch",
			       "Credential should be scoped with a valid "
			       "terminator: 'aws4_request', not '%.*s'.",
			       SHOWN(s->terminator.n), s->terminator.p);
	if (s->date.n != 8 || memcmp(s->date.p, t->iso, 8) != 0)
		return err_set(e, "SignatureDoesNotMatch",
			       "Date in Credential scope does not match "
			       "YYYYMMDD from ISO-8601 version of date from "
			       "HTTP: '%.*s' != '%.8s', from '%s'.",
			       SHOWN(s->date.n), s->date.p, t->iso, t->iso);
	return 0;
}

static int
sha256_hex(const void *p, size_t n, char out[HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (!EVP_Digest(n ? p : "", n, md, &len, EVP_sha256(), NULL) ||
	    len != SIGV4_KEY_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[HEX_LEN] = '\0';
	return 0;
}

static int
hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
	    unsigned char out[SIGV4_KEY_LEN])
{
	unsigned int len = 0;

	if (key_len > INT_MAX ||
	    !HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) ||
	    len != SIGV4_KEY_LEN)
		return -1;
	return 0;
}

int
sigv4_signing_key(const char *secret, const char *date, const char *region,
		  const char *service, unsigned char out[SIGV4_KEY_LEN])
{
	unsigned char k[SIGV4_KEY_LEN];
	char ksecret[4 + SIGV4_MAX_SECRET];
	size_t n = strnlen(secret, SIGV4_MAX_SECRET + 1);
	int rc = -1;

	if (n > SIGV4_MAX_SECRET)
		return -1;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, secret, n);
	if (hmac_sha256(ksecret, 4 + n, date, strlen(date), k) == 0 &&
	    hmac_sha256(k, sizeof(k), region, strlen(region), k) == 0 &&
	    hmac_sha256(k, sizeof(k), service, strlen(service), k) == 0 &&
	    hmac_sha256(k, sizeof(k), TERMINATOR, strlen(TERMINATOR), out) == 0)
		rc = 0;
	OPENSSL_cleanse(ksecret, sizeof(ksecret));
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

/*
 * The hash the client put in the canonical request's last line. A client
 * may announce it in X-Amz-Content-Sha256 (header, or query parameter of a
 * presigned URL); it must then be the body's hash, or UNSIGNED-PAYLOAD.
 * EC2 reads its parameters from the body, so an unsigned payload is taken
 * only when there is no body: otherwise anyone who saw one signed request
 * could replay its headers with a body of their own for 15 minutes.
 */
static int
payload_hash(const struct sigv4_request *r, const struct auth *a,
	     const struct query *q, char out[HEX_LEN + 1], struct err *e)
{
	struct span claimed;
	char actual[HEX_LEN + 1];
	size_t i;

	if (sha256_hex(r->body, r->body_len, actual) < 0)
		return err_set(e, "InternalFailure", "SHA-256 failed.");
	if (header_value(r, "X-Amz-Content-Sha256", &claimed, e) < 0)
		return -1;
	if (!claimed.p && a->presigned)
		claimed = query_get(q, "X-Amz-Content-Sha256");
	if (!claimed.p) {
		memcpy(out, actual, sizeof(actual));
		return 0;
	}
	if (span_eq(claimed, UNSIGNED_PAYLOAD)) {
		if (r->body_len)
			return err_set(e, "SignatureDoesNotMatch",
				       "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD "
				       "is accepted only for a request without "
				       "a body; sign the body's SHA-256.");
		memcpy(out, UNSIGNED_PAYLOAD, sizeof(UNSIGNED_PAYLOAD));
		return 0;
	}
	if (claimed.n != HEX_LEN)
		goto mismatch;
	for (i = 0; i < HEX_LEN; i++)
		if (ascii_lower((unsigned char)claimed.p[i]) != actual[i])
			goto mismatch;
	memcpy(out, claimed.p, HEX_LEN);
	out[HEX_LEN] = '\0';
	return 0;
mismatch:
	return err_set(e, "SignatureDoesNotMatch",
		       "The provided 'x-amz-content-sha256' header does not "
		       "match what was computed.");
}

/* Trims a header value and squeezes its runs of spaces, as SigV4 wants. */
static void
add_header_value(struct buf *b, struct span v)
{
	size_t i;
	int space = 0;

	v = span_trim(v);
	for (i = 0; i < v.n; i++) {
		if (is_space((unsigned char)v.p[i])) {
			space = 1;
			continue;
		}
		if (space)
			buf_addc(b, ' ');
		space = 0;
		buf_addc(b, v.p[i]);
	}
}

/* name:value1,value2 for every header the client signed, in its order. */
static int
add_canonical_headers(struct buf *b, const struct sigv4_request *r,
		      const struct signed_names *sn, struct err *e)
{
	size_t i, j;

	for (i = 0; i < sn->n; i++) {
		int found = 0;

		buf_add(b, sn->name[i].p, sn->name[i].n);
		buf_addc(b, ':');
		for (j = 0; j < r->nheaders; j++) {
			const struct sigv4_header *h = &r->headers[j];
			size_t n;

			if (!h->name || !h->value)
				continue;
			/* SignedHeaders is ASCII-case-insensitive too. */
			if (!span_caseeq(sn->name[i], h->name))
				continue;
			n = strnlen(h->value, SIGV4_MAX_HEADER_VALUE + 1);
			if (n > SIGV4_MAX_HEADER_VALUE)
				return err_set(e, "IncompleteSignature",
					       "The %.*s header is longer "
					       "than %d bytes.",
					       SHOWN(sn->name[i].n),
					       sn->name[i].p,
					       SIGV4_MAX_HEADER_VALUE);
			if (found++)
				buf_addc(b, ',');
			add_header_value(b, (struct span){h->value, n});
		}
		if (!found)
			return err_set(e, "SignatureDoesNotMatch",
				       MSG_MISMATCH
				       " The signed header "
				       "'%.*s' is not in the request.",
				       SHOWN(sn->name[i].n), sn->name[i].p);
		buf_addc(b, '\n');
	}
	return 0;
}

/*
 * The path the way AWS normalises it for every service but S3: dot
 * segments resolved, empty segments dropped, a trailing slash kept, then
 * URI-encoded. The raw path is encoded as received, so an escape the
 * client sent is encoded a second time (%20 becomes %2520), which is what
 * the SDKs sign.
 */
static int
add_canonical_uri(struct buf *b, const char *path, struct err *e)
{
	size_t len = strnlen(path, SIGV4_MAX_PATH + 1), i, start;
	struct buf norm;
	int rc = 0;

	if (len > SIGV4_MAX_PATH)
		return err_set(e, "IncompleteSignature",
			       "The request path is longer than %d bytes.",
			       SIGV4_MAX_PATH);
	if (!len) {
		buf_addc(b, '/');
		return 0;
	}
	if (path[0] != '/')
		return err_set(e, "SignatureDoesNotMatch",
			       MSG_MISMATCH " The path '%.*s' is not absolute.",
			       SHOWN(len), path);
	buf_init(&norm, 2 * SIGV4_MAX_PATH);
	for (start = 0; start <= len; start = i + 1) {
		size_t seg_len;

		for (i = start; i < len && path[i] != '/'; i++)
			;
		seg_len = i - start;
		if (!seg_len || (seg_len == 1 && path[start] == '.'))
			continue;
		if (seg_len == 2 && path[start] == '.' &&
		    path[start + 1] == '.') {
			while (norm.len && norm.data[norm.len - 1] != '/')
				norm.len--;
			if (norm.len)
				norm.len--;
			continue;
		}
		buf_addc(&norm, '/');
		buf_add(&norm, path + start, seg_len);
	}
	if (!norm.len)
		buf_addc(&norm, '/');
	if (buf_failed(&norm)) {
		rc = err_set(e, "InternalFailure", "Out of memory.");
		goto out;
	}
	for (i = 0; i < norm.len; i++) {
		char esc[3];

		buf_add(b, esc,
			uri_encode_byte((unsigned char)norm.data[i], 1, esc));
	}
	if (norm.len > 1 && path[len - 1] == '/')
		buf_addc(b, '/');
out:
	buf_free(&norm);
	return rc;
}

static void
add_canonical_query(struct buf *b, const struct query *q, int presigned)
{
	size_t i;
	int first = 1;

	for (i = 0; i < q->n; i++) {
		const struct qparam *v = q->sorted[i];

		if (presigned && span_eq(v->key, "X-Amz-Signature"))
			continue;
		if (!first)
			buf_addc(b, '&');
		first = 0;
		buf_add(b, v->ekey.p, v->ekey.n);
		buf_addc(b, '=');
		buf_add(b, v->evalue.p, v->evalue.n);
	}
}

/* SHA-256 of the canonical request, hex. */
static int
canonical_request_hash(const struct sigv4_request *r, const struct query *q,
		       const struct auth *a, const struct signed_names *sn,
		       const char *payload, char out[HEX_LEN + 1],
		       struct err *e)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, CANONICAL_MAX);
	buf_add(&b, r->method, strnlen(r->method, MAX_METHOD));
	buf_addc(&b, '\n');
	if (add_canonical_uri(&b, r->path ? r->path : "", e) < 0)
		goto out;
	buf_addc(&b, '\n');
	add_canonical_query(&b, q, a->presigned);
	buf_addc(&b, '\n');
	if (add_canonical_headers(&b, r, sn, e) < 0)
		goto out;
	buf_addc(&b, '\n');
	buf_add(&b, a->signed_headers.p, a->signed_headers.n);
	buf_addc(&b, '\n');
	buf_adds(&b, payload);
	if (buf_failed(&b)) {
		err_set(e, "IncompleteSignature",
			"The request is too large to verify its signature.");
		goto out;
	}
	if (sha256_hex(b.data, b.len, out) < 0) {
		err_set(e, "InternalFailure", "SHA-256 failed.");
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* HMAC the string to sign and compare with what the client sent. */
static int
check_signature(const char *secret, const struct scope *s,
		const struct timestamp *t, const char *canonical_hash,
		struct span given, struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	char date[9], region[SIGV4_MAX_SCOPE_NAME + 1];
	char service[SIGV4_MAX_SCOPE_NAME + 1], sts[512];
	unsigned char key[SIGV4_KEY_LEN], mac[SIGV4_KEY_LEN];
	char want[HEX_LEN];
	int n, i, rc = -1;

	snprintf(date, sizeof(date), "%.*s", (int)s->date.n, s->date.p);
	snprintf(region, sizeof(region), "%.*s", (int)s->region.n, s->region.p);
	snprintf(service, sizeof(service), "%.*s", (int)s->service.n,
		 s->service.p);
	n = snprintf(sts, sizeof(sts), ALGORITHM "\n%s\n%.*s\n%s", t->iso,
		     (int)s->whole.n, s->whole.p, canonical_hash);
	if (n < 0 || (size_t)n >= sizeof(sts) ||
	    sigv4_signing_key(secret, date, region, service, key) < 0 ||
	    hmac_sha256(key, sizeof(key), sts, (size_t)n, mac) < 0) {
		err_set(e, "InternalFailure", "Cannot compute the signature.");
		goto out;
	}
	for (i = 0; i < SIGV4_KEY_LEN; i++) {
		want[2 * i] = hex[mac[i] >> 4];
		want[2 * i + 1] = hex[mac[i] & 15];
	}
	if (given.n != HEX_LEN || CRYPTO_memcmp(want, given.p, HEX_LEN) != 0) {
		err_set(e, "SignatureDoesNotMatch", MSG_MISMATCH);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

static int
lookup_secret(sigv4_secret_fn lookup, void *ctx, const struct scope *s,
	      char *key_id, size_t key_id_size, char *secret,
	      size_t secret_size, struct err *e)
{
	snprintf(key_id, key_id_size, "%.*s", (int)s->key_id.n, s->key_id.p);
	secret[0] = '\0';
	if (!s->key_id.n || memchr(s->key_id.p, '\0', s->key_id.n) ||
	    lookup(ctx, key_id, secret, secret_size) < 0)
		return err_set(e, "AuthFailure",
			       "AWS was not able to validate the provided "
			       "access credentials");
	secret[secret_size - 1] = '\0';
	return 0;
}

int
sigv4_verify(const struct sigv4_request *r, time_t now, sigv4_secret_fn lookup,
	     void *ctx, struct sigv4_result *res, struct err *e)
{
	struct query q;
	struct auth a;
	struct signed_names sn;
	struct timestamp t;
	struct scope s;
	char key_id[sizeof(res->access_key_id)];
	char secret[SIGV4_MAX_SECRET + 1];
	char payload[HEX_LEN + 1], canonical_hash[HEX_LEN + 1];
	int rc = -1;

	secret[0] = '\0';
	if (!r || !r->method || !lookup || !res ||
	    (r->nheaders && !r->headers) || (r->body_len && !r->body))
		return err_set(e, "InternalFailure",
			       "sigv4_verify called without a request.");
	if (r->nheaders > SIGV4_MAX_HEADERS)
		return err_set(e, "IncompleteSignature",
			       "The request has more than %d headers.",
			       SIGV4_MAX_HEADERS);
	if (query_parse(&q, r, e) < 0)
		goto out;
	if (auth_parse(r, &q, &a, e) < 0 ||
	    signed_names_parse(a.signed_headers, &sn, e) < 0 ||
	    timestamp_parse(&a, &t, e) < 0 || check_time(&a, &t, now, e) < 0 ||
	    scope_parse(a.credential, &s, e) < 0 || scope_check(&s, &t, e) < 0)
		goto out;
	if (lookup_secret(lookup, ctx, &s, key_id, sizeof(key_id), secret,
			  sizeof(secret), e) < 0)
		goto out;
	if (payload_hash(r, &a, &q, payload, e) < 0 ||
	    canonical_request_hash(r, &q, &a, &sn, payload, canonical_hash, e) <
		0 ||
	    check_signature(secret, &s, &t, canonical_hash, a.signature, e) < 0)
		goto out;
	memcpy(res->access_key_id, key_id, sizeof(key_id));
	snprintf(res->region, sizeof(res->region), "%.*s", (int)s.region.n,
		 s.region.p);
	snprintf(res->service, sizeof(res->service), "%.*s", (int)s.service.n,
		 s.service.p);
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	query_free(&q);
	return rc;
}
