// SPDX-License-Identifier: GPL-2.0
/*
 * Completion ports: many ports' events for one waiter, signalled through
 * a user-supplied eventfd, taken by ALPC_IOC_DEQUEUE or reaped from a
 * ring in shared memory (the contract is in the uapi header).
 *
 * Locking: cp->lock (a mutex) guards the ring's kernel side, the backlog
 * and the counters. Entries are posted with a port's lock held, so
 * cp->lock nests inside port->lock (the lock order is atop port.c);
 * nothing here takes a port's lock.
 *
 * Lifetime: a completion port is referenced by its file and by every
 * end associated with it. Once its file is closed it takes no entries.
 */

#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "completion.h"
#include "wait.h"

#define ALPC_BACKLOG_MAX	65536
#define ALPC_DEQUEUE_MAX	1024

struct alpc_cp {
	struct kref ref;
	struct mutex lock;		/* everything below */
	bool closed;
	struct eventfd_ctx *eventfd;
	wait_queue_head_t wq;		/* DEQUEUE (one woken per entry), poll */
	struct alpc_ring *ring;		/* NULL without a ring */
	u32 entries;
	u32 tail;			/* the kernel's copy: user space may scribble */
	size_t ring_bytes;
	struct list_head backlog;	/* struct alpc_cp_entry, oldest first */
	u32 nbacklog;
	u64 dropped;
};

struct alpc_cp_entry {
	struct list_head node;
	struct alpc_completion c;
};

static const struct file_operations alpc_cp_fops;

static void alpc_cp_free(struct kref *ref)
{
	struct alpc_cp *cp = container_of(ref, struct alpc_cp, ref);
	struct alpc_cp_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &cp->backlog, node)
		kfree(e);
	vfree(cp->ring);
	eventfd_ctx_put(cp->eventfd);
	mutex_destroy(&cp->lock);
	kfree(cp);
}

void alpc_cp_put(struct alpc_cp *cp)
{
	if (cp)
		kref_put(&cp->ref, alpc_cp_free);
}

static struct alpc_completion *alpc_ring_entries(struct alpc_cp *cp)
{
	return (struct alpc_completion *)(cp->ring + 1);
}

static bool alpc_cp_ring_has_room(struct alpc_cp *cp)
{
	/* Acquire: the reaper is done with the slots before @head. */
	u32 head = smp_load_acquire(&cp->ring->head);

	return cp->tail - head < cp->entries;
}

static u32 alpc_cp_ring_count(struct alpc_cp *cp)
{
	u32 n = cp->tail - READ_ONCE(cp->ring->head);

	/* A scribbled head must not make us read outside the ring. */
	return min(n, cp->entries);
}

/*
 * Posts an entry for @key, in process context. Its callers hold the
 * posting port's lock, which orders the entries of one port's events as
 * the events themselves; alpc_cp_post() needs only its own.
 */
void alpc_cp_post(struct alpc_cp *cp, u64 key, u64 msg_id, u32 kind, int status)
{
	struct alpc_completion c = {
		.key = key, .msg_id = msg_id, .kind = kind, .status = status,
	};
	struct alpc_cp_entry *e;

	mutex_lock(&cp->lock);
	if (cp->closed)
		goto out;
	if (cp->ring && list_empty(&cp->backlog) && alpc_cp_ring_has_room(cp)) {
		alpc_ring_entries(cp)[cp->tail & (cp->entries - 1)] = c;
		cp->tail++;
		/* Release: the entry is written before the reaper sees it. */
		smp_store_release(&cp->ring->tail, cp->tail);
	} else {
		if (cp->ring)
			WRITE_ONCE(cp->ring->flags, cp->ring->flags | ALPC_RING_OVERFLOW);
		/*
		 * Under the posting port's lock: an allocation that reclaims
		 * (in a sender's tight memory cgroup) would stall every client
		 * of that port. So, as io_uring allocates its CQ overflow
		 * entries, take what is free now, or count the entry dropped.
		 */
		e = cp->nbacklog < ALPC_BACKLOG_MAX ?
		    kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN) : NULL;
		if (!e) {
			cp->dropped++;
			if (cp->ring) {
				WRITE_ONCE(cp->ring->dropped, cp->dropped);
				WRITE_ONCE(cp->ring->flags, cp->ring->flags | ALPC_RING_DROPPED);
			}
			goto signal;
		}
		e->c = c;
		list_add_tail(&e->node, &cp->backlog);
		cp->nbacklog++;
	}
	wake_up_interruptible_poll(&cp->wq, EPOLLIN | EPOLLRDNORM);
signal:
	alpc_eventfd_signal(cp->eventfd);
out:
	mutex_unlock(&cp->lock);
}

static bool alpc_cp_empty(struct alpc_cp *cp)
{
	return list_empty(&cp->backlog) && (!cp->ring || !alpc_cp_ring_count(cp));
}

/* Takes up to @max entries into @out, the ring's first. Called with cp->lock. */
static u32 alpc_cp_take(struct alpc_cp *cp, struct alpc_completion *out, u32 max)
{
	struct alpc_cp_entry *e, *tmp;
	u32 n = 0, head, avail;

	if (cp->ring) {
		avail = alpc_cp_ring_count(cp);
		head = cp->tail - avail;
		while (n < max && n < avail) {
			out[n] = alpc_ring_entries(cp)[(head + n) & (cp->entries - 1)];
			n++;
		}
		/* Release: the slots are read before the kernel may reuse them. */
		smp_store_release(&cp->ring->head, head + n);
	}
	list_for_each_entry_safe(e, tmp, &cp->backlog, node) {
		if (n == max)
			break;
		out[n++] = e->c;
		list_del(&e->node);
		cp->nbacklog--;
		kfree(e);
	}
	if (cp->ring && list_empty(&cp->backlog))
		WRITE_ONCE(cp->ring->flags, cp->ring->flags & ~ALPC_RING_OVERFLOW);
	return n;
}

static int alpc_ioctl_dequeue(struct alpc_cp *cp, struct alpc_dequeue __user *ud)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct alpc_completion *out;
	struct alpc_dequeue d;
	bool nonblock;
	long timeout;
	u32 n = 0;
	int ret = 0;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (!d.max || d.max > ALPC_DEQUEUE_MAX || d.flags || d.reserved)
		return -EINVAL;
	/* Fault the destination in now: entries taken must not be lost. */
	if (put_user(0, &ud->count) ||
	    clear_user(u64_to_user_ptr(d.entries), d.max * sizeof(*out)))
		return -EFAULT;
	out = kvmalloc_array(d.max, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	timeout = alpc_timeout(d.timeout_ns);
	nonblock = !timeout;

	add_wait_queue_exclusive(&cp->wq, &wait);
	mutex_lock(&cp->lock);
	while (alpc_cp_empty(cp)) {
		if (!timeout) {
			ret = nonblock ? -EAGAIN : -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		mutex_unlock(&cp->lock);
		timeout = wait_woken(&wait, TASK_INTERRUPTIBLE, timeout);
		mutex_lock(&cp->lock);
	}
	if (!ret)
		n = alpc_cp_take(cp, out, d.max);
	/* Leaving entries behind: pass the wake-up on. */
	if (!alpc_cp_empty(cp))
		wake_up_interruptible(&cp->wq);
	mutex_unlock(&cp->lock);
	remove_wait_queue(&cp->wq, &wait);

	if (!ret && (copy_to_user(u64_to_user_ptr(d.entries), out, n * sizeof(*out)) ||
		     put_user(n, &ud->count)))
		ret = -EFAULT;
	kvfree(out);
	return ret;
}

static long alpc_cp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != ALPC_IOC_DEQUEUE)
		return -ENOTTY;
	return alpc_ioctl_dequeue(file->private_data, (void __user *)arg);
}

static __poll_t alpc_cp_poll(struct file *file, poll_table *pt)
{
	struct alpc_cp *cp = file->private_data;
	__poll_t mask;

	poll_wait(file, &cp->wq, pt);
	mutex_lock(&cp->lock);
	mask = alpc_cp_empty(cp) ? 0 : EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&cp->lock);
	return mask;
}

static int alpc_cp_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct alpc_cp *cp = file->private_data;

	if (!cp->ring || vma->vm_pgoff || !(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_end - vma->vm_start > PAGE_ALIGN(cp->ring_bytes))
		return -EINVAL;
	return remap_vmalloc_range(vma, cp->ring, 0);
}

static int alpc_cp_release(struct inode *inode, struct file *file)
{
	struct alpc_cp *cp = file->private_data;

	mutex_lock(&cp->lock);
	cp->closed = true;
	mutex_unlock(&cp->lock);
	alpc_cp_put(cp);
	return 0;
}

static const struct file_operations alpc_cp_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= alpc_cp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= alpc_cp_poll,
	.mmap		= alpc_cp_mmap,
	.release	= alpc_cp_release,
};

int alpc_ioctl_create_completion(struct alpc_create_completion __user *uarg)
{
	struct alpc_create_completion c;
	struct alpc_cp *cp;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~ALPC_FD_INHERIT || c.reserved ||
	    memchr_inv(c.reserved2, 0, sizeof(c.reserved2)) ||
	    c.ring_entries > ALPC_RING_MAX ||
	    (c.ring_entries && !is_power_of_2(c.ring_entries)))
		return -EINVAL;

	cp = kzalloc(sizeof(*cp), GFP_KERNEL_ACCOUNT);
	if (!cp)
		return -ENOMEM;
	kref_init(&cp->ref);
	mutex_init(&cp->lock);
	init_waitqueue_head(&cp->wq);
	INIT_LIST_HEAD(&cp->backlog);
	cp->eventfd = eventfd_ctx_fdget(c.eventfd);
	if (IS_ERR(cp->eventfd)) {
		/* eventfd_ctx_fdget() says EINVAL for an fd of another kind. */
		ret = PTR_ERR(cp->eventfd);
		if (ret == -EINVAL)
			ret = -EBADF;
		kfree(cp);
		return ret;
	}
	if (c.ring_entries) {
		cp->entries = c.ring_entries;
		cp->ring_bytes = sizeof(*cp->ring) +
				 c.ring_entries * sizeof(struct alpc_completion);
		cp->ring = vmalloc_user(cp->ring_bytes);
		ret = -ENOMEM;
		if (!cp->ring)
			goto err;
		cp->ring->mask = c.ring_entries - 1;
	}
	fd = get_unused_fd_flags(c.flags & ALPC_FD_INHERIT ? 0 : O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err;
	}
	file = anon_inode_getfile("[alpc_completion]", &alpc_cp_fops, cp, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto err;
	}
	fd_install(fd, file);
	return fd;
err:
	alpc_cp_put(cp);
	return ret;
}

/* The completion port behind @fd, with a reference. */
struct alpc_cp *alpc_cp_get(int fd)
{
	struct alpc_cp *cp = ERR_PTR(-EBADF);
	struct file *file = fget(fd);

	if (!file)
		return cp;
	if (file->f_op == &alpc_cp_fops) {
		cp = file->private_data;
		kref_get(&cp->ref);
	}
	fput(file);
	return cp;
}
