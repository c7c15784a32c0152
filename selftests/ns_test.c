// SPDX-License-Identifier: GPL-2.0
/*
 * Ports across namespaces: names per IPC namespace, ids translated
 * between user namespaces (messages and descriptors), pids between pid
 * namespaces, and what the root of a user namespace may do to ports of
 * the namespace it came from.
 *
 * The tests run as root. A child that enters a new user namespace gets
 * its maps written by the test (/proc/PID/uid_map, setgroups "deny"),
 * then takes on the namespace's uid and gid 0: outside, it is uid and
 * gid 1000 (NS_OUTER). A child reports the first check that failed on
 * stderr and exits with a non-zero status.
 */
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define NS_OUTER	1000	/* the outside id of a namespace's uid and gid 0 */
#define CHILD_NO_NS	201	/* the child could not enter its namespace */

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t len = strlen(text);
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, text, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

/* A child in a user namespace of its own, with the maps given. */
struct userns_child {
	const char *uid_map;
	const char *gid_map;
	int (*fn)(void *arg);
	void *arg;
	struct gate ready;	/* the child unshared (or failed to) */
	struct gate mapped;	/* the maps are written */
};

static int userns_child_main(void *p)
{
	struct userns_child *u = p;
	int err = unshare(CLONE_NEWUSER);

	if (gate_pass(&u->ready))
		return CHILD_FAIL("sync");
	if (err)
		return CHILD_NO_NS;
	if (gate_wait(&u->mapped))
		return CHILD_FAIL("sync");
	/* Root of the namespace: NS_OUTER outside. */
	if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		return CHILD_FAIL("take on uid and gid 0 of the namespace");
	return u->fn(u->arg);
}

/*
 * Starts @u->fn(@u->arg) in a child in a new user namespace, once its
 * maps are written. Returns the child's pid, or -1 (the child, if any,
 * reaped) with *@no_ns set if user namespaces are not to be had.
 */
static pid_t spawn_in_userns(struct userns_child *u, bool *no_ns)
{
	pid_t pid;

	*no_ns = false;
	if (gate_open(&u->ready))
		return -1;
	if (gate_open(&u->mapped)) {
		gate_close(&u->ready);
		return -1;
	}
	pid = alpc_spawn(userns_child_main, u);
	if (pid < 0)
		goto out;
	if (gate_wait(&u->ready) || write_proc(pid, "setgroups", "deny") ||
	    write_proc(pid, "uid_map", u->uid_map) || write_proc(pid, "gid_map", u->gid_map)) {
		*no_ns = alpc_wait_child(pid) == CHILD_NO_NS;
		pid = -1;
		goto out;
	}
	if (gate_pass(&u->mapped)) {
		kill(pid, SIGKILL);
		alpc_wait_child(pid);
		pid = -1;
	}
out:
	gate_close(&u->ready);
	gate_close(&u->mapped);
	return pid;
}

/*
 * As spawn_in_userns(), in a test: returns the child's pid, or 0 with the
 * test skipped if user namespaces are not to be had.
 */
static pid_t userns_start(struct __test_metadata *_metadata, struct userns_child *u)
{
	bool no_ns;
	pid_t pid;

	pid = spawn_in_userns(u, &no_ns);
	if (no_ns)
		SKIP(return 0, "unshare(CLONE_NEWUSER): not permitted");
	ASSERT_LT(0, pid);
	return pid;
}

FIXTURE(ns) {
	int dev;
	int port;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(ns)
{
	self->port = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "ns");
	/* Namespaces and maps take root. */
	ASSERT_EQ(0, geteuid());
}

FIXTURE_TEARDOWN(ns)
{
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* Where a child finds the test's port, and how it talks to the test. */
struct ns_job {
	int dev;
	const char *name;
	struct gate ready;	/* child to test */
	struct gate go;		/* test to child */
	int report;		/* write end of a pipe, or -1 */
};

/*
 * IPC namespaces
 * ==============
 */

/* In a new IPC namespace: the test's name is not there, and can be taken anew. */
static int new_ipc_ns_main(void *p)
{
	struct ns_job *j = p;
	struct alpc_security sd;
	int port;

	if (unshare(CLONE_NEWIPC))
		return CHILD_NO_NS;
	/* The /dev/alpc fd came from the old namespace: the caller's counts. */
	if (!failed_with(alpc_connect(j->dev, j->name, NULL, 0, 0, NULL, 0, NULL), ENOENT))
		return CHILD_FAIL("connect to the other namespace's name is ENOENT");
	if (!failed_with(alpc_get_security(j->dev, j->name, &sd), ENOENT))
		return CHILD_FAIL("GET of the other namespace's name is ENOENT");
	memset(&sd, 0, sizeof(sd));
	sd.mode = 0666;
	if (!failed_with(alpc_set_security(j->dev, j->name, &sd), ENOENT))
		return CHILD_FAIL("SET of the other namespace's name is ENOENT");
	port = alpc_create_port_mode(j->dev, j->name, NULL, 0, 0640);
	if (port < 0)
		return CHILD_FAIL("create the same name here");
	if (!failed_with(alpc_create_port(j->dev, j->name, NULL, 0), EEXIST))
		return CHILD_FAIL("the name is taken here now");
	if (alpc_get_security(j->dev, j->name, &sd) || sd.mode != 0640)
		return CHILD_FAIL("GET by name finds this namespace's port");
	if (gate_pass(&j->ready) || gate_wait(&j->go))
		return CHILD_FAIL("sync");
	close(port);
	return 0;
}

/* A name in one IPC namespace is invisible from another, which may create it too. */
TEST_F(ns, name_in_other_ipc_namespace_is_invisible)
{
	struct ns_job j = { self->dev, self->name };
	struct alpc_security sd;
	int client;
	pid_t pid;

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0600);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(0, gate_open(&j.ready));
	ASSERT_EQ(0, gate_open(&j.go));
	pid = alpc_spawn(new_ipc_ns_main, &j);
	ASSERT_LT(0, pid);
	if (gate_wait(&j.ready)) {
		if (alpc_wait_child(pid) == CHILD_NO_NS)
			SKIP(return, "unshare(CLONE_NEWIPC): not permitted");
		ASSERT_TRUE(false);
	}
	/* Both ports live; ours is the one this namespace finds. */
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &sd));
	EXPECT_EQ(0600, sd.mode);
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	close(client);
	ASSERT_EQ(0, gate_pass(&j.go));
	EXPECT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &sd));
	EXPECT_EQ(0600, sd.mode);
	gate_close(&j.ready);
	gate_close(&j.go);
}

/*
 * User namespaces
 * ===============
 */

/* What a client in a namespace expects the server's reply to show: -1 for the overflow id. */
struct reply_view {
	int dev;
	const char *name;
	uid_t uid;
	gid_t gid;
};

/* Connects, sends a request and checks the ids its reply shows. */
static int reply_view_main(void *p)
{
	struct reply_view *v = p;
	struct alpc_send_wait sw;
	char reply[8];
	uid_t uid;
	gid_t gid;
	int fd;

	uid = v->uid == (uid_t)-1 ? alpc_read_uint("/proc/sys/kernel/overflowuid") : v->uid;
	gid = v->gid == (gid_t)-1 ? alpc_read_uint("/proc/sys/kernel/overflowgid") : v->gid;
	fd = alpc_connect(v->dev, v->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("connect");
	alpc_send_wait_init(&sw, "q", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	if (alpc_send_wait(fd, &sw))
		return CHILD_FAIL("request");
	if (sw.reply.uid != uid || sw.reply.gid != gid) {
		fprintf(stderr, "# reply from uid %u gid %u, not %u %u\n", sw.reply.uid,
			sw.reply.gid, uid, gid);
		return CHILD_FAIL("the server's ids as seen from the namespace");
	}
	close(fd);
	return 0;
}

/* Accepts one client on @port and answers its one request; @conn and @req get what came. */
static void serve_one(struct __test_metadata *_metadata, int port,
		      struct alpc_msg_info *conn, struct alpc_msg_info *req)
{
	char buf[8];

	ASSERT_EQ(0, alpc_recv(port, NULL, 0, ALPC_WAIT_NS, conn));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, conn->type);
	ASSERT_EQ(0, alpc_accept(port, conn->id, 0, 1, NULL, 0));
	ASSERT_EQ(0, alpc_recv(port, buf, sizeof(buf), ALPC_WAIT_NS, req));
	ASSERT_EQ(ALPC_MSG_REQUEST, req->type);
	ASSERT_EQ(0, alpc_reply(port, req->id, "a", 1));
}

/*
 * A client that is root in its own user namespace is seen outside with
 * its outside ids; the server's ids, unmapped inside, are seen there as
 * the overflow ids.
 */
TEST_F(ns, user_ns_client_seen_with_outer_ids)
{
	struct reply_view v = { self->dev, self->name, -1, -1 };
	struct userns_child u = { "0 1000 1", "0 1000 1", reply_view_main, &v };
	struct alpc_msg_info conn, req;
	pid_t pid;

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0666);
	ASSERT_LE(0, self->port);
	pid = userns_start(_metadata, &u);
	if (!pid)
		return;
	serve_one(_metadata, self->port, &conn, &req);
	EXPECT_EQ(NS_OUTER, conn.uid);
	EXPECT_EQ(NS_OUTER, conn.gid);
	EXPECT_EQ(pid, conn.pid);
	EXPECT_EQ(NS_OUTER, req.uid);
	EXPECT_EQ(NS_OUTER, req.gid);
	EXPECT_EQ(pid, req.pid);
	EXPECT_EQ(0, alpc_wait_child(pid));
}

/* A server whose ids the client's namespace maps is seen there with the inside ids. */
TEST_F(ns, outer_server_mapped_in_user_ns_is_seen_with_inner_ids)
{
	struct reply_view v = { self->dev, self->name, 1, 1 };
	struct userns_child u = { "0 1000 1\n1 0 1\n", "0 1000 1\n1 0 1\n", reply_view_main, &v };
	struct alpc_msg_info conn, req;
	pid_t pid;

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0666);
	ASSERT_LE(0, self->port);
	pid = userns_start(_metadata, &u);
	if (!pid)
		return;
	serve_one(_metadata, self->port, &conn, &req);
	EXPECT_EQ(NS_OUTER, req.uid);
	EXPECT_EQ(0, alpc_wait_child(pid));
}

/*
 * As a user namespace's root: creates a port (owned by NS_OUTER outside)
 * and writes its descriptor with the namespace's ids.
 */
static int userns_owner_main(void *p)
{
	struct ns_job *j = p;
	struct alpc_security sd, bad, got;
	unsigned int overflow = alpc_read_uint("/proc/sys/kernel/overflowuid");
	int port;

	port = alpc_create_port_mode(j->dev, j->name, NULL, 0, 0600);
	if (port < 0)
		return CHILD_FAIL("create");
	if (alpc_get_security(port, NULL, &sd) || sd.uid || sd.gid || sd.mode != 0600)
		return CHILD_FAIL("the owner is uid and gid 0 here");
	sd.acl[0].type = ALPC_ACE_ALLOW_UID;
	sd.acl[0].id = 5;
	sd.acl[1].type = ALPC_ACE_DENY_GID;
	sd.acl[1].id = 7;
	sd.count = 2;
	if (alpc_set_security(port, NULL, &sd))
		return CHILD_FAIL("SET with ids of the namespace");
	if (alpc_get_security(j->dev, j->name, &got) || memcmp(&sd, &got, sizeof(sd)))
		return CHILD_FAIL("GET gives back the ids of the namespace");

	/* Ids the namespace does not map (it maps 0 to 999). */
	bad = sd;
	bad.acl[0].id = 5000;
	if (!failed_with(alpc_set_security(port, NULL, &bad), EINVAL))
		return CHILD_FAIL("an unmapped uid in an entry is EINVAL");
	bad = sd;
	bad.acl[1].id = 5000;
	if (!failed_with(alpc_set_security(port, NULL, &bad), EINVAL))
		return CHILD_FAIL("an unmapped gid in an entry is EINVAL");
	bad = sd;
	bad.gid = 5000;
	if (!failed_with(alpc_set_security(port, NULL, &bad), EINVAL))
		return CHILD_FAIL("an unmapped owner gid is EINVAL");
	if (alpc_get_security(port, NULL, &got) || memcmp(&sd, &got, sizeof(sd)))
		return CHILD_FAIL("the refused SETs changed nothing");

	if (gate_pass(&j->ready) || gate_wait(&j->go))
		return CHILD_FAIL("sync");
	/* The test named a uid outside the map. */
	if (alpc_get_security(port, NULL, &got))
		return CHILD_FAIL("GET after the test's SET");
	if (got.acl[0].type != ALPC_ACE_ALLOW_UID || got.acl[0].id != overflow || got.uid)
		return CHILD_FAIL("an id the namespace does not map reads as the overflow id");
	if (gate_pass(&j->ready) || gate_wait(&j->go))
		return CHILD_FAIL("sync");
	close(port);
	return 0;
}

/* Ids of a descriptor set in a user namespace are kept as the ids they stand for outside. */
TEST_F(ns, descriptor_ids_are_translated)
{
	struct ns_job j = { self->dev, self->name };
	struct userns_child u = { "0 1000 1000", "0 1000 1000", userns_owner_main, &j };
	struct alpc_security sd;
	pid_t pid;

	ASSERT_EQ(0, gate_open(&j.ready));
	ASSERT_EQ(0, gate_open(&j.go));
	pid = userns_start(_metadata, &u);
	if (!pid)
		return;
	ASSERT_EQ(0, gate_wait(&j.ready));
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &sd));
	EXPECT_EQ(NS_OUTER, sd.uid);
	EXPECT_EQ(NS_OUTER, sd.gid);
	EXPECT_EQ(2, sd.count);
	EXPECT_EQ(ALPC_ACE_ALLOW_UID, sd.acl[0].type);
	EXPECT_EQ(NS_OUTER + 5, sd.acl[0].id);
	EXPECT_EQ(ALPC_ACE_DENY_GID, sd.acl[1].type);
	EXPECT_EQ(NS_OUTER + 7, sd.acl[1].id);
	/* Root outside holds CAP_SYS_ADMIN over the namespace the port was made in. */
	sd.acl[0].id = 50000;
	ASSERT_EQ(0, alpc_set_security(self->dev, self->name, &sd));
	ASSERT_EQ(0, gate_pass(&j.go));
	ASSERT_EQ(0, gate_wait(&j.ready));
	ASSERT_EQ(0, gate_pass(&j.go));
	EXPECT_EQ(0, alpc_wait_child(pid));
	gate_close(&j.ready);
	gate_close(&j.go);
}

struct inner_owner {
	int dev;
	char name[ALPC_NAME_MAX];
	struct gate ready;
	struct gate go;
};

/* As uid 1 of the namespace: creates a port and holds it. */
static int inner_owner_main(void *p)
{
	struct inner_owner *o = p;
	int port;

	if (setresgid(1, 1, 1) || setresuid(1, 1, 1))
		return CHILD_FAIL("take on uid 1 of the namespace");
	port = alpc_create_port_mode(o->dev, o->name, NULL, 0, 0600);
	if (port < 0)
		return CHILD_FAIL("create");
	if (gate_pass(&o->ready) || gate_wait(&o->go))
		return CHILD_FAIL("sync");
	close(port);
	return 0;
}

struct userns_root_job {
	int dev;
	const char *outer;		/* the test's port: root's, outside */
	struct inner_owner inner;	/* a port of the namespace, uid 1's */
	struct gate ready;
	struct gate go;
};

/*
 * As a user namespace's root: the test's port is out of reach, a port of
 * another uid of the namespace is not.
 */
static int userns_root_main(void *p)
{
	struct userns_root_job *j = p;
	struct alpc_security sd;
	pid_t pid;
	int ret;

	memset(&sd, 0xa5, sizeof(sd));
	if (!failed_with(alpc_get_security(j->dev, j->outer, &sd), EPERM))
		return CHILD_FAIL("GET of a port of the parent namespace is EPERM");
	memset(&sd, 0, sizeof(sd));
	sd.mode = 0666;
	if (!failed_with(alpc_set_security(j->dev, j->outer, &sd), EPERM))
		return CHILD_FAIL("SET of a port of the parent namespace is EPERM");
	if (!failed_with(alpc_connect(j->dev, j->outer, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL),
			 EACCES))
		return CHILD_FAIL("connect to a 0600 port of outside root is EACCES");

	if (gate_open(&j->inner.ready) || gate_open(&j->inner.go))
		return CHILD_FAIL("gates");
	pid = alpc_spawn(inner_owner_main, &j->inner);
	if (pid < 0 || gate_wait(&j->inner.ready))
		return CHILD_FAIL("start the inner owner");
	if (alpc_get_security(j->dev, j->inner.name, &sd) || sd.uid != 1 || sd.mode != 0600)
		return CHILD_FAIL("GET of the namespace's own port, not ours");
	sd.mode = 0660;
	sd.uid = 2;
	if (alpc_set_security(j->dev, j->inner.name, &sd))
		return CHILD_FAIL("SET of a new mode and owner");
	if (alpc_get_security(j->dev, j->inner.name, &sd) || sd.uid != 2 || sd.mode != 0660)
		return CHILD_FAIL("GET shows the SET");
	if (gate_pass(&j->ready) || gate_wait(&j->go))
		return CHILD_FAIL("sync");
	ret = gate_pass(&j->inner.go) || alpc_wait_child(pid) ? 1 : 0;
	gate_close(&j->inner.ready);
	gate_close(&j->inner.go);
	return ret ? CHILD_FAIL("the inner owner") : 0;
}

/*
 * CAP_SYS_ADMIN counts in the user namespace a port was created in: the
 * root of a child namespace can neither read nor change the descriptor
 * of a port of another uid made outside, but can for one made inside.
 */
TEST_F(ns, userns_root_manages_only_its_namespace_ports)
{
	struct userns_root_job j = { .dev = self->dev, .outer = self->name };
	struct userns_child u = { "0 1000 10", "0 1000 10", userns_root_main, &j };
	struct alpc_security before, sd;
	pid_t pid;

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0600);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	j.inner.dev = self->dev;
	alpc_port_name(j.inner.name, "inner");
	ASSERT_EQ(0, gate_open(&j.ready));
	ASSERT_EQ(0, gate_open(&j.go));
	pid = userns_start(_metadata, &u);
	if (!pid)
		return;
	ASSERT_EQ(0, gate_wait(&j.ready));
	/* Outside, the namespace's uid 2 is NS_OUTER + 2. */
	ASSERT_EQ(0, alpc_get_security(self->dev, j.inner.name, &sd));
	EXPECT_EQ(NS_OUTER + 2, sd.uid);
	EXPECT_EQ(NS_OUTER + 1, sd.gid);
	ASSERT_EQ(0, gate_pass(&j.go));
	EXPECT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(0, memcmp(&before, &sd, sizeof(sd)));
	EXPECT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	gate_close(&j.ready);
	gate_close(&j.go);
}

/* In a user namespace, server_uid names ids of that namespace. */
static int userns_server_uid_main(void *p)
{
	struct ns_job *j = p;
	struct alpc_connect c;

	/* Uid 0 here is NS_OUTER outside, not the port's owner. */
	alpc_connect_init(&c, j->name, NULL, 0, ALPC_WAIT_NS);
	c.flags = ALPC_CONNECT_SERVER_UID;
	c.server_uid = 0;
	if (!failed_with(ioctl(j->dev, ALPC_IOC_CONNECT, &c), EPERM))
		return CHILD_FAIL("server_uid 0 of the namespace is not root outside: EPERM");
	/* Uid 5 has no mapping here. */
	c.server_uid = 5;
	if (!failed_with(ioctl(j->dev, ALPC_IOC_CONNECT, &c), EINVAL))
		return CHILD_FAIL("an unmapped server_uid is EINVAL");
	return 0;
}

/* A client in a user namespace cannot name the outside root as the server it expects. */
TEST_F(ns, userns_client_server_uid_is_its_namespace_id)
{
	struct ns_job j = { self->dev, self->name };
	struct userns_child u = { "0 1000 1", "0 1000 1", userns_server_uid_main, &j };
	pid_t pid;

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0666);
	ASSERT_LE(0, self->port);
	pid = userns_start(_metadata, &u);
	if (!pid)
		return;
	EXPECT_EQ(0, alpc_wait_child(pid));
	EXPECT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * Pid namespaces
 * ==============
 */

/* Pid 1 of a new pid namespace: connects, sends a request, checks the reply's pid. */
static int pidns_client_main(void *p)
{
	struct reply_view *v = p;
	struct alpc_send_wait sw;
	char reply[8];
	int fd;

	if (getpid() != 1)
		return CHILD_FAIL("pid 1 of the namespace");
	fd = alpc_connect(v->dev, v->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("connect");
	alpc_send_wait_init(&sw, "q", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	if (alpc_send_wait(fd, &sw))
		return CHILD_FAIL("request");
	if (sw.reply.pid || sw.reply.tid) {
		fprintf(stderr, "# reply from pid %d tid %d\n", sw.reply.pid, sw.reply.tid);
		return CHILD_FAIL("a server outside the namespace is pid 0");
	}
	close(fd);
	return 0;
}

struct pidns_job {
	struct reply_view v;
	int report;	/* write end: the client's pid, as the test sees it */
};

/* Enters a new pid namespace; its first child is the client. */
static int pidns_main(void *p)
{
	struct pidns_job *j = p;
	pid_t pid = 0;

	if (unshare(CLONE_NEWPID)) {
		if (write(j->report, &pid, sizeof(pid)) != sizeof(pid))
			return CHILD_FAIL("report");
		return CHILD_NO_NS;
	}
	pid = alpc_spawn(pidns_client_main, &j->v);
	if (pid < 0 || write(j->report, &pid, sizeof(pid)) != sizeof(pid))
		return CHILD_FAIL("start the client");
	return alpc_wait_child(pid);
}

/*
 * A client in a child pid namespace is seen by the server with the pid
 * it has in the server's namespace; the server, outside the client's,
 * is pid 0 there.
 */
TEST_F(ns, pid_ns_client_seen_with_outer_pid)
{
	struct pidns_job j = { { self->dev, self->name } };
	struct alpc_msg_info conn, req;
	pid_t pid, client = -1;
	int pipefd[2];

	self->port = alpc_create_port_mode(self->dev, self->name, NULL, 0, 0);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	j.report = pipefd[1];
	pid = alpc_spawn(pidns_main, &j);
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(client), read(pipefd[0], &client, sizeof(client)));
	close(pipefd[0]);
	close(pipefd[1]);
	if (client == 0) {
		alpc_wait_child(pid);
		SKIP(return, "unshare(CLONE_NEWPID): not permitted");
	}
	ASSERT_LT(0, client);
	serve_one(_metadata, self->port, &conn, &req);
	EXPECT_EQ(client, conn.pid);
	EXPECT_EQ(client, conn.tid);
	EXPECT_EQ(client, req.pid);
	EXPECT_EQ(client, req.tid);
	EXPECT_EQ(0, alpc_wait_child(pid));
}

TEST_HARNESS_MAIN
