/*
 * err.c - filling struct err. See err.h for the contract.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
err_set(struct err *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_is_set(const struct err *e)
{
	return e && e->code[0] != '\0';
}

void
err_clear(struct err *e)
{
	if (e) {
		e->code[0] = '\0';
		e->message[0] = '\0';
	}
}
