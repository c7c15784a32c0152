// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "alpc": dumps checked against the ports,
 * connections and traffic the test makes; dumps of thousands of objects
 * spanning many reads, and dumps racing with ports that come and go;
 * IPC namespace and permission filtering; strict attribute validation
 * with extended acks; totals; events.
 *
 * Raw netlink sockets: nothing is needed but the uapi headers.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define NL_BUF		(64 * 1024)
#define NOBODY		1000

/* One message of a reply, dump or event: its attributes by type. */
struct nl_obj {
	__u8 cmd;
	__u16 flags;			/* nlmsg_flags */
	bool has[ALPC_NL_A_MAX + 1];
	__u64 v[ALPC_NL_A_MAX + 1];	/* u32 and u64 attributes */
	char name[ALPC_NAME_MAX];	/* ALPC_NL_A_PORT_NAME */
};

struct nl_objs {
	struct nl_obj *o;
	size_t n;
	size_t cap;
};

/* A generic netlink socket, with the family's ids. */
struct nl {
	int fd;
	__u16 family;
	__u32 events;			/* the events group */
	__u32 seq;
	char *buf;
	char msg[256];			/* the last extended ack message */
	bool intr;			/* NLM_F_DUMP_INTR in the last answer */
	int parts;			/* reads the last answer took */
};

/* A request: headers, then attributes. */
struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[512];
};

static void nl_req_init(struct nl_req *r, __u16 type, __u16 flags, __u8 cmd, __u8 version)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->gh.cmd = cmd;
	r->gh.version = version;
}

static void nl_req_put(struct nl_req *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void nl_req_put_u64(struct nl_req *r, __u16 type, __u64 v)
{
	nl_req_put(r, type, &v, sizeof(v));
}

static void nl_req_put_str(struct nl_req *r, __u16 type, const char *s)
{
	nl_req_put(r, type, s, strlen(s) + 1);
}

/* A request of the alpc family: a dump, or a do with an ack. */
static void nl_alpc_req(struct nl *nl, struct nl_req *r, __u8 cmd, bool dump)
{
	nl_req_init(r, nl->family, dump ? NLM_F_DUMP : NLM_F_ACK, cmd, ALPC_GENL_VERSION);
}

/* The attribute after @a (the first if @a is NULL) in @len bytes at @head, or NULL. */
static struct nlattr *nla_iter(void *head, int len, struct nlattr *a)
{
	char *end = (char *)head + len;

	a = a ? (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)) : head;
	if ((char *)a + NLA_HDRLEN > end || a->nla_len < NLA_HDRLEN ||
	    (char *)a + a->nla_len > end)
		return NULL;
	return a;
}

static void *nla_payload(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static int nla_payload_len(struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Copies the extended ack's message, in the TLVs at @p, to nl->msg. */
static void nl_ext_ack(struct nl *nl, void *p, int len)
{
	struct nlattr *a;

	for (a = nla_iter(p, len, NULL); a; a = nla_iter(p, len, a))
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG)
			snprintf(nl->msg, sizeof(nl->msg), "%.*s",
				 nla_payload_len(a), (char *)nla_payload(a));
}

typedef int (*nl_cb)(struct nlmsghdr *nh, void *arg);

/*
 * Receives the answer to request @seq, passing each message to @cb, up
 * to NLMSG_DONE or NLMSG_ERROR. Returns 0 or -errno (also the errno a
 * dump ended with); an extended ack's message goes to nl->msg.
 */
static int nl_recv(struct nl *nl, __u32 seq, nl_cb cb, void *arg)
{
	struct nlmsghdr *nh;
	struct nlmsgerr *e;
	int n, ret, off;

	nl->msg[0] = 0;
	nl->intr = false;
	nl->parts = 0;
	for (;;) {
		n = recv(nl->fd, nl->buf, NL_BUF, 0);
		if (n < 0)
			return -errno;
		nl->parts++;
		for (nh = (struct nlmsghdr *)nl->buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
				nl->intr = true;
			if (nh->nlmsg_type == NLMSG_DONE) {
				ret = *(int *)NLMSG_DATA(nh);
				off = NLMSG_HDRLEN + sizeof(int);
				nl_ext_ack(nl, (char *)nh + off, nh->nlmsg_len - off);
				return ret;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				e = NLMSG_DATA(nh);
				off = NLMSG_HDRLEN + sizeof(*e);
				if (!(nh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (nh->nlmsg_flags & NLM_F_ACK_TLVS)
					nl_ext_ack(nl, (char *)nh + off, nh->nlmsg_len - off);
				return e->error;
			}
			ret = cb(nh, arg);
			if (ret)
				return ret;
		}
	}
}

static int nl_send(struct nl *nl, struct nl_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	r->nh.nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* Sends @r and receives its answer. */
static int nl_request(struct nl *nl, struct nl_req *r, nl_cb cb, void *arg)
{
	int ret = nl_send(nl, r);

	return ret ? ret : nl_recv(nl, r->nh.nlmsg_seq, cb, arg);
}

static void nl_parse(struct nlmsghdr *nh, struct nl_obj *o)
{
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	char *attrs = (char *)gh + GENL_HDRLEN;
	struct nlattr *a;
	int type;

	memset(o, 0, sizeof(*o));
	o->cmd = gh->cmd;
	o->flags = nh->nlmsg_flags;
	for (a = nla_iter(attrs, len, NULL); a; a = nla_iter(attrs, len, a)) {
		type = a->nla_type & NLA_TYPE_MASK;
		if (type > ALPC_NL_A_MAX)
			continue;
		o->has[type] = true;
		if (nla_payload_len(a) == sizeof(__u32))
			o->v[type] = *(__u32 *)nla_payload(a);
		else if (nla_payload_len(a) == sizeof(__u64))
			memcpy(&o->v[type], nla_payload(a), sizeof(__u64));
		if (type == ALPC_NL_A_PORT_NAME)
			snprintf(o->name, sizeof(o->name), "%.*s", nla_payload_len(a),
				 (char *)nla_payload(a));
	}
}

static int nl_collect(struct nlmsghdr *nh, void *arg)
{
	struct nl_objs *objs = arg;

	if (objs->n == objs->cap) {
		size_t cap = objs->cap ? 2 * objs->cap : 64;
		struct nl_obj *o = realloc(objs->o, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		objs->o = o;
		objs->cap = cap;
	}
	nl_parse(nh, &objs->o[objs->n++]);
	return 0;
}

static void nl_objs_free(struct nl_objs *objs)
{
	free(objs->o);
	memset(objs, 0, sizeof(*objs));
}

/* Dumps @cmd, filtered by port @id and/or @name (0, NULL: not), into @objs. */
static int nl_dump(struct nl *nl, __u8 cmd, __u64 id, const char *name, struct nl_objs *objs)
{
	struct nl_req r;

	nl_objs_free(objs);
	nl_alpc_req(nl, &r, cmd, true);
	if (id)
		nl_req_put_u64(&r, ALPC_NL_A_PORT_ID, id);
	if (name)
		nl_req_put_str(&r, ALPC_NL_A_PORT_NAME, name);
	return nl_request(nl, &r, nl_collect, objs);
}

static int nl_stats(struct nl *nl, struct nl_obj *o)
{
	struct nl_objs objs = {};
	struct nl_req r;
	int ret;

	nl_alpc_req(nl, &r, ALPC_NL_CMD_GET_STATS, false);
	ret = nl_request(nl, &r, nl_collect, &objs);
	if (!ret && objs.n != 1)
		ret = -EPROTO;
	if (!ret)
		*o = objs.o[0];
	nl_objs_free(&objs);
	return ret;
}

struct nl_family {
	struct nl *nl;
	bool found;
};

static int nl_family_cb(struct nlmsghdr *nh, void *arg)
{
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	char *attrs = (char *)gh + GENL_HDRLEN;
	struct nl_family *f = arg;
	struct nlattr *a, *g, *ga;

	for (a = nla_iter(attrs, len, NULL); a; a = nla_iter(attrs, len, a)) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			f->nl->family = *(__u16 *)nla_payload(a);
			f->found = true;
		}
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for (g = nla_iter(nla_payload(a), nla_payload_len(a), NULL); g;
		     g = nla_iter(nla_payload(a), nla_payload_len(a), g)) {
			__u32 id = 0;
			bool events = false;

			for (ga = nla_iter(nla_payload(g), nla_payload_len(g), NULL); ga;
			     ga = nla_iter(nla_payload(g), nla_payload_len(g), ga)) {
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(__u32 *)nla_payload(ga);
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					events = !strcmp(nla_payload(ga), ALPC_GENL_MCGRP_EVENTS);
			}
			if (events)
				f->nl->events = id;
		}
	}
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -EBADF;
	free(nl->buf);
	nl->buf = NULL;
}

/* Opens a generic netlink socket with extended acks and finds the family. */
static int nl_open(struct nl *nl)
{
	struct nl_family f = { .nl = nl };
	int one = 1, rcvbuf = 1 << 20;
	struct nl_req r;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUF);
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0 || !nl->buf) {
		nl_close(nl);
		return -1;
	}
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		nl_close(nl);
		return -1;
	}
	nl_req_init(&r, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	nl_req_put_str(&r, CTRL_ATTR_FAMILY_NAME, ALPC_GENL_NAME);
	ret = nl_request(nl, &r, nl_family_cb, &f);
	if (ret || !f.found || !nl->events) {
		nl_close(nl);
		errno = ret ? -ret : ENOENT;
		return -1;
	}
	return 0;
}

static int nl_join_events(struct nl *nl)
{
	struct timeval tv = { .tv_sec = 5 };

	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	return setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nl->events,
			  sizeof(nl->events));
}

/* The next event: 0, or -1 with errno (EAGAIN: none within 5 s). */
static int nl_next_event(struct nl *nl, struct nl_obj *o)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)nl->buf;
	int n;

	do {
		n = recv(nl->fd, nl->buf, NL_BUF, 0);
		if (n < 0)
			return -1;
	} while (!NLMSG_OK(nh, n) || nh->nlmsg_type != nl->family);
	nl_parse(nh, o);
	return 0;
}

/* The objects of @objs with name @name: how many, and the first. */
static struct nl_obj *nl_find(struct nl_objs *objs, const char *name, int *count)
{
	struct nl_obj *first = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < objs->n; i++) {
		if (strcmp(objs->o[i].name, name))
			continue;
		if (!first)
			first = &objs->o[i];
		(*count)++;
	}
	return first;
}

/* The one port named @name the caller sees, or NULL. */
static struct nl_obj *nl_port(struct nl *nl, struct nl_objs *objs, const char *name)
{
	int count;

	if (nl_dump(nl, ALPC_NL_CMD_GET_PORT, 0, NULL, objs))
		return NULL;
	return nl_find(objs, name, &count) && count == 1 ? nl_find(objs, name, &count) : NULL;
}

static int create_port(int dev, const char *name, __u32 mode, __u32 max_connections)
{
	struct alpc_create_port cp;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.name, sizeof(cp.name), "%s", name);
	cp.mode = mode;
	cp.attr.max_connections = max_connections;
	return ioctl(dev, ALPC_IOC_CREATE_PORT, &cp);
}

static int raise_nofile(rlim_t n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

FIXTURE(nl) {
	int dev;
	struct nl nl;
	struct nl_objs objs;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(nl)
{
	memset(&self->objs, 0, sizeof(self->objs));
	self->nl.fd = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, nl_open(&self->nl)) TH_LOG("no generic netlink family \"alpc\": %s",
						strerror(errno));
	alpc_port_name(self->name, "nl");
}

FIXTURE_TEARDOWN(nl)
{
	nl_objs_free(&self->objs);
	nl_close(&self->nl);
	if (self->dev >= 0)
		close(self->dev);
}

/* A new port is dumped with its name, owner, mode, flags and limits. */
TEST_F(nl, port_dump_shows_name_owner_mode_and_limits)
{
	struct nl_obj *p;
	int port;

	port = create_port(self->dev, self->name, 0640, 77);
	ASSERT_LE(0, port);
	p = nl_port(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(ALPC_NL_CMD_GET_PORT, p->cmd);
	EXPECT_TRUE(p->flags & NLM_F_MULTI);
	EXPECT_TRUE(p->has[ALPC_NL_A_PORT_ID]);
	EXPECT_NE(0, p->v[ALPC_NL_A_PORT_ID]);
	EXPECT_EQ(geteuid(), p->v[ALPC_NL_A_PORT_UID]);
	EXPECT_EQ(getegid(), p->v[ALPC_NL_A_PORT_GID]);
	EXPECT_EQ(0640, p->v[ALPC_NL_A_PORT_MODE]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_ACL_COUNT]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_FLAGS]);
	EXPECT_EQ(77, p->v[ALPC_NL_A_PORT_MAX_CONNS]);
	EXPECT_TRUE(p->has[ALPC_NL_A_PORT_IPC_NS]);
	EXPECT_TRUE(p->has[ALPC_NL_A_PORT_CONNS]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_CONNS]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_QUEUED]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_REQUESTS]);
	EXPECT_TRUE(p->has[ALPC_NL_A_PORT_MSGS_TO_SERVER]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_MSGS_TO_SERVER]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_BYTES_TO_CLIENT]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_SECTION_BYTES]);
	EXPECT_FALSE(self->nl.intr);

	/* Gone with its fd. */
	close(port);
	ASSERT_EQ(NULL, nl_port(&self->nl, &self->objs, self->name));
}

/* The client's half of traffic_is_counted_in_both_dumps. */
struct client_ctl {
	int dev;
	const char *name;
	int to_child[2];
	int from_child[2];
};

static int traffic_client(void *arg)
{
	struct alpc_create_section cs = { .size = 4096 };
	struct client_ctl *c = arg;
	char buf[64] = "", go;
	int fd;

	fd = alpc_connect(c->dev, c->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return 1;
	if (alpc_datagram(fd, buf, 10, NULL) || alpc_datagram(fd, buf, 20, NULL) ||
	    alpc_request(fd, buf, 5, NULL))
		return 2;
	if (ioctl(fd, ALPC_IOC_CREATE_SECTION, &cs) < 0)
		return 3;
	if (write(c->from_child[1], "s", 1) != 1 || read(c->to_child[0], &go, 1) != 1)
		return 4;
	if (alpc_recv(fd, buf, sizeof(buf), ALPC_WAIT_NS, NULL))
		return 5;
	if (write(c->from_child[1], "r", 1) != 1 || read(c->to_child[0], &go, 1) != 1)
		return 6;
	return 0;
}

/* The one connection of @name, as GET_CONN filtered by name shows it. */
static struct nl_obj *one_conn(struct nl *nl, struct nl_objs *objs, const char *name)
{
	if (nl_dump(nl, ALPC_NL_CMD_GET_CONN, 0, name, objs) || objs->n != 1)
		return NULL;
	return &objs->o[0];
}

/*
 * Datagrams, a request, its reply and a section, checked at each step in
 * both dumps: pids, queues, charges, outstanding requests, counters.
 */
TEST_F(nl, traffic_is_counted_in_both_dumps)
{
	struct client_ctl c = { .dev = self->dev, .name = self->name };
	struct nl_objs pobjs = {};
	struct alpc_msg_info info;
	struct nl_obj *p, *k;
	__u64 req_id = 0;
	char buf[64], go;
	int port, i;
	pid_t child;

	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	ASSERT_EQ(0, pipe(c.to_child));
	ASSERT_EQ(0, pipe(c.from_child));
	child = alpc_fork(traffic_client, &c);
	ASSERT_LT(0, child);

	ASSERT_EQ(0, alpc_recv(port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(0, alpc_accept(port, info.id, 0, 1, NULL, 0));
	ASSERT_EQ(1, read(c.from_child[0], &go, 1));

	/* Three messages queued on the connection port; the request unanswered. */
	k = one_conn(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(ALPC_NL_CMD_GET_CONN, k->cmd);
	EXPECT_STREQ(self->name, k->name);
	EXPECT_NE(0, k->v[ALPC_NL_A_CONN_ID]);
	EXPECT_EQ(ALPC_NL_CONN_CONNECTED, k->v[ALPC_NL_A_CONN_STATE]);
	EXPECT_EQ(child, k->v[ALPC_NL_A_CONN_CLIENT_PID]);
	EXPECT_EQ(getpid(), k->v[ALPC_NL_A_CONN_SERVER_PID]);
	EXPECT_EQ(geteuid(), k->v[ALPC_NL_A_CONN_CLIENT_UID]);
	EXPECT_EQ(geteuid(), k->v[ALPC_NL_A_CONN_SERVER_UID]);
	EXPECT_EQ(3, k->v[ALPC_NL_A_CONN_QUEUED_TO_SERVER]);
	EXPECT_EQ(35, k->v[ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER]);
	EXPECT_EQ(0, k->v[ALPC_NL_A_CONN_QUEUED_TO_CLIENT]);
	EXPECT_EQ(1, k->v[ALPC_NL_A_CONN_REQUESTS]);
	EXPECT_EQ(1, k->v[ALPC_NL_A_CONN_SECTIONS]);
	EXPECT_EQ(4096, k->v[ALPC_NL_A_CONN_SECTION_BYTES]);
	p = nl_port(&self->nl, &pobjs, self->name);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(k->v[ALPC_NL_A_PORT_ID], p->v[ALPC_NL_A_PORT_ID]);
	EXPECT_EQ(1, p->v[ALPC_NL_A_PORT_CONNS]);
	EXPECT_EQ(3, p->v[ALPC_NL_A_PORT_QUEUED]);
	EXPECT_EQ(1, p->v[ALPC_NL_A_PORT_REQUESTS]);
	/* The connection request counts as a message too. */
	EXPECT_EQ(4, p->v[ALPC_NL_A_PORT_MSGS_TO_SERVER]);
	EXPECT_EQ(35, p->v[ALPC_NL_A_PORT_BYTES_TO_SERVER]);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_MSGS_TO_CLIENT]);
	EXPECT_EQ(4096, p->v[ALPC_NL_A_PORT_SECTION_BYTES]);

	/* Received: the request stays charged until answered. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, alpc_recv(port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
		if (info.type == ALPC_MSG_REQUEST)
			req_id = info.id;
	}
	ASSERT_NE(0, req_id);
	k = one_conn(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(1, k->v[ALPC_NL_A_CONN_QUEUED_TO_SERVER]);
	EXPECT_EQ(5, k->v[ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER]);
	EXPECT_EQ(1, k->v[ALPC_NL_A_CONN_REQUESTS]);
	p = nl_port(&self->nl, &pobjs, self->name);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_QUEUED]);
	EXPECT_EQ(1, p->v[ALPC_NL_A_PORT_REQUESTS]);

	/* Answered: the reply holds the request's charge until received. */
	ASSERT_EQ(0, alpc_reply(port, req_id, buf, 7));
	k = one_conn(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(0, k->v[ALPC_NL_A_CONN_REQUESTS]);
	EXPECT_EQ(1, k->v[ALPC_NL_A_CONN_QUEUED_TO_SERVER]);
	EXPECT_EQ(7, k->v[ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER]);
	p = nl_port(&self->nl, &pobjs, self->name);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_REQUESTS]);
	EXPECT_EQ(1, p->v[ALPC_NL_A_PORT_MSGS_TO_CLIENT]);
	EXPECT_EQ(7, p->v[ALPC_NL_A_PORT_BYTES_TO_CLIENT]);

	ASSERT_EQ(1, write(c.to_child[1], "g", 1));
	ASSERT_EQ(1, read(c.from_child[0], &go, 1));
	k = one_conn(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(0, k->v[ALPC_NL_A_CONN_QUEUED_TO_SERVER]);
	EXPECT_EQ(0, k->v[ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER]);

	/* The client's exit closes the connection. */
	ASSERT_EQ(1, write(c.to_child[1], "x", 1));
	EXPECT_EQ(0, alpc_wait_child(child));
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, self->name, &self->objs));
	EXPECT_EQ(0, self->objs.n);
	p = nl_port(&self->nl, &pobjs, self->name);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, p->v[ALPC_NL_A_PORT_CONNS]);
	nl_objs_free(&pobjs);
	close(port);
}

/* GET_CONN filtered by port id, by name, or both gives that port's connections only. */
TEST_F(nl, conn_dump_filters_by_port_id_or_name)
{
	char other[ALPC_NAME_MAX];
	int port, port2, a, b, b2;
	struct nl_obj *p;
	__u64 id;

	alpc_port_name(other, "nl-other");
	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	port2 = create_port(self->dev, other, 0, 0);
	ASSERT_LE(0, port2);
	a = alpc_connect_accept(self->dev, port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, port2, other, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	b2 = alpc_connect_accept(self->dev, port2, other, 3, 0, NULL, NULL);
	ASSERT_LE(0, b2);
	p = nl_port(&self->nl, &self->objs, other);
	ASSERT_NE(NULL, p);
	id = p->v[ALPC_NL_A_PORT_ID];

	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, other, &self->objs));
	ASSERT_EQ(2, self->objs.n);
	EXPECT_EQ(id, self->objs.o[0].v[ALPC_NL_A_PORT_ID]);
	EXPECT_EQ(id, self->objs.o[1].v[ALPC_NL_A_PORT_ID]);
	EXPECT_LT(self->objs.o[0].v[ALPC_NL_A_CONN_ID], self->objs.o[1].v[ALPC_NL_A_CONN_ID]);

	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, id, NULL, &self->objs));
	ASSERT_EQ(2, self->objs.n);
	EXPECT_STREQ(other, self->objs.o[0].name);
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, id, other, &self->objs));
	EXPECT_EQ(2, self->objs.n);
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, self->name, &self->objs));
	ASSERT_EQ(1, self->objs.n);
	EXPECT_STREQ(self->name, self->objs.o[0].name);
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, id, NULL, &self->objs));
	ASSERT_EQ(1, self->objs.n);
	EXPECT_STREQ(other, self->objs.o[0].name);
	EXPECT_EQ(2, self->objs.o[0].v[ALPC_NL_A_PORT_CONNS]);

	close(b2);
	close(b);
	close(a);
	close(port2);
	close(port);
}

/* A filter naming no port the caller sees ends the dump with ENOENT. */
TEST_F(nl, filter_naming_no_port_fails_with_enoent)
{
	struct nl_req r;
	struct nl_obj *p;
	int port;
	__u64 id;

	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	p = nl_port(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, p);
	id = p->v[ALPC_NL_A_PORT_ID];

	EXPECT_EQ(-ENOENT, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, "ksft-nl-no-such-port",
				   &self->objs));
	/* The message only where .start has an extack (not 6.1). */
	if (self->nl.msg[0])
		EXPECT_STREQ("no such port", self->nl.msg);
	TH_LOG("extended ack: \"%s\"", self->nl.msg);
	EXPECT_EQ(-ENOENT, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, id, "ksft-nl-no-such-port",
				   &self->objs));
	/* No port has id 0: it does not mean "any". */
	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_GET_PORT, true);
	nl_req_put_u64(&r, ALPC_NL_A_PORT_ID, 0);
	EXPECT_EQ(-ENOENT, nl_request(&self->nl, &r, nl_collect, &self->objs));
	close(port);
	EXPECT_EQ(-ENOENT, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, id, NULL, &self->objs));
	EXPECT_EQ(-ENOENT, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, self->name, &self->objs));
}

struct bad_req {
	const char *what;
	__u8 cmd;
	bool dump;
	__u16 type;
	const char *payload;
	__u16 len;
	int err;
	const char *msg;
};

/* Bad attributes, sizes, values and headers fail with EINVAL and say why. */
TEST_F(nl, bad_attributes_fail_with_einval_and_ext_ack)
{
	static char long_name[ALPC_NAME_MAX];
	const __u64 one = 1;
	const struct bad_req cases[] = {
		{ "an attribute GET_PORT does not take", ALPC_NL_CMD_GET_PORT, true,
		  ALPC_NL_A_CONN_ID, (const char *)&one, 8, -EINVAL, "Unknown attribute type" },
		{ "a type past the last", ALPC_NL_CMD_GET_CONN, true,
		  ALPC_NL_A_MAX + 1, (const char *)&one, 8, -EINVAL, "Unknown attribute type" },
		{ "a port id of 4 bytes", ALPC_NL_CMD_GET_PORT, true,
		  ALPC_NL_A_PORT_ID, (const char *)&one, 4, -EINVAL, "invalid attribute length" },
		{ "a name without its NUL in ALPC_NAME_MAX bytes", ALPC_NL_CMD_GET_CONN, true,
		  ALPC_NL_A_PORT_NAME, long_name, sizeof(long_name), -EINVAL,
		  "Attribute failed policy validation" },
		{ "a padding attribute", ALPC_NL_CMD_GET_PORT, true,
		  ALPC_NL_A_PAD, (const char *)&one, 8, -EINVAL, "Unsupported attribute" },
		{ "an attribute for GET_STATS", ALPC_NL_CMD_GET_STATS, false,
		  ALPC_NL_A_PORT_ID, (const char *)&one, 8, -EINVAL, "Unknown attribute type" },
	};
	struct nl_req r;
	size_t i;

	memset(long_name, 'x', sizeof(long_name));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_req *c = &cases[i];

		nl_alpc_req(&self->nl, &r, c->cmd, c->dump);
		nl_req_put(&r, c->type, c->payload, c->len);
		EXPECT_EQ(c->err, nl_request(&self->nl, &r, nl_collect, &self->objs))
			TH_LOG("%s", c->what);
		EXPECT_STREQ(c->msg, self->nl.msg) TH_LOG("%s", c->what);
	}

	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_GET_PORT, true);
	r.gh.reserved = 1;
	EXPECT_EQ(-EINVAL, nl_request(&self->nl, &r, nl_collect, &self->objs));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", self->nl.msg);

	/* Dumps are dumps, GET_STATS is not. */
	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_GET_PORT, false);
	EXPECT_EQ(-EOPNOTSUPP, nl_request(&self->nl, &r, nl_collect, &self->objs));
	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_GET_STATS, true);
	EXPECT_EQ(-EOPNOTSUPP, nl_request(&self->nl, &r, nl_collect, &self->objs));
	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_PORT_NEW, false);
	EXPECT_EQ(-EOPNOTSUPP, nl_request(&self->nl, &r, nl_collect, &self->objs));
}

#define MANY_PORTS	5000

/* True if @objs holds ports in increasing id order, each once. */
static bool ids_increase(const struct nl_objs *objs, int attr)
{
	size_t i;

	for (i = 1; i < objs->n; i++)
		if (objs->o[i].v[attr] <= objs->o[i - 1].v[attr])
			return false;
	return true;
}

/* A dump of 5,000 ports takes many reads and gives each port exactly once. */
TEST_F_TIMEOUT(nl, dump_of_5000_ports_is_complete_and_consistent, 300)
{
	char prefix[ALPC_NAME_MAX], name[ALPC_NAME_MAX];
	unsigned char *seen;
	int *fds, i, mine = 0;
	size_t j, plen;

	ASSERT_EQ(0, raise_nofile(MANY_PORTS + 256));
	fds = calloc(MANY_PORTS, sizeof(*fds));
	seen = calloc(MANY_PORTS, 1);
	ASSERT_NE(NULL, fds);
	ASSERT_NE(NULL, seen);
	snprintf(prefix, sizeof(prefix), "ksft-nl5k-%d-", getpid());
	plen = strlen(prefix);
	for (i = 0; i < MANY_PORTS; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		fds[i] = create_port(self->dev, name, 0, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("port %d: %s", i, strerror(errno));
	}

	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &self->objs));
	EXPECT_FALSE(self->nl.intr);
	EXPECT_LT(1, self->nl.parts);
	EXPECT_TRUE(ids_increase(&self->objs, ALPC_NL_A_PORT_ID));
	for (j = 0; j < self->objs.n; j++) {
		if (strncmp(self->objs.o[j].name, prefix, plen))
			continue;
		i = atoi(self->objs.o[j].name + plen);
		ASSERT_LE(0, i);
		ASSERT_GT(MANY_PORTS, i);
		EXPECT_EQ(0, seen[i]) TH_LOG("port %d twice", i);
		seen[i] = 1;
		mine++;
	}
	EXPECT_EQ(MANY_PORTS, mine);
	TH_LOG("%zu ports in %d reads", self->objs.n, self->nl.parts);

	for (i = 0; i < MANY_PORTS; i++)
		close(fds[i]);
	free(fds);
	free(seen);
}

#define MANY_CONNS	1000

/* A port's 1,000 connections resume across reads, in id order, each once. */
TEST_F_TIMEOUT(nl, dump_of_1000_connections_resumes_across_reads, 300)
{
	int port, *fds, i;

	ASSERT_EQ(0, raise_nofile(MANY_CONNS + 256));
	fds = calloc(MANY_CONNS, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	port = create_port(self->dev, self->name, 0, MANY_CONNS);
	ASSERT_LE(0, port);
	for (i = 0; i < MANY_CONNS; i++) {
		fds[i] = alpc_connect_accept(self->dev, port, self->name, i, 0, NULL, NULL);
		ASSERT_LE(0, fds[i]) TH_LOG("connection %d: %s", i, strerror(errno));
	}
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, self->name, &self->objs));
	EXPECT_EQ(MANY_CONNS, self->objs.n);
	EXPECT_LT(1, self->nl.parts);
	EXPECT_TRUE(ids_increase(&self->objs, ALPC_NL_A_CONN_ID));
	EXPECT_FALSE(self->nl.intr);

	/* All connections of all ports: these among them, in the same order. */
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_CONN, 0, NULL, &self->objs));
	EXPECT_LE(MANY_CONNS, self->objs.n);
	for (i = 0; i < MANY_CONNS; i++)
		close(fds[i]);
	close(port);
	free(fds);
}

struct churn {
	int dev;
	atomic_int stop;
	int rounds;
};

static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	char name[ALPC_NAME_MAX];
	int fd;

	while (!atomic_load(&c->stop)) {
		snprintf(name, sizeof(name), "ksft-nl-churn-%d-%d", getpid(), c->rounds++);
		fd = create_port(c->dev, name, 0, 0);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

#define STEADY_PORTS	500

/*
 * Dumps while another thread creates and closes ports: each ends, gives
 * every port that lived throughout exactly once, in id order, and those
 * that raced with a change say so (NLM_F_DUMP_INTR).
 */
TEST_F_TIMEOUT(nl, dump_racing_with_port_churn_never_repeats_a_port, 300)
{
	struct churn c = { .dev = self->dev };
	char prefix[ALPC_NAME_MAX], name[ALPC_NAME_MAX];
	int fds[STEADY_PORTS], i, dumps, intr = 0;
	pthread_t thread;
	size_t j, plen;

	ASSERT_EQ(0, raise_nofile(STEADY_PORTS + 256));
	snprintf(prefix, sizeof(prefix), "ksft-nl-steady-%d-", getpid());
	plen = strlen(prefix);
	for (i = 0; i < STEADY_PORTS; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		fds[i] = create_port(self->dev, name, 0, 0);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_fn, &c));
	for (dumps = 0; dumps < 200 && (dumps < 20 || !intr); dumps++) {
		int steady = 0;

		ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &self->objs));
		ASSERT_TRUE(ids_increase(&self->objs, ALPC_NL_A_PORT_ID));
		for (j = 0; j < self->objs.n; j++)
			steady += !strncmp(self->objs.o[j].name, prefix, plen);
		ASSERT_EQ(STEADY_PORTS, steady);
		intr += self->nl.intr;
	}
	atomic_store(&c.stop, 1);
	pthread_join(thread, NULL);
	TH_LOG("%d dumps, %d interrupted, %d ports churned", dumps, intr, c.rounds);
	EXPECT_LT(0, c.rounds);
	EXPECT_LT(0, intr);
	for (i = 0; i < STEADY_PORTS; i++)
		close(fds[i]);
}

struct ns_ctl {
	int dev;
	const char *name;
	__u64 outer_id;
	int to_child[2];
	int from_child[2];
};

/* In a new IPC namespace: sees its own port of that name, not the outer one. */
static int ns_child(void *arg)
{
	struct nl_objs objs = {};
	struct ns_ctl *c = arg;
	struct nl_obj *p;
	struct nl nl;
	int port, count;
	char go;

	if (unshare(CLONE_NEWIPC))
		return 10;
	port = create_port(c->dev, c->name, 0, 0);
	if (port < 0)
		return 1;
	if (nl_open(&nl))
		return 2;
	if (nl_dump(&nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &objs))
		return 3;
	p = nl_find(&objs, c->name, &count);
	if (count != 1 || p->v[ALPC_NL_A_PORT_ID] == c->outer_id)
		return 4;
	if (nl_dump(&nl, ALPC_NL_CMD_GET_PORT, c->outer_id, NULL, &objs) != -ENOENT)
		return 5;
	if (write(c->from_child[1], "c", 1) != 1 || read(c->to_child[0], &go, 1) != 1)
		return 6;
	nl_objs_free(&objs);
	nl_close(&nl);
	close(port);
	return 0;
}

/* Ports of another IPC namespace are invisible, both ways, even with one name. */
TEST_F(nl, other_ipc_namespace_ports_are_invisible)
{
	struct ns_ctl c = { .dev = self->dev, .name = self->name };
	struct nl_obj *p;
	int port, count, st;
	pid_t child;
	char go;

	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	p = nl_port(&self->nl, &self->objs, self->name);
	ASSERT_NE(NULL, p);
	c.outer_id = p->v[ALPC_NL_A_PORT_ID];
	ASSERT_EQ(0, pipe(c.to_child));
	ASSERT_EQ(0, pipe(c.from_child));
	child = alpc_fork(ns_child, &c);
	ASSERT_LT(0, child);
	close(c.from_child[1]);
	if (read(c.from_child[0], &go, 1) != 1) {
		st = alpc_wait_child(child);
		if (st == 10)
			SKIP(return, "unshare(CLONE_NEWIPC) failed");
		ASSERT_EQ(0, st);
	}

	/* The child's port has the same name: still one, ours. */
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &self->objs));
	p = nl_find(&self->objs, self->name, &count);
	EXPECT_EQ(1, count);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(c.outer_id, p->v[ALPC_NL_A_PORT_ID]);
	ASSERT_EQ(1, write(c.to_child[1], "x", 1));
	EXPECT_EQ(0, alpc_wait_child(child));
	close(port);
}

struct perm_ctl {
	int dev;
	const char *closed;		/* 0600, root's */
	const char *open;		/* 0666, root's */
	const char *own;		/* to create as NOBODY, 0600 */
};

/* As NOBODY: the open port, its connection and its own port; not the closed one. */
static int perm_child(void *arg)
{
	struct perm_ctl *c = arg;
	struct nl_objs objs = {};
	struct nl_obj st;
	struct nl nl;
	int count, own;
	size_t i;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 1;
	own = create_port(c->dev, c->own, 0600, 0);
	if (own < 0)
		return 2;
	if (nl_open(&nl))
		return 3;
	if (nl_dump(&nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &objs))
		return 4;
	if (!nl_find(&objs, c->open, &count) || count != 1)
		return 5;
	if (nl_find(&objs, c->closed, &count))
		return 6;
	if (!nl_find(&objs, c->own, &count) || count != 1)
		return 7;
	/* Only the open port's connection, of the two. */
	if (nl_dump(&nl, ALPC_NL_CMD_GET_CONN, 0, NULL, &objs))
		return 8;
	if (!nl_find(&objs, c->open, &count) || count != 1 || nl_find(&objs, c->closed, &count))
		return 9;
	for (i = 0; i < objs.n; i++)
		if (objs.o[i].v[ALPC_NL_A_CONN_CLIENT_UID] != 0)
			return 10;
	if (nl_dump(&nl, ALPC_NL_CMD_GET_CONN, 0, c->closed, &objs) != -ENOENT)
		return 11;
	if (nl_dump(&nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &objs) || nl_stats(&nl, &st) ||
	    st.v[ALPC_NL_A_STATS_PORTS] != objs.n)
		return 12;
	/* Events cover everything: not for it. */
	if (nl_join_events(&nl) != -1 || errno != EPERM)
		return 13;
	nl_objs_free(&objs);
	nl_close(&nl);
	close(own);
	return 0;
}

/*
 * A caller without CAP_SYS_ADMIN sees the ports it owns or may connect
 * to, and their connections only; it cannot join the events group.
 */
TEST_F(nl, unprivileged_caller_sees_only_ports_it_may_connect_to)
{
	char closed[ALPC_NAME_MAX], open[ALPC_NAME_MAX], own[ALPC_NAME_MAX];
	struct perm_ctl c = { .dev = self->dev, .closed = closed, .open = open, .own = own };
	int pc, po, a, b;

	if (geteuid())
		SKIP(return, "needs root, to drop to uid %d", NOBODY);
	alpc_port_name(closed, "nl-closed");
	alpc_port_name(open, "nl-open");
	alpc_port_name(own, "nl-own");
	pc = create_port(self->dev, closed, 0600, 0);
	ASSERT_LE(0, pc);
	po = create_port(self->dev, open, 0666, 0);
	ASSERT_LE(0, po);
	a = alpc_connect_accept(self->dev, pc, closed, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, po, open, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);

	EXPECT_EQ(0, alpc_wait_child(alpc_fork(perm_child, &c)));

	/* Root, with CAP_SYS_ADMIN, sees both. */
	EXPECT_NE(NULL, nl_port(&self->nl, &self->objs, closed));
	EXPECT_NE(NULL, nl_port(&self->nl, &self->objs, open));
	close(b);
	close(a);
	close(po);
	close(pc);
}

#define CRED_PORTS	2000

struct first_part_ctl {
	struct nl *nl;
	struct nl_req *req;	/* GET_PORT, its seq set */
	const char *prefix;	/* of the test's ports; odd ones are root's, 0600 */
};

/* True if @o is one of the test's ports that NOBODY may not see. */
static bool hidden_port(const struct nl_obj *o, const char *prefix)
{
	size_t plen = strlen(prefix);

	return !strncmp(o->name, prefix, plen) && atoi(o->name + plen) % 2 &&
	       o->v[ALPC_NL_A_PORT_MODE] == 0600 && o->v[ALPC_NL_A_PORT_UID] == 0;
}

/* As NOBODY: sends the dump request and reads its first part, and no more. */
static int first_part_child(void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct first_part_ctl *c = arg;
	struct nlmsghdr *nh;
	struct nl_obj o;
	int n;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return ALPC_CHILD_NO_SETUP;
	if (sendto(c->nl->fd, c->req, c->req->nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return CHILD_FAIL("send the dump request");
	n = recv(c->nl->fd, c->nl->buf, NL_BUF, 0);
	if (n <= 0)
		return CHILD_FAIL("read the first part");
	for (nh = (struct nlmsghdr *)c->nl->buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR)
			return CHILD_FAIL("the dump ended in its first part");
		nl_parse(nh, &o);
		if (hidden_port(&o, c->prefix))
			return CHILD_FAIL("the first part shows a port hidden from NOBODY");
	}
	return 0;
}

/*
 * A dump is filtered with the credentials of the task that asked for it,
 * to its end: the parts another task reads later (root, here) show no port
 * the first part could not. Before, each part was filtered with its
 * reader's credentials, so an unprivileged task could start a dump and
 * have a privileged one read on, and see every port.
 */
TEST_F_TIMEOUT(nl, later_parts_of_a_dump_are_filtered_as_its_first, 300)
{
	struct first_part_ctl c = { .nl = &self->nl };
	char prefix[32], name[ALPC_NAME_MAX];
	int *fds, i, hidden = 0, shown = 0;
	struct nl_req r;
	size_t j;

	if (geteuid())
		SKIP(return, "needs root, to drop to uid %d", NOBODY);
	ASSERT_EQ(0, raise_nofile(CRED_PORTS + 256));
	fds = calloc(CRED_PORTS, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	snprintf(prefix, sizeof(prefix), "ksft-nlcred-%d-", getpid());
	/* Enough that NOBODY's share fills a few parts, with root's between. */
	for (i = 0; i < CRED_PORTS; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		fds[i] = create_port(self->dev, name, i % 2 ? 0600 : 0666, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("port %d: %s", i, strerror(errno));
	}

	nl_alpc_req(&self->nl, &r, ALPC_NL_CMD_GET_PORT, true);
	r.nh.nlmsg_seq = ++self->nl.seq;
	c.req = &r;
	c.prefix = prefix;
	ASSERT_EQ(0, alpc_wait_child(alpc_spawn(first_part_child, &c)));

	/* Root reads the rest: the second part NOBODY's read made, then its own. */
	ASSERT_EQ(0, nl_recv(&self->nl, r.nh.nlmsg_seq, nl_collect, &self->objs));
	for (j = 0; j < self->objs.n; j++) {
		if (strncmp(self->objs.o[j].name, prefix, strlen(prefix)))
			continue;
		shown++;
		hidden += hidden_port(&self->objs.o[j], prefix);
	}
	TH_LOG("root read %d parts: %d of the test's ports, %d of them hidden from uid %d",
	       self->nl.parts, shown, hidden, NOBODY);
	/* More than the part NOBODY's read made, and the end. */
	EXPECT_LE(3, self->nl.parts);
	EXPECT_EQ(0, hidden);

	for (i = 0; i < CRED_PORTS; i++)
		close(fds[i]);
	free(fds);
}

/* GET_STATS sums what the dumps show. */
TEST_F(nl, stats_sum_what_the_dumps_show)
{
	__u64 sum[ALPC_NL_A_MAX + 1] = {};
	struct nl_obj st;
	int port, a;
	size_t i;

	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	a = alpc_connect_accept(self->dev, port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, alpc_datagram(a, "hello", 5, NULL));

	ASSERT_EQ(0, nl_stats(&self->nl, &st));
	EXPECT_EQ(ALPC_NL_CMD_GET_STATS, st.cmd);
	ASSERT_EQ(0, nl_dump(&self->nl, ALPC_NL_CMD_GET_PORT, 0, NULL, &self->objs));
	for (i = 0; i < self->objs.n; i++) {
		int attr;

		for (attr = ALPC_NL_A_PORT_CONNS; attr <= ALPC_NL_A_PORT_SECTION_BYTES; attr++)
			sum[attr] += self->objs.o[i].v[attr];
	}
	EXPECT_EQ(self->objs.n, st.v[ALPC_NL_A_STATS_PORTS]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_CONNS], st.v[ALPC_NL_A_STATS_CONNS]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_QUEUED], st.v[ALPC_NL_A_STATS_QUEUED]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_REQUESTS], st.v[ALPC_NL_A_STATS_REQUESTS]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_MSGS_TO_SERVER], st.v[ALPC_NL_A_STATS_MSGS_TO_SERVER]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_BYTES_TO_SERVER], st.v[ALPC_NL_A_STATS_BYTES_TO_SERVER]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_MSGS_TO_CLIENT], st.v[ALPC_NL_A_STATS_MSGS_TO_CLIENT]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_BYTES_TO_CLIENT], st.v[ALPC_NL_A_STATS_BYTES_TO_CLIENT]);
	EXPECT_EQ(sum[ALPC_NL_A_PORT_SECTION_BYTES], st.v[ALPC_NL_A_STATS_SECTION_BYTES]);
	EXPECT_LE(1, st.v[ALPC_NL_A_STATS_CONNS]);
	EXPECT_LE(1, st.v[ALPC_NL_A_STATS_QUEUED]);
	EXPECT_LE(5, st.v[ALPC_NL_A_STATS_BYTES_TO_SERVER]);
	close(a);
	close(port);
}

/* The next event must be @cmd about the port named @name; it goes to @o. */
static int expect_event(struct nl *nl, __u8 cmd, const char *name, struct nl_obj *o)
{
	if (nl_next_event(nl, o))
		return -1;
	return o->cmd == cmd && !strcmp(o->name, name) ? 0 : -1;
}

/* Port and connection events come, with the dump's attributes. */
TEST_F(nl, events_report_ports_and_connections)
{
	struct nl ev;
	struct nl_obj o;
	__u64 port_id, conn_id;
	int port, a;

	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, nl_join_events(&ev));
	port = create_port(self->dev, self->name, 0604, 0);
	ASSERT_LE(0, port);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_NEW, self->name, &o));
	port_id = o.v[ALPC_NL_A_PORT_ID];
	EXPECT_NE(0, port_id);
	EXPECT_EQ(0604, o.v[ALPC_NL_A_PORT_MODE]);
	EXPECT_TRUE(o.has[ALPC_NL_A_PORT_MSGS_TO_SERVER]);

	a = alpc_connect_accept(self->dev, port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_CONN_NEW, self->name, &o));
	conn_id = o.v[ALPC_NL_A_CONN_ID];
	EXPECT_NE(0, conn_id);
	EXPECT_EQ(port_id, o.v[ALPC_NL_A_PORT_ID]);
	EXPECT_EQ(ALPC_NL_CONN_CONNECTED, o.v[ALPC_NL_A_CONN_STATE]);
	EXPECT_EQ(getpid(), o.v[ALPC_NL_A_CONN_CLIENT_PID]);
	EXPECT_EQ(getpid(), o.v[ALPC_NL_A_CONN_SERVER_PID]);

	close(a);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_CONN_DEL, self->name, &o));
	EXPECT_EQ(conn_id, o.v[ALPC_NL_A_CONN_ID]);
	EXPECT_EQ(ALPC_NL_CONN_CLOSED, o.v[ALPC_NL_A_CONN_STATE]);

	close(port);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_DEL, self->name, &o));
	EXPECT_EQ(port_id, o.v[ALPC_NL_A_PORT_ID]);
	nl_close(&ev);
}

/*
 * Closing a port ends its connections with one PORT_DEL: no CONN_DEL
 * follows, not even when the clients close. Rejected connects send nothing.
 */
TEST_F(nl, port_close_sends_no_conn_del_for_its_connections)
{
	char marker[ALPC_NAME_MAX];
	struct nl_obj o;
	int port, a, b, m, c;
	struct nl ev;

	alpc_port_name(marker, "nl-marker");
	ASSERT_EQ(0, nl_open(&ev));
	ASSERT_EQ(0, nl_join_events(&ev));
	port = create_port(self->dev, self->name, 0, 0);
	ASSERT_LE(0, port);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_NEW, self->name, &o));
	a = alpc_connect_accept(self->dev, port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_CONN_NEW, self->name, &o));
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_CONN_NEW, self->name, &o));
	/* A rejected connect. */
	ASSERT_EQ(-1, alpc_connect_accept(self->dev, port, self->name, 3, ALPC_ACCEPT_REJECT,
					  NULL, NULL));

	close(port);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_DEL, self->name, &o));
	EXPECT_EQ(2, o.v[ALPC_NL_A_PORT_CONNS]);
	close(a);
	close(b);
	/* The next event is the marker port's. */
	m = create_port(self->dev, marker, 0, 0);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_NEW, marker, &o))
		TH_LOG("unexpected event %u for %s", o.cmd, o.name);

	/* A connect withdrawn before its answer sends nothing either. */
	c = alpc_connect(self->dev, marker, NULL, 0, 0, NULL, 0, NULL);
	EXPECT_EQ(-1, c);
	close(m);
	ASSERT_EQ(0, expect_event(&ev, ALPC_NL_CMD_PORT_DEL, marker, &o))
		TH_LOG("unexpected event %u for %s", o.cmd, o.name);
	nl_close(&ev);
}

TEST_HARNESS_MAIN
