// SPDX-License-Identifier: GPL-2.0
/*
 * Exactly once under chaos: 16 client processes and a server process of
 * 4 threads, for a bounded time, while clients and the whole server are
 * killed with SIGKILL at random and started again.
 *
 *   soak_test [--duration S] [--debug-duration S] [--seed N] [--kill-ms M]
 *
 * (--debug-duration replaces --duration on a kernel with lockdep, the
 * debug kernel, as stress_test does.)
 *
 * Traffic, each client choosing per request: inline requests
 * (SEND_WAIT), requests whose data travels in a view of a section, a
 * batch (ALPC_IOC_BATCH) of datagrams and requests whose replies are
 * received afterwards (canceled when they take too long), and requests
 * with a short timeout that the kernel withdraws. Two server threads run
 * REPLY_RECV loops on the connection port; two serve, through a
 * completion port (ASSOCIATE, DEQUEUE), the clients accepted with a
 * server communication port (the odd ones). A restarted server creates
 * the port again; clients connect again.
 *
 * Accounting, in memory shared by all (mapped before the fork): every
 * request carries (client, seq), seqs never repeat, and
 *  - a client records each request's fate: replied (the reply names it),
 *    an error, or killed while waiting;
 *  - the server records each (client, seq) it receives, the generation
 *    of the server that is about to reply, and whether the reply was
 *    taken (0) or refused (ENOENT: the client gave up);
 * and at the end, for every request: no second receive, reply or
 * answer (duplicates); a reply received must come from a server that
 * meant to send it; a reply the kernel took must reach its client unless
 * the client was killed; a request whose sender got an error was not
 * answered; none is left without a fate (lost). Datagrams: none
 * received twice.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "kselftest.h"
/* Checks its own way, or runs threads throughout: see alpc_util.h. */
#define ALPC_NO_CALL_CHECK
#include "alpc_util.h"

#define CLIENTS		16
#define SERVER_THREADS	4
/*
 * Requests per client slot, over all its lives. A fast machine sends
 * some 60,000 a minute per slot; a slot that runs out stops sending
 * (reported, not a failure: nothing is lost).
 */
#define MAX_SEQ		262144
#define SLOT_SPENT	(-1)		/* a client's return: its slot has no seqs left */
#define NERR		134
#define MS		ALPC_NS_PER_MS
#define PAGE		4096UL
#define SECTION_SIZE	(64 * 1024UL)
#define BATCH_MAX	8
#define HANG_NS		(60000 * MS)	/* a wait that must end does so by then */

/* A request's fate, as its client saw it. */
enum { ST_NONE, ST_INFLIGHT, ST_REPLIED, ST_ERROR, ST_KILLED };
/* What it was. */
enum { K_INLINE = 1, K_SECTION, K_BATCH, K_SHORT, K_DGRAM };

struct shared {
	atomic_int stop_clients;
	atomic_int stop_server;
	atomic_uint next_seq[CLIENTS];
	atomic_uint server_gen;			/* the running server's generation, from 1 */
	atomic_uchar server_killed[256];	/* by generation */
	/* Per (client, seq): the client's side ... */
	atomic_uchar state[CLIENTS][MAX_SEQ];
	atomic_uchar kind[CLIENTS][MAX_SEQ];
	atomic_uchar err[CLIENTS][MAX_SEQ];
	/* ... and the server's. */
	atomic_uchar received[CLIENTS][MAX_SEQ];
	atomic_uchar recv_gen[CLIENTS][MAX_SEQ];	/* generation that received it */
	atomic_uchar intent[CLIENTS][MAX_SEQ];	/* generation that meant to reply */
	atomic_uchar answered[CLIENTS][MAX_SEQ];
	atomic_uchar refused[CLIENTS][MAX_SEQ];	/* the reply failed with ENOENT */
	/* Counters. */
	atomic_ulong client_errs[NERR];
	atomic_ulong dup_replies, stray_replies, bad_replies, bad_views, bad_msgs;
	atomic_ulong connects, connect_fails, accepted, comm_ports;
	atomic_ulong port_closed, client_died, canceled_msgs, cp_entries, swept;
	atomic_ulong server_errors, cancels_ok, cancels_late, exhausted;
	char server_error[160];
};

static struct shared *sh;

struct msg {
	__u32 client;
	__u32 seq;
	__u32 kind;
	__u32 check;	/* request: f(client, seq); reply: the same, or the view's checksum */
};

static __u32 check_of(__u32 client, __u32 seq)
{
	return (seq * 2654435761U) ^ (client << 24) ^ 0x5a5a;
}

static unsigned char pattern(__u32 client, __u32 seq, unsigned long i)
{
	return (unsigned char)(client * 31 + seq * 7 + i * 13 + (i >> 8));
}

static __u32 checksum(const unsigned char *p, unsigned long len)
{
	__u32 sum = 0;
	unsigned long i;

	for (i = 0; i < len; i++)
		sum = sum * 33 + p[i];
	return sum;
}

struct rng {
	__u64 s;
};

static __u64 rnd64(struct rng *r)
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rnd_below(struct rng *r, __u32 n)
{
	return n ? (__u32)(rnd64(r) % n) : 0;
}

static char port_name[ALPC_NAME_MAX];

static void server_fail(const char *what, int err)
{
	if (atomic_fetch_add(&sh->server_errors, 1) == 0)
		snprintf(sh->server_error, sizeof(sh->server_error), "%s: %s", what,
			 strerror(err));
}

/* The server */

struct server {
	int dev;
	int port;
	int cp;
	int efd;
	__u32 gen;
	/*
	 * comm[]; held for reading while a completion thread works on a comm
	 * port, for writing to close one, so no thread replies on an fd that
	 * another just closed (or that a new comm port took over).
	 */
	pthread_rwlock_t lock;
	int comm[CLIENTS * 2];
};

/* Handles a received request or datagram; returns whether to reply, with @out. */
static bool serve_msg(struct server *s, const struct alpc_msg_info *info, const struct msg *in,
		      struct msg *out)
{
	const unsigned char *view = (const unsigned char *)(uintptr_t)info->view_addr;
	unsigned long head = info->view_addr & (PAGE - 1);

	if (info->len != sizeof(*in) || in->client >= CLIENTS || in->seq >= MAX_SEQ ||
	    in->check != check_of(in->client, in->seq)) {
		atomic_fetch_add(&sh->bad_msgs, 1);
		return false;
	}
	atomic_fetch_add(&sh->received[in->client][in->seq], 1);
	atomic_store(&sh->recv_gen[in->client][in->seq], (unsigned char)s->gen);
	if (info->type == ALPC_MSG_DATAGRAM)
		return false;
	*out = *in;
	if (info->flags & ALPC_MSGF_VIEW) {
		unsigned long i;
		bool ok = in->kind == K_SECTION;

		for (i = 0; ok && i < info->view_len; i++)
			ok = view[i] == pattern(in->client, in->seq, i);
		if (!ok)
			atomic_fetch_add(&sh->bad_views, 1);
		out->check = checksum(view, info->view_len);
		munmap((void *)(uintptr_t)(info->view_addr - head),
		       (head + info->view_len + PAGE - 1) & ~(PAGE - 1));
	}
	/* Recorded before the reply goes: a kill in between still says who replied. */
	atomic_store(&sh->intent[in->client][in->seq], (unsigned char)s->gen);
	return true;
}

static void replied(const struct msg *m, int status)
{
	if (!status)
		atomic_fetch_add(&sh->answered[m->client][m->seq], 1);
	else if (status == -ENOENT)
		atomic_fetch_add(&sh->refused[m->client][m->seq], 1);
	else
		server_fail("reply", -status);
}

static void comm_add(struct server *s, int fd)
{
	int i;

	pthread_rwlock_wrlock(&s->lock);
	for (i = 0; i < CLIENTS * 2; i++) {
		if (s->comm[i] == -1) {
			s->comm[i] = fd;
			break;
		}
	}
	pthread_rwlock_unlock(&s->lock);
}

/* Marks a comm port whose client is gone, for closing once nobody works on it. */
static void comm_gone(struct server *s, int fd)
{
	int i;

	for (i = 0; i < CLIENTS * 2; i++)
		if (s->comm[i] == fd)
			s->comm[i] = -2 - fd;
}

/* Closes the comm ports marked gone. */
static void comm_reap(struct server *s)
{
	int i;

	pthread_rwlock_wrlock(&s->lock);
	for (i = 0; i < CLIENTS * 2; i++) {
		if (s->comm[i] <= -2) {
			close(-2 - s->comm[i]);
			s->comm[i] = -1;
		}
	}
	pthread_rwlock_unlock(&s->lock);
}

static void serve_one_on(struct server *s, int fd, const struct alpc_msg_info *info,
			 const struct msg *in);

/* Accepts a client: odd ones with a comm port served through the completion port. */
static void accept_client(struct server *s, const struct alpc_msg_info *info, const struct msg *in)
{
	struct alpc_associate a = { .completion_fd = s->cp };
	struct alpc_msg_info ninfo;
	struct msg nin;
	__u32 idx = in->client;
	int fd;

	if (info->len != sizeof(*in) || idx >= CLIENTS) {
		atomic_fetch_add(&sh->bad_msgs, 1);
		alpc_accept(s->port, info->id, ALPC_ACCEPT_REJECT, 0, NULL, 0);
		return;
	}
	if (!(idx & 1)) {
		if (!alpc_accept(s->port, info->id, 0, idx + 1, NULL, 0))
			atomic_fetch_add(&sh->accepted, 1);
		else if (errno != ENOENT)
			server_fail("accept", errno);
		return;
	}
	fd = alpc_accept(s->port, info->id, ALPC_ACCEPT_COMM_PORT, idx + 1, NULL, 0);
	if (fd < 0) {
		if (errno != ENOENT)
			server_fail("accept", errno);
		return;
	}
	atomic_fetch_add(&sh->accepted, 1);
	atomic_fetch_add(&sh->comm_ports, 1);
	a.key = (__u64)fd;
	if (ioctl(fd, ALPC_IOC_ASSOCIATE, &a))
		server_fail("associate", errno);
	comm_add(s, fd);
	/* What came before the association posted nothing: take it now. */
	pthread_rwlock_rdlock(&s->lock);
	while (!alpc_recv(fd, &nin, sizeof(nin), 0, &ninfo))
		serve_one_on(s, fd, &ninfo, &nin);
	pthread_rwlock_unlock(&s->lock);
}

/* Serves one message received on @fd (a comm port) by the completion threads. */
static void serve_one_on(struct server *s, int fd, const struct alpc_msg_info *info,
			 const struct msg *in)
{
	struct msg out;
	int ret;

	switch (info->type) {
	case ALPC_MSG_REQUEST:
		if (!serve_msg(s, info, in, &out))
			break;
		ret = alpc_reply(fd, info->id, &out, sizeof(out));
		replied(&out, ret ? -errno : 0);
		break;
	case ALPC_MSG_DATAGRAM:
		serve_msg(s, info, in, &out);
		break;
	case ALPC_MSG_PORT_CLOSED:
	case ALPC_MSG_CLIENT_DIED:
		atomic_fetch_add(info->type == ALPC_MSG_PORT_CLOSED ? &sh->port_closed :
				 &sh->client_died, 1);
		comm_gone(s, fd);
		break;
	case ALPC_MSG_CANCELED:
		atomic_fetch_add(&sh->canceled_msgs, 1);
		break;
	default:
		atomic_fetch_add(&sh->bad_msgs, 1);
	}
}

/* Two of these: REPLY_RECV on the connection port. */
static void *port_thread(void *arg)
{
	struct server *s = arg;
	struct alpc_reply_recv rr;
	struct msg in, out;
	__u64 ref = 0;
	int ret, err;

	while (!atomic_load(&sh->stop_server)) {
		alpc_reply_recv_init(&rr, ref, &out, sizeof(out), &in, sizeof(in), 100 * MS);
		ret = alpc_reply_recv(s->port, &rr);
		err = errno;
		if (ref) {
			/* A reply sent has an id; one refused, a status; else it never went. */
			if (rr.reply_id)
				replied(&out, 0);
			else if (rr.reply_status)
				replied(&out, rr.reply_status);
			else
				server_fail("REPLY_RECV sent no reply", ret ? err : 0);
		}
		ref = 0;
		if (ret) {
			if (err != ETIMEDOUT)
				server_fail("REPLY_RECV", err);
			continue;
		}
		switch (rr.recv.info.type) {
		case ALPC_MSG_CONNECTION_REQUEST:
			accept_client(s, &rr.recv.info, &in);
			break;
		case ALPC_MSG_REQUEST:
			if (serve_msg(s, &rr.recv.info, &in, &out))
				ref = rr.recv.info.id;	/* answered by the next REPLY_RECV */
			break;
		case ALPC_MSG_DATAGRAM:
			serve_msg(s, &rr.recv.info, &in, &out);
			break;
		case ALPC_MSG_PORT_CLOSED:
			atomic_fetch_add(&sh->port_closed, 1);
			break;
		case ALPC_MSG_CLIENT_DIED:
			atomic_fetch_add(&sh->client_died, 1);
			break;
		case ALPC_MSG_CANCELED:
			atomic_fetch_add(&sh->canceled_msgs, 1);
			break;
		default:
			atomic_fetch_add(&sh->bad_msgs, 1);
		}
	}
	if (ref) {
		ret = alpc_reply(s->port, ref, &out, sizeof(out));
		replied(&out, ret ? -errno : 0);
	}
	return NULL;
}

/* Two of these: DEQUEUE, then a receive from the comm port each entry names. */
static void *cp_thread(void *arg)
{
	struct server *s = arg;
	struct alpc_completion e[16];
	struct alpc_msg_info info;
	struct msg in;
	__u32 n, i;
	int fd;

	while (!atomic_load(&sh->stop_server)) {
		comm_reap(s);
		if (alpc_dequeue(s->cp, e, 16, 100 * MS, &n)) {
			if (errno != ETIMEDOUT)
				server_fail("DEQUEUE", errno);
			/* Quiet: sweep every comm port, in case an entry was dropped. */
			pthread_rwlock_rdlock(&s->lock);
			for (i = 0; i < CLIENTS * 2; i++) {
				fd = s->comm[i];
				while (fd >= 0 && !alpc_recv(fd, &in, sizeof(in), 0, &info)) {
					atomic_fetch_add(&sh->swept, 1);
					serve_one_on(s, fd, &info, &in);
				}
			}
			pthread_rwlock_unlock(&s->lock);
			continue;
		}
		atomic_fetch_add(&sh->cp_entries, n);
		pthread_rwlock_rdlock(&s->lock);
		for (i = 0; i < n; i++) {
			fd = (int)e[i].key;
			/* Another thread may have taken it, or the port be gone. */
			if (!alpc_recv(fd, &in, sizeof(in), 0, &info))
				serve_one_on(s, fd, &info, &in);
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return NULL;
}

/* A server process: the port, the completion port, four threads, until told to stop. */
static int server_main(__u32 gen)
{
	struct alpc_port_attr attr = {
		.max_msg_len = sizeof(struct msg),
		.max_queued_msgs = 256,
		.max_queued_bytes = 65536,
		.max_section_size = SECTION_SIZE,
		.max_section_bytes = 4 * SECTION_SIZE,
	};
	pthread_t threads[SERVER_THREADS];
	struct server s;
	int i;

	memset(&s, 0, sizeof(s));
	s.gen = gen;
	pthread_rwlock_init(&s.lock, NULL);
	for (i = 0; i < CLIENTS * 2; i++)
		s.comm[i] = -1;
	s.dev = alpc_open();
	s.efd = eventfd(0, EFD_CLOEXEC);
	if (s.dev < 0 || s.efd < 0)
		return 10;
	s.cp = alpc_create_completion(s.dev, s.efd, 256, 0);
	if (s.cp < 0)
		return 11;
	/* The last server's port goes with its process; wait for the name if need be. */
	for (i = 0; i < 200; i++) {
		s.port = alpc_create_port(s.dev, port_name, &attr, 0);
		if (s.port >= 0 || errno != EEXIST)
			break;
		alpc_sleep_ms(10);
	}
	if (s.port < 0) {
		server_fail("CREATE_PORT", errno);
		return 12;
	}
	for (i = 0; i < SERVER_THREADS; i++)
		if (pthread_create(&threads[i], NULL, i < 2 ? port_thread : cp_thread, &s))
			return 13;
	for (i = 0; i < SERVER_THREADS; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

/* The clients */

struct client {
	__u32 idx;
	int dev;
	int fd;
	int sec;
	unsigned char *map;
	struct rng r;
};

static void fate(struct client *c, __u32 seq, int st, int err)
{
	atomic_store(&sh->err[c->idx][seq], (unsigned char)(err < NERR ? err : NERR - 1));
	atomic_store(&sh->state[c->idx][seq], (unsigned char)st);
	if (st == ST_ERROR)
		atomic_fetch_add(&sh->client_errs[err < NERR ? err : NERR - 1], 1);
}

/*
 * Reserves @n consecutive seqs of this slot: the first, or -1 when the
 * slot has not that many left. Reserved seqs are ST_NONE (never sent)
 * until start() marks them in flight, so a reservation that fails, or
 * is not used to the end, leaves nothing in flight.
 */
static int reserve_seqs(struct client *c, __u32 n)
{
	__u32 first = atomic_fetch_add(&sh->next_seq[c->idx], n);

	if (first + n > MAX_SEQ) {
		if (first < MAX_SEQ)
			atomic_fetch_add(&sh->exhausted, 1);	/* once per slot */
		return -1;
	}
	return (int)first;
}

static void start(struct client *c, __u32 seq, int kind)
{
	atomic_store(&sh->kind[c->idx][seq], (unsigned char)kind);
	atomic_store(&sh->state[c->idx][seq], ST_INFLIGHT);
}

static void disconnect(struct client *c)
{
	if (c->map)
		munmap(c->map, SECTION_SIZE);
	c->map = NULL;
	if (c->sec >= 0)
		close(c->sec);
	c->sec = -1;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Connects (again), with a section; false once told to stop. */
static bool connect_client(struct client *c)
{
	struct alpc_create_section cs = { .size = SECTION_SIZE };
	struct msg hello = { .client = c->idx };

	disconnect(c);
	while (!atomic_load(&sh->stop_clients)) {
		c->fd = alpc_connect(c->dev, port_name, &hello, sizeof(hello), 2000 * MS, NULL, 0,
				     NULL);
		if (c->fd >= 0)
			break;
		atomic_fetch_add(&sh->connect_fails, 1);
		alpc_sleep_ms(10 + rnd_below(&c->r, 40));
	}
	if (c->fd < 0)
		return false;
	atomic_fetch_add(&sh->connects, 1);
	c->sec = ioctl(c->fd, ALPC_IOC_CREATE_SECTION, &cs);
	if (c->sec >= 0) {
		c->map = mmap(NULL, SECTION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->sec, 0);
		if (c->map == MAP_FAILED)
			c->map = NULL;
	}
	return true;
}

/* Whether @reply answers (client, seq) as it should; @sum: the view's checksum, if any. */
static bool reply_ok(struct client *c, const struct alpc_msg_info *info, const struct msg *reply,
		     __u32 seq, __u32 sum)
{
	return info->type == ALPC_MSG_REPLY && info->len == sizeof(*reply) &&
	       reply->client == c->idx && reply->seq == seq && reply->check == sum;
}

/* A request answered by SEND_WAIT: inline, in a view, or with a short timeout. */
static int send_wait(struct client *c, int kind)
{
	struct alpc_msg_attrs a = { 0 };
	struct alpc_send_wait sw;
	struct msg req, reply;
	__u32 sum, i, off = 0, len = 0;
	__s64 timeout = HANG_NS;
	int seq, err;

	if (kind == K_SECTION && !c->map)
		kind = K_INLINE;
	seq = reserve_seqs(c, 1);
	if (seq < 0)
		return SLOT_SPENT;
	start(c, seq, kind);
	req = (struct msg){ c->idx, seq, kind, check_of(c->idx, seq) };
	sum = req.check;
	if (kind == K_SECTION) {
		off = rnd_below(&c->r, SECTION_SIZE / 2);
		len = 1 + rnd_below(&c->r, SECTION_SIZE / 2);
		for (i = 0; i < len; i++)
			c->map[off + i] = pattern(c->idx, seq, i);
		sum = checksum(c->map + off, len);
		a.flags = ALPC_ATTR_VIEW;
		a.section_fd = c->sec;
		a.view_offset = off;
		a.view_len = len;
		a.view_flags = rnd_below(&c->r, 2) ? ALPC_VIEW_READONLY : 0;
	} else if (kind == K_SHORT) {
		timeout = (__s64)(1 + rnd_below(&c->r, 3)) * MS;
	}
	alpc_send_wait_init(&sw, &req, sizeof(req), &reply, sizeof(reply), timeout);
	if (kind == K_SECTION)
		sw.attrs = (__u64)(uintptr_t)&a;
	if (alpc_send_wait(c->fd, &sw)) {
		err = errno;
		fate(c, seq, ST_ERROR, err);
		return err;
	}
	if (!reply_ok(c, &sw.reply, &reply, seq, sum)) {
		atomic_fetch_add(&sh->bad_replies, 1);
		fate(c, seq, ST_ERROR, EPROTO);
		return 0;
	}
	fate(c, seq, ST_REPLIED, 0);
	return 0;
}

/* Marks a reply to @seq received, once. */
static void got_reply(struct client *c, __u32 seq)
{
	unsigned char st = atomic_load(&sh->state[c->idx][seq]);

	if (st == ST_REPLIED)
		atomic_fetch_add(&sh->dup_replies, 1);
	else if (st != ST_INFLIGHT)
		atomic_fetch_add(&sh->stray_replies, 1);	/* after an error: a lost reply */
	else
		fate(c, seq, ST_REPLIED, 0);
}

/*
 * A batch of datagrams and requests; then the requests' replies,
 * received; those that take too long are canceled. Returns an errno
 * that means reconnecting, or 0.
 */
static int batch(struct client *c)
{
	struct alpc_batch_op ops[BATCH_MAX];
	struct alpc_send sends[BATCH_MAX];
	struct msg reqs[BATCH_MAX], reply;
	int seqs[BATCH_MAX], first, n, i, open = 0, err = 0;
	struct alpc_msg_info info;
	struct alpc_batch b;
	__s64 end;

	n = 2 + rnd_below(&c->r, BATCH_MAX - 1);
	first = reserve_seqs(c, n);
	if (first < 0)
		return SLOT_SPENT;
	for (i = 0; i < n; i++) {
		bool dgram = rnd_below(&c->r, 3) == 0;

		seqs[i] = first + i;
		start(c, seqs[i], dgram ? K_DGRAM : K_BATCH);
		reqs[i] = (struct msg){ c->idx, seqs[i], dgram ? K_DGRAM : K_BATCH,
					check_of(c->idx, seqs[i]) };
		memset(&sends[i], 0, sizeof(sends[i]));
		sends[i].type = dgram ? ALPC_MSG_DATAGRAM : ALPC_MSG_REQUEST;
		sends[i].buf = (__u64)(uintptr_t)&reqs[i];
		sends[i].len = sizeof(reqs[i]);
		sends[i].timeout_ns = HANG_NS;
		ops[i] = (struct alpc_batch_op){ .op = ALPC_OP_SEND,
						 .arg = (__u64)(uintptr_t)&sends[i] };
	}
	memset(&b, 0, sizeof(b));
	b.ops = (__u64)(uintptr_t)ops;
	b.count = n;
	if (ioctl(c->fd, ALPC_IOC_BATCH, &b)) {
		err = errno;
		for (i = 0; i < n; i++)
			fate(c, seqs[i], ST_ERROR, err);
		return err;
	}
	for (i = 0; i < n; i++) {
		if (ops[i].result) {
			fate(c, seqs[i], ST_ERROR, -ops[i].result);
			err = -ops[i].result;
		} else if (sends[i].type == ALPC_MSG_DATAGRAM) {
			fate(c, seqs[i], ST_REPLIED, 0);	/* sent is all a datagram gets */
		} else {
			open++;
		}
	}
	/* The replies, in any order; a request left too long is canceled. */
	end = alpc_now_ns() + 2000 * MS;
	while (open) {
		__s64 left = end - alpc_now_ns();

		if (left > 0 && !alpc_recv(c->fd, &reply, sizeof(reply), left, &info)) {
			for (i = 0; i < n; i++)
				if (sends[i].type == ALPC_MSG_REQUEST && info.ref_id == sends[i].id)
					break;
			if (i == n || !reply_ok(c, &info, &reply, seqs[i], reqs[i].check)) {
				atomic_fetch_add(&sh->bad_replies, 1);
				continue;
			}
			if (atomic_load(&sh->state[c->idx][seqs[i]]) == ST_INFLIGHT)
				open--;
			got_reply(c, seqs[i]);
			continue;
		}
		if (left > 0 && errno != ETIMEDOUT) {
			/* The connection is gone and nothing is left to receive. */
			err = errno;
			for (i = 0; i < n; i++)
				if (atomic_load(&sh->state[c->idx][seqs[i]]) == ST_INFLIGHT)
					fate(c, seqs[i], ST_ERROR, err);
			return err;
		}
		/* Too long: cancel. ENOENT means its reply is queued: receive on. */
		for (i = 0; i < n; i++) {
			if (atomic_load(&sh->state[c->idx][seqs[i]]) != ST_INFLIGHT)
				continue;
			if (!alpc_cancel(c->fd, sends[i].id)) {
				atomic_fetch_add(&sh->cancels_ok, 1);
				fate(c, seqs[i], ST_ERROR, ECANCELED);
				open--;
			} else {
				atomic_fetch_add(&sh->cancels_late, 1);
			}
		}
		end = alpc_now_ns() + HANG_NS;
	}
	return err == ECONNRESET ? err : 0;
}

static int client_main(__u32 idx, __u64 seed)
{
	struct client c = { .idx = idx, .fd = -1, .sec = -1, .r = { seed } };
	int err;

	c.dev = alpc_open();
	if (c.dev < 0)
		return 10;
	while (connect_client(&c)) {
		while (!atomic_load(&sh->stop_clients)) {
			switch (rnd_below(&c.r, 10)) {
			case 0 ... 3:
				err = send_wait(&c, K_INLINE);
				break;
			case 4 ... 5:
				err = send_wait(&c, K_SECTION);
				break;
			case 6 ... 8:
				err = batch(&c);
				break;
			default:
				err = send_wait(&c, K_SHORT);
			}
			if (err == ECONNRESET)
				break;
			if (err == SLOT_SPENT) {
				/* The slot has used its seqs: idle until told to stop. */
				while (!atomic_load(&sh->stop_clients))
					alpc_sleep_ms(20);
				break;
			}
			if (err && err != ETIMEDOUT && err != ECANCELED && err != EAGAIN)
				return 20;
		}
	}
	disconnect(&c);
	return 0;
}

/* The supervisor */

struct config {
	unsigned int duration;
	unsigned int debug_duration;
	__u64 seed;
	unsigned int kill_ms;
};

static pid_t start_server(__u32 gen)
{
	pid_t pid;

	atomic_store(&sh->server_gen, gen);
	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(server_main(gen));
	return pid;
}

static pid_t start_client(__u32 idx, __u64 seed)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(client_main(idx, seed));
	return pid;
}

/* Waits up to @ms for @pid; its wait status, or -1 if it is still there. */
static int reap(pid_t pid, unsigned int ms)
{
	__s64 end = alpc_now_ns() + (__s64)ms * MS;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		alpc_sleep_ms(10);
	} while (alpc_now_ns() < end);
	return -1;
}

/* A killed client's requests in flight: killed, whatever the server did. */
static void mark_killed(__u32 idx)
{
	__u32 seq, n = atomic_load(&sh->next_seq[idx]);

	for (seq = 0; seq < n && seq < MAX_SEQ; seq++)
		if (atomic_load(&sh->state[idx][seq]) == ST_INFLIGHT)
			atomic_store(&sh->state[idx][seq], ST_KILLED);
}

struct tally {
	unsigned long by_kind[6], by_state[5], dgrams, dgrams_received;
	unsigned long received, answered, refused;
	unsigned long dup_delivered, dup_answered;
	unsigned long ghost, unrecorded, answered_but_error, stuck, dropped;
	unsigned long requests;
};

static void account(struct tally *t)
{
	__u32 c, seq, n;

	memset(t, 0, sizeof(*t));
	for (c = 0; c < CLIENTS; c++) {
		n = atomic_load(&sh->next_seq[c]);
		for (seq = 0; seq < n && seq < MAX_SEQ; seq++) {
			unsigned char st = sh->state[c][seq], kind = sh->kind[c][seq];
			unsigned char recv = sh->received[c][seq], ans = sh->answered[c][seq];
			unsigned char intent = sh->intent[c][seq], rgen = sh->recv_gen[c][seq];

			t->dup_delivered += recv > 1;
			if (kind == K_DGRAM) {
				t->dgrams += st == ST_REPLIED;	/* sent */
				t->dgrams_received += !!recv;
				continue;
			}
			t->by_state[st < 5 ? st : 0]++;
			t->requests++;
			t->by_kind[kind < 6 ? kind : 0]++;
			t->received += !!recv;
			t->answered += !!ans;
			t->refused += !!sh->refused[c][seq];
			t->dup_answered += ans > 1;
			switch (st) {
			case ST_REPLIED:
				/* A reply the server meant, and recorded unless killed first. */
				if (!intent)
					t->ghost++;
				else if (!ans && !sh->server_killed[intent])
					t->unrecorded++;
				break;
			case ST_ERROR:
				/* The kernel took its reply, yet its sender got an error. */
				if (ans)
					t->answered_but_error++;
				break;
			case ST_INFLIGHT:
				t->stuck++;
				break;
			}
			/* Received, never answered nor refused, by a server that lived on. */
			if (recv && !ans && !sh->refused[c][seq] && !sh->server_killed[rgen] &&
			    st != ST_KILLED)
				t->dropped++;
		}
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr, "Usage: %s [--duration S] [--debug-duration S] [--seed N]", argv0);
	fprintf(stderr, " [--kill-ms M]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "debug-duration", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "kill-ms", required_argument, NULL, 'k' },
		{}
	};
	struct config cfg = { .duration = 60, .kill_ms = 1500 };
	unsigned long client_kills = 0, server_kills = 0, dups, lost, bad;
	pid_t clients[CLIENTS], server;
	bool seeded = false, clean = true;
	__u32 gen = 1;
	__s64 start, end, next;
	struct tally t;
	struct rng r;
	int c, i, status;

	while ((c = getopt_long(argc, argv, "d:D:s:k:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.duration = strtoul(optarg, NULL, 0);
			break;
		case 'D':
			cfg.debug_duration = strtoul(optarg, NULL, 0);
			break;
		case 's':
			cfg.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'k':
			cfg.kill_ms = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	/* A lockdep kernel is the debug kernel, ten times slower. */
	if (cfg.debug_duration && !access("/proc/lockdep", F_OK))
		cfg.duration = cfg.debug_duration;
	if (!seeded)
		cfg.seed = (__u64)alpc_now_ns() ^ ((__u64)getpid() << 32);
	r.s = cfg.seed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("# soak: %d clients, a server of %d threads, %u s, a kill every ~%u ms,",
	       CLIENTS, SERVER_THREADS, cfg.duration, cfg.kill_ms);
	printf(" seed %llu\n", (unsigned long long)cfg.seed);
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
	snprintf(port_name, sizeof(port_name), "soak-%d", getpid());

	start = alpc_now_ns();
	end = start + (__s64)cfg.duration * 1000000000LL;
	server = start_server(gen);
	for (i = 0; i < CLIENTS; i++)
		clients[i] = start_client(i, rnd64(&r));
	next = start + (__s64)(cfg.kill_ms / 2 + rnd_below(&r, cfg.kill_ms + 1)) * MS;
	while (alpc_now_ns() < end) {
		alpc_sleep_ms(20);
		/* Nobody ends by itself: one that did failed. */
		for (i = 0; i < CLIENTS; i++) {
			if (waitpid(clients[i], &status, WNOHANG) == clients[i]) {
				printf("# client %d ended by itself: status 0x%x\n", i, status);
				clean = false;
				mark_killed(i);
				clients[i] = start_client(i, rnd64(&r));
			}
		}
		if (waitpid(server, &status, WNOHANG) == server) {
			printf("# server %u ended by itself: status 0x%x (%s)\n", gen, status,
			       sh->server_error);
			clean = false;
			sh->server_killed[gen & 255] = 1;
			server = start_server(++gen);
		}
		if (!cfg.kill_ms || alpc_now_ns() < next)
			continue;
		next = alpc_now_ns() +
		       (__s64)(cfg.kill_ms / 2 + rnd_below(&r, cfg.kill_ms + 1)) * MS;
		if (rnd_below(&r, 4) == 0) {
			/* The whole server: its replies so far count, its generation is marked. */
			sh->server_killed[gen & 255] = 1;
			kill(server, SIGKILL);
			if (reap(server, 30000) < 0) {
				printf("# server %u did not die of SIGKILL\n", gen);
				clean = false;
				break;
			}
			server_kills++;
			alpc_sleep_ms(rnd_below(&r, 200));
			server = start_server(++gen);
		} else {
			i = rnd_below(&r, CLIENTS);
			kill(clients[i], SIGKILL);
			if (reap(clients[i], 30000) < 0) {
				printf("# client %d did not die of SIGKILL\n", i);
				clean = false;
				break;
			}
			client_kills++;
			mark_killed(i);
			clients[i] = start_client(i, rnd64(&r));
		}
	}

	/* Clients finish what they are doing; then the server stops. */
	atomic_store(&sh->stop_clients, 1);
	for (i = 0; i < CLIENTS; i++) {
		status = reap(clients[i], 120000);
		if (status < 0) {
			printf("# client %d did not stop\n", i);
			kill(clients[i], SIGKILL);
			reap(clients[i], 30000);
			mark_killed(i);
			clean = false;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# client %d: status 0x%x\n", i, status);
			clean = false;
		}
	}
	atomic_store(&sh->stop_server, 1);
	status = reap(server, 30000);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# server %u: status 0x%x\n", gen, status);
		kill(server, SIGKILL);
		reap(server, 30000);
		clean = false;
	}
	if (sh->server_errors) {
		printf("# server errors: %lu, the first: %s\n", (unsigned long)sh->server_errors,
		       sh->server_error);
		clean = false;
	}

	account(&t);
	dups = t.dup_delivered + t.dup_answered + sh->dup_replies + sh->stray_replies;
	lost = t.ghost + t.unrecorded + t.answered_but_error + t.stuck + t.dropped;
	bad = sh->bad_replies + sh->bad_views + sh->bad_msgs;
	printf("# %lu requests in %lld s: %lu inline, %lu in a view, %lu batched,",
	       t.requests, (long long)((alpc_now_ns() - start) / 1000000000LL),
	       t.by_kind[K_INLINE], t.by_kind[K_SECTION], t.by_kind[K_BATCH]);
	printf(" %lu with a short timeout\n", t.by_kind[K_SHORT]);
	if (sh->exhausted)
		printf("# %lu client slots used all %d seqs and stopped sending early\n",
		       (unsigned long)sh->exhausted, MAX_SEQ);
	printf("# fates: %lu replied, %lu failed, %lu killed in flight, %lu never sent\n",
	       t.by_state[ST_REPLIED], t.by_state[ST_ERROR],
	       t.by_state[ST_KILLED], t.by_state[ST_NONE]);
	printf("#   errors:");
	for (i = 1; i < NERR; i++)
		if (sh->client_errs[i])
			printf(" %s=%lu", strerror(i), (unsigned long)sh->client_errs[i]);
	printf("\n# server: %lu received, %lu answered, %lu replies refused (ENOENT),",
	       t.received, t.answered, t.refused);
	printf(" %lu CANCELED notices\n", (unsigned long)sh->canceled_msgs);
	printf("# datagrams: %lu received of %lu\n", t.dgrams_received, t.dgrams);
	printf("# kills: %lu clients, %lu servers; %lu connects (%lu attempts failed),",
	       client_kills, server_kills, (unsigned long)sh->connects,
	       (unsigned long)sh->connect_fails);
	printf(" %lu comm ports\n", (unsigned long)sh->comm_ports);
	printf("# rundowns: %lu PORT_CLOSED, %lu CLIENT_DIED; %lu completions,",
	       (unsigned long)sh->port_closed, (unsigned long)sh->client_died,
	       (unsigned long)sh->cp_entries);
	printf(" %lu messages found by sweeps; cancels: %lu in time, %lu too late\n",
	       (unsigned long)sh->swept, (unsigned long)sh->cancels_ok,
	       (unsigned long)sh->cancels_late);
	printf("# duplicated: %lu (received twice %lu, answered twice %lu, replies twice %lu,",
	       dups, t.dup_delivered, t.dup_answered, (unsigned long)sh->dup_replies);
	printf(" replies after an error %lu)\n", (unsigned long)sh->stray_replies);
	printf("# lost: %lu (unmeant replies %lu, unrecorded %lu, answered yet failed %lu,",
	       lost, t.ghost, t.unrecorded, t.answered_but_error);
	printf(" left in flight %lu, dropped by the server %lu)\n", t.stuck, t.dropped);
	printf("# corrupt: %lu replies, %lu views, %lu requests\n",
	       (unsigned long)sh->bad_replies, (unsigned long)sh->bad_views,
	       (unsigned long)sh->bad_msgs);

	printf("ok 1 soak: %lu requests, %lu client and %lu server kills (seed %llu)\n",
	       t.requests, client_kills, server_kills, (unsigned long long)cfg.seed);
	printf("%sok 2 every request answered exactly once or its sender got an error\n",
	       dups || lost ? "not " : "");
	printf("%sok 3 zero duplicated messages\n", dups ? "not " : "");
	printf("%sok 4 zero lost messages\n", lost ? "not " : "");
	printf("%sok 5 no corrupted request, reply or view\n", bad ? "not " : "");
	printf("%sok 6 clients and servers ran and stopped cleanly\n", clean ? "" : "not ");
	return dups || lost || bad || !clean;
}
