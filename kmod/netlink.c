// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the generic netlink family lands. */
#include "netlink.h"

int alpc_netlink_init(void)
{
	return 0;
}

void alpc_netlink_uninit(void)
{
}

void alpc_nl_port_event(struct alpc_port *port, bool created)
{
}

void alpc_nl_conn_event(struct alpc_conn *conn, bool created)
{
}
