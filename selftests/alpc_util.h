/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small wrappers shared by alpc's kselftests, which include no other
 * helper header of their own.
 *
 * The ioctl wrappers return what ioctl() returns (an fd, 0 or -1 with
 * errno set) and copy out what the kernel wrote even when the call fails,
 * so a test can look at, say, info.len after EMSGSIZE.
 *
 * Nothing here uses the harness's ASSERT_*: these helpers also run in
 * forked children and in threads, where an ASSERT would unwind the wrong
 * stack. Children report through their exit status.
 */
#ifndef _ALPC_SELFTEST_UTIL_H
#define _ALPC_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <linux/alpc.h>

/*
 * Every ioctl a test makes after including this header (its own and
 * this header's wrappers) is checked: when it fails, the caller's fd
 * table (each fd's number and file) and its mappings must be as they were
 * before the call, since "changes nothing" is a state to compare, not a
 * promise. A difference aborts the process, which fails the test. The
 * check runs only where the call alone can change that state: in a
 * process with one thread. It reads /proc three times per call, so a
 * process checks its first ALPC_CHECK_ALL calls and then one in
 * ALPC_CHECK_EVERY (a test that sends 64Ki messages would otherwise run
 * for minutes). Defining ALPC_NO_CALL_CHECK before the include turns it
 * off (the stress and soak runs, the fuzzer and failslab_test, which
 * compare in their own way).
 */
#ifndef ALPC_NO_CALL_CHECK

#define ALPC_CHECK_FDS	256
#define ALPC_CHECK_ALL	500
#define ALPC_CHECK_EVERY	64

struct alpc_call_state {
	int nfds;
	int fd[ALPC_CHECK_FDS];
	dev_t dev[ALPC_CHECK_FDS];
	ino_t ino[ALPC_CHECK_FDS];
	int maps;
};

static inline int alpc_thread_count(void)
{
	char buf[512], *p;
	int fd, n, i;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* num_threads is the 20th field; the 2nd, (comm), may hold spaces. */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	return p ? atoi(p + 1) : -1;
}

/* The fds open in this process with their files, and its number of mappings. */
static inline bool alpc_call_state_get(struct alpc_call_state *s)
{
	struct dirent *de;
	struct stat st;
	char line[512];
	DIR *d;
	FILE *f;

	s->nfds = 0;
	s->maps = 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return false;
	while ((de = readdir(d)) && s->nfds < ALPC_CHECK_FDS) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st))
			continue;
		s->fd[s->nfds] = fd;
		s->dev[s->nfds] = st.st_dev;
		s->ino[s->nfds] = st.st_ino;
		s->nfds++;
	}
	closedir(d);
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		s->maps++;
	fclose(f);
	return true;
}

/* Whether @a and @b differ, saying how on stderr. */
static inline bool alpc_call_state_differs(const struct alpc_call_state *a,
					   const struct alpc_call_state *b)
{
	bool differs = a->nfds != b->nfds || a->maps != b->maps;
	int i, j;

	for (i = 0; i < a->nfds; i++) {
		for (j = 0; j < b->nfds && b->fd[j] != a->fd[i]; j++)
			;
		if (j == b->nfds || b->dev[j] != a->dev[i] || b->ino[j] != a->ino[i]) {
			fprintf(stderr, "# fd %d closed or replaced\n", a->fd[i]);
			differs = true;
		}
	}
	for (j = 0; j < b->nfds; j++) {
		for (i = 0; i < a->nfds && a->fd[i] != b->fd[j]; i++)
			;
		if (i == a->nfds) {
			fprintf(stderr, "# fd %d appeared\n", b->fd[j]);
			differs = true;
		}
	}
	if (a->maps != b->maps)
		fprintf(stderr, "# mappings: %d before, %d after\n", a->maps, b->maps);
	return differs;
}

static inline int alpc_checked_ioctl(int fd, unsigned long req, ...)
{
	static unsigned long calls;
	struct alpc_call_state before, after;
	bool check;
	void *arg;
	va_list ap;
	int ret, err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	check = (++calls <= ALPC_CHECK_ALL || !(calls % ALPC_CHECK_EVERY)) &&
		alpc_thread_count() == 1 && alpc_call_state_get(&before);
	ret = (ioctl)(fd, req, arg);
	err = errno;
	/* A cut reply is delivered, view and fds, though the call fails (EMSGSIZE). */
	if (ret == -1 && check && !(req == ALPC_IOC_SEND_WAIT && err == EMSGSIZE) &&
	    alpc_call_state_get(&after) && alpc_call_state_differs(&before, &after)) {
		fprintf(stderr, "# ioctl(%d, %#lx) failed with %s and changed the caller's state\n",
			fd, req, strerror(err));
		abort();
	}
	errno = err;
	return ret;
}

#define ioctl(fd, req, ...)	alpc_checked_ioctl(fd, req, ##__VA_ARGS__)

#endif /* ALPC_NO_CALL_CHECK */

/* Basic */

#define ALPC_NS_PER_MS		1000000LL
/* How long a test waits for something that must happen. */
#define ALPC_WAIT_NS		(5000 * ALPC_NS_PER_MS)
/* What the section and access tests wait instead: their views and regions run to 64 MiB. */
#define ALPC_LONG_WAIT_NS	(10000 * ALPC_NS_PER_MS)
#define ALPC_MIB		(1024 * 1024ULL)
/*
 * The least a wait of @ns may last. Timeouts count scheduler ticks, and
 * under emulation the tick can lag behind the clock and catch up in a
 * burst, ending a wait a few ticks early: allow a quarter.
 */
#define ALPC_MIN_WAIT_NS(ns)	((ns) / 4 * 3)
/* A flag bit alpc.h defines in no flags word, for the "unknown flags" tests. */
#define ALPC_UNKNOWN_FLAG	0x20000000U

static inline int alpc_open(void)
{
	return open(ALPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static inline int alpc_get_features(int fd, void *f)
{
	return ioctl(fd, ALPC_IOC_GET_FEATURES, f);
}

/* A port name no other test (or run) uses: the pid and a counter. */
static inline void alpc_port_name(char name[ALPC_NAME_MAX], const char *tag)
{
	static unsigned int seq;

	snprintf(name, ALPC_NAME_MAX, "ksft-%s-%d-%u", tag, getpid(), seq++);
}

static inline __s64 alpc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void alpc_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * ALPC_NS_PER_MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline size_t alpc_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The unsigned number at the start of the file at @path (a sysctl, say), or 0. */
static inline unsigned int alpc_read_uint(const char *path)
{
	unsigned int v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* Fills @buf with a pattern that depends on @seed, so payloads can be told apart. */
static inline void alpc_fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/* True if @buf holds alpc_fill(@seed)'s pattern. */
static inline int alpc_check_fill(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/*
 * The byte at @pos of pattern @seed, the section and access tests' own
 * (alpc_fill()'s is another): it differs between neighbouring bytes,
 * pages and seeds, so a shifted, stale or foreign byte shows.
 */
static inline unsigned char alpc_pat(unsigned int seed, size_t pos)
{
	return (unsigned char)(seed * 131 + pos * 7 + (pos >> 12) * 13);
}

/* Fills @len bytes at @buf with pattern @seed from position @pos. */
static inline void alpc_pat_fill(void *buf, size_t len, unsigned int seed, size_t pos)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = alpc_pat(seed, pos + i);
}

/* The index of the first byte at @buf that is not pattern @seed from @pos, or -1. */
static inline long alpc_pat_check(const void *buf, size_t len, unsigned int seed, size_t pos)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != alpc_pat(seed, pos + i))
			return (long)i;
	return -1;
}

/* True if all @len bytes at @buf are @c. */
static inline bool alpc_all(const void *buf, size_t len, unsigned char c)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Ports and connections */

/*
 * CREATE_PORT with @attr (NULL: all defaults) and connect permission @mode
 * (0: 0600); the limits in force go back to @attr.
 */
static inline int alpc_create_port_mode(int dev, const char *name,
					struct alpc_port_attr *attr, __u32 flags,
					__u32 mode)
{
	struct alpc_create_port cp;
	int ret;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.name, sizeof(cp.name), "%s", name);
	if (attr)
		cp.attr = *attr;
	cp.flags = flags;
	cp.mode = mode;
	ret = ioctl(dev, ALPC_IOC_CREATE_PORT, &cp);
	if (attr)
		*attr = cp.attr;
	return ret;
}

/* CREATE_PORT with @attr (NULL: all defaults); the limits in force go back to @attr. */
static inline int alpc_create_port(int dev, const char *name,
				   struct alpc_port_attr *attr, __u32 flags)
{
	return alpc_create_port_mode(dev, name, attr, flags, 0);
}

/*
 * GET_SECURITY or SET_SECURITY (@cmd) on @fd: /dev/alpc with @name, or a
 * connection port with @name NULL. GET fills @sd, also on failure with
 * what the kernel wrote.
 */
static inline int alpc_security(int fd, unsigned long cmd, const char *name,
				struct alpc_security *sd)
{
	struct alpc_port_security ps;
	int ret;

	memset(&ps, 0, sizeof(ps));
	if (name)
		snprintf(ps.name, sizeof(ps.name), "%s", name);
	if (cmd == ALPC_IOC_SET_SECURITY)
		ps.sd = *sd;
	ret = ioctl(fd, cmd, &ps);
	if (cmd == ALPC_IOC_GET_SECURITY)
		*sd = ps.sd;
	return ret;
}

static inline int alpc_get_security(int fd, const char *name, struct alpc_security *sd)
{
	return alpc_security(fd, ALPC_IOC_GET_SECURITY, name, sd);
}

static inline int alpc_set_security(int fd, const char *name, struct alpc_security *sd)
{
	return alpc_security(fd, ALPC_IOC_SET_SECURITY, name, sd);
}

static inline void alpc_connect_init(struct alpc_connect *c, const char *name,
				     const void *buf, __u32 len, __s64 timeout_ns)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->buf = (__u64)(unsigned long)buf;
	c->len = len;
	c->timeout_ns = timeout_ns;
}

/* CONNECT; @reply may be NULL. *@reply_len (if given) gets the server's data length. */
static inline int alpc_connect(int dev, const char *name, const void *buf,
			       __u32 len, __s64 timeout_ns, void *reply,
			       __u32 reply_size, __u32 *reply_len)
{
	struct alpc_connect c;
	int ret;

	alpc_connect_init(&c, name, buf, len, timeout_ns);
	c.reply_buf = (__u64)(unsigned long)reply;
	c.reply_size = reply_size;
	ret = ioctl(dev, ALPC_IOC_CONNECT, &c);
	if (reply_len)
		*reply_len = c.reply_len;
	return ret;
}

static inline int alpc_accept(int port, __u64 id, __u32 flags,
			      __u64 port_context, const void *buf, __u32 len)
{
	struct alpc_accept a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.flags = flags;
	a.port_context = port_context;
	a.buf = (__u64)(unsigned long)buf;
	a.len = len;
	return ioctl(port, ALPC_IOC_ACCEPT, &a);
}

/* Messages */

/* A struct alpc_send with these fields and no timeout, attributes or flags. */
static inline void alpc_send_init(struct alpc_send *s, __u32 type, const void *buf,
				  __u32 len, __u64 context, __u64 ref_id)
{
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->buf = (__u64)(uintptr_t)buf;
	s->len = len;
	s->context = context;
	s->ref_id = ref_id;
}

/* SEND with @attrs (NULL: none); *@id (if given) gets the message id. */
static inline int alpc_send_attrs(int fd, __u32 type, const void *buf, __u32 len,
				  __u64 context, __u64 ref_id, __s64 timeout_ns,
				  const struct alpc_msg_attrs *attrs, __u64 *id)
{
	struct alpc_send s;
	int ret;

	alpc_send_init(&s, type, buf, len, context, ref_id);
	s.timeout_ns = timeout_ns;
	s.attrs = (__u64)(uintptr_t)attrs;
	ret = ioctl(fd, ALPC_IOC_SEND, &s);
	if (id)
		*id = s.id;
	return ret;
}

/* SEND; *@id (if given) gets the message id. */
static inline int alpc_send(int fd, __u32 type, const void *buf, __u32 len,
			    __u64 context, __u64 ref_id, __s64 timeout_ns,
			    __u64 *id)
{
	return alpc_send_attrs(fd, type, buf, len, context, ref_id, timeout_ns, NULL, id);
}

static inline int alpc_datagram(int fd, const void *buf, __u32 len, __u64 *id)
{
	return alpc_send(fd, ALPC_MSG_DATAGRAM, buf, len, 0, 0, 0, id);
}

static inline int alpc_request(int fd, const void *buf, __u32 len, __u64 *id)
{
	return alpc_send(fd, ALPC_MSG_REQUEST, buf, len, 0, 0, 0, id);
}

static inline int alpc_reply(int fd, __u64 ref_id, const void *buf, __u32 len)
{
	return alpc_send(fd, ALPC_MSG_REPLY, buf, len, 0, ref_id, 0, NULL);
}

/* A struct alpc_recv with these fields and no flags or extra. */
static inline void alpc_recv_init(struct alpc_recv *r, void *buf, __u32 size, __s64 timeout_ns)
{
	memset(r, 0, sizeof(*r));
	r->buf = (__u64)(uintptr_t)buf;
	r->size = size;
	r->timeout_ns = timeout_ns;
}

/*
 * RECV with ALPC_RECV_* @flags and @extra (may be NULL); @info (if given)
 * gets the message's info, also on failure.
 */
static inline int alpc_recv_extra(int fd, __u32 flags, void *buf, __u32 size,
				  __s64 timeout_ns, struct alpc_recv_extra *extra,
				  struct alpc_msg_info *info)
{
	struct alpc_recv r;
	int ret;

	alpc_recv_init(&r, buf, size, timeout_ns);
	r.flags = flags;
	r.extra = (__u64)(uintptr_t)extra;
	ret = ioctl(fd, ALPC_IOC_RECV, &r);
	if (info)
		*info = r.info;
	return ret;
}

/* RECV; @info (if given) gets the message's info, also on failure. */
static inline int alpc_recv(int fd, void *buf, __u32 size, __s64 timeout_ns,
			    struct alpc_msg_info *info)
{
	return alpc_recv_extra(fd, 0, buf, size, timeout_ns, NULL, info);
}

/* RECV of a message of any size up to ALPC_MSG_DEFAULT_MAX, its payload dropped. */
static inline int alpc_recv_any(int fd, __s64 timeout_ns, struct alpc_msg_info *info)
{
	char buf[ALPC_MSG_DEFAULT_MAX];

	return alpc_recv(fd, buf, sizeof(buf), timeout_ns, info);
}

static inline void alpc_send_wait_init(struct alpc_send_wait *sw, const void *buf,
				       __u32 len, void *reply, __u32 reply_size,
				       __s64 timeout_ns)
{
	memset(sw, 0, sizeof(*sw));
	sw->buf = (__u64)(unsigned long)buf;
	sw->len = len;
	sw->reply_buf = (__u64)(unsigned long)reply;
	sw->reply_size = reply_size;
	sw->timeout_ns = timeout_ns;
}

static inline int alpc_send_wait(int fd, struct alpc_send_wait *sw)
{
	return ioctl(fd, ALPC_IOC_SEND_WAIT, sw);
}

static inline void alpc_reply_recv_init(struct alpc_reply_recv *rr, __u64 ref_id,
					const void *buf, __u32 len, void *rbuf,
					__u32 rsize, __s64 timeout_ns)
{
	memset(rr, 0, sizeof(*rr));
	rr->ref_id = ref_id;
	rr->buf = (__u64)(unsigned long)buf;
	rr->len = len;
	rr->recv.buf = (__u64)(unsigned long)rbuf;
	rr->recv.size = rsize;
	rr->recv.timeout_ns = timeout_ns;
}

static inline int alpc_reply_recv(int fd, struct alpc_reply_recv *rr)
{
	return ioctl(fd, ALPC_IOC_REPLY_RECV, rr);
}

static inline int alpc_cancel(int fd, __u64 id)
{
	struct alpc_cancel c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	return ioctl(fd, ALPC_IOC_CANCEL, &c);
}

/* Threads, signals and processes */

/*
 * One ioctl in a thread of its own, for calls that wait (CONNECT,
 * SEND_WAIT, RECV, SEND on a full queue) while the test plays the other
 * side. @done turns 1 when the call has returned.
 */
struct alpc_call {
	pthread_t thread;
	int fd;
	unsigned long req;
	void *arg;
	int ret;
	int err;
	pid_t tid;
	atomic_int started;
	atomic_int done;
	__s64 start_ns;
	__s64 end_ns;
};

static inline void *alpc_call_fn(void *p)
{
	struct alpc_call *c = p;

	c->tid = gettid();
	c->start_ns = alpc_now_ns();
	atomic_store(&c->started, 1);
	c->ret = ioctl(c->fd, c->req, c->arg);
	c->err = errno;
	c->end_ns = alpc_now_ns();
	atomic_store(&c->done, 1);
	return NULL;
}

/* Starts ioctl(@fd, @req, @arg) in a new thread; returns 0 or -1. */
static inline int alpc_call_start(struct alpc_call *c, int fd, unsigned long req, void *arg)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->req = req;
	c->arg = arg;
	err = pthread_create(&c->thread, NULL, alpc_call_fn, c);
	if (err) {
		errno = err;
		return -1;
	}
	while (!atomic_load(&c->started))
		sched_yield();
	return 0;
}

/* Waits for the call; returns its result with errno set as the call left it. */
static inline int alpc_call_join(struct alpc_call *c)
{
	pthread_join(c->thread, NULL);
	errno = c->err;
	return c->ret;
}

/* True if the call is still running @ms milliseconds from now. */
static inline int alpc_call_still_waits(struct alpc_call *c, unsigned int ms)
{
	alpc_sleep_ms(ms);
	return !atomic_load(&c->done);
}

static inline void alpc_noop_handler(int sig)
{
}

/* A handler that does nothing, without SA_RESTART: a signal ends a wait with EINTR. */
static inline int alpc_install_noop_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alpc_noop_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/*
 * Signals the call's thread with @sig every 10 ms until the call returns
 * (a signal that lands before the thread enters the ioctl is lost), for at
 * most 5 s; then joins it.
 */
static inline int alpc_call_interrupt(struct alpc_call *c, int sig)
{
	int i;

	for (i = 0; i < 500 && !atomic_load(&c->done); i++) {
		pthread_kill(c->thread, sig);
		alpc_sleep_ms(10);
	}
	return alpc_call_join(c);
}

/* Forks a child that runs @fn(@arg) and exits with its return value. */
static inline pid_t alpc_fork(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* A forked child that could not take on its credentials, or start at all, exits with this. */
#define ALPC_CHILD_NO_SETUP	200

/* Reports on stderr the check a child failed at @line; returns 1, its exit status. */
static inline int alpc_child_fail(int line, const char *what)
{
	fprintf(stderr, "# child %d, line %d: %s (errno %d, %s)\n", getpid(), line, what,
		errno, strerror(errno));
	return 1;
}

#define CHILD_FAIL(what)	alpc_child_fail(__LINE__, what)

/* True if @ret is a failure with @err. */
static inline bool failed_with(int ret, int err)
{
	return ret == -1 && errno == err;
}

struct alpc_spawn_arg {
	int (*fn)(void *arg);
	void *arg;
};

static inline int alpc_spawn_main(void *p)
{
	struct alpc_spawn_arg *s = p;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL)) {
		CHILD_FAIL("PR_SET_PDEATHSIG");
		return ALPC_CHILD_NO_SETUP;
	}
	return s->fn(s->arg);
}

/*
 * As alpc_fork(), but the child dies with the test's process: none is
 * left behind holding ports when an ASSERT ends a test early.
 */
static inline pid_t alpc_spawn(int (*fn)(void *arg), void *arg)
{
	struct alpc_spawn_arg s = { fn, arg };

	return alpc_fork(alpc_spawn_main, &s);
}

/* Reaps @pid: its exit status, 128 + the signal that killed it, or -1. */
static inline int alpc_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Kills and reaps *@pid if set; returns how it ended. */
static inline int alpc_kill_child(pid_t *pid)
{
	int ret;

	if (*pid <= 0)
		return -1;
	kill(*pid, SIGKILL);
	ret = alpc_wait_child(*pid);
	*pid = 0;
	return ret;
}

/* pidfd_open(2) and pidfd_send_signal(2), which older C libraries lack. */
static inline int alpc_pidfd_open(pid_t pid)
{
	return syscall(434, pid, 0);
}

static inline int alpc_pidfd_send_signal(int pidfd, int sig)
{
	return syscall(424, pidfd, sig, NULL, 0);
}

/*
 * A one-way signal between processes: gate_pass() lets one gate_wait()
 * through. Both ends stay open in both processes.
 */
struct gate {
	int r;
	int w;
};

static inline int gate_open(struct gate *g)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	g->r = p[0];
	g->w = p[1];
	return 0;
}

static inline void gate_close(struct gate *g)
{
	close(g->r);
	close(g->w);
}

static inline int gate_pass(struct gate *g)
{
	return write(g->w, "g", 1) == 1 ? 0 : -1;
}

/* Waits at most 10 s for a gate_pass(); returns 0 or -1. */
static inline int gate_wait(struct gate *g)
{
	struct pollfd pfd = { .fd = g->r, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 10000) != 1)
		return -1;
	return read(g->r, &c, 1) == 1 ? 0 : -1;
}

/*
 * Reads one byte from @fd (a pipe): 0 once it came, -1 on EOF or error.
 * Unlike gate_wait(), it waits as long as it takes.
 */
static inline int alpc_wait_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/* Writes the byte alpc_wait_byte() waits for; returns 0 or -1. */
static inline int alpc_post_byte(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

/* Both ends of a connection */

/* A CONNECT running in a thread of its own, with room for the server's data. */
struct alpc_connector {
	struct alpc_connect con;
	struct alpc_call call;
	char reply[256];
};

/* Starts connecting to @name with @len bytes at @buf; returns 0 or -1. */
static inline int alpc_connector_start(struct alpc_connector *c, int dev, const char *name,
				       const void *buf, __u32 len, __s64 timeout_ns,
				       __u32 flags)
{
	memset(c->reply, 0, sizeof(c->reply));
	alpc_connect_init(&c->con, name, buf, len, timeout_ns);
	c->con.flags = flags;
	c->con.reply_buf = (__u64)(unsigned long)c->reply;
	c->con.reply_size = sizeof(c->reply);
	return alpc_call_start(&c->call, dev, ALPC_IOC_CONNECT, &c->con);
}

/* Waits for the connect; returns its result (the client fd, or -1 and errno). */
static inline int alpc_connector_join(struct alpc_connector *c)
{
	return alpc_call_join(&c->call);
}

/*
 * Connects a client to @name and accepts it on @port, which must have
 * nothing else queued, with @port_context and ALPC_ACCEPT_* @accept_flags.
 * Returns the client's fd, or -1. With ALPC_ACCEPT_COMM_PORT the server
 * communication port's fd goes to *@comm. *@tid (if given) gets the
 * connecting thread's id.
 */
static inline int alpc_connect_accept(int dev, int port, const char *name,
				      __u64 port_context, __u32 accept_flags,
				      int *comm, pid_t *tid)
{
	struct alpc_msg_info info;
	struct alpc_connect con;
	struct alpc_call call;
	int ret, fd, err = 0;

	alpc_connect_init(&con, name, NULL, 0, ALPC_WAIT_NS);
	if (alpc_call_start(&call, dev, ALPC_IOC_CONNECT, &con))
		return -1;
	ret = alpc_recv(port, NULL, 0, ALPC_WAIT_NS, &info);
	if (ret == 0 && info.type != ALPC_MSG_CONNECTION_REQUEST) {
		ret = -1;
		errno = EPROTO;
	}
	if (ret == 0)
		ret = alpc_accept(port, info.id, accept_flags, port_context, NULL, 0);
	if (ret < 0)
		err = errno;
	else if (accept_flags & ALPC_ACCEPT_COMM_PORT)
		*comm = ret;
	fd = alpc_call_join(&call);
	if (tid)
		*tid = call.tid;
	if (err) {
		if (fd >= 0)
			close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Creates a port @name with @attr (NULL: defaults) and connects a client
 * to it as alpc_connect_accept() does. *@port gets the port's fd (or -1);
 * returns the client's fd, or -1 with *@port left open.
 */
static inline int alpc_open_pair(int dev, const char *name, struct alpc_port_attr *attr,
				 __u64 port_context, __u32 accept_flags, int *port, int *comm,
				 pid_t *tid)
{
	*port = alpc_create_port(dev, name, attr, 0);
	if (*port < 0)
		return -1;
	return alpc_connect_accept(dev, *port, name, port_context, accept_flags, comm, tid);
}

/* Closes what alpc_open_pair() opened: each of @client, @comm and @port that is open. */
static inline void alpc_close_pair(int client, int comm, int port)
{
	if (client >= 0)
		close(client);
	if (comm >= 0)
		close(comm);
	if (port >= 0)
		close(port);
}

/*
 * A connection with both ends, as alpc_open_pair() opens them, in one
 * struct with the port's name: what a single-process test plays both
 * sides of.
 */
struct alpc_link {
	int port;	/* the connection port, if this link owns it */
	int client;
	int comm;	/* the server communication port, if taken */
	int srv;	/* where the client's messages arrive: comm or port */
	char name[ALPC_NAME_MAX];
};

static inline void alpc_link_init(struct alpc_link *l)
{
	l->port = -EBADF;
	l->client = -EBADF;
	l->comm = -EBADF;
	l->srv = -EBADF;
	l->name[0] = 0;
}

/* A new port with @attr (NULL: defaults) and one accepted client. 0 or -1. */
static inline int alpc_link_open(struct alpc_link *l, int dev, const struct alpc_port_attr *attr,
				 bool comm_port)
{
	struct alpc_port_attr a;

	alpc_link_init(l);
	alpc_port_name(l->name, "link");
	if (attr)
		a = *attr;
	l->client = alpc_open_pair(dev, l->name, attr ? &a : NULL, 0,
				   comm_port ? ALPC_ACCEPT_COMM_PORT : 0, &l->port, &l->comm, NULL);
	if (l->client < 0)
		return -1;
	l->srv = comm_port ? l->comm : l->port;
	return 0;
}

/* Another connection to @to's port (which @l does not own). 0 or -1. */
static inline int alpc_link_add(struct alpc_link *l, int dev, const struct alpc_link *to,
				bool comm_port)
{
	alpc_link_init(l);
	snprintf(l->name, sizeof(l->name), "%s", to->name);
	l->client = alpc_connect_accept(dev, to->port, to->name, 0,
					comm_port ? ALPC_ACCEPT_COMM_PORT : 0, &l->comm, NULL);
	if (l->client < 0)
		return -1;
	l->srv = comm_port ? l->comm : to->port;
	return 0;
}

static inline void alpc_link_close(struct alpc_link *l)
{
	if (l->client >= 0)
		close(l->client);
	if (l->comm >= 0)
		close(l->comm);
	if (l->port >= 0)
		close(l->port);
	alpc_link_init(l);
}

/* Sections, views and regions */

/* CREATE_SECTION of @size bytes on communication port @fd. */
static inline int alpc_create_section(int fd, __u64 size, __u32 flags)
{
	struct alpc_create_section cs;

	memset(&cs, 0, sizeof(cs));
	cs.size = size;
	cs.flags = flags;
	return ioctl(fd, ALPC_IOC_CREATE_SECTION, &cs);
}

/* Maps @len bytes of section @sfd read-write and shared: the address or MAP_FAILED. */
static inline unsigned char *alpc_map_section(int sfd, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
}

/* A section and its mapping, filled with a pattern. */
struct alpc_sect {
	int fd;
	unsigned char *map;
	size_t len;
};

static inline void alpc_sect_init(struct alpc_sect *s)
{
	s->fd = -EBADF;
	s->map = MAP_FAILED;
	s->len = 0;
}

/* A section of @len bytes made on @fd, mapped and filled with pattern @seed. 0 or -1. */
static inline int alpc_sect_new(struct alpc_sect *s, int fd, size_t len, unsigned int seed)
{
	alpc_sect_init(s);
	s->len = len;
	s->fd = alpc_create_section(fd, len, 0);
	if (s->fd < 0)
		return -1;
	s->map = alpc_map_section(s->fd, len);
	if (s->map == MAP_FAILED)
		return -1;
	alpc_pat_fill(s->map, len, seed, 0);
	return 0;
}

static inline void alpc_sect_free(struct alpc_sect *s)
{
	if (s->map != MAP_FAILED)
		munmap(s->map, s->len);
	if (s->fd >= 0)
		close(s->fd);
	alpc_sect_init(s);
}

static inline void alpc_view_attrs(struct alpc_msg_attrs *a, int sfd, __u64 offset, __u64 len,
				   __u32 view_flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = ALPC_ATTR_VIEW;
	a->section_fd = sfd;
	a->view_flags = view_flags;
	a->view_offset = offset;
	a->view_len = len;
}

static inline void alpc_region_attrs(struct alpc_msg_attrs *a, const void *addr, __u64 len,
				     __u32 region_flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = ALPC_ATTR_REGION;
	a->region_addr = (__u64)(unsigned long)addr;
	a->region_len = len;
	a->region_flags = region_flags;
}

/* A message carrying a view of section @sfd. */
static inline int alpc_send_view(int fd, __u32 type, __u64 ref_id, int sfd, __u64 offset,
				 __u64 len, __u32 view_flags, __u64 *id)
{
	struct alpc_msg_attrs a;

	alpc_view_attrs(&a, sfd, offset, len, view_flags);
	return alpc_send_attrs(fd, type, NULL, 0, 0, ref_id, 0, &a, id);
}

/* The first byte of the view a received message carried. */
static inline unsigned char *alpc_view(const struct alpc_msg_info *info)
{
	return (unsigned char *)(unsigned long)info->view_addr;
}

/* Unmaps the whole pages a received view was mapped on. */
static inline int alpc_view_unmap(const struct alpc_msg_info *info)
{
	size_t page = alpc_page_size();
	unsigned long base = info->view_addr & ~(page - 1);
	size_t len = (info->view_addr - base + info->view_len + page - 1) & ~(page - 1);

	return munmap((void *)base, len);
}

/* How many mappings of sections this process has (a lost view shows here). */
static inline int alpc_section_maps(void)
{
	char line[512];
	FILE *f;
	int n = 0;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "alpc_section"))
			n++;
	fclose(f);
	return n;
}

/* ALPC_IOC_ACCESS; *@done (if given) gets the bytes transferred. */
static inline int alpc_access(int fd, __u64 id, __u32 op, __u64 offset, __u64 len, void *buf,
			      __u64 *done)
{
	struct alpc_access a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.op = op;
	a.offset = offset;
	a.len = len;
	a.buf = (__u64)(unsigned long)buf;
	a.done = ~0ULL;
	ret = ioctl(fd, ALPC_IOC_ACCESS, &a);
	if (done)
		*done = a.done;
	return ret;
}

/* Completion ports and batches */

static inline int alpc_create_completion(int dev, int eventfd, __u32 ring_entries, __u32 flags)
{
	struct alpc_create_completion c;

	memset(&c, 0, sizeof(c));
	c.eventfd = eventfd;
	c.ring_entries = ring_entries;
	c.flags = flags;
	return ioctl(dev, ALPC_IOC_CREATE_COMPLETION, &c);
}

/* Associates @fd with completion port @cp (-1: ends the association) under @key. */
static inline int alpc_associate(int fd, int cp, __u64 key)
{
	struct alpc_associate a;

	memset(&a, 0, sizeof(a));
	a.completion_fd = cp;
	a.key = key;
	return ioctl(fd, ALPC_IOC_ASSOCIATE, &a);
}

/* DEQUEUE up to @max entries into @out; *@count (if given) gets the number taken. */
static inline int alpc_dequeue(int cp, struct alpc_completion *out, __u32 max,
			       __s64 timeout_ns, __u32 *count)
{
	struct alpc_dequeue d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.entries = (__u64)(uintptr_t)out;
	d.max = max;
	d.timeout_ns = timeout_ns;
	ret = ioctl(cp, ALPC_IOC_DEQUEUE, &d);
	if (count)
		*count = d.count;
	return ret;
}

/* Starts an asynchronous connect to @name, answered on @cp under @key; returns the fd. */
static inline int alpc_connect_async(int dev, const char *name, const void *buf, __u32 len,
				     int cp, __u64 key)
{
	struct alpc_connect c;

	alpc_connect_init(&c, name, buf, len, -1);
	c.flags = ALPC_CONNECT_ASYNC;
	c.completion_fd = cp;
	c.key = key;
	return ioctl(dev, ALPC_IOC_CONNECT, &c);
}

/* BATCH of @count ops on @fd; *@done (if given) gets the operations performed. */
static inline int alpc_batch(int fd, struct alpc_batch_op *ops, __u32 count, __u32 *done)
{
	struct alpc_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.ops = (__u64)(uintptr_t)ops;
	b.count = count;
	b.done = 0xdeadbeef;
	ret = ioctl(fd, ALPC_IOC_BATCH, &b);
	if (done)
		*done = b.done;
	return ret;
}

static inline void alpc_batch_op_init(struct alpc_batch_op *op, __u32 code, void *arg)
{
	op->op = code;
	op->result = 0x7eadbeef;
	op->arg = (__u64)(uintptr_t)arg;
}

/* The bytes to map for a ring of @entries. */
static inline size_t alpc_ring_bytes(__u32 entries)
{
	return sizeof(struct alpc_ring) + (size_t)entries * sizeof(struct alpc_completion);
}

/* Maps the ring of completion port @cp, of @entries; NULL on failure. */
static inline struct alpc_ring *alpc_ring_map(int cp, __u32 entries)
{
	void *p = mmap(NULL, alpc_ring_bytes(entries), PROT_READ | PROT_WRITE, MAP_SHARED, cp, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline void alpc_ring_unmap(struct alpc_ring *ring, __u32 entries)
{
	if (ring)
		munmap(ring, alpc_ring_bytes(entries));
}

static inline struct alpc_completion *alpc_ring_slots(struct alpc_ring *ring)
{
	return (struct alpc_completion *)((char *)ring + sizeof(*ring));
}

/* Entries the kernel has published and the reaper has not taken. */
static inline __u32 alpc_ring_ready(struct alpc_ring *ring)
{
	return __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
}

/* Reaps up to @max entries from the ring into @out, without a system call. */
static inline __u32 alpc_ring_reap(struct alpc_ring *ring, struct alpc_completion *out, __u32 max)
{
	__u32 head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	__u32 tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	__u32 n = 0;

	while (n < max && head + n != tail) {
		out[n] = alpc_ring_slots(ring)[(head + n) & ring->mask];
		n++;
	}
	__atomic_store_n(&ring->head, head + n, __ATOMIC_RELEASE);
	return n;
}

static inline __u32 alpc_ring_flags(struct alpc_ring *ring)
{
	return __atomic_load_n(&ring->flags, __ATOMIC_ACQUIRE);
}

/* Reads the eventfd's count (0 if it has none: the fd must be non-blocking). */
static inline __u64 alpc_eventfd_take(int efd)
{
	__u64 n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* True if @fd polls readable within @timeout_ms. */
static inline int alpc_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

#endif /* _ALPC_SELFTEST_UTIL_H */
