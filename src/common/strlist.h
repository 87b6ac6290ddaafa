/*
 * strlist.h - a growable list of owned C strings.
 *
 * Used wherever a resource yields several values (a filter field with many
 * values, the names in a request list). The list owns its strings.
 */
#ifndef EC2D_COMMON_STRLIST_H
#define EC2D_COMMON_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
	size_t cap;
	int failed; /* sticky: an allocation failed */
};

void strlist_init(struct strlist *l);
void strlist_free(struct strlist *l);
void strlist_clear(struct strlist *l);
void strlist_add(struct strlist *l, const char *s);
void strlist_addf(struct strlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int strlist_contains(const struct strlist *l, const char *s);

#endif
