/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_WAIT_H
#define _ALPC_WAIT_H

#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/types.h>

/* Converts a uapi timeout to jiffies: negative waits forever, 0 polls. */
static inline long alpc_timeout(s64 timeout_ns)
{
	u64 j;

	if (timeout_ns < 0)
		return MAX_SCHEDULE_TIMEOUT;
	if (!timeout_ns)
		return 0;
	j = nsecs_to_jiffies(timeout_ns);
	return clamp_t(u64, j, 1, MAX_SCHEDULE_TIMEOUT - 1);
}

#endif /* _ALPC_WAIT_H */
