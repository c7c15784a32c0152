/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_SENDRECV_H
#define _ALPC_SENDRECV_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/alpc.h>

struct alpc_end;
struct alpc_msg;
struct alpc_wakes;

/* One send in two steps, for ALPC_IOC_BATCH's runs of sends (batch.c). */
struct alpc_msg *alpc_send_prepare(struct alpc_end *end, struct alpc_send __user *us,
				   struct alpc_send *s);
int alpc_send_locked(struct alpc_end *end, struct alpc_send *s, struct alpc_msg *msg,
		     struct list_head *dispose, struct alpc_wakes *wk);

int alpc_ioctl_send(struct alpc_end *end, struct alpc_send __user *us);
int alpc_ioctl_recv(struct alpc_end *end, struct alpc_recv __user *ur);
int alpc_ioctl_send_wait(struct alpc_end *end, struct alpc_send_wait __user *us);
int alpc_ioctl_reply_recv(struct alpc_end *end, struct alpc_reply_recv __user *ur);
int alpc_ioctl_cancel(struct alpc_end *end, struct alpc_cancel __user *uc);

#endif /* _ALPC_SENDRECV_H */
