// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, every one in turn: for each scenario below, the
 * call under test runs with /proc/thread-self/fail-nth set to 1, 2, 3,
 * ..., so that its first, second, third ... allocation fails (slab and
 * page allocations, the module's and the rest of the kernel's on that
 * path, with failslab and fail_page_alloc set to fail sleeping
 * allocations too), until a run makes no allocation the counter reaches.
 * Each failed run must end with a clean error (ENOMEM, or EMFILE/ENFILE
 * where the call makes an fd) and leave the objects as they were: a
 * message that failed to send is not queued, one that failed to be
 * received is still there, a connection request that failed to be
 * accepted can still be accepted, quotas are given back, no fd or
 * mapping is left behind. A run whose injected failure the kernel
 * absorbed (a kvmalloc() that fell back to vmalloc(), kmemleak's own
 * metadata) must succeed with every effect. Leaks are kmemleak's to
 * find: the runner scans after the last test.
 *
 * Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and debugfs (the debug kernel); skips elsewhere. Each scenario prints
 * how many injection points its call had. Most calls have about twice
 * as many as they allocate: kmemleak allocates its own record of each
 * object, and survives that failing. With ALPC_FI_SITES=1 in the
 * environment, the kernel reports each injected failure with a stack
 * trace, and each scenario also lists the module's functions whose
 * allocations were made to fail.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
/* Checks its own way, or runs threads throughout: see alpc_util.h. */
#define ALPC_NO_CALL_CHECK
#include "alpc_util.h"

#define DBG		"/sys/kernel/debug"
#define PAGE		4096UL
#define MAX_POINTS	4000	/* a scenario with more is stuck */
#define MS		ALPC_NS_PER_MS
#define DG_COUNT	32	/* datagrams per SEND_DGRAMS: their headers take 2 pages */
#define DG_BUF		(2 * DG_COUNT * ALPC_DGRAM_SIZE(200))

/* Fault injection settings: written for the test, restored after it. */
static const char *const fi_files[] = {
	DBG "/failslab/ignore-gfp-wait",
	DBG "/failslab/verbose",
	DBG "/fail_page_alloc/ignore-gfp-wait",
	DBG "/fail_page_alloc/verbose",
	DBG "/fail_page_alloc/min-order",
};

/* Sleeping allocations fail too, silently (a stack dump reads as a splat), order 0 too. */
static const char *const fi_values[] = { "N", "0", "N", "0", "0" };
/* ... or, with ALPC_FI_SITES, each with a stack trace (verbose 2). */
static const char *const fi_values_sites[] = { "N", "2", "N", "2", "0" };

/* ALPC_FI_SITES: each failure reported with a stack trace, attributed to a function. */
static bool sites;

#define SITES_MAX	32

struct site_list {
	char name[SITES_MAX][48];
	unsigned int n;
};

static void site_add(struct site_list *l, const char *frame)
{
	char name[48];
	unsigned int i;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(frame, "+ "), frame);
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return;
	if (l->n < SITES_MAX)
		snprintf(l->name[l->n++], sizeof(name), "%s", name);
}

#define FI_FILES	ARRAY_SIZE(fi_files)

static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Entries in a /proc/self directory, or lines in /proc/self/maps. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

struct server;

/*
 * What a scenario works with. Set up before the injected call, without
 * injection; torn down after it.
 */
struct ctx {
	int dev;
	char name[ALPC_NAME_MAX];
	int port;
	int client;
	int server;		/* the server's end: comm port, or the connection port */
	int comm;		/* the server communication port, or -1 */
	int sec;		/* a section of the connection, made by the client */
	int ssec;		/* one made by the server (comm port only) */
	int cp, efd;
	void *ring;
	int fd2;		/* one more fd a scenario needs */
	__u64 id, id2;		/* requests in flight */
	__u32 type;		/* the scenario's message type and attributes */
	unsigned int which;
	int ret;		/* what the injected call returned ... */
	int err;		/* ... and its errno */
	struct alpc_call call;	/* a connect running beside */
	bool calling;		/* ... not joined yet */
	struct alpc_connect con;
	struct server *srv;
	unsigned char *lend;	/* memory lent to a region */
	union {
		struct alpc_send send;
		struct alpc_recv recv;
		struct alpc_send_wait sw;
		struct alpc_reply_recv rr;
		struct alpc_access acc;
		struct alpc_batch batch;
		struct alpc_port_security ps;
		struct alpc_connect conn;
		struct alpc_dgrams dg;
	} a;
	struct alpc_msg_attrs attrs;
	struct alpc_recv_extra extra;
	__s32 fds[8];
	__u32 groups[8];
	struct alpc_batch_op ops[4];
	struct alpc_send bsend[2];
	struct alpc_recv brecv;
	struct alpc_cancel bcancel;
	char buf[4096];
	char out[4096];
	__u64 dgin[DG_BUF / 8];	/* datagrams to send in bulk ... */
	__u64 dgout[DG_BUF / 8];	/* ... and room to receive them */
};

/* A thread serving a port: accepts connections, echoes requests, until stopped. */
struct server {
	pthread_t thread;
	int fd;
	int reply_sec;		/* a section of the connection to reply with a view of, or -1 */
	int reply_fd;		/* ... and an fd to send with it */
	atomic_int stop;
	atomic_int errors;
	char buf[4096];
};

static void *serve(void *arg)
{
	struct server *s = arg;
	struct alpc_msg_info info;
	struct alpc_msg_attrs a;
	struct alpc_send snd;

	while (!atomic_load(&s->stop)) {
		if (alpc_recv(s->fd, s->buf, sizeof(s->buf), 20 * MS, &info)) {
			if (errno != ETIMEDOUT && errno != EAGAIN && errno != EINTR)
				atomic_fetch_add(&s->errors, 1);
			if (errno == ECONNRESET)
				break;
			continue;
		}
		if (info.flags & ALPC_MSGF_VIEW)
			munmap((void *)(uintptr_t)(info.view_addr & ~(PAGE - 1)),
			       (((info.view_addr & (PAGE - 1)) + info.view_len + PAGE - 1) &
				~(PAGE - 1)));
		if (info.type == ALPC_MSG_CONNECTION_REQUEST) {
			if (alpc_accept(s->fd, info.id, 0, 1, NULL, 0) && errno != ENOENT)
				atomic_fetch_add(&s->errors, 1);
		} else if (info.type == ALPC_MSG_REQUEST) {
			memset(&snd, 0, sizeof(snd));
			snd.type = ALPC_MSG_REPLY;
			snd.ref_id = info.id;
			snd.buf = (__u64)(uintptr_t)s->buf;
			snd.len = info.len;
			if (s->reply_sec >= 0) {
				memset(&a, 0, sizeof(a));
				a.flags = ALPC_ATTR_VIEW | ALPC_ATTR_FDS;
				a.section_fd = s->reply_sec;
				a.view_offset = 100;
				a.view_len = 5000;
				a.fds = (__u64)(uintptr_t)&s->reply_fd;
				a.nfds = 1;
				snd.attrs = (__u64)(uintptr_t)&a;
			}
			if (ioctl(s->fd, ALPC_IOC_SEND, &snd) && errno != ENOENT)
				atomic_fetch_add(&s->errors, 1);
		}
	}
	return NULL;
}

static struct server *server_start(int fd, int reply_sec, int reply_fd)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = fd;
	s->reply_sec = reply_sec;
	s->reply_fd = reply_fd;
	if (pthread_create(&s->thread, NULL, serve, s)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Stops the server; returns its error count. */
static int server_stop(struct server *s)
{
	int errors;

	if (!s)
		return 0;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	errors = s->errors;
	free(s);
	return errors;
}

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->dev = alpc_open();
	c->port = -1;
	c->client = -1;
	c->server = -1;
	c->comm = -1;
	c->sec = -1;
	c->ssec = -1;
	c->cp = -1;
	c->efd = -1;
	c->fd2 = -1;
	c->ring = MAP_FAILED;
	alpc_port_name(c->name, "fi");
	c->lend = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (c->lend != MAP_FAILED)
		memset(c->lend, 0x6b, 2 * PAGE);
	memset(c->buf, 0x3c, sizeof(c->buf));
	memset(c->out, 0, sizeof(c->out));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void ctx_fini(struct ctx *c)
{
	if (c->calling) {
		int fd = alpc_call_join(&c->call);

		if (fd >= 0)
			close(fd);
	}
	if (c->srv)
		server_stop(c->srv);
	c->srv = NULL;
	if (c->ring != MAP_FAILED)
		munmap(c->ring, PAGE);
	close_fd(&c->fd2);
	close_fd(&c->sec);
	close_fd(&c->ssec);
	close_fd(&c->client);
	close_fd(&c->comm);
	close_fd(&c->port);
	close_fd(&c->cp);
	close_fd(&c->efd);
	close_fd(&c->dev);
	if (c->lend != MAP_FAILED)
		munmap(c->lend, 2 * PAGE);
}

/* A port with @attr and a client; @comm: the server takes a comm port. */
static int make_pair_attr(struct ctx *c, struct alpc_port_attr *attr, bool comm)
{
	c->client = alpc_open_pair(c->dev, c->name, attr, 1, comm ? ALPC_ACCEPT_COMM_PORT : 0,
				   &c->port, &c->comm, NULL);
	if (c->client < 0)
		return -1;
	c->server = comm ? c->comm : c->port;
	return 0;
}

/* A port (DIRECT_ACCESS and ALLOW_FDS) with a client; @comm: the server takes a comm port. */
static int make_pair(struct ctx *c, bool comm)
{
	struct alpc_port_attr attr = {
		.flags = ALPC_PORT_DIRECT_ACCESS | ALPC_PORT_ALLOW_FDS,
		.max_section_size = 64 * 1024,
		.max_section_bytes = 1 << 20,
	};

	return make_pair_attr(c, &attr, comm);
}

/* A section of @size on @fd, every byte @fill. */
static int make_section(int fd, __u64 size, int fill)
{
	struct alpc_create_section cs = { .size = size };
	int sfd = ioctl(fd, ALPC_IOC_CREATE_SECTION, &cs);
	void *m;

	if (sfd < 0)
		return -1;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (m == MAP_FAILED) {
		close(sfd);
		return -1;
	}
	memset(m, fill, size);
	munmap(m, size);
	return sfd;
}

static void unmap_view(const struct alpc_msg_info *info)
{
	unsigned long head = info->view_addr & (PAGE - 1);

	if (info->flags & ALPC_MSGF_VIEW && info->view_addr)
		munmap((void *)(uintptr_t)(info->view_addr - head),
		       (head + info->view_len + PAGE - 1) & ~(PAGE - 1));
}

/* Nothing is queued on @fd. */
static bool queue_empty(int fd)
{
	struct alpc_msg_info info;
	char b[64];

	return alpc_recv(fd, b, sizeof(b), 0, &info) && errno == EAGAIN;
}

/* The server answers request @id, and the client takes the reply. */
static bool answer(struct ctx *c, __u64 id)
{
	struct alpc_msg_info info;

	return !alpc_reply(c->server, id, NULL, 0) &&
	       !alpc_recv(c->client, c->out, sizeof(c->out), ALPC_WAIT_NS, &info) &&
	       info.type == ALPC_MSG_REPLY && info.ref_id == id;
}

/* A request from the client, answered by the server's end, arrives whole. */
static bool round_trip(struct ctx *c)
{
	struct alpc_msg_info info;
	__u64 id;

	if (alpc_request(c->client, "ping", 4, &id) ||
	    alpc_recv(c->server, c->out, sizeof(c->out), ALPC_WAIT_NS, &info) ||
	    info.type != ALPC_MSG_REQUEST || info.id != id ||
	    alpc_reply(c->server, id, "pong", 4) ||
	    alpc_recv(c->client, c->out, sizeof(c->out), ALPC_WAIT_NS, &info) ||
	    info.type != ALPC_MSG_REPLY || info.ref_id != id || memcmp(c->out, "pong", 4))
		return false;
	return true;
}

struct scenario {
	const char *name;
	int (*setup)(struct ctx *c);
	/* The injected call: its result in c->ret, c->err. */
	void (*action)(struct ctx *c);
	/* Whether what it left is right; @why says what is not. */
	bool (*check)(struct ctx *c, bool injected, const char **why);
	bool makes_fd;		/* EMFILE and ENFILE are clean errors too */
	__u32 type;		/* sends: the message type ... */
	unsigned int which;	/* ... and its attributes (A_*) */
};

static bool clean_errno(const struct scenario *s, int err)
{
	return err == ENOMEM || (s->makes_fd && (err == EMFILE || err == ENFILE));
}

static int nth_fd = -1;
static int kmsg_fd = -1;

/* What the kernel log must not show, as the runner's list (scripts/guest/init). */
static const char *const splat_words[] = {
	"BUG:", "WARNING:", "Oops", "KASAN", "general protection fault", "blocked for more",
	"soft lockup", "hard LOCKUP", "unreferenced object", "suspected memory leak",
	"possible recursive locking", "circular locking", "inconsistent lock state",
	"Kernel panic",
};

/*
 * Reads the kernel log since the last call. An allocation that fails
 * without __GFP_NOWARN is reported there, with a stack dump (vmalloc()
 * reports its failures so): expected here, one "Call Trace:" each.
 * Anything else the runner calls a splat fails the test, and stays in
 * the log for the runner too; a log of expected reports only is cleared,
 * so the runner does not take them for splats.
 */
static bool kmsg_expected(struct __test_metadata *_metadata, const char *name,
			  unsigned int *reports, struct site_list *l)
{
	unsigned int allocs = 0, traces = 0, bad = 0, i;
	char rec[1024], first[256] = "";
	bool in_trace = false;
	char *msg, *frame;
	ssize_t n;

	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (strstr(msg, "vmalloc error:") || strstr(msg, "page allocation failure:") ||
		    (sites && strstr(msg, "FAULT_INJECTION: forcing a failure"))) {
			allocs++;
			in_trace = sites;
			continue;
		}
		if (strstr(msg, "Call Trace:")) {
			traces++;
			continue;
		}
		/* The innermost reliable frame of the module: the site. */
		frame = strstr(msg, " alpc_");
		if (in_trace && frame && strstr(msg, "[alpc]") && !strstr(msg, " ? ")) {
			site_add(l, frame + 1);
			in_trace = false;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(splat_words); i++) {
			if (strstr(msg, splat_words[i])) {
				if (!bad++)
					snprintf(first, sizeof(first), "%.200s", msg);
				break;
			}
		}
	}
	*reports += allocs;
	if (bad || traces > allocs) {
		TH_LOG("%s: kernel log: %s", name, first[0] ? first : "a stack dump");
		return false;
	}
	if (allocs)
		klogctl(5, NULL, 0);	/* SYSLOG_ACTION_CLEAR */
	return true;
}

static void arm(unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	if (pwrite(nth_fd, b, len, 0) != len)
		abort();
}

/* Returns true if the failure armed was injected; disarms. */
static bool disarm(void)
{
	char b[16] = "";

	if (pread(nth_fd, b, sizeof(b) - 1, 0) <= 0)
		abort();
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		abort();
	return atoi(b) == 0;
}

FIXTURE(fi) {
	char saved[FI_FILES][32];
	char printk[64];
	bool set;
};

/* A variant per scenario; the scenarios are defined below. */
FIXTURE_VARIANT(fi) {
	const struct scenario *s;
};

FIXTURE_SETUP(fi)
{
	unsigned int i;

	self->set = false;
	if (access(ALPC_DEVICE_PATH, F_OK))
		SKIP(return, "no %s", ALPC_DEVICE_PATH);
	if (access("/proc/thread-self/fail-nth", W_OK) || access(DBG "/failslab", F_OK) ||
	    access(DBG "/fail_page_alloc", F_OK))
		SKIP(return, "no fault injection (FAILSLAB, FAIL_PAGE_ALLOC, debugfs)");
	sites = getenv("ALPC_FI_SITES");
	for (i = 0; i < FI_FILES; i++)
		ASSERT_EQ(0, read_str(fi_files[i], self->saved[i], sizeof(self->saved[i])));
	for (i = 0; i < FI_FILES; i++)
		ASSERT_EQ(0, write_str(fi_files[i], sites ? fi_values_sites[i] : fi_values[i]));
	/*
	 * Allocation failure reports are warnings: keep them off the console,
	 * where the runner's last check would take their stack dumps for
	 * splats. Errors (KASAN, BUG, Oops) still reach it; everything stays
	 * in the log, which kmsg_expected() and the runner read.
	 */
	ASSERT_EQ(0, read_str("/proc/sys/kernel/printk", self->printk, sizeof(self->printk)));
	ASSERT_EQ(0, write_str("/proc/sys/kernel/printk", "4"));
	self->set = true;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg_fd);
	lseek(kmsg_fd, 0, SEEK_END);
}

FIXTURE_TEARDOWN(fi)
{
	unsigned int i;

	if (!self->set)
		return;
	for (i = 0; i < FI_FILES; i++)
		write_str(fi_files[i], self->saved[i]);
	self->printk[strcspn(self->printk, " \t")] = 0;
	write_str("/proc/sys/kernel/printk", self->printk);
	close(nth_fd);
	close(kmsg_fd);
}

/* One run: set up, the call with the @n-th allocation failing (0: none), check, tear down. */
static bool run_once(struct __test_metadata *_metadata, const struct scenario *s,
		     unsigned int n, bool *injected, int *err)
{
	const char *why = NULL;
	struct ctx c;
	bool ok = true;

	ctx_init(&c);
	c.type = s->type;
	c.which = s->which;
	if (c.dev < 0 || c.lend == MAP_FAILED || s->setup(&c)) {
		TH_LOG("%s: setup failed: %s", s->name, strerror(errno));
		ctx_fini(&c);
		return false;
	}
	/* Fault in what the call touches: only the call's own allocations may fail. */
	memset(c.out, 0, sizeof(c.out));
	if (n)
		arm(n);
	s->action(&c);
	*injected = n ? disarm() : false;
	*err = c.ret < 0 ? c.err : 0;
	if (c.ret < 0 && !clean_errno(s, c.err)) {
		TH_LOG("%s: allocation %u failed the call with %s", s->name, n, strerror(c.err));
		ok = false;
	} else if (c.ret < 0 && !*injected) {
		TH_LOG("%s: failed with %s, nothing injected (allocation %u)", s->name,
		       strerror(c.err), n);
		ok = false;
	} else if (!s->check(&c, *injected, &why)) {
		TH_LOG("%s: allocation %u (%s): %s", s->name, n,
		       c.ret < 0 ? strerror(c.err) : "call succeeded", why ? why : "check failed");
		ok = false;
	}
	if (c.srv && server_stop(c.srv)) {
		TH_LOG("%s: allocation %u: the serving thread saw errors", s->name, n);
		ok = false;
	}
	c.srv = NULL;
	ctx_fini(&c);
	return ok;
}

/*
 * Fails the scenario's call at its first, second, ... allocation until a
 * run passes the counter by; every run must pass its checks, and leave
 * no fd or mapping behind.
 */
static void inject_all(struct __test_metadata *_metadata, const struct scenario *s)
{
	unsigned int n, i, failed = 0, absorbed = 0, reports = 0;
	struct site_list l = { .n = 0 };
	bool injected;
	int fds, maps, err;

	/* A run without injection first: it must work, and settles caches and stacks. */
	ASSERT_TRUE(run_once(_metadata, s, 0, &injected, &err));
	ASSERT_EQ(0, err);
	ASSERT_TRUE(run_once(_metadata, s, 0, &injected, &err));
	fds = count_fds();
	maps = count_maps();
	for (n = 1; n < MAX_POINTS; n++) {
		ASSERT_TRUE(run_once(_metadata, s, n, &injected, &err));
		ASSERT_TRUE(kmsg_expected(_metadata, s->name, &reports, &l));
		EXPECT_EQ(fds, count_fds()) {
			TH_LOG("%s: fds left behind after allocation %u failed", s->name, n);
		}
		EXPECT_EQ(maps, count_maps()) {
			TH_LOG("%s: mappings left behind after allocation %u failed", s->name, n);
		}
		if (!injected)
			break;
		if (err)
			failed++;
		else
			absorbed++;
	}
	ASSERT_GT(MAX_POINTS, n);
	ASSERT_EQ(0, err) {
		TH_LOG("%s: failed without injection", s->name);
	}
	printf("# %s: %u injection points: %u failed the call cleanly, %u absorbed", s->name,
	       n - 1, failed, absorbed);
	printf(" (%u allocation failure reports in the kernel log)\n", reports);
	if (sites) {
		printf("# %s: the module's functions whose allocations failed:", s->name);
		for (i = 0; i < l.n; i++)
			printf(" %s", l.name[i]);
		printf("\n");
	}
}

/* Scenarios */

static int setup_none(struct ctx *c)
{
	return 0;
}

static void act_create_port(struct ctx *c)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS };

	c->ret = alpc_create_port(c->dev, c->name, &attr, 0);
	c->err = errno;
	c->port = c->ret;
}

static bool check_create_port(struct ctx *c, bool injected, const char **why)
{
	int again = alpc_create_port(c->dev, c->name, NULL, 0);

	if (c->ret >= 0) {
		*why = "the name is not taken";
		if (again >= 0 || errno != EEXIST)
			return false;
		*why = "the port does not work";
		close_fd(&c->port);
		if (make_pair(c, false) || !round_trip(c))
			return false;
		return true;
	}
	/* Failed: the name is free. */
	*why = "the name stayed taken";
	if (again < 0)
		return false;
	close(again);
	return true;
}

static const struct scenario s_create_port = {
	"create_port", setup_none, act_create_port, check_create_port, true,
};

static int setup_served_port(struct ctx *c)
{
	c->port = alpc_create_port(c->dev, c->name, NULL, 0);
	if (c->port < 0)
		return -1;
	c->srv = server_start(c->port, -1, -1);
	return c->srv ? 0 : -1;
}

/* The server answers a request through the connection port (served by its thread). */
static bool served_round_trip(int client)
{
	struct alpc_send_wait sw;
	char reply[16] = "";

	alpc_send_wait_init(&sw, "ping", 4, reply, sizeof(reply), ALPC_WAIT_NS);
	return !alpc_send_wait(client, &sw) && sw.reply.len == 4 && !memcmp(reply, "ping", 4);
}

static void act_connect(struct ctx *c)
{
	c->ret = alpc_connect(c->dev, c->name, "hello", 5, ALPC_WAIT_NS, c->out, 64, NULL);
	c->err = errno;
	c->client = c->ret;
}

static bool check_connect(struct ctx *c, bool injected, const char **why)
{
	*why = "the connection does not work";
	if (c->ret >= 0)
		return served_round_trip(c->client);
	/* Failed: the port takes the next client. */
	*why = "the port refuses the next client";
	c->client = alpc_connect(c->dev, c->name, NULL, 0, ALPC_WAIT_NS, NULL, 0, NULL);
	return c->client >= 0 && served_round_trip(c->client);
}

static const struct scenario s_connect = {
	"connect", setup_served_port, act_connect, check_connect, true,
};

static int setup_async(struct ctx *c)
{
	if (setup_served_port(c))
		return -1;
	c->efd = eventfd(0, EFD_CLOEXEC);
	c->cp = alpc_create_completion(c->dev, c->efd, 16, 0);
	return c->cp < 0 ? -1 : 0;
}

static void act_connect_async(struct ctx *c)
{
	struct alpc_connect *con = &c->a.conn;

	alpc_connect_init(con, c->name, "hi", 2, -1);
	con->flags = ALPC_CONNECT_ASYNC;
	con->completion_fd = c->cp;
	con->key = 77;
	c->ret = ioctl(c->dev, ALPC_IOC_CONNECT, con);
	c->err = errno;
	c->client = c->ret;
}

static bool check_connect_async(struct ctx *c, bool injected, const char **why)
{
	struct alpc_completion e[4];
	struct alpc_msg_info info;
	__u32 n = 0;

	if (c->ret < 0) {
		/* Nothing completes for a connect that failed. */
		*why = "a failed asynchronous connect posted a completion";
		if (!alpc_dequeue(c->cp, e, 4, 50 * MS, &n) && n)
			return false;
		return true;
	}
	*why = "no successful CONNECT completion";
	if (alpc_dequeue(c->cp, e, 4, ALPC_WAIT_NS, &n) || n != 1 || e[0].key != 77 ||
	    e[0].kind != ALPC_COMPLETION_CONNECT || e[0].status)
		return false;
	*why = "no accept reply queued";
	if (alpc_recv(c->client, c->out, sizeof(c->out), 0, &info) ||
	    info.type != ALPC_MSG_REPLY || info.id != e[0].msg_id)
		return false;
	*why = "the connection does not work";
	return served_round_trip(c->client);
}

static const struct scenario s_connect_async = {
	"connect_async", setup_async, act_connect_async, check_connect_async, true,
};

/* A client connecting in a thread; its connection request received. */
static int setup_accept(struct ctx *c)
{
	struct alpc_msg_info info;

	c->port = alpc_create_port(c->dev, c->name, NULL, 0);
	if (c->port < 0)
		return -1;
	alpc_connect_init(&c->con, c->name, "req", 3, ALPC_WAIT_NS);
	c->con.reply_buf = (__u64)(uintptr_t)c->buf;
	c->con.reply_size = 64;
	if (alpc_call_start(&c->call, c->dev, ALPC_IOC_CONNECT, &c->con))
		return -1;
	c->calling = true;
	if (alpc_recv(c->port, c->out, sizeof(c->out), ALPC_WAIT_NS, &info) ||
	    info.type != ALPC_MSG_CONNECTION_REQUEST)
		return -1;
	c->id = info.id;
	return 0;
}

static void do_accept(struct ctx *c, __u32 flags)
{
	c->ret = alpc_accept(c->port, c->id, flags, 9, "welcome", 7);
	c->err = errno;
	if (flags & ALPC_ACCEPT_COMM_PORT && c->ret >= 0)
		c->comm = c->ret;
}

static void act_accept(struct ctx *c)
{
	do_accept(c, 0);
}

static void act_accept_comm(struct ctx *c)
{
	do_accept(c, ALPC_ACCEPT_COMM_PORT);
}

static void act_reject(struct ctx *c)
{
	do_accept(c, ALPC_ACCEPT_REJECT);
}

static bool check_accept_common(struct ctx *c, __u32 flags, const char **why)
{
	int fd;

	if (c->ret < 0) {
		/* Failed: the request is still there to answer. */
		*why = "the connection request cannot be answered after the failure";
		c->ret = alpc_accept(c->port, c->id, flags, 9, "welcome", 7);
		if (c->ret < 0)
			return false;
		if (flags & ALPC_ACCEPT_COMM_PORT)
			c->comm = c->ret;
	}
	fd = alpc_call_join(&c->call);
	c->calling = false;
	if (flags & ALPC_ACCEPT_REJECT) {
		*why = "the client was not refused";
		return fd < 0 && errno == ECONNREFUSED && c->con.reply_len == 7;
	}
	*why = "the client did not connect";
	if (fd < 0 || c->con.reply_len != 7 || memcmp(c->buf, "welcome", 7))
		return false;
	c->client = fd;
	c->server = flags & ALPC_ACCEPT_COMM_PORT ? c->comm : c->port;
	*why = "the connection does not work";
	return round_trip(c);
}

static bool check_accept(struct ctx *c, bool injected, const char **why)
{
	return check_accept_common(c, 0, why);
}

static bool check_accept_comm(struct ctx *c, bool injected, const char **why)
{
	return check_accept_common(c, ALPC_ACCEPT_COMM_PORT, why);
}

static bool check_reject(struct ctx *c, bool injected, const char **why)
{
	return check_accept_common(c, ALPC_ACCEPT_REJECT, why);
}

static const struct scenario s_accept = {
	"accept", setup_accept, act_accept, check_accept, true,
};

static const struct scenario s_accept_comm = {
	"accept_comm_port", setup_accept, act_accept_comm, check_accept_comm, true,
};

static const struct scenario s_reject = {
	"reject", setup_accept, act_reject, check_reject, true,
};

/* Variants of a message's attributes. */
enum {
	A_NONE = 0,
	A_VIEW = 1,
	A_REGION = 2,
	A_FDS = 4,
};

/* A connection (server comm port), a section of it, an eventfd, /dev/null. */
static int setup_msg(struct ctx *c)
{
	if (make_pair(c, true))
		return -1;
	c->sec = make_section(c->client, 3 * PAGE, 0x11);
	c->ssec = make_section(c->comm, 3 * PAGE, 0x22);
	c->efd = eventfd(0, EFD_CLOEXEC);
	c->fd2 = open("/dev/null", O_RDWR | O_CLOEXEC);
	return c->sec < 0 || c->ssec < 0 || c->efd < 0 || c->fd2 < 0 ? -1 : 0;
}

static __u64 attrs_for(struct ctx *c, unsigned int which, int sec)
{
	struct alpc_msg_attrs *a = &c->attrs;

	memset(a, 0, sizeof(*a));
	if (which & A_VIEW) {
		a->flags |= ALPC_ATTR_VIEW;
		a->section_fd = sec;
		a->view_offset = 10;
		a->view_len = 2 * PAGE;
	}
	if (which & A_REGION) {
		a->flags |= ALPC_ATTR_REGION;
		a->region_addr = (__u64)(uintptr_t)c->lend;
		a->region_len = 2 * PAGE;
		a->region_flags = ALPC_REGION_READ | ALPC_REGION_WRITE;
	}
	if (which & A_FDS) {
		a->flags |= ALPC_ATTR_FDS;
		c->fds[0] = c->efd;
		c->fds[1] = c->fd2;
		a->fds = (__u64)(uintptr_t)c->fds;
		a->nfds = 2;
	}
	return which ? (__u64)(uintptr_t)a : 0;
}

static void send_from_client(struct ctx *c, __u32 type, unsigned int which)
{
	struct alpc_send *s = &c->a.send;

	memset(s, 0, sizeof(*s));
	s->type = type;
	s->buf = (__u64)(uintptr_t)c->buf;
	s->len = 200;
	s->attrs = attrs_for(c, which, c->sec);
	c->ret = ioctl(c->client, ALPC_IOC_SEND, s);
	c->err = errno;
	c->id = s->id;
}

/* The server receives @type with what @which says it carries, then nothing more. */
static bool server_gets(struct ctx *c, __u32 type, unsigned int which, const char **why)
{
	struct alpc_recv *r = &c->a.recv;
	struct alpc_msg_info *info = &r->info;
	__u32 i;

	memset(r, 0, sizeof(*r));
	memset(&c->extra, 0, sizeof(c->extra));
	c->extra.fds = (__u64)(uintptr_t)c->fds;
	c->extra.fds_size = 8;
	r->buf = (__u64)(uintptr_t)c->out;
	r->size = sizeof(c->out);
	r->extra = (__u64)(uintptr_t)&c->extra;
	*why = "the message was not delivered";
	if (ioctl(c->server, ALPC_IOC_RECV, r) || info->type != type || info->len != 200 ||
	    memcmp(c->out, c->buf, 200))
		return false;
	for (i = 0; i < c->extra.nfds; i++)
		close(c->fds[i]);
	unmap_view(info);
	*why = "the message lost an attribute";
	if (!!(which & A_VIEW) != !!(info->flags & ALPC_MSGF_VIEW) ||
	    !!(which & A_REGION) != !!(info->flags & ALPC_MSGF_REGION_READ) ||
	    (which & A_FDS ? 2 : 0) != c->extra.nfds)
		return false;
	*why = "more was queued";
	if (!queue_empty(c->server))
		return false;
	c->id2 = info->id;
	return true;
}

static void act_send(struct ctx *c)
{
	send_from_client(c, c->type, c->which);
}

static bool check_send(struct ctx *c, bool injected, const char **why)
{
	if (c->ret < 0) {
		*why = "a failed send queued something";
		return queue_empty(c->server) && round_trip(c);
	}
	if (!server_gets(c, c->type, c->which, why))
		return false;
	*why = "the request cannot be answered";
	if (c->type == ALPC_MSG_REQUEST && !answer(c, c->id2))
		return false;
	*why = "the connection broke";
	return round_trip(c);
}

static const struct scenario s_send_datagram = {
	"send_datagram", setup_msg, act_send, check_send, false, ALPC_MSG_DATAGRAM, A_NONE,
};

static const struct scenario s_send_request_with_region = {
	"send_request_with_region", setup_msg, act_send, check_send, false,
	ALPC_MSG_REQUEST, A_REGION,
};

static const struct scenario s_send_with_view = {
	"send_with_view", setup_msg, act_send, check_send, false, ALPC_MSG_DATAGRAM, A_VIEW,
};

static const struct scenario s_send_with_fds = {
	"send_with_fds", setup_msg, act_send, check_send, false, ALPC_MSG_DATAGRAM, A_FDS,
};

static const struct scenario s_send_with_everything = {
	"send_with_everything", setup_msg, act_send, check_send, false, ALPC_MSG_REQUEST,
	A_VIEW | A_REGION | A_FDS,
};

/* A request, received by the server: to answer, or to reach into. */
static int setup_request(struct ctx *c)
{
	struct alpc_msg_info info;

	if (setup_msg(c))
		return -1;
	send_from_client(c, ALPC_MSG_REQUEST, A_REGION);
	if (c->ret < 0 || alpc_recv(c->server, c->out, sizeof(c->out), 0, &info) ||
	    info.type != ALPC_MSG_REQUEST)
		return -1;
	return 0;
}

static void act_reply_with_view(struct ctx *c)
{
	struct alpc_send *s = &c->a.send;

	memset(s, 0, sizeof(*s));
	s->type = ALPC_MSG_REPLY;
	s->ref_id = c->id;
	s->buf = (__u64)(uintptr_t)c->buf;
	s->len = 250;
	s->attrs = attrs_for(c, A_VIEW | A_FDS, c->ssec);
	c->ret = ioctl(c->server, ALPC_IOC_SEND, s);
	c->err = errno;
}

/* The client receives the reply to c->id, with a view and two fds, then nothing. */
static bool client_gets_reply(struct ctx *c, const char **why)
{
	struct alpc_recv *r = &c->a.recv;
	__u32 i;

	memset(r, 0, sizeof(*r));
	memset(&c->extra, 0, sizeof(c->extra));
	c->extra.fds = (__u64)(uintptr_t)c->fds;
	c->extra.fds_size = 8;
	r->buf = (__u64)(uintptr_t)c->out;
	r->size = sizeof(c->out);
	r->extra = (__u64)(uintptr_t)&c->extra;
	*why = "no reply for the client";
	if (ioctl(c->client, ALPC_IOC_RECV, r) || r->info.type != ALPC_MSG_REPLY ||
	    r->info.ref_id != c->id || r->info.len != 250)
		return false;
	for (i = 0; i < c->extra.nfds; i++)
		close(c->fds[i]);
	unmap_view(&r->info);
	*why = "the reply lost an attribute";
	if (!(r->info.flags & ALPC_MSGF_VIEW) || c->extra.nfds != 2)
		return false;
	*why = "a second reply";
	return queue_empty(c->client);
}

static bool check_reply_with_view(struct ctx *c, bool injected, const char **why)
{
	if (c->ret < 0) {
		/* The request is still outstanding: the reply goes now. */
		*why = "a failed reply reached the client";
		if (!queue_empty(c->client))
			return false;
		*why = "the request cannot be answered after the failure";
		act_reply_with_view(c);
		if (c->ret < 0)
			return false;
	}
	return client_gets_reply(c, why);
}

static const struct scenario s_reply_with_view = {
	"reply_with_view_and_fds", setup_request, act_reply_with_view, check_reply_with_view,
	false,
};

/* A datagram with a view and fds from a client that registered its pidfd, queued. */
static int setup_recv(struct ctx *c)
{
	struct alpc_port_attr attr = { .flags = ALPC_PORT_ALLOW_FDS };
	struct alpc_msg_info info;
	struct alpc_connect *con = &c->con;
	int pidfd;

	c->port = alpc_create_port(c->dev, c->name, &attr, 0);
	if (c->port < 0)
		return -1;
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0)
		return -1;
	alpc_connect_init(con, c->name, NULL, 0, ALPC_WAIT_NS);
	con->flags = ALPC_CONNECT_PIDFD;
	con->pidfd = pidfd;
	if (alpc_call_start(&c->call, c->dev, ALPC_IOC_CONNECT, con))
		return -1;
	if (!alpc_recv(c->port, c->out, sizeof(c->out), ALPC_WAIT_NS, &info))
		alpc_accept(c->port, info.id, 0, 1, NULL, 0);
	c->client = alpc_call_join(&c->call);
	close(pidfd);
	if (c->client < 0)
		return -1;
	c->comm = -1;
	c->server = c->port;
	c->sec = make_section(c->client, 3 * PAGE, 0x11);
	c->efd = eventfd(0, EFD_CLOEXEC);
	c->fd2 = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (c->sec < 0 || c->efd < 0 || c->fd2 < 0)
		return -1;
	send_from_client(c, ALPC_MSG_DATAGRAM, A_VIEW | A_FDS);
	return c->ret < 0 ? -1 : 0;
}

static void act_recv(struct ctx *c)
{
	struct alpc_recv *r = &c->a.recv;

	memset(r, 0, sizeof(*r));
	memset(&c->extra, 0, sizeof(c->extra));
	c->extra.fds = (__u64)(uintptr_t)c->fds;
	c->extra.fds_size = 8;
	c->extra.groups = (__u64)(uintptr_t)c->groups;
	c->extra.groups_size = 8;
	r->flags = ALPC_RECV_PIDFD | ALPC_RECV_GROUPS;
	r->buf = (__u64)(uintptr_t)c->out;
	r->size = sizeof(c->out);
	r->extra = (__u64)(uintptr_t)&c->extra;
	c->ret = ioctl(c->server, ALPC_IOC_RECV, r);
	c->err = errno;
}

/* Whether @flag in @flags disagrees with what was seen: @seen true, set. */
static bool lost_flag_wrong(__u32 flags, __u32 flag, bool seen)
{
	return !(flags & flag) == seen;
}

static bool check_recv(struct ctx *c, bool injected, const char **why)
{
	struct alpc_recv *r = &c->a.recv;
	__u32 i;

	if (c->ret < 0) {
		/* The message stays queued: a receive without injection gets it. */
		*why = "a failed receive took the message";
		act_recv(c);
		if (c->ret < 0)
			return false;
	}
	for (i = 0; i < c->extra.nfds; i++)
		close(c->fds[i]);
	if (c->extra.pidfd >= 0)
		close(c->extra.pidfd);
	unmap_view(&r->info);
	*why = "the message lost something";
	if (r->info.type != ALPC_MSG_DATAGRAM || r->info.len != 200 ||
	    !(r->info.flags & ALPC_MSGF_VIEW))
		return false;
	/*
	 * What the receiver could not take arrives flagged, not failed: only
	 * an injected failure may cost the view, fds or pidfd, and only as
	 * the flags say.
	 */
	*why = "a part was lost without an injected failure, or without its flag";
	if (!injected && (r->info.flags & (ALPC_MSGF_VIEW_LOST | ALPC_MSGF_FDS_LOST) ||
			  !(r->info.flags & ALPC_MSGF_PIDFD)))
		return false;
	if (lost_flag_wrong(r->info.flags, ALPC_MSGF_VIEW_LOST, !r->info.view_addr) ||
	    lost_flag_wrong(r->info.flags, ALPC_MSGF_FDS_LOST, c->extra.nfds != 2) ||
	    lost_flag_wrong(r->info.flags, ALPC_MSGF_PIDFD, c->extra.pidfd >= 0))
		return false;
	*why = "the message came twice";
	return queue_empty(c->server);
}

static const struct scenario s_recv = {
	"recv_view_fds_pidfd_groups", setup_recv, act_recv, check_recv, true,
};

/* A connection whose server thread answers on its comm port, with a view. */
static int setup_send_wait(struct ctx *c)
{
	if (setup_msg(c))
		return -1;
	c->srv = server_start(c->comm, c->ssec, c->efd);
	return c->srv ? 0 : -1;
}

static void act_send_wait(struct ctx *c)
{
	struct alpc_send_wait *sw = &c->a.sw;

	alpc_send_wait_init(sw, c->buf, 100, c->out, sizeof(c->out), ALPC_WAIT_NS);
	memset(&c->extra, 0, sizeof(c->extra));
	c->extra.fds = (__u64)(uintptr_t)c->fds;
	c->extra.fds_size = 8;
	sw->extra = (__u64)(uintptr_t)&c->extra;
	sw->attrs = attrs_for(c, A_VIEW | A_REGION, c->sec);
	c->ret = ioctl(c->client, ALPC_IOC_SEND_WAIT, sw);
	c->err = errno;
}

static bool check_send_wait(struct ctx *c, bool injected, const char **why)
{
	struct alpc_send_wait *sw = &c->a.sw;

	if (c->ret == 0) {
		unmap_view(&sw->reply);
		if (c->extra.nfds == 1)
			close(c->fds[0]);
		*why = "the reply is not the request's";
		if (sw->reply.type != ALPC_MSG_REPLY || sw->reply.ref_id != sw->id ||
		    sw->reply.len != 100 || !(sw->reply.flags & ALPC_MSGF_VIEW))
			return false;
		/* Only an injected failure may cost the view or the fd, flagged. */
		*why = "a part of the reply was lost uninjected, or unflagged";
		if (!injected && sw->reply.flags & (ALPC_MSGF_VIEW_LOST | ALPC_MSGF_FDS_LOST))
			return false;
		if (lost_flag_wrong(sw->reply.flags, ALPC_MSGF_VIEW_LOST, !sw->reply.view_addr) ||
		    lost_flag_wrong(sw->reply.flags, ALPC_MSGF_FDS_LOST, c->extra.nfds != 1))
			return false;
	}
	*why = "nothing else may be queued for the client";
	if (!queue_empty(c->client))
		return false;
	*why = "the connection does not work after it";
	act_send_wait(c);
	if (c->ret)
		return false;
	unmap_view(&sw->reply);
	if (c->extra.nfds == 1)
		close(c->fds[0]);
	return true;
}

static const struct scenario s_send_wait = {
	"send_wait_view_region", setup_send_wait, act_send_wait, check_send_wait, true,
};

/* A request received by the server (comm port), and a datagram queued behind it. */
static int setup_reply_recv(struct ctx *c)
{
	__u64 first;

	if (setup_request(c))
		return -1;
	first = c->id;
	send_from_client(c, ALPC_MSG_DATAGRAM, A_VIEW);
	c->id2 = c->id;
	c->id = first;
	return c->ret < 0 ? -1 : 0;
}

static void act_reply_recv(struct ctx *c)
{
	struct alpc_reply_recv *rr = &c->a.rr;

	alpc_reply_recv_init(rr, c->id, c->buf, 250, c->out, sizeof(c->out), 0);
	rr->attrs = attrs_for(c, A_VIEW | A_FDS, c->ssec);
	c->ret = ioctl(c->server, ALPC_IOC_REPLY_RECV, rr);
	c->err = errno;
}

static bool check_reply_recv(struct ctx *c, bool injected, const char **why)
{
	struct alpc_reply_recv *rr = &c->a.rr;

	if (c->ret < 0 && !rr->reply_id) {
		/* Failed before the reply went: it can go now. */
		*why = "a reply that failed reached the client";
		if (!queue_empty(c->client))
			return false;
		act_reply_recv(c);
		*why = "the request cannot be answered after the failure";
		if (c->ret < 0)
			return false;
	} else if (c->ret < 0) {
		/* The reply went; the receive failed and left the datagram queued. */
		*why = "the reply failed";
		if (rr->reply_status)
			return false;
		*why = "a failed receive took the datagram";
		alpc_reply_recv_init(rr, 0, NULL, 0, c->out, sizeof(c->out), 0);
		if (ioctl(c->server, ALPC_IOC_REPLY_RECV, rr))
			return false;
	}
	unmap_view(&rr->recv.info);
	*why = "the datagram did not come";
	if (rr->recv.info.type != ALPC_MSG_DATAGRAM || rr->recv.info.id != c->id2 ||
	    !(rr->recv.info.flags & ALPC_MSGF_VIEW))
		return false;
	return client_gets_reply(c, why);
}

static const struct scenario s_reply_recv = {
	"reply_recv", setup_reply_recv, act_reply_recv, check_reply_recv, false,
};

static void act_cancel(struct ctx *c)
{
	c->ret = alpc_cancel(c->client, c->id);
	c->err = errno;
}

static bool check_cancel(struct ctx *c, bool injected, const char **why)
{
	struct alpc_msg_info info;

	*why = "cancel failed";
	if (c->ret)
		return false;
	*why = "the server did not hear of it";
	if (alpc_recv(c->server, c->out, sizeof(c->out), 0, &info) ||
	    info.type != ALPC_MSG_CANCELED || info.ref_id != c->id)
		return false;
	*why = "a canceled request could be answered";
	return alpc_reply(c->server, c->id, NULL, 0) && errno == ENOENT;
}

static const struct scenario s_cancel = {
	"cancel", setup_request, act_cancel, check_cancel, false,
};

static void act_access(struct ctx *c)
{
	struct alpc_access *a = &c->a.acc;

	memset(a, 0, sizeof(*a));
	a->id = c->id;
	a->op = ALPC_ACCESS_WRITE;
	a->offset = PAGE - 50;
	a->len = 100;
	a->buf = (__u64)(uintptr_t)c->buf;
	c->ret = ioctl(c->server, ALPC_IOC_ACCESS, a);
	c->err = errno;
}

static bool check_access(struct ctx *c, bool injected, const char **why)
{
	if (c->ret < 0) {
		*why = "the region cannot be written after the failure";
		act_access(c);
		if (c->ret < 0)
			return false;
	}
	*why = "the region does not hold what was written";
	if (c->a.acc.done != 100 || memcmp(c->lend + PAGE - 50, c->buf, 100))
		return false;
	*why = "the request cannot be answered";
	if (!answer(c, c->id))
		return false;
	*why = "the connection broke";
	return round_trip(c);
}

static const struct scenario s_access = {
	"access_write", setup_request, act_access, check_access, false,
};

/* A connection whose client has a request queued (not received): a batch cancels it. */
static int setup_batch(struct ctx *c)
{
	if (setup_msg(c))
		return -1;
	send_from_client(c, ALPC_MSG_REQUEST, A_NONE);
	return c->ret < 0 ? -1 : 0;
}

static void act_batch(struct ctx *c)
{
	struct alpc_batch *b = &c->a.batch;
	int i;

	memset(c->ops, 0, sizeof(c->ops));
	for (i = 0; i < 2; i++) {
		memset(&c->bsend[i], 0, sizeof(c->bsend[i]));
		c->bsend[i].type = ALPC_MSG_DATAGRAM;
		c->bsend[i].buf = (__u64)(uintptr_t)c->buf;
		c->bsend[i].len = 100 + i;
		c->ops[i].op = ALPC_OP_SEND;
		c->ops[i].arg = (__u64)(uintptr_t)&c->bsend[i];
	}
	c->bsend[1].attrs = attrs_for(c, A_VIEW, c->sec);
	memset(&c->brecv, 0, sizeof(c->brecv));
	c->brecv.buf = (__u64)(uintptr_t)c->out;
	c->brecv.size = sizeof(c->out);
	c->ops[2].op = ALPC_OP_RECV;
	c->ops[2].arg = (__u64)(uintptr_t)&c->brecv;
	memset(&c->bcancel, 0, sizeof(c->bcancel));
	c->bcancel.id = c->id;
	c->ops[3].op = ALPC_OP_CANCEL;
	c->ops[3].arg = (__u64)(uintptr_t)&c->bcancel;
	memset(b, 0, sizeof(*b));
	b->ops = (__u64)(uintptr_t)c->ops;
	b->count = 4;
	c->ret = ioctl(c->client, ALPC_IOC_BATCH, b);
	c->err = errno;
}

static bool check_batch(struct ctx *c, bool injected, const char **why)
{
	struct alpc_msg_info info;
	int i;

	if (c->ret < 0) {
		/* Nothing performed: the request is still queued, nothing else. */
		*why = "a failed batch did something";
		if (alpc_recv(c->server, c->out, sizeof(c->out), 0, &info) ||
		    info.type != ALPC_MSG_REQUEST || info.id != c->id)
			return false;
		return queue_empty(c->server) && !alpc_reply(c->server, c->id, NULL, 0);
	}
	*why = "a result is not ENOMEM or 0, or a receive found something";
	for (i = 0; i < 2; i++)
		if (c->ops[i].result && c->ops[i].result != -ENOMEM)
			return false;
	if (c->ops[2].result != -EAGAIN || c->ops[3].result)
		return false;
	/* Each send that succeeded arrives, in order; no other. */
	*why = "what arrived is not what the results say";
	for (i = 0; i < 2; i++) {
		if (c->ops[i].result)
			continue;
		if (alpc_recv(c->server, c->out, sizeof(c->out), 0, &info) ||
		    info.type != ALPC_MSG_DATAGRAM || info.len != 100u + i)
			return false;
		unmap_view(&info);
	}
	return queue_empty(c->server) && round_trip(c);
}

static const struct scenario s_batch = {
	"batch", setup_batch, act_batch, check_batch, false,
};

/*
 * Datagrams in bulk. A SEND_DGRAMS allocates the bundle (the copy of the
 * buffer) and, unless its connection has one cached, the array of the
 * datagrams' headers; the last datagram received gives the array back
 * to the cache. DG_COUNT datagrams take more than a page both ways, so
 * both allocations are kvmalloc()s that may fall back to vmalloc(). The
 * port queues at most DG_COUNT messages: a charge left behind by a
 * failure shows as a later full send that queues fewer.
 */

/* Fills c->dgin with @n datagrams of 0 to 196 bytes after @seed; returns their size. */
static __u32 dg_build(struct ctx *c, __u32 n, __u32 seed)
{
	struct alpc_dgram *h;
	__u32 i, off = 0;

	for (i = 0; i < n; i++) {
		h = (struct alpc_dgram *)((unsigned char *)c->dgin + off);
		memset(h, 0, sizeof(*h));
		h->context = seed * 1000 + i;
		h->len = (i * 37 + seed) % 197;
		alpc_fill(h + 1, h->len, seed + i);
		off += ALPC_DGRAM_SIZE(h->len);
	}
	return off;
}

/* SEND_DGRAMS of @n datagrams after @seed on @fd, not waiting: c->ret, c->err, c->a.dg. */
static void dg_send(struct ctx *c, int fd, __u32 n, __u32 seed)
{
	struct alpc_dgrams *d = &c->a.dg;

	memset(d, 0, sizeof(*d));
	d->buf = (__u64)(uintptr_t)c->dgin;
	d->size = dg_build(c, n, seed);
	d->count = n;
	c->ret = ioctl(fd, ALPC_IOC_SEND_DGRAMS, d);
	c->err = errno;
}

/*
 * RECV_DGRAMS on @fd, with room for more, takes exactly the @n datagrams
 * of @seed, each whole, with @port_context and the ids @first_id,
 * @first_id + 1, ... (0: any); then nothing more is queued.
 */
static bool dg_recv(struct ctx *c, int fd, __u32 n, __u32 seed, __u64 first_id,
		    __u64 port_context, const char **why)
{
	struct alpc_dgrams d = {
		.buf = (__u64)(uintptr_t)c->dgout,
		.size = sizeof(c->dgout),
		.count = n + 1,
	};
	struct alpc_dgram *h;
	__u32 i, off = 0;

	*why = "RECV_DGRAMS did not take them all";
	if (ioctl(fd, ALPC_IOC_RECV_DGRAMS, &d) || d.done != n ||
	    (first_id && d.first_id != first_id))
		return false;
	*why = "a datagram came back wrong";
	for (i = 0; i < n; i++) {
		h = (struct alpc_dgram *)((unsigned char *)c->dgout + off);
		if (h->context != seed * 1000 + i || h->len != (i * 37 + seed) % 197 ||
		    h->port_context != port_context || h->flags || !h->id ||
		    (!i && h->id != d.first_id) || (first_id && h->id != first_id + i) ||
		    !alpc_check_fill(h + 1, h->len, seed + i))
			return false;
		off += ALPC_DGRAM_SIZE(h->len);
	}
	*why = "RECV_DGRAMS reported other bytes than it wrote";
	if (d.bytes != off)
		return false;
	*why = "more was queued";
	return queue_empty(fd);
}

/*
 * A full load goes from the client to the server's end and back in one
 * call each: a failure before left no charge (the queue takes all
 * DG_COUNT) and no header array half given back.
 */
static bool dg_round(struct ctx *c, __u32 seed, const char **why)
{
	dg_send(c, c->client, DG_COUNT, seed);
	*why = "a full SEND_DGRAMS after it did not queue them all";
	if (c->ret || c->a.dg.done != DG_COUNT || c->a.dg.bytes != c->a.dg.size)
		return false;
	return dg_recv(c, c->server, DG_COUNT, seed, c->a.dg.first_id, 1, why);
}

/* A connection (with a comm port if @comm) whose port queues DG_COUNT messages. */
static int setup_dgrams_pair(struct ctx *c, bool comm)
{
	struct alpc_port_attr attr = { .max_queued_msgs = DG_COUNT };

	return make_pair_attr(c, &attr, comm);
}

/* A new connection: no header array cached yet. */
static int setup_dgrams(struct ctx *c)
{
	return setup_dgrams_pair(c, true);
}

/* One round of DG_COUNT first: the connection has an array of as many headers cached. */
static int setup_dgrams_cached(struct ctx *c)
{
	const char *why;

	if (setup_dgrams(c) || !dg_round(c, 7, &why))
		return -1;
	return 0;
}

/* One round of 2 first: the cached array is too small, and the call replaces it. */
static int setup_dgrams_small_cache(struct ctx *c)
{
	const char *why;

	if (setup_dgrams(c))
		return -1;
	dg_send(c, c->client, 2, 7);
	if (c->ret || c->a.dg.done != 2 ||
	    !dg_recv(c, c->server, 2, 7, c->a.dg.first_id, 1, &why))
		return -1;
	return 0;
}

static void act_send_dgrams(struct ctx *c)
{
	dg_send(c, c->client, DG_COUNT, 3);
}

static bool check_send_dgrams(struct ctx *c, bool injected, const char **why)
{
	struct alpc_dgrams *d = &c->a.dg;

	if (c->ret < 0) {
		*why = "a failed SEND_DGRAMS reported datagrams done";
		if (d->done || d->bytes || d->first_id)
			return false;
		*why = "a failed SEND_DGRAMS queued something";
		if (!queue_empty(c->server))
			return false;
		return dg_round(c, 5, why) && round_trip(c);
	}
	*why = "SEND_DGRAMS did not queue them all";
	if (d->done != DG_COUNT || d->bytes != d->size || !d->first_id)
		return false;
	if (!dg_recv(c, c->server, DG_COUNT, 3, d->first_id, 1, why))
		return false;
	return dg_round(c, 5, why) && round_trip(c);
}

static const struct scenario s_send_dgrams = {
	"send_dgrams", setup_dgrams, act_send_dgrams, check_send_dgrams, false,
};

static const struct scenario s_send_dgrams_cached = {
	"send_dgrams_cached_headers", setup_dgrams_cached, act_send_dgrams, check_send_dgrams,
	false,
};

static const struct scenario s_send_dgrams_small_cache = {
	"send_dgrams_cache_too_small", setup_dgrams_small_cache, act_send_dgrams,
	check_send_dgrams, false,
};

/*
 * On a connection port (the server took no comm port): DG_COUNT
 * datagrams of one SEND_DGRAMS, then a plain datagram of ALPC_IOC_SEND,
 * for one RECV_DGRAMS to take them all, freeing a bundle and a message
 * of its own. It allocates nothing today; should it come to, a failure
 * must leave every datagram queued.
 */
static int setup_recv_dgrams(struct ctx *c)
{
	if (setup_dgrams_pair(c, false))
		return -1;
	dg_send(c, c->client, DG_COUNT - 1, 9);
	if (c->ret || c->a.dg.done != DG_COUNT - 1)
		return -1;
	c->id = c->a.dg.first_id;
	/* The last of the lot, by ALPC_IOC_SEND: as dg_build() would have made it. */
	alpc_fill(c->buf, ((DG_COUNT - 1) * 37 + 9) % 197, 9 + DG_COUNT - 1);
	return alpc_send(c->client, ALPC_MSG_DATAGRAM, c->buf, ((DG_COUNT - 1) * 37 + 9) % 197,
			 9 * 1000 + DG_COUNT - 1, 0, 0, &c->id2);
}

static void act_recv_dgrams(struct ctx *c)
{
	struct alpc_dgrams *d = &c->a.dg;

	memset(d, 0, sizeof(*d));
	d->buf = (__u64)(uintptr_t)c->dgout;
	d->size = sizeof(c->dgout);
	d->count = DG_COUNT + 1;
	c->ret = ioctl(c->server, ALPC_IOC_RECV_DGRAMS, d);
	c->err = errno;
}

static bool check_recv_dgrams(struct ctx *c, bool injected, const char **why)
{
	struct alpc_dgrams *d = &c->a.dg;
	struct alpc_dgram *h;
	__u32 i, off = 0;

	if (c->ret < 0) {
		/* Nothing was taken: all of them are still there, in order. */
		*why = "a failed RECV_DGRAMS took datagrams";
		return dg_recv(c, c->server, DG_COUNT, 9, 0, 1, why) &&
		       dg_round(c, 5, why) && round_trip(c);
	}
	*why = "RECV_DGRAMS did not take them all";
	if (d->done != DG_COUNT || d->first_id != c->id)
		return false;
	*why = "a datagram came back wrong";
	for (i = 0; i < DG_COUNT; i++) {
		h = (struct alpc_dgram *)((unsigned char *)c->dgout + off);
		if (h->context != 9 * 1000 + i || h->len != (i * 37 + 9) % 197 ||
		    h->port_context != 1 || h->flags ||
		    h->id != (i < DG_COUNT - 1 ? c->id + i : c->id2) ||
		    !alpc_check_fill(h + 1, h->len, 9 + i))
			return false;
		off += ALPC_DGRAM_SIZE(h->len);
	}
	*why = "RECV_DGRAMS reported other bytes than it wrote";
	if (d->bytes != off)
		return false;
	*why = "more was queued";
	return queue_empty(c->server) && dg_round(c, 5, why) && round_trip(c);
}

static const struct scenario s_recv_dgrams = {
	"recv_dgrams_on_connection_port", setup_recv_dgrams, act_recv_dgrams, check_recv_dgrams,
	false,
};

/* A connection whose port allows one section of at most 8 pages. */
static int setup_section_quota(struct ctx *c)
{
	struct alpc_port_attr attr = {
		.max_sections = 1,
		.max_section_size = 8 * PAGE,
		.max_section_bytes = 8 * PAGE,
	};

	c->port = alpc_create_port(c->dev, c->name, &attr, 0);
	if (c->port < 0)
		return -1;
	c->client = alpc_connect_accept(c->dev, c->port, c->name, 1, 0, NULL, NULL);
	c->server = c->port;
	return c->client < 0 ? -1 : 0;
}

static void act_create_section(struct ctx *c)
{
	struct alpc_create_section cs = { .size = 8 * PAGE };

	c->ret = ioctl(c->client, ALPC_IOC_CREATE_SECTION, &cs);
	c->err = errno;
	c->sec = c->ret;
}

static bool check_create_section(struct ctx *c, bool injected, const char **why)
{
	void *m;

	if (c->ret >= 0) {
		*why = "the section cannot be mapped";
		m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->sec, 0);
		if (m == MAP_FAILED)
			return false;
		memset(m, 1, 8 * PAGE);
		munmap(m, 8 * PAGE);
		close_fd(&c->sec);
	}
	/* Whatever happened, the quota (one section, 8 pages) is whole again. */
	*why = "the section quota was not given back";
	act_create_section(c);
	return c->ret >= 0;
}

static const struct scenario s_create_section = {
	"create_section_quota", setup_section_quota, act_create_section, check_create_section,
	true,
};

static int setup_mmap(struct ctx *c)
{
	if (make_pair(c, false))
		return -1;
	c->sec = make_section(c->client, 6 * PAGE, 0x33);
	return c->sec < 0 ? -1 : 0;
}

static void act_mmap(struct ctx *c)
{
	void *m = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->sec, 0);

	c->ret = m == MAP_FAILED ? -1 : 0;
	c->err = errno;
	c->ring = m;
}

static bool check_mmap(struct ctx *c, bool injected, const char **why)
{
	unsigned char *p = c->ring;

	if (c->ret < 0) {
		c->ring = MAP_FAILED;
		*why = "the section cannot be mapped after the failure";
		act_mmap(c);
		if (c->ret < 0)
			return false;
		p = c->ring;
	}
	*why = "the mapping does not show the section";
	if (p[0] != 0x33 || p[6 * PAGE - 1] != 0x33)
		return false;
	munmap(c->ring, 6 * PAGE);
	c->ring = MAP_FAILED;
	return true;
}

static const struct scenario s_mmap = {
	"mmap_section", setup_mmap, act_mmap, check_mmap, false,
};

static int setup_eventfd(struct ctx *c)
{
	c->efd = eventfd(0, EFD_CLOEXEC);
	return c->efd < 0 ? -1 : 0;
}

static void act_create_completion(struct ctx *c)
{
	c->ret = alpc_create_completion(c->dev, c->efd, 256, 0);
	c->err = errno;
	c->cp = c->ret;
}

static bool check_create_completion(struct ctx *c, bool injected, const char **why)
{
	void *m;

	if (c->ret < 0) {
		*why = "the eventfd cannot serve another completion port";
		act_create_completion(c);
		if (c->ret < 0)
			return false;
	}
	*why = "the ring cannot be mapped";
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->cp, 0);
	if (m == MAP_FAILED)
		return false;
	munmap(m, PAGE);
	return true;
}

static const struct scenario s_create_completion = {
	"create_completion_ring", setup_eventfd, act_create_completion,
	check_create_completion, true,
};

static int setup_ring_mmap(struct ctx *c)
{
	if (setup_eventfd(c))
		return -1;
	c->cp = alpc_create_completion(c->dev, c->efd, 256, 0);
	return c->cp < 0 ? -1 : 0;
}

static void act_ring_mmap(struct ctx *c)
{
	c->ring = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->cp, 0);
	c->ret = c->ring == MAP_FAILED ? -1 : 0;
	c->err = errno;
}

static bool check_ring_mmap(struct ctx *c, bool injected, const char **why)
{
	struct alpc_ring *ring;

	if (c->ret < 0) {
		*why = "the ring cannot be mapped after the failure";
		act_ring_mmap(c);
		if (c->ret < 0)
			return false;
	}
	ring = c->ring;
	*why = "the ring is not the kernel's";
	return ring->mask == 255 && ring->head == ring->tail;
}

static const struct scenario s_ring_mmap = {
	"mmap_ring", setup_ring_mmap, act_ring_mmap, check_ring_mmap, false,
};

/*
 * A completion port with a one-entry ring, full, associated with the
 * server's end: the next message's entry must wait in the kernel, in
 * memory allocated as the message is sent.
 */
static int setup_backlog(struct ctx *c)
{
	if (setup_msg(c))
		return -1;
	close_fd(&c->efd);
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->cp = alpc_create_completion(c->dev, c->efd, 1, 0);
	if (c->cp < 0 || alpc_associate(c->server, c->cp, 5))
		return -1;
	c->ring = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c->cp, 0);
	if (c->ring == MAP_FAILED)
		return -1;
	send_from_client(c, ALPC_MSG_DATAGRAM, A_NONE);
	return c->ret < 0 ? -1 : 0;
}

static void act_backlog(struct ctx *c)
{
	send_from_client(c, ALPC_MSG_DATAGRAM, A_NONE);
}

static bool check_backlog(struct ctx *c, bool injected, const char **why)
{
	struct alpc_ring *ring = c->ring;
	struct alpc_completion e[4];
	struct alpc_msg_info info;
	__u64 dropped = ring->dropped;
	__u32 n = 0, want = c->ret < 0 ? 1 : 2;
	bool flagged = ring->flags & ALPC_RING_DROPPED;

	*why = "the ring does not hold the first entry";
	if (ring->tail - ring->head != 1)
		return false;
	/* Every message has its entry, or the ring counts it as dropped. */
	*why = "an entry is neither there nor counted as dropped";
	if (alpc_dequeue(c->cp, e, 4, 0, &n) || n + dropped != want ||
	    (dropped && !flagged) || (c->ret < 0 && (n != 1 || dropped)))
		return false;
	*why = "the messages are not all queued";
	for (n = 0; n < want; n++)
		if (alpc_recv(c->server, c->out, sizeof(c->out), 0, &info) ||
		    info.type != ALPC_MSG_DATAGRAM)
			return false;
	return queue_empty(c->server);
}

static const struct scenario s_backlog = {
	"completion_backlog", setup_backlog, act_backlog, check_backlog, false,
};

static int setup_security(struct ctx *c)
{
	c->port = alpc_create_port(c->dev, c->name, NULL, 0);
	return c->port < 0 ? -1 : 0;
}

static void act_set_security(struct ctx *c)
{
	struct alpc_port_security *ps = &c->a.ps;

	memset(ps, 0, sizeof(*ps));
	ps->sd.uid = geteuid();
	ps->sd.gid = getegid();
	ps->sd.mode = 0620;
	ps->sd.count = 2;
	ps->sd.acl[0].type = ALPC_ACE_DENY_UID;
	ps->sd.acl[0].id = 4242;
	ps->sd.acl[1].type = ALPC_ACE_ALLOW_GID;
	ps->sd.acl[1].id = 4243;
	c->ret = ioctl(c->port, ALPC_IOC_SET_SECURITY, ps);
	c->err = errno;
}

static bool check_set_security(struct ctx *c, bool injected, const char **why)
{
	struct alpc_port_security *ps = &c->a.ps;

	memset(ps, 0, sizeof(*ps));
	snprintf(ps->name, sizeof(ps->name), "%s", c->name);
	*why = "the descriptor cannot be read";
	if (ioctl(c->dev, ALPC_IOC_GET_SECURITY, ps))
		return false;
	*why = "the descriptor is half changed";
	if (c->ret < 0)
		return ps->sd.mode == 0600 && ps->sd.count == 0;
	return ps->sd.mode == 0620 && ps->sd.count == 2 && ps->sd.acl[0].id == 4242 &&
	       ps->sd.acl[1].type == ALPC_ACE_ALLOW_GID;
}

static const struct scenario s_set_security = {
	"set_security", setup_security, act_set_security, check_set_security, false,
};

static void act_get_security(struct ctx *c)
{
	struct alpc_port_security *ps = &c->a.ps;

	memset(ps, 0, sizeof(*ps));
	snprintf(ps->name, sizeof(ps->name), "%s", c->name);
	c->ret = ioctl(c->dev, ALPC_IOC_GET_SECURITY, ps);
	c->err = errno;
}

static bool check_get_security(struct ctx *c, bool injected, const char **why)
{
	*why = "the descriptor read is wrong";
	return c->ret < 0 || (c->a.ps.sd.mode == 0600 && c->a.ps.sd.uid == geteuid());
}

static const struct scenario s_get_security = {
	"get_security_by_name", setup_security, act_get_security, check_get_security, false,
};

/* Closing a client: the server hears of it whatever fails on the way. */
static int setup_close(struct ctx *c)
{
	return make_pair(c, false);
}

static void act_close(struct ctx *c)
{
	c->ret = close(c->client);
	c->err = errno;
	c->client = -1;
}

static bool check_close(struct ctx *c, bool injected, const char **why)
{
	struct alpc_msg_info info;

	*why = "close failed";
	if (c->ret)
		return false;
	*why = "the server did not get PORT_CLOSED";
	return !alpc_recv(c->server, c->out, sizeof(c->out), ALPC_WAIT_NS, &info) &&
	       info.type == ALPC_MSG_PORT_CLOSED && info.port_context == 1;
}

static const struct scenario s_close = {
	"close_client", setup_close, act_close, check_close, false,
};

FIXTURE_VARIANT_ADD(fi, create_port) {
	.s = &s_create_port,
};

FIXTURE_VARIANT_ADD(fi, connect) {
	.s = &s_connect,
};

FIXTURE_VARIANT_ADD(fi, connect_async) {
	.s = &s_connect_async,
};

FIXTURE_VARIANT_ADD(fi, accept) {
	.s = &s_accept,
};

FIXTURE_VARIANT_ADD(fi, accept_comm) {
	.s = &s_accept_comm,
};

FIXTURE_VARIANT_ADD(fi, reject) {
	.s = &s_reject,
};

FIXTURE_VARIANT_ADD(fi, send_datagram) {
	.s = &s_send_datagram,
};

FIXTURE_VARIANT_ADD(fi, send_request_with_region) {
	.s = &s_send_request_with_region,
};

FIXTURE_VARIANT_ADD(fi, send_with_view) {
	.s = &s_send_with_view,
};

FIXTURE_VARIANT_ADD(fi, send_with_fds) {
	.s = &s_send_with_fds,
};

FIXTURE_VARIANT_ADD(fi, send_with_everything) {
	.s = &s_send_with_everything,
};

FIXTURE_VARIANT_ADD(fi, reply_with_view) {
	.s = &s_reply_with_view,
};

FIXTURE_VARIANT_ADD(fi, recv) {
	.s = &s_recv,
};

FIXTURE_VARIANT_ADD(fi, send_wait) {
	.s = &s_send_wait,
};

FIXTURE_VARIANT_ADD(fi, reply_recv) {
	.s = &s_reply_recv,
};

FIXTURE_VARIANT_ADD(fi, cancel) {
	.s = &s_cancel,
};

FIXTURE_VARIANT_ADD(fi, access) {
	.s = &s_access,
};

FIXTURE_VARIANT_ADD(fi, batch) {
	.s = &s_batch,
};

FIXTURE_VARIANT_ADD(fi, send_dgrams) {
	.s = &s_send_dgrams,
};

FIXTURE_VARIANT_ADD(fi, send_dgrams_cached) {
	.s = &s_send_dgrams_cached,
};

FIXTURE_VARIANT_ADD(fi, send_dgrams_small_cache) {
	.s = &s_send_dgrams_small_cache,
};

FIXTURE_VARIANT_ADD(fi, recv_dgrams) {
	.s = &s_recv_dgrams,
};

FIXTURE_VARIANT_ADD(fi, create_section) {
	.s = &s_create_section,
};

FIXTURE_VARIANT_ADD(fi, mmap) {
	.s = &s_mmap,
};

FIXTURE_VARIANT_ADD(fi, create_completion) {
	.s = &s_create_completion,
};

FIXTURE_VARIANT_ADD(fi, ring_mmap) {
	.s = &s_ring_mmap,
};

FIXTURE_VARIANT_ADD(fi, backlog) {
	.s = &s_backlog,
};

FIXTURE_VARIANT_ADD(fi, set_security) {
	.s = &s_set_security,
};

FIXTURE_VARIANT_ADD(fi, get_security) {
	.s = &s_get_security,
};

FIXTURE_VARIANT_ADD(fi, close) {
	.s = &s_close,
};

/* The scenario's call fails cleanly at each of its allocations in turn, and works without. */
TEST_F_TIMEOUT(fi, fails_cleanly_at_every_allocation, 900)
{
	if (!self->set)
		SKIP(return, "no fault injection");
	inject_all(_metadata, variant->s);
}

/*
 * Without fault injection (Debian's kernels) there is nothing to run:
 * one skip for the binary, rather than one per scenario.
 */
int main(int argc, char **argv)
{
	if (access("/proc/thread-self/fail-nth", W_OK) || access(DBG "/failslab", F_OK) ||
	    access(DBG "/fail_page_alloc", F_OK)) {
		printf("TAP version 13\n1..1\n");
		printf("ok 1 failslab_test # SKIP no fault injection: the debug kernel runs it\n");
		return KSFT_SKIP;
	}
	return test_harness_run(argc, argv);
}
