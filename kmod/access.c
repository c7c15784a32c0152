// SPDX-License-Identifier: GPL-2.0
/*
 * Direct access (LPC's NtReadRequestData/NtWriteRequestData): a request
 * may lend a region of its sender's memory, and while the request is
 * outstanding, and only then, its receiver reads or writes inside that
 * region with ALPC_IOC_ACCESS.
 *
 * A region is revoked under the port's lock when its request ends
 * (alpc_req_end()); an access counts itself in @active for each chunk it
 * copies, so the sender, told its request ended, drains the region
 * (waits for @active to fall to 0) before it returns to user space. The
 * lock order is atop port.c.
 */

#include <linux/highmem.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "access.h"
#include "compat.h"
#include "msg.h"

/* A region of @len bytes at @addr of the caller's memory, lent for @flags. */
struct alpc_region *alpc_region_alloc(u64 addr, u64 len, u32 flags)
{
	struct alpc_region *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return NULL;
	kref_init(&r->ref);
	mmgrab(current->mm);
	r->mm = current->mm;
	r->addr = addr;
	r->len = len;
	r->flags = flags;
	return r;
}

static void alpc_region_free(struct kref *ref)
{
	struct alpc_region *r = container_of(ref, struct alpc_region, ref);

	mmdrop(r->mm);
	kfree(r);
}

void alpc_region_put(struct alpc_region *r)
{
	if (r)
		kref_put(&r->ref, alpc_region_free);
}

/*
 * The sender's half of direct access: returns once no ALPC_IOC_ACCESS to
 * @r is under way, so memory it lent is its own again.
 */
void alpc_region_drain(struct alpc_conn *conn, struct alpc_region *r)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_port *port = conn->port;

	mutex_lock(&port->lock);
	add_wait_queue(&conn->wq, &wait);
	while (r->active && !fatal_signal_pending(current)) {
		mutex_unlock(&port->lock);
		wait_woken(&wait, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT);
		mutex_lock(&port->lock);
	}
	remove_wait_queue(&conn->wq, &wait);
	mutex_unlock(&port->lock);
	alpc_region_put(r);
}

struct alpc_region *alpc_region_get(struct alpc_region *r)
{
	if (r)
		kref_get(&r->ref);
	return r;
}

/*
 * Waits out every ALPC_IOC_ACCESS to the regions of the ended requests on
 * @dispose, so that a lender whose fd is closed (or whose process exits)
 * has its memory back when close() returns, as SEND_WAIT and CANCEL do
 * when they end a request.
 */
void alpc_regions_drain(struct list_head *dispose)
{
	struct alpc_msg *msg;

	list_for_each_entry(msg, dispose, node)
		if (msg->region)
			alpc_region_drain(msg->conn, alpc_region_get(msg->region));
}

#define ALPC_ACCESS_CHUNK	PAGE_SIZE

/*
 * Copies @n bytes between @kbuf and @addr in @mm, as access_process_vm()
 * does for a task, but on the mm pinned at send: a sender that execve()s
 * ends the grant rather than lending the new program's memory. Returns
 * the bytes copied, or -ESRCH once the mm is gone.
 */
static int alpc_access_mm(struct mm_struct *mm, unsigned long addr, void *kbuf,
			  unsigned int n, bool write)
{
	unsigned int done = 0;
	int locked = 0;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	while (done < n) {
		unsigned int off = (addr + done) & ~PAGE_MASK;
		unsigned int chunk = min_t(unsigned int, n - done, PAGE_SIZE - off);
		struct page *page;
		void *p;

		/*
		 * With @locked, a fault may drop mmap_lock to wait (for a
		 * userfaultfd, FUSE, I/O) rather than fail; take it again.
		 */
		if (!locked) {
			if (mmap_read_lock_killable(mm))
				break;
			locked = 1;
		}
		if (alpc_gup_remote(mm, addr + done, write ? FOLL_WRITE : 0, &page, &locked) != 1)
			break;
		p = kmap_local_page(page);
		if (write) {
			memcpy(p + off, kbuf + done, chunk);
			flush_dcache_page(page);
			set_page_dirty_lock(page);
		} else {
			memcpy(kbuf + done, p + off, chunk);
		}
		kunmap_local(p);
		put_page(page);
		done += chunk;
	}
	if (locked)
		mmap_read_unlock(mm);
	mmput(mm);
	return done;
}

/*
 * Starts one chunk of access to the region of request @id, received on
 * @end: checks the caller's right to it and counts the access as under
 * way. Called with the port's lock held.
 */
static int alpc_access_begin(struct alpc_end *end, const struct alpc_access *a,
			     struct alpc_msg **reqp)
{
	u32 right = a->op == ALPC_ACCESS_READ ? ALPC_REGION_READ : ALPC_REGION_WRITE;
	struct alpc_msg *req;
	u64 last;

	lockdep_assert_held(&end->port->lock);

	req = alpc_req_lookup(end->port, a->id);
	if (!req || req->type != ALPC_MSG_REQUEST ||
	    req->recv_end != end || req->state != ALPC_REQ_DELIVERED)
		return -ENOENT;
	if (!req->region || !(req->region->flags & right))
		return -EPERM;
	if (check_add_overflow(a->offset, a->len, &last) || last > req->region->len)
		return -EINVAL;
	req->region->active++;
	*reqp = req;
	return 0;
}

int alpc_ioctl_access(struct alpc_end *end, struct alpc_access __user *ua)
{
	struct alpc_port *port = end->port;
	struct alpc_region *r = NULL;
	struct alpc_conn *conn = NULL;
	struct alpc_msg *req;
	struct alpc_access a;
	u64 done = 0;
	void *kbuf;
	int ret;

	if (copy_from_user(&a, ua, sizeof(a)))
		return -EFAULT;
	if ((a.op != ALPC_ACCESS_READ && a.op != ALPC_ACCESS_WRITE) || a.reserved)
		return -EINVAL;
	if (put_user(0, &ua->done))
		return -EFAULT;
	kbuf = kmalloc(ALPC_ACCESS_CHUNK, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;

	/* The first check decides the errno; later ones only see revocation. */
	mutex_lock(&port->lock);
	ret = alpc_access_begin(end, &a, &req);
	if (!ret) {
		r = alpc_region_get(req->region);
		conn = req->conn;
		kref_get(&conn->ref);
		r->active--;
	}
	mutex_unlock(&port->lock);

	/*
	 * Chunk by chunk, user memory on the caller's side is touched outside
	 * the access count, so a receiver faulting on its own buffer cannot
	 * hold the sender back; only the sender's own pages are.
	 */
	while (!ret && done < a.len) {
		unsigned int n = min_t(u64, a.len - done, ALPC_ACCESS_CHUNK);
		void __user *ubuf = u64_to_user_ptr(a.buf + done);
		int got;

		if (a.op == ALPC_ACCESS_WRITE && copy_from_user(kbuf, ubuf, n)) {
			ret = -EFAULT;
			break;
		}
		mutex_lock(&port->lock);
		if (r->revoked)
			ret = -ENOENT;
		else
			r->active++;
		mutex_unlock(&port->lock);
		if (ret)
			break;

		got = alpc_access_mm(r->mm, r->addr + a.offset + done, kbuf, n,
				     a.op == ALPC_ACCESS_WRITE);

		mutex_lock(&port->lock);
		if (!--r->active && r->revoked)
			wake_up_all(&conn->wq);
		mutex_unlock(&port->lock);

		if (got < 0) {
			ret = got;
			break;
		}
		if (got > 0 && a.op == ALPC_ACCESS_READ && copy_to_user(ubuf, kbuf, got)) {
			ret = -EFAULT;
			break;
		}
		done += got;
		if (got < n)
			ret = -EFAULT;
	}
	kfree(kbuf);
	alpc_region_put(r);
	alpc_conn_put(conn);
	if (put_user(done, &ua->done))
		return -EFAULT;
	return ret;
}
