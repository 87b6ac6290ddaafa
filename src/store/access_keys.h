/*
 * access_keys.h - access keys (IAM users come later; today every key is
 * the account's).
 */
#ifndef EC2D_STORE_ACCESS_KEYS_H
#define EC2D_STORE_ACCESS_KEYS_H

#include "store.h"

struct access_key {
	char id[129];
	char secret[129];
	char account[16];
	char user[128];
};
int store_access_key_get(struct store_tx *tx, const char *id,
			 struct access_key *out, struct err *e);
int store_access_key_put(struct store_tx *tx, const struct access_key *k,
			 struct err *e);

#endif
