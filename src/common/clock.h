/*
 * clock.h - the monotonic clock in milliseconds, for deadlines and
 * timeouts (never for wall-clock times shown to users).
 */
#ifndef EC2D_COMMON_CLOCK_H
#define EC2D_COMMON_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
long long clock_now_ms(void);

#endif
