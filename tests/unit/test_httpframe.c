/*
 * test_httpframe.c - the framing check: a table of header lists (as
 * libmicrohttpd hands them over) and the status each must get.
 */
#include <stddef.h>

#include "api/httpframe.h"
#include "unit.h"

#define MAXH 6

struct frame_case {
	const char *what;
	const char *version;
	struct sigv4_header h[MAXH];
	int status;
};

static const struct frame_case cases[] = {
    {"plain POST", "HTTP/1.1", {{"Host", "x"}, {"Content-Length", "5"}}, 0},
    {"chunked",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding", "chunked"}},
     0},
    {"chunked, any case and OWS",
     "HTTP/1.1",
     {{"host", "x"}, {"transfer-encoding", " Chunked "}},
     0},
    {"GET without a body", "HTTP/1.1", {{"Host", "x"}}, 0},
    {"HTTP/1.0 without Host", "HTTP/1.0", {{"Content-Length", "0"}}, 0},
    {"repeated other headers",
     "HTTP/1.1",
     {{"Host", "x"}, {"X-Amz-Meta", "a"}, {"X-Amz-Meta", "b"}},
     0},
    {"CL and TE",
     "HTTP/1.1",
     {{"Host", "x"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}},
     400},
    {"TE and CL",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}},
     400},
    {"two different CLs",
     "HTTP/1.1",
     {{"Host", "x"}, {"Content-Length", "0"}, {"Content-Length", "7"}},
     400},
    {"two equal CLs",
     "HTTP/1.1",
     {{"Host", "x"}, {"Content-Length", "7"}, {"content-length", "7"}},
     400},
    {"CL not a number",
     "HTTP/1.1",
     {{"Host", "x"}, {"Content-Length", "+5"}},
     400},
    {"CL list", "HTTP/1.1", {{"Host", "x"}, {"Content-Length", "5, 5"}}, 400},
    {"space before the colon",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding ", "chunked"}},
     400},
    {"tab before the colon",
     "HTTP/1.1",
     {{"Host", "x"}, {"Content-Length\t", "3"}},
     400},
    {"folded first line", "HTTP/1.1", {{"Host", "x"}, {" X-Foo", "1"}}, 400},
    {"empty name", "HTTP/1.1", {{"Host", "x"}, {"", "1"}}, 400},
    {"two TEs",
     "HTTP/1.1",
     {{"Host", "x"},
      {"Transfer-Encoding", "chunked"},
      {"Transfer-Encoding", "chunked"}},
     400},
    {"gzip coding",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding", "gzip"}},
     501},
    {"coding list",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding", "gzip, chunked"}},
     501},
    {"chunked twice in a list",
     "HTTP/1.1",
     {{"Host", "x"}, {"Transfer-Encoding", "chunked, chunked"}},
     501},
    {"TE on HTTP/1.0", "HTTP/1.0", {{"Transfer-Encoding", "chunked"}}, 400},
    {"two Authorizations",
     "HTTP/1.1",
     {{"Host", "x"}, {"Authorization", "a"}, {"authorization", "b"}},
     400},
    {"HTTP/1.1 without Host", "HTTP/1.1", {{"Content-Length", "0"}}, 400},
    {"two Hosts", "HTTP/1.1", {{"Host", "x"}, {"Host", "y"}}, 400},
};

int
main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct frame_case *c = &cases[i];
		const char *why = "unset";
		size_t n = 0;
		int got;

		while (n < MAXH && c->h[n].name)
			n++;
		got = httpframe_check(c->version, c->h, n, &why);
		CHECK(got == c->status, "%s: got %d, want %d", c->what, got,
		      c->status);
		CHECK((got == 0) == (why == NULL), "%s: reason %s", c->what,
		      why ? why : "(none)");
	}
	return UNIT_DONE();
}
