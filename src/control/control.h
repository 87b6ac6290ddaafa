/*
 * control.h - the control plane's reconcilers.
 *
 * API actions only write desired state; the reconcilers here compare it
 * with what is observed and converge the two. They run in one thread,
 * woken by control_wake() after a write commits and by a timer, and every
 * pass is level-triggered ("make it so"), so a restart loses nothing: the
 * next pass reads the store and carries on.
 */
#ifndef EC2D_CONTROL_CONTROL_H
#define EC2D_CONTROL_CONTROL_H

#include "agent/host.h"
#include "common/config.h"
#include "common/err.h"
#include "store/store.h"

#define CONTROL_PERIOD_MS 1000

struct control;

/*
 * Open one host agent per zone (adopting guests an earlier ec2d left
 * running) with the acceleration decided at start (host_accel_decide),
 * and start the thread.
 */
int control_start(const struct config *cfg, struct store *s,
		  const struct host_accel *accel, struct control **ret,
		  struct err *e);
void control_wake(struct control *c);
void control_stop(struct control *c);

/* Stop the thread; power guests off only with stop_instances_on_exit. */

#endif
