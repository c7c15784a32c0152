// SPDX-License-Identifier: GPL-2.0
/*
 * ALPC_IOC_BATCH: an array of sends, receives and cancels in one call,
 * run in order, with a result per operation (compare binder's
 * BINDER_WRITE_READ). A run of consecutive sends is read from user memory
 * without the port's lock, then queued under one hold of it, with the
 * receivers' wake-ups made once for the run (struct alpc_wakes).
 */

#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "batch.h"
#include "msg.h"
#include "sendrecv.h"

int alpc_ioctl_batch(struct alpc_end *end, struct alpc_batch __user *ub)
{
	struct alpc_port *port = end->port;
	struct alpc_batch_op __user *uops;
	struct alpc_wakes wk = {};
	struct alpc_batch_op *ops;
	struct alpc_send *sends;
	struct alpc_msg **msgs;
	struct alpc_batch b;
	LIST_HEAD(dispose);
	u32 i;
	int ret = -ENOMEM;

	if (copy_from_user(&b, ub, sizeof(b)))
		return -EFAULT;
	if (!b.count || b.count > ALPC_BATCH_MAX || b.flags || b.reserved)
		return -EINVAL;
	if (put_user(0, &ub->done))
		return -EFAULT;
	uops = u64_to_user_ptr(b.ops);
	ops = kvmalloc_array(b.count, sizeof(*ops), GFP_KERNEL);
	sends = kvmalloc_array(b.count, sizeof(*sends), GFP_KERNEL);
	msgs = kvcalloc(b.count, sizeof(*msgs), GFP_KERNEL);
	if (!ops || !sends || !msgs)
		goto out;
	ret = -EFAULT;
	if (copy_from_user(ops, uops, b.count * sizeof(*ops)))
		goto out;
	ret = -EINVAL;
	for (i = 0; i < b.count; i++)
		if (ops[i].op < ALPC_OP_SEND || ops[i].op > ALPC_OP_CANCEL)
			goto out;

	/*
	 * In order. A run of sends is read from user memory just before it
	 * runs (an earlier receive may have filled its buffers), outside the
	 * lock, then queued under one hold of it.
	 */
	for (i = 0; i < b.count;) {
		void __user *arg = u64_to_user_ptr(ops[i].arg);
		u32 j, run;

		switch (ops[i].op) {
		case ALPC_OP_SEND:
			for (run = i; run < b.count && ops[run].op == ALPC_OP_SEND; run++) {
				msgs[run] = alpc_send_prepare(end, u64_to_user_ptr(ops[run].arg),
							      &sends[run]);
				if (IS_ERR(msgs[run])) {
					ops[run].result = PTR_ERR(msgs[run]);
					msgs[run] = NULL;
				}
			}
			mutex_lock(&port->lock);
			for (j = i; j < run; j++)
				if (msgs[j])
					ops[j].result = alpc_send_locked(end, &sends[j], msgs[j],
									 &dispose, &wk);
			alpc_wakes_flush(&wk);
			mutex_unlock(&port->lock);
			i = run;
			continue;
		case ALPC_OP_RECV:
			ops[i].result = alpc_ioctl_recv(end, arg);
			break;
		case ALPC_OP_CANCEL:
			ops[i].result = alpc_ioctl_cancel(end, arg);
			break;
		}
		i++;
	}
	alpc_msg_free_list(&dispose);

	ret = 0;
	for (i = 0; i < b.count; i++) {
		struct alpc_send __user *us = u64_to_user_ptr(ops[i].arg);

		if (ops[i].op == ALPC_OP_SEND && msgs[i] && !ops[i].result &&
		    put_user(sends[i].id, &us->id))
			ops[i].result = -EFAULT;
		if (put_user(ops[i].result, &uops[i].result))
			ret = -EFAULT;
	}
	if (!ret && put_user(b.count, &ub->done))
		ret = -EFAULT;
out:
	kvfree(msgs);
	kvfree(sends);
	kvfree(ops);
	return ret;
}
