// SPDX-License-Identifier: GPL-2.0
/*
 * Port security, as an attacker sees it: connect permission (mode and
 * access list), who may read and change a descriptor, name squatting,
 * credentials that change after connect, pidfds and pid reuse,
 * supplementary groups, fd passing and its rundown, and the quotas that
 * keep one client from starving the others.
 *
 * The tests run as root and take on other uids (1000 to 1002) in forked
 * children: groups first, then gids, then uids, as a login would. A
 * child reports the first check that failed on stderr and exits with a
 * non-zero status; the harness's ASSERTs stay in the test's own process.
 */
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "alpc_util.h"

#define UID_A		1000	/* the attacker */
#define UID_B		1001	/* another user */
#define UID_C		1002
#define GID_A		1000
#define GID_B		1001
#define GID_X		2000	/* a group the port's owner shares */
#define GID_Y		2500
#define GID_Z		3000

/* The argument that makes this binary the helper of the execve() tests. */
#define EXEC_HELPER	"--alpc-exec-helper"

/* Who a child becomes: real uid, effective (and saved) uid, gid, groups. */
struct who {
	uid_t ruid;
	uid_t euid;
	gid_t gid;
	int ngroups;
	gid_t groups[8];
};

static struct who who_ids(uid_t uid, gid_t gid)
{
	struct who w = { .ruid = uid, .euid = uid, .gid = gid };

	return w;
}

static int who_become(const struct who *w)
{
	if (setgroups(w->ngroups, w->groups) || setresgid(w->gid, w->gid, w->gid) ||
	    setresuid(w->ruid, w->euid, w->euid))
		return -1;
	return 0;
}

/* The number of open fds of the calling process. */
static int count_fds(void)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the directory's own fd */
}

/* The "Pid:" line of a pidfd's fdinfo: the pid, -1 for a process gone, or -2. */
static int fdinfo_pid(int fd)
{
	char path[64], line[128];
	int pid = -2;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* True if the pipe read end @fd sees end of file within @ms milliseconds. */
static bool pipe_eof_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(fd, &c, 1) == 0;
}

/* Sends @fd over the UNIX socket @sock (SCM_RIGHTS). */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

/* Receives an fd sent by send_fd(); returns it or -1. */
static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void sd_init(struct alpc_security *sd, uid_t uid, gid_t gid, __u32 mode)
{
	memset(sd, 0, sizeof(*sd));
	sd->uid = uid;
	sd->gid = gid;
	sd->mode = mode;
}

static void sd_add(struct alpc_security *sd, __u32 type, __u32 id)
{
	sd->acl[sd->count].type = type;
	sd->acl[sd->count].id = id;
	sd->count++;
}

/* SET on the port fd @port: @mode and the entries in @aces (type, id pairs, @n of them). */
static int set_acl(int port, __u32 mode, const struct alpc_ace *aces, int n)
{
	struct alpc_security sd;
	int i;

	if (alpc_get_security(port, NULL, &sd))
		return -1;
	sd_init(&sd, sd.uid, sd.gid, mode);
	for (i = 0; i < n; i++)
		sd_add(&sd, aces[i].type, aces[i].id);
	return alpc_set_security(port, NULL, &sd);
}

/* A connect attempt, run in a child that takes on @who first. */
struct attempt {
	int dev;
	char name[ALPC_NAME_MAX];
	struct who who;
	__u32 flags;		/* ALPC_CONNECT_* */
	__u32 server_uid;
};

/* What came of an attempt. */
struct outcome {
	int err;		/* the child's connect: 0 or its errno (ALPC_CHILD_NO_SETUP) */
	int requests;		/* CONNECTION_REQUESTs the server saw */
	struct alpc_msg_info info;	/* the last of them */
};

/* Exits with 0 if the connect succeeded, else its errno. */
static int attempt_main(void *p)
{
	const struct attempt *a = p;
	struct alpc_connect c;
	int fd;

	if (who_become(&a->who))
		return ALPC_CHILD_NO_SETUP;
	/* The /dev/alpc fd was opened by root: that must not matter. */
	alpc_connect_init(&c, a->name, NULL, 0, ALPC_WAIT_NS);
	c.flags = a->flags;
	c.server_uid = a->server_uid;
	fd = ioctl(a->dev, ALPC_IOC_CONNECT, &c);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Runs @a in a child. Meanwhile, if @port is not -1, serves it: accepts
 * every connection request, counting them in @o.
 */
static void try_connect(int port, const struct attempt *a, struct outcome *o)
{
	struct alpc_msg_info info;
	int status = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->err = -1;
	pid = alpc_spawn(attempt_main, (void *)a);
	if (pid < 0)
		return;
	for (;;) {
		if (waitpid(pid, &status, port >= 0 ? WNOHANG : 0) == pid)
			break;
		if (alpc_recv(port, NULL, 0, 10 * ALPC_NS_PER_MS, &info) ||
		    info.type != ALPC_MSG_CONNECTION_REQUEST)
			continue;
		o->requests++;
		o->info = info;
		alpc_accept(port, info.id, 0, 1, NULL, 0);
	}
	o->err = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	while (port >= 0 && !alpc_recv(port, NULL, 0, 0, &info))
		if (info.type == ALPC_MSG_CONNECTION_REQUEST)
			o->requests++;
}

static void attempt_init(struct attempt *a, int dev, const char *name, const struct who *w)
{
	memset(a, 0, sizeof(*a));
	a->dev = dev;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->who = *w;
}

/* @w's connect to @name fails with @err, and the server on @port (or -1) hears nothing. */
static void check_refused(struct __test_metadata *_metadata, int dev, int port,
			  const char *name, const struct who *w, int err)
{
	struct alpc_msg_info info;
	struct attempt a;
	struct outcome o;

	attempt_init(&a, dev, name, w);
	try_connect(port, &a, &o);
	EXPECT_EQ(err, o.err) {
		TH_LOG("uid %u/%u gid %u: connect gave %d, not %d", w->ruid, w->euid, w->gid,
		       o.err, err);
	}
	EXPECT_EQ(0, o.requests);
	if (port >= 0) {
		EXPECT_EQ(-1, alpc_recv(port, NULL, 0, 0, &info));
		EXPECT_EQ(EAGAIN, errno);
	}
}

/* Takes the next CONNECTION_REQUEST on @port into @info and accepts it with @port_context. */
static void accept_next(struct __test_metadata *_metadata, int port, __u64 port_context,
			struct alpc_msg_info *info)
{
	ASSERT_EQ(0, alpc_recv(port, NULL, 0, ALPC_WAIT_NS, info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info->type);
	ASSERT_EQ(0, alpc_accept(port, info->id, 0, port_context, NULL, 0));
}

/* @w connects to @name, and the server on @port sees it with its effective ids. */
static void check_admitted(struct __test_metadata *_metadata, int dev, int port,
			   const char *name, const struct who *w)
{
	struct attempt a;
	struct outcome o;

	attempt_init(&a, dev, name, w);
	try_connect(port, &a, &o);
	EXPECT_EQ(0, o.err) {
		TH_LOG("uid %u/%u gid %u: connect gave %d", w->ruid, w->euid, w->gid, o.err);
	}
	EXPECT_EQ(1, o.requests);
	if (o.requests) {
		EXPECT_EQ(w->euid, o.info.uid);
		EXPECT_EQ(w->gid, o.info.gid);
	}
}

FIXTURE(sec) {
	int dev;
	int port;
	char name[ALPC_NAME_MAX];
};

FIXTURE_SETUP(sec)
{
	self->port = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "sec");
	/* The attacks take on other uids: that takes root. */
	ASSERT_EQ(0, geteuid());
}

FIXTURE_TEARDOWN(sec)
{
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* Closes *@port if open, and creates it again under @name with @mode. */
static int reopen_port(int *port, int dev, const char *name, __u32 mode)
{
	if (*port >= 0)
		close(*port);
	*port = alpc_create_port_mode(dev, name, NULL, 0, mode);
	return *port;
}

/*
 * Creates a port under @name with @mode while running with effective ids
 * @uid and @gid, so that they own it; back to root after. Returns the fd.
 */
static int create_port_as(int dev, const char *name, __u32 mode, uid_t uid, gid_t gid)
{
	int fd, err;

	if (setresgid(-1, gid, -1) || setresuid(-1, uid, -1))
		return -1;
	fd = alpc_create_port_mode(dev, name, NULL, 0, mode);
	err = errno;
	if (setresuid(-1, 0, -1) || setresgid(-1, 0, -1))
		abort();
	errno = err;
	return fd;
}

/*
 * Connect permission
 * ==================
 */

/* A new port belongs to its creator's effective ids, with mode 0600 for 0 and no entries. */
TEST_F(sec, new_port_descriptor_is_creator_and_mode)
{
	struct alpc_security sd, by_name, zero;
	char name[ALPC_NAME_MAX];
	int fd;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	memset(&sd, 0xa5, sizeof(sd));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(geteuid(), sd.uid);
	EXPECT_EQ(getegid(), sd.gid);
	EXPECT_EQ(0600, sd.mode);
	EXPECT_EQ(0, sd.count);
	memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(0, memcmp(sd.reserved, zero.reserved, sizeof(sd.reserved)));
	EXPECT_EQ(0, memcmp(sd.acl, zero.acl, sizeof(sd.acl)));
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &by_name));
	EXPECT_EQ(0, memcmp(&sd, &by_name, sizeof(sd)));

	/* An explicit mode is kept, read and execute bits included. */
	alpc_port_name(name, "mode");
	fd = alpc_create_port_mode(self->dev, name, NULL, 0, 0751);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, alpc_get_security(fd, NULL, &sd));
	EXPECT_EQ(0751, sd.mode);
	close(fd);

	/* The owner is the effective uid and gid, not the real ones. */
	fd = create_port_as(self->dev, name, 0, UID_B, GID_X);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, alpc_get_security(fd, NULL, &sd));
	EXPECT_EQ(UID_B, sd.uid);
	EXPECT_EQ(GID_X, sd.gid);
	close(fd);
}

/* A uid the default mode refuses gets EACCES, and the server sees nothing of it. */
TEST_F(sec, other_uid_refused_by_mode_is_eacces_and_unseen)
{
	static const __u32 modes[] = { 0600, 0644, 0755, 0771, 0700 };
	struct who a = who_ids(UID_A, GID_A);
	unsigned int i;

	/* Read and execute bits grant nothing: only write lets a client in. */
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, modes[i]));
		check_refused(_metadata, self->dev, self->port, self->name, &a, EACCES);
	}
}

/* The other class's write bit lets any uid in, seen with its own ids. */
TEST_F(sec, other_write_bit_admits_any_uid)
{
	struct who a = who_ids(UID_A, GID_A), b = who_ids(UID_B, GID_Z);

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0666));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
	check_admitted(_metadata, self->dev, self->port, self->name, &b);
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0002));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
}

/* The group class: a client whose egid or a supplementary group is the port's gets its bits. */
TEST_F(sec, group_write_bit_admits_port_group)
{
	struct who by_egid = who_ids(UID_A, GID_X);
	struct who by_group = { UID_A, UID_A, GID_A, 2, { GID_Z, GID_X } };
	struct who outsider = { UID_A, UID_A, GID_A, 1, { GID_Z } };

	self->port = create_port_as(self->dev, self->name, 0620, 0, GID_X);
	ASSERT_LE(0, self->port);
	check_admitted(_metadata, self->dev, self->port, self->name, &by_egid);
	check_admitted(_metadata, self->dev, self->port, self->name, &by_group);
	check_refused(_metadata, self->dev, self->port, self->name, &outsider, EACCES);

	/* As for files, a member is judged by the group bits alone, not the other bits. */
	close(self->port);
	self->port = create_port_as(self->dev, self->name, 0602, 0, GID_X);
	ASSERT_LE(0, self->port);
	check_admitted(_metadata, self->dev, self->port, self->name, &outsider);
	check_refused(_metadata, self->dev, self->port, self->name, &by_egid, EACCES);
	check_refused(_metadata, self->dev, self->port, self->name, &by_group, EACCES);
}

/* No capability bypasses the check: root is refused where the descriptor refuses it. */
TEST_F(sec, root_is_subject_to_mode)
{
	struct alpc_msg_info info;
	int client;

	/* Another uid's default port. */
	self->port = create_port_as(self->dev, self->name, 0, UID_B, GID_B);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	/* Root's own port, with no write bit for its owner. */
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0066));
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	/* Root's own default port: the owner class has write. */
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	close(client);
}

/*
 * Makes *@port anew under @name with @mode and the @n entries at @aces.
 * Each descriptor under test gets a fresh port, so that the checks stay
 * apart: a refused connect must leave nothing behind on the port, but
 * that is a test of its own (refused_connects_leave_port_usable).
 */
static int acl_port(int *port, int dev, const char *name, __u32 mode,
		    const struct alpc_ace *aces, int n)
{
	if (reopen_port(port, dev, name, mode) < 0)
		return -1;
	return n ? set_acl(*port, mode, aces, n) : 0;
}

/* A deny entry beats a mode that would let the client in. */
TEST_F(sec, deny_entry_beats_mode)
{
	static const struct alpc_ace deny_a[] = { { ALPC_ACE_DENY_UID, UID_A } };
	static const struct alpc_ace deny_x[] = { { ALPC_ACE_DENY_GID, GID_X } };
	static const struct alpc_ace deny_root[] = { { ALPC_ACE_DENY_UID, 0 } };
	struct who a = who_ids(UID_A, GID_A), b = who_ids(UID_B, GID_B);
	struct who x_egid = who_ids(UID_B, GID_X);
	struct who x_group = { UID_B, UID_B, GID_B, 1, { GID_X } };
	struct who root = who_ids(0, 0);

	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0666, deny_a, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &b);
	check_refused(_metadata, self->dev, self->port, self->name, &a, EACCES);

	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0666, deny_x, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &b);
	check_refused(_metadata, self->dev, self->port, self->name, &x_egid, EACCES);
	check_refused(_metadata, self->dev, self->port, self->name, &x_group, EACCES);

	/* The owner, root, is named by the entry like anyone. */
	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0666, deny_root, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
	check_refused(_metadata, self->dev, self->port, self->name, &root, EACCES);
}

/* An allow entry lets in a uid the mode refuses, and nobody else. */
TEST_F(sec, allow_entry_admits_uid_mode_refuses)
{
	static const struct alpc_ace allow_a[] = { { ALPC_ACE_ALLOW_UID, UID_A } };
	struct who a = who_ids(UID_A, GID_A), b = who_ids(UID_B, GID_A);

	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0600, NULL, 0));
	check_refused(_metadata, self->dev, self->port, self->name, &a, EACCES);
	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0600, allow_a, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
	check_refused(_metadata, self->dev, self->port, self->name, &b, EACCES);
}

/* The first entry that names the client decides; the ones after it are not consulted. */
TEST_F(sec, first_matching_entry_wins)
{
	static const struct alpc_ace allow_then_deny[] = {
		{ ALPC_ACE_ALLOW_UID, UID_A }, { ALPC_ACE_DENY_UID, UID_A },
	};
	static const struct alpc_ace deny_then_allow[] = {
		{ ALPC_ACE_DENY_UID, UID_A }, { ALPC_ACE_ALLOW_UID, UID_A },
	};
	static const struct alpc_ace group_then_uid[] = {
		{ ALPC_ACE_ALLOW_GID, GID_X }, { ALPC_ACE_DENY_UID, UID_A },
	};
	static const struct alpc_ace uid_then_group[] = {
		{ ALPC_ACE_DENY_UID, UID_A }, { ALPC_ACE_ALLOW_GID, GID_X },
	};
	static const struct alpc_ace other_then_allow[] = {
		{ ALPC_ACE_DENY_UID, UID_B }, { ALPC_ACE_DENY_GID, GID_Z },
		{ ALPC_ACE_ALLOW_UID, UID_A },
	};
	struct who a = who_ids(UID_A, GID_A);
	struct who ax = who_ids(UID_A, GID_X), bx = who_ids(UID_B, GID_X);

	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0666, allow_then_deny, 2));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0666, deny_then_allow, 2));
	check_refused(_metadata, self->dev, self->port, self->name, &a, EACCES);

	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0600, group_then_uid, 2));
	check_admitted(_metadata, self->dev, self->port, self->name, &ax);
	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0600, uid_then_group, 2));
	check_admitted(_metadata, self->dev, self->port, self->name, &bx);
	check_refused(_metadata, self->dev, self->port, self->name, &ax, EACCES);

	/* Entries that do not name the client are passed over. */
	ASSERT_EQ(0, acl_port(&self->port, self->dev, self->name, 0600, other_then_allow, 3));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);
}

/* Group entries match a supplementary group as well as the egid. */
TEST_F(sec, gid_entries_match_supplementary_groups)
{
	static const struct alpc_ace allow_y[] = { { ALPC_ACE_ALLOW_GID, GID_Y } };
	struct who member = { UID_A, UID_A, GID_A, 3, { GID_X, GID_Y, GID_Z } };
	struct who by_egid = who_ids(UID_A, GID_Y);
	struct who outsider = { UID_A, UID_A, GID_A, 2, { GID_X, GID_Z } };

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0600));
	ASSERT_EQ(0, set_acl(self->port, 0600, allow_y, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &member);
	check_admitted(_metadata, self->dev, self->port, self->name, &by_egid);
	check_refused(_metadata, self->dev, self->port, self->name, &outsider, EACCES);
}

/* Entries and mode judge the effective uid: a real uid in an entry grants nothing. */
TEST_F(sec, entries_judge_effective_uid)
{
	static const struct alpc_ace allow_a[] = { { ALPC_ACE_ALLOW_UID, UID_A } };
	struct who eff_a = { .ruid = UID_B, .euid = UID_A, .gid = GID_B };
	struct who real_a = { .ruid = UID_A, .euid = UID_B, .gid = GID_B };

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0600));
	ASSERT_EQ(0, set_acl(self->port, 0600, allow_a, 1));
	check_admitted(_metadata, self->dev, self->port, self->name, &eff_a);
	check_refused(_metadata, self->dev, self->port, self->name, &real_a, EACCES);
}

/* A refused connect takes no place on the port: later clients still get in. */
TEST_F(sec, refused_connects_leave_port_usable)
{
	struct who a = who_ids(UID_A, GID_A), root = who_ids(0, 0);
	struct attempt at;
	struct outcome o;
	int i;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0600));
	for (i = 0; i < 3; i++)
		check_refused(_metadata, self->dev, self->port, self->name, &a, EACCES);
	check_admitted(_metadata, self->dev, self->port, self->name, &root);

	/* Nor does a connect refused for the owner it asked for. */
	attempt_init(&at, self->dev, self->name, &root);
	at.flags = ALPC_CONNECT_SERVER_UID;
	at.server_uid = UID_B;
	try_connect(self->port, &at, &o);
	EXPECT_EQ(EPERM, o.err);
	check_admitted(_metadata, self->dev, self->port, self->name, &root);
}

/*
 * Who may read and change a descriptor
 * ====================================
 */

/* A child that takes on @who, then runs @fn(@arg). */
struct as_child {
	struct who who;
	int (*fn)(void *arg);
	void *arg;
};

static int as_child_main(void *p)
{
	struct as_child *c = p;

	if (who_become(&c->who))
		return ALPC_CHILD_NO_SETUP;
	return c->fn(c->arg);
}

static pid_t fork_as(const struct who *w, int (*fn)(void *arg), void *arg)
{
	struct as_child c = { *w, fn, arg };

	return alpc_spawn(as_child_main, &c);
}

/* Runs @fn(@arg) as @w in a child; returns its exit status. */
static int run_as(const struct who *w, int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork_as(w, fn, arg);

	return pid < 0 ? -1 : alpc_wait_child(pid);
}

/* Where a child finds a port: an fd (/dev/alpc or the port) and a name (NULL: the fd). */
struct sd_job {
	int fd;
	const char *name;
	int sock;		/* -1, or a socket the port's fd arrives on */
};

/* GET and SET by a non-owner fail with EPERM, and the GET writes nothing back. */
static int non_owner_main(void *p)
{
	const struct sd_job *j = p;
	struct alpc_security sd;
	int fd = j->fd;

	if (j->sock >= 0) {
		fd = recv_fd(j->sock);
		if (fd < 0)
			return CHILD_FAIL("receive the port's fd");
	}
	memset(&sd, 0, sizeof(sd));
	if (!failed_with(alpc_get_security(fd, j->name, &sd), EPERM))
		return CHILD_FAIL("GET is EPERM");
	if (sd.uid || sd.mode || sd.count)
		return CHILD_FAIL("a refused GET wrote the descriptor");
	/* Taking the port over. */
	sd_init(&sd, geteuid(), getegid(), 0666);
	if (!failed_with(alpc_set_security(fd, j->name, &sd), EPERM))
		return CHILD_FAIL("SET of a new owner is EPERM");
	/* Keeping the owner, letting itself in. */
	sd_init(&sd, 0, 0, 0600);
	sd_add(&sd, ALPC_ACE_ALLOW_UID, geteuid());
	if (!failed_with(alpc_set_security(fd, j->name, &sd), EPERM))
		return CHILD_FAIL("SET of an entry is EPERM");
	return 0;
}

/* A uid that does not own the port gets EPERM for GET and SET by name; nothing changes. */
TEST_F(sec, non_owner_get_set_by_name_is_eperm)
{
	struct who a = who_ids(UID_A, GID_A), in_group = who_ids(UID_A, 0);
	struct sd_job j = { self->dev, self->name, -1 };
	struct alpc_security before, after;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0666));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	EXPECT_EQ(0, run_as(&a, non_owner_main, &j));
	/* Sharing the owner's group does not help. */
	EXPECT_EQ(0, run_as(&in_group, non_owner_main, &j));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/* Holding the port's fd, inherited or passed, does not make a uid its owner. */
TEST_F(sec, non_owner_get_set_on_port_fd_is_eperm)
{
	struct who a = who_ids(UID_A, GID_A);
	struct alpc_security before, after;
	struct sd_job j = { -1, NULL, -1 };
	int sp[2];
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0666));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	j.fd = self->port;
	EXPECT_EQ(0, run_as(&a, non_owner_main, &j));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	j.sock = sp[1];
	pid = fork_as(&a, non_owner_main, &j);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, send_fd(sp[0], self->port));
	EXPECT_EQ(0, alpc_wait_child(pid));
	close(sp[0]);
	close(sp[1]);

	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/* A client that stays connected while its owner changes the descriptor. */
struct stayer {
	int dev;
	const char *name;
	struct gate ready;	/* child to parent */
	struct gate go;		/* parent to child */
};

/* Connects; after a go, sends on the connection and tries another connect. */
static int stayer_main(void *p)
{
	struct stayer *s = p;
	int fd, fd2;

	fd = alpc_connect(s->dev, s->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("first connect");
	if (gate_pass(&s->ready) || gate_wait(&s->go))
		return CHILD_FAIL("sync");
	if (alpc_datagram(fd, "still here", 10, NULL))
		return CHILD_FAIL("send on the connection made before the change");
	fd2 = alpc_connect(s->dev, s->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (!failed_with(fd2, EACCES))
		return CHILD_FAIL("a connect after the change is EACCES");
	if (gate_pass(&s->ready) || gate_wait(&s->go))
		return CHILD_FAIL("sync");
	close(fd);
	return 0;
}

/* The owner tightens the mode: new connects are refused, an existing connection keeps working. */
TEST_F(sec, mode_change_refuses_new_connects_keeps_old)
{
	struct stayer s = { self->dev, self->name };
	struct who a = who_ids(UID_A, GID_A);
	struct alpc_msg_info info;
	struct alpc_security sd;
	char buf[16];
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0666));
	ASSERT_EQ(0, gate_open(&s.ready));
	ASSERT_EQ(0, gate_open(&s.go));
	pid = fork_as(&a, stayer_main, &s);
	ASSERT_LT(0, pid);
	accept_next(_metadata, self->port, 7, &info);
	ASSERT_EQ(0, gate_wait(&s.ready));

	ASSERT_EQ(0, set_acl(self->port, 0600, NULL, 0));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(0600, sd.mode);
	ASSERT_EQ(0, gate_pass(&s.go));
	ASSERT_EQ(0, gate_wait(&s.ready));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(7, info.port_context);
	EXPECT_EQ(UID_A, info.uid);
	EXPECT_STREQ("still here", buf);
	/* The refused connect never reached the server. */
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);

	/* Loosened again, it lets the client in from then on. */
	ASSERT_EQ(0, set_acl(self->port, 0666, NULL, 0));
	check_admitted(_metadata, self->dev, self->port, self->name, &a);

	ASSERT_EQ(0, gate_pass(&s.go));
	EXPECT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	gate_close(&s.ready);
	gate_close(&s.go);
}

/* As the port's unprivileged creator: reads and changes the descriptor, on the fd and by name. */
static int owner_main(void *p)
{
	const struct sd_job *j = p;
	struct alpc_security sd, got;
	int port;

	port = alpc_create_port_mode(j->fd, j->name, NULL, 0, 0);
	if (port < 0)
		return CHILD_FAIL("create");
	if (alpc_get_security(port, NULL, &sd))
		return CHILD_FAIL("GET on the fd");
	if (sd.uid != geteuid() || sd.gid != getegid() || sd.mode != 0600 || sd.count)
		return CHILD_FAIL("a new port's descriptor");
	sd.mode = 0660;
	sd_add(&sd, ALPC_ACE_ALLOW_UID, UID_A);
	sd_add(&sd, ALPC_ACE_DENY_GID, GID_Z);
	if (alpc_set_security(port, NULL, &sd))
		return CHILD_FAIL("SET on the fd");
	if (alpc_get_security(j->fd, j->name, &got))
		return CHILD_FAIL("GET by name");
	if (memcmp(&sd, &got, sizeof(sd)))
		return CHILD_FAIL("GET returns what SET gave");
	sd_init(&sd, geteuid(), getegid(), 0640);
	if (alpc_set_security(j->fd, j->name, &sd))
		return CHILD_FAIL("SET by name");
	if (alpc_get_security(port, NULL, &got) || memcmp(&sd, &got, sizeof(sd)))
		return CHILD_FAIL("GET returns what SET by name gave");
	close(port);
	return 0;
}

/* An unprivileged owner reads and changes its port's descriptor. */
TEST_F(sec, unprivileged_owner_manages_its_descriptor)
{
	struct who b = who_ids(UID_B, GID_B);
	struct sd_job j = { self->dev, self->name, -1 };

	EXPECT_EQ(0, run_as(&b, owner_main, &j));
}

/* As the owner: giving the port away fails and changes nothing; a mode change works. */
static int give_away_main(void *p)
{
	const struct sd_job *j = p;
	struct alpc_security sd, got, before;

	if (alpc_get_security(j->fd, NULL, &before))
		return CHILD_FAIL("the owner's GET");
	sd = before;
	sd.uid = UID_C;
	if (!failed_with(alpc_set_security(j->fd, NULL, &sd), EPERM))
		return CHILD_FAIL("a SET giving the port to another uid is EPERM");
	sd.uid = 0;
	if (!failed_with(alpc_set_security(j->fd, NULL, &sd), EPERM))
		return CHILD_FAIL("a SET giving the port to root is EPERM");
	if (alpc_get_security(j->fd, NULL, &got) || memcmp(&got, &before, sizeof(got)))
		return CHILD_FAIL("the refused SETs changed nothing");
	sd = before;
	sd.mode = 0640;
	if (alpc_set_security(j->fd, NULL, &sd))
		return CHILD_FAIL("the owner changes the mode");
	return 0;
}

static int former_owner_main(void *p)
{
	const struct sd_job *j = p;
	struct alpc_security sd;

	if (!failed_with(alpc_get_security(j->fd, NULL, &sd), EPERM))
		return CHILD_FAIL("the former owner's GET is EPERM");
	return 0;
}

/* The owner cannot give its port away; CAP_SYS_ADMIN can, as chown. */
TEST_F(sec, owner_cannot_give_port_away_root_can)
{
	struct who b = who_ids(UID_B, GID_B);
	struct sd_job j = { -1, NULL, -1 };
	struct alpc_security sd;

	self->port = create_port_as(self->dev, self->name, 0600, UID_B, GID_B);
	ASSERT_LE(0, self->port);
	j.fd = self->port;
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &sd));
	EXPECT_EQ(UID_B, sd.uid);
	EXPECT_EQ(GID_B, sd.gid);

	EXPECT_EQ(0, run_as(&b, give_away_main, &j));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(UID_B, sd.uid);
	EXPECT_EQ(0640, sd.mode);

	/* Root, not the owner, gives it on. */
	sd.uid = UID_C;
	ASSERT_EQ(0, alpc_set_security(self->dev, self->name, &sd)) {
		TH_LOG("root's SET of a new owner: %s", strerror(errno));
	}
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(UID_C, sd.uid);
	EXPECT_EQ(0, run_as(&b, former_owner_main, &j));
}

/* CAP_SYS_ADMIN changes owner and group of its own port too, to any ids. */
TEST_F(sec, root_owner_can_give_its_port_away)
{
	struct alpc_security sd;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0600));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	ASSERT_EQ(geteuid(), sd.uid);
	/* A group root is not in. */
	sd.gid = GID_X;
	EXPECT_EQ(0, alpc_set_security(self->port, NULL, &sd)) {
		TH_LOG("the owner's SET of a group it is not in: %s", strerror(errno));
	}
	sd.uid = UID_B;
	sd.gid = GID_B;
	ASSERT_EQ(0, alpc_set_security(self->port, NULL, &sd)) {
		TH_LOG("the owner's SET of a new owner: %s", strerror(errno));
	}
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(UID_B, sd.uid);
	EXPECT_EQ(GID_B, sd.gid);
}

/* As the owner: gid changes to its egid or a supplementary group only. */
static int gid_change_main(void *p)
{
	const struct sd_job *j = p;
	struct alpc_security sd, got;

	if (alpc_get_security(j->fd, NULL, &sd))
		return CHILD_FAIL("the owner's GET");
	sd.gid = GID_Z;
	if (alpc_set_security(j->fd, NULL, &sd))
		return CHILD_FAIL("gid to a supplementary group");
	sd.gid = getegid();
	if (alpc_set_security(j->fd, NULL, &sd))
		return CHILD_FAIL("gid to the egid");
	sd.gid = GID_X;
	if (!failed_with(alpc_set_security(j->fd, NULL, &sd), EPERM))
		return CHILD_FAIL("gid to a group the owner is not in is EPERM");
	sd.gid = 0;
	if (!failed_with(alpc_set_security(j->fd, NULL, &sd), EPERM))
		return CHILD_FAIL("gid back to root's group is EPERM");
	if (alpc_get_security(j->fd, NULL, &got) || got.gid != getegid())
		return CHILD_FAIL("the refused SETs changed nothing");
	return 0;
}

/* The owner may set the gid to its egid or one of its groups, and to no other group. */
TEST_F(sec, owner_gid_change_limited_to_its_groups)
{
	struct who b = { UID_B, UID_B, GID_B, 1, { GID_Z } };
	struct sd_job j = { -1, NULL, -1 };
	struct alpc_security sd;

	self->port = create_port_as(self->dev, self->name, 0600, UID_B, 0);
	ASSERT_LE(0, self->port);
	j.fd = self->port;
	EXPECT_EQ(0, run_as(&b, gid_change_main, &j));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(GID_B, sd.gid);
}

/* Spoils descriptor @sd, which has one entry, in way @i; false when there are no more ways. */
static bool spoil_sd(struct alpc_security *sd, unsigned int i)
{
	switch (i) {
	case 0:
		sd->mode = 01000;
		break;
	case 1:
		sd->mode = 0600 | 1U << 31;
		break;
	case 2:
		sd->count = ALPC_ACL_MAX + 1;
		break;
	case 3:
		sd->count = 0xffffffff;
		break;
	case 4:
		sd->acl[0].type = 0;
		break;
	case 5:
		sd->acl[0].type = ALPC_ACE_DENY_GID + 1;
		break;
	case 6:
		sd->acl[0].type = 0xffffffff;
		break;
	case 7:
		/* Entries past count must be 0. */
		sd->acl[1].type = ALPC_ACE_ALLOW_UID;
		sd->acl[1].id = UID_B;
		break;
	case 8:
		sd->acl[1].id = UID_B;
		break;
	case 9:
		sd->acl[ALPC_ACL_MAX - 1].type = ALPC_ACE_DENY_UID;
		break;
	case 10:
		sd->reserved[0] = 1;
		break;
	case 11:
		sd->reserved[1] = 1ULL << 63;
		break;
	/* Ids with no mapping: (uid_t)-1 is never a valid id. */
	case 12:
		sd->uid = (uid_t)-1;
		break;
	case 13:
		sd->gid = (gid_t)-1;
		break;
	case 14:
		sd->acl[0].id = (uid_t)-1;
		break;
	case 15:
		sd->acl[0].type = ALPC_ACE_DENY_GID;
		sd->acl[0].id = (gid_t)-1;
		break;
	default:
		return false;
	}
	return true;
}

/* A bad descriptor, or bad fields of the call, fail with EINVAL and change nothing. */
TEST_F(sec, bad_descriptor_is_einval_and_changes_nothing)
{
	static const struct alpc_ace allow_a[] = { { ALPC_ACE_ALLOW_UID, UID_A } };
	struct alpc_security before, after, sd;
	struct alpc_port_security ps;
	unsigned int i, cmd;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0640));
	ASSERT_EQ(0, set_acl(self->port, 0640, allow_a, 1));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	ASSERT_EQ(1, before.count);

	for (i = 0; ; i++) {
		sd = before;
		if (!spoil_sd(&sd, i))
			break;
		ASSERT_EQ(-1, alpc_set_security(self->port, NULL, &sd)) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %u", i);
		}
		ASSERT_EQ(-1, alpc_set_security(self->dev, self->name, &sd));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %u, by name", i);
		}
		ASSERT_EQ(0, alpc_get_security(self->port, NULL, &after));
		ASSERT_EQ(0, memcmp(&before, &after, sizeof(before))) {
			TH_LOG("case %u changed the descriptor", i);
		}
	}

	for (cmd = 0; cmd < 2; cmd++) {
		unsigned long req = cmd ? ALPC_IOC_SET_SECURITY : ALPC_IOC_GET_SECURITY;

		for (i = 0; i < 6; i++) {
			int fd = self->dev;

			memset(&ps, 0, sizeof(ps));
			snprintf(ps.name, sizeof(ps.name), "%s", self->name);
			ps.sd = before;
			ps.sd.mode = 0666;
			if (i == 0) {
				ps.flags = 1;
			} else if (i == 1) {
				ps.reserved = 1;
			} else if (i == 2) {
				fd = self->port;	/* a name given on the port's fd */
			} else if (i == 3) {
				memset(ps.name, 0, sizeof(ps.name));	/* no name on /dev/alpc */
			} else if (i == 4) {
				memset(ps.name, 'u', sizeof(ps.name));	/* unterminated */
			} else {
				fd = self->port;
				ps.flags = 1U << 31;
				memset(ps.name, 0, sizeof(ps.name));
			}
			if (!cmd)
				memset(&ps.sd, 0, sizeof(ps.sd));
			ASSERT_EQ(-1, ioctl(fd, req, &ps)) {
				TH_LOG("%s case %u", cmd ? "SET" : "GET", i);
			}
			EXPECT_EQ(EINVAL, errno) {
				TH_LOG("%s case %u", cmd ? "SET" : "GET", i);
			}
			if (!cmd) {
				EXPECT_EQ(0, ps.sd.mode);
				EXPECT_EQ(0, ps.sd.count);
			}
		}
	}
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/* A name no port has fails with ENOENT, for GET and SET. */
TEST_F(sec, unknown_name_is_enoent)
{
	struct alpc_security sd;
	char name[ALPC_NAME_MAX];

	alpc_port_name(name, "nobody");
	ASSERT_EQ(-1, alpc_get_security(self->dev, name, &sd));
	EXPECT_EQ(ENOENT, errno);
	sd_init(&sd, 0, 0, 0666);
	ASSERT_EQ(-1, alpc_set_security(self->dev, name, &sd));
	EXPECT_EQ(ENOENT, errno);

	/* Nor does a closed port's name lead anywhere. */
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, alpc_get_security(self->dev, self->name, &sd));
	close(self->port);
	self->port = -EBADF;
	ASSERT_EQ(-1, alpc_get_security(self->dev, self->name, &sd));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, alpc_set_security(self->dev, self->name, &sd));
	EXPECT_EQ(ENOENT, errno);
}

/* Communication ports have no descriptor: GET and SET on them fail with ENOTTY. */
TEST_F(sec, communication_port_is_enotty)
{
	struct alpc_security before, sd;
	int client, comm = -1;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	client = alpc_connect_accept(self->dev, self->port, self->name, 1,
				     ALPC_ACCEPT_COMM_PORT, &comm, NULL);
	ASSERT_LE(0, client);
	ASSERT_LE(0, comm);
	sd_init(&sd, 0, 0, 0666);
	ASSERT_EQ(-1, alpc_get_security(client, NULL, &sd));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_set_security(client, NULL, &sd));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_get_security(comm, NULL, &sd));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, alpc_set_security(comm, NULL, &sd));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(0, memcmp(&before, &sd, sizeof(sd)));
	close(comm);
	close(client);
}

/* Arguments that cannot be read, or written back, fail with EFAULT and change nothing. */
TEST_F(sec, bad_pointer_is_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct alpc_security before, sd;
	struct alpc_port_security *ps;
	void *none, *ro;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &before));
	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_GET_SECURITY, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_SET_SECURITY, NULL));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_GET_SECURITY, none));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_SET_SECURITY, none));
	EXPECT_EQ(EFAULT, errno);

	/* Readable, holding a good request, but not writable: GET cannot answer. */
	ro = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ps = ro;
	memset(ps, 0, sizeof(*ps));
	snprintf(ps->name, sizeof(ps->name), "%s", self->name);
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_GET_SECURITY, ps));
	EXPECT_EQ(EFAULT, errno);

	/* A good SET (mode 0666) that runs off the end of the readable memory. */
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, mprotect((char *)ro + page, page, PROT_NONE));
	ps = (void *)((char *)ro + page - offsetof(struct alpc_port_security, sd.acl));
	memset(ps, 0, offsetof(struct alpc_port_security, sd.acl));
	/* The memory ends where the entries begin. */
	ps->sd.uid = before.uid;
	ps->sd.gid = before.gid;
	ps->sd.mode = 0666;
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_SET_SECURITY, ps));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	EXPECT_EQ(0, memcmp(&before, &sd, sizeof(sd)));
	munmap(ro, 2 * page);
	munmap(none, page);
}

/*
 * Name squatting
 * ==============
 */

struct squatter {
	int dev;
	const char *name;
	struct gate ready;
	struct gate go;
};

/* Takes the name first, open to all, and checks that nothing reached it. */
static int squatter_main(void *p)
{
	struct squatter *s = p;
	struct alpc_msg_info info;
	int port;

	port = alpc_create_port_mode(s->dev, s->name, NULL, 0, 0666);
	if (port < 0)
		return CHILD_FAIL("create");
	if (gate_pass(&s->ready) || gate_wait(&s->go))
		return CHILD_FAIL("sync");
	if (!failed_with(alpc_recv(port, NULL, 0, 0, &info), EAGAIN))
		return CHILD_FAIL("nothing reached the squatter");
	close(port);
	return 0;
}

/* A client that names the owner it expects is not fooled by a squatter that took the name. */
TEST_F(sec, server_uid_defeats_name_squatter)
{
	struct squatter sq = { self->dev, self->name };
	struct who a = who_ids(UID_A, GID_A), b = who_ids(UID_B, GID_B);
	struct alpc_security sd;
	struct alpc_connect c;
	struct attempt at;
	struct outcome o;
	pid_t pid;

	ASSERT_EQ(0, gate_open(&sq.ready));
	ASSERT_EQ(0, gate_open(&sq.go));
	pid = fork_as(&b, squatter_main, &sq);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, gate_wait(&sq.ready));

	/* The client wants root's service, and finds the squatter's port under its name. */
	attempt_init(&at, self->dev, self->name, &a);
	at.flags = ALPC_CONNECT_SERVER_UID;
	at.server_uid = 0;
	try_connect(-1, &at, &o);
	EXPECT_EQ(EPERM, o.err);
	/* Root's own connect is no different. */
	alpc_connect_init(&c, self->name, NULL, 0, ALPC_WAIT_NS);
	c.flags = ALPC_CONNECT_SERVER_UID;
	c.server_uid = 0;
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, gate_pass(&sq.go));
	EXPECT_EQ(0, alpc_wait_child(pid));

	/* The real owner's port, under the name the squatter gave up. */
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0666));
	try_connect(self->port, &at, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(1, o.requests);
	EXPECT_EQ(UID_A, o.info.uid);
	at.server_uid = UID_B;
	try_connect(self->port, &at, &o);
	EXPECT_EQ(EPERM, o.err);
	EXPECT_EQ(0, o.requests);

	/* The check follows the owner the descriptor names now. */
	close(self->port);
	self->port = create_port_as(self->dev, self->name, 0666, UID_B, GID_B);
	ASSERT_LE(0, self->port);
	try_connect(self->port, &at, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(1, o.requests);
	ASSERT_EQ(0, alpc_get_security(self->port, NULL, &sd));
	sd.uid = 0;
	ASSERT_EQ(0, alpc_set_security(self->port, NULL, &sd));
	at.server_uid = 0;
	try_connect(self->port, &at, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(1, o.requests);
	at.server_uid = UID_B;
	try_connect(self->port, &at, &o);
	EXPECT_EQ(EPERM, o.err);
	EXPECT_EQ(0, o.requests);
	gate_close(&sq.ready);
	gate_close(&sq.go);
}

/* A server_uid that names no user fails with EINVAL, and the server sees nothing. */
TEST_F(sec, unmapped_server_uid_is_einval)
{
	struct alpc_msg_info info;
	struct alpc_connect c;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	alpc_connect_init(&c, self->name, NULL, 0, ALPC_WAIT_NS);
	c.flags = ALPC_CONNECT_SERVER_UID;
	c.server_uid = (uid_t)-1;
	ASSERT_EQ(-1, ioctl(self->dev, ALPC_IOC_CONNECT, &c));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * Credentials that change after connect
 * =====================================
 */

static int change_nothing(void)
{
	return 0;
}

static int change_uid(void)
{
	return setresuid(UID_A, UID_A, UID_A);
}

static int change_groups(void)
{
	gid_t g = GID_Y;

	return setgroups(1, &g);
}

static int change_euid_and_back(void)
{
	return seteuid(UID_A) || seteuid(0) ? -1 : 0;
}

static int change_fsuid(void)
{
	setfsuid(UID_A);
	return setfsuid(-1) == UID_A ? 0 : -1;
}

static int change_egid(void)
{
	return setresgid(-1, GID_X, -1);
}

static int change_saved_uid(void)
{
	return setresuid(-1, -1, UID_A);
}

static int change_real_gid(void)
{
	return setresgid(GID_X, -1, -1);
}

FIXTURE(cred) {
	int dev;
	int port;
	char name[ALPC_NAME_MAX];
};

/* A change a client makes between two messages, and what the second one must show. */
FIXTURE_VARIANT(cred) {
	int (*change)(void);
	bool changed;		/* ALPC_MSGF_CRED_CHANGED expected */
	uid_t uid;		/* the effective ids expected, -1: unchanged */
	gid_t gid;
};

FIXTURE_VARIANT_ADD(cred, nothing) {
	.change = change_nothing, .changed = false, .uid = -1, .gid = -1,
};

FIXTURE_VARIANT_ADD(cred, setresuid) {
	.change = change_uid, .changed = true, .uid = UID_A, .gid = -1,
};

FIXTURE_VARIANT_ADD(cred, setgroups_alone) {
	.change = change_groups, .changed = true, .uid = -1, .gid = -1,
};

/* The same ids again, in a new struct cred: nothing changed. */
FIXTURE_VARIANT_ADD(cred, seteuid_and_back) {
	.change = change_euid_and_back, .changed = false, .uid = -1, .gid = -1,
};

FIXTURE_VARIANT_ADD(cred, setfsuid_alone) {
	.change = change_fsuid, .changed = true, .uid = -1, .gid = -1,
};

FIXTURE_VARIANT_ADD(cred, setegid_alone) {
	.change = change_egid, .changed = true, .uid = -1, .gid = GID_X,
};

FIXTURE_VARIANT_ADD(cred, saved_uid_alone) {
	.change = change_saved_uid, .changed = true, .uid = -1, .gid = -1,
};

FIXTURE_VARIANT_ADD(cred, real_gid_alone) {
	.change = change_real_gid, .changed = true, .uid = -1, .gid = -1,
};

FIXTURE_SETUP(cred)
{
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "cred");
	ASSERT_EQ(0, geteuid());
	self->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->port);
}

FIXTURE_TEARDOWN(cred)
{
	if (self->port >= 0)
		close(self->port);
	if (self->dev >= 0)
		close(self->dev);
}

struct cred_job {
	int dev;
	const char *name;
	int (*change)(void);
	struct gate done;
};

/* Connects, sends "before", changes its credentials, sends "after". */
static int cred_client_main(void *p)
{
	struct cred_job *j = p;
	int fd;

	fd = alpc_connect(j->dev, j->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("connect");
	if (alpc_datagram(fd, "before", 6, NULL))
		return CHILD_FAIL("send before the change");
	if (j->change())
		return CHILD_FAIL("change credentials");
	if (alpc_datagram(fd, "after", 5, NULL))
		return CHILD_FAIL("send after the change");
	if (gate_wait(&j->done))
		return CHILD_FAIL("sync");
	close(fd);
	return 0;
}

/*
 * A client that connected as root and then changes its credentials: each
 * message carries its effective ids at send time, and ALPC_MSGF_CRED_CHANGED
 * exactly when its ids or groups differ from those at connect.
 */
TEST_F(cred, message_shows_change_since_connect)
{
	struct cred_job j = { self->dev, self->name, variant->change };
	uid_t uid = variant->uid == (uid_t)-1 ? geteuid() : variant->uid;
	gid_t gid = variant->gid == (gid_t)-1 ? getegid() : variant->gid;
	struct alpc_msg_info info;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, gate_open(&j.done));
	pid = alpc_spawn(cred_client_main, &j);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 1, NULL, 0));

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_STREQ("before", buf);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
	EXPECT_EQ(pid, info.pid);

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_STREQ("after", buf);
	EXPECT_EQ(variant->changed ? ALPC_MSGF_CRED_CHANGED : 0,
		  info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(uid, info.uid);
	EXPECT_EQ(gid, info.gid);
	EXPECT_EQ(pid, info.pid);
	ASSERT_EQ(0, gate_pass(&j.done));
	EXPECT_EQ(0, alpc_wait_child(pid));
	gate_close(&j.done);
}

/* A server process that replies after a setuid(): the client sees the flag too. */
static int server_setuid_reply_main(void *p)
{
	const __u64 *ids = p;	/* port fd, request id */

	if (setresuid(UID_A, UID_A, UID_A))
		return CHILD_FAIL("setresuid");
	if (alpc_reply((int)ids[0], ids[1], "changed", 7))
		return CHILD_FAIL("reply after the change");
	return 0;
}

/* The server's messages are judged against its credentials at accept. */
TEST_F(sec, server_cred_change_after_accept_is_flagged)
{
	struct alpc_msg_info info;
	__u64 id, args[2];
	char buf[16];
	int client;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);

	/* A reply from the server as it was at accept. */
	ASSERT_EQ(0, alpc_request(client, "q1", 2, &id));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(id, info.id);
	ASSERT_EQ(0, alpc_reply(self->port, id, "same", 4));
	ASSERT_EQ(0, alpc_recv(client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(geteuid(), info.uid);

	/* A reply from a process of the server that dropped to another uid. */
	ASSERT_EQ(0, alpc_request(client, "q2", 2, &id));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(id, info.id);
	args[0] = self->port;
	args[1] = id;
	EXPECT_EQ(0, alpc_wait_child(alpc_spawn(server_setuid_reply_main, args)));
	ASSERT_EQ(0, alpc_recv(client, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(id, info.ref_id);
	EXPECT_EQ(ALPC_MSGF_CRED_CHANGED, info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(UID_A, info.uid);
	close(client);
}

/* The helper run by execve(): sends "exec" on @fd, then waits at @wait_fd. */
static int exec_helper(int fd, int wait_fd)
{
	struct pollfd pfd = { .fd = wait_fd, .events = POLLIN };

	if (alpc_datagram(fd, "exec", 4, NULL))
		return 1;
	return poll(&pfd, 1, 10000) == 1 ? 0 : 2;
}

#define EXEC_HELPER_ENV	"ALPC_SECURITY_TEST_EXEC_HELPER"

/* Before main: this binary, run with EXEC_HELPER_ENV set, is the helper. */
static void __attribute__((constructor)) exec_helper_hook(void)
{
	const char *arg = getenv(EXEC_HELPER_ENV);
	int fd, wait_fd;

	if (arg && sscanf(arg, "%d,%d", &fd, &wait_fd) == 2)
		_exit(exec_helper(fd, wait_fd));
}

struct exec_job {
	int dev;
	const char *name;
	const char *path;	/* the program to run */
	struct gate done;
};

/* Connects with an inheritable fd, sends "before", then execs the helper. */
static int exec_client_main(void *p)
{
	struct exec_job *j = p;
	char env[64], *envp[] = { env, NULL };
	struct alpc_connect c;
	int fd, wait_fd;

	alpc_connect_init(&c, j->name, NULL, 0, ALPC_WAIT_NS);
	c.flags = ALPC_FD_INHERIT;
	fd = ioctl(j->dev, ALPC_IOC_CONNECT, &c);
	if (fd < 0)
		return CHILD_FAIL("connect");
	if (alpc_datagram(fd, "before", 6, NULL))
		return CHILD_FAIL("send before execve");
	wait_fd = dup(j->done.r);	/* without O_CLOEXEC */
	snprintf(env, sizeof(env), "%s=%d,%d", EXEC_HELPER_ENV, fd, wait_fd);
	execle(j->path, j->path, (char *)NULL, envp);
	return CHILD_FAIL("execle");
}

/* Runs exec_client_main() on @path; checks the two messages and returns the "exec" one's info. */
static void run_exec_client(struct __test_metadata *_metadata, int dev, int port,
			    const char *name, const char *path, struct alpc_msg_info *out)
{
	struct exec_job j = { dev, name, path };
	struct alpc_msg_info info;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, gate_open(&j.done));
	pid = alpc_spawn(exec_client_main, &j);
	ASSERT_LT(0, pid);
	accept_next(_metadata, port, 1, &info);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_STREQ("before", buf);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, alpc_recv(port, buf, sizeof(buf), ALPC_WAIT_NS, out));
	ASSERT_STREQ("exec", buf);
	EXPECT_EQ(pid, out->pid);
	ASSERT_EQ(0, gate_pass(&j.done));
	EXPECT_EQ(0, alpc_wait_child(pid));
	gate_close(&j.done);
}

/* An execve() of a plain program commits new credentials with the same ids: no flag. */
TEST_F(sec, execve_of_plain_program_is_not_cred_changed)
{
	struct alpc_msg_info info;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	run_exec_client(_metadata, self->dev, self->port, self->name, "/proc/self/exe", &info);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
}

/* Copies this test binary to @path. */
static int copy_self(const char *path, mode_t mode)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			ret = -1;
	if (n < 0)
		ret = -1;
	close(in);
	if (close(out))
		ret = -1;
	return ret;
}

/* An execve() of a set-user-ID program changes the effective uid: the flag is set. */
TEST_F(sec, execve_of_setuid_program_is_cred_changed)
{
	struct alpc_msg_info info;
	struct statvfs st;
	char path[64];

	if (statvfs("/tmp", &st) || st.f_flag & ST_NOSUID)
		SKIP(return, "no set-user-ID programs on /tmp");
	snprintf(path, sizeof(path), "/tmp/alpc-suid-%d", getpid());
	ASSERT_EQ(0, copy_self(path, 0700));
	ASSERT_EQ(0, chown(path, UID_A, GID_A));
	ASSERT_EQ(0, chmod(path, 04755));
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	run_exec_client(_metadata, self->dev, self->port, self->name, path, &info);
	unlink(path);
	EXPECT_EQ(ALPC_MSGF_CRED_CHANGED, info.flags & ALPC_MSGF_CRED_CHANGED);
	EXPECT_EQ(UID_A, info.uid);
	EXPECT_EQ(getegid(), info.gid);
}

/*
 * Pidfds
 * ======
 */

/* Connects to @name registering @pidfd; returns the client's fd or -1. */
static int connect_pidfd(int dev, const char *name, int pidfd, __s64 timeout_ns)
{
	struct alpc_connect c;

	alpc_connect_init(&c, name, NULL, 0, timeout_ns);
	c.flags = ALPC_CONNECT_PIDFD;
	c.pidfd = pidfd;
	return ioctl(dev, ALPC_IOC_CONNECT, &c);
}

/*
 * RECV (of up to 64 bytes) with ALPC_RECV_PIDFD; *@pidfd gets extra.pidfd,
 * preset to a value the kernel must overwrite.
 */
static int recv_pidfd(int fd, struct alpc_msg_info *info, int *pidfd)
{
	struct alpc_recv_extra ex;
	char buf[64];
	int ret;

	memset(&ex, 0, sizeof(ex));
	ex.pidfd = -100;
	ret = alpc_recv_extra(fd, ALPC_RECV_PIDFD, buf, sizeof(buf), ALPC_WAIT_NS, &ex, info);
	*pidfd = ex.pidfd;
	return ret;
}

struct pidfd_job {
	int dev;
	const char *name;
	bool stay;		/* wait at @done before exiting */
	struct gate done;
};

/* Connects registering its own pidfd, which it closes, then sends a datagram. */
static int pidfd_client_main(void *p)
{
	struct pidfd_job *j = p;
	int pidfd, fd;

	pidfd = alpc_pidfd_open(getpid());
	if (pidfd < 0)
		return CHILD_FAIL("pidfd_open");
	fd = connect_pidfd(j->dev, j->name, pidfd, ALPC_WAIT_NS);
	if (fd < 0)
		return CHILD_FAIL("connect");
	/* The connection holds its own reference. */
	close(pidfd);
	if (alpc_datagram(fd, "mine", 4, NULL))
		return CHILD_FAIL("send");
	if (j->stay && gate_wait(&j->done))
		return CHILD_FAIL("sync");
	return 0;
}

/* A client that registered its pidfd: the server gets a working pidfd of it with its message. */
TEST_F(sec, pidfd_of_registered_client_is_delivered)
{
	struct pidfd_job j = { self->dev, self->name, true };
	struct alpc_msg_info info;
	int pidfd;
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, gate_open(&j.done));
	pid = alpc_spawn(pidfd_client_main, &j);
	ASSERT_LT(0, pid);
	accept_next(_metadata, self->port, 1, &info);
	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(ALPC_MSGF_PIDFD, info.flags & ALPC_MSGF_PIDFD);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(0, alpc_pidfd_send_signal(pidfd, 0));
	EXPECT_EQ(pid, fdinfo_pid(pidfd));
	ASSERT_EQ(0, gate_pass(&j.done));
	EXPECT_EQ(0, alpc_wait_child(pid));
	/* Gone and reaped: the pidfd says so. */
	EXPECT_EQ(-1, alpc_pidfd_send_signal(pidfd, 0));
	EXPECT_EQ(ESRCH, errno);
	close(pidfd);
	gate_close(&j.done);
}

static int send_datagram_main(void *p)
{
	const int *fd = p;

	return alpc_datagram(*fd, "other", 5, NULL) ? CHILD_FAIL("send") : 0;
}

/* Messages from another process on the connection, or of an unregistered client, have no pidfd. */
TEST_F(sec, pidfd_only_for_the_registered_process)
{
	struct alpc_msg_info info;
	struct alpc_connect con;
	struct alpc_call call;
	int mine, client, other, pidfd;
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	mine = alpc_pidfd_open(getpid());
	ASSERT_LE(0, mine);
	alpc_connect_init(&con, self->name, NULL, 0, ALPC_WAIT_NS);
	con.flags = ALPC_CONNECT_PIDFD;
	con.pidfd = mine;
	ASSERT_EQ(0, alpc_call_start(&call, self->dev, ALPC_IOC_CONNECT, &con));
	accept_next(_metadata, self->port, 1, &info);
	client = alpc_call_join(&call);
	ASSERT_LE(0, client);

	ASSERT_EQ(0, alpc_datagram(client, "self", 4, NULL));
	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(ALPC_MSGF_PIDFD, info.flags & ALPC_MSGF_PIDFD);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(getpid(), fdinfo_pid(pidfd));
	close(pidfd);

	/* A child sharing the connection is not the process that registered. */
	pid = alpc_spawn(send_datagram_main, &client);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, alpc_wait_child(pid));
	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_PIDFD);
	EXPECT_EQ(-1, pidfd);

	/* A client that registered none. */
	other = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, alpc_datagram(other, "none", 4, NULL));
	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(2, info.port_context);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_PIDFD);
	EXPECT_EQ(-1, pidfd);

	/* A kernel notification. */
	close(client);
	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_PIDFD);
	EXPECT_EQ(-1, pidfd);
	close(other);
	close(mine);
}

/* Waits at @p (a gate), for the tests that need a process to point at. */
static int wait_gate_main(void *p)
{
	return gate_wait(p) ? 1 : 0;
}

struct pidfd_connect {
	int dev;
	const char *name;
	int pidfd;
};

/* Exits with the errno of a connect registering j->pidfd, or 0. */
static int connect_pidfd_main(void *p)
{
	struct pidfd_connect *j = p;

	return connect_pidfd(j->dev, j->name, j->pidfd, ALPC_WAIT_NS) < 0 ? errno : 0;
}

/* A pidfd of another process fails with EINVAL, and the server sees nothing. */
TEST_F(sec, connect_pidfd_of_other_process_is_einval)
{
	struct pidfd_connect j;
	struct alpc_msg_info info;
	int theirs, ours;
	struct gate g;
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, gate_open(&g));
	pid = alpc_spawn(wait_gate_main, &g);
	ASSERT_LT(0, pid);
	theirs = alpc_pidfd_open(pid);
	ASSERT_LE(0, theirs);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, theirs, ALPC_WAIT_NS));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, gate_pass(&g));
	EXPECT_EQ(0, alpc_wait_child(pid));

	/* Nor the other way round: a child passing its parent's pidfd. */
	ours = alpc_pidfd_open(getpid());
	ASSERT_LE(0, ours);
	j.dev = self->dev;
	j.name = self->name;
	j.pidfd = ours;
	pid = alpc_spawn(connect_pidfd_main, &j);
	ASSERT_LT(0, pid);
	EXPECT_EQ(EINVAL, alpc_wait_child(pid));
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	close(ours);
	close(theirs);
	gate_close(&g);
}

/* An fd that is not a pidfd fails with EINVAL, and the server sees nothing. */
TEST_F(sec, connect_pidfd_not_a_pidfd_is_einval)
{
	struct alpc_msg_info info;
	int null, p[2];

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, null, ALPC_WAIT_NS));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, p[0], ALPC_WAIT_NS));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, self->port, ALPC_WAIT_NS));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, self->dev, ALPC_WAIT_NS));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
	close(p[0]);
	close(p[1]);
	close(null);
}

/* A pidfd number that is not an open fd fails with EBADF, and the server sees nothing. */
TEST_F(sec, connect_pidfd_closed_fd_is_ebadf)
{
	struct alpc_msg_info info;
	int fd;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	fd = alpc_pidfd_open(getpid());
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, fd, ALPC_WAIT_NS));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, connect_pidfd(self->dev, self->name, -1, ALPC_WAIT_NS));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, alpc_recv(self->port, NULL, 0, 0, &info));
	EXPECT_EQ(EAGAIN, errno);
}

/* ACCEPT with a pidfd not the server's own fails, and the request stays pending. */
TEST_F(sec, accept_bad_pidfd_fails_and_request_stays_pending)
{
	struct alpc_connector c;
	struct alpc_msg_info info;
	struct alpc_accept a;
	int theirs, null, closed, mine, fd;
	struct gate g;
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, gate_open(&g));
	pid = alpc_spawn(wait_gate_main, &g);
	ASSERT_LT(0, pid);
	theirs = alpc_pidfd_open(pid);
	ASSERT_LE(0, theirs);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null);
	mine = alpc_pidfd_open(getpid());
	ASSERT_LE(0, mine);
	/* The last fd opened, so that no other takes its number. */
	closed = dup(null);
	ASSERT_LE(0, closed);
	close(closed);

	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	memset(&a, 0, sizeof(a));
	a.id = info.id;
	a.flags = ALPC_ACCEPT_PIDFD;
	a.pidfd = theirs;
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(EINVAL, errno);
	a.pidfd = null;
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(EINVAL, errno);
	a.pidfd = closed;
	ASSERT_EQ(-1, ioctl(self->port, ALPC_IOC_ACCEPT, &a));
	EXPECT_EQ(EBADF, errno);
	EXPECT_TRUE(alpc_call_still_waits(&c.call, 50));
	a.pidfd = mine;
	ASSERT_EQ(0, ioctl(self->port, ALPC_IOC_ACCEPT, &a));
	fd = alpc_connector_join(&c);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, gate_pass(&g));
	EXPECT_EQ(0, alpc_wait_child(pid));
	close(mine);
	close(null);
	close(theirs);
	gate_close(&g);
}

/* A server that registered its pidfd at accept: the client gets it with replies. */
TEST_F(sec, accept_pidfd_reaches_client)
{
	struct alpc_recv_extra ex;
	struct alpc_send_wait sw;
	struct alpc_connector c;
	struct alpc_msg_info info;
	struct alpc_accept a;
	struct alpc_call call;
	int mine, client, pidfd;
	char reply[8];
	__u64 id;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	mine = alpc_pidfd_open(getpid());
	ASSERT_LE(0, mine);
	ASSERT_EQ(0, alpc_connector_start(&c, self->dev, self->name, NULL, 0, ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	memset(&a, 0, sizeof(a));
	a.id = info.id;
	a.flags = ALPC_ACCEPT_PIDFD;
	a.pidfd = mine;
	ASSERT_EQ(0, ioctl(self->port, ALPC_IOC_ACCEPT, &a));
	client = alpc_connector_join(&c);
	ASSERT_LE(0, client);
	close(mine);

	ASSERT_EQ(0, alpc_request(client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(self->port, reply, sizeof(reply), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->port, id, "a", 1));
	ASSERT_EQ(0, recv_pidfd(client, &info, &pidfd));
	EXPECT_EQ(ALPC_MSG_REPLY, info.type);
	EXPECT_EQ(ALPC_MSGF_PIDFD, info.flags & ALPC_MSGF_PIDFD);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(getpid(), fdinfo_pid(pidfd));
	EXPECT_EQ(0, alpc_pidfd_send_signal(pidfd, 0));
	close(pidfd);

	/* The same for the reply SEND_WAIT receives. */
	memset(&ex, 0, sizeof(ex));
	ex.pidfd = -100;
	alpc_send_wait_init(&sw, "w", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	sw.flags = ALPC_RECV_PIDFD;
	sw.extra = (__u64)(unsigned long)&ex;
	ASSERT_EQ(0, alpc_call_start(&call, client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->port, reply, sizeof(reply), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, alpc_reply(self->port, info.id, "b", 1));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(ALPC_MSGF_PIDFD, sw.reply.flags & ALPC_MSGF_PIDFD);
	ASSERT_LE(0, ex.pidfd);
	EXPECT_EQ(getpid(), fdinfo_pid(ex.pidfd));
	close(ex.pidfd);
	close(client);
}

/*
 * Forks a child that waits at @g, with pid @want: ns_last_pid (CAP_SYS_ADMIN)
 * names the pid before the one the next fork gets. Returns the child's pid,
 * or -1 if no fork got @want.
 */
static pid_t fork_with_pid(pid_t want, struct gate *g)
{
	char buf[16];
	int i, fd, len;
	pid_t pid;

	for (i = 0; i < 100; i++) {
		fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		len = snprintf(buf, sizeof(buf), "%d", want - 1);
		if (write(fd, buf, len) != len) {
			close(fd);
			return -1;
		}
		close(fd);
		pid = alpc_spawn(wait_gate_main, g);
		if (pid == want || pid < 0)
			return pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

/*
 * The pidfd names the process that sent, even once it is dead and a new
 * process has its pid: the server cannot be tricked into signalling the
 * wrong process.
 */
TEST_F(sec, pidfd_names_dead_sender_after_pid_reuse)
{
	struct pidfd_job j = { self->dev, self->name, false };
	struct alpc_msg_info info;
	pid_t pid, reuse;
	struct gate g;
	int pidfd;

	if (access("/proc/sys/kernel/ns_last_pid", W_OK))
		SKIP(return, "cannot choose pids: ns_last_pid is not writable");
	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, gate_open(&g));
	pid = alpc_spawn(pidfd_client_main, &j);
	ASSERT_LT(0, pid);
	accept_next(_metadata, self->port, 1, &info);
	/* It sent, exited and was reaped; its message waits. */
	ASSERT_EQ(0, alpc_wait_child(pid));

	reuse = fork_with_pid(pid, &g);
	ASSERT_EQ(pid, reuse);
	ASSERT_EQ(0, kill(pid, 0));

	ASSERT_EQ(0, recv_pidfd(self->port, &info, &pidfd));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	EXPECT_EQ(ALPC_MSGF_PIDFD, info.flags & ALPC_MSGF_PIDFD);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(-1, alpc_pidfd_send_signal(pidfd, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, fdinfo_pid(pidfd));
	close(pidfd);

	ASSERT_EQ(0, gate_pass(&g));
	EXPECT_EQ(0, alpc_wait_child(reuse));
	gate_close(&g);
}

/*
 * Supplementary groups
 * ====================
 */

/* Sets groups 5, 7, 9, connects, sends three datagrams; then groups 11 and a fourth. */
static int groups_client_main(void *p)
{
	static const gid_t three[] = { 5, 7, 9 }, one[] = { 11 };
	struct cred_job *j = p;
	int fd, i;

	if (setgroups(3, three))
		return CHILD_FAIL("setgroups");
	fd = alpc_connect(j->dev, j->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("connect");
	for (i = 0; i < 3; i++)
		if (alpc_datagram(fd, "g", 1, NULL))
			return CHILD_FAIL("send");
	if (setgroups(1, one) || alpc_datagram(fd, "g", 1, NULL))
		return CHILD_FAIL("setgroups and send");
	if (gate_wait(&j->done))
		return CHILD_FAIL("sync");
	close(fd);
	return 0;
}

static int recv_groups(int fd, __u32 *groups, __u32 size, struct alpc_msg_info *info,
		       __u32 *ngroups)
{
	struct alpc_recv_extra ex;
	char buf[8];
	int ret;

	memset(&ex, 0, sizeof(ex));
	ex.groups = (__u64)(unsigned long)groups;
	ex.groups_size = size;
	ex.ngroups = 0xdead;
	ret = alpc_recv_extra(fd, ALPC_RECV_GROUPS, buf, sizeof(buf), ALPC_WAIT_NS, &ex, info);
	*ngroups = ex.ngroups;
	return ret;
}

static bool is_5_7_or_9(__u32 g)
{
	return g == 5 || g == 7 || g == 9;
}

/* The receiver gets the sender's supplementary groups at send time, as many as it has room for. */
TEST_F(sec, recv_groups_reports_sender_groups)
{
	struct cred_job j = { self->dev, self->name };
	struct alpc_msg_info info;
	__u32 groups[8], n, i;
	pid_t pid;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	ASSERT_EQ(0, gate_open(&j.done));
	pid = alpc_spawn(groups_client_main, &j);
	ASSERT_LT(0, pid);
	accept_next(_metadata, self->port, 1, &info);

	memset(groups, 0xee, sizeof(groups));
	ASSERT_EQ(0, recv_groups(self->port, groups, 8, &info, &n));
	EXPECT_EQ(3, n);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(is_5_7_or_9(groups[i]));
	EXPECT_NE(groups[0], groups[1]);
	EXPECT_NE(groups[1], groups[2]);
	EXPECT_NE(groups[0], groups[2]);
	EXPECT_EQ(0xeeeeeeee, groups[3]);
	EXPECT_EQ(0, info.flags & ALPC_MSGF_CRED_CHANGED);

	/* Too little room: the count, and only that many written. */
	memset(groups, 0xee, sizeof(groups));
	ASSERT_EQ(0, recv_groups(self->port, groups, 2, &info, &n));
	EXPECT_EQ(3, n);
	EXPECT_TRUE(is_5_7_or_9(groups[0]));
	EXPECT_TRUE(is_5_7_or_9(groups[1]));
	EXPECT_EQ(0xeeeeeeee, groups[2]);
	ASSERT_EQ(0, recv_groups(self->port, NULL, 0, &info, &n));
	EXPECT_EQ(3, n);

	/* The groups at send time, not at connect. */
	memset(groups, 0xee, sizeof(groups));
	ASSERT_EQ(0, recv_groups(self->port, groups, 8, &info, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(11, groups[0]);
	EXPECT_EQ(0xeeeeeeee, groups[1]);
	EXPECT_EQ(ALPC_MSGF_CRED_CHANGED, info.flags & ALPC_MSGF_CRED_CHANGED);
	ASSERT_EQ(0, gate_pass(&j.done));
	EXPECT_EQ(0, alpc_wait_child(pid));
	gate_close(&j.done);
}

/* Asking for groups or a pidfd without an alpc_recv_extra to put them in is EINVAL. */
TEST_F(sec, recv_groups_or_pidfd_without_extra_is_einval)
{
	struct alpc_msg_info info;
	char buf[8];
	int client;

	ASSERT_LE(0, reopen_port(&self->port, self->dev, self->name, 0));
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	ASSERT_EQ(0, alpc_datagram(client, "d", 1, NULL));
	ASSERT_EQ(-1, alpc_recv_extra(self->port, ALPC_RECV_GROUPS, buf, sizeof(buf), 0, NULL,
				      &info));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, alpc_recv_extra(self->port, ALPC_RECV_PIDFD, buf, sizeof(buf), 0, NULL,
				      &info));
	EXPECT_EQ(EINVAL, errno);
	/* The datagram is still there. */
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(ALPC_MSG_DATAGRAM, info.type);
	close(client);
}

/*
 * Fd passing
 * ==========
 */

#define FDS_TOTAL	1000

/* SEND of @type carrying the @nfds fds at @fds (ALPC_ATTR_FDS). */
static int send_fds(int fd, __u32 type, const void *buf, __u32 len, const int *fds,
		    __u32 nfds, __u64 ref_id, __s64 timeout_ns, __u64 *id)
{
	struct alpc_msg_attrs a;

	memset(&a, 0, sizeof(a));
	a.flags = ALPC_ATTR_FDS;
	a.fds = (__u64)(unsigned long)fds;
	a.nfds = nfds;
	return alpc_send_attrs(fd, type, buf, len, 0, ref_id, timeout_ns, &a, id);
}

/* RECV with room for @fds_size fds at @fds; *@nfds gets extra.nfds. */
static int recv_fds(int fd, __u32 flags, void *buf, __u32 size, int *fds, __u32 fds_size,
		    __s64 timeout_ns, struct alpc_msg_info *info, __u32 *nfds)
{
	struct alpc_recv_extra ex;
	int ret;

	memset(&ex, 0, sizeof(ex));
	ex.fds = (__u64)(unsigned long)fds;
	ex.fds_size = fds_size;
	ret = alpc_recv_extra(fd, flags, buf, size, timeout_ns, &ex, info);
	if (nfds)
		*nfds = ex.nfds;
	return ret;
}

/* True if nothing is queued on @fd. */
static bool nothing_queued(int fd)
{
	struct alpc_msg_info info;
	char buf[64];

	return failed_with(alpc_recv(fd, buf, sizeof(buf), 0, &info), EAGAIN);
}

FIXTURE(fds) {
	int dev;
	int port;	/* ALPC_PORT_ALLOW_FDS, max_fds 16 */
	int client;
	int comm;	/* the server's end of the connection */
	char name[ALPC_NAME_MAX];
	struct alpc_port_attr attr;
};

FIXTURE_SETUP(fds)
{
	self->port = -EBADF;
	self->client = -EBADF;
	self->comm = -EBADF;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "fds");
	memset(&self->attr, 0, sizeof(self->attr));
	self->attr.flags = ALPC_PORT_ALLOW_FDS;
	self->client = alpc_open_pair(self->dev, self->name, &self->attr, 1,
				      ALPC_ACCEPT_COMM_PORT, &self->port, &self->comm, NULL);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(16, self->attr.max_fds);
	ASSERT_LE(0, self->client);
}

FIXTURE_TEARDOWN(fds)
{
	alpc_close_pair(self->client, self->comm, self->port);
	if (self->dev >= 0)
		close(self->dev);
}

struct fd_sender {
	int dev;
	const char *name;
	__u32 max_fds;
	struct gate done;
};

/*
 * Sends FDS_TOTAL pipe read ends, max_fds a message; pipe i holds the
 * number i and its write end is closed. Checks that it holds no more fds
 * than before.
 */
static int fd_sender_main(void *p)
{
	struct fd_sender *f = p;
	int fds[ALPC_FDS_MAX], pipefd[2], fd, before, sent, n, i;
	__u32 token;

	fd = alpc_connect(f->dev, f->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	if (fd < 0)
		return CHILD_FAIL("connect");
	before = count_fds();
	for (sent = 0; sent < FDS_TOTAL; sent += n) {
		n = FDS_TOTAL - sent < (int)f->max_fds ? FDS_TOTAL - sent : (int)f->max_fds;
		for (i = 0; i < n; i++) {
			if (pipe2(pipefd, O_CLOEXEC))
				return CHILD_FAIL("pipe");
			token = sent + i;
			if (write(pipefd[1], &token, sizeof(token)) != sizeof(token))
				return CHILD_FAIL("write");
			close(pipefd[1]);
			fds[i] = pipefd[0];
		}
		token = sent;
		if (send_fds(fd, ALPC_MSG_DATAGRAM, &token, sizeof(token), fds, n, 0,
			     ALPC_WAIT_NS, NULL))
			return CHILD_FAIL("send");
		for (i = 0; i < n; i++)
			close(fds[i]);
	}
	if (count_fds() != before)
		return CHILD_FAIL("the sender holds no more fds than before");
	if (gate_wait(&f->done))
		return CHILD_FAIL("sync");
	close(fd);
	return 0;
}

/* A thousand fds cross, each to the right file; neither side is left holding any. */
TEST_F_TIMEOUT(fds, thousand_fds_cross_without_leaks, 120)
{
	struct fd_sender f = { self->dev, self->name, self->attr.max_fds };
	int fds[ALPC_FDS_MAX], before, received = 0, i;
	struct alpc_msg_info info;
	__u32 n, first, token;
	pid_t pid;

	before = count_fds();
	ASSERT_LT(0, before);
	ASSERT_EQ(0, gate_open(&f.done));
	pid = alpc_spawn(fd_sender_main, &f);
	ASSERT_LT(0, pid);
	accept_next(_metadata, self->port, 2, &info);

	while (received < FDS_TOTAL) {
		memset(fds, 0xff, sizeof(fds));
		ASSERT_EQ(0, recv_fds(self->port, 0, &first, sizeof(first), fds,
				      self->attr.max_fds, ALPC_WAIT_NS, &info, &n));
		ASSERT_EQ(2, info.port_context);
		ASSERT_EQ(ALPC_MSGF_FDS, info.flags & ALPC_MSGF_FDS);
		ASSERT_EQ(n, info.nfds);
		ASSERT_EQ(received, first);
		ASSERT_LE(1, n);
		ASSERT_GE(self->attr.max_fds, n);
		for (i = 0; i < (int)n; i++) {
			ASSERT_LE(0, fds[i]);
			ASSERT_EQ(sizeof(token), read(fds[i], &token, sizeof(token)));
			ASSERT_EQ(received + i, token);
			/* The write end went with the sender's close: nothing else holds it. */
			ASSERT_EQ(0, read(fds[i], &token, sizeof(token)));
			close(fds[i]);
		}
		received += n;
	}
	ASSERT_EQ(FDS_TOTAL, received);
	ASSERT_EQ(0, gate_pass(&f.done));
	EXPECT_EQ(0, alpc_wait_child(pid));
	gate_close(&f.done);
	EXPECT_EQ(before, count_fds());
}

/* Received fds are close-on-exec, unless the receive asks ALPC_RECV_FD_INHERIT. */
TEST_F(fds, received_fds_are_cloexec_unless_fd_inherit)
{
	struct alpc_msg_info info;
	int p[2], fd;
	char c = 0;
	__u32 n;

	ASSERT_EQ(0, pipe(p));	/* without O_CLOEXEC: the flag is the receiver's own */
	ASSERT_EQ(0, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, &p[0], 1, 0, 0, NULL));
	ASSERT_EQ(0, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, &p[0], 1, 0, 0, NULL));
	ASSERT_EQ(0, recv_fds(self->comm, 0, NULL, 0, &fd, 1, 0, &info, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	ASSERT_EQ(0, recv_fds(self->comm, ALPC_RECV_FD_INHERIT, NULL, 0, &fd, 1, 0, &info, &n));
	ASSERT_EQ(1, n);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The same pipe. */
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, read(fd, &c, 1));
	EXPECT_EQ('x', c);
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* Sends the write end of a new pipe on @fd and closes it; returns the read end. */
static int send_pipe_end(int fd, __u32 type, __u64 *id)
{
	int p[2], ret;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	ret = send_fds(fd, type, NULL, 0, &p[1], 1, 0, 0, id);
	close(p[1]);
	if (ret) {
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* Files in messages never received are released when the connection is run down. */
TEST_F(fds, unreceived_fds_are_released_at_rundown)
{
	int to_server, to_client, via_port, client2, r;

	/* To the server's communication port, then closed unreceived. */
	to_server = send_pipe_end(self->client, ALPC_MSG_DATAGRAM, NULL);
	ASSERT_LE(0, to_server);
	EXPECT_FALSE(pipe_eof_within(to_server, 0));
	close(self->comm);
	self->comm = -EBADF;
	EXPECT_TRUE(pipe_eof_within(to_server, 5000));

	/* To the client, which closes its end unreceived. */
	close(self->client);
	self->client = alpc_connect_accept(self->dev, self->port, self->name, 1,
					   ALPC_ACCEPT_COMM_PORT, &self->comm, NULL);
	ASSERT_LE(0, self->client);
	to_client = send_pipe_end(self->comm, ALPC_MSG_DATAGRAM, NULL);
	ASSERT_LE(0, to_client);
	EXPECT_FALSE(pipe_eof_within(to_client, 0));
	close(self->client);
	self->client = -EBADF;
	EXPECT_TRUE(pipe_eof_within(to_client, 5000));

	/* To the connection port, whose last fd closes with it queued. */
	client2 = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, client2);
	via_port = send_pipe_end(client2, ALPC_MSG_DATAGRAM, NULL);
	ASSERT_LE(0, via_port);
	r = send_pipe_end(client2, ALPC_MSG_REQUEST, NULL);
	ASSERT_LE(0, r);
	close(client2);
	close(self->port);
	self->port = -EBADF;
	EXPECT_TRUE(pipe_eof_within(via_port, 5000));
	EXPECT_TRUE(pipe_eof_within(r, 5000));
	close(via_port);
	close(r);
	close(to_client);
	close(to_server);
}

/* A canceled request's files are released with it. */
TEST_F(fds, canceled_request_fds_are_released)
{
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	int r, p[2];
	__u64 id;

	r = send_pipe_end(self->client, ALPC_MSG_REQUEST, &id);
	ASSERT_LE(0, r);
	EXPECT_FALSE(pipe_eof_within(r, 0));
	ASSERT_EQ(0, alpc_cancel(self->client, id));
	EXPECT_TRUE(pipe_eof_within(r, 5000));
	EXPECT_TRUE(nothing_queued(self->comm));
	close(r);

	/* A SEND_WAIT that times out cancels its request. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	memset(&a, 0, sizeof(a));
	a.flags = ALPC_ATTR_FDS;
	a.fds = (__u64)(unsigned long)&p[1];
	a.nfds = 1;
	alpc_send_wait_init(&sw, "w", 1, NULL, 0, 100 * ALPC_NS_PER_MS);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(-1, ioctl(self->client, ALPC_IOC_SEND_WAIT, &sw));
	EXPECT_EQ(ETIMEDOUT, errno);
	close(p[1]);
	EXPECT_TRUE(pipe_eof_within(p[0], 5000));
	EXPECT_TRUE(nothing_queued(self->comm));
	close(p[0]);
}

/* A port created without ALPC_PORT_ALLOW_FDS refuses fds with EPERM, and holds none. */
TEST_F(fds, fds_on_port_without_flag_is_eperm)
{
	struct alpc_msg_info info;
	struct alpc_send_wait sw;
	struct alpc_msg_attrs a;
	char name[ALPC_NAME_MAX];
	int port, client, p[2];
	char buf[8];
	__u64 id;

	alpc_port_name(name, "nofds");
	port = alpc_create_port(self->dev, name, NULL, 0);
	ASSERT_LE(0, port);
	client = alpc_connect_accept(self->dev, port, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));

	ASSERT_EQ(-1, send_fds(client, ALPC_MSG_DATAGRAM, "d", 1, &p[1], 1, 0, 0, NULL));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, send_fds(client, ALPC_MSG_REQUEST, "r", 1, &p[1], 1, 0, 0, NULL));
	EXPECT_EQ(EPERM, errno);
	memset(&a, 0, sizeof(a));
	a.flags = ALPC_ATTR_FDS;
	a.fds = (__u64)(unsigned long)&p[1];
	a.nfds = 1;
	alpc_send_wait_init(&sw, "w", 1, NULL, 0, 0);
	sw.attrs = (__u64)(unsigned long)&a;
	ASSERT_EQ(-1, ioctl(client, ALPC_IOC_SEND_WAIT, &sw));
	EXPECT_EQ(EPERM, errno);
	EXPECT_TRUE(nothing_queued(port));

	/* Nor may the server reply with fds. */
	ASSERT_EQ(0, alpc_request(client, "q", 1, &id));
	ASSERT_EQ(0, alpc_recv(port, buf, sizeof(buf), ALPC_WAIT_NS, &info));
	ASSERT_EQ(-1, send_fds(port, ALPC_MSG_REPLY, "a", 1, &p[1], 1, id, 0, NULL));
	EXPECT_EQ(EPERM, errno);
	EXPECT_TRUE(nothing_queued(client));
	ASSERT_EQ(0, alpc_reply(port, id, "a", 1));

	close(p[1]);
	EXPECT_TRUE(pipe_eof_within(p[0], 0));
	close(p[0]);
	close(client);
	close(port);
}

/* More fds than the port's max_fds, or none, fail with EINVAL; exactly max_fds pass. */
TEST_F(fds, more_than_max_fds_is_einval)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS, .max_fds = 4 };
	int port, client, fds[ALPC_FDS_MAX + 1], got[ALPC_FDS_MAX + 1], i;
	struct alpc_msg_info info;
	char name[ALPC_NAME_MAX];
	__u32 n;

	alpc_port_name(name, "maxfds");
	port = alpc_create_port(self->dev, name, &attr, 0);
	ASSERT_LE(0, port);
	ASSERT_EQ(4, attr.max_fds);
	client = alpc_connect_accept(self->dev, port, name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	for (i = 1; i < ALPC_FDS_MAX + 1; i++)
		fds[i] = fds[0];

	ASSERT_EQ(-1, send_fds(client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 5, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, send_fds(client, ALPC_MSG_DATAGRAM, NULL, 0, fds, ALPC_FDS_MAX + 1, 0, 0,
			       NULL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, send_fds(client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 0, 0, 0, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(nothing_queued(port));

	ASSERT_EQ(0, send_fds(client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 4, 0, 0, NULL));
	ASSERT_EQ(0, recv_fds(port, 0, NULL, 0, got, 4, ALPC_WAIT_NS, &info, &n));
	EXPECT_EQ(4, n);
	EXPECT_EQ(4, info.nfds);
	for (i = 0; i < 4; i++) {
		EXPECT_LE(0, got[i]);
		close(got[i]);
	}
	EXPECT_TRUE(nothing_queued(port));
	close(fds[0]);
	close(client);
	close(port);
}

/* An fd that is not open fails with EBADF; the good fds next to it are not kept. */
TEST_F(fds, bad_fd_is_ebadf)
{
	int p[2], fds[2], closed;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	closed = dup(p[0]);
	ASSERT_LE(0, closed);
	close(closed);
	fds[0] = p[1];
	fds[1] = closed;
	ASSERT_EQ(-1, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 2, 0, 0, NULL));
	EXPECT_EQ(EBADF, errno);
	fds[1] = -1;
	ASSERT_EQ(-1, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 2, 0, 0, NULL));
	EXPECT_EQ(EBADF, errno);
	EXPECT_TRUE(nothing_queued(self->comm));
	close(p[1]);
	EXPECT_TRUE(pipe_eof_within(p[0], 0));
	close(p[0]);
}

/* Fds of alpc ports or of UNIX sockets fail with EINVAL: a queue must not hold its own port. */
TEST_F(fds, alpc_port_or_unix_socket_fd_is_einval)
{
	int sp[2], dg[2], p[2], fds[2], bad[5], got, i;
	struct alpc_msg_info info;
	__u32 n;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg));
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	bad[0] = self->port;
	bad[1] = self->client;
	bad[2] = self->comm;
	bad[3] = sp[0];
	bad[4] = dg[1];
	for (i = 0; i < (int)ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(-1, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, &bad[i], 1, 0, 0,
				       NULL)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
		/* Next to a good fd, too. */
		fds[0] = p[1];
		fds[1] = bad[i];
		ASSERT_EQ(-1, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, fds, 2, 0, 0,
				       NULL));
		EXPECT_EQ(EINVAL, errno);
		/* Nor from the server's side. */
		ASSERT_EQ(-1, send_fds(self->comm, ALPC_MSG_DATAGRAM, NULL, 0, &bad[i], 1, 0, 0,
				       NULL));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_TRUE(nothing_queued(self->comm));
	EXPECT_TRUE(nothing_queued(self->client));

	/* An fd array that cannot be read fails with EFAULT. */
	ASSERT_EQ(-1, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, (int *)8, 1, 0, 0,
			       NULL));
	EXPECT_EQ(EFAULT, errno);

	/* A pipe is fine. */
	ASSERT_EQ(0, send_fds(self->client, ALPC_MSG_DATAGRAM, NULL, 0, &p[0], 1, 0, 0, NULL));
	ASSERT_EQ(0, recv_fds(self->comm, 0, NULL, 0, &got, 1, 0, &info, &n));
	EXPECT_EQ(1, n);
	close(got);
	close(p[1]);
	EXPECT_TRUE(pipe_eof_within(p[0], 0));
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
	close(dg[0]);
	close(dg[1]);
}

/* Too little room for the fds: EMSGSIZE with the count, no fd installed, the message kept. */
TEST_F(fds, recv_fds_room_too_small_is_emsgsize_and_keeps_message)
{
	int p[2], fds[3], got[3], before, i;
	struct alpc_msg_info info;
	char buf[8];
	__u32 n;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = p[0];
	ASSERT_EQ(0, send_fds(self->client, ALPC_MSG_DATAGRAM, "three", 5, fds, 3, 0, 0, NULL));
	before = count_fds();

	memset(&info, 0, sizeof(info));
	memset(got, 0xff, sizeof(got));
	ASSERT_EQ(-1, recv_fds(self->comm, 0, buf, sizeof(buf), got, 2, 0, &info, &n));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(3, info.nfds);
	EXPECT_EQ(-1, got[0]);
	EXPECT_EQ(before, count_fds());
	/* No room at all: no alpc_recv_extra. */
	ASSERT_EQ(-1, alpc_recv(self->comm, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(3, info.nfds);
	EXPECT_EQ(before, count_fds());

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, recv_fds(self->comm, 0, buf, sizeof(buf), got, 3, 0, &info, &n));
	EXPECT_STREQ("three", buf);
	EXPECT_EQ(3, n);
	EXPECT_EQ(3, info.nfds);
	EXPECT_EQ(before + 3, count_fds());
	for (i = 0; i < 3; i++)
		close(got[i]);
	EXPECT_TRUE(nothing_queued(self->comm));
	close(p[0]);
	close(p[1]);
}

/* A reply carries fds to SEND_WAIT; fds it has no room for are closed, not leaked. */
TEST_F(fds, reply_fds_reach_send_wait)
{
	struct alpc_recv_extra ex;
	struct alpc_send_wait sw;
	struct alpc_msg_info info;
	struct alpc_call call;
	int p[2], got[2], before;
	char reply[8];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	memset(&ex, 0, sizeof(ex));
	memset(got, 0xff, sizeof(got));
	ex.fds = (__u64)(unsigned long)got;
	ex.fds_size = 2;
	alpc_send_wait_init(&sw, "w", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	sw.extra = (__u64)(unsigned long)&ex;
	ASSERT_EQ(0, alpc_call_start(&call, self->client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->comm, reply, sizeof(reply), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, send_fds(self->comm, ALPC_MSG_REPLY, "a", 1, &p[1], 1, info.id, 0, NULL));
	ASSERT_EQ(0, alpc_call_join(&call));
	EXPECT_EQ(ALPC_MSGF_FDS, sw.reply.flags & ALPC_MSGF_FDS);
	EXPECT_EQ(1, sw.reply.nfds);
	EXPECT_EQ(1, ex.nfds);
	ASSERT_LE(0, got[0]);
	ASSERT_EQ(1, write(got[0], "x", 1));
	close(got[0]);

	/* No room: EMSGSIZE, and the file is not kept anywhere. */
	before = count_fds();
	alpc_send_wait_init(&sw, "w", 1, reply, sizeof(reply), ALPC_WAIT_NS);
	ASSERT_EQ(0, alpc_call_start(&call, self->client, ALPC_IOC_SEND_WAIT, &sw));
	ASSERT_EQ(0, alpc_recv(self->comm, reply, sizeof(reply), ALPC_WAIT_NS, &info));
	ASSERT_EQ(0, send_fds(self->comm, ALPC_MSG_REPLY, "a", 1, &p[1], 1, info.id, 0, NULL));
	ASSERT_EQ(-1, alpc_call_join(&call));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1, sw.reply.nfds);
	EXPECT_EQ(before, count_fds());
	close(p[1]);
	ASSERT_EQ(1, read(p[0], reply, sizeof(reply)));
	EXPECT_TRUE(pipe_eof_within(p[0], 5000));
	close(p[0]);
}

/*
 * Quotas
 * ======
 */

struct flood {
	int port;
	int flooder;
	atomic_int stop;
	atomic_int answered;
	atomic_int eagain;
	atomic_int sent;
};

/* Serves the port: answers every request, drops everything else. */
static void *flood_server(void *p)
{
	struct flood *f = p;
	struct alpc_msg_info info;
	char buf[64];

	while (!atomic_load(&f->stop)) {
		if (alpc_recv(f->port, buf, sizeof(buf), 50 * ALPC_NS_PER_MS, &info))
			continue;
		if (info.type == ALPC_MSG_REQUEST && !alpc_reply(f->port, info.id, "ok", 2))
			atomic_fetch_add(&f->answered, 1);
	}
	return NULL;
}

/* Sends datagrams as fast as the quota lets it, never waiting. */
static void *flood_client(void *p)
{
	struct flood *f = p;

	while (!atomic_load(&f->stop)) {
		if (!alpc_datagram(f->flooder, "flood", 5, NULL)) {
			atomic_fetch_add(&f->sent, 1);
			continue;
		}
		if (errno == EAGAIN)
			atomic_fetch_add(&f->eagain, 1);
		sched_yield();
	}
	return NULL;
}

#define FLOOD_REQUESTS	50

/* A client that fills its queue gets EAGAIN, and other clients are still served. */
TEST_F_TIMEOUT(sec, flooding_client_does_not_starve_others, 120)
{
	struct alpc_port_attr attr = { .max_queued_msgs = 8 };
	pthread_t server, flooder;
	struct alpc_send_wait sw;
	struct flood f;
	char reply[8];
	int good, i, n;
	__s64 t;

	self->port = alpc_create_port(self->dev, self->name, &attr, 0);
	ASSERT_LE(0, self->port);
	memset(&f, 0, sizeof(f));
	f.port = self->port;
	f.flooder = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, f.flooder);
	good = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, good);

	/* Exactly max_queued_msgs fit. */
	for (n = 0; n < 100; n++)
		if (alpc_datagram(f.flooder, "flood", 5, NULL))
			break;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(8, n);

	ASSERT_EQ(0, pthread_create(&server, NULL, flood_server, &f));
	ASSERT_EQ(0, pthread_create(&flooder, NULL, flood_client, &f));
	for (i = 0; i < FLOOD_REQUESTS; i++) {
		/* Each request goes out just after the flooder found its queue full again. */
		n = atomic_load(&f.eagain);
		t = alpc_now_ns();
		while (atomic_load(&f.eagain) == n && alpc_now_ns() - t < ALPC_WAIT_NS)
			sched_yield();
		alpc_send_wait_init(&sw, "req", 3, reply, sizeof(reply), ALPC_WAIT_NS);
		t = alpc_now_ns();
		ASSERT_EQ(0, alpc_send_wait(good, &sw)) {
			TH_LOG("request %d: %s", i, strerror(errno));
		}
		EXPECT_GT(ALPC_WAIT_NS, alpc_now_ns() - t);
		EXPECT_EQ(ALPC_MSG_REPLY, sw.reply.type);
	}
	atomic_store(&f.stop, 1);
	pthread_join(flooder, NULL);
	pthread_join(server, NULL);
	EXPECT_EQ(FLOOD_REQUESTS, atomic_load(&f.answered));
	EXPECT_LE(FLOOD_REQUESTS, atomic_load(&f.eagain));
	TH_LOG("flooder: %d sent, %d EAGAIN while %d requests were served",
	       atomic_load(&f.sent), atomic_load(&f.eagain), FLOOD_REQUESTS);
	close(good);
	close(f.flooder);
}

/* Queued bytes are bounded per connection too: EAGAIN, until the receiver takes some. */
TEST_F(sec, byte_quota_is_eagain_per_connection)
{
	struct alpc_port_attr attr = { .max_msg_len = 1024, .max_queued_bytes = 4096 };
	struct alpc_msg_info info;
	static char buf[1024];
	int a, b, n;

	self->port = alpc_create_port(self->dev, self->name, &attr, 0);
	ASSERT_LE(0, self->port);
	a = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, a);
	b = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, b);
	for (n = 0; n < 10; n++)
		if (alpc_datagram(a, buf, sizeof(buf), NULL))
			break;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(4, n);
	/* Another client's quota is its own. */
	ASSERT_EQ(0, alpc_datagram(b, buf, sizeof(buf), NULL));
	ASSERT_EQ(0, alpc_recv(self->port, buf, sizeof(buf), 0, &info));
	EXPECT_EQ(1, info.port_context);
	ASSERT_EQ(0, alpc_datagram(a, buf, sizeof(buf), NULL));
	ASSERT_EQ(-1, alpc_datagram(a, buf, sizeof(buf), NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(b);
	close(a);
}

/* At max_connections, the next connect fails with EAGAIN and the server sees nothing. */
TEST_F(sec, max_connections_reached_is_eagain)
{
	struct alpc_port_attr attr = { .max_connections = 2 };
	struct who a = who_ids(UID_A, GID_A);
	struct alpc_connector pending;
	struct alpc_msg_info info;
	int c1, c2, fd;

	self->port = alpc_create_port_mode(self->dev, self->name, &attr, 0, 0666);
	ASSERT_LE(0, self->port);
	c1 = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, c1);
	/* A connect still waiting for its answer counts too. */
	ASSERT_EQ(0, alpc_connector_start(&pending, self->dev, self->name, NULL, 0,
					  ALPC_WAIT_NS, 0));
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	ASSERT_EQ(ALPC_MSG_CONNECTION_REQUEST, info.type);
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, alpc_accept(self->port, info.id, 0, 2, NULL, 0));
	c2 = alpc_connector_join(&pending);
	ASSERT_LE(0, c2);
	ASSERT_EQ(-1, alpc_connect(self->dev, self->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	check_refused(_metadata, self->dev, self->port, self->name, &a, EAGAIN);
	EXPECT_TRUE(nothing_queued(self->port));

	/* A closed connection frees its place. */
	close(c1);
	ASSERT_EQ(0, alpc_recv(self->port, NULL, 0, ALPC_WAIT_NS, &info));
	EXPECT_EQ(ALPC_MSG_PORT_CLOSED, info.type);
	fd = alpc_connect_accept(self->dev, self->port, self->name, 3, 0, NULL, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	close(c2);
}

static int create_section(int fd, __u64 size)
{
	struct alpc_create_section cs;

	memset(&cs, 0, sizeof(cs));
	cs.size = size;
	return ioctl(fd, ALPC_IOC_CREATE_SECTION, &cs);
}

/* At max_sections, CREATE_SECTION fails with ENOBUFS; closing one makes room. */
TEST_F(sec, max_sections_reached_is_enobufs)
{
	struct alpc_port_attr attr = { .max_sections = 3 };
	int client, s[3], extra, i;

	self->port = alpc_create_port(self->dev, self->name, &attr, 0);
	ASSERT_LE(0, self->port);
	ASSERT_EQ(3, attr.max_sections);
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	for (i = 0; i < 3; i++) {
		s[i] = create_section(client, 4096);
		ASSERT_LE(0, s[i]);
	}
	ASSERT_EQ(-1, create_section(client, 4096));
	EXPECT_EQ(ENOBUFS, errno);
	close(s[1]);
	s[1] = create_section(client, 4096);
	ASSERT_LE(0, s[1]);
	ASSERT_EQ(-1, create_section(client, 4096));
	EXPECT_EQ(ENOBUFS, errno);

	/* The quota is per connection: another client has its own. */
	extra = alpc_connect_accept(self->dev, self->port, self->name, 2, 0, NULL, NULL);
	ASSERT_LE(0, extra);
	i = create_section(extra, 4096);
	ASSERT_LE(0, i);
	close(i);
	close(extra);
	for (i = 0; i < 3; i++)
		close(s[i]);
	close(client);
}

/* A section whose fd is closed but which is still mapped is alive, and still counts. */
TEST_F(sec, mapped_section_still_counts_toward_max_sections)
{
	struct alpc_port_attr attr = { .max_sections = 1 };
	int client, s;
	void *map;

	self->port = alpc_create_port(self->dev, self->name, &attr, 0);
	ASSERT_LE(0, self->port);
	client = alpc_connect_accept(self->dev, self->port, self->name, 1, 0, NULL, NULL);
	ASSERT_LE(0, client);
	s = create_section(client, 4096);
	ASSERT_LE(0, s);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(s);
	ASSERT_EQ(-1, create_section(client, 4096));
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(0, munmap(map, 4096));
	s = create_section(client, 4096);
	ASSERT_LE(0, s);
	close(s);
	close(client);
}

TEST_HARNESS_MAIN
