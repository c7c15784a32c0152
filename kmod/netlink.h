/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_NETLINK_H
#define _ALPC_NETLINK_H

#include "port.h"

/*
 * The generic netlink family "alpc" (netlink.c): dumps of ports and
 * connections, and a multicast group of port and connection events.
 *
 * The event hooks are called without any port lock held, from the
 * context of the task that caused the event.
 */
int alpc_netlink_init(void);
void alpc_netlink_uninit(void);

void alpc_nl_port_event(struct alpc_port *port, bool created);
void alpc_nl_conn_event(struct alpc_conn *conn, bool created);

#endif /* _ALPC_NETLINK_H */
