/*
 * meta.h - small named settings: the account id, the deployment tag, ...
 */
#ifndef EC2D_STORE_META_H
#define EC2D_STORE_META_H

#include "store.h"

int store_meta_get(struct store_tx *tx, const char *key, char *val, size_t size,
		   struct err *e);
int store_meta_set(struct store_tx *tx, const char *key, const char *val,
		   struct err *e);

#endif
