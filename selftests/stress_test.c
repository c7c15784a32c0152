// SPDX-License-Identifier: GPL-2.0
/*
 * Many clients, one connection port: client processes with several
 * threads each run SEND_WAIT loops against server threads running
 * REPLY_RECV loops. Every request must be answered exactly once, with its
 * own reply, and each client thread's requests must reach the server in
 * the order sent. The second test kills clients at random points; the
 * server must see each connection run down and keep serving the others.
 *
 * ALPC_STRESS_SEED=<n> in the environment repeats a run of the second test.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
/* Checks its own way, or runs threads throughout: see alpc_util.h. */
#define ALPC_NO_CALL_CHECK
#include "alpc_util.h"

#define CLIENTS		4
#define CLIENT_THREADS	2
#define SERVER_THREADS	2
/*
 * Requests per client thread: 160,000 round trips in all. Measured in the
 * test VM under software emulation (TCG, 2 vCPUs): 20-40 s (140-250 us a
 * round trip) on 6.1. The debug kernel (KASAN, lockdep) is ten times
 * slower, 220-300 s, so there each thread sends REQUESTS_DEBUG instead.
 */
#define REQUESTS	20000
#define REQUESTS_DEBUG	5000

/* The second test: some clients are killed, the others send KILL_REQUESTS each thread. */
#define KILL_CLIENTS	6
#define KILL_VICTIMS	3
#define KILL_REQUESTS	2000

#define MAX_CLIENTS	8
#define STOPPER		0xffffffffU	/* the client index of the stopper */
#define STOP_CTX	1000
/* How long any single wait may take before the test calls it a hang. */
#define HANG_NS		(30000 * ALPC_NS_PER_MS)

struct stress_msg {
	__u32 client;
	__u32 thread;
	__u32 seq;
	__u32 check;
};

static __u32 reply_check(const struct stress_msg *m)
{
	return (m->seq * 2654435761U) ^ (m->client << 16) ^ m->thread;
}

/* What the server threads share, and what the test checks afterwards. */
struct server {
	int port;
	atomic_uint next_seq[MAX_CLIENTS][CLIENT_THREADS];
	atomic_ulong requests;
	atomic_ulong replies_ok;
	atomic_ulong replies_lost;
	atomic_ulong canceled;
	atomic_int accepted;
	atomic_int rundowns[MAX_CLIENTS];
	atomic_int errors;
	pthread_mutex_t lock;
	char first_error[256];
};

/* Counters in memory shared with the clients: round trips done, per client. */
struct shared {
	atomic_uint progress[MAX_CLIENTS];
};

static void server_error(struct server *s, const char *fmt, unsigned long long a,
			 unsigned long long b)
{
	if (atomic_fetch_add(&s->errors, 1) == 0) {
		pthread_mutex_lock(&s->lock);
		snprintf(s->first_error, sizeof(s->first_error), fmt, a, b);
		pthread_mutex_unlock(&s->lock);
	}
}

/* Handles one received request; returns the id to reply to, or 0. */
static __u64 serve_request(struct server *s, const struct alpc_msg_info *info,
			   const struct stress_msg *in, struct stress_msg *out)
{
	unsigned int expected;

	if (info->len != sizeof(*in) || in->client >= MAX_CLIENTS ||
	    in->thread >= CLIENT_THREADS || info->port_context != in->client + 1) {
		server_error(s, "malformed request, len %llu ctx %llu", info->len,
			     info->port_context);
		return 0;
	}
	expected = atomic_load(&s->next_seq[in->client][in->thread]);
	if (in->seq != expected)
		server_error(s, "request out of order: seq %llu, expected %llu", in->seq,
			     expected);
	atomic_store(&s->next_seq[in->client][in->thread], in->seq + 1);
	atomic_fetch_add(&s->requests, 1);
	*out = *in;
	out->check = reply_check(in);
	return info->id;
}

static void *server_thread(void *arg)
{
	struct server *s = arg;
	struct stress_msg in, out;
	struct alpc_reply_recv rr;
	__u64 ref = 0;
	__u32 idx;

	for (;;) {
		alpc_reply_recv_init(&rr, ref, &out, sizeof(out), &in, sizeof(in), HANG_NS);
		if (alpc_reply_recv(s->port, &rr)) {
			server_error(s, "REPLY_RECV failed: errno %llu (ref %llu)", errno, ref);
			return NULL;
		}
		if (ref) {
			if (rr.reply_status == 0)
				atomic_fetch_add(&s->replies_ok, 1);
			else if (rr.reply_status == -ENOENT)
				atomic_fetch_add(&s->replies_lost, 1);
			else
				server_error(s, "reply to %llu: status %lld", ref,
					     (long long)rr.reply_status);
		}
		ref = 0;
		switch (rr.recv.info.type) {
		case ALPC_MSG_CONNECTION_REQUEST:
			memcpy(&idx, &in, sizeof(idx));
			if (alpc_accept(s->port, rr.recv.info.id, 0,
					idx == STOPPER ? STOP_CTX : idx + 1, NULL, 0))
				server_error(s, "accept of client %llu: errno %llu", idx, errno);
			else if (idx != STOPPER)
				atomic_fetch_add(&s->accepted, 1);
			break;
		case ALPC_MSG_REQUEST:
			ref = serve_request(s, &rr.recv.info, &in, &out);
			break;
		case ALPC_MSG_DATAGRAM:
			/* Only the stopper sends datagrams: one per server thread. */
			return NULL;
		case ALPC_MSG_PORT_CLOSED:
		case ALPC_MSG_CLIENT_DIED:
			if (rr.recv.info.port_context == STOP_CTX)
				break;
			if (rr.recv.info.port_context < 1 ||
			    rr.recv.info.port_context > MAX_CLIENTS)
				server_error(s, "rundown of unknown context %llu (type %llu)",
					     rr.recv.info.port_context, rr.recv.info.type);
			else
				atomic_fetch_add(&s->rundowns[rr.recv.info.port_context - 1], 1);
			break;
		case ALPC_MSG_CANCELED:
			atomic_fetch_add(&s->canceled, 1);
			break;
		default:
			server_error(s, "unexpected message type %llu, id %llu",
				     rr.recv.info.type, rr.recv.info.id);
			break;
		}
	}
}

struct client_thread {
	pthread_t thread;
	int fd;
	__u32 client;
	__u32 thread_idx;
	unsigned int count;
	atomic_uint *progress;
	int status;	/* 0, or what went wrong */
};

static void *client_thread(void *arg)
{
	struct client_thread *t = arg;
	struct stress_msg req, reply;
	struct alpc_send_wait sw;
	unsigned int i;

	for (i = 0; i < t->count; i++) {
		req.client = t->client;
		req.thread = t->thread_idx;
		req.seq = i;
		req.check = 0;
		memset(&reply, 0, sizeof(reply));
		alpc_send_wait_init(&sw, &req, sizeof(req), &reply, sizeof(reply), HANG_NS);
		if (alpc_send_wait(t->fd, &sw)) {
			fprintf(stderr, "# client %u.%u: SEND_WAIT %u: %s\n", t->client,
				t->thread_idx, i, strerror(errno));
			t->status = 20;
			return NULL;
		}
		if (sw.reply.type != ALPC_MSG_REPLY || sw.reply.ref_id != sw.id ||
		    sw.reply.len != sizeof(reply) || reply.client != req.client ||
		    reply.thread != req.thread || reply.seq != i ||
		    reply.check != reply_check(&req)) {
			fprintf(stderr, "# client %u.%u: bad reply to %u (seq %u, type %u)\n",
				t->client, t->thread_idx, i, reply.seq, sw.reply.type);
			t->status = 21;
			return NULL;
		}
		atomic_fetch_add(t->progress, 1);
	}
	return NULL;
}

struct client_args {
	int dev;
	const char *name;
	__u32 idx;
	unsigned int count;	/* per thread */
	struct shared *shared;
};

/* A client process: one connection, CLIENT_THREADS threads sending on it. */
static int client_main(void *arg)
{
	struct client_thread threads[CLIENT_THREADS];
	struct client_args *a = arg;
	struct alpc_msg_info info;
	int fd, i, ret = 0;

	fd = alpc_connect(a->dev, a->name, &a->idx, sizeof(a->idx), HANG_NS, NULL, 0, NULL);
	if (fd < 0)
		return 10;
	for (i = 0; i < CLIENT_THREADS; i++) {
		threads[i] = (struct client_thread){
			.fd = fd, .client = a->idx, .thread_idx = i, .count = a->count,
			.progress = &a->shared->progress[a->idx],
		};
		if (pthread_create(&threads[i].thread, NULL, client_thread, &threads[i]))
			return 11;
	}
	for (i = 0; i < CLIENT_THREADS; i++) {
		pthread_join(threads[i].thread, NULL);
		if (threads[i].status)
			ret = threads[i].status;
	}
	/* Every reply went to its SEND_WAIT: nothing is left over. */
	if (!ret && (!alpc_recv(fd, NULL, 0, 0, &info) || errno != EAGAIN))
		ret = 12;
	close(fd);
	return ret;
}

FIXTURE(stress) {
	int dev;
	char name[ALPC_NAME_MAX];
	struct server *srv;
	struct shared *shared;
	pid_t pids[MAX_CLIENTS];
	pthread_t threads[SERVER_THREADS];
	int nthreads;
};

FIXTURE_SETUP(stress)
{
	memset(self->pids, 0, sizeof(self->pids));
	self->nthreads = 0;
	self->dev = alpc_open();
	ASSERT_LE(0, self->dev);
	alpc_port_name(self->name, "stress");
	self->srv = calloc(1, sizeof(*self->srv));
	ASSERT_NE(NULL, self->srv);
	pthread_mutex_init(&self->srv->lock, NULL);
	self->srv->port = alpc_create_port(self->dev, self->name, NULL, 0);
	ASSERT_LE(0, self->srv->port);
	self->shared = mmap(NULL, sizeof(*self->shared), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shared);
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	}
	if (self->srv->port >= 0)
		close(self->srv->port);
	if (self->dev >= 0)
		close(self->dev);
}

/* Forks client @idx; it sends @count requests per thread. */
static pid_t start_client(int dev, const char *name, __u32 idx, unsigned int count,
			  struct shared *shared)
{
	struct client_args a = { dev, name, idx, count, shared };

	return alpc_fork(client_main, &a);
}

static int start_server(struct server *srv, pthread_t *threads)
{
	int i;

	for (i = 0; i < SERVER_THREADS; i++)
		if (pthread_create(&threads[i], NULL, server_thread, srv))
			return -1;
	return 0;
}

/* Connects once more and sends each server thread a datagram that ends its loop. */
static int stop_server(int dev, const char *name, pthread_t *threads)
{
	__u32 idx = STOPPER;
	int fd, i, ret = 0;

	fd = alpc_connect(dev, name, &idx, sizeof(idx), HANG_NS, NULL, 0, NULL);
	if (fd < 0)
		return -1;
	for (i = 0; i < SERVER_THREADS; i++)
		if (alpc_send(fd, ALPC_MSG_DATAGRAM, NULL, 0, 0, 0, HANG_NS, NULL))
			ret = -1;
	for (i = 0; i < SERVER_THREADS; i++)
		pthread_join(threads[i], NULL);
	close(fd);
	return ret;
}

/* A lockdep kernel is a debug kernel, with KASAN and the rest. */
static unsigned int requests_per_thread(void)
{
	return access("/proc/lockdep", F_OK) ? REQUESTS : REQUESTS_DEBUG;
}

/* Every request of every client thread is answered exactly once, in order. */
TEST_F_TIMEOUT(stress, every_request_answered_once_in_order, 600)
{
	unsigned int requests = requests_per_thread();
	unsigned long total = (unsigned long)CLIENTS * CLIENT_THREADS * requests;
	struct server *s = self->srv;
	__s64 t0, dt;
	int i, t;

	t0 = alpc_now_ns();
	for (i = 0; i < CLIENTS; i++) {
		self->pids[i] = start_client(self->dev, self->name, i, requests, self->shared);
		ASSERT_LT(0, self->pids[i]);
	}
	ASSERT_EQ(0, start_server(s, self->threads));
	for (i = 0; i < CLIENTS; i++) {
		EXPECT_EQ(0, alpc_wait_child(self->pids[i])) {
			TH_LOG("client %d failed", i);
		}
		self->pids[i] = 0;
	}
	ASSERT_EQ(0, stop_server(self->dev, self->name, self->threads));
	dt = alpc_now_ns() - t0;
	TH_LOG("%lu round trips in %lld ms: %lld us each", total,
	       (long long)(dt / ALPC_NS_PER_MS), (long long)(dt / 1000 / total));

	EXPECT_EQ(0, s->errors) {
		TH_LOG("server: %s", s->first_error);
	}
	EXPECT_EQ(CLIENTS, s->accepted);
	EXPECT_EQ(total, s->requests);
	EXPECT_EQ(total, s->replies_ok);
	EXPECT_EQ(0, s->replies_lost);
	EXPECT_EQ(0, s->canceled);
	for (i = 0; i < CLIENTS; i++) {
		EXPECT_EQ(1, s->rundowns[i]) {
			TH_LOG("client %d: %d rundowns", i, s->rundowns[i]);
		}
		EXPECT_EQ(CLIENT_THREADS * requests, self->shared->progress[i]);
		for (t = 0; t < CLIENT_THREADS; t++)
			EXPECT_EQ(requests, s->next_seq[i][t]);
	}
}

/* Clients killed at random points are run down one by one; the others are served. */
TEST_F_TIMEOUT(stress, killed_clients_are_run_down_and_others_served, 600)
{
	unsigned int seed, target[KILL_CLIENTS] = { 0 };
	bool victim[KILL_CLIENTS] = { false };
	struct server *s = self->srv;
	const char *env;
	int i, t, n;
	__s64 t0;

	env = getenv("ALPC_STRESS_SEED");
	seed = env ? strtoul(env, NULL, 0) : (unsigned int)(alpc_now_ns() ^ getpid());
	TH_LOG("seed %u (ALPC_STRESS_SEED=%u repeats this run)", seed, seed);
	srand(seed);
	for (n = 0; n < KILL_VICTIMS;) {
		i = rand() % KILL_CLIENTS;
		if (victim[i])
			continue;
		victim[i] = true;
		/* Anywhere from right after connecting to well into the run. */
		target[i] = rand() % (KILL_REQUESTS * CLIENT_THREADS / 2);
		n++;
	}

	for (i = 0; i < KILL_CLIENTS; i++) {
		/* Victims never finish on their own. */
		self->pids[i] = start_client(self->dev, self->name, i,
					     victim[i] ? ~0U : KILL_REQUESTS, self->shared);
		ASSERT_LT(0, self->pids[i]);
	}
	ASSERT_EQ(0, start_server(s, self->threads));

	/* Wait until all are connected, so each connection must run down. */
	t0 = alpc_now_ns();
	while (atomic_load(&s->accepted) < KILL_CLIENTS) {
		ASSERT_GT(HANG_NS, alpc_now_ns() - t0);
		alpc_sleep_ms(1);
	}
	for (i = 0; i < KILL_CLIENTS; i++) {
		if (!victim[i])
			continue;
		t0 = alpc_now_ns();
		while (atomic_load(&self->shared->progress[i]) < target[i]) {
			ASSERT_GT(HANG_NS, alpc_now_ns() - t0) {
				TH_LOG("client %d: %u of %u round trips", i,
				       self->shared->progress[i], target[i]);
			}
			alpc_sleep_ms(1);
		}
		ASSERT_EQ(0, kill(self->pids[i], SIGKILL));
		TH_LOG("killed client %d after %u round trips", i,
		       atomic_load(&self->shared->progress[i]));
	}
	for (i = 0; i < KILL_CLIENTS; i++) {
		EXPECT_EQ(victim[i] ? 128 + SIGKILL : 0, alpc_wait_child(self->pids[i])) {
			TH_LOG("client %d", i);
		}
		self->pids[i] = 0;
	}
	ASSERT_EQ(0, stop_server(self->dev, self->name, self->threads));

	EXPECT_EQ(0, s->errors) {
		TH_LOG("server: %s", s->first_error);
	}
	EXPECT_EQ(KILL_CLIENTS, s->accepted);
	/* Each request received was answered once; some answers were lost with their client. */
	EXPECT_EQ(s->requests, s->replies_ok + s->replies_lost);
	TH_LOG("%lu requests, %lu replies lost, %lu canceled", (unsigned long)s->requests,
	       (unsigned long)s->replies_lost, (unsigned long)s->canceled);
	for (i = 0; i < KILL_CLIENTS; i++) {
		EXPECT_EQ(1, s->rundowns[i]) {
			TH_LOG("client %d: %d rundowns", i, s->rundowns[i]);
		}
		if (victim[i])
			continue;
		EXPECT_EQ(CLIENT_THREADS * KILL_REQUESTS, self->shared->progress[i]);
		for (t = 0; t < CLIENT_THREADS; t++)
			EXPECT_EQ(KILL_REQUESTS, s->next_seq[i][t]);
	}
}

/* How many connections the close race test opens and closes under traffic. */
#define RACE_ROUNDS	300

struct racer {
	int fd;
	bool server;
	atomic_int stop;
	atomic_int done;
	atomic_uint calls;
	int bad_errno;	/* an errno no rundown explains, or 0 */
};

/* Sends (client) or serves (server) on @fd until told to stop or the connection is gone. */
static void *race_loop(void *arg)
{
	struct racer *r = arg;
	struct alpc_reply_recv rr;
	struct alpc_send_wait sw;
	char buf[16];
	__u64 ref = 0;
	int ret;

	while (!atomic_load(&r->stop)) {
		if (r->server) {
			alpc_reply_recv_init(&rr, ref, "r", 1, buf, sizeof(buf),
					     20 * ALPC_NS_PER_MS);
			ret = alpc_reply_recv(r->fd, &rr);
			ref = 0;
			if (ret == 0 && rr.recv.info.type == ALPC_MSG_REQUEST)
				ref = rr.recv.info.id;
		} else {
			alpc_send_wait_init(&sw, "q", 1, buf, sizeof(buf), 20 * ALPC_NS_PER_MS);
			ret = alpc_send_wait(r->fd, &sw);
		}
		atomic_fetch_add(&r->calls, 1);
		if (ret == 0 || errno == ETIMEDOUT)
			continue;
		if (errno != EBADF && errno != ECONNRESET)
			r->bad_errno = errno;
		break;
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/*
 * Closing a port while another thread is inside an ioctl on it: the
 * connection runs down when that ioctl drops its reference, with the
 * other side in the middle of its own calls. Nothing to see but the
 * errnos; the point is the debug kernel's KASAN, lockdep and kmemleak.
 */
TEST_F_TIMEOUT(stress, close_races_with_calls_in_flight, 300)
{
	struct racer client, server;
	int round, comm, sfd, cfd;
	unsigned int target;
	pthread_t ct, st;

	srand(getpid());
	close(self->srv->port);
	self->srv->port = -1;
	for (round = 0; round < RACE_ROUNDS; round++) {
		bool use_comm = round % 2;
		int victim = round % 3;	/* 0: client, 1: server, 2: both */

		self->srv->port = alpc_create_port(self->dev, self->name, NULL, 0);
		ASSERT_LE(0, self->srv->port);
		comm = -1;
		cfd = alpc_connect_accept(self->dev, self->srv->port, self->name, 1,
					  use_comm ? ALPC_ACCEPT_COMM_PORT : 0, &comm, NULL);
		ASSERT_LE(0, cfd);
		sfd = use_comm ? comm : self->srv->port;
		client = (struct racer){ .fd = cfd };
		server = (struct racer){ .fd = sfd, .server = true };
		ASSERT_EQ(0, pthread_create(&ct, NULL, race_loop, &client));
		ASSERT_EQ(0, pthread_create(&st, NULL, race_loop, &server));
		target = rand() % 8;
		while (atomic_load(&client.calls) < target && !atomic_load(&client.done))
			sched_yield();

		/* Pull one side or both from under the threads; no fd is opened until they end. */
		if (victim != 1)
			close(cfd);
		if (victim != 0)
			close(sfd);
		atomic_store(&client.stop, 1);
		atomic_store(&server.stop, 1);
		pthread_join(ct, NULL);
		pthread_join(st, NULL);
		EXPECT_EQ(0, client.bad_errno) {
			TH_LOG("round %d: client: %s", round, strerror(client.bad_errno));
		}
		EXPECT_EQ(0, server.bad_errno) {
			TH_LOG("round %d: server: %s", round, strerror(server.bad_errno));
		}
		if (victim == 1)
			close(cfd);
		if (victim == 0)
			close(sfd);
		if (use_comm)
			close(self->srv->port);
		self->srv->port = -1;
	}
}

TEST_HARNESS_MAIN
