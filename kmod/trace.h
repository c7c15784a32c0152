/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of alpc: perf record -e 'alpc:*', or trace-cmd. Ports and
 * connections are named by ids that never repeat, and messages by their
 * ids; a reply's or a cancel's ref_id is its request's id, so one
 * request can be followed from send to reply.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM alpc

#if !defined(_ALPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ALPC_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/alpc.h>

#include "compat.h"

TRACE_EVENT(alpc_port_create,
	    TP_PROTO(u64 port_id, const char *name),
	    TP_ARGS(port_id, name),
	    TP_STRUCT__entry(__field(u64, port_id)
			     __string(name, name)),
	    TP_fast_assign(__entry->port_id = port_id;
			   alpc_assign_str(name, name);),
	    TP_printk("port=%llu name=%s", __entry->port_id, __get_str(name))
);

TRACE_EVENT(alpc_connect,
	    TP_PROTO(u64 port_id, u64 conn_id, u64 req_id, u32 len, bool async),
	    TP_ARGS(port_id, conn_id, req_id, len, async),
	    TP_STRUCT__entry(__field(u64, port_id)
			     __field(u64, conn_id)
			     __field(u64, req_id)
			     __field(u32, len)
			     __field(bool, async)),
	    TP_fast_assign(__entry->port_id = port_id;
			   __entry->conn_id = conn_id;
			   __entry->req_id = req_id;
			   __entry->len = len;
			   __entry->async = async;),
	    TP_printk("port=%llu conn=%llu req=%llu len=%u async=%d", __entry->port_id,
		      __entry->conn_id, __entry->req_id, __entry->len, __entry->async)
);

TRACE_EVENT(alpc_accept,
	    TP_PROTO(u64 conn_id, u64 req_id, u64 port_context, bool rejected,
		     bool comm_port),
	    TP_ARGS(conn_id, req_id, port_context, rejected, comm_port),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __field(u64, req_id)
			     __field(u64, port_context)
			     __field(bool, rejected)
			     __field(bool, comm_port)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   __entry->req_id = req_id;
			   __entry->port_context = port_context;
			   __entry->rejected = rejected;
			   __entry->comm_port = comm_port;),
	    TP_printk("conn=%llu req=%llu context=%llu %s%s", __entry->conn_id,
		      __entry->req_id, __entry->port_context,
		      __entry->rejected ? "rejected" : "accepted",
		      __entry->comm_port ? " comm_port" : "")
);

DECLARE_EVENT_CLASS(alpc_msg_class,
		    TP_PROTO(u64 conn_id, u64 id, u64 ref_id, u32 type, u32 len),
		    TP_ARGS(conn_id, id, ref_id, type, len),
		    TP_STRUCT__entry(__field(u64, conn_id)
				     __field(u64, id)
				     __field(u64, ref_id)
				     __field(u32, type)
				     __field(u32, len)),
		    TP_fast_assign(__entry->conn_id = conn_id;
				   __entry->id = id;
				   __entry->ref_id = ref_id;
				   __entry->type = type;
				   __entry->len = len;),
		    TP_printk("conn=%llu id=%llu ref=%llu type=%s len=%u",
			      __entry->conn_id, __entry->id, __entry->ref_id,
			      __print_symbolic(__entry->type,
					       { ALPC_MSG_REQUEST, "request" },
					       { ALPC_MSG_DATAGRAM, "datagram" },
					       { ALPC_MSG_REPLY, "reply" },
					       { ALPC_MSG_CONNECTION_REQUEST, "conn_request" },
					       { ALPC_MSG_PORT_CLOSED, "port_closed" },
					       { ALPC_MSG_CLIENT_DIED, "client_died" },
					       { ALPC_MSG_CANCELED, "canceled" }),
			      __entry->len)
);

DEFINE_EVENT(alpc_msg_class, alpc_send,
	     TP_PROTO(u64 conn_id, u64 id, u64 ref_id, u32 type, u32 len),
	     TP_ARGS(conn_id, id, ref_id, type, len));

DEFINE_EVENT(alpc_msg_class, alpc_receive,
	     TP_PROTO(u64 conn_id, u64 id, u64 ref_id, u32 type, u32 len),
	     TP_ARGS(conn_id, id, ref_id, type, len));

DEFINE_EVENT(alpc_msg_class, alpc_reply,
	     TP_PROTO(u64 conn_id, u64 id, u64 ref_id, u32 type, u32 len),
	     TP_ARGS(conn_id, id, ref_id, type, len));

TRACE_EVENT(alpc_cancel,
	    TP_PROTO(u64 conn_id, u64 req_id, int status),
	    TP_ARGS(conn_id, req_id, status),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __field(u64, req_id)
			     __field(int, status)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   __entry->req_id = req_id;
			   __entry->status = status;),
	    TP_printk("conn=%llu req=%llu status=%d", __entry->conn_id,
		      __entry->req_id, __entry->status)
);

TRACE_EVENT(alpc_section_map,
	    TP_PROTO(u64 conn_id, u64 size, u64 offset, u64 len, bool readonly),
	    TP_ARGS(conn_id, size, offset, len, readonly),
	    TP_STRUCT__entry(__field(u64, conn_id)
			     __field(u64, size)
			     __field(u64, offset)
			     __field(u64, len)
			     __field(bool, readonly)),
	    TP_fast_assign(__entry->conn_id = conn_id;
			   __entry->size = size;
			   __entry->offset = offset;
			   __entry->len = len;
			   __entry->readonly = readonly;),
	    TP_printk("conn=%llu section_size=%llu offset=%llu len=%llu %s",
		      __entry->conn_id, __entry->size, __entry->offset, __entry->len,
		      __entry->readonly ? "ro" : "rw")
);

TRACE_EVENT(alpc_close,
	    TP_PROTO(u64 port_id, u64 conn_id, const char *what),
	    TP_ARGS(port_id, conn_id, what),
	    TP_STRUCT__entry(__field(u64, port_id)
			     __field(u64, conn_id)
			     __string(what, what)),
	    TP_fast_assign(__entry->port_id = port_id;
			   __entry->conn_id = conn_id;
			   alpc_assign_str(what, what);),
	    TP_printk("port=%llu conn=%llu %s", __entry->port_id, __entry->conn_id,
		      __get_str(what))
);

#endif /* _ALPC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
