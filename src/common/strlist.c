/*
 * strlist.c - owned string lists. See strlist.h.
 */
#include "strlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
strlist_init(struct strlist *l)
{
	memset(l, 0, sizeof(*l));
}

void
strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
	l->failed = 0;
}

void
strlist_free(struct strlist *l)
{
	strlist_clear(l);
	free(l->v);
	strlist_init(l);
}

static void
strlist_push(struct strlist *l, char *s)
{
	if (!s) {
		l->failed = 1;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			l->failed = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

void
strlist_add(struct strlist *l, const char *s)
{
	strlist_push(l, strdup(s ? s : ""));
}

void
strlist_addf(struct strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	strlist_push(l, s);
}

int
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}
