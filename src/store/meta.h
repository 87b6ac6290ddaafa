/*
 * meta.h - small named settings: the account id, the deployment tag, ...
 */
#ifndef EC2D_STORE_META_H
#define EC2D_STORE_META_H

#include <stdbool.h>

#include "store.h"

int store_meta_get(struct store_tx *tx, const char *key, char *val, size_t size,
		   struct err *e);
int store_meta_set(struct store_tx *tx, const char *key, const char *val,
		   struct err *e);

/*
 * The value of key, made once when absent: n random bytes as hex, or with
 * text n random characters of [a-z0-9] (ids.h's source). size must hold
 * 2n + 1 (hex) or n + 1 (text). One write transaction.
 */
int store_meta_once(struct store *s, const char *key, char *val, size_t size,
		    size_t n, bool text, struct err *e);

#endif
