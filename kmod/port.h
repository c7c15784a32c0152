/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_PORT_H
#define _ALPC_PORT_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/alpc.h>

#include "security.h"

struct alpc_cp;
struct alpc_msg;
struct alpc_bundle;
struct ipc_namespace;

enum alpc_end_kind {
	ALPC_END_PORT,		/* a connection port */
	ALPC_END_CLIENT,	/* a client communication port */
	ALPC_END_SERVER,	/* a server communication port */
};

/* Which way a message travels; indexes a connection's queue charges. */
enum alpc_dir {
	ALPC_TO_SERVER,
	ALPC_TO_CLIENT,
};

/*
 * What an fd refers to: something with a receive queue. Embedded in the
 * port (ALPC_END_PORT) or in a connection (the other two).
 */
struct alpc_end {
	enum alpc_end_kind kind;
	bool attached;			/* SERVER: taken at accept; receives */
	struct alpc_port *port;
	struct alpc_conn *conn;		/* NULL for ALPC_END_PORT */
	struct list_head queue;		/* alpc_msg.node, oldest first */
	wait_queue_head_t recv_wq;	/* receivers (woken one per message), poll */
	struct alpc_cp *cp;		/* associated completion port, or NULL */
	u64 cp_key;
};

struct alpc_port {
	u64 id;				/* never repeats; for tracing */
	struct kref ref;
	struct mutex lock;		/* everything below, and all connections' */
	bool dead;			/* the connection port's fd is closed */
	struct alpc_end end;
	struct rhashtable requests;	/* id -> unanswered request */
	struct list_head conns;		/* alpc_conn.node, not CLOSED; by id */
	unsigned int nconns;
	struct alpc_port_attr attr;
	atomic_t views_mapped;		/* server side; see alpc_view_map() */
	struct alpc_sd sd;		/* who may connect */
	u64 msgs[2];			/* sent, by enum alpc_dir */
	u64 bytes[2];
	struct ipc_namespace *ipc_ns;
	struct user_namespace *user_ns;	/* the creator's: CAP_SYS_ADMIN there */
	struct hlist_node name_node;	/* under alpc_names_lock */
	char name[ALPC_NAME_MAX];
};

enum alpc_conn_state {
	ALPC_CONN_CONNECTING,
	ALPC_CONN_CONNECTED,
	ALPC_CONN_CLOSED,
};

struct alpc_conn {
	u64 id;				/* never repeats; for tracing */
	struct kref ref;
	struct alpc_port *port;		/* holds a reference */
	struct list_head node;		/* in port->conns unless CLOSED */
	enum alpc_conn_state state;
	u64 port_context;
	struct alpc_end client;
	struct alpc_end server;
	struct list_head reqs;		/* alpc_msg.req_node: unanswered requests */
	wait_queue_head_t wq;		/* space, replies, connect, hangup */
	u32 queued_msgs[2];		/* charges, by enum alpc_dir */
	u64 queued_bytes[2];		/* replies may overshoot the limit */
	struct alpc_msg *closed_msg;	/* PORT_CLOSED, allocated at connect */
	atomic64_t section_bytes;	/* all its sections; see section.c */
	atomic_t nsections;
	/*
	 * By enum alpc_dir, for the sender of that direction: its
	 * credentials at connect (client) or accept (server), and its
	 * pidfd, if it gave one. Set before the connection is visible to
	 * the sender, then constant.
	 */
	const struct cred *cred[2];
	struct file *pidfd[2];
	struct pid *pid[2];		/* ... and its process */
	struct alpc_bundle *dgram_cache[2][2]; /* by alpc_dir, for the next bundles */
};

static inline struct alpc_end *alpc_server_end(struct alpc_conn *conn)
{
	return conn->server.attached ? &conn->server : &conn->port->end;
}

static inline enum alpc_dir alpc_end_dir(const struct alpc_end *end)
{
	return end->kind == ALPC_END_SERVER ? ALPC_TO_CLIENT : ALPC_TO_SERVER;
}

void alpc_conn_put(struct alpc_conn *conn);
void alpc_port_put(struct alpc_port *port);

/*
 * Introspection (netlink.c): the live connection ports, in id order.
 * alpc_port_next() returns the first with an id at least *@id, with a
 * reference, and sets *@id to its id; NULL when there is none.
 * alpc_generation changes whenever a port or connection comes or goes.
 * alpc_name_lookup() returns the port named @name in @ns, with a reference.
 */
struct alpc_port *alpc_port_next(u64 *id);
struct alpc_port *alpc_name_lookup(struct ipc_namespace *ns, const char *name);
bool alpc_name_valid(const char *name);
extern atomic_t alpc_generation;

int alpc_ioctl_create_port(struct alpc_create_port __user *uarg);
int alpc_ioctl_connect(struct alpc_connect __user *uarg);
bool alpc_is_port_file(const struct file *file);

#endif /* _ALPC_PORT_H */
