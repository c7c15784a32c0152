/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the section and direct-access kselftests: a connection with
 * both of its ends in hand, sections and their mappings, messages that
 * carry a view or a region, and byte patterns to check what crossed.
 *
 * As in alpc_util.h, nothing here uses the harness's ASSERT_*: these
 * helpers also run in forked children and in threads. The ioctl wrappers
 * return what ioctl() returns (0, an fd, or -1 with errno set).
 */
#ifndef _ALPC_SECTION_UTIL_H
#define _ALPC_SECTION_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/alpc.h>

#include "alpc_util.h"	/* alpc_open() only */

#define SU_KIB		1024ULL
#define SU_MIB		(1024 * SU_KIB)
#define SU_MS		1000000LL
/* How long a test waits for something that must happen. */
#define SU_WAIT_NS	(10000 * SU_MS)

static inline size_t su_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline __s64 su_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void su_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * SU_MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * The byte at @pos of pattern @seed: it differs between neighbouring
 * bytes, pages and seeds, so a shifted, stale or foreign byte shows.
 */
static inline unsigned char su_pat(unsigned int seed, size_t pos)
{
	return (unsigned char)(seed * 131 + pos * 7 + (pos >> 12) * 13);
}

/* Fills @len bytes at @buf with pattern @seed from position @pos. */
static inline void su_fill(void *buf, size_t len, unsigned int seed, size_t pos)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = su_pat(seed, pos + i);
}

/* The index of the first byte at @buf that is not pattern @seed from @pos, or -1. */
static inline long su_check(const void *buf, size_t len, unsigned int seed, size_t pos)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != su_pat(seed, pos + i))
			return (long)i;
	return -1;
}

/* True if all @len bytes at @buf are @c. */
static inline bool su_all(const void *buf, size_t len, unsigned char c)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

static inline int su_create_port(int dev, const char *name, const struct alpc_port_attr *attr)
{
	struct alpc_create_port cp;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.name, sizeof(cp.name), "%s", name);
	if (attr)
		cp.attr = *attr;
	return ioctl(dev, ALPC_IOC_CREATE_PORT, &cp);
}

static inline int su_recv(int fd, void *buf, __u32 size, __s64 timeout_ns,
			  struct alpc_msg_info *info)
{
	struct alpc_recv r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.buf = (__u64)(unsigned long)buf;
	r.size = size;
	r.timeout_ns = timeout_ns;
	ret = ioctl(fd, ALPC_IOC_RECV, &r);
	if (info)
		*info = r.info;
	return ret;
}

/*
 * Connects to @name and accepts the connection on @port, which must have
 * nothing else queued. Returns the client's fd, or -1; with @comm, takes
 * a server communication port into *@comm.
 */
static inline int su_connect_accept(int dev, int port, const char *name, int *comm)
{
	struct alpc_msg_info info;
	struct alpc_connect con;
	struct alpc_accept acc;
	struct alpc_call call;
	int ret, fd, err = 0;

	memset(&con, 0, sizeof(con));
	snprintf(con.name, sizeof(con.name), "%s", name);
	con.timeout_ns = SU_WAIT_NS;
	if (alpc_call_start(&call, dev, ALPC_IOC_CONNECT, &con))
		return -1;
	ret = su_recv(port, NULL, 0, SU_WAIT_NS, &info);
	if (ret == 0 && info.type != ALPC_MSG_CONNECTION_REQUEST) {
		ret = -1;
		errno = EPROTO;
	}
	if (ret == 0) {
		memset(&acc, 0, sizeof(acc));
		acc.id = info.id;
		acc.flags = comm ? ALPC_ACCEPT_COMM_PORT : 0;
		ret = ioctl(port, ALPC_IOC_ACCEPT, &acc);
	}
	if (ret < 0)
		err = errno;
	else if (comm)
		*comm = ret;
	fd = alpc_call_join(&call);
	if (err) {
		if (fd >= 0)
			close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A connection with both ends: what a single-process test plays both sides of. */
struct su_link {
	int port;	/* the connection port, if this link owns it */
	int client;
	int comm;	/* the server communication port, if taken */
	int srv;	/* where the client's messages arrive: comm or port */
	char name[ALPC_NAME_MAX];
};

static inline void su_link_init(struct su_link *l)
{
	l->port = -EBADF;
	l->client = -EBADF;
	l->comm = -EBADF;
	l->srv = -EBADF;
	l->name[0] = 0;
}

/* A new port with @attr (NULL: defaults) and one accepted client. 0 or -1. */
static inline int su_link_open(struct su_link *l, int dev, const struct alpc_port_attr *attr,
			       bool comm_port)
{
	static unsigned int seq;

	su_link_init(l);
	snprintf(l->name, sizeof(l->name), "ksft-sec-%d-%u", getpid(), seq++);
	l->port = su_create_port(dev, l->name, attr);
	if (l->port < 0)
		return -1;
	l->client = su_connect_accept(dev, l->port, l->name, comm_port ? &l->comm : NULL);
	if (l->client < 0)
		return -1;
	l->srv = comm_port ? l->comm : l->port;
	return 0;
}

/* Another connection to @to's port (which @l does not own). 0 or -1. */
static inline int su_link_add(struct su_link *l, int dev, const struct su_link *to, bool comm_port)
{
	su_link_init(l);
	snprintf(l->name, sizeof(l->name), "%s", to->name);
	l->client = su_connect_accept(dev, to->port, to->name, comm_port ? &l->comm : NULL);
	if (l->client < 0)
		return -1;
	l->srv = comm_port ? l->comm : to->port;
	return 0;
}

static inline void su_link_close(struct su_link *l)
{
	if (l->client >= 0)
		close(l->client);
	if (l->comm >= 0)
		close(l->comm);
	if (l->port >= 0)
		close(l->port);
	su_link_init(l);
}

/* CREATE_SECTION of @size bytes on communication port @fd. */
static inline int su_section(int fd, __u64 size, __u32 flags)
{
	struct alpc_create_section cs;

	memset(&cs, 0, sizeof(cs));
	cs.size = size;
	cs.flags = flags;
	return ioctl(fd, ALPC_IOC_CREATE_SECTION, &cs);
}

/* Maps @len bytes of section @sfd read-write and shared: the address or MAP_FAILED. */
static inline unsigned char *su_map(int sfd, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
}

/* A section and its mapping, filled with a pattern. */
struct su_sect {
	int fd;
	unsigned char *map;
	size_t len;
};

static inline void su_sect_init(struct su_sect *s)
{
	s->fd = -EBADF;
	s->map = MAP_FAILED;
	s->len = 0;
}

/* A section of @len bytes made on @fd, mapped and filled with pattern @seed. 0 or -1. */
static inline int su_sect_new(struct su_sect *s, int fd, size_t len, unsigned int seed)
{
	su_sect_init(s);
	s->len = len;
	s->fd = su_section(fd, len, 0);
	if (s->fd < 0)
		return -1;
	s->map = su_map(s->fd, len);
	if (s->map == MAP_FAILED)
		return -1;
	su_fill(s->map, len, seed, 0);
	return 0;
}

static inline void su_sect_free(struct su_sect *s)
{
	if (s->map != MAP_FAILED)
		munmap(s->map, s->len);
	if (s->fd >= 0)
		close(s->fd);
	su_sect_init(s);
}

static inline void su_view_attrs(struct alpc_msg_attrs *a, int sfd, __u64 offset, __u64 len,
				 __u32 view_flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = ALPC_ATTR_VIEW;
	a->section_fd = sfd;
	a->view_flags = view_flags;
	a->view_offset = offset;
	a->view_len = len;
}

static inline void su_region_attrs(struct alpc_msg_attrs *a, const void *addr, __u64 len,
				   __u32 region_flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = ALPC_ATTR_REGION;
	a->region_addr = (__u64)(unsigned long)addr;
	a->region_len = len;
	a->region_flags = region_flags;
}

/* SEND of @type with @attrs (NULL: none) and @len bytes at @buf; *@id gets the id. */
static inline int su_send(int fd, __u32 type, __u64 ref_id, const void *buf, __u32 len,
			  const struct alpc_msg_attrs *attrs, __u64 *id)
{
	struct alpc_send s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.type = type;
	s.ref_id = ref_id;
	s.buf = (__u64)(unsigned long)buf;
	s.len = len;
	s.attrs = (__u64)(unsigned long)attrs;
	ret = ioctl(fd, ALPC_IOC_SEND, &s);
	if (id)
		*id = s.id;
	return ret;
}

/* A message carrying a view of section @sfd. */
static inline int su_send_view(int fd, __u32 type, __u64 ref_id, int sfd, __u64 offset,
			       __u64 len, __u32 view_flags, __u64 *id)
{
	struct alpc_msg_attrs a;

	su_view_attrs(&a, sfd, offset, len, view_flags);
	return su_send(fd, type, ref_id, NULL, 0, &a, id);
}

static inline void su_send_wait_init(struct alpc_send_wait *sw, void *reply, __u32 reply_size,
				     const struct alpc_msg_attrs *attrs, __s64 timeout_ns)
{
	memset(sw, 0, sizeof(*sw));
	sw->reply_buf = (__u64)(unsigned long)reply;
	sw->reply_size = reply_size;
	sw->attrs = (__u64)(unsigned long)attrs;
	sw->timeout_ns = timeout_ns;
}

/* The first byte of the view a received message carried. */
static inline unsigned char *su_view(const struct alpc_msg_info *info)
{
	return (unsigned char *)(unsigned long)info->view_addr;
}

/* Unmaps the whole pages a received view was mapped on. */
static inline int su_view_unmap(const struct alpc_msg_info *info)
{
	size_t page = su_page();
	unsigned long base = info->view_addr & ~(page - 1);
	size_t len = (info->view_addr - base + info->view_len + page - 1) & ~(page - 1);

	return munmap((void *)base, len);
}

/* How many mappings of sections this process has (a lost view shows here). */
static inline int su_section_maps(void)
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
static inline int su_access(int fd, __u64 id, __u32 op, __u64 offset, __u64 len, void *buf,
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

/* Kills and reaps *@pid if set; returns how it ended. */
static inline int su_kill_child(pid_t *pid)
{
	int ret;

	if (*pid <= 0)
		return -1;
	kill(*pid, SIGKILL);
	ret = alpc_wait_child(*pid);
	*pid = 0;
	return ret;
}

/* Reads one byte from @fd: 0 once it came, -1 on EOF or error. */
static inline int su_wait_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static inline int su_post_byte(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

#endif /* _ALPC_SECTION_UTIL_H */
