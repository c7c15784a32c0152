// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "alpc": dumps of ports and connections,
 * totals, and a multicast group of port and connection events. The
 * messages and attributes are specified in include/uapi/linux/alpc.h.
 *
 * Dumps walk the live ports in id order (alpc_port_next()) and each
 * port's connections, which port.c keeps in id order; the next ids to give
 * are kept in cb->ctx, so a dump resumes after the last object it gave and
 * never gives one twice, however ports and connections come and go.
 * alpc_generation marks a dump that raced with such a change
 * NLM_F_DUMP_INTR. Messages are written into the skb netlink allocated,
 * under one port's lock at a time: nothing here allocates or touches user
 * memory under a port's lock.
 *
 * Who sees what: the task that sends a request sees the ports of its IPC
 * namespace that it owns, may connect to, or holds CAP_SYS_ADMIN over (in
 * the user namespace the port was created in), and their connections,
 * with pids and ids in its own namespaces. A dump is filtered for the
 * task that started it from first part to last: .start captures its
 * credentials and namespaces, and every part runs with them, whoever
 * reads it (netlink fills later parts in the reader's context, so a dump
 * handed to a more privileged reader must not widen; CVE-2014-0181 was
 * that mistake). The capability is looked up without auditing (a dump
 * asks once per port) and before the port's lock is taken.
 *
 * Events are not filtered per listener (6.1 cannot), so they go only to
 * holders of CAP_SYS_ADMIN in the initial network namespace, and name
 * pids and ids as the initial namespaces see them. They are sent from
 * port.c's hooks, which run without any port lock held.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "netlink.h"

enum alpc_nl_groups {
	ALPC_NL_GRP_EVENTS,
};

/*
 * Where a dump resumes, and for whom: in cb->ctx, zeroed by netlink
 * before .start, which takes the references that .done drops.
 */
struct alpc_nl_dump {
	u64 port_id;		/* the next port to look at */
	u64 conn_id;		/* ... and the next connection in it */
	u64 only;		/* a filter's port, or 0 */
	const struct cred *cred;	/* the requester's */
	struct ipc_namespace *ipc_ns;	/* ... whose ports it may see */
	struct pid_namespace *pid_ns;	/* ... and where its pids live */
};

/* Whose eyes a request sees through: the ports, pids and ids it is given. */
struct alpc_nl_view {
	struct ipc_namespace *ipc_ns;	/* NULL: none */
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
};

static struct genl_family alpc_nl_family;

static const struct nla_policy alpc_nl_filter_policy[ALPC_NL_A_PORT_NAME + 1] = {
	[ALPC_NL_A_PORT_ID]	= { .type = NLA_U64 },
	[ALPC_NL_A_PORT_NAME]	= { .type = NLA_NUL_STRING, .len = ALPC_NAME_MAX - 1 },
};

static void alpc_nl_view_current(struct alpc_nl_view *v)
{
	struct nsproxy *nsp = current->nsproxy;

	v->ipc_ns = nsp ? nsp->ipc_ns : NULL;
	v->pid_ns = task_active_pid_ns(current);
	v->user_ns = current_user_ns();
}

/*
 * Whether @v's task, whose credentials are the current ones, sees @port,
 * in two steps: what can be decided without the port's lock (-1: hidden,
 * 1: shown), and otherwise (0) its security descriptor, under the lock.
 * The capability is looked up first, outside the lock: LSM hooks may
 * sleep.
 */
static int alpc_nl_may_see(struct alpc_port *port, const struct alpc_nl_view *v)
{
	if (!v->ipc_ns || port->ipc_ns != v->ipc_ns)
		return -1;
	return ns_capable_noaudit(port->user_ns, CAP_SYS_ADMIN) ? 1 : 0;
}

static bool alpc_nl_sd_allows(struct alpc_port *port)
{
	const struct cred *cred = current_cred();

	lockdep_assert_held(&port->lock);
	return uid_eq(port->sd.uid, cred->euid) || !alpc_sd_access(&port->sd, cred);
}

static u64 alpc_nl_section_bytes(struct alpc_port *port)
{
	struct alpc_conn *conn;
	u64 bytes = 0;

	list_for_each_entry(conn, &port->conns, node)
		bytes += atomic64_read(&conn->section_bytes);
	return bytes;
}

static int alpc_nl_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, ALPC_NL_A_PAD);
}

/* The port's identity, for port and connection messages. */
static int alpc_nl_put_port_id(struct sk_buff *skb, struct alpc_port *port)
{
	if (alpc_nl_put_u64(skb, ALPC_NL_A_PORT_ID, port->id) ||
	    nla_put_string(skb, ALPC_NL_A_PORT_NAME, port->name))
		return -EMSGSIZE;
	return 0;
}

/* Called with the port's lock held. */
static int alpc_nl_put_port(struct sk_buff *skb, struct alpc_port *port,
			    const struct alpc_nl_view *v)
{
	lockdep_assert_held(&port->lock);
	if (alpc_nl_put_port_id(skb, port) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_IPC_NS, port->ipc_ns->ns.inum) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_UID, from_kuid_munged(v->user_ns, port->sd.uid)) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_GID, from_kgid_munged(v->user_ns, port->sd.gid)) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_MODE, port->sd.mode) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_ACL_COUNT, port->sd.count) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_FLAGS, port->attr.flags) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_CONNS, port->nconns) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_MAX_CONNS, port->attr.max_connections) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_QUEUED, list_count_nodes(&port->end.queue)) ||
	    nla_put_u32(skb, ALPC_NL_A_PORT_REQUESTS, atomic_read(&port->requests.nelems)) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_PORT_MSGS_TO_SERVER, port->msgs[ALPC_TO_SERVER]) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_PORT_BYTES_TO_SERVER, port->bytes[ALPC_TO_SERVER]) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_PORT_MSGS_TO_CLIENT, port->msgs[ALPC_TO_CLIENT]) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_PORT_BYTES_TO_CLIENT, port->bytes[ALPC_TO_CLIENT]) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_PORT_SECTION_BYTES, alpc_nl_section_bytes(port)))
		return -EMSGSIZE;
	return 0;
}

static u32 alpc_nl_conn_state(const struct alpc_conn *conn)
{
	switch (conn->state) {
	case ALPC_CONN_CONNECTING:
		return ALPC_NL_CONN_CONNECTING;
	case ALPC_CONN_CONNECTED:
		return ALPC_NL_CONN_CONNECTED;
	default:
		return ALPC_NL_CONN_CLOSED;
	}
}

/* The effective uid in @cred, or 0 (no such side yet). */
static u32 alpc_nl_euid(const struct cred *cred, const struct alpc_nl_view *v)
{
	return cred ? from_kuid_munged(v->user_ns, cred->euid) : 0;
}

/* Called with the port's lock held. */
static int alpc_nl_put_conn(struct sk_buff *skb, struct alpc_conn *conn,
			    const struct alpc_nl_view *v)
{
	enum alpc_dir s = ALPC_TO_SERVER, c = ALPC_TO_CLIENT;

	lockdep_assert_held(&conn->port->lock);
	if (alpc_nl_put_port_id(skb, conn->port) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_CONN_ID, conn->id) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_STATE, alpc_nl_conn_state(conn)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_CLIENT_PID, pid_nr_ns(conn->pid[s], v->pid_ns)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_CLIENT_UID, alpc_nl_euid(conn->cred[s], v)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_SERVER_PID, pid_nr_ns(conn->pid[c], v->pid_ns)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_SERVER_UID, alpc_nl_euid(conn->cred[c], v)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_QUEUED_TO_SERVER, conn->queued_msgs[s]) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_QUEUED_TO_CLIENT, conn->queued_msgs[c]) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER,
			min_t(u64, conn->queued_bytes[s], U32_MAX)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_QUEUED_BYTES_TO_CLIENT,
			min_t(u64, conn->queued_bytes[c], U32_MAX)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_REQUESTS, list_count_nodes(&conn->reqs)) ||
	    nla_put_u32(skb, ALPC_NL_A_CONN_SECTIONS, atomic_read(&conn->nsections)) ||
	    alpc_nl_put_u64(skb, ALPC_NL_A_CONN_SECTION_BYTES, atomic64_read(&conn->section_bytes)))
		return -EMSGSIZE;
	return 0;
}

/* Starts a dump's next message; its seq tells it from other dumps. */
static void *alpc_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				&alpc_nl_family, NLM_F_MULTI, cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* Whether @v's task sees @port; if it does, returns with its lock held. */
static bool alpc_nl_lock_visible(struct alpc_port *port, const struct alpc_nl_view *v)
{
	int see = alpc_nl_may_see(port, v);

	if (see < 0)
		return false;
	mutex_lock(&port->lock);
	if (see || alpc_nl_sd_allows(port))
		return true;
	mutex_unlock(&port->lock);
	return false;
}

/*
 * The first port the caller sees with an id at least *@id, with a
 * reference, its id in *@id; NULL if there is none (or, with a filter,
 * if it is not the filter's). Returns with the port's lock held.
 */
static struct alpc_port *alpc_nl_next_visible(const struct alpc_nl_view *v, u64 *id, u64 only)
{
	struct alpc_port *port;

	for (;; (*id)++) {
		if (only && *id > only)
			return NULL;
		if (only)
			*id = only;
		port = alpc_port_next(id);
		if (!port)
			return NULL;
		if (only && *id != only) {
			alpc_port_put(port);
			return NULL;
		}
		if (alpc_nl_lock_visible(port, v))
			return port;
		alpc_port_put(port);
		/* Ports hidden from the caller fill no skb: yield now and then. */
		cond_resched();
	}
}

static void alpc_nl_unlock_put(struct alpc_port *port)
{
	mutex_unlock(&port->lock);
	alpc_port_put(port);
}

/*
 * A filter names one port: ALPC_NL_A_PORT_ID, ALPC_NL_A_PORT_NAME or
 * both. Resolved at the start, in the requesting task's context.
 */
static int alpc_nl_start(struct netlink_callback *cb)
{
	struct alpc_nl_dump *d = (struct alpc_nl_dump *)cb->ctx;
	struct nlattr **attrs = alpc_genl_dump_attrs(cb);
	struct nlattr *id_attr = attrs[ALPC_NL_A_PORT_ID];
	struct nlattr *name_attr = attrs[ALPC_NL_A_PORT_NAME];
	struct alpc_port *port = NULL;
	struct alpc_nl_view v;
	u64 id, only;

	BUILD_BUG_ON(sizeof(*d) > sizeof(cb->ctx));
	alpc_nl_view_current(&v);
	if (id_attr || name_attr) {
		only = id_attr ? nla_get_u64(id_attr) : 0;
		id = only;
		if (name_attr && v.ipc_ns) {
			/* Names are per IPC namespace, and only the caller's is visible. */
			port = alpc_name_lookup(v.ipc_ns, nla_data(name_attr));
			if (port && ((id_attr && port->id != only) ||
				     !alpc_nl_lock_visible(port, &v))) {
				alpc_port_put(port);
				port = NULL;
			}
		} else if (only) {
			/* No port has id 0 (and 0 means no filter). */
			port = alpc_nl_next_visible(&v, &id, only);
		}
		if (!port) {
			/* 6.1 gives .start no extack (NULL): there the errno alone tells. */
			NL_SET_ERR_MSG_ATTR(cb->extack, id_attr ?: name_attr, "no such port");
			return -ENOENT;
		}
		d->port_id = port->id;
		d->only = port->id;
		alpc_nl_unlock_put(port);
	}
	d->cred = get_current_cred();
	d->ipc_ns = v.ipc_ns ? get_ipc_ns(v.ipc_ns) : NULL;
	d->pid_ns = get_pid_ns(v.pid_ns);
	return 0;
}

static int alpc_nl_done(struct netlink_callback *cb)
{
	struct alpc_nl_dump *d = (struct alpc_nl_dump *)cb->ctx;

	put_cred(d->cred);
	if (d->ipc_ns)
		alpc_put_ipc_ns(d->ipc_ns);
	put_pid_ns(d->pid_ns);
	return 0;
}

/*
 * Every part of a dump runs as the task that started it (see atop): with
 * its credentials, for the capability and descriptor checks, and its
 * namespaces, in @v. Returns what alpc_nl_dump_end() restores.
 */
static const struct cred *alpc_nl_dump_begin(struct alpc_nl_dump *d, struct alpc_nl_view *v)
{
	v->ipc_ns = d->ipc_ns;
	v->pid_ns = d->pid_ns;
	v->user_ns = d->cred->user_ns;
	return override_creds(d->cred);
}

static void alpc_nl_dump_end(const struct cred *old)
{
	revert_creds(old);
}

static int alpc_nl_dump_ports(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct alpc_nl_dump *d = (struct alpc_nl_dump *)cb->ctx;
	struct alpc_port *port;
	struct alpc_nl_view v;
	const struct cred *old;
	void *hdr;
	int ret;

	old = alpc_nl_dump_begin(d, &v);
	cb->seq = atomic_read(&alpc_generation) + 1;
	for (; (port = alpc_nl_next_visible(&v, &d->port_id, d->only)); d->port_id++) {
		hdr = alpc_nl_dump_put(skb, cb, ALPC_NL_CMD_GET_PORT);
		ret = hdr ? alpc_nl_put_port(skb, port, &v) : -EMSGSIZE;
		alpc_nl_unlock_put(port);
		if (ret) {
			/* This port goes first into the next skb. */
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	alpc_nl_dump_end(old);
	return skb->len;
}

static int alpc_nl_dump_conns(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct alpc_nl_dump *d = (struct alpc_nl_dump *)cb->ctx;
	struct alpc_conn *conn;
	struct alpc_port *port;
	struct alpc_nl_view v;
	u64 id = d->port_id;
	const struct cred *old;
	void *hdr;
	int ret = 0;

	old = alpc_nl_dump_begin(d, &v);
	cb->seq = atomic_read(&alpc_generation) + 1;
	for (; (port = alpc_nl_next_visible(&v, &id, d->only)); id++) {
		if (id != d->port_id) {
			d->port_id = id;
			d->conn_id = 0;
		}
		list_for_each_entry(conn, &port->conns, node) {
			if (conn->id < d->conn_id)
				continue;
			hdr = alpc_nl_dump_put(skb, cb, ALPC_NL_CMD_GET_CONN);
			ret = hdr ? alpc_nl_put_conn(skb, conn, &v) : -EMSGSIZE;
			if (ret) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				break;
			}
			genlmsg_end(skb, hdr);
			d->conn_id = conn->id + 1;
		}
		alpc_nl_unlock_put(port);
		if (ret)
			break;
		d->port_id = id + 1;
		d->conn_id = 0;
	}
	alpc_nl_dump_end(old);
	return skb->len;
}

struct alpc_nl_totals {
	u32 ports;
	u32 conns;
	u32 queued;
	u32 requests;
	u64 msgs[2];
	u64 bytes[2];
	u64 section_bytes;
};

static int alpc_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct alpc_nl_totals t = {};
	struct alpc_port *port;
	struct alpc_nl_view v;
	struct sk_buff *msg;
	u64 id = 0;
	void *hdr;
	int i;

	/* A doit runs in the requester's context, start to end. */
	alpc_nl_view_current(&v);
	for (; (port = alpc_nl_next_visible(&v, &id, 0)); id++) {
		t.ports++;
		t.conns += port->nconns;
		t.queued += list_count_nodes(&port->end.queue);
		t.requests += atomic_read(&port->requests.nelems);
		for (i = 0; i < 2; i++) {
			t.msgs[i] += port->msgs[i];
			t.bytes[i] += port->bytes[i];
		}
		t.section_bytes += alpc_nl_section_bytes(port);
		alpc_nl_unlock_put(port);
		cond_resched();
	}

	msg = genlmsg_new(4 * nla_total_size(sizeof(u32)) +
			  5 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &alpc_nl_family, 0, ALPC_NL_CMD_GET_STATS);
	if (!hdr ||
	    nla_put_u32(msg, ALPC_NL_A_STATS_PORTS, t.ports) ||
	    nla_put_u32(msg, ALPC_NL_A_STATS_CONNS, t.conns) ||
	    nla_put_u32(msg, ALPC_NL_A_STATS_QUEUED, t.queued) ||
	    nla_put_u32(msg, ALPC_NL_A_STATS_REQUESTS, t.requests) ||
	    alpc_nl_put_u64(msg, ALPC_NL_A_STATS_MSGS_TO_SERVER, t.msgs[ALPC_TO_SERVER]) ||
	    alpc_nl_put_u64(msg, ALPC_NL_A_STATS_BYTES_TO_SERVER, t.bytes[ALPC_TO_SERVER]) ||
	    alpc_nl_put_u64(msg, ALPC_NL_A_STATS_MSGS_TO_CLIENT, t.msgs[ALPC_TO_CLIENT]) ||
	    alpc_nl_put_u64(msg, ALPC_NL_A_STATS_BYTES_TO_CLIENT, t.bytes[ALPC_TO_CLIENT]) ||
	    alpc_nl_put_u64(msg, ALPC_NL_A_STATS_SECTION_BYTES, t.section_bytes)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* An event about @port, or about @conn if it is given (then of @port). */
static void alpc_nl_event(u8 cmd, struct alpc_port *port, struct alpc_conn *conn)
{
	const struct alpc_nl_view v = { .pid_ns = &init_pid_ns, .user_ns = &init_user_ns };
	struct sk_buff *skb;
	void *hdr;
	int ret;

	if (!genl_has_listeners(&alpc_nl_family, &init_net, ALPC_NL_GRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &alpc_nl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(skb);
		return;
	}
	mutex_lock(&port->lock);
	ret = conn ? alpc_nl_put_conn(skb, conn, &v) : alpc_nl_put_port(skb, port, &v);
	mutex_unlock(&port->lock);
	if (WARN_ON_ONCE(ret)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&alpc_nl_family, skb, 0, ALPC_NL_GRP_EVENTS, GFP_KERNEL);
}

void alpc_nl_port_event(struct alpc_port *port, bool created)
{
	alpc_nl_event(created ? ALPC_NL_CMD_PORT_NEW : ALPC_NL_CMD_PORT_DEL, port, NULL);
}

void alpc_nl_conn_event(struct alpc_conn *conn, bool created)
{
	alpc_nl_event(created ? ALPC_NL_CMD_CONN_NEW : ALPC_NL_CMD_CONN_DEL, conn->port, conn);
}

/*
 * Strict validation throughout: no GENL_DONT_VALIDATE_* flags, and
 * resv_start_op left at 0, so GET_STATS, which has no policy, rejects
 * every attribute.
 */
static const struct genl_ops alpc_nl_ops[] = {
	{
		.cmd		= ALPC_NL_CMD_GET_PORT,
		.start		= alpc_nl_start,
		.dumpit		= alpc_nl_dump_ports,
		.done		= alpc_nl_done,
		.policy		= alpc_nl_filter_policy,
		.maxattr	= ARRAY_SIZE(alpc_nl_filter_policy) - 1,
	},
	{
		.cmd		= ALPC_NL_CMD_GET_CONN,
		.start		= alpc_nl_start,
		.dumpit		= alpc_nl_dump_conns,
		.done		= alpc_nl_done,
		.policy		= alpc_nl_filter_policy,
		.maxattr	= ARRAY_SIZE(alpc_nl_filter_policy) - 1,
	},
	{
		.cmd		= ALPC_NL_CMD_GET_STATS,
		.doit		= alpc_nl_get_stats,
	},
};

static const struct genl_multicast_group alpc_nl_mcgrps[] = {
	[ALPC_NL_GRP_EVENTS] = {
		.name	= ALPC_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static struct genl_family alpc_nl_family __ro_after_init = {
	.name		= ALPC_GENL_NAME,
	.version	= ALPC_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= alpc_nl_ops,
	.n_ops		= ARRAY_SIZE(alpc_nl_ops),
	.mcgrps		= alpc_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(alpc_nl_mcgrps),
};

int __init alpc_netlink_init(void)
{
	return genl_register_family(&alpc_nl_family);
}

void alpc_netlink_uninit(void)
{
	genl_unregister_family(&alpc_nl_family);
}

MODULE_ALIAS_GENL_FAMILY(ALPC_GENL_NAME);
