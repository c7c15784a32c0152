// SPDX-License-Identifier: GPL-2.0
/*
 * alpc_fuzz: random sequences of every alpc ioctl, from several processes
 * of several threads each, for a bounded time.
 *
 *   alpc_fuzz [--seed N] [--duration S] [--debug-duration S] [--threads T]
 *             [--procs P] [--kill-ms M]
 *
 * (--debug-duration replaces --duration on a kernel with lockdep, the
 * debug kernel, as stress_test does.)
 *
 * Each worker process keeps a pool of live fds (the device, connection
 * ports, both kinds of communication port, sections, completion ports,
 * eventfds, a pidfd of itself) and of ids it has seen (connection
 * requests and requests received, requests sent), so most operations are
 * valid ones on real objects: connects to names that exist, accepts of
 * real connection requests, replies to real requests, views of real
 * sections. Mixed in: boundary values (0, the limit, the limit + 1, -1,
 * huge lengths), bad pointers (NULL, 0x1, kernel addresses, a guard page,
 * a read-only page, structures that run into a guard page), reserved
 * fields and unknown flags, unknown ioctl numbers and ioctls on the wrong
 * kind of fd; fds closed and dup2()ed while other threads use them;
 * sections and completion rings mapped, unmapped, mprotect()ed and
 * mremap()ed; children forked with the pool and killed mid-operation;
 * waits interrupted by signals. The supervisor (this process) kills whole
 * workers at random and starts them again.
 *
 * SEND_DGRAMS gets buffers of 1 to ALPC_BATCH_MAX datagrams of 0 bytes to
 * the port's max_msg_len, well-formed or not (a size too small or with
 * room to spare, a count past the datagrams, a header with an id, port
 * context or flags, a length over the limit or past the buffer), in
 * memory that is not there, read-only, runs into a guard page or lies in
 * a mapping other threads unmap and mprotect; RECV_DGRAMS, on connection
 * and communication ports, room for less than a header, for a few
 * datagrams before a guard page (the rest go back to the queue), or for
 * all of them. The payloads the fuzzer sends this way carry a stamp, so a
 * receiver checks each one it takes is whole, and that what RECV_DGRAMS
 * and SEND_DGRAMS report (done, bytes, the headers) adds up.
 *
 * Pointers the kernel writes through always lead into a scratch area
 * followed by a guard page, so no generated argument can make the kernel
 * scribble on the fuzzer itself; so do regions lent to ALPC_IOC_ACCESS,
 * which can be written at any offset, for their whole length. A worker
 * or child that crashes all the same fails the run: either the fuzzer
 * broke that rule, or the kernel wrote where it must not.
 *
 * Determinism: every worker thread draws its choices from its own
 * splitmix64 stream, derived from the seed, the worker's index and
 * restart generation, and the thread's index; the supervisor's kill
 * schedule comes from the seed too. The streams repeat exactly; what
 * the kernel answers depends on how the threads interleave, so a run
 * repeats exactly only with --procs 1 --threads 1 --kill-ms 0.
 *
 * The generic netlink family gets the same treatment: dumps of ports and
 * connections and totals, with and without filters, read in full, in
 * part or not at all, while ports and connections come and go; event
 * commands, unknown commands and attributes, bad flags; event listeners.
 *
 * Output is TAP. At the end it prints how many operations ran, a table
 * of operations by errno (the error paths reached), the message types
 * and completion kinds that went through, and, when tracefs is there,
 * how often each alpc tracepoint fired. A kernel splat (read from
 * /dev/kmsg as the run goes), a worker that stops making progress, a
 * module that no longer works afterwards, or a datagram sent or received
 * in bulk that does not add up fails the run; every failure line names
 * the seed.
 */
#include <dirent.h>
#include <grp.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest.h"	/* ARRAY_SIZE() */
/* Checks its own way, or runs threads throughout: see alpc_util.h. */
#define ALPC_NO_CALL_CHECK
#include "alpc_util.h"

#define PAGE		4096UL
#define NAMES		8		/* port names the workers share */
#define POOL_MAX	48		/* fds per worker process */
#define PENDING_MAX	32		/* remembered ids, per list */
#define MAPS_MAX	32		/* tracked mappings per worker process */
#define THREADS_MAX	16
#define PROCS_MAX	16
#define NERR		134		/* errno values counted; the last bucket is "other" */

#define SCR_SIZE	(512 * 1024UL)	/* per-thread scratch, then a guard page */
#define LEND_SIZE	(64 * 1024UL)	/* per-thread memory lent in regions */
#define OUT_OFF		(SCR_SIZE - 80 * 1024UL)	/* receive buffers, to the guard */
#define OUT_SIZE	(80 * 1024UL)
#define IN_OFF		(72 * 1024UL)	/* send payloads */
#define EXTRA_OFF	(4 * 1024UL)	/* 16 struct alpc_recv_extra and their arrays */
#define BOPS_OFF	(20 * 1024UL)	/* a batch's ops array */
#define BARGS_OFF	(28 * 1024UL)	/* a batch's operations' structures */
#define ATTRS_OFF	(64 * 1024UL)	/* struct alpc_msg_attrs and fd arrays */
#define DG_OFF		(144 * 1024UL)	/* SEND_DGRAMS buffers, RECV_DGRAMS room, to the guard */
#define DG_ROOM		(SCR_SIZE - DG_OFF)
#define BATCH_MAX_OPS	12		/* valid-sized batches stay this small */
#define POOL_FIXED	3		/* slots that stay: two device fds, a pidfd */
#define BARG_SIZE	160		/* room per batch operation structure */

#define MS		ALPC_NS_PER_MS
#define STALL_S		120		/* a worker making no progress this long is hung */

/* Operations, counted by errno: the ioctls first, then the rest. */
enum op {
	OP_GET_FEATURES, OP_CREATE_PORT, OP_CONNECT, OP_CONNECT_ASYNC,
	OP_GET_SECURITY, OP_SET_SECURITY, OP_ACCEPT, OP_SEND, OP_RECV,
	OP_SEND_WAIT, OP_REPLY_RECV, OP_CANCEL, OP_CREATE_SECTION, OP_ACCESS,
	OP_BATCH, OP_SEND_DGRAMS, OP_RECV_DGRAMS, OP_CREATE_COMPLETION, OP_ASSOCIATE,
	OP_DEQUEUE, OP_UNKNOWN_IOCTL, OP_WRONG_FD_IOCTL,
	OP_BATCH_SEND, OP_BATCH_RECV, OP_BATCH_CANCEL,
	OP_MMAP_SECTION, OP_MMAP_RING, OP_MUNMAP, OP_MPROTECT, OP_MREMAP,
	OP_TOUCH, OP_REAP_RING, OP_POLL, OP_CLOSE, OP_DUP2, OP_FORK,
	OP_NL_GET_PORT, OP_NL_GET_CONN, OP_NL_GET_STATS, OP_NL_OTHER, OP_NL_EVENTS,
	N_OPS
};

static const char *const op_names[N_OPS] = {
	"GET_FEATURES", "CREATE_PORT", "CONNECT", "CONNECT(ASYNC)",
	"GET_SECURITY", "SET_SECURITY", "ACCEPT", "SEND", "RECV",
	"SEND_WAIT", "REPLY_RECV", "CANCEL", "CREATE_SECTION", "ACCESS",
	"BATCH", "SEND_DGRAMS", "RECV_DGRAMS", "CREATE_COMPLETION", "ASSOCIATE",
	"DEQUEUE", "unknown ioctl nr", "ioctl on wrong fd",
	"BATCH op SEND", "BATCH op RECV", "BATCH op CANCEL",
	"mmap section", "mmap ring", "munmap", "mprotect", "mremap",
	"touch mapping", "reap ring", "poll", "close", "dup2", "fork child",
	"netlink GET_PORT", "netlink GET_CONN", "netlink GET_STATS", "netlink other",
	"netlink events",
};

/* The first N_IOCTL_OPS rows are the ioctls of alpc.h (and bad numbers). */
#define N_IOCTL_OPS	(OP_WRONG_FD_IOCTL + 1)

static const char *const type_names[] = {
	"?", "REQUEST", "DATAGRAM", "REPLY", "CONNECTION_REQUEST",
	"PORT_CLOSED", "CLIENT_DIED", "CANCELED",
};

#define N_TYPES		8
enum msg_flag_stat { MF_VIEW, MF_VIEW_RO, MF_REGION, MF_FDS, MF_PIDFD, MF_CRED, MF_GROUPS, N_MF };
static const char *const mf_names[N_MF] = {
	"with a view", "with a read-only view", "with a region", "with fds",
	"with a pidfd", "with CRED_CHANGED", "with groups",
};

static const char *const trace_events[] = {
	"alpc_port_create", "alpc_connect", "alpc_accept", "alpc_send",
	"alpc_receive", "alpc_reply", "alpc_cancel", "alpc_section_map",
	"alpc_close",
};

#define N_EVENTS	ARRAY_SIZE(trace_events)

/* Shared by the supervisor and every worker (MAP_SHARED, made before fork). */
struct shared {
	atomic_int stop;
	atomic_ulong ops;
	atomic_ulong count[N_OPS][NERR];
	atomic_ulong received[N_TYPES];
	atomic_ulong received_flags[N_MF];
	atomic_ulong completions[2];	/* message entries, CONNECT entries */
	atomic_ulong ring_reaped;
	atomic_ulong children, children_killed, children_crashed;
	atomic_ulong progress[PROCS_MAX];
	atomic_ulong accepted, rejected, replied, accessed;
	/* Datagrams SEND_DGRAMS queued, calls that queued some but not all, ... */
	atomic_ulong dgrams_sent;
	/* ... datagrams RECV_DGRAMS took, stamped payloads checked, results wrong. */
	atomic_ulong dgrams_taken, dgrams_checked, dgrams_bad;
	pid_t run;			/* names are "fz<run>-<n>" */
};

static struct shared *sh;

struct rng {
	__u64 s;
};

static __u64 splitmix64(__u64 *x)
{
	__u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rnd64(struct rng *r)
{
	return splitmix64(&r->s);
}

static __u32 rnd_below(struct rng *r, __u32 n)
{
	return n ? (__u32)(rnd64(r) % n) : 0;
}

static bool one_in(struct rng *r, __u32 n)
{
	return rnd_below(r, n) == 0;
}

/* A seed for stream (@a, @b) of run @seed. */
static __u64 derive(__u64 seed, __u64 a, __u64 b)
{
	__u64 x = seed ^ (a * 0x100000001b3ULL) ^ (b << 40) ^ (b >> 24);

	splitmix64(&x);
	return splitmix64(&x);
}

enum kind {
	K_NONE, K_DEV, K_PORT, K_CLIENT, K_SERVER, K_SECTION, K_COMPLETION,
	K_EVENTFD, K_OTHER,
};

#define KM(k)		(1U << (k))
#define KM_COMM		(KM(K_CLIENT) | KM(K_SERVER))
#define KM_ENDS		(KM(K_PORT) | KM_COMM)
#define KM_ANY		0xffffU

struct obj {
	int fd;
	enum kind kind;
	/* Sections: their size; completion ports: ring entries; ports: name + 1 */
	__u64 size;
	/* Sections: the fd they were made on; clients: the server's end, if known */
	int conn_fd;
	/* Ports and clients: the port's max_msg_len, if known (0: not) */
	__u32 max_msg;
};

struct pending {
	int fd;
	__u64 id;
	__u64 region_len;	/* requests: what their region lends, if anything */
	__u32 flags;		/* requests: ALPC_MSGF_REGION_* */
};

struct plist {
	struct pending e[PENDING_MAX];
	unsigned int next;
};

enum map_kind { M_SECTION, M_VIEW, M_RING };

struct mapping {
	unsigned long addr;
	unsigned long len;
	int prot;
	enum map_kind kind;
};

/* One worker process's state, shared by its threads. */
struct proc {
	pthread_mutex_t lock;		/* the pool and the pending lists */
	struct obj pool[POOL_MAX];
	struct plist conn_reqs;		/* CONNECTION_REQUESTs received, by port fd */
	struct plist requests;		/* REQUESTs received */
	struct plist sent;		/* REQUESTs sent */
	pthread_mutex_t map_lock;	/* mappings, and every access to them */
	struct mapping maps[MAPS_MAX];
	unsigned char *hole;		/* PROT_NONE */
	int self_pidfd;
	__u16 nl_family;		/* the alpc family's id, 0 if unknown */
	__u32 nl_group;			/* its events group's id */
	int idx;
	bool child;			/* a forked child: no more forks */
	__s64 deadline;
};

/* One worker thread. */
struct wctx {
	struct rng r;
	struct proc *p;
	unsigned char *scr;		/* SCR_SIZE, then a guard page */
	void *arg;			/* one page, then a guard page */
	unsigned char *ro;		/* one read-only page */
	unsigned char *lend;		/* LEND_SIZE, then a guard page */
	pthread_t thread;
	int idx;
	bool arg_moved;			/* the last ioctl's structure was not at @arg */
};

static void rec(int op, int err)
{
	if (err < 0 || err >= NERR)
		err = NERR - 1;
	atomic_fetch_add_explicit(&sh->count[op][err], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sh->ops, 1, memory_order_relaxed);
}

/* Records the result of a call that returns -1 with errno, keeping errno. */
static int rec_ret(struct wctx *w, int op, int ret)
{
	int err = errno;

	rec(op, ret < 0 ? err : 0);
	if (w && w->p->idx >= 0)
		atomic_fetch_add_explicit(&sh->progress[w->p->idx], 1, memory_order_relaxed);
	errno = err;
	return ret;
}

static __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static void *guarded_alloc(size_t len)
{
	unsigned char *p = mmap(NULL, len + PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + len, PAGE, PROT_NONE)) {
		munmap(p, len + PAGE);
		return NULL;
	}
	return p;
}

/* A pointer the kernel can neither read nor write. */
static __u64 bad_ptr(struct wctx *w)
{
	switch (rnd_below(&w->r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 0xffff800000000000ULL;
	case 3:
		return 0xffffffffff600000ULL;
	case 4:
		return uptr(w->p->hole) + rnd_below(&w->r, PAGE);
	default:
		return uptr(w->scr + SCR_SIZE);		/* the guard page */
	}
}

/* An output pointer for @len bytes: into the scratch at @off, or a bad one. */
static __u64 out_ptr(struct wctx *w, unsigned long off, unsigned long len)
{
	switch (rnd_below(&w->r, 40)) {
	case 0:
		return bad_ptr(w);
	case 1:
		return uptr(w->ro);
	case 2:
		/* Runs into the guard page part way. */
		return uptr(w->scr + SCR_SIZE - (len > 1 ? len / 2 : 1));
	case 3:
		return uptr(w->scr + off + 1);		/* misaligned */
	default:
		return uptr(w->scr + off);
	}
}

/* An input pointer for @len bytes: anything readable, or a bad one. */
static __u64 in_ptr(struct wctx *w, unsigned long len)
{
	switch (rnd_below(&w->r, 40)) {
	case 0:
		return bad_ptr(w);
	case 1:
		return uptr(w->scr + SCR_SIZE - (len > 1 ? len / 2 : 1));
	case 2:
		return uptr(w->ro);
	case 3:
		return uptr(w->scr + IN_OFF + 3);
	default:
		return uptr(w->scr + IN_OFF);
	}
}

/* A length up to @max: mostly valid, sometimes the boundaries or beyond. */
static __u32 pick_len(struct wctx *w, __u32 max)
{
	switch (rnd_below(&w->r, 16)) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return max + 1;
	case 3:
		return 0xffffffffU;
	case 4:
		return 1U << rnd_below(&w->r, 17);
	default:
		return rnd_below(&w->r, max < 512 ? max + 1 : 512);
	}
}

static __s64 pick_timeout(struct wctx *w)
{
	switch (rnd_below(&w->r, 24)) {
	case 0:
		return -1;			/* a signal from the ticker ends it */
	case 1:
		return INT64_MIN;
	case 2:
		return INT64_MAX;
	case 3:
		return 1;
	case 4 ... 11:
		return 0;
	default:
		return (__s64)(1 + rnd_below(&w->r, 20)) * MS;
	}
}

/* A reserved word: almost always 0. */
static __u64 pick_reserved(struct wctx *w)
{
	return one_in(&w->r, 48) ? 1ULL << rnd_below(&w->r, 64) : 0;
}

/* Flags from @valid, sometimes with an unknown bit. */
static __u32 pick_flags(struct wctx *w, __u32 valid)
{
	__u32 f = (__u32)rnd64(&w->r) & valid;

	if (one_in(&w->r, 32))
		f |= 1U << rnd_below(&w->r, 32);
	return f;
}

static void port_name(struct wctx *w, char *name)
{
	memset(name, 0, ALPC_NAME_MAX);
	switch (rnd_below(&w->r, 40)) {
	case 0:
		return;					/* empty */
	case 1:
		memset(name, 'x', ALPC_NAME_MAX);	/* unterminated */
		return;
	case 2:
		memset(name, 'y', ALPC_NAME_MAX - 1);	/* the longest */
		return;
	case 3:
		snprintf(name, ALPC_NAME_MAX, "fz-missing-%u", rnd_below(&w->r, 4));
		return;
	default:
		snprintf(name, ALPC_NAME_MAX, "fz%d-%u", sh->run, rnd_below(&w->r, NAMES));
	}
}

/* The index of a shared name, or -1. */
static int name_index(const char *name)
{
	unsigned int k;
	int run, n;

	if (sscanf(name, "fz%d-%u%n", &run, &k, &n) == 2 && run == sh->run && !name[n] &&
	    k < NAMES)
		return k;
	return -1;
}

/* Pool */

static void pool_lock(struct proc *p)
{
	pthread_mutex_lock(&p->lock);
}

static void pool_unlock(struct proc *p)
{
	pthread_mutex_unlock(&p->lock);
}

/* A random live object of one of the kinds in @mask (fd -1 if none). */
static struct obj pool_pick(struct wctx *w, unsigned int mask)
{
	struct proc *p = w->p;
	struct obj o = { .fd = -1, .kind = K_NONE };
	unsigned int i, n = 0, want;

	pool_lock(p);
	for (i = 0; i < POOL_MAX; i++)
		if (p->pool[i].kind != K_NONE && mask & KM(p->pool[i].kind))
			n++;
	if (n) {
		want = rnd_below(&w->r, n);
		for (i = 0; i < POOL_MAX; i++) {
			if (p->pool[i].kind == K_NONE || !(mask & KM(p->pool[i].kind)))
				continue;
			if (!want--) {
				o = p->pool[i];
				break;
			}
		}
	}
	pool_unlock(p);
	return o;
}

/* An fd of a kind in @mask, or now and then any fd or a bad one. */
static int pick_fd(struct wctx *w, unsigned int mask)
{
	switch (rnd_below(&w->r, 64)) {
	case 0:
		return -1;
	case 1:
		return 1000 + rnd_below(&w->r, 24);	/* not open */
	case 2 ... 4:
		return pool_pick(w, KM_ANY).fd;
	default:
		return pool_pick(w, mask).fd;
	}
}

/*
 * Takes @fd into the pool, with its port's max_msg_len if known; a full
 * pool closes a random member to make room.
 */
static void pool_add_lim(struct wctx *w, int fd, enum kind kind, __u64 size, int conn_fd,
			 __u32 max_msg)
{
	struct proc *p = w->p;
	unsigned int i, slot = POOL_MAX;
	int victim = -1;

	if (fd < 0)
		return;
	pool_lock(p);
	for (i = 0; i < POOL_MAX; i++) {
		if (p->pool[i].kind == K_NONE) {
			slot = i;
			break;
		}
	}
	if (slot == POOL_MAX) {
		/* The first slots stay: everything starts from them. */
		slot = POOL_FIXED + rnd_below(&w->r, POOL_MAX - POOL_FIXED);
		victim = p->pool[slot].fd;
	}
	p->pool[slot] = (struct obj){ .fd = fd, .kind = kind, .size = size, .conn_fd = conn_fd,
				      .max_msg = max_msg };
	pool_unlock(p);
	if (victim >= 0)
		rec_ret(w, OP_CLOSE, close(victim));
}

static void pool_add(struct wctx *w, int fd, enum kind kind, __u64 size, int conn_fd)
{
	pool_add_lim(w, fd, kind, size, conn_fd, 0);
}

/* Removes a random object of a kind in @mask from the pool; its fd is the caller's. */
static int pool_take(struct wctx *w, unsigned int mask)
{
	struct proc *p = w->p;
	unsigned int i, n = 0, want;
	int fd = -1;

	pool_lock(p);
	for (i = POOL_FIXED; i < POOL_MAX; i++)
		if (p->pool[i].kind != K_NONE && mask & KM(p->pool[i].kind))
			n++;
	if (n) {
		want = rnd_below(&w->r, n);
		for (i = POOL_FIXED; i < POOL_MAX; i++) {
			if (p->pool[i].kind == K_NONE || !(mask & KM(p->pool[i].kind)))
				continue;
			if (!want--) {
				fd = p->pool[i].fd;
				p->pool[i].kind = K_NONE;
				break;
			}
		}
	}
	pool_unlock(p);
	return fd;
}

static void plist_push(struct proc *p, struct plist *l, struct pending e)
{
	pool_lock(p);
	l->e[l->next++ % PENDING_MAX] = e;
	pool_unlock(p);
}

/* A remembered id (and takes it off the list), or a made-up one. */
static struct pending plist_pick(struct wctx *w, struct plist *l)
{
	struct pending e = { .fd = -1 };
	struct proc *p = w->p;
	unsigned int i;

	if (one_in(&w->r, 8)) {
		e.id = one_in(&w->r, 2) ? rnd64(&w->r) : rnd_below(&w->r, 1000000);
		return e;
	}
	pool_lock(p);
	for (i = 0; i < PENDING_MAX; i++) {
		struct pending *c = &l->e[(l->next - 1 - i) % PENDING_MAX];

		if (c->id) {
			e = *c;
			if (!one_in(&w->r, 8))	/* now and then, twice */
				c->id = 0;
			break;
		}
	}
	pool_unlock(p);
	return e;
}

/* Mappings */

static void maps_add(struct wctx *w, unsigned long addr, unsigned long len, int prot,
		     enum map_kind kind)
{
	struct proc *p = w->p;
	unsigned int i;

	pthread_mutex_lock(&p->map_lock);
	for (i = 0; i < MAPS_MAX; i++) {
		if (!p->maps[i].len) {
			p->maps[i] = (struct mapping){ addr, len, prot, kind };
			pthread_mutex_unlock(&p->map_lock);
			return;
		}
	}
	pthread_mutex_unlock(&p->map_lock);
	rec_ret(w, OP_MUNMAP, munmap((void *)addr, len));
}

/* A random mapping's slot, with map_lock held (or -1, unlocked). */
static int maps_pick_locked(struct wctx *w)
{
	struct proc *p = w->p;
	unsigned int i, n = 0, want;

	pthread_mutex_lock(&p->map_lock);
	for (i = 0; i < MAPS_MAX; i++)
		n += !!p->maps[i].len;
	if (!n) {
		pthread_mutex_unlock(&p->map_lock);
		return -1;
	}
	want = rnd_below(&w->r, n);
	for (i = 0; i < MAPS_MAX; i++)
		if (p->maps[i].len && !want--)
			return i;
	pthread_mutex_unlock(&p->map_lock);
	return -1;
}

/* A view a receive mapped: keep it for the mapping operations. */
static void note_view(struct wctx *w, const struct alpc_msg_info *info)
{
	unsigned long head, addr, len;

	if (!(info->flags & ALPC_MSGF_VIEW) || !info->view_addr)
		return;
	head = info->view_addr & (PAGE - 1);
	addr = info->view_addr - head;
	len = (head + info->view_len + PAGE - 1) & ~(PAGE - 1);
	maps_add(w, addr, len,
		 info->flags & ALPC_MSGF_VIEW_READONLY ? PROT_READ : PROT_READ | PROT_WRITE,
		 M_VIEW);
}

static struct alpc_recv_extra *extra_at(struct wctx *w, unsigned int slot)
{
	return (struct alpc_recv_extra *)(w->scr + EXTRA_OFF + slot * 1024);
}

/*
 * Builds a struct alpc_recv_extra in slot @slot (0 to 11) of the scratch;
 * returns its address for the ioctl (0, the extra, or a bad pointer).
 */
static __u64 build_extra(struct wctx *w, unsigned int slot, __u32 flags)
{
	struct alpc_recv_extra *x = extra_at(w, slot);
	__s32 *fds = (__s32 *)(x + 1);

	memset(x, 0, 1024);
	if (!(flags & (ALPC_RECV_GROUPS | ALPC_RECV_PIDFD)) && one_in(&w->r, 3))
		return 0;
	if (one_in(&w->r, 64))
		return one_in(&w->r, 2) ? bad_ptr(w) : uptr(w->ro);
	if (!one_in(&w->r, 4)) {
		x->fds = uptr(fds);
		x->fds_size = rnd_below(&w->r, 4) ? 16 : rnd_below(&w->r, 17);
	}
	if (flags & ALPC_RECV_GROUPS) {
		x->groups = uptr(fds + 16);
		x->groups_size = rnd_below(&w->r, 32);
	}
	switch (rnd_below(&w->r, 48)) {
	case 0:
		x->reserved[rnd_below(&w->r, 3)] = 1;
		break;
	case 1:
		x->fds = 0;
		x->fds_size = 4;
		break;
	case 2:
		x->fds = bad_ptr(w);
		x->fds_size = 4;
		break;
	case 3:
		x->groups = uptr(fds + 16);
		x->groups_size = 1;
		break;
	case 4:
		x->fds_size = 0x40000000;
		break;
	}
	return uptr(x);
}

static void pool_add_any(struct wctx *w, int fd)
{
	pool_add(w, fd, K_OTHER, 0, -1);
}

/*
 * What a successful receive gave: remembers connection requests and
 * requests, keeps views, fds and pidfds it made.
 */
static void took_msg(struct wctx *w, int fd, const struct alpc_msg_info *info,
		     const struct alpc_recv_extra *x, __u32 rflags)
{
	const __s32 *fds;
	__u32 i;

	atomic_fetch_add_explicit(&sh->received[info->type < N_TYPES ? info->type : 0], 1,
				  memory_order_relaxed);
	if (info->flags & ALPC_MSGF_VIEW)
		atomic_fetch_add(&sh->received_flags[MF_VIEW], 1);
	if (info->flags & ALPC_MSGF_VIEW_READONLY)
		atomic_fetch_add(&sh->received_flags[MF_VIEW_RO], 1);
	if (info->flags & (ALPC_MSGF_REGION_READ | ALPC_MSGF_REGION_WRITE))
		atomic_fetch_add(&sh->received_flags[MF_REGION], 1);
	if (info->flags & ALPC_MSGF_FDS)
		atomic_fetch_add(&sh->received_flags[MF_FDS], 1);
	if (info->flags & ALPC_MSGF_PIDFD)
		atomic_fetch_add(&sh->received_flags[MF_PIDFD], 1);
	if (info->flags & ALPC_MSGF_CRED_CHANGED)
		atomic_fetch_add(&sh->received_flags[MF_CRED], 1);
	if (x && rflags & ALPC_RECV_GROUPS && x->ngroups)
		atomic_fetch_add(&sh->received_flags[MF_GROUPS], 1);

	note_view(w, info);
	if (x) {
		fds = (const __s32 *)(uintptr_t)x->fds;
		for (i = 0; fds && i < x->nfds && i < x->fds_size; i++)
			pool_add_any(w, fds[i]);
		if (x->pidfd >= 0 && info->flags & ALPC_MSGF_PIDFD)
			pool_add_any(w, x->pidfd);
	}
	switch (info->type) {
	case ALPC_MSG_CONNECTION_REQUEST:
		plist_push(w->p, &w->p->conn_reqs, (struct pending){ .fd = fd, .id = info->id });
		break;
	case ALPC_MSG_REQUEST:
		plist_push(w->p, &w->p->requests,
			   (struct pending){ .fd = fd, .id = info->id,
					     .region_len = info->region_len,
					     .flags = info->flags });
		break;
	}
}

/*
 * Issues ioctl @cmd on @fd with the structure of @size bytes at w->arg;
 * now and then moves it to a bad pointer, the read-only page, or across
 * the guard page. w->arg_moved says whether the outputs are at w->arg.
 */
static int do_ioctl(struct wctx *w, int op, int fd, unsigned long cmd, size_t size)
{
	void *arg = w->arg;
	int ret;

	w->arg_moved = true;
	switch (rnd_below(&w->r, 96)) {
	case 0:
		arg = (void *)(uintptr_t)bad_ptr(w);
		break;
	case 1:
		if (!mprotect(w->ro, PAGE, PROT_READ | PROT_WRITE)) {
			memcpy(w->ro, w->arg, size);
			mprotect(w->ro, PAGE, PROT_READ);
		}
		arg = w->ro;
		break;
	case 2:
		arg = w->arg + PAGE - size / 2;
		memmove(arg, w->arg, size / 2);
		break;
	default:
		w->arg_moved = false;
	}
	ret = ioctl(fd, cmd, arg);
	return rec_ret(w, op, ret);
}

static void *arg_clear(struct wctx *w, size_t size)
{
	memset(w->arg, 0, size);
	return w->arg;
}

/* The operations */

static void op_get_features(struct wctx *w)
{
	struct alpc_features *f = arg_clear(w, sizeof(*f));

	f->flags = pick_reserved(w);
	f->reserved[rnd_below(&w->r, 4)] = pick_reserved(w);
	do_ioctl(w, OP_GET_FEATURES, pick_fd(w, KM(K_DEV)), ALPC_IOC_GET_FEATURES, sizeof(*f));
}

static __u32 pick_of(struct wctx *w, const __u32 *v, unsigned int n)
{
	return v[rnd_below(&w->r, n)];
}

#define PICK(w, ...) ({ static const __u32 _v[] = { __VA_ARGS__ }; \
	pick_of(w, _v, ARRAY_SIZE(_v)); })

static void fill_attr(struct wctx *w, struct alpc_port_attr *a)
{
	memset(a, 0, sizeof(*a));
	if (one_in(&w->r, 3))
		return;
	a->flags = pick_flags(w, ALPC_PORT_DIRECT_ACCESS | ALPC_PORT_ALLOW_FDS);
	a->max_msg_len = PICK(w, 0, 0, 1, 64, 256, 4096, 65536, 65537);
	a->max_queued_msgs = PICK(w, 0, 0, 1, 2, 8, 64, 65536, 65537);
	a->max_queued_bytes = PICK(w, 0, 0, 0, 4096, 65536, 1 << 20, 64 << 20, (64 << 20) + 1);
	a->max_connections = PICK(w, 0, 0, 1, 4, 65536, 65537);
	if (a->flags & ALPC_PORT_ALLOW_FDS || one_in(&w->r, 16))
		a->max_fds = PICK(w, 0, 1, 4, 16, 253, 254);
	a->max_sections = PICK(w, 0, 0, 1, 4, 4096, 4097);
	a->max_views = PICK(w, 0, 0, 0, 1, 2, 64);
	/* Sections stay small: the whole run must fit in the VM's memory. */
	a->max_section_size = PICK(w, 4096, 8192, 65536, 1 << 20, 0x40000001);
	a->max_section_bytes = PICK(w, 0, 65536, 1 << 20, 4 << 20, 1);
	if (!a->max_section_bytes)
		a->max_section_bytes = 4 << 20;
}

static void op_create_port(struct wctx *w)
{
	struct alpc_create_port *c = arg_clear(w, sizeof(*c));
	int fd;

	port_name(w, c->name);
	fill_attr(w, &c->attr);
	c->flags = pick_flags(w, ALPC_FD_INHERIT);
	c->mode = PICK(w, 0, 0, 0600, 0622, 0666, 0777, 0400, 01000);
	c->reserved[rnd_below(&w->r, 2)] = pick_reserved(w);
	fd = do_ioctl(w, OP_CREATE_PORT, pick_fd(w, KM(K_DEV)), ALPC_IOC_CREATE_PORT, sizeof(*c));
	pool_add_lim(w, fd, K_PORT, name_index(c->name) + 1, -1,
		     w->arg_moved ? 0 : c->attr.max_msg_len);
}

static void fill_connect(struct wctx *w, struct alpc_connect *c)
{
	memset(c, 0, sizeof(*c));
	port_name(w, c->name);
	c->len = pick_len(w, 256);
	c->buf = in_ptr(w, c->len);
	c->timeout_ns = pick_timeout(w);
	if (c->timeout_ns < 0 && c->timeout_ns != -1)
		c->timeout_ns = 10 * MS;
	c->reply_size = pick_len(w, 4096);
	c->reply_buf = out_ptr(w, OUT_OFF, c->reply_size);
	c->flags = pick_flags(w, ALPC_FD_INHERIT);
	if (one_in(&w->r, 6)) {
		c->flags |= ALPC_CONNECT_SERVER_UID;
		c->server_uid = PICK(w, 0, 0, 65534, 0xffffffff);
	}
	if (one_in(&w->r, 6)) {
		c->flags |= ALPC_CONNECT_PIDFD;
		c->pidfd = one_in(&w->r, 4) ? pick_fd(w, KM(K_OTHER)) : w->p->self_pidfd;
	}
	c->reserved = pick_reserved(w);
	c->reserved0 = pick_reserved(w);
}

static void op_connect(struct wctx *w)
{
	struct alpc_connect *c = w->arg;
	int fd;

	fill_connect(w, c);
	if (one_in(&w->r, 32)) {
		c->completion_fd = pick_fd(w, KM(K_COMPLETION));
		c->key = rnd64(&w->r);
	}
	fd = do_ioctl(w, OP_CONNECT, pick_fd(w, KM(K_DEV)), ALPC_IOC_CONNECT, sizeof(*c));
	pool_add(w, fd, K_CLIENT, 0, -1);
}

static void op_connect_async(struct wctx *w)
{
	struct alpc_connect *c = w->arg;
	int fd;

	fill_connect(w, c);
	c->flags |= ALPC_CONNECT_ASYNC;
	if (!one_in(&w->r, 16)) {
		c->timeout_ns = -1;
		c->reply_buf = 0;
		c->reply_size = 0;
	}
	c->completion_fd = pick_fd(w, KM(K_COMPLETION));
	c->key = rnd64(&w->r);
	fd = do_ioctl(w, OP_CONNECT_ASYNC, pick_fd(w, KM(K_DEV)), ALPC_IOC_CONNECT, sizeof(*c));
	pool_add(w, fd, K_CLIENT, 0, -1);
}

static void fill_security(struct wctx *w, struct alpc_security *sd)
{
	__u32 i;

	memset(sd, 0, sizeof(*sd));
	sd->uid = one_in(&w->r, 8) ? PICK(w, 1000, 65534, 0xffffffff) : getuid();
	sd->gid = one_in(&w->r, 8) ? PICK(w, 1000, 65534, 0xffffffff) : getgid();
	/* Mostly modes that let the fuzzer's own connects in. */
	sd->mode = one_in(&w->r, 4) ? rnd_below(&w->r, 01000) : PICK(w, 0600, 0666, 0622);
	if (one_in(&w->r, 64))
		sd->mode = 01000;
	sd->count = one_in(&w->r, 2) ? 0 : PICK(w, 1, 2, 3, ALPC_ACL_MAX, ALPC_ACL_MAX + 1);
	for (i = 0; i < sd->count && i < ALPC_ACL_MAX; i++) {
		sd->acl[i].type = one_in(&w->r, 32) ? PICK(w, 0, 5, 0xffffffff) :
			1 + rnd_below(&w->r, 4);
		/* Deny entries name others: the fuzzer keeps its own way in. */
		sd->acl[i].id = sd->acl[i].type == ALPC_ACE_ALLOW_UID ||
				sd->acl[i].type == ALPC_ACE_ALLOW_GID ? PICK(w, 0, 1000, 65534) :
				PICK(w, 1000, 65534, 0xffffffff);
	}
	if (one_in(&w->r, 32))
		sd->acl[ALPC_ACL_MAX - 1].id = 1;	/* past @count: must be 0 */
	sd->reserved[rnd_below(&w->r, 2)] = pick_reserved(w);
}

static void op_security(struct wctx *w, bool set)
{
	struct alpc_port_security *ps = arg_clear(w, sizeof(*ps));
	int fd;

	if (one_in(&w->r, 2)) {
		fd = pick_fd(w, KM(K_DEV));
		port_name(w, ps->name);
	} else {
		fd = pick_fd(w, KM(K_PORT) | (one_in(&w->r, 8) ? KM_COMM : 0));
		if (one_in(&w->r, 16))
			ps->name[0] = 'z';
	}
	ps->flags = pick_flags(w, 0);
	ps->reserved = (__u32)pick_reserved(w);
	if (set) {
		fill_security(w, &ps->sd);
		do_ioctl(w, OP_SET_SECURITY, fd, ALPC_IOC_SET_SECURITY, sizeof(*ps));
	} else {
		do_ioctl(w, OP_GET_SECURITY, fd, ALPC_IOC_GET_SECURITY, sizeof(*ps));
	}
}

/*
 * ACCEPT (or reject) connection request @id on @port. Returns the server
 * communication port's fd, 0 if accepted without one, or -1.
 */
static int accept_one(struct wctx *w, int port, __u64 id, bool sane)
{
	struct alpc_accept *a = arg_clear(w, sizeof(*a));
	int fd;

	a->id = id;
	a->flags = rnd_below(&w->r, 3) ? ALPC_ACCEPT_COMM_PORT : 0;
	if (one_in(&w->r, 6))
		a->flags = ALPC_ACCEPT_REJECT;
	if (!sane)
		a->flags = pick_flags(w, ALPC_ACCEPT_REJECT | ALPC_ACCEPT_COMM_PORT |
				      ALPC_FD_INHERIT);
	if (one_in(&w->r, 8)) {
		a->flags |= ALPC_ACCEPT_PIDFD;
		a->pidfd = one_in(&w->r, 8) ? pick_fd(w, KM(K_OTHER)) : w->p->self_pidfd;
	}
	a->port_context = rnd64(&w->r);
	a->len = sane ? rnd_below(&w->r, 64) : pick_len(w, 256);
	a->buf = sane ? uptr(w->scr + IN_OFF) : in_ptr(w, a->len);
	if (!sane) {
		a->reserved = pick_reserved(w);
		a->reserved0 = (__u32)pick_reserved(w);
	}
	fd = do_ioctl(w, OP_ACCEPT, port, ALPC_IOC_ACCEPT, sizeof(*a));
	if (fd < 0)
		return -1;
	if (!w->arg_moved && a->flags & ALPC_ACCEPT_REJECT) {
		atomic_fetch_add(&sh->rejected, 1);
		return -1;
	}
	atomic_fetch_add(&sh->accepted, 1);
	if (fd > 0)
		pool_add(w, fd, K_SERVER, 0, -1);
	return fd;
}

static void op_accept(struct wctx *w)
{
	struct pending e = plist_pick(w, &w->p->conn_reqs);
	int port = e.fd >= 0 && !one_in(&w->r, 16) ? e.fd : pick_fd(w, KM(K_PORT));

	accept_one(w, port, e.id, !one_in(&w->r, 4));
}

/*
 * Builds a struct alpc_msg_attrs (and an fd array) in the scratch for a
 * message of @type sent on @fd; returns what goes in the attrs field.
 */
static __u64 build_attrs(struct wctx *w, __u32 type, int fd)
{
	struct alpc_msg_attrs *a = (void *)(w->scr + ATTRS_OFF);
	__s32 *fds = (__s32 *)(a + 1);
	struct obj sec;
	__u32 i;

	if (!one_in(&w->r, 3))
		return 0;
	if (one_in(&w->r, 48))
		return bad_ptr(w);
	memset(a, 0, sizeof(*a) + 64 * sizeof(*fds));
	if (one_in(&w->r, 2)) {
		a->flags |= ALPC_ATTR_VIEW;
		sec = pool_pick(w, KM(K_SECTION));
		/* A section of the connection it travels on, as far as we know. */
		if (sec.fd >= 0 && sec.conn_fd != fd && one_in(&w->r, 2))
			sec = pool_pick(w, KM(K_SECTION));
		a->section_fd = one_in(&w->r, 16) ? pick_fd(w, KM_ANY) : sec.fd;
		if (sec.size && !one_in(&w->r, 8)) {
			a->view_offset = rnd64(&w->r) % sec.size;
			a->view_len = 1 + rnd64(&w->r) % (sec.size - a->view_offset);
		} else {
			a->view_offset = PICK(w, 0, 4095, 4096, 0xffffffff);
			a->view_len = PICK(w, 0, 1, 4096, 1 << 20);
			if (one_in(&w->r, 4))
				a->view_offset = ~0ULL - rnd_below(&w->r, 2);
		}
		a->view_flags = pick_flags(w, ALPC_VIEW_READONLY);
	}
	if (type == ALPC_MSG_REQUEST ? one_in(&w->r, 2) : one_in(&w->r, 16)) {
		a->flags |= ALPC_ATTR_REGION;
		a->region_flags = pick_flags(w, ALPC_REGION_READ | ALPC_REGION_WRITE);
		if (!one_in(&w->r, 16)) {
			/*
			 * Inside the lent area only: a receiver writes anywhere
			 * the region reaches.
			 */
			a->region_len = 1 + rnd_below(&w->r, LEND_SIZE);
			a->region_addr = uptr(w->lend) +
					 rnd_below(&w->r, LEND_SIZE - a->region_len + 1);
		} else {
			/*
			 * Where nothing is mapped for the whole length: a guard
			 * page would do for a copy, which stops there, but an
			 * access at an offset lands past it.
			 */
			static const __u64 nowhere[] = {
				0, 1, 0xffff800000000000ULL, ~0ULL - 10,
			};

			a->region_addr = nowhere[rnd_below(&w->r, ARRAY_SIZE(nowhere))];
			a->region_len = PICK(w, 0, 1, 4096, 0x7fffffff);
		}
	}
	if (one_in(&w->r, 3)) {
		a->flags |= ALPC_ATTR_FDS;
		a->nfds = one_in(&w->r, 16) ? PICK(w, 0, 17, 253, 254) : 1 + rnd_below(&w->r, 4);
		for (i = 0; i < a->nfds && i < 64; i++)
			fds[i] = one_in(&w->r, 3) ? pool_pick(w, KM(K_EVENTFD)).fd :
				 pick_fd(w, KM(K_SECTION) | KM(K_OTHER) | KM(K_COMPLETION));
		a->fds = one_in(&w->r, 32) ? bad_ptr(w) : uptr(fds);
	}
	if (one_in(&w->r, 32))
		a->flags |= 1U << rnd_below(&w->r, 32);
	a->reserved0 = (__u32)pick_reserved(w);
	a->reserved1 = (__u32)pick_reserved(w);
	a->reserved2 = (__u32)pick_reserved(w);
	return uptr(a);
}

/* Fills @s for a send on @fd; @type and @ref_id are the caller's pick. */
static void fill_send(struct wctx *w, struct alpc_send *s, int fd, __u32 type, __u64 ref_id)
{
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->ref_id = ref_id;
	s->len = pick_len(w, 256);
	s->buf = in_ptr(w, s->len);
	s->context = rnd64(&w->r);
	s->timeout_ns = pick_timeout(w);
	s->flags = (__u32)pick_reserved(w);
	s->reserved0 = (__u32)pick_reserved(w);
	s->reserved[rnd_below(&w->r, 2)] = pick_reserved(w);
	s->attrs = build_attrs(w, type, fd);
}

/* A message type to send, and what it answers. */
static __u32 pick_send_type(struct wctx *w, __u64 *ref_id)
{
	struct pending e;

	*ref_id = 0;
	switch (rnd_below(&w->r, 10)) {
	case 0 ... 3:
		return ALPC_MSG_REQUEST;
	case 4 ... 6:
		return ALPC_MSG_DATAGRAM;
	case 7 ... 8:
		e = plist_pick(w, &w->p->requests);
		*ref_id = e.id;
		return ALPC_MSG_REPLY;
	default:
		if (one_in(&w->r, 2))
			*ref_id = rnd64(&w->r);
		return PICK(w, 0, 4, 5, 6, 7, 8, 0xffffffff);
	}
}

static void op_send(struct wctx *w)
{
	struct alpc_send *s = w->arg;
	__u64 ref_id;
	__u32 type = pick_send_type(w, &ref_id);
	int fd = pick_fd(w, type == ALPC_MSG_REPLY ? KM_ENDS : KM_COMM);

	fill_send(w, s, fd, type, ref_id);
	if (do_ioctl(w, OP_SEND, fd, ALPC_IOC_SEND, sizeof(*s)))
		return;
	if (!w->arg_moved && type == ALPC_MSG_REQUEST)
		plist_push(w->p, &w->p->sent, (struct pending){ .fd = fd, .id = s->id });
	if (type == ALPC_MSG_REPLY)
		atomic_fetch_add(&sh->replied, 1);
}

static void fill_recv(struct wctx *w, struct alpc_recv *r, unsigned int extra_slot)
{
	memset(r, 0, sizeof(*r));
	r->flags = pick_flags(w, ALPC_RECV_GROUPS | ALPC_RECV_PIDFD | ALPC_RECV_FD_INHERIT);
	r->size = one_in(&w->r, 8) ? pick_len(w, 64) : OUT_SIZE;
	r->buf = r->size > OUT_SIZE ? uptr(w->scr + OUT_OFF) : out_ptr(w, OUT_OFF, r->size);
	r->timeout_ns = pick_timeout(w);
	r->extra = build_extra(w, extra_slot, r->flags);
	r->reserved = pick_reserved(w);
}

static void recv_on(struct wctx *w, int fd, int op)
{
	struct alpc_recv *r = w->arg;

	fill_recv(w, r, 0);
	if (do_ioctl(w, op, fd, ALPC_IOC_RECV, sizeof(*r)) == 0 && !w->arg_moved)
		took_msg(w, fd, &r->info, r->extra == uptr(extra_at(w, 0)) ? extra_at(w, 0) : NULL,
			 r->flags);
}

static void op_recv(struct wctx *w)
{
	recv_on(w, pick_fd(w, KM_ENDS), OP_RECV);
}

static void op_send_wait(struct wctx *w)
{
	struct alpc_send_wait *s = arg_clear(w, sizeof(*s));
	struct alpc_recv_extra *x = extra_at(w, 0);
	int fd = pick_fd(w, KM_COMM), ret;

	s->flags = pick_flags(w, ALPC_RECV_GROUPS | ALPC_RECV_PIDFD | ALPC_RECV_FD_INHERIT);
	s->len = pick_len(w, 256);
	s->buf = in_ptr(w, s->len);
	s->context = rnd64(&w->r);
	s->timeout_ns = pick_timeout(w);
	if (!s->timeout_ns || one_in(&w->r, 2))
		s->timeout_ns = (__s64)(1 + rnd_below(&w->r, 30)) * MS;
	s->reply_size = one_in(&w->r, 8) ? pick_len(w, 64) : OUT_SIZE;
	s->reply_buf = s->reply_size > OUT_SIZE ? uptr(w->scr + OUT_OFF) :
		       out_ptr(w, OUT_OFF, s->reply_size);
	s->extra = build_extra(w, 0, s->flags);
	s->reserved = pick_reserved(w);
	s->reserved0 = (__u32)pick_reserved(w);
	s->attrs = build_attrs(w, ALPC_MSG_REQUEST, fd);
	ret = do_ioctl(w, OP_SEND_WAIT, fd, ALPC_IOC_SEND_WAIT, sizeof(*s));
	if (w->arg_moved)
		return;
	if (!ret)
		took_msg(w, fd, &s->reply, s->extra == uptr(x) ? x : NULL, s->flags);
	else
		note_view(w, &s->reply);	/* a cut reply keeps its view */
}

static void op_reply_recv(struct wctx *w)
{
	struct alpc_reply_recv *rr = w->arg;
	struct pending e = plist_pick(w, &w->p->requests);
	int fd = e.fd >= 0 && !one_in(&w->r, 8) ? e.fd : pick_fd(w, KM_ENDS);

	fill_recv(w, &rr->recv, 0);
	rr->ref_id = one_in(&w->r, 4) ? 0 : e.id;
	rr->flags = (__u32)pick_reserved(w);
	rr->len = pick_len(w, 256);
	rr->buf = in_ptr(w, rr->len);
	rr->context = rnd64(&w->r);
	rr->reply_id = rnd64(&w->r);
	rr->reply_status = (__s32)rnd64(&w->r);
	rr->reserved0 = (__u32)pick_reserved(w);
	rr->attrs = build_attrs(w, ALPC_MSG_REPLY, fd);
	if (do_ioctl(w, OP_REPLY_RECV, fd, ALPC_IOC_REPLY_RECV, sizeof(*rr)) == 0 &&
	    !w->arg_moved) {
		if (rr->ref_id && !rr->reply_status)
			atomic_fetch_add(&sh->replied, 1);
		took_msg(w, fd, &rr->recv.info,
			 rr->recv.extra == uptr(extra_at(w, 0)) ? extra_at(w, 0) : NULL,
			 rr->recv.flags);
	}
}

static void op_cancel(struct wctx *w)
{
	struct alpc_cancel *c = arg_clear(w, sizeof(*c));
	struct pending e = plist_pick(w, &w->p->sent);
	int fd = e.fd >= 0 && !one_in(&w->r, 8) ? e.fd : pick_fd(w, KM_ENDS);

	c->id = e.id;
	c->flags = (__u32)pick_reserved(w);
	c->reserved = (__u32)pick_reserved(w);
	do_ioctl(w, OP_CANCEL, fd, ALPC_IOC_CANCEL, sizeof(*c));
}

static void op_create_section(struct wctx *w)
{
	struct alpc_create_section *c = arg_clear(w, sizeof(*c));
	int fd = pick_fd(w, KM_COMM | (one_in(&w->r, 8) ? KM_ANY : 0)), sfd;

	c->size = PICK(w, 1, 100, 4095, 4096, 4097, 8192, 65536, 262144);
	if (one_in(&w->r, 8))
		c->size = one_in(&w->r, 2) ? PICK(w, 0, (1 << 20) + 1, 0x40000001) :
			  ~0ULL - rnd_below(&w->r, 2);
	c->flags = pick_flags(w, ALPC_FD_INHERIT);
	c->reserved0 = (__u32)pick_reserved(w);
	c->reserved[rnd_below(&w->r, 2)] = pick_reserved(w);
	sfd = do_ioctl(w, OP_CREATE_SECTION, fd, ALPC_IOC_CREATE_SECTION, sizeof(*c));
	if (sfd >= 0)
		pool_add(w, sfd, K_SECTION, w->arg_moved ? 0 : c->size, fd);
}

static void op_access(struct wctx *w)
{
	struct alpc_access *a = arg_clear(w, sizeof(*a));
	struct pending e = plist_pick(w, &w->p->requests);
	int fd = e.fd >= 0 && !one_in(&w->r, 8) ? e.fd : pick_fd(w, KM_ENDS);

	a->id = e.id;
	a->op = one_in(&w->r, 16) ? PICK(w, 0, 3, 0xffffffff) :
		e.flags & ALPC_MSGF_REGION_WRITE && one_in(&w->r, 2) ? ALPC_ACCESS_WRITE :
		ALPC_ACCESS_READ;
	if (e.region_len && !one_in(&w->r, 8)) {
		a->offset = rnd64(&w->r) % e.region_len;
		a->len = rnd64(&w->r) % (e.region_len - a->offset + 1);
	} else {
		a->offset = PICK(w, 0, 1, 4096, 0xffffffff);
		a->len = PICK(w, 0, 1, 4096, 65536, 65537);
		if (one_in(&w->r, 4))
			a->offset = ~0ULL;
	}
	if (a->len > OUT_SIZE)
		a->len = OUT_SIZE;
	a->buf = a->op == ALPC_ACCESS_WRITE ? in_ptr(w, a->len) : out_ptr(w, OUT_OFF, a->len);
	a->reserved = (__u32)pick_reserved(w);
	if (do_ioctl(w, OP_ACCESS, fd, ALPC_IOC_ACCESS, sizeof(*a)) == 0)
		atomic_fetch_add(&sh->accessed, 1);
}

static void op_batch(struct wctx *w)
{
	struct alpc_batch *b = arg_clear(w, sizeof(*b));
	struct alpc_batch_op *ops = (void *)(w->scr + BOPS_OFF);
	int fd = pick_fd(w, KM_ENDS);
	__u32 i, n, type, valid;
	__u64 ref_id;
	void *arg;

	n = 1 + rnd_below(&w->r, BATCH_MAX_OPS);
	valid = n;
	if (one_in(&w->r, 16)) {
		n = PICK(w, 0, ALPC_BATCH_MAX, ALPC_BATCH_MAX + 1);
		valid = n > BATCH_MAX_OPS ? BATCH_MAX_OPS : n;
	}
	memset(ops, 0, (n > ALPC_BATCH_MAX ? ALPC_BATCH_MAX + 1 : n) * sizeof(*ops));
	for (i = 0; i < valid; i++) {
		arg = w->scr + BARGS_OFF + i * BARG_SIZE;
		switch (rnd_below(&w->r, 10)) {
		case 0 ... 4:
			ops[i].op = ALPC_OP_SEND;
			type = pick_send_type(w, &ref_id);
			fill_send(w, arg, fd, type, ref_id);
			/* Attributes share one scratch slot: only the last op keeps them. */
			if (i + 1 < valid)
				((struct alpc_send *)arg)->attrs = 0;
			break;
		case 5 ... 7:
			ops[i].op = ALPC_OP_RECV;
			fill_recv(w, arg, 1 + i);
			break;
		case 8:
			ops[i].op = ALPC_OP_CANCEL;
			memset(arg, 0, sizeof(struct alpc_cancel));
			((struct alpc_cancel *)arg)->id = plist_pick(w, &w->p->sent).id;
			break;
		default:
			ops[i].op = PICK(w, 0, 4, 0xffffffff);
			break;
		}
		ops[i].result = (__s32)rnd64(&w->r);
		ops[i].arg = one_in(&w->r, 32) ? bad_ptr(w) : uptr(arg);
	}
	/* Ops past the valid ones (a count of 256 or 257): all receives that find nothing. */
	for (; i < n && i <= ALPC_BATCH_MAX; i++) {
		ops[i].op = ALPC_OP_CANCEL;
		ops[i].arg = uptr(w->scr + BARGS_OFF);
	}
	b->ops = one_in(&w->r, 32) ? bad_ptr(w) : uptr(ops);
	b->count = n;
	b->flags = (__u32)pick_reserved(w);
	b->reserved = (__u32)pick_reserved(w);
	b->done = (__u32)rnd64(&w->r);
	if (do_ioctl(w, OP_BATCH, fd, ALPC_IOC_BATCH, sizeof(*b)) || w->arg_moved ||
	    b->ops != uptr(ops))
		return;
	for (i = 0; i < valid; i++) {
		int err = ops[i].result < 0 ? -ops[i].result : 0;

		arg = w->scr + BARGS_OFF + i * BARG_SIZE;
		switch (ops[i].op) {
		case ALPC_OP_SEND:
			rec(OP_BATCH_SEND, err);
			if (!err && ((struct alpc_send *)arg)->type == ALPC_MSG_REQUEST)
				plist_push(w->p, &w->p->sent,
					   (struct pending){ .fd = fd,
							     .id = ((struct alpc_send *)arg)->id });
			break;
		case ALPC_OP_RECV:
			rec(OP_BATCH_RECV, err);
			if (!err && ops[i].arg == uptr(arg)) {
				struct alpc_recv *r = arg;

				took_msg(w, fd, &r->info,
					 r->extra == uptr(extra_at(w, 1 + i)) ?
					 extra_at(w, 1 + i) : NULL, r->flags);
			}
			break;
		case ALPC_OP_CANCEL:
			rec(OP_BATCH_CANCEL, err);
			break;
		}
	}
}

/*
 * Datagrams of SEND_DGRAMS built here carry their own check: the first 8
 * payload bytes are the context XOR DG_STAMP, the rest follow from the
 * context. A receiver that finds the stamp checks the rest; payloads
 * without it (anybody else's, in all likelihood) go unchecked.
 */
#define DG_STAMP	0x5d6e3a9c1b2f4e71ULL

static unsigned char dg_byte(__u64 ctx, __u32 k)
{
	return (unsigned char)(ctx >> ((k & 7) * 8)) ^ (unsigned char)k;
}

/* Fills the payload of a datagram of context @ctx; @stamp: checkably. */
static void dg_fill(unsigned char *p, __u32 len, __u64 ctx, bool stamp)
{
	__u64 s = stamp ? ctx ^ DG_STAMP : ~(ctx ^ DG_STAMP);
	__u32 k;

	memcpy(p, &s, len < 8 ? len : 8);
	for (k = 8; k < len; k++)
		p[k] = dg_byte(ctx, k);
}

/* Whether a received payload is whole, if it carries the stamp. */
static bool dg_intact(const unsigned char *p, __u32 len, __u64 ctx)
{
	__u64 s;
	__u32 k;

	if (len < 8)
		return true;
	memcpy(&s, p, 8);
	if (s != (ctx ^ DG_STAMP))
		return true;
	atomic_fetch_add_explicit(&sh->dgrams_checked, 1, memory_order_relaxed);
	for (k = 8; k < len; k++)
		if (p[k] != dg_byte(ctx, k))
			return false;
	return true;
}

/* A SEND_DGRAMS or RECV_DGRAMS result that contradicts itself; the first is shown. */
static void dg_bad(const char *what, __u64 a, __u64 b)
{
	if (!atomic_fetch_add(&sh->dgrams_bad, 1))
		printf("# datagrams: %s (%llu, %llu)\n", what, (unsigned long long)a,
		       (unsigned long long)b);
}

/* What build_dgrams() made: the offset of each datagram, and of the end. */
struct dg_build {
	__u32 count;
	__u32 off[ALPC_BATCH_MAX + 1];
};

/* A datagram length on a port whose max_msg_len is @limit: mostly small, now and then it. */
static __u32 pick_dgram_len(struct wctx *w, __u32 limit)
{
	switch (rnd_below(&w->r, 16)) {
	case 0 ... 3:
		return 0;
	case 4:
		return limit;
	case 5:
		return rnd_below(&w->r, limit + 1);
	case 6:
		return rnd_below(&w->r, (limit < 512 ? limit : 512) + 1);
	default:
		return 1 + rnd_below(&w->r, limit < 64 ? limit : 64);
	}
}

/*
 * Up to @want well-formed datagrams of at most @limit bytes at @buf, as
 * many as fit in @room; their payloads stamped if @stamp.
 */
static void build_dgrams(struct wctx *w, unsigned char *buf, __u32 room, __u32 limit,
			 __u32 want, bool stamp, struct dg_build *b)
{
	struct alpc_dgram *h;
	__u32 i, len, off = 0;

	for (i = 0; i < want; i++) {
		len = pick_dgram_len(w, limit);
		if (ALPC_DGRAM_SIZE(len) > room - off)
			break;
		h = (struct alpc_dgram *)(buf + off);
		memset(h, 0, sizeof(*h));
		h->context = rnd64(&w->r);
		h->len = len;
		dg_fill((unsigned char *)(h + 1), len, h->context, stamp);
		b->off[i] = off;
		off += ALPC_DGRAM_SIZE(len);
	}
	b->count = i;
	b->off[i] = off;
}

/*
 * An address in one of the tracked mappings, which other threads unmap,
 * mprotect and mremap under the call (0 if there is none); *@avail, the
 * bytes from there to the mapping's end. The @len bytes at @src are
 * copied there first, as many as fit, if the mapping is readable and
 * writable and not a ring.
 */
static __u64 map_buf(struct wctx *w, const void *src, unsigned long len, unsigned long *avail)
{
	struct proc *p = w->p;
	struct mapping *m;
	unsigned long addr;
	int i = maps_pick_locked(w);

	*avail = 0;
	if (i < 0)
		return 0;
	m = &p->maps[i];
	addr = m->addr + (one_in(&w->r, 2) ? 0 : (rnd64(&w->r) % m->len) & ~7UL);
	*avail = m->addr + m->len - addr;
	if (src && m->kind != M_RING &&
	    (m->prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE))
		memcpy((void *)addr, src, len < *avail ? len : *avail);
	pthread_mutex_unlock(&p->map_lock);
	return addr;
}

/*
 * Makes the SEND_DGRAMS call @d, for the datagrams @b at @buf, one the
 * kernel must refuse (nothing queued), or one that is odd but valid.
 */
static void spoil_dgrams(struct wctx *w, struct alpc_dgrams *d, unsigned char *buf,
			 const struct dg_build *b, __u32 limit)
{
	struct alpc_dgram *h;

	switch (rnd_below(&w->r, 16)) {
	case 0:		/* cut short: the last datagram runs past @size */
		d->size -= 1 + rnd_below(&w->r, d->size < 40 ? d->size : 40);
		break;
	case 1:		/* room to spare after the last */
		d->size += 8 * (1 + rnd_below(&w->r, 16));
		break;
	case 2:		/* one more than there is: an empty one after the last, or garbage */
		h = (struct alpc_dgram *)(buf + d->size);
		memset(h, 0, sizeof(*h));
		if (one_in(&w->r, 2)) {
			h->id = rnd64(&w->r);
			h->len = (__u32)rnd64(&w->r);
		}
		d->count++;
		if (one_in(&w->r, 2))
			d->size += sizeof(*h) + 8 * rnd_below(&w->r, 4);
		break;
	case 3:
		d->count = PICK(w, 0, ALPC_BATCH_MAX + 1, 0xffffffff);
		break;
	case 4:		/* more than @count datagrams of the limit take, or nothing */
		d->size = one_in(&w->r, 2) ? PICK(w, 0, 31, 0xffffffff) :
			  d->count * ALPC_DGRAM_SIZE(limit) + 1;
		break;
	case 5:		/* a header to refuse */
		h = (struct alpc_dgram *)(buf + b->off[rnd_below(&w->r, b->count)]);
		switch (rnd_below(&w->r, 5)) {
		case 0:
			h->id = rnd64(&w->r) | 1;
			break;
		case 1:
			h->port_context = rnd64(&w->r) | 1;
			break;
		case 2:
			h->flags = 1U << rnd_below(&w->r, 32);
			break;
		case 3:
			h->len = one_in(&w->r, 2) ? limit + 1 : PICK(w, 0x7fffffff, 0xffffffff);
			break;
		default:	/* runs one byte past @size */
			h->len = d->size - ((unsigned char *)(h + 1) - buf) + 1;
			break;
		}
		break;
	case 6:
		d->flags = 1U << rnd_below(&w->r, 32);
		break;
	case 7:
		d->reserved = 1U << rnd_below(&w->r, 32);
		break;
	}
}

/*
 * SEND_DGRAMS on @fd, whose port's max_msg_len is @limit (0: not known,
 * guessed). @sane: a well-formed call of 1 to 32 datagrams (now and then
 * up to ALPC_BATCH_MAX) of 0 to @limit bytes. Otherwise, now and then, a
 * count, size, header, flag or reserved field to refuse, or a buffer
 * that is not there, read-only, runs into a guard page, or lies in a
 * mapping other threads pull away. Returns the datagrams queued.
 */
static __u32 send_dgrams_on(struct wctx *w, int fd, __u32 limit, bool sane)
{
	unsigned char *buf = w->scr + DG_OFF;
	unsigned int where = sane ? 0 : rnd_below(&w->r, 24);
	struct alpc_dgrams *d;
	unsigned long avail;
	struct dg_build b;
	__u32 want;

	if (!limit)
		limit = PICK(w, 64, 256, 256, 4096, 65536);
	want = 1 + rnd_below(&w->r, one_in(&w->r, 8) ? ALPC_BATCH_MAX : 32);
	if (one_in(&w->r, 32))
		want = ALPC_BATCH_MAX;
	/* Not stamped where other threads may change it before the kernel reads it. */
	build_dgrams(w, buf, DG_ROOM - PAGE, limit, want, where != 4, &b);
	d = arg_clear(w, sizeof(*d));
	d->buf = uptr(buf);
	d->count = b.count;
	d->size = b.off[b.count];
	d->timeout_ns = one_in(&w->r, 2) ? 0 : (__s64)(1 + rnd_below(&w->r, 10)) * MS;
	d->done = (__u32)rnd64(&w->r);
	d->bytes = (__u32)rnd64(&w->r);
	d->first_id = rnd64(&w->r);
	if (!sane) {
		d->timeout_ns = pick_timeout(w);
		spoil_dgrams(w, d, buf, &b, limit);
	}
	switch (where) {
	case 1:
		d->buf = bad_ptr(w);
		break;
	case 2:		/* whatever the read-only page holds: an earlier call's structure, zeros */
		d->buf = uptr(w->ro);
		break;
	case 3:		/* runs into the guard page */
		if (d->size > DG_ROOM) {
			d->buf = uptr(w->scr + SCR_SIZE);
			break;
		}
		memmove(w->scr + SCR_SIZE - d->size / 2, buf, d->size / 2);
		d->buf = uptr(w->scr + SCR_SIZE - d->size / 2);
		break;
	case 4:
		d->buf = map_buf(w, buf, d->size, &avail) ?: bad_ptr(w);
		break;
	}
	if (do_ioctl(w, OP_SEND_DGRAMS, fd, ALPC_IOC_SEND_DGRAMS, sizeof(*d)) || w->arg_moved)
		return 0;
	/* All or none, and the buffer is exactly the datagrams. */
	if (d->done != d->count || d->bytes != d->size || !d->first_id) {
		dg_bad("SEND_DGRAMS done, bytes", d->done, d->bytes);
		return 0;
	}
	atomic_fetch_add(&sh->dgrams_sent, d->done);
	return d->done;
}

/* Checks what RECV_DGRAMS wrote at @buf against what @d says; counts what came. */
static void took_dgrams(const struct alpc_dgrams *d, const unsigned char *buf)
{
	const struct alpc_dgram *h;
	__u32 i, off = 0;

	if (!d->done || d->done > d->count || d->bytes > d->size) {
		dg_bad("RECV_DGRAMS done, bytes", d->done, d->bytes);
		return;
	}
	for (i = 0; i < d->done; i++) {
		h = (const struct alpc_dgram *)(buf + off);
		if (d->bytes - off < sizeof(*h) || !h->id || h->len > ALPC_MSG_LIMIT ||
		    h->flags & ~ALPC_MSGF_CRED_CHANGED ||
		    d->bytes - off < ALPC_DGRAM_SIZE(h->len) || (!i && h->id != d->first_id)) {
			dg_bad("RECV_DGRAMS header, at", i, off);
			return;
		}
		if (!dg_intact((const unsigned char *)(h + 1), h->len, h->context)) {
			dg_bad("RECV_DGRAMS payload changed, id", h->id, h->len);
			return;
		}
		if (h->flags & ALPC_MSGF_CRED_CHANGED)
			atomic_fetch_add(&sh->received_flags[MF_CRED], 1);
		off += ALPC_DGRAM_SIZE(h->len);
	}
	if (off != d->bytes)
		dg_bad("RECV_DGRAMS bytes, datagrams' size", d->bytes, off);
	atomic_fetch_add(&sh->received[ALPC_MSG_DATAGRAM], d->done);
	atomic_fetch_add(&sh->dgrams_taken, d->done);
}

/*
 * RECV_DGRAMS on @fd, a connection or communication port: @sane, room
 * for what comes, 1 to 32 datagrams (now and then up to ALPC_BATCH_MAX),
 * a timeout of 0 or a few ms. Otherwise, now and then, room for less
 * than a header or a datagram, room that runs into a guard page (the
 * datagrams that do not fit go back), a bad count, flag or reserved
 * field, a buffer that is not there, read-only or in a mapping.
 */
static void recv_dgrams_on(struct wctx *w, int fd, bool sane)
{
	struct alpc_dgrams *d = arg_clear(w, sizeof(*d));
	unsigned char *buf = w->scr + DG_OFF;
	unsigned long avail;

	d->buf = uptr(buf);
	d->size = DG_ROOM;
	d->count = 1 + rnd_below(&w->r, one_in(&w->r, 4) ? ALPC_BATCH_MAX : 32);
	d->timeout_ns = one_in(&w->r, 2) ? 0 : (__s64)(1 + rnd_below(&w->r, 10)) * MS;
	d->done = (__u32)rnd64(&w->r);
	d->bytes = (__u32)rnd64(&w->r);
	d->first_id = rnd64(&w->r);
	if (!sane) {
		if (one_in(&w->r, 16))
			d->count = PICK(w, 0, ALPC_BATCH_MAX, ALPC_BATCH_MAX + 1, 0xffffffff);
		if (one_in(&w->r, 16))
			d->timeout_ns = pick_timeout(w);
		d->flags = (__u32)pick_reserved(w);
		d->reserved = (__u32)pick_reserved(w);
		switch (rnd_below(&w->r, 10)) {
		case 0:		/* room for a header, or not even that */
			d->size = PICK(w, 0, 1, 31, 32, 33, 39, 40, 64);
			break;
		case 1:
			d->size = rnd_below(&w->r, 1024);
			break;
		case 2:		/* more than there is: a copy may run into the guard page */
			d->size = PICK(w, DG_ROOM + 1, 0x7fffffff, 0xffffffff);
			break;
		case 3:		/* the guard page a few datagrams in */
			d->buf = uptr(w->scr + SCR_SIZE - 8 * (4 + rnd_below(&w->r, 64)));
			break;
		case 4:
			d->buf = map_buf(w, NULL, 0, &avail);
			d->size = d->buf ? (__u32)avail : DG_ROOM;
			if (!d->buf)
				d->buf = bad_ptr(w);
			break;
		default:
			d->buf = out_ptr(w, DG_OFF, d->size);
			break;
		}
	}
	if (do_ioctl(w, OP_RECV_DGRAMS, fd, ALPC_IOC_RECV_DGRAMS, sizeof(*d))) {
		/* The oldest does not fit: @bytes is the room it needs. */
		if (errno == EMSGSIZE && !w->arg_moved && (d->done || d->bytes <= d->size))
			dg_bad("RECV_DGRAMS EMSGSIZE done, bytes", d->done, d->bytes);
		return;
	}
	if (!w->arg_moved && d->buf == uptr(buf))
		took_dgrams(d, buf);
}

static void op_send_dgrams(struct wctx *w)
{
	struct obj o = pool_pick(w, KM_COMM);
	int fd = o.fd < 0 || one_in(&w->r, 8) ? pick_fd(w, KM_ENDS) : o.fd;

	send_dgrams_on(w, fd, fd == o.fd ? o.max_msg : 0, one_in(&w->r, 2));
}

static void op_recv_dgrams(struct wctx *w)
{
	recv_dgrams_on(w, pick_fd(w, KM_ENDS), one_in(&w->r, 2));
}

static void op_create_completion(struct wctx *w)
{
	struct alpc_create_completion *c = arg_clear(w, sizeof(*c));
	int efd = -1, fd;

	if (one_in(&w->r, 4)) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		c->eventfd = efd;
	} else {
		c->eventfd = pick_fd(w, KM(K_EVENTFD));
	}
	c->ring_entries = PICK(w, 0, 0, 1, 2, 8, 64, 1024, 3, ALPC_RING_MAX + 1);
	if (one_in(&w->r, 64))
		c->ring_entries = ALPC_RING_MAX;
	c->flags = pick_flags(w, ALPC_FD_INHERIT);
	c->reserved = (__u32)pick_reserved(w);
	c->reserved2[rnd_below(&w->r, 2)] = pick_reserved(w);
	fd = do_ioctl(w, OP_CREATE_COMPLETION, pick_fd(w, KM(K_DEV)),
		      ALPC_IOC_CREATE_COMPLETION, sizeof(*c));
	if (efd >= 0)
		pool_add(w, efd, K_EVENTFD, 0, -1);
	pool_add(w, fd, K_COMPLETION, w->arg_moved ? 0 : c->ring_entries, -1);
}

static void op_associate(struct wctx *w)
{
	struct alpc_associate *a = arg_clear(w, sizeof(*a));
	int fd = pick_fd(w, KM_ENDS);

	a->completion_fd = one_in(&w->r, 6) ? -1 : pick_fd(w, KM(K_COMPLETION));
	/* The key names the port: a completion says where to receive. */
	a->key = one_in(&w->r, 8) ? rnd64(&w->r) : (__u64)fd;
	a->flags = (__u32)pick_reserved(w);
	a->reserved[rnd_below(&w->r, 2)] = pick_reserved(w);
	do_ioctl(w, OP_ASSOCIATE, fd, ALPC_IOC_ASSOCIATE, sizeof(*a));
}

static void took_completions(struct wctx *w, const struct alpc_completion *c, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		atomic_fetch_add(&sh->completions[c[i].kind == ALPC_COMPLETION_CONNECT], 1);
		/* Receive what it announces, now and then; datagrams maybe by the lot. */
		if (i >= 4 || c[i].key >= 1024 || !one_in(&w->r, 4))
			continue;
		if (c[i].kind == ALPC_MSG_DATAGRAM && one_in(&w->r, 2))
			recv_dgrams_on(w, (int)c[i].key, true);
		else
			recv_on(w, (int)c[i].key, OP_RECV);
	}
}

static void op_dequeue(struct wctx *w)
{
	struct alpc_dequeue *d = arg_clear(w, sizeof(*d));
	struct alpc_completion *out = (void *)(w->scr + OUT_OFF);

	d->max = one_in(&w->r, 8) ? PICK(w, 0, 1024, 1025) : 1 + rnd_below(&w->r, 16);
	d->entries = d->max > 1024 ? uptr(out) : out_ptr(w, OUT_OFF, d->max * sizeof(*out));
	d->timeout_ns = pick_timeout(w);
	d->flags = (__u32)pick_reserved(w);
	d->reserved = (__u32)pick_reserved(w);
	if (do_ioctl(w, OP_DEQUEUE, pick_fd(w, KM(K_COMPLETION)), ALPC_IOC_DEQUEUE,
		     sizeof(*d)) == 0 && !w->arg_moved && d->entries == uptr(out))
		took_completions(w, out, d->count <= d->max ? d->count : d->max);
}

/* An ioctl number alpc does not know, or a known one with the wrong size or direction. */
static void op_unknown_ioctl(struct wctx *w)
{
	static const unsigned long known[] = {
		ALPC_IOC_SEND, ALPC_IOC_RECV, ALPC_IOC_CREATE_PORT, ALPC_IOC_DEQUEUE,
		ALPC_IOC_BATCH, ALPC_IOC_GET_SECURITY, ALPC_IOC_SEND_DGRAMS, ALPC_IOC_RECV_DGRAMS,
	};
	unsigned long cmd, k = known[rnd_below(&w->r, ARRAY_SIZE(known))];

	memset(w->arg, 0, 512);
	switch (rnd_below(&w->r, 4)) {
	case 0:
		cmd = _IOC(_IOC_DIR(k), ALPC_IOC_MAGIC, _IOC_NR(k), _IOC_SIZE(k) + 8);
		break;
	case 1:
		cmd = _IOC(_IOC_DIR(k) ^ _IOC_WRITE, ALPC_IOC_MAGIC, _IOC_NR(k), _IOC_SIZE(k));
		break;
	case 2:
		cmd = _IOC(_IOC_READ | _IOC_WRITE, ALPC_IOC_MAGIC, rnd_below(&w->r, 256),
			   rnd_below(&w->r, 256));
		break;
	default:
		cmd = _IOWR(0xA8, rnd_below(&w->r, 256), __u64);
		break;
	}
	do_ioctl(w, OP_UNKNOWN_IOCTL, pick_fd(w, KM_ANY & ~KM(K_OTHER) & ~KM(K_EVENTFD)), cmd,
		 64);
}

/* A real alpc ioctl on an fd of a kind that does not take it. */
static void op_wrong_fd_ioctl(struct wctx *w)
{
	static const unsigned long cmds[] = {
		ALPC_IOC_GET_FEATURES, ALPC_IOC_CREATE_PORT, ALPC_IOC_CONNECT,
		ALPC_IOC_ACCEPT, ALPC_IOC_SEND, ALPC_IOC_RECV, ALPC_IOC_SEND_WAIT,
		ALPC_IOC_REPLY_RECV, ALPC_IOC_CANCEL, ALPC_IOC_CREATE_SECTION,
		ALPC_IOC_ACCESS, ALPC_IOC_BATCH, ALPC_IOC_CREATE_COMPLETION,
		ALPC_IOC_ASSOCIATE, ALPC_IOC_DEQUEUE, ALPC_IOC_GET_SECURITY,
		ALPC_IOC_SET_SECURITY, ALPC_IOC_SEND_DGRAMS, ALPC_IOC_RECV_DGRAMS,
	};
	unsigned long cmd = cmds[rnd_below(&w->r, ARRAY_SIZE(cmds))];

	memset(w->arg, 0, 512);
	do_ioctl(w, OP_WRONG_FD_IOCTL,
		 pick_fd(w, KM(K_SECTION) | KM(K_COMPLETION) | KM(K_DEV) | KM(K_SERVER)), cmd,
		 _IOC_SIZE(cmd));
}

static void op_mmap_section(struct wctx *w)
{
	struct obj o = pool_pick(w, KM(K_SECTION) | (one_in(&w->r, 16) ? KM_ANY : 0));
	unsigned long pages = o.size ? (o.size + PAGE - 1) / PAGE : 1, len, off;
	int prot, flags;
	void *addr;

	switch (rnd_below(&w->r, 8)) {
	case 0:
		len = (pages + 1) * PAGE;
		off = 0;
		break;
	case 1:
		len = PAGE;
		off = pages * PAGE;
		break;
	case 2:
		len = 0;
		off = 0;
		break;
	default:
		off = rnd_below(&w->r, pages) * PAGE;
		len = (1 + rnd_below(&w->r, pages - off / PAGE)) * PAGE;
	}
	prot = PICK(w, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
		    PROT_READ | PROT_WRITE | PROT_EXEC);
	flags = one_in(&w->r, 16) ? MAP_PRIVATE : MAP_SHARED;
	addr = mmap(NULL, len, prot, flags, o.fd, off);
	rec_ret(w, OP_MMAP_SECTION, addr == MAP_FAILED ? -1 : 0);
	if (addr != MAP_FAILED)
		maps_add(w, (unsigned long)addr, len, prot, M_SECTION);
}

static void op_mmap_ring(struct wctx *w)
{
	struct obj o = pool_pick(w, KM(K_COMPLETION));
	unsigned long len = o.size ? (sizeof(struct alpc_ring) +
				      o.size * sizeof(struct alpc_completion) + PAGE - 1) &
				     ~(PAGE - 1) : PAGE;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	unsigned long off = 0;
	void *addr;

	switch (rnd_below(&w->r, 16)) {
	case 0:
		len += PAGE;
		break;
	case 1:
		off = PAGE;
		break;
	case 2:
		flags = MAP_PRIVATE;
		break;
	case 3:
		prot = PROT_READ;
		break;
	case 4:
		len = PAGE;
		break;
	}
	addr = mmap(NULL, len, prot, flags, o.fd, off);
	rec_ret(w, OP_MMAP_RING, addr == MAP_FAILED ? -1 : 0);
	if (addr != MAP_FAILED)
		maps_add(w, (unsigned long)addr, len, prot, M_RING);
}

static void op_munmap(struct wctx *w)
{
	struct proc *p = w->p;
	struct mapping *m;
	int i = maps_pick_locked(w);

	if (i < 0)
		return;
	m = &p->maps[i];
	if (m->len > PAGE && one_in(&w->r, 3)) {
		/* The first or the last page: the VMA splits, or shrinks. */
		if (one_in(&w->r, 2)) {
			if (!rec_ret(w, OP_MUNMAP, munmap((void *)m->addr, PAGE))) {
				m->addr += PAGE;
				m->len -= PAGE;
			}
		} else if (!rec_ret(w, OP_MUNMAP, munmap((void *)(m->addr + m->len - PAGE),
							   PAGE))) {
			m->len -= PAGE;
		}
	} else {
		rec_ret(w, OP_MUNMAP, munmap((void *)m->addr, m->len));
		m->len = 0;
	}
	pthread_mutex_unlock(&p->map_lock);
}

static void op_mprotect(struct wctx *w)
{
	struct proc *p = w->p;
	struct mapping *m;
	int i = maps_pick_locked(w), prot;

	if (i < 0)
		return;
	m = &p->maps[i];
	prot = PICK(w, PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE, PROT_WRITE);
	/* Only whole mappings: the recorded protection stays true. */
	if (!rec_ret(w, OP_MPROTECT, mprotect((void *)m->addr, m->len, prot)))
		m->prot = prot;
	pthread_mutex_unlock(&p->map_lock);
}

static void op_mremap(struct wctx *w)
{
	struct proc *p = w->p;
	struct mapping *m;
	int i = maps_pick_locked(w);
	void *to, *res;

	if (i < 0)
		return;
	m = &p->maps[i];
	switch (rnd_below(&w->r, 3)) {
	case 0:
		if (m->len <= PAGE)
			break;
		res = mremap((void *)m->addr, m->len, m->len - PAGE, 0);
		if (!rec_ret(w, OP_MREMAP, res == MAP_FAILED ? -1 : 0))
			m->len -= PAGE;
		break;
	case 1:
		res = mremap((void *)m->addr, m->len, m->len + PAGE, MREMAP_MAYMOVE);
		if (!rec_ret(w, OP_MREMAP, res == MAP_FAILED ? -1 : 0)) {
			m->addr = (unsigned long)res;
			m->len += PAGE;
		}
		break;
	default:
		/* Moved onto a reservation of our own: nothing else lives there. */
		to = mmap(NULL, m->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			break;
		res = mremap((void *)m->addr, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (!rec_ret(w, OP_MREMAP, res == MAP_FAILED ? -1 : 0))
			m->addr = (unsigned long)res;
		else
			munmap(to, m->len);
	}
	pthread_mutex_unlock(&p->map_lock);
}

static void op_touch(struct wctx *w)
{
	struct proc *p = w->p;
	struct mapping *m;
	int i = maps_pick_locked(w);
	unsigned char *b;
	unsigned long off;

	if (i < 0)
		return;
	m = &p->maps[i];
	off = rnd64(&w->r) % m->len;
	b = (unsigned char *)m->addr;
	if (m->prot & PROT_WRITE && m->prot & PROT_READ &&
	    (m->kind != M_RING || one_in(&w->r, 8))) {
		__atomic_fetch_add(&b[off], 1, __ATOMIC_RELAXED);
		rec(OP_TOUCH, 0);
	} else if (m->prot & PROT_READ) {
		__atomic_load_n(&b[off], __ATOMIC_RELAXED);
		rec(OP_TOUCH, 0);
	}
	pthread_mutex_unlock(&p->map_lock);
}

/* Reaps a mapped completion ring as a user would, or scribbles on its head. */
static void op_reap_ring(struct wctx *w)
{
	struct proc *p = w->p;
	struct alpc_completion *e;
	struct alpc_ring *ring;
	struct mapping *m;
	__u32 head, tail, room, n = 0;
	int i = maps_pick_locked(w);

	if (i < 0)
		return;
	m = &p->maps[i];
	if (m->kind != M_RING || !(m->prot & PROT_READ) || m->len < sizeof(*ring)) {
		pthread_mutex_unlock(&p->map_lock);
		return;
	}
	ring = (struct alpc_ring *)m->addr;
	e = (struct alpc_completion *)(ring + 1);
	room = (m->len - sizeof(*ring)) / sizeof(*e);
	tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	while (head != tail && n < 64) {
		__u32 slot = head & ring->mask;

		if (slot < room)
			atomic_fetch_add(&sh->completions[e[slot].kind == ALPC_COMPLETION_CONNECT],
					 1);
		head++;
		n++;
	}
	if (m->prot & PROT_WRITE) {
		if (one_in(&w->r, 32))
			head = (__u32)rnd64(&w->r);
		__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
	}
	atomic_fetch_add(&sh->ring_reaped, n);
	rec(OP_REAP_RING, 0);
	pthread_mutex_unlock(&p->map_lock);
}

static void op_poll(struct wctx *w)
{
	struct pollfd pfd[4];
	int i;

	for (i = 0; i < 4; i++) {
		pfd[i].fd = pick_fd(w, KM_ANY);
		pfd[i].events = POLLIN | POLLOUT;
	}
	rec_ret(w, OP_POLL, poll(pfd, 4, rnd_below(&w->r, 3)));
}

static void op_close(struct wctx *w)
{
	int fd = pool_take(w, KM_ANY);

	if (fd >= 0)
		rec_ret(w, OP_CLOSE, close(fd));
}

/* dup2() one pool fd over another, under the feet of threads using it. */
static void op_dup2(struct wctx *w)
{
	struct proc *p = w->p;
	unsigned int a = rnd_below(&w->r, POOL_MAX);
	unsigned int b = POOL_FIXED + rnd_below(&w->r, POOL_MAX - POOL_FIXED);

	pool_lock(p);
	if (a != b && p->pool[a].kind != K_NONE && p->pool[b].kind != K_NONE &&
	    p->pool[a].fd != p->pool[b].fd) {
		if (!rec_ret(w, OP_DUP2, dup2(p->pool[a].fd, p->pool[b].fd))) {
			int fd = p->pool[b].fd;

			p->pool[b] = p->pool[a];
			p->pool[b].fd = fd;
		}
	}
	pool_unlock(p);
}

/* New plain fds: eventfds, /dev/null, a UNIX socket, another device fd. */
static void op_new_fd(struct wctx *w)
{
	int sv[2];

	switch (rnd_below(&w->r, 5)) {
	case 0:
	case 1:
		pool_add(w, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), K_EVENTFD, 0, -1);
		break;
	case 2:
		pool_add(w, open("/dev/null", O_RDWR | O_CLOEXEC), K_OTHER, 0, -1);
		break;
	case 3:
		if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			pool_add(w, sv[0], K_OTHER, 0, -1);
			close(sv[1]);
		}
		break;
	default:
		pool_add(w, alpc_open(), K_DEV, 0, -1);
	}
}

static int create_completion(int dev, int efd)
{
	struct alpc_create_completion c = { .eventfd = efd, .ring_entries = 64 };

	return ioctl(dev, ALPC_IOC_CREATE_COMPLETION, &c);
}

/*
 * A connected pair in one go: a port of a shared name, an asynchronous
 * connect to it, its connection request received and accepted. Gives
 * the other operations live connections to work on.
 */
static void op_pair(struct wctx *w)
{
	int dev = pool_pick(w, KM(K_DEV)).fd, port, cp, efd, client, comm = -1;
	struct alpc_associate *a;
	bool ours = false;
	__u64 token;
	struct alpc_connect *c;
	struct alpc_port_attr attr;
	char name[ALPC_NAME_MAX];
	struct alpc_recv *r;
	__u32 max_msg = 0;
	struct obj o;

	o = pool_pick(w, KM(K_PORT));
	if (o.fd >= 0 && o.size && one_in(&w->r, 2)) {
		port = o.fd;
		max_msg = o.max_msg;
		snprintf(name, sizeof(name), "fz%d-%u", sh->run, (unsigned int)o.size - 1);
	} else {
		unsigned int k = rnd_below(&w->r, NAMES);

		snprintf(name, sizeof(name), "fz%d-%u", sh->run, k);
		/* Sections, fds and direct access allowed, small limits. */
		memset(&attr, 0, sizeof(attr));
		attr.flags = PICK(w, 0, ALPC_PORT_DIRECT_ACCESS, ALPC_PORT_ALLOW_FDS,
				  ALPC_PORT_DIRECT_ACCESS | ALPC_PORT_ALLOW_FDS,
				  ALPC_PORT_DIRECT_ACCESS | ALPC_PORT_ALLOW_FDS);
		attr.max_fds = attr.flags & ALPC_PORT_ALLOW_FDS ? 16 : 0;
		attr.max_msg_len = PICK(w, 256, 4096, 65536);
		attr.max_queued_bytes = 1 << 20;
		attr.max_section_size = 1 << 20;
		attr.max_section_bytes = 4 << 20;
		port = rec_ret(w, OP_CREATE_PORT, alpc_create_port(dev, name, &attr, 0));
		/* Taken: connect to whoever has it; they serve it. */
		if (port >= 0)
			max_msg = attr.max_msg_len;
		pool_add_lim(w, port, K_PORT, k + 1, -1, max_msg);
	}
	cp = pool_pick(w, KM(K_COMPLETION)).fd;
	if (cp < 0 || one_in(&w->r, 8)) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		cp = rec_ret(w, OP_CREATE_COMPLETION, create_completion(dev, efd));
		pool_add(w, efd, K_EVENTFD, 0, -1);
		pool_add(w, cp, K_COMPLETION, 64, -1);
	}
	c = arg_clear(w, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->flags = ALPC_CONNECT_ASYNC;
	c->timeout_ns = -1;
	c->completion_fd = cp;
	/* The connection data tells our request from others on the port. */
	token = rnd64(&w->r);
	c->buf = uptr(&token);
	c->len = sizeof(token);
	client = rec_ret(w, OP_CONNECT_ASYNC, ioctl(dev, ALPC_IOC_CONNECT, c));
	if (client < 0)
		return;
	/* Its completion names it by its fd, which only now exists. */
	a = arg_clear(w, sizeof(*a));
	a->completion_fd = cp;
	a->key = client;
	rec_ret(w, OP_ASSOCIATE, ioctl(client, ALPC_IOC_ASSOCIATE, a));
	if (port < 0) {
		pool_add(w, client, K_CLIENT, 0, -1);
		return;
	}
	/* Our request, or another one waiting: accept whatever comes first. */
	r = arg_clear(w, sizeof(*r));
	r->buf = uptr(w->scr + OUT_OFF);
	r->size = OUT_SIZE;
	r->timeout_ns = 5 * MS;
	if (!rec_ret(w, OP_RECV, ioctl(port, ALPC_IOC_RECV, r))) {
		took_msg(w, port, &r->info, NULL, 0);
		ours = r->info.len == sizeof(token) &&
		       !memcmp(w->scr + OUT_OFF, &token, sizeof(token));
		if (ours && one_in(&w->r, 8)) {
			/* Left unanswered, for its client to cancel. */
			struct pending e = { .fd = client, .id = r->info.id };

			plist_push(w->p, &w->p->sent, e);
			ours = false;
		} else if (r->info.type == ALPC_MSG_CONNECTION_REQUEST) {
			comm = accept_one(w, port, r->info.id, true);
		}
	}
	/* A client whose server end we hold: round trips can run on it. */
	pool_add_lim(w, client, K_CLIENT, 0, ours && comm >= 0 ? (comm > 0 ? comm : port) : -1,
		     ours ? max_msg : 0);
}

/* Receives on @fd until a message of @type comes (at most @tries messages). */
static bool recv_until(struct wctx *w, int fd, __u32 type, unsigned int tries, __s64 timeout,
		       struct alpc_msg_info *info)
{
	struct alpc_recv *r = w->arg;

	while (tries--) {
		memset(r, 0, sizeof(*r));
		r->buf = uptr(w->scr + OUT_OFF);
		r->size = OUT_SIZE;
		r->timeout_ns = timeout;
		if (one_in(&w->r, 2)) {
			r->flags = one_in(&w->r, 2) ? ALPC_RECV_PIDFD | ALPC_RECV_GROUPS : 0;
			r->extra = build_extra(w, 0, r->flags);
		}
		if (rec_ret(w, OP_RECV, ioctl(fd, ALPC_IOC_RECV, r)))
			return false;
		took_msg(w, fd, &r->info,
			 r->extra == uptr(extra_at(w, 0)) ? extra_at(w, 0) : NULL, r->flags);
		if (r->info.type == type) {
			*info = r->info;
			return true;
		}
	}
	return false;
}

/* A section of @size on @fd, filled through a mapping; in the pool. */
static int new_section(struct wctx *w, int fd, __u64 size)
{
	struct alpc_create_section c = { .size = size };
	void *m;
	int sfd;

	sfd = rec_ret(w, OP_CREATE_SECTION, ioctl(fd, ALPC_IOC_CREATE_SECTION, &c));
	if (sfd < 0)
		return -1;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (!rec_ret(w, OP_MMAP_SECTION, m == MAP_FAILED ? -1 : 0)) {
		memset(m, 0x5a, size);
		if (one_in(&w->r, 2))
			munmap(m, size);
		else
			maps_add(w, (unsigned long)m, (size + PAGE - 1) & ~(PAGE - 1),
				 PROT_READ | PROT_WRITE, M_SECTION);
	}
	pool_add(w, sfd, K_SECTION, size, fd);
	return sfd;
}

/*
 * A whole request on a connection whose both ends we hold: sent with a
 * view, a region and fds (each now and then), received, its region read
 * and written, answered (with a view of its own now and then), and the
 * reply received. Mostly valid; the other operations break things.
 */
static void op_roundtrip(struct wctx *w)
{
	struct alpc_msg_attrs *a = (void *)(w->scr + ATTRS_OFF);
	__s32 *fds = (__s32 *)(a + 1);
	struct alpc_msg_info info;
	struct alpc_access *acc;
	struct alpc_send *s;
	struct obj o;
	int client, server, sec = -1;
	__u64 size;

	o = pool_pick(w, KM(K_CLIENT));
	if (o.fd < 0 || o.conn_fd < 0) {
		op_pair(w);
		return;
	}
	client = o.fd;
	server = o.conn_fd;
	size = PICK(w, 1, 4096, 5000, 65536);
	memset(a, 0, sizeof(*a) + 4 * sizeof(*fds));
	if (one_in(&w->r, 2)) {
		sec = new_section(w, client, size);
		if (sec >= 0) {
			a->flags |= ALPC_ATTR_VIEW;
			a->section_fd = sec;
			a->view_offset = rnd64(&w->r) % size;
			a->view_len = 1 + rnd64(&w->r) % (size - a->view_offset);
			a->view_flags = one_in(&w->r, 3) ? ALPC_VIEW_READONLY : 0;
		}
	}
	if (one_in(&w->r, 2)) {
		a->flags |= ALPC_ATTR_REGION;
		a->region_flags = 1 + rnd_below(&w->r, 3);
		a->region_len = 1 + rnd_below(&w->r, LEND_SIZE);
		a->region_addr = uptr(w->lend);
	}
	if (one_in(&w->r, 4)) {
		a->flags |= ALPC_ATTR_FDS;
		a->nfds = 1 + rnd_below(&w->r, 3);
		fds[0] = pool_pick(w, KM(K_EVENTFD)).fd;
		fds[1] = pool_pick(w, KM(K_SECTION)).fd;
		fds[2] = w->p->self_pidfd;
		a->fds = uptr(fds);
	}
	s = arg_clear(w, sizeof(*s));
	s->type = ALPC_MSG_REQUEST;
	s->len = rnd_below(&w->r, 200);
	s->buf = uptr(w->scr + IN_OFF);
	s->attrs = a->flags ? uptr(a) : 0;
	if (rec_ret(w, OP_SEND, ioctl(client, ALPC_IOC_SEND, s)))
		return;
	if (!recv_until(w, server, ALPC_MSG_REQUEST, 4, 10 * MS, &info))
		return;
	if (info.region_len) {
		acc = arg_clear(w, sizeof(*acc));
		acc->id = info.id;
		acc->op = info.flags & ALPC_MSGF_REGION_WRITE && one_in(&w->r, 2) ?
			  ALPC_ACCESS_WRITE : ALPC_ACCESS_READ;
		acc->offset = rnd64(&w->r) % info.region_len;
		acc->len = rnd64(&w->r) % (info.region_len - acc->offset + 1);
		acc->buf = uptr(w->scr + (acc->op == ALPC_ACCESS_WRITE ? IN_OFF : OUT_OFF));
		if (!rec_ret(w, OP_ACCESS, ioctl(server, ALPC_IOC_ACCESS, acc)))
			atomic_fetch_add(&sh->accessed, 1);
	}
	s = arg_clear(w, sizeof(*s));
	s->type = ALPC_MSG_REPLY;
	s->ref_id = info.id;
	s->len = rnd_below(&w->r, 200);
	s->buf = uptr(w->scr + IN_OFF);
	if (sec >= 0 && one_in(&w->r, 2)) {
		/* A view of the same connection's section goes back the other way. */
		a->flags = ALPC_ATTR_VIEW;
		a->nfds = 0;
		a->fds = 0;
		a->region_addr = 0;
		a->region_len = 0;
		a->region_flags = 0;
		s->attrs = uptr(a);
	}
	if (!rec_ret(w, OP_SEND, ioctl(server, ALPC_IOC_SEND, s)))
		atomic_fetch_add(&sh->replied, 1);
	/* The reply may come after others' messages, or not at all: it was canceled. */
	recv_until(w, client, ALPC_MSG_REPLY, 4, 10 * MS, &info);
}

/*
 * Datagrams over a connection whose both ends we hold: a well-formed
 * SEND_DGRAMS from the client (now and then from the server's end, where
 * a connection port refuses it), taken by RECV_DGRAMS at the other end:
 * the connection port when the server took no communication port.
 */
static void op_dgrams(struct wctx *w)
{
	struct obj o = pool_pick(w, KM(K_CLIENT));
	int from, to;

	if (o.fd < 0 || o.conn_fd < 0) {
		op_pair(w);
		return;
	}
	from = o.fd;
	to = o.conn_fd;
	if (one_in(&w->r, 4)) {
		from = o.conn_fd;
		to = o.fd;
	}
	if (!send_dgrams_on(w, from, o.max_msg, true) && one_in(&w->r, 2))
		return;
	recv_dgrams_on(w, to, !one_in(&w->r, 4));
}

/*
 * A view of a new section made on @fd, a server communication port (on
 * a connection port the create fails, and the reply goes without): a
 * reply that SEND_WAIT gets mapped.
 */
static __u64 reply_view(struct wctx *w, int fd)
{
	struct alpc_msg_attrs *a = (void *)(w->scr + ATTRS_OFF);
	__u64 size = 1 + rnd_below(&w->r, 3 * PAGE);
	int sec = new_section(w, fd, size);

	if (sec < 0)
		return 0;
	memset(a, 0, sizeof(*a));
	a->flags = ALPC_ATTR_VIEW;
	a->section_fd = sec;
	a->view_offset = rnd64(&w->r) % size;
	a->view_len = 1 + rnd64(&w->r) % (size - a->view_offset);
	a->view_flags = one_in(&w->r, 2) ? ALPC_VIEW_READONLY : 0;
	return uptr(a);
}

/*
 * Serves one message on a connection port or server communication port,
 * as a server would: accepts connection requests, answers requests.
 */
static void op_serve(struct wctx *w)
{
	struct alpc_recv *r = w->arg;
	int fd = pool_pick(w, rnd_below(&w->r, 3) ? KM(K_PORT) : KM(K_SERVER)).fd;

	memset(r, 0, sizeof(*r));
	r->buf = uptr(w->scr + OUT_OFF);
	r->size = OUT_SIZE;
	r->timeout_ns = (__s64)rnd_below(&w->r, 10) * MS;
	if (one_in(&w->r, 2)) {
		r->flags = ALPC_RECV_PIDFD | ALPC_RECV_GROUPS;
		r->extra = build_extra(w, 0, r->flags);
	}
	if (rec_ret(w, OP_RECV, ioctl(fd, ALPC_IOC_RECV, r)))
		return;
	took_msg(w, fd, &r->info, r->extra == uptr(extra_at(w, 0)) ? extra_at(w, 0) : NULL,
		 r->flags);
	if (r->info.type == ALPC_MSG_CONNECTION_REQUEST && !one_in(&w->r, 8)) {
		accept_one(w, fd, r->info.id, true);
	} else if (r->info.type == ALPC_MSG_REQUEST && !one_in(&w->r, 8)) {
		struct alpc_send *s = arg_clear(w, sizeof(*s));

		s->type = ALPC_MSG_REPLY;
		s->ref_id = r->info.id;
		s->len = rnd_below(&w->r, 128);
		s->buf = uptr(w->scr + IN_OFF);
		if (one_in(&w->r, 4))
			s->attrs = build_attrs(w, ALPC_MSG_REPLY, fd);
		else if (one_in(&w->r, 3))
			s->attrs = reply_view(w, fd);
		if (!rec_ret(w, OP_SEND, ioctl(fd, ALPC_IOC_SEND, s)))
			atomic_fetch_add(&sh->replied, 1);
	}
}

static void run_ops(struct wctx *w, unsigned int budget);

/*
 * A child with a copy of this process's pool and mappings: some
 * operations on the inherited fds, maybe as another user, in new IPC or
 * user namespaces, or with few fd numbers left, until its parent kills
 * it (mostly mid-operation), it runs out of time, or it execs a program
 * that exits at once (close-on-exec closes most fds; the rest go at its
 * exit, and requests it lent memory to outlive its old mm).
 */
static void child_main(struct wctx *w)
{
	struct rlimit rl;

	/*
	 * Another thread may have held the pool's lock at fork(), and this
	 * one held the mappings': nobody else is here now.
	 */
	pthread_mutex_init(&w->p->lock, NULL);
	pthread_mutex_init(&w->p->map_lock, NULL);
	w->p->child = true;
	w->p->idx = -1;
	w->p->deadline = alpc_now_ns() + 1500 * MS;
	alarm(2);
	if (one_in(&w->r, 4)) {
		gid_t groups[3] = { 100, 200, 65534 };

		/* Other groups than at connect: CRED_CHANGED, and groups to receive. */
		setgroups(1 + rnd_below(&w->r, 3), groups);
	}
	if (one_in(&w->r, 8))
		unshare(CLONE_NEWIPC);		/* new names: the shared ones are not there */
	if (one_in(&w->r, 8))
		unshare(CLONE_NEWUSER);		/* unmapped ids: overflow ids, EINVAL */
	if (one_in(&w->r, 4) && setresgid(65534, 65534, 65534) == 0)
		setresuid(65534, 65534, 65534);
	if (one_in(&w->r, 4)) {
		rl.rlim_cur = 20 + rnd_below(&w->r, 40);
		rl.rlim_max = 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	run_ops(w, 1 + rnd_below(&w->r, 60));
	if (one_in(&w->r, 8))
		execl("/bin/true", "true", (char *)NULL);
	if (one_in(&w->r, 2))
		_exit(0);
	/* Or leave the way a crash would: every fd closed by exit. */
	kill(getpid(), SIGKILL);
}

static void op_fork(struct wctx *w)
{
	unsigned int delay = rnd_below(&w->r, 30);
	__u64 seed = rnd64(&w->r);
	struct timespec ts;
	pid_t pid;
	int status;

	if (w->p->child)
		return;
	/*
	 * With the mappings' lock: no other thread is half-way through
	 * changing a mapping and its record, so the child's copy of the
	 * records matches its copy of the address space.
	 */
	pthread_mutex_lock(&w->p->map_lock);
	pid = fork();
	if (!pid) {
		w->r.s = seed;
		child_main(w);
		_exit(0);
	}
	pthread_mutex_unlock(&w->p->map_lock);
	if (rec_ret(w, OP_FORK, pid < 0 ? -1 : 0))
		return;
	atomic_fetch_add(&sh->children, 1);
	if (!one_in(&w->r, 4)) {
		ts.tv_sec = 0;
		ts.tv_nsec = delay * MS;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		atomic_fetch_add(&sh->children_killed, 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Killed by us, or by its alarm; any other signal is a crash. */
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL && WTERMSIG(status) != SIGALRM)
		atomic_fetch_add(&sh->children_crashed, 1);
}

/* Generic netlink */

#define NL_BUF		8192

/* Appends attribute @type of @len bytes at @data to the message at @nlh. */
static void nl_put(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Sends a generic netlink request; returns what send() returns. */
static ssize_t nl_send(int sk, struct nlmsghdr *nlh)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	return sendto(sk, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to));
}

/* From CTRL_CMD_GETFAMILY's answer: the family's id, and its (one) group's. */
static void nl_family_attrs(struct nlmsghdr *nlh, __u16 *family, __u32 *group)
{
	struct nlattr *a = (void *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN), *g;
	int left = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	for (; left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len), a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(family, (char *)a + NLA_HDRLEN, 2);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		/* A nest of nests: the first group's first attribute is its id. */
		g = (void *)((char *)a + 2 * NLA_HDRLEN);
		if (a->nla_len >= 3 * NLA_HDRLEN + 4 && g->nla_type == CTRL_ATTR_MCAST_GRP_ID)
			memcpy(group, (char *)g + NLA_HDRLEN, 4);
	}
}

/*
 * Reads answers until NLMSG_DONE or an error message, at most @reads
 * reads; returns the first error's errno, 0, or -1 if the answer did not
 * end (a dump left half read, on purpose or not).
 */
static int nl_answer(int sk, void *buf, unsigned int reads, __u16 *family, __u32 *group)
{
	struct nlmsghdr *nlh;
	ssize_t n;

	while (reads--) {
		struct pollfd pfd = { .fd = sk, .events = POLLIN };

		if (poll(&pfd, 1, 50) <= 0)
			return -1;
		n = recv(sk, buf, NL_BUF, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? -1 : errno;
		for (nlh = buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				return -e->error;
			}
			if (family && nlh->nlmsg_type == GENL_ID_CTRL) {
				nl_family_attrs(nlh, family, group);
				return 0;
			}
		}
	}
	return -1;
}

static struct nlmsghdr *nl_start(void *buf, __u16 type, __u16 flags, __u8 cmd)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* The alpc family's id (and its group's), once per process. */
static void nl_resolve(struct wctx *w, int sk, void *buf)
{
	struct nlmsghdr *nlh;

	if (w->p->nl_family)
		return;
	nlh = nl_start(buf, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY);
	nl_put(nlh, CTRL_ATTR_FAMILY_NAME, "alpc", 5);
	if (nl_send(sk, nlh) > 0)
		nl_answer(sk, buf, 4, &w->p->nl_family, &w->p->nl_group);
}

/*
 * A request to the alpc family, valid or not: dumps of ports and
 * connections (filtered by a port's id or name now and then), totals,
 * commands that are events, unknown commands and attributes, bad flags;
 * its answer read in full, in part (the socket closed mid-dump), or not
 * at all. Now and then the socket joins the events group and reads what
 * came, or goes into the pool to travel in messages.
 */
static void op_netlink(struct wctx *w)
{
	static const __u8 cmds[] = {
		ALPC_NL_CMD_GET_PORT, ALPC_NL_CMD_GET_PORT, ALPC_NL_CMD_GET_PORT,
		ALPC_NL_CMD_GET_CONN, ALPC_NL_CMD_GET_CONN, ALPC_NL_CMD_GET_CONN,
		ALPC_NL_CMD_GET_STATS, ALPC_NL_CMD_GET_STATS,
		ALPC_NL_CMD_UNSPEC, ALPC_NL_CMD_PORT_NEW, ALPC_NL_CMD_CONN_DEL, 200,
	};
	void *buf = w->scr + OUT_OFF;
	char name[ALPC_NAME_MAX];
	struct nlmsghdr *nlh;
	__u16 flags;
	__u64 id;
	__u8 cmd;
	int sk, op, err, fd;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sk < 0)
		return;
	nl_resolve(w, sk, buf);
	if (!w->p->nl_family) {
		close(sk);
		return;
	}
	if (one_in(&w->r, 16)) {
		fd = w->p->nl_group ? (int)w->p->nl_group : 1;
		rec_ret(w, OP_NL_EVENTS, setsockopt(sk, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
						    &fd, sizeof(fd)));
	}
	cmd = cmds[rnd_below(&w->r, ARRAY_SIZE(cmds))];
	op = cmd == ALPC_NL_CMD_GET_PORT ? OP_NL_GET_PORT : cmd == ALPC_NL_CMD_GET_CONN ?
	     OP_NL_GET_CONN : cmd == ALPC_NL_CMD_GET_STATS ? OP_NL_GET_STATS : OP_NL_OTHER;
	flags = NLM_F_REQUEST | (one_in(&w->r, 2) ? NLM_F_ACK : 0);
	if (cmd != ALPC_NL_CMD_GET_STATS || one_in(&w->r, 8))
		flags |= rnd_below(&w->r, 4) ? NLM_F_DUMP : 0;
	if (one_in(&w->r, 16))
		flags |= PICK(w, NLM_F_ECHO, NLM_F_REPLACE, NLM_F_EXCL, 0x8000);
	nlh = nl_start(buf, w->p->nl_family, flags, cmd);
	if (one_in(&w->r, 32))
		((struct genlmsghdr *)NLMSG_DATA(nlh))->reserved = 1;
	if (one_in(&w->r, 3)) {
		id = one_in(&w->r, 4) ? rnd64(&w->r) : rnd_below(&w->r, 100000);
		nl_put(nlh, ALPC_NL_A_PORT_ID, &id, one_in(&w->r, 16) ? 4 : 8);
	}
	if (one_in(&w->r, 3)) {
		port_name(w, name);
		nl_put(nlh, ALPC_NL_A_PORT_NAME, name,
		       one_in(&w->r, 16) ? ALPC_NAME_MAX : strnlen(name, ALPC_NAME_MAX) + 1);
	}
	if (one_in(&w->r, 16)) {
		id = rnd64(&w->r);
		nl_put(nlh, rnd_below(&w->r, ALPC_NL_A_MAX + 3), &id, rnd_below(&w->r, 9));
	}
	if (nl_send(sk, nlh) < 0) {
		rec_ret(w, op, -1);
		close(sk);
		return;
	}
	/* Read it all, one part (and close mid-dump), or nothing. */
	err = one_in(&w->r, 8) ? -1 : nl_answer(sk, buf, one_in(&w->r, 4) ? 1 : 64, NULL, NULL);
	if (err >= 0)
		rec(op, err);
	if (w->p->nl_group && one_in(&w->r, 16))
		nl_answer(sk, buf, 2, NULL, NULL);	/* events, if any came */
	if (one_in(&w->r, 16))
		pool_add(w, sk, K_OTHER, 0, -1);
	else
		close(sk);
}

struct weighted {
	void (*fn)(struct wctx *w);
	unsigned int weight;
};

static void op_get_security(struct wctx *w)
{
	op_security(w, false);
}

static void op_set_security(struct wctx *w)
{
	op_security(w, true);
}

static const struct weighted ops_table[] = {
	{ op_serve, 14 }, { op_pair, 4 }, { op_roundtrip, 8 }, { op_send, 10 }, { op_send_wait, 6 },
	{ op_recv, 8 }, { op_reply_recv, 5 }, { op_batch, 5 }, { op_send_dgrams, 5 },
	{ op_recv_dgrams, 5 }, { op_dgrams, 4 }, { op_connect, 3 },
	{ op_connect_async, 3 }, { op_accept, 3 }, { op_cancel, 3 }, { op_create_port, 3 },
	{ op_create_section, 5 }, { op_mmap_section, 4 }, { op_munmap, 3 }, { op_mprotect, 2 },
	{ op_mremap, 2 }, { op_touch, 3 }, { op_access, 4 }, { op_create_completion, 2 },
	{ op_associate, 3 }, { op_dequeue, 4 }, { op_mmap_ring, 2 }, { op_reap_ring, 3 },
	{ op_get_security, 2 }, { op_set_security, 2 }, { op_get_features, 1 },
	{ op_unknown_ioctl, 1 }, { op_wrong_fd_ioctl, 2 }, { op_close, 5 }, { op_dup2, 1 },
	{ op_poll, 1 }, { op_new_fd, 2 }, { op_fork, 1 }, { op_netlink, 3 },
};

#define N_WEIGHTED	ARRAY_SIZE(ops_table)

static unsigned int ops_weight;

static void run_ops(struct wctx *w, unsigned int budget)
{
	unsigned int i, k, total = ops_weight;

	while (budget-- && !atomic_load_explicit(&sh->stop, memory_order_relaxed) &&
	       alpc_now_ns() < w->p->deadline) {
		k = rnd_below(&w->r, total);
		for (i = 0; k >= ops_table[i].weight; i++)
			k -= ops_table[i].weight;
		ops_table[i].fn(w);
	}
}

static void *worker_thread(void *arg)
{
	struct wctx *w = arg;

	run_ops(w, ~0U);
	return NULL;
}

/*
 * Interrupts the worker threads' waits with signals now and then, so
 * waits without a timeout end too, and EINTR paths run.
 */
struct ticker {
	struct wctx *w;
	int n;
	struct rng r;
	atomic_int done;
};

static void *ticker_thread(void *arg)
{
	struct ticker *t = arg;

	while (!atomic_load(&t->done)) {
		alpc_sleep_ms(10 + rnd_below(&t->r, 60));
		pthread_kill(t->w[rnd_below(&t->r, t->n)].thread, SIGUSR1);
	}
	return NULL;
}

static int setup_thread(struct wctx *w, struct proc *p, int idx, __u64 seed)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->idx = idx;
	w->r.s = seed;
	w->scr = guarded_alloc(SCR_SIZE);
	w->arg = guarded_alloc(PAGE);
	w->lend = guarded_alloc(LEND_SIZE);
	w->ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!w->scr || !w->arg || !w->lend || w->ro == MAP_FAILED)
		return -1;
	return 0;
}

/* A worker process: @nthreads threads on one pool, until told to stop. */
static int worker_main(int idx, __u64 seed, int nthreads, __s64 deadline)
{
	struct wctx w[THREADS_MAX];
	struct ticker t = { .w = w, .n = nthreads };
	struct proc *p;
	pthread_t tick;
	int i;

	p = calloc(1, sizeof(*p));
	if (!p)
		return 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->map_lock, NULL);
	p->idx = idx;
	p->deadline = deadline;
	p->hole = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->hole == MAP_FAILED)
		return 1;
	alpc_install_noop_handler(SIGUSR1);
	for (i = 0; i < nthreads; i++)
		if (setup_thread(&w[i], p, i, derive(seed, 1000 + i, 0)))
			return 1;

	p->self_pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	pool_add(&w[0], alpc_open(), K_DEV, 0, -1);
	pool_add(&w[0], alpc_open(), K_DEV, 0, -1);
	pool_add(&w[0], p->self_pidfd, K_OTHER, 0, -1);
	pool_add(&w[0], eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), K_EVENTFD, 0, -1);

	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].thread, NULL, worker_thread, &w[i]))
			return 1;
	t.r.s = derive(seed, 2000, 0);
	if (pthread_create(&tick, NULL, ticker_thread, &t))
		return 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].thread, NULL);
	atomic_store(&t.done, 1);
	pthread_join(tick, NULL);
	/* Half the time every fd is closed by exit, as when a process dies. */
	if (w[0].r.s & 1) {
		for (i = 0; i < POOL_MAX; i++)
			if (p->pool[i].kind != K_NONE)
				close(p->pool[i].fd);
	}
	return 0;
}

/* The supervisor */

struct config {
	__u64 seed;
	unsigned int duration;
	unsigned int debug_duration;
	int threads;
	int procs;
	unsigned int kill_ms;
};

static const char *const splat_words[] = {
	"BUG:", "WARNING:", "Oops", "KASAN", "general protection fault",
	"blocked for more than", "soft lockup", "hard LOCKUP", "unreferenced object",
	"suspected memory leak", "possible recursive locking", "circular locking",
	"inconsistent lock state", "Kernel panic", "Call Trace:",
};

/* Reads new kernel log records; returns true (and the first line) on a splat. */
static bool kmsg_splat(int kfd, char *first, size_t size)
{
	char rec_buf[2048];
	bool found = false;
	unsigned int i;
	ssize_t n;

	if (kfd < 0)
		return false;
	for (;;) {
		n = read(kfd, rec_buf, sizeof(rec_buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;		/* overwritten records: go on */
		if (n <= 0)
			break;
		rec_buf[n] = 0;
		for (i = 0; i < ARRAY_SIZE(splat_words); i++) {
			char *msg = strchr(rec_buf, ';');

			if (msg && strstr(msg, splat_words[i])) {
				if (!found && first) {
					msg[strcspn(msg, "\n")] = 0;
					snprintf(first, size, "%s", msg + 1);
				}
				found = true;
			}
		}
	}
	return found;
}

static void kmsg_note(const char *s)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = write(fd, s, strlen(s));

		(void)n;	/* a courtesy: nothing to do if it fails */
		close(fd);
	}
}

/* Tracepoint counts, from tracefs's trace_pipe, when it is there. */
struct tracer {
	int fd;
	pthread_t thread;
	atomic_int done;
	unsigned long hits[N_EVENTS];
	unsigned long lines;
};

#define TRACEFS		"/sys/kernel/tracing"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) == (ssize_t)strlen(s))
		ret = 0;
	close(fd);
	return ret;
}

static void count_trace_line(struct tracer *t, const char *line)
{
	unsigned int i;

	t->lines++;
	for (i = 0; i < N_EVENTS; i++) {
		const char *p = strstr(line, trace_events[i]);

		if (p && p[strlen(trace_events[i])] == ':') {
			t->hits[i]++;
			return;
		}
	}
}

static void *tracer_thread(void *arg)
{
	struct tracer *t = arg;
	static char buf[1 << 16];
	size_t have = 0;
	char *nl, *line;
	ssize_t n;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, 200) <= 0) {
			if (atomic_load(&t->done))
				break;
			continue;
		}
		n = read(t->fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0) {
			if (atomic_load(&t->done))
				break;
			continue;
		}
		have += n;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			count_trace_line(t, line);
			line = nl + 1;
		}
		have = buf + have - line;
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0;
	}
	return NULL;
}

static bool tracer_start(struct tracer *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (access(TRACEFS "/events/alpc/enable", W_OK))
		return false;
	write_str(TRACEFS "/buffer_size_kb", "2048");
	write_str(TRACEFS "/trace", "");
	if (write_str(TRACEFS "/events/alpc/enable", "1"))
		return false;
	t->fd = open(TRACEFS "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0 || pthread_create(&t->thread, NULL, tracer_thread, t)) {
		write_str(TRACEFS "/events/alpc/enable", "0");
		return false;
	}
	return true;
}

static unsigned long tracer_stop(struct tracer *t)
{
	char buf[256];
	unsigned long lost = 0;
	int cpu, fd;
	ssize_t n;

	write_str(TRACEFS "/events/alpc/enable", "0");
	alpc_sleep_ms(300);
	atomic_store(&t->done, 1);
	pthread_join(t->thread, NULL);
	close(t->fd);
	for (cpu = 0; cpu < 64; cpu++) {
		char path[96];
		char *p;

		snprintf(path, sizeof(path), TRACEFS "/per_cpu/cpu%d/stats", cpu);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		p = strstr(buf, "overrun:");
		if (p)
			lost += strtoul(p + 8, NULL, 10);
	}
	write_str(TRACEFS "/buffer_size_kb", "1408");
	return lost;
}

/* The supervisor's own fds, which workers must not hold. */
static int kmsg_fd = -1, trace_fd = -1;

static pid_t start_worker(const struct config *cfg, int idx, unsigned int gen, __s64 deadline)
{
	__u64 seed = derive(cfg->seed, idx, gen);
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (kmsg_fd >= 0)
			close(kmsg_fd);
		if (trace_fd >= 0)
			close(trace_fd);
		_exit(worker_main(idx, seed, cfg->threads, deadline));
	}
	return pid;
}

/* Waits up to @ms for @pid; true if it was reaped. */
static bool reap(pid_t pid, unsigned int ms)
{
	__s64 end = alpc_now_ns() + (__s64)ms * MS;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		alpc_sleep_ms(20);
	} while (alpc_now_ns() < end);
	return false;
}

/* What the threads of a hung worker are doing, from procfs. */
static void show_stacks(pid_t pid)
{
	char path[320], buf[4096];
	struct dirent *d;
	DIR *dir;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		printf("# task %s:\n", d->d_name);
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			printf("#   %s\n", l);
	}
	closedir(dir);
}

/* After the run: a connection, a request and its reply still go through. */
static int module_still_works(void)
{
	char name[ALPC_NAME_MAX], buf[8];
	struct alpc_reply_recv rr;
	struct alpc_send_wait sw;
	struct alpc_call call;
	int dev, port, client, ret = -1;

	dev = alpc_open();
	if (dev < 0)
		return -1;
	snprintf(name, sizeof(name), "fz-check-%d", getpid());
	port = alpc_create_port(dev, name, NULL, 0);
	if (port < 0)
		goto out_dev;
	client = alpc_connect_accept(dev, port, name, 7, 0, NULL, NULL);
	if (client < 0)
		goto out_port;
	alpc_send_wait_init(&sw, "ping", 4, buf, sizeof(buf), ALPC_WAIT_NS);
	if (alpc_call_start(&call, client, ALPC_IOC_SEND_WAIT, &sw))
		goto out_client;
	alpc_reply_recv_init(&rr, 0, NULL, 0, buf, sizeof(buf), ALPC_WAIT_NS);
	if (!alpc_reply_recv(port, &rr) && rr.recv.info.type == ALPC_MSG_REQUEST &&
	    rr.recv.info.port_context == 7 &&
	    !alpc_reply(port, rr.recv.info.id, "pong", 4))
		ret = 0;
	if (alpc_call_join(&call) || sw.reply.len != 4 || memcmp(buf, "pong", 4))
		ret = -1;
out_client:
	close(client);
out_port:
	close(port);
out_dev:
	close(dev);
	return ret;
}

static const struct {
	int e;
	const char *name;
} errnames[] = {
	{ 0, "ok" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EEXIST, "EEXIST" },
	{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
	{ ENOTTY, "ENOTTY" }, { ENODEV, "ENODEV" }, { EPIPE, "EPIPE" },
	{ ENOTCONN, "ENOTCONN" }, { EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ ECONNRESET, "ECONNRESET" }, { ENOBUFS, "ENOBUFS" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ ECONNREFUSED, "ECONNREFUSED" }, { ECANCELED, "ECANCELED" }, { NERR - 1, "other" },
};

static const char *errname(int e)
{
	static char buf[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].e == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* The table of operations by errno; returns the distinct (ioctl, errno) pairs. */
static unsigned int report(const struct tracer *t, bool traced, unsigned long lost)
{
	unsigned int op, e, pairs = 0, ioctls_hit = 0;
	char line[1024];
	int len;

	printf("# operations by result (ok or errno):\n");
	for (op = 0; op < N_OPS; op++) {
		unsigned long total = 0;

		for (e = 0; e < NERR; e++)
			total += sh->count[op][e];
		len = snprintf(line, sizeof(line), "#   %-20s %9lu:", op_names[op], total);
		for (e = 0; e < NERR; e++) {
			if (!sh->count[op][e])
				continue;
			if (op < N_IOCTL_OPS || (op >= OP_BATCH_SEND && op <= OP_BATCH_CANCEL) ||
			    op >= OP_NL_GET_PORT)
				pairs++;
			len += snprintf(line + len, sizeof(line) - len, " %s=%lu", errname(e),
					(unsigned long)sh->count[op][e]);
			if (len > (int)sizeof(line) - 32)
				break;
		}
		if (op < N_IOCTL_OPS && total)
			ioctls_hit++;
		printf("%s\n", line);
	}
	printf("# messages received:");
	for (e = 1; e < N_TYPES; e++)
		printf(" %s=%lu", type_names[e], (unsigned long)sh->received[e]);
	printf("\n#   of which");
	for (e = 0; e < N_MF; e++)
		printf(" %s=%lu,", mf_names[e], (unsigned long)sh->received_flags[e]);
	printf("\n# accepted=%lu rejected=%lu replies=%lu accesses=%lu\n",
	       (unsigned long)sh->accepted, (unsigned long)sh->rejected,
	       (unsigned long)sh->replied, (unsigned long)sh->accessed);
	printf("# datagrams: SEND_DGRAMS queued=%lu, RECV_DGRAMS",
	       (unsigned long)sh->dgrams_sent);
	printf(" took=%lu, stamped payloads checked=%lu\n", (unsigned long)sh->dgrams_taken,
	       (unsigned long)sh->dgrams_checked);
	printf("# completions: message=%lu connect=%lu, reaped from rings=%lu\n",
	       (unsigned long)sh->completions[0], (unsigned long)sh->completions[1],
	       (unsigned long)sh->ring_reaped);
	printf("# children forked=%lu, killed mid-operation=%lu\n",
	       (unsigned long)sh->children, (unsigned long)sh->children_killed);
	if (traced) {
		unsigned int hit = 0;

		printf("# tracepoints (trace_pipe, %lu events lost to overrun):", lost);
		for (e = 0; e < N_EVENTS; e++) {
			printf(" %s=%lu", trace_events[e] + 5, t->hits[e]);
			hit += !!t->hits[e];
		}
		printf("\n# tracepoints hit: %u of %zu\n", hit, N_EVENTS);
	}
	printf("# coverage: %u of %d ioctl rows reached, %u distinct", ioctls_hit, N_IOCTL_OPS,
	       pairs);
	printf(" (ioctl or netlink command, errno) pairs\n");
	return pairs;
}

static void print_repro(const char *what, const struct config *cfg)
{
	printf("# %s: alpc_fuzz --seed %llu --duration %u", what,
	       (unsigned long long)cfg->seed, cfg->duration);
	printf(" --procs %d --threads %d --kill-ms %u\n", cfg->procs, cfg->threads, cfg->kill_ms);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "Usage: %s [--seed N] [--duration S] [--debug-duration S]\n"
		"          [--threads T] [--procs P] [--kill-ms M]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "debug-duration", required_argument, NULL, 'D' },
		{ "threads", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "kill-ms", required_argument, NULL, 'k' },
		{}
	};
	struct config cfg = { .duration = 60, .threads = 4, .procs = 4, .kill_ms = 3000 };
	pid_t pids[PROCS_MAX];
	unsigned int gen[PROCS_MAX] = { 0 }, restarts = 0, pairs;
	unsigned long last[PROCS_MAX] = { 0 }, lost = 0, crashed = 0;
	__s64 last_change[PROCS_MAX], start, end, now, next_kill;
	char splat[512] = "", note[256], stall[128] = "";
	bool seeded = false, traced, hung = false;
	struct tracer tracer;
	struct rng r;
	int c, i, kfd, works;

	while ((c = getopt_long(argc, argv, "s:d:D:t:p:k:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'd':
			cfg.duration = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			cfg.debug_duration = strtoul(optarg, NULL, 0);
			break;
		case 't':
			cfg.threads = atoi(optarg);
			break;
		case 'p':
			cfg.procs = atoi(optarg);
			break;
		case 'k':
			cfg.kill_ms = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (cfg.threads < 1 || cfg.threads > THREADS_MAX || cfg.procs < 1 ||
	    cfg.procs > PROCS_MAX)
		usage(argv[0]);
	if (!seeded)
		cfg.seed = (__u64)alpc_now_ns() ^ ((__u64)getpid() << 32);
	/* A lockdep kernel is the debug kernel. */
	if (cfg.debug_duration && !access("/proc/lockdep", F_OK))
		cfg.duration = cfg.debug_duration;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("# alpc_fuzz: seed %llu, %u s, %d processes of %d threads, a kill every %u ms\n",
	       (unsigned long long)cfg.seed, cfg.duration, cfg.procs, cfg.threads, cfg.kill_ms);
	print_repro("reproduce", &cfg);
	if (access(ALPC_DEVICE_PATH, R_OK | W_OK)) {
		printf("1..0 # SKIP no %s\n", ALPC_DEVICE_PATH);
		return 4;
	}
	printf("1..6\n");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	sh->run = getpid();
	snprintf(note, sizeof(note), "alpc_fuzz: seed %llu (reproduce: alpc_fuzz --seed %llu)\n",
		 (unsigned long long)cfg.seed, (unsigned long long)cfg.seed);
	kmsg_note(note);
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	kmsg_fd = kfd;
	traced = tracer_start(&tracer);
	trace_fd = tracer.fd;
	for (i = 0; i < (int)N_WEIGHTED; i++)
		ops_weight += ops_table[i].weight;
	signal(SIGPIPE, SIG_IGN);

	r.s = derive(cfg.seed, 3000, 0);
	start = alpc_now_ns();
	end = start + (__s64)cfg.duration * 1000000000LL;
	for (i = 0; i < cfg.procs; i++) {
		pids[i] = start_worker(&cfg, i, 0, end);
		last_change[i] = start;
	}
	next_kill = cfg.kill_ms ? start + (__s64)(cfg.kill_ms / 2 + rnd_below(&r, cfg.kill_ms)) *
				  MS : INT64_MAX;
	while ((now = alpc_now_ns()) < end) {
		alpc_sleep_ms(100);
		if (kmsg_splat(kfd, splat, sizeof(splat)))
			break;
		for (i = 0; i < cfg.procs; i++) {
			int status;

			/* A worker that ended by itself (it should not): start another. */
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!(WIFEXITED(status) && !WEXITSTATUS(status))) {
					printf("# worker %d (pid %d) ended: status 0x%x\n", i,
					       pids[i], status);
					crashed++;
				}
				pids[i] = start_worker(&cfg, i, ++gen[i], end);
				last_change[i] = now;
			}
			if (sh->progress[i] != last[i]) {
				last[i] = sh->progress[i];
				last_change[i] = now;
			} else if (now - last_change[i] > STALL_S * 1000000000LL) {
				snprintf(stall, sizeof(stall),
					 "worker %d (pid %d) made no progress for %d s", i, pids[i],
					 STALL_S);
				show_stacks(pids[i]);
				hung = true;
			}
		}
		if (hung)
			break;
		if (now >= next_kill) {
			i = rnd_below(&r, cfg.procs);
			kill(pids[i], SIGKILL);
			if (!reap(pids[i], 30000)) {
				snprintf(stall, sizeof(stall),
					 "worker %d (pid %d) did not die of SIGKILL in 30 s", i,
					 pids[i]);
				show_stacks(pids[i]);
				hung = true;
				break;
			}
			restarts++;
			pids[i] = start_worker(&cfg, i, ++gen[i], end);
			last_change[i] = alpc_now_ns();
			next_kill = alpc_now_ns() +
				    (__s64)(cfg.kill_ms / 2 + rnd_below(&r, cfg.kill_ms)) * MS;
		}
	}

	/* Stop: workers finish their operation and exit; stragglers are killed. */
	atomic_store(&sh->stop, 1);
	for (i = 0; i < cfg.procs; i++) {
		if (!reap(pids[i], 20000)) {
			kill(pids[i], SIGKILL);
			if (!reap(pids[i], 30000) && !hung) {
				snprintf(stall, sizeof(stall),
					 "worker %d (pid %d) did not die of SIGKILL in 30 s", i,
					 pids[i]);
				show_stacks(pids[i]);
				hung = true;
			}
		}
	}
	works = module_still_works();
	alpc_sleep_ms(500);
	if (!splat[0])
		kmsg_splat(kfd, splat, sizeof(splat));
	if (traced)
		lost = tracer_stop(&tracer);

	printf("# %lu operations in %lld ms, %u worker restarts\n", (unsigned long)sh->ops,
	       (long long)((alpc_now_ns() - start) / MS), restarts);
	pairs = report(&tracer, traced, lost);

	printf("ok 1 fuzz: %lu operations, %u (ioctl, errno) pairs, seed %llu\n",
	       (unsigned long)sh->ops, pairs, (unsigned long long)cfg.seed);
	if (splat[0])
		printf("# kernel splat: %s\n", splat);
	printf("%sok 2 no kernel splat (seed %llu)\n", splat[0] ? "not " : "",
	       (unsigned long long)cfg.seed);
	if (stall[0])
		printf("# %s\n", stall);
	printf("%sok 3 no worker hangs (seed %llu)\n", hung ? "not " : "",
	       (unsigned long long)cfg.seed);
	printf("%sok 4 module still works after the run (seed %llu)\n", works ? "not " : "",
	       (unsigned long long)cfg.seed);
	crashed += sh->children_crashed;
	if (crashed)
		printf("# %lu workers and %lu children crashed\n", crashed - sh->children_crashed,
		       (unsigned long)sh->children_crashed);
	printf("%sok 5 no worker or child crashed (seed %llu)\n", crashed ? "not " : "",
	       (unsigned long long)cfg.seed);
	if (sh->dgrams_bad)
		printf("# %lu SEND_DGRAMS or RECV_DGRAMS results contradicted themselves\n",
		       (unsigned long)sh->dgrams_bad);
	printf("%sok 6 datagrams sent and received in bulk are consistent and whole (seed %llu)\n",
	       sh->dgrams_bad ? "not " : "", (unsigned long long)cfg.seed);
	if (splat[0] || hung || works || crashed || sh->dgrams_bad) {
		print_repro("FAILED: reproduce with", &cfg);
		return 1;
	}
	return 0;
}
