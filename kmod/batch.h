/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_BATCH_H
#define _ALPC_BATCH_H

#include <uapi/linux/alpc.h>

struct alpc_end;

int alpc_ioctl_batch(struct alpc_end *end, struct alpc_batch __user *ub);

#endif /* _ALPC_BATCH_H */
