/*
 * unit.h - the tiny harness every tests/unit/test_*.c uses.
 *
 * CHECK(cond, fmt, ...) records a pass or a failure with a message;
 * UNIT_DONE() prints the closing "N passed, N failed" line and returns the
 * exit status. Tests run from tests/unit/, so their data (requests real
 * clients sent included) is under ../data/.
 */
#ifndef EC2D_TESTS_UNIT_H
#define EC2D_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			unit_passed++;                                         \
		} else {                                                       \
			unit_failed++;                                         \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		CHECK(g_ &&w_ &&strcmp(g_, w_) == 0,                           \
		      "%s: got \"%s\", want \"%s\"", #got, g_ ? g_ : "(null)", \
		      w_ ? w_ : "(null)");                                     \
	} while (0)

#define UNIT_DONE()                                                            \
	(printf("%d passed, %d failed\n", unit_passed, unit_failed),           \
	 unit_failed ? 1 : 0)

#endif
