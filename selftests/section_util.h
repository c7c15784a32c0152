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

#include "alpc_util.h"

#define SU_KIB		1024ULL
#define SU_MIB		(1024 * SU_KIB)
/* How long a test waits for something that must happen. */
#define SU_WAIT_NS	(10000 * ALPC_NS_PER_MS)

static inline size_t su_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
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
	struct alpc_port_attr a;

	su_link_init(l);
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
static inline int su_link_add(struct su_link *l, int dev, const struct su_link *to, bool comm_port)
{
	su_link_init(l);
	snprintf(l->name, sizeof(l->name), "%s", to->name);
	l->client = alpc_connect_accept(dev, to->port, to->name, 0,
					comm_port ? ALPC_ACCEPT_COMM_PORT : 0, &l->comm, NULL);
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

/* A message carrying a view of section @sfd. */
static inline int su_send_view(int fd, __u32 type, __u64 ref_id, int sfd, __u64 offset,
			       __u64 len, __u32 view_flags, __u64 *id)
{
	struct alpc_msg_attrs a;

	su_view_attrs(&a, sfd, offset, len, view_flags);
	return alpc_send_attrs(fd, type, NULL, 0, 0, ref_id, 0, &a, id);
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
