// SPDX-License-Identifier: GPL-2.0
/*
 * Datagrams in bulk: ALPC_IOC_SEND_DGRAMS queues up to ALPC_BATCH_MAX
 * datagrams packed in one buffer, all or none, and ALPC_IOC_RECV_DGRAMS
 * takes as many plain datagrams as fit into one buffer. The sender's
 * buffer is copied once, into a bundle (dgram.h says what it holds), and
 * each of its datagrams is then an ordinary DATAGRAM message: its own
 * id, charge, completion entry and tracepoints.
 *
 * What goes back to a queue: a bulk receive that faults part way keeps
 * the datagrams that arrived whole and puts the rest back at the head of
 * the queue, in order and charged again, waking as many receivers as
 * went back; if the counts cannot be written back, everything it took
 * goes back (EFAULT means nothing was taken). The lock order is atop
 * port.c.
 */

#include <linux/lockdep.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dgram.h"
#include "msg.h"
#include "trace.h"

/*
 * Bundles of up to this many bytes and datagrams are kept for reuse
 * (alpc_conn.dgram_cache): what a stream of small datagrams needs, and
 * at most 4 x (16 KiB + 64 headers), 120 KiB, per connection.
 */
#define ALPC_BUNDLE_CACHE_MAX	SZ_16K
#define ALPC_BUNDLE_CACHE_MSGS	64

static void alpc_bundle_destroy(struct alpc_bundle *b)
{
	if (b) {
		kvfree(b->hdrs);
		kvfree(b);
	}
}

void alpc_dgram_cache_free(struct alpc_conn *conn)
{
	int dir, i;

	for (dir = 0; dir < ARRAY_SIZE(conn->dgram_cache); dir++)
		for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[dir]); i++)
			alpc_bundle_destroy(conn->dgram_cache[dir][i]);
}

/*
 * A bundle for @n datagrams in @size bytes sent in direction @dir,
 * without references: one @conn keeps for that direction if it is large
 * enough (the other side's were charged to the other side), or a new
 * one. Nothing in it needs zeroing: alpc_bundle_build() sets every
 * header whole and overwrites the buffer, and nothing past what it wrote
 * is read.
 */
static struct alpc_bundle *alpc_bundle_alloc(struct alpc_conn *conn, enum alpc_dir dir,
					     u32 n, u32 size)
{
	struct alpc_bundle **cache = conn->dgram_cache[dir];
	gfp_t gfp = GFP_KERNEL_ACCOUNT;
	struct alpc_bundle *b;
	size_t total;
	int i;

	for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[dir]); i++) {
		b = xchg(&cache[i], NULL);
		if (b && b->buf_cap >= size && b->hdrs->cap >= n)
			return b;
		alpc_bundle_destroy(b);
	}
	/* One to be cached gets the whole slab object it takes. */
	total = struct_size(b, buf, size);
	if (total <= ALPC_BUNDLE_CACHE_MAX)
		total = kmalloc_size_roundup(total);
	b = kvmalloc(total, gfp);
	if (!b)
		return NULL;
	b->dir = dir;
	b->cacheable = total <= ALPC_BUNDLE_CACHE_MAX && n <= ALPC_BUNDLE_CACHE_MSGS;
	b->buf_cap = min_t(size_t, total - sizeof(*b), U32_MAX);
	b->hdrs = kvmalloc(struct_size(b->hdrs, msgs, n), gfp);
	if (!b->hdrs) {
		kvfree(b);
		return NULL;
	}
	b->hdrs->cap = n;
	return b;
}

/*
 * Gives @b, done with, back to @conn's cache, or frees it. Two are kept
 * per direction, so that a sender building its next bundle while the
 * receiver still copies out the last finds one.
 */
static void alpc_bundle_recycle(struct alpc_conn *conn, struct alpc_bundle *b)
{
	struct alpc_bundle **cache = conn->dgram_cache[b->dir];
	int i;

	if (b->cacheable)
		for (i = 0; i < ARRAY_SIZE(conn->dgram_cache[b->dir]); i++)
			if (!cmpxchg(&cache[i], NULL, b))
				return;
	alpc_bundle_destroy(b);
}

void alpc_bundle_put(struct alpc_bundle *b)
{
	struct alpc_conn *conn = b->conn;

	if (!refcount_dec_and_test(&b->ref))
		return;
	put_pid(b->tgid);
	put_pid(b->tid);
	put_cred(b->cred);
	alpc_bundle_recycle(conn, b);
	alpc_conn_put(conn);
}

/* The header @msg's datagram record is received with, in the bundle, before its payload. */
static struct alpc_dgram *alpc_dgram_header(const struct alpc_msg *msg)
{
	return (struct alpc_dgram *)msg->data - 1;
}

/*
 * Rewrites the header of @msg, a bundle's datagram just queued from
 * @end, in the bundle, as ALPC_IOC_RECV_DGRAMS is to report it: then a
 * run of a bundle's datagrams is received with a single copy of its
 * records. Its receivers see the port context on the server's side.
 */
static void alpc_dgram_finish(struct alpc_msg *msg, const struct alpc_end *end)
{
	struct alpc_dgram *h = alpc_dgram_header(msg);

	h->id = msg->id;
	h->port_context = end->kind == ALPC_END_CLIENT ? msg->conn->port_context : 0;
	h->flags = msg->cred_changed ? ALPC_MSGF_CRED_CHANGED : 0;
}

/*
 * Builds the bundle for @d: copies the sender's buffer once and reads the
 * headers from that copy, so what is checked is what is sent. Every
 * header is checked before anything is queued. Touches user memory.
 */
static struct alpc_bundle *alpc_bundle_build(struct alpc_end *end,
					     const struct alpc_dgrams *d)
{
	struct alpc_bundle *b;
	struct alpc_msg *msgs;
	u32 i = 0, off = 0;
	int ret;

	b = alpc_bundle_alloc(end->conn, alpc_end_dir(end), d->count, d->size);
	if (!b)
		return ERR_PTR(-ENOMEM);
	msgs = b->hdrs->msgs;
	b->bytes = 0;
	ret = -EFAULT;
	if (copy_from_user(b->buf, u64_to_user_ptr(d->buf), d->size))
		goto err;

	for (i = 0; i < d->count; i++) {
		struct alpc_dgram *h = (struct alpc_dgram *)(b->buf + off);
		struct alpc_msg *msg = &msgs[i];

		ret = -EINVAL;
		if (d->size - off < sizeof(*h) || h->id || h->port_context || h->flags)
			goto err;
		ret = -EMSGSIZE;
		if (h->len > end->port->attr.max_msg_len)
			goto err;
		ret = -EINVAL;
		if (d->size - off < ALPC_DGRAM_SIZE(h->len))
			goto err;
		/* Padding reaches the receiver as zeros, not the sender's bytes. */
		memset((u8 *)(h + 1) + h->len, 0, ALPC_DGRAM_SIZE(h->len) - sizeof(*h) - h->len);
		/*
		 * Every field, the rest zeroed: a recycled header holds its
		 * last datagram's. An assignment rather than a memset and
		 * stores, which the compiler can do in word-sized stores.
		 */
		*msg = (struct alpc_msg) {
			.node = LIST_HEAD_INIT(msg->node),
			.req_node = LIST_HEAD_INIT(msg->req_node),
			.bundle = b,
			.conn = end->conn,
			.type = ALPC_MSG_DATAGRAM,
			.context = h->context,
			.len = h->len,
			.data = (u8 *)(h + 1),
		};
		off += ALPC_DGRAM_SIZE(h->len);
		b->bytes += h->len;
	}
	/* No room to spare: the bundle holds no more than its datagrams. */
	ret = -EINVAL;
	if (off != d->size)
		goto err;
	/* Never to fit in the queue at once. */
	ret = -EMSGSIZE;
	if (d->count > end->port->attr.max_queued_msgs ||
	    b->bytes > end->port->attr.max_queued_bytes)
		goto err;

	refcount_set(&b->ref, d->count);
	kref_get(&end->conn->ref);
	b->conn = end->conn;
	b->tgid = get_pid(task_tgid(current));
	b->tid = get_pid(task_pid(current));
	b->cred = get_current_cred();
	for (i = 0; i < d->count; i++) {
		msgs[i].tgid = b->tgid;
		msgs[i].tid = b->tid;
		msgs[i].cred = b->cred;
	}
	return b;
err:
	alpc_bundle_recycle(end->conn, b);
	return ERR_PTR(ret);
}

static bool alpc_dgrams_args_bad(const struct alpc_dgrams *d)
{
	return !d->count || d->count > ALPC_BATCH_MAX || d->flags || d->reserved;
}

/* Fails early on an unwritable output, before anything is sent or taken. */
static int alpc_dgrams_out(struct alpc_dgrams __user *ud, u32 done, u32 bytes,
			   u64 first_id)
{
	if (put_user(done, &ud->done) || put_user(bytes, &ud->bytes) ||
	    put_user(first_id, &ud->first_id))
		return -EFAULT;
	return 0;
}

int alpc_ioctl_send_dgrams(struct alpc_end *end, struct alpc_dgrams __user *ud)
{
	struct alpc_port *port = end->port;
	struct alpc_wakes wk = {};
	struct alpc_bundle *b;
	struct alpc_dgrams d;
	long timeout;
	u64 first;
	int ret;
	u32 i;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (alpc_dgrams_args_bad(&d))
		return -EINVAL;
	/*
	 * Never to fit, before anything is copied: more datagrams than the
	 * queue takes, more bytes than @count of the port's largest (one is
	 * larger), or than the queue's bytes and @count headers and padding.
	 */
	if (d.count > port->attr.max_queued_msgs ||
	    d.size > d.count * ALPC_DGRAM_SIZE(port->attr.max_msg_len) ||
	    d.size > port->attr.max_queued_bytes + d.count * ALPC_DGRAM_SIZE(0) + d.count * 7)
		return -EMSGSIZE;
	if (alpc_dgrams_out(ud, 0, 0, 0))
		return -EFAULT;
	b = alpc_bundle_build(end, &d);
	if (IS_ERR(b))
		return PTR_ERR(b);

	/* All or none: room for every datagram, or a wait for it. */
	timeout = alpc_timeout(d.timeout_ns);
	mutex_lock(&port->lock);
	ret = alpc_wait_room(end, d.count, b->bytes, &timeout, NULL);
	if (!ret) {
		first = alpc_new_ids(d.count);
		for (i = 0; i < d.count; i++) {
			struct alpc_msg *msg = &b->hdrs->msgs[i];

			msg->id = first + i;
			/* A datagram's cannot fail. */
			alpc_enqueue_sent(end, msg, NULL, false, &wk);
			alpc_dgram_finish(msg, end);
		}
		alpc_wakes_flush(&wk);
	}
	mutex_unlock(&port->lock);
	if (ret) {
		/* Nobody else has seen them: drop them all, and the bundle. */
		for (i = 0; i < d.count; i++)
			alpc_bundle_put(b);
		return ret;
	}
	return alpc_dgrams_out(ud, d.count, d.size, first);
}

static bool alpc_msg_plain_dgram(const struct alpc_msg *msg)
{
	return msg->type == ALPC_MSG_DATAGRAM && !msg->view.sec && !msg->nfiles;
}

/* Copies @msg, not a bundle's, to @ubuf as a datagram record for @end. */
static int alpc_dgram_copy_one(const struct alpc_end *end, const struct alpc_msg *msg,
			       u8 __user *ubuf)
{
	struct alpc_dgram h = {
		.id = msg->id,
		.context = msg->context,
		.len = msg->len,
	};

	if (end->kind != ALPC_END_CLIENT)
		h.port_context = msg->conn->port_context;
	if (msg->cred_changed)
		h.flags |= ALPC_MSGF_CRED_CHANGED;
	if (copy_to_user(ubuf, &h, sizeof(h)) ||
	    copy_to_user(ubuf + sizeof(h), msg->data, msg->len))
		return -EFAULT;
	return 0;
}

/*
 * Copies the run of @bytes of records of a bundle's datagrams from @run
 * on, in @list, to @ubuf + *@used, with one copy; counts those that
 * arrived whole in *@used and *@done (and the first's id in *@first).
 * Returns the first that did not, or NULL.
 */
static struct alpc_msg *alpc_dgrams_copy_run(struct list_head *list, struct alpc_msg *run,
					     u32 bytes, u8 __user *ubuf, u32 *used,
					     u32 *done, u64 *first)
{
	u32 copied = bytes - copy_to_user(ubuf + *used, alpc_dgram_header(run), bytes);
	struct alpc_msg *msg = run;

	list_for_each_entry_from(msg, list, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (!bytes)
			break;
		if (copied < rec)
			return msg;
		if (!*done)
			*first = msg->id;
		copied -= rec;
		bytes -= rec;
		*used += rec;
		(*done)++;
	}
	return NULL;
}

int alpc_ioctl_recv_dgrams(struct alpc_end *end, struct alpc_dgrams __user *ud)
{
	struct alpc_port *port = end->port;
	u32 done = 0, used = 0, need = 0;
	struct alpc_msg *msg, *tmp, *failed = NULL, *run = NULL;
	struct alpc_conn *waker = NULL;
	struct list_head *back;
	u32 run_bytes = 0;
	struct alpc_dgrams d;
	LIST_HEAD(delivered);
	u8 __user *ubuf;
	LIST_HEAD(taken);
	long timeout;
	u64 first = 0;
	int ret;

	if (copy_from_user(&d, ud, sizeof(d)))
		return -EFAULT;
	if (alpc_dgrams_args_bad(&d))
		return -EINVAL;
	if (alpc_dgrams_out(ud, 0, 0, 0))
		return -EFAULT;
	ubuf = u64_to_user_ptr(d.buf);
	timeout = alpc_timeout(d.timeout_ns);

	mutex_lock(&port->lock);
	ret = alpc_wait_queued(end, &timeout);
	if (ret)
		goto out_unlock;
	/*
	 * Every datagram taken is charged (alpc_enqueue_sent() charges what
	 * it queues), so a failed copy charges them again.
	 */
	list_for_each_entry_safe(msg, tmp, &end->queue, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (done == d.count || !alpc_msg_plain_dgram(msg))
			break;
		if (rec > d.size - used) {
			need = rec;
			break;
		}
		used += rec;
		/* Those waiting for room hear once per connection, not per datagram. */
		if (done && msg->conn != waker)
			alpc_room_wake(waker);
		waker = msg->conn;
		alpc_uncharge_nowake(msg);
		list_move_tail(&msg->node, &taken);
		done++;
	}
	if (done)
		alpc_room_wake(waker);
	if (!done) {
		ret = need ? -EMSGSIZE : -ENOMSG;
		/* Another receiver may take it: pass the wake-up on. */
		wake_up_interruptible(&end->recv_wq);
		goto out_unlock;
	}
	mutex_unlock(&port->lock);

	/*
	 * Copy out in order; the first that faults goes back, with the rest.
	 * A run of one bundle's datagrams lies there as received: one copy.
	 */
	done = 0;
	used = 0;
	list_for_each_entry(msg, &taken, node) {
		u32 rec = ALPC_DGRAM_SIZE(msg->len);

		if (run && msg->bundle == run->bundle && msg->data == run->data + run_bytes) {
			run_bytes += rec;
			continue;
		}
		if (run) {
			failed = alpc_dgrams_copy_run(&taken, run, run_bytes, ubuf, &used, &done,
						      &first);
			run = NULL;
			if (failed)
				break;
		}
		if (msg->bundle) {
			run = msg;
			run_bytes = rec;
			continue;
		}
		if (alpc_dgram_copy_one(end, msg, ubuf + used)) {
			failed = msg;
			break;
		}
		if (!done)
			first = msg->id;
		used += rec;
		done++;
	}
	if (run)
		failed = alpc_dgrams_copy_run(&taken, run, run_bytes, ubuf, &used, &done, &first);
	if (failed)
		list_cut_before(&delivered, &taken, &failed->node);
	else
		list_splice_init(&taken, &delivered);
	/* Unless the caller learns what it got, it got nothing: all go back. */
	ret = done ? alpc_dgrams_out(ud, done, used, first) : -EFAULT;
	if (ret)
		list_splice_tail_init(&taken, &delivered);
	back = ret ? &delivered : &taken;
	if (!list_empty(back)) {
		int n = 0;

		/*
		 * Back to the head, as they were, for this or other receivers:
		 * as many may have gone back to sleep finding them taken.
		 */
		mutex_lock(&port->lock);
		list_for_each_entry(msg, back, node) {
			alpc_charge(msg, msg->dir);
			n++;
		}
		list_splice_init(back, &end->queue);
		__wake_up(&end->recv_wq, TASK_INTERRUPTIBLE, n, poll_to_key(EPOLLIN | EPOLLRDNORM));
		mutex_unlock(&port->lock);
	}
	list_for_each_entry(msg, &delivered, node)
		trace_alpc_receive(msg->conn->id, msg->id, 0, msg->type, msg->len);
	alpc_msg_free_list(&delivered);
	return ret;

out_unlock:
	mutex_unlock(&port->lock);
	if (ret == -EMSGSIZE && put_user(need, &ud->bytes))
		return -EFAULT;
	return ret;
}
