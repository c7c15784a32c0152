/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_COMPLETION_H
#define _ALPC_COMPLETION_H

#include <linux/types.h>
#include <uapi/linux/alpc.h>

struct alpc_cp;

int alpc_ioctl_create_completion(struct alpc_create_completion __user *uarg);
struct alpc_cp *alpc_cp_get(int fd);
void alpc_cp_put(struct alpc_cp *cp);
void alpc_cp_post(struct alpc_cp *cp, u64 key, u64 msg_id, u32 kind, int status);

#endif /* _ALPC_COMPLETION_H */
