/*
 * hex.h - hexadecimal digits, for percent-decoding, MAC addresses and
 * the like.
 */
#ifndef EC2D_COMMON_HEX_H
#define EC2D_COMMON_HEX_H

/* The value of hex digit c (either case), or -1. */
int hex_digit(int c);

#endif
