// SPDX-License-Identifier: GPL-2.0
/*
 * race_nl: netlink dumps (ports, connections, stats), some abandoned
 * mid-way, and an events listener, to run beside race_conn's churn.
 *   race_nl SECONDS
 */
#include "common.h"
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

static int family;

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (s >= 0)
		bind(s, (struct sockaddr *)&sa, sizeof(sa));
	return s;
}

static int nl_send(int s, int type, int cmd, int flags, const void *attrs, int alen)
{
	char buf[512];
	struct nlmsghdr *n = (void *)buf;
	struct genlmsghdr *g = NLMSG_DATA(n);

	memset(buf, 0, sizeof(buf));
	n->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + alen;
	n->nlmsg_type = type;
	n->nlmsg_flags = NLM_F_REQUEST | flags;
	n->nlmsg_seq = rnd();
	g->cmd = cmd;
	g->version = 1;
	memcpy((char *)g + GENL_HDRLEN, attrs, alen);
	return send(s, buf, n->nlmsg_len, 0);
}

/* Joins the first multicast group of @x (CTRL_ATTR_MCAST_GROUPS). */
static void join_group(struct nlattr *x)
{
	/* first group's id: nested(nested(id,name)) */
	struct nlattr *g = (void *)((char *)(x + 1) + NLA_HDRLEN);
	char *q = (char *)g, *qe = (char *)x + x->nla_len;

	while (q < qe) {
		struct nlattr *y = (void *)q;

		if (y->nla_type == CTRL_ATTR_MCAST_GRP_ID) {
			int grp = *(__u32 *)(y + 1);
			int ls = nl_open();

			setsockopt(ls, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp));
			fcntl(ls, F_SETFL, O_NONBLOCK);
			/* left open: events pile up unread (ENOBUFS) */
		}
		q += NLA_ALIGN(y->nla_len);
	}
}

static int resolve(void)
{
	char buf[8192], a[64];
	struct nlattr *na = (void *)a;
	int s = nl_open(), len;
	struct nlmsghdr *n;

	na->nla_type = CTRL_ATTR_FAMILY_NAME;
	strcpy((char *)(na + 1), "alpc");
	na->nla_len = NLA_HDRLEN + 5;
	nl_send(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, a, NLA_ALIGN(na->nla_len));
	len = recv(s, buf, sizeof(buf), 0);
	n = (void *)buf;
	if (len > 0 && n->nlmsg_type != NLMSG_ERROR) {
		char *p = (char *)NLMSG_DATA(n) + GENL_HDRLEN;
		char *e = (char *)n + n->nlmsg_len;

		while (p < e) {
			struct nlattr *x = (void *)p;

			if (x->nla_type == CTRL_ATTR_FAMILY_ID)
				family = *(__u16 *)(x + 1);
			if (x->nla_type == CTRL_ATTR_MCAST_GROUPS)
				join_group(x);
			p += NLA_ALIGN(x->nla_len);
		}
	}
	close(s);
	return family;
}

static atomic_long ndumps;

static void *dumper(void *arg)
{
	char buf[32768];

	(void)arg;
	while (!stop) {
		int s = nl_open();
		int cmd = 1 + rnd() % 3;	/* GET_PORT, GET_CONN, GET_STATS */
		int parts = 0;

		if (cmd == 3)
			nl_send(s, family, cmd, 0, NULL, 0);
		else
			nl_send(s, family, cmd, NLM_F_DUMP, NULL, 0);
		for (;;) {
			int len;
			struct nlmsghdr *n;

			if (rnd() % 16 == 0 && parts)
				break;	/* abandon the dump mid-way */
			len = recv(s, buf, rnd() % 2 ? sizeof(buf) : 4096, 0);
			if (len <= 0)
				break;
			n = (void *)buf;
			parts++;
			if (n->nlmsg_type == NLMSG_DONE || n->nlmsg_type == NLMSG_ERROR || cmd == 3)
				break;
		}
		close(s);
		atomic_fetch_add(&ndumps, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 30;

	if (!resolve()) {
		fprintf(stderr, "race_nl: no alpc family\n");
		return 1;
	}
	run_threads(2, dumper, secs);
	printf("race_nl: family %d, %ld dumps\n", family, (long)ndumps);
	return 0;
}
