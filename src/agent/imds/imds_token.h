/*
 * imds_token.h - IMDSv2 session tokens, stateless.
 *
 * A token is base64 of: version byte 1, the expiry (seconds since the
 * epoch, 8 bytes big-endian) and HMAC-SHA256(key, version | expiry |
 * instance id). Nothing is stored: any metadata server holding the key
 * can check a token, a token names its instance (another instance's GET
 * with it fails) and cannot be stretched. 56 characters, like AWS's.
 * The key is the caller's: random per process (tokens die with it, and
 * clients ask again on 401, as they must anyway), or kept in the data
 * directory so tokens survive a restart.
 */
#ifndef EC2D_AGENT_IMDS_IMDS_TOKEN_H
#define EC2D_AGENT_IMDS_IMDS_TOKEN_H

#include <time.h>

#define IMDS_TOKEN_KEY_LEN 32
#define IMDS_TOKEN_LEN	   56 /* characters, without the NUL */
#define IMDS_TOKEN_TTL_MIN 1  /* seconds, as AWS allows */
#define IMDS_TOKEN_TTL_MAX 21600

/* A token for instance_id that expires at `expires`. */
void imds_token_mint(const unsigned char key[IMDS_TOKEN_KEY_LEN],
		     const char *instance_id, time_t expires,
		     char out[IMDS_TOKEN_LEN + 1]);

/*
 * 0 when token is valid for instance_id at now (*ret_left: seconds left,
 * at least 1); -EINVAL when it is malformed, forged or another
 * instance's; -ETIME when it has expired.
 */
int imds_token_check(const unsigned char key[IMDS_TOKEN_KEY_LEN],
		     const char *instance_id, const char *token, time_t now,
		     long *ret_left);

#endif
