/*
 * log.c - structured logging. See log.h. One write(2) per line, so lines
 * from several threads never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level l)
{
	threshold = l;
}

int
log_level_parse(const char *s, enum log_level *ret)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_msg(enum log_level l, const char *msg, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n;

	if (l < threshold)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s msg=\"%s\"", ts,
		     (long)tv.tv_usec / 1000, names[l], msg);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (fmt && *fmt) {
		size_t off = (size_t)n;

		line[off++] = ' ';
		va_start(ap, fmt);
		n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
		va_end(ap);
		off += n < 0 ? 0 : (size_t)n;
		if (off > sizeof(line) - 2)
			off = sizeof(line) - 2;
		n = (int)off;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report a failed log write. */
	}
}
