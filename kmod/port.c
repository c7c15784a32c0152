// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: named connection ports, connections and their communication
 * ports; connect, accept, rundown; the file operations of all three.
 *
 * Locking
 * -------
 * This is the one place the module's lock order is written; the other
 * files point here, and functions that need a lock assert it with
 * lockdep_assert_held().
 *
 *   alpc_names_lock     the name table; held alone, with no other lock
 *   alpc_ports' xa_lock the introspection registry; held alone
 *   mmap_lock           (the mm's: around mmap and VMA close, in vm_mmap()
 *                        and in GUP for ALPC_IOC_ACCESS)
 *     -> port->lock     everything reachable from one connection port;
 *                       never two ports' at once
 *       -> cp->lock     a completion port's (completion.c), to post
 *
 * port->lock guards everything reachable from one connection port: its
 * queue and request table, its connections, their ends' queues and
 * charges, and the messages in them. With it held, nothing touches user
 * memory (a fault, or a userfaultfd, would stall every client of the
 * port, and would invert the order above) and nothing is freed: what is
 * to go moves to a dispose list that is freed after the unlock, so no
 * reference drop can free the lock's own port under it. Wake-ups are
 * made under it, so an end cannot be torn down under its waker.
 *
 * Lifetime
 * --------
 * A port is referenced by its connection port's file, by each of its
 * connections, and for a moment by a connect that found it by name. A
 * connection is referenced by its client file (or, until connect
 * returns, by connect), by its server file if one was taken, and by every
 * message that names it. A connection is on port->conns exactly while it
 * is not CLOSED, which implies its client side is alive, so a rundown that
 * walks the list under the lock finds live connections.
 *
 * Closing the connection port's last fd kills the port and closes every
 * connection: their waiters wake with ECONNRESET. Closing a
 * communication port closes its connection; when the client's goes, the
 * server gets PORT_CLOSED (CLIENT_DIED if the process is exiting), from
 * a message allocated at connect so the notice cannot fail. No ioctl runs
 * on a file while its release runs, so a queue is emptied only by its own
 * file's release. Each file pins the module.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "access.h"
#include "batch.h"
#include "compat.h"
#include "completion.h"
#include "dgram.h"
#include "msg.h"
#include "netlink.h"
#include "port.h"
#include "section.h"
#include "sendrecv.h"
#include "trace.h"

#define ALPC_DEFAULT_QUEUED_MSGS	64
#define ALPC_DEFAULT_QUEUED_BYTES	65536
#define ALPC_DEFAULT_CONNECTIONS	1024
#define ALPC_MAX_QUEUED_MSGS		65536
#define ALPC_MAX_QUEUED_BYTES		SZ_64M
#define ALPC_MAX_CONNECTIONS		65536
#define ALPC_DEFAULT_SECTION_SIZE	((u64)SZ_64M)
#define ALPC_DEFAULT_SECTION_BYTES	((u64)SZ_128M)
#define ALPC_MAX_SECTION_SIZE		((u64)SZ_1G)
#define ALPC_MAX_SECTION_BYTES		(4 * (u64)SZ_1G)
#define ALPC_DEFAULT_FDS		16
#define ALPC_DEFAULT_SECTIONS		64
#define ALPC_MAX_SECTIONS		4096
#define ALPC_DEFAULT_MODE		0600

static DEFINE_MUTEX(alpc_names_lock);
static DEFINE_HASHTABLE(alpc_names, 8);
/* Live connection ports by id, for introspection. */
static DEFINE_XARRAY(alpc_ports);
atomic_t alpc_generation = ATOMIC_INIT(0);

static const struct file_operations alpc_fops;

static u32 alpc_name_hash(const struct ipc_namespace *ns, const char *name)
{
	return full_name_hash(ns, name, strlen(name));
}

bool alpc_name_valid(const char *name)
{
	size_t len = strnlen(name, ALPC_NAME_MAX);

	return len && len < ALPC_NAME_MAX;
}

/* Returns the port named @name in @ns, with a reference, or NULL. */
struct alpc_port *alpc_name_lookup(struct ipc_namespace *ns, const char *name)
{
	struct alpc_port *port;

	mutex_lock(&alpc_names_lock);
	hash_for_each_possible(alpc_names, port, name_node, alpc_name_hash(ns, name)) {
		if (port->ipc_ns == ns && !strcmp(port->name, name)) {
			/* Named ports still have their file's reference. */
			kref_get(&port->ref);
			mutex_unlock(&alpc_names_lock);
			return port;
		}
	}
	mutex_unlock(&alpc_names_lock);
	return NULL;
}

static int alpc_name_insert(struct alpc_port *port)
{
	u32 hash = alpc_name_hash(port->ipc_ns, port->name);
	struct alpc_port *other;
	int ret = 0;

	mutex_lock(&alpc_names_lock);
	hash_for_each_possible(alpc_names, other, name_node, hash) {
		if (other->ipc_ns == port->ipc_ns && !strcmp(other->name, port->name)) {
			ret = -EEXIST;
			goto out;
		}
	}
	hash_add(alpc_names, &port->name_node, hash);
out:
	mutex_unlock(&alpc_names_lock);
	return ret;
}

static void alpc_name_remove(struct alpc_port *port)
{
	mutex_lock(&alpc_names_lock);
	if (!hlist_unhashed(&port->name_node))
		hash_del(&port->name_node);
	mutex_unlock(&alpc_names_lock);
}

struct alpc_port *alpc_port_next(u64 *id)
{
	unsigned long index = *id;
	struct alpc_port *port;

	/* A port leaves the array before its file drops its reference. */
	xa_lock(&alpc_ports);
	port = xa_find(&alpc_ports, &index, ULONG_MAX, XA_PRESENT);
	if (port) {
		kref_get(&port->ref);
		*id = index;
	}
	xa_unlock(&alpc_ports);
	return port;
}

static void alpc_port_free(struct kref *ref)
{
	struct alpc_port *port = container_of(ref, struct alpc_port, ref);

	WARN_ON(atomic_read(&port->requests.nelems) || !list_empty(&port->conns));
	rhashtable_destroy(&port->requests);
	alpc_cp_put(port->end.cp);
	alpc_put_ipc_ns(port->ipc_ns);
	put_user_ns(port->user_ns);
	mutex_destroy(&port->lock);
	kfree(port);
}

void alpc_port_put(struct alpc_port *port)
{
	kref_put(&port->ref, alpc_port_free);
}

static void alpc_conn_free(struct kref *ref)
{
	struct alpc_conn *conn = container_of(ref, struct alpc_conn, ref);
	int i;

	if (conn->closed_msg)
		alpc_msg_free(conn->closed_msg);
	for (i = 0; i < ARRAY_SIZE(conn->cred); i++) {
		if (conn->cred[i])
			put_cred(conn->cred[i]);
		if (conn->pidfd[i])
			fput(conn->pidfd[i]);
		put_pid(conn->pid[i]);
	}
	alpc_cp_put(conn->client.cp);
	alpc_cp_put(conn->server.cp);
	alpc_port_put(conn->port);
	alpc_dgram_cache_free(conn);
	kfree(conn);
}

void alpc_conn_put(struct alpc_conn *conn)
{
	if (conn)
		kref_put(&conn->ref, alpc_conn_free);
}

static void alpc_end_init(struct alpc_end *end, enum alpc_end_kind kind,
			  struct alpc_port *port, struct alpc_conn *conn)
{
	end->kind = kind;
	end->port = port;
	end->conn = conn;
	INIT_LIST_HEAD(&end->queue);
	init_waitqueue_head(&end->recv_wq);
}

/*
 * Closes @conn: its unanswered requests end with ECONNRESET and everyone
 * waiting on it wakes. Called with the port's lock held.
 */
static void alpc_conn_close(struct alpc_conn *conn, struct list_head *dispose)
{
	struct alpc_msg *req, *tmp;

	lockdep_assert_held(&conn->port->lock);

	if (conn->state == ALPC_CONN_CLOSED)
		return;
	conn->state = ALPC_CONN_CLOSED;
	list_del_init(&conn->node);
	conn->port->nconns--;
	atomic_inc(&alpc_generation);
	list_for_each_entry_safe(req, tmp, &conn->reqs, req_node)
		alpc_req_end(req, -ECONNRESET, NULL, false, dispose);
	wake_up_interruptible_all(&conn->wq);
	wake_up_interruptible_all(&conn->client.recv_wq);
	wake_up_interruptible_all(&conn->server.recv_wq);
}

static int alpc_attr_check(struct alpc_port_attr *a)
{
	if (a->flags & ~(ALPC_PORT_DIRECT_ACCESS | ALPC_PORT_ALLOW_FDS))
		return -EINVAL;
	if (a->flags & ALPC_PORT_ALLOW_FDS) {
		if (!a->max_fds)
			a->max_fds = ALPC_DEFAULT_FDS;
		if (a->max_fds > ALPC_FDS_MAX)
			return -EINVAL;
	} else if (a->max_fds) {
		return -EINVAL;
	}
	if (!a->max_sections)
		a->max_sections = ALPC_DEFAULT_SECTIONS;
	if (!a->max_msg_len)
		a->max_msg_len = ALPC_MSG_DEFAULT_MAX;
	if (!a->max_queued_msgs)
		a->max_queued_msgs = ALPC_DEFAULT_QUEUED_MSGS;
	if (!a->max_queued_bytes)
		a->max_queued_bytes = ALPC_DEFAULT_QUEUED_BYTES;
	if (!a->max_connections)
		a->max_connections = ALPC_DEFAULT_CONNECTIONS;
	if (!a->max_section_size)
		a->max_section_size = ALPC_DEFAULT_SECTION_SIZE;
	if (!a->max_section_bytes)
		a->max_section_bytes = max(ALPC_DEFAULT_SECTION_BYTES, a->max_section_size);
	/* Sections are charged in whole pages: so is the limit. */
	a->max_section_bytes = PAGE_ALIGN(a->max_section_bytes);
	if (a->max_msg_len > ALPC_MSG_LIMIT ||
	    a->max_queued_msgs > ALPC_MAX_QUEUED_MSGS ||
	    a->max_queued_bytes > ALPC_MAX_QUEUED_BYTES ||
	    a->max_queued_bytes < a->max_msg_len ||
	    a->max_connections > ALPC_MAX_CONNECTIONS ||
	    a->max_section_size > ALPC_MAX_SECTION_SIZE ||
	    a->max_section_bytes > ALPC_MAX_SECTION_BYTES ||
	    a->max_section_bytes < a->max_section_size ||
	    a->max_sections > ALPC_MAX_SECTIONS)
		return -EINVAL;
	return 0;
}

static int alpc_fd_flags(u32 flags)
{
	return flags & ALPC_FD_INHERIT ? 0 : O_CLOEXEC;
}

int alpc_ioctl_create_port(struct alpc_create_port __user *uarg)
{
	struct alpc_create_port c;
	struct alpc_port *port;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~ALPC_FD_INHERIT || memchr_inv(c.reserved, 0, sizeof(c.reserved)) ||
	    c.mode & ~0777 || !alpc_name_valid(c.name))
		return -EINVAL;
	ret = alpc_attr_check(&c.attr);
	if (ret)
		return ret;
	if (copy_to_user(&uarg->attr, &c.attr, sizeof(c.attr)))
		return -EFAULT;

	port = kzalloc(sizeof(*port), GFP_KERNEL_ACCOUNT);
	if (!port)
		return -ENOMEM;
	ret = rhashtable_init(&port->requests, &alpc_req_params);
	if (ret) {
		kfree(port);
		return ret;
	}
	port->id = alpc_new_id();
	kref_init(&port->ref);
	mutex_init(&port->lock);
	alpc_end_init(&port->end, ALPC_END_PORT, port, NULL);
	INIT_LIST_HEAD(&port->conns);
	INIT_HLIST_NODE(&port->name_node);
	port->attr = c.attr;
	alpc_sd_init(&port->sd, current_cred(), c.mode ?: ALPC_DEFAULT_MODE);
	strscpy(port->name, c.name, sizeof(port->name));
	port->ipc_ns = get_ipc_ns(current->nsproxy->ipc_ns);
	port->user_ns = get_user_ns(current_user_ns());

	fd = get_unused_fd_flags(alpc_fd_flags(c.flags));
	if (fd < 0) {
		ret = fd;
		goto err_port;
	}
	file = anon_inode_getfile("[alpc_port]", &alpc_fops, &port->end, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	/*
	 * The file owns the port's reference now; its release undoes the rest.
	 * The registry comes last: what dumps see is announced, and a port
	 * that never got there is not reported gone.
	 */
	ret = alpc_name_insert(port);
	if (!ret)
		ret = xa_insert(&alpc_ports, port->id, port, GFP_KERNEL_ACCOUNT);
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	atomic_inc(&alpc_generation);
	trace_alpc_port_create(port->id, port->name);
	alpc_nl_port_event(port, true);
	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
err_port:
	alpc_port_put(port);
	return ret;
}

/* Queues @conn's connection request @req. Called with the port's lock held. */
static int alpc_queue_connect(struct alpc_conn *conn, struct alpc_msg *req,
			      struct alpc_waiter *w, const kuid_t *server_uid)
{
	struct alpc_port *port = conn->port;
	int ret;

	lockdep_assert_held(&port->lock);

	if (port->dead)
		return -ENOENT;
	/* Checked under the lock: a descriptor change applies at once. */
	if (server_uid && !uid_eq(*server_uid, port->sd.uid))
		return -EPERM;
	ret = alpc_sd_access(&port->sd, current_cred());
	if (ret)
		return ret;
	if (port->nconns >= port->attr.max_connections)
		return -EAGAIN;
	/* An id taken under the lock keeps port->conns in id order, for dumps. */
	conn->id = alpc_new_id();
	req->id = alpc_new_id();
	ret = rhashtable_insert_fast(&port->requests, &req->hnode, alpc_req_params);
	if (ret)
		return ret;
	req->state = ALPC_REQ_QUEUED;
	req->send_end = &conn->client;
	req->waiter = w;
	alpc_msg_stamp(req, ALPC_TO_SERVER);
	list_add_tail(&req->req_node, &conn->reqs);
	list_add_tail(&conn->node, &port->conns);
	port->nconns++;
	atomic_inc(&alpc_generation);
	alpc_msg_enqueue(&port->end, req, true);
	return 0;
}

/* Waits for the answer to @req. Called and returns with the port's lock held. */
static void alpc_wait_connect(struct alpc_conn *conn, struct alpc_msg *req,
			      struct alpc_waiter *w, long timeout,
			      struct list_head *dispose)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool nonblock = !timeout;
	int ret = 0;

	lockdep_assert_held(&conn->port->lock);

	add_wait_queue(&conn->wq, &wait);
	while (!w->done) {
		ret = alpc_sleep(conn->port, &wait, &timeout);
		if (ret)
			break;
	}
	remove_wait_queue(&conn->wq, &wait);
	if (w->done)
		return;
	if (ret == -ETIMEDOUT && nonblock)
		ret = -EAGAIN;
	/* Withdrawn: the server's accept now fails, and it hears of it. */
	alpc_req_end(req, ret, NULL, true, dispose);
	alpc_conn_close(conn, dispose);
}

static bool alpc_connect_args_bad(const struct alpc_connect *c)
{
	if (c->flags & ~(ALPC_FD_INHERIT | ALPC_CONNECT_ASYNC | ALPC_CONNECT_SERVER_UID |
			 ALPC_CONNECT_PIDFD) ||
	    c->reserved0 || c->reserved || !alpc_name_valid(c->name) ||
	    (!(c->flags & ALPC_CONNECT_SERVER_UID) && c->server_uid) ||
	    (!(c->flags & ALPC_CONNECT_PIDFD) && c->pidfd))
		return true;
	/* Asynchronous: no wait, no reply buffer; synchronous: no completion. */
	if (c->flags & ALPC_CONNECT_ASYNC)
		return c->timeout_ns >= 0 || c->reply_buf || c->reply_size;
	return c->completion_fd || c->key;
}

/*
 * A connection to @port by the calling process, not yet on the port's
 * list. It takes over the caller's reference to @port and @pidfd.
 */
static struct alpc_conn *alpc_conn_alloc(struct alpc_port *port, struct file *pidfd)
{
	struct alpc_conn *conn;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return NULL;
	kref_init(&conn->ref);
	conn->port = port;
	conn->state = ALPC_CONN_CONNECTING;
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->reqs);
	init_waitqueue_head(&conn->wq);
	alpc_end_init(&conn->client, ALPC_END_CLIENT, port, conn);
	alpc_end_init(&conn->server, ALPC_END_SERVER, port, conn);
	conn->cred[ALPC_TO_SERVER] = get_current_cred();
	conn->pid[ALPC_TO_SERVER] = get_pid(task_tgid(current));
	conn->pidfd[ALPC_TO_SERVER] = pidfd;
	return conn;
}

int alpc_ioctl_connect(struct alpc_connect __user *uarg)
{
	struct alpc_waiter w = {};
	struct alpc_msg *req, *closed;
	struct file *file, *pidfd = NULL;
	kuid_t server_uid, *want = NULL;
	struct alpc_connect c;
	struct alpc_port *port;
	struct alpc_conn *conn;
	LIST_HEAD(dispose);
	bool async;
	int fd, ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (alpc_connect_args_bad(&c))
		return -EINVAL;
	async = c.flags & ALPC_CONNECT_ASYNC;
	if (c.flags & ALPC_CONNECT_SERVER_UID) {
		server_uid = make_kuid(current_user_ns(), c.server_uid);
		if (!uid_valid(server_uid))
			return -EINVAL;
		want = &server_uid;
	}
	/* The accept data is at most the port's max_msg_len, ALPC_MSG_LIMIT at most. */
	if (put_user(0, &uarg->reply_len) ||
	    alpc_reply_room_probe(c.reply_buf, c.reply_size, ALPC_MSG_LIMIT))
		return -EFAULT;
	if (c.flags & ALPC_CONNECT_PIDFD) {
		pidfd = alpc_pidfd_get(c.pidfd);
		if (IS_ERR(pidfd))
			return PTR_ERR(pidfd);
	}

	ret = -ENOENT;
	port = alpc_name_lookup(current->nsproxy->ipc_ns, c.name);
	if (!port)
		goto err_pidfd;
	ret = -EMSGSIZE;
	if (c.len > port->attr.max_msg_len)
		goto err_port;
	ret = -ENOMEM;
	conn = alpc_conn_alloc(port, pidfd);
	if (!conn)
		goto err_port;
	/* From here, putting the connection puts the port and the pidfd. */
	if (async) {
		conn->client.cp = alpc_cp_get(c.completion_fd);
		if (IS_ERR(conn->client.cp)) {
			ret = PTR_ERR(conn->client.cp);
			conn->client.cp = NULL;
			goto err_conn;
		}
		conn->client.cp_key = c.key;
	}
	/* Carries the client's identity as it is now, for the server's rundown. */
	closed = alpc_msg_alloc(NULL, ALPC_MSG_PORT_CLOSED, NULL, 0);
	if (IS_ERR(closed)) {
		ret = PTR_ERR(closed);
		goto err_conn;
	}
	conn->closed_msg = closed;
	req = alpc_msg_alloc(conn, ALPC_MSG_CONNECTION_REQUEST, u64_to_user_ptr(c.buf), c.len);
	if (IS_ERR(req)) {
		ret = PTR_ERR(req);
		goto err_conn;
	}
	file = anon_inode_getfile("[alpc_comm]", &alpc_fops, &conn->client, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_req;
	}

	/*
	 * The file owns the connection's first reference now: from here a
	 * failure is an fput(), whose release closes the connection.
	 */
	mutex_lock(&port->lock);
	ret = alpc_queue_connect(conn, req, async ? NULL : &w, want);
	if (ret) {
		/* Never queued: the file's release has nothing to close. */
		conn->state = ALPC_CONN_CLOSED;
		mutex_unlock(&port->lock);
		alpc_msg_free(req);
		goto err_file;
	}
	trace_alpc_connect(port->id, conn->id, req->id, c.len, async);
	if (!async && !w.done)
		alpc_wait_connect(conn, req, &w, alpc_timeout(c.timeout_ns), &dispose);
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);

	if (!async) {
		ret = w.status;
		if (w.reply) {
			if (copy_to_user(u64_to_user_ptr(c.reply_buf), w.reply->data,
					 min(w.reply->len, c.reply_size)) ||
			    put_user(w.reply->len, &uarg->reply_len))
				ret = -EFAULT;
			alpc_msg_free(w.reply);
		}
		if (ret)
			goto err_file;
	}
	/* The fd only now: a connect may wait long, holding no fd number. */
	fd = get_unused_fd_flags(alpc_fd_flags(c.flags));
	if (fd < 0) {
		ret = fd;
		goto err_file;
	}
	fd_install(fd, file);
	return fd;

err_file:
	fput(file);
	return ret;
err_req:
	alpc_msg_free(req);
err_conn:
	alpc_conn_put(conn);
	return ret;
err_port:
	alpc_port_put(port);
err_pidfd:
	if (pidfd)
		fput(pidfd);
	return ret;
}

/* The connection request @id, received on @port and not yet answered. */
static struct alpc_msg *alpc_conn_request(struct alpc_port *port, u64 id)
{
	struct alpc_msg *req = alpc_req_lookup(port, id);

	if (!req || req->type != ALPC_MSG_CONNECTION_REQUEST ||
	    req->state != ALPC_REQ_DELIVERED || req->recv_end != &port->end)
		return NULL;
	return req;
}

static int alpc_ioctl_accept(struct alpc_port *port, struct alpc_accept __user *uarg)
{
	struct file *file = NULL, *pidfd = NULL;
	struct alpc_conn *conn = NULL;
	struct alpc_msg *req, *answer;
	struct alpc_accept a;
	LIST_HEAD(dispose);
	int fd = -1, ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(ALPC_ACCEPT_REJECT | ALPC_ACCEPT_COMM_PORT | ALPC_ACCEPT_PIDFD |
			ALPC_FD_INHERIT) ||
	    (a.flags & ALPC_ACCEPT_REJECT && a.flags & ALPC_ACCEPT_COMM_PORT) ||
	    (!(a.flags & ALPC_ACCEPT_PIDFD) && a.pidfd) || a.reserved0 || a.reserved)
		return -EINVAL;
	if (a.len > port->attr.max_msg_len)
		return -EMSGSIZE;
	answer = alpc_msg_alloc(NULL, ALPC_MSG_REPLY, u64_to_user_ptr(a.buf), a.len);
	if (IS_ERR(answer))
		return PTR_ERR(answer);
	if (a.flags & ALPC_ACCEPT_PIDFD) {
		pidfd = alpc_pidfd_get(a.pidfd);
		if (IS_ERR(pidfd)) {
			alpc_msg_free(answer);
			return PTR_ERR(pidfd);
		}
	}

	if (a.flags & ALPC_ACCEPT_COMM_PORT) {
		/* Make the fd first: once accepted, the connection is the client's. */
		mutex_lock(&port->lock);
		req = alpc_conn_request(port, a.id);
		if (req) {
			conn = req->conn;
			kref_get(&conn->ref);
		}
		mutex_unlock(&port->lock);
		ret = -ENOENT;
		if (!conn)
			goto err_answer;
		fd = get_unused_fd_flags(alpc_fd_flags(a.flags));
		ret = fd;
		if (fd < 0)
			goto err_conn;
		file = anon_inode_getfile("[alpc_comm]", &alpc_fops, &conn->server, O_RDWR);
		ret = PTR_ERR_OR_ZERO(file);
		if (ret)
			goto err_fd;
		/* The file owns that connection reference now. */
	}

	mutex_lock(&port->lock);
	req = alpc_conn_request(port, a.id);
	if (!req || (conn && req->conn != conn)) {
		mutex_unlock(&port->lock);
		ret = -ENOENT;
		goto err_file;
	}
	conn = req->conn;
	answer->id = alpc_new_id();
	answer->ref_id = a.id;
	/* For an asynchronous connect, the answer's entry is the result. */
	answer->cp_kind = ALPC_COMPLETION_CONNECT;
	answer->status = a.flags & ALPC_ACCEPT_REJECT ? -ECONNREFUSED : 0;
	trace_alpc_accept(conn->id, a.id, a.port_context, a.flags & ALPC_ACCEPT_REJECT, file);
	if (a.flags & ALPC_ACCEPT_REJECT) {
		alpc_req_end(req, -ECONNREFUSED, answer, false, &dispose);
		alpc_conn_close(conn, &dispose);
	} else {
		conn->state = ALPC_CONN_CONNECTED;
		conn->port_context = a.port_context;
		conn->server.attached = file;
		conn->cred[ALPC_TO_CLIENT] = get_current_cred();
		conn->pid[ALPC_TO_CLIENT] = get_pid(task_tgid(current));
		conn->pidfd[ALPC_TO_CLIENT] = pidfd;
		pidfd = NULL;
		kref_get(&conn->ref);
		alpc_req_end(req, 0, answer, false, &dispose);
	}
	mutex_unlock(&port->lock);
	alpc_msg_free_list(&dispose);
	if (pidfd)
		fput(pidfd);
	if (!(a.flags & ALPC_ACCEPT_REJECT)) {
		alpc_nl_conn_event(conn, true);
		alpc_conn_put(conn);
	}
	if (!file)
		return 0;
	fd_install(fd, file);
	return fd;

err_file:
	if (file) {
		/*
		 * Detach it before the fput(): another accept of the same
		 * request may have won, and this file's release must not close
		 * the connection that one made.
		 */
		file->private_data = NULL;
		put_unused_fd(fd);
		fput(file);
		alpc_conn_put(conn);
	}
	alpc_msg_free(answer);
	if (pidfd)
		fput(pidfd);
	return ret;
err_fd:
	put_unused_fd(fd);
err_conn:
	alpc_conn_put(conn);
err_answer:
	alpc_msg_free(answer);
	if (pidfd)
		fput(pidfd);
	return ret;
}

static void alpc_port_release(struct alpc_port *port)
{
	struct alpc_conn *conn, *tmp;
	struct alpc_cp *cp;
	LIST_HEAD(dispose);

	trace_alpc_close(port->id, 0, "port");
	alpc_name_remove(port);
	if (xa_erase(&alpc_ports, port->id)) {
		atomic_inc(&alpc_generation);
		alpc_nl_port_event(port, false);
	}
	mutex_lock(&port->lock);
	port->dead = true;
	cp = port->end.cp;
	port->end.cp = NULL;
	list_for_each_entry_safe(conn, tmp, &port->conns, node)
		alpc_conn_close(conn, &dispose);
	alpc_end_purge(&port->end, &dispose);
	mutex_unlock(&port->lock);
	alpc_cp_put(cp);
	alpc_msg_free_list(&dispose);
	alpc_port_put(port);
}

static void alpc_client_release(struct alpc_conn *conn)
{
	struct alpc_port *port = conn->port;
	bool connected = false;
	struct alpc_msg *closed;
	struct alpc_cp *cp;
	LIST_HEAD(dispose);

	mutex_lock(&port->lock);
	/* Its association ends with the fd: nothing is posted for it now. */
	cp = conn->client.cp;
	conn->client.cp = NULL;
	if (conn->state == ALPC_CONN_CONNECTED) {
		struct alpc_end *dest = alpc_server_end(conn);

		connected = true;
		alpc_conn_close(conn, &dispose);
		closed = conn->closed_msg;
		conn->closed_msg = NULL;
		/* A process's files are released on its way out, with PF_EXITING. */
		if (current->flags & (PF_EXITING | PF_KTHREAD))
			closed->type = ALPC_MSG_CLIENT_DIED;
		trace_alpc_close(port->id, conn->id,
				 closed->type == ALPC_MSG_CLIENT_DIED ? "client_died" : "client");
		closed->id = alpc_new_id();
		kref_get(&conn->ref);
		closed->conn = conn;
		alpc_msg_enqueue(dest, closed, false);
	}
	/* Closing an asynchronous connect that is still waiting gives it up. */
	alpc_conn_close(conn, &dispose);
	alpc_end_purge(&conn->client, &dispose);
	mutex_unlock(&port->lock);
	if (connected)
		alpc_nl_conn_event(conn, false);
	alpc_cp_put(cp);
	alpc_regions_drain(&dispose);
	alpc_msg_free_list(&dispose);
	alpc_conn_put(conn);
}

static void alpc_server_release(struct alpc_conn *conn)
{
	struct alpc_port *port = conn->port;
	struct alpc_cp *cp = NULL;
	bool connected = false;
	LIST_HEAD(dispose);

	mutex_lock(&port->lock);
	/* Not attached: an accept that failed after making this file. */
	if (conn->server.attached) {
		connected = conn->state == ALPC_CONN_CONNECTED;
		trace_alpc_close(port->id, conn->id, "server");
		cp = conn->server.cp;
		conn->server.cp = NULL;
		alpc_conn_close(conn, &dispose);
		alpc_end_purge(&conn->server, &dispose);
	}
	mutex_unlock(&port->lock);
	if (connected)
		alpc_nl_conn_event(conn, false);
	alpc_cp_put(cp);
	alpc_regions_drain(&dispose);
	alpc_msg_free_list(&dispose);
	alpc_conn_put(conn);
}

static int alpc_release(struct inode *inode, struct file *file)
{
	struct alpc_end *end = file->private_data;

	if (!end)
		return 0;
	switch (end->kind) {
	case ALPC_END_PORT:
		alpc_port_release(end->port);
		break;
	case ALPC_END_CLIENT:
		alpc_client_release(end->conn);
		break;
	case ALPC_END_SERVER:
		alpc_server_release(end->conn);
		break;
	}
	return 0;
}

static __poll_t alpc_poll(struct file *file, poll_table *pt)
{
	struct alpc_end *end = file->private_data;
	struct alpc_conn *conn = end->conn;
	__poll_t mask = 0;

	poll_wait(file, &end->recv_wq, pt);
	if (conn)
		poll_wait(file, &conn->wq, pt);

	mutex_lock(&end->port->lock);
	if (!list_empty(&end->queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (conn) {
		if (conn->state == ALPC_CONN_CLOSED)
			mask |= EPOLLHUP;
		else if (conn->state == ALPC_CONN_CONNECTED &&
			 alpc_has_space(conn, alpc_end_dir(end), end->port->attr.max_msg_len))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	mutex_unlock(&end->port->lock);
	return mask;
}

bool alpc_is_port_file(const struct file *file)
{
	return file->f_op == &alpc_fops;
}

static int alpc_ioctl_associate(struct alpc_end *end, struct alpc_associate __user *uarg)
{
	struct alpc_cp *cp = NULL, *old;
	struct alpc_associate a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || memchr_inv(a.reserved, 0, sizeof(a.reserved)))
		return -EINVAL;
	if (a.completion_fd != -1) {
		cp = alpc_cp_get(a.completion_fd);
		if (IS_ERR(cp))
			return PTR_ERR(cp);
	}
	mutex_lock(&end->port->lock);
	old = end->cp;
	end->cp = cp;
	end->cp_key = a.key;
	mutex_unlock(&end->port->lock);
	alpc_cp_put(old);
	return 0;
}

/*
 * Every ioctl of a port fd, and the kinds of port that take it: the kind
 * is checked here and nowhere else. (A connection port sends replies
 * only; that depends on the message, so alpc_send_prepare() checks it.)
 */
static long alpc_port_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct alpc_end *end = file->private_data;
	bool conn_port = end->kind == ALPC_END_PORT;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	/* Connection ports only. */
	case ALPC_IOC_ACCEPT:
		return conn_port ? alpc_ioctl_accept(end->port, uarg) : -ENOTTY;
	case ALPC_IOC_GET_SECURITY:
	case ALPC_IOC_SET_SECURITY:
		return conn_port ? alpc_ioctl_security(end, cmd, uarg) : -ENOTTY;
	/* Communication ports only. */
	case ALPC_IOC_CREATE_SECTION:
		return conn_port ? -ENOTTY : alpc_ioctl_create_section(end, uarg);
	case ALPC_IOC_SEND_WAIT:
		return conn_port ? -EOPNOTSUPP : alpc_ioctl_send_wait(end, uarg);
	case ALPC_IOC_SEND_DGRAMS:
		return conn_port ? -EOPNOTSUPP : alpc_ioctl_send_dgrams(end, uarg);
	/* Every kind. */
	case ALPC_IOC_ASSOCIATE:
		return alpc_ioctl_associate(end, uarg);
	case ALPC_IOC_SEND:
		return alpc_ioctl_send(end, uarg);
	case ALPC_IOC_RECV:
		return alpc_ioctl_recv(end, uarg);
	case ALPC_IOC_REPLY_RECV:
		return alpc_ioctl_reply_recv(end, uarg);
	case ALPC_IOC_CANCEL:
		return alpc_ioctl_cancel(end, uarg);
	case ALPC_IOC_ACCESS:
		return alpc_ioctl_access(end, uarg);
	case ALPC_IOC_BATCH:
		return alpc_ioctl_batch(end, uarg);
	case ALPC_IOC_RECV_DGRAMS:
		return alpc_ioctl_recv_dgrams(end, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations alpc_fops = {
	.owner		= THIS_MODULE,
	.release	= alpc_release,
	.poll		= alpc_poll,
	.unlocked_ioctl	= alpc_port_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
