/*
 * buf.h - a growable byte buffer with a hard maximum size.
 *
 * Every buffer has a maximum (curl's rule: no unbounded growth). Appending
 * past it, or running out of memory, sets a sticky failure flag: later
 * appends do nothing and the builder checks buf_failed() once at the end.
 * The data is always NUL-terminated after a successful append, so
 * buf_cstr() is safe to hand to string functions.
 */
#ifndef EC2D_COMMON_BUF_H
#define EC2D_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	int failed;
};

#define BUF_DEFAULT_MAX (64u << 20)

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The contents as a C string ("" when empty or failed). */
const char *buf_cstr(const struct buf *b);
int buf_failed(const struct buf *b);

/* Hand the allocation to the caller (NULL when failed); b is reset. */
char *buf_steal(struct buf *b, size_t *ret_len);

#endif
