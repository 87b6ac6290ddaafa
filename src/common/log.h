/*
 * log.h - structured log lines on standard error:
 *   ts=2026-11-30T10:06:46.123Z level=info msg="..." key=value ...
 * Values with spaces or quotes are quoted. Secrets are never passed here.
 */
#ifndef EC2D_COMMON_LOG_H
#define EC2D_COMMON_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level l);
int log_level_parse(const char *s, enum log_level *ret);

/* fmt gives the rest of the line after msg, as key=value pairs. */
void log_msg(enum log_level l, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
