/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * alpc: Windows-style ALPC ports for Linux.
 *
 * This header is the whole interface between the alpc module and user
 * space. Every ioctl below is issued on an fd of the misc device
 * /dev/alpc unless its block says otherwise.
 *
 * Conventions, for every ioctl:
 *  - Structures are copied in once; the kernel never re-reads user memory
 *    after validating it.
 *  - Unknown bits in a flags word, and non-zero reserved fields, fail
 *    with EINVAL and change nothing.
 *  - An argument pointer, or a user pointer inside a structure, that
 *    cannot be read or written fails with EFAULT.
 *  - An ioctl number the object does not know fails with ENOTTY.
 *
 * User space probes what the loaded module offers with
 * ALPC_IOC_GET_FEATURES before relying on anything newer than version 1.
 */
#ifndef _UAPI_LINUX_ALPC_H
#define _UAPI_LINUX_ALPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ALPC_DEVICE_PATH	"/dev/alpc"

/* Incremented on every change of this header that user space can see. */
#define ALPC_API_VERSION	5

#define ALPC_IOC_MAGIC		0xA7

/**
 * DOC: ALPC_IOC_GET_FEATURES
 *
 * Reports the interface version and what the module supports.
 *
 * In:  @flags, must be 0; @reserved, must be 0.
 * Out: @version, ALPC_API_VERSION of the running module;
 *      @features, a mask of ALPC_FEAT_* bits.
 *
 * Errors: EINVAL (non-zero @flags or @reserved), EFAULT.
 */
struct alpc_features {
	__u32 version;
	__u32 flags;
	__u64 features;
	__u64 reserved[4];
};

/* Connection ports, connect/accept and short messages (version 1). */
#define ALPC_FEAT_PORTS		(1ULL << 0)
/* Sections, views and direct access to a request's data (version 2). */
#define ALPC_FEAT_SECTIONS	(1ULL << 1)
/* ALPC_IOC_BATCH (version 2). */
#define ALPC_FEAT_BATCH		(1ULL << 2)
/* Completion ports, their ring, asynchronous connect (version 2). */
#define ALPC_FEAT_COMPLETION	(1ULL << 3)
/*
 * Port security descriptors, secure connect, credential-change flags,
 * supplementary groups, pidfds, fd passing, max_fds and max_sections
 * (version 3).
 */
#define ALPC_FEAT_SECURITY	(1ULL << 4)
/* The generic netlink family ALPC_GENL_NAME: dumps, totals, events (version 3). */
#define ALPC_FEAT_NETLINK	(1ULL << 5)
/* ALPC_IOC_SEND_DGRAMS and ALPC_IOC_RECV_DGRAMS (version 4). */
#define ALPC_FEAT_DGRAMS	(1ULL << 6)
/*
 * Receives never block a queue: a view or fds the receiver cannot take
 * arrive flagged ALPC_MSGF_VIEW_LOST or ALPC_MSGF_FDS_LOST instead of
 * failing the receive (version 5).
 */
#define ALPC_FEAT_LOST_FLAGS	(1ULL << 7)
#define ALPC_FEAT_ALL		(ALPC_FEAT_PORTS | ALPC_FEAT_SECTIONS | ALPC_FEAT_BATCH | \
				 ALPC_FEAT_COMPLETION | ALPC_FEAT_SECURITY | ALPC_FEAT_NETLINK | \
				 ALPC_FEAT_DGRAMS | ALPC_FEAT_LOST_FLAGS)

#define ALPC_IOC_GET_FEATURES	_IOWR(ALPC_IOC_MAGIC, 0x00, struct alpc_features)

/*
 * Ports and messages
 * ==================
 *
 * A server creates a named *connection port* (ALPC_IOC_CREATE_PORT on
 * /dev/alpc, an fd). A client connects by name (ALPC_IOC_CONNECT on
 * /dev/alpc); the server receives a CONNECTION_REQUEST on its connection
 * port and answers with ALPC_IOC_ACCEPT, which accepts or rejects. An
 * accepted client gets a *client communication port* fd. The server may
 * take a *server communication port* fd for that one connection; if it
 * does not, everything the client sends arrives on the connection port,
 * told apart by the port context the server chose at accept.
 *
 * Names live in the IPC namespace of the creating process. Port fds are
 * close-on-exec unless ALPC_FD_INHERIT is given, and report readiness
 * through poll/epoll: EPOLLIN when a message is queued, EPOLLOUT
 * (communication ports) when a send of max_msg_len bytes would not wait
 * for queue space, EPOLLHUP
 * (communication ports) when the connection is gone.
 *
 * Timeouts: every call that can wait takes timeout_ns: negative waits
 * without limit, 0 does not wait (EAGAIN where it would have to), a
 * positive value waits at most that long (ETIMEDOUT). The resolution is
 * the scheduler tick. Waits are interruptible: a signal ends them with
 * EINTR, and they are never restarted, because a restarted send could
 * deliver a message twice.
 *
 * Message ids are assigned by the kernel, unique for the life of the
 * module, and never 0.
 */

#define ALPC_NAME_MAX		64	/* bytes, including the terminating NUL */
#define ALPC_MSG_DEFAULT_MAX	256	/* default inline payload limit */
#define ALPC_MSG_LIMIT		65536	/* the highest inline limit a port may set */

/* Message types, in alpc_msg_info.type and alpc_send.type. */
enum alpc_msg_type {
	ALPC_MSG_REQUEST		= 1,	/* expects exactly one reply */
	ALPC_MSG_DATAGRAM		= 2,	/* no reply */
	ALPC_MSG_REPLY			= 3,	/* ref_id: the request answered */
	ALPC_MSG_CONNECTION_REQUEST	= 4,	/* answer with ALPC_IOC_ACCEPT */
	ALPC_MSG_PORT_CLOSED		= 5,	/* the client closed its communication port */
	ALPC_MSG_CLIENT_DIED		= 6,	/* the client's process exited holding it */
	/* ref_id: a request its sender canceled; it carries no view, region or fds */
	ALPC_MSG_CANCELED		= 7,
};

/*
 * struct alpc_port_attr - limits of a connection port and its connections
 * @flags:            ALPC_PORT_* bits
 * @max_msg_len:      inline payload limit in bytes, for connection data,
 *                    messages and accept data; 0 means
 *                    ALPC_MSG_DEFAULT_MAX, at most ALPC_MSG_LIMIT
 * @max_queued_msgs:  per connection and direction: messages queued and
 *                    requests not yet answered; 0 means 64, at most 65536
 * @max_queued_bytes: per connection and direction, payload bytes of the
 *                    same; 0 means 64 KiB; at least @max_msg_len, at
 *                    most 64 MiB
 * @max_connections:  connected and connecting clients; 0 means 1024, at
 *                    most 65536 (more fail with EAGAIN)
 * @max_fds:          with ALPC_PORT_ALLOW_FDS, the fds one message may
 *                    carry: 0 means 16, at most ALPC_FDS_MAX; without the
 *                    flag, must be 0
 * @max_sections:     per connection, sections alive at once (more fail
 *                    with ENOBUFS); 0 means 64, at most 4096
 * @max_views:        views the server side holds mapped at once: mappings
 *                    made by receives on the connection port and on server
 *                    communication ports, until they are unmapped (a
 *                    mapping the server splits, mremaps or forks counts
 *                    once per piece). A view over the limit arrives as
 *                    ALPC_MSGF_VIEW_LOST, so no client can make the server
 *                    map more; 0 means no limit but the process's own
 *                    (vm.max_map_count, RLIMIT_AS). Version 5
 *                    (ALPC_FEAT_LOST_FLAGS); before, must be 0
 * @max_section_size: the largest section a connection may create; 0
 *                    means 64 MiB, at most 1 GiB
 * @max_section_bytes: per connection, all its sections together, charged
 *                    in whole pages (the limit in force is rounded up to
 *                    whole pages); 0 means 128 MiB, at most 4 GiB, at
 *                    least @max_section_size
 *
 * A request and its reply are charged to the request's sender from send
 * until the reply is received (or the request canceled or dropped), so
 * the replier never waits for queue space.
 */
struct alpc_port_attr {
	__u32 flags;
	__u32 max_msg_len;
	__u32 max_queued_msgs;
	__u32 max_queued_bytes;
	__u32 max_connections;
	__u32 max_fds;
	__u32 max_sections;
	__u32 max_views;
	__u64 max_section_size;
	__u64 max_section_bytes;
};

/* Requests on this port may let their receiver reach into the sender's memory. */
#define ALPC_PORT_DIRECT_ACCESS	(1U << 0)
/* Messages on this port may carry fds (struct alpc_msg_attrs, ALPC_ATTR_FDS). */
#define ALPC_PORT_ALLOW_FDS	(1U << 1)

#define ALPC_FDS_MAX		253	/* as SCM_MAX_FD */

/* Flags of ALPC_IOC_CREATE_PORT, ALPC_IOC_CONNECT and ALPC_IOC_ACCEPT for the new fd. */
#define ALPC_FD_INHERIT		(1U << 31)	/* no O_CLOEXEC */

/**
 * DOC: ALPC_IOC_CREATE_PORT
 *
 * Creates a named connection port; returns its fd.
 *
 * In:  @name, NUL-terminated, 1 to ALPC_NAME_MAX - 1 bytes;
 *      @attr, see struct alpc_port_attr (0 fields take defaults);
 *      @flags, 0 or ALPC_FD_INHERIT; @mode, the connect permission (see
 *      struct alpc_security), 0 meaning 0600; @reserved, 0.
 * Out: @attr holds the limits in force (defaults filled in).
 *
 * The port's security descriptor starts as: owner the caller's effective
 * uid and gid, @mode, no entries. The name is freed when the connection
 * port's last fd is closed.
 *
 * Errors: EEXIST (the name is taken in this IPC namespace), EINVAL (empty
 * or unterminated name, limits out of range, bits of @mode outside 0777,
 * unknown flags, reserved fields), EMFILE, ENFILE, ENOMEM, EFAULT.
 */
struct alpc_create_port {
	char name[ALPC_NAME_MAX];
	struct alpc_port_attr attr;
	__u32 flags;
	__u32 mode;
	__u32 reserved[2];
};

/*
 * Security descriptors
 * ====================
 *
 * struct alpc_ace - one entry of a port's access list
 * @type: ALPC_ACE_ALLOW_UID, ALPC_ACE_DENY_UID, ALPC_ACE_ALLOW_GID or
 *        ALPC_ACE_DENY_GID
 * @id:   the uid or gid, in the caller's user namespace
 *
 * struct alpc_security - who may connect to a connection port
 * @uid, @gid: the owner, in the caller's user namespace (GET: the
 *        overflow ids if unmapped there)
 * @mode: permission bits as a file's (0 to 0777); a client may connect
 *        if the class it falls in has write permission (S_IWUSR, S_IWGRP,
 *        S_IWOTH), as connecting to a UNIX socket needs write permission.
 *        The read and execute bits are kept and grant nothing.
 * @count: entries in @acl, 0 to ALPC_ACL_MAX
 * @acl:  checked in order before @mode: the first entry that names the
 *        client (its effective uid; its effective gid or a supplementary
 *        group) decides; if none does, @mode decides
 * @reserved: 0
 *
 * The check runs at connect, against the connecting thread's credentials:
 * a refused client gets EACCES and the server sees nothing. No capability
 * bypasses it. Entries past @count must be 0.
 */
struct alpc_ace {
	__u32 type;
	__u32 id;
};

#define ALPC_ACE_ALLOW_UID	1
#define ALPC_ACE_DENY_UID	2
#define ALPC_ACE_ALLOW_GID	3
#define ALPC_ACE_DENY_GID	4

#define ALPC_ACL_MAX		32

struct alpc_security {
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 count;
	__u64 reserved[2];
	struct alpc_ace acl[ALPC_ACL_MAX];
};

/**
 * DOC: ALPC_IOC_GET_SECURITY, ALPC_IOC_SET_SECURITY
 *
 * Read or replace a connection port's security descriptor. Issued on
 * /dev/alpc with the port's @name (in the caller's IPC namespace), or on
 * the connection port's fd with @name empty (all zero).
 *
 * Only the port's owner (effective uid) or a holder of CAP_SYS_ADMIN in
 * the user namespace the port was created in may read or change it.
 * Changing the owner uid takes CAP_SYS_ADMIN there; the owner may set the
 * owner gid to its effective gid or one of its supplementary groups.
 * A new descriptor applies to connects from then on, not to clients
 * already connected.
 *
 * In:  @name or the port fd; @sd for SET; @flags and @reserved, 0.
 * Out: @sd for GET.
 *
 * Errors: EPERM (not the owner, or a change of owner without the
 * capability), ENOENT (no such name), EINVAL (bad @sd: mode bits, @count,
 * entry types, unmapped ids, non-zero unused entries or reserved fields;
 * a name given on a port fd), ENOTTY (a communication port), EFAULT.
 */
struct alpc_port_security {
	char name[ALPC_NAME_MAX];
	__u32 flags;
	__u32 reserved;
	struct alpc_security sd;
};

/**
 * DOC: ALPC_IOC_CONNECT
 *
 * Connects to a named connection port and waits for the server's answer;
 * returns the client communication port's fd.
 *
 * In:  @name; @len bytes of connection data at @buf (at most the port's
 *      max_msg_len); @timeout_ns; @reply_size bytes of room at @reply_buf
 *      for the server's accept or reject data; @flags, 0 or
 *      ALPC_FD_INHERIT; @reserved, 0.
 * Out: @reply_len, the length of the server's data, of which
 *      min(@reply_len, @reply_size) bytes were copied to @reply_buf (also
 *      on ECONNREFUSED).
 *
 * The port's security descriptor is checked first: a client it does not
 * allow gets EACCES, and the server sees nothing. With
 * ALPC_CONNECT_SERVER_UID, the port must be owned by @server_uid (in the
 * caller's user namespace), or the connect fails with EPERM: a client
 * cannot be fooled by another user that took the name first. With
 * ALPC_CONNECT_PIDFD, @pidfd is a pidfd of the calling process
 * (pidfd_open(getpid(), 0)); the server may then get a pidfd of it with
 * each message it receives from this process (ALPC_RECV_PIDFD).
 *
 * The server sees a CONNECTION_REQUEST with the connection data and the
 * caller's pid, tid, uid and gid. A connect that ends without an answer
 * (timeout, signal) is withdrawn: the server's later accept fails with
 * ENOENT, and a server that had already received the request gets a
 * CANCELED message whose ref_id is its id.
 *
 * Before anything is sent, the call writes a zero to the first and last
 * byte of min(@reply_size, ALPC_MSG_LIMIT) at @reply_buf, so that a
 * buffer it cannot write fails with EFAULT before the server hears of
 * it. Should the answer still not be writable (another thread unmapped
 * the buffer meanwhile), or no fd number be left for the new port
 * (EMFILE), the connection is closed and the server gets PORT_CLOSED.
 *
 * With ALPC_CONNECT_ASYNC the call does not wait: it returns the client
 * communication port at once, associated with the completion port
 * @completion_fd under @key, and the answer arrives there as an entry of
 * kind ALPC_COMPLETION_CONNECT (status 0, -ECONNREFUSED or -ECONNRESET).
 * An answered connect's entry names, by msg_id, the REPLY that holds the
 * server's data, queued on the port. Until then, sends fail with ENOTCONN and
 * receives wait. @timeout_ns must be negative: close the fd to give up.
 * @reply_buf, @reply_size and @reply_len are unused (0).
 *
 * Errors: ENOENT (no such name), EACCES (the port's descriptor refuses
 * the caller), EPERM (not owned by @server_uid), ECONNREFUSED (rejected),
 * ETIMEDOUT, EINTR, ECONNRESET (the port was closed while waiting), EAGAIN
 * (the port has max_connections clients), EMSGSIZE (@len over the
 * limit), EINVAL (also: @pidfd is not a pidfd of the caller, or
 * @server_uid is unmapped), EFAULT, EMFILE, ENOMEM; EBADF (@completion_fd
 * is not a completion port, or @pidfd is not an open fd).
 */
struct alpc_connect {
	char name[ALPC_NAME_MAX];
	__u32 flags;
	__u32 len;
	__aligned_u64 buf;
	__s64 timeout_ns;
	__u32 reply_size;
	__u32 reply_len;
	__aligned_u64 reply_buf;
	__u32 server_uid;
	__s32 pidfd;
	__u64 reserved;
	__s32 completion_fd;
	__u32 reserved0;
	__u64 key;
};

#define ALPC_CONNECT_ASYNC	(1U << 0)
#define ALPC_CONNECT_SERVER_UID	(1U << 1)	/* @server_uid must own the port */
#define ALPC_CONNECT_PIDFD	(1U << 2)	/* @pidfd is the caller's pidfd */

#define ALPC_ACCEPT_REJECT	(1U << 0)	/* refuse the connection */
#define ALPC_ACCEPT_COMM_PORT	(1U << 1)	/* return a server communication port fd */
#define ALPC_ACCEPT_PIDFD	(1U << 2)	/* @pidfd is the caller's pidfd */

/**
 * DOC: ALPC_IOC_ACCEPT
 *
 * Issued on a connection port: answers a CONNECTION_REQUEST it received.
 * Returns 0, or the new server communication port's fd with
 * ALPC_ACCEPT_COMM_PORT.
 *
 * In:  @id of the CONNECTION_REQUEST; @flags, ALPC_ACCEPT_* and
 *      ALPC_FD_INHERIT; @port_context, attached by the kernel to every
 *      later message from this client; @len bytes of data for the client
 *      at @buf; with ALPC_ACCEPT_PIDFD, @pidfd, a pidfd of the calling
 *      process, as for ALPC_IOC_CONNECT; @reserved, 0.
 *
 * The accepting thread's credentials are the server's "as at connect"
 * credentials, against which ALPC_MSGF_CRED_CHANGED is judged for
 * messages to the client.
 *
 * Errors: ENOENT (no such pending request on this port, already answered,
 * or the client gave up), EINVAL (REJECT with COMM_PORT, unknown flags,
 * reserved fields, @pidfd not the caller's pidfd), EBADF, EMSGSIZE,
 * EFAULT, EMFILE, ENOMEM, ENOTTY (not a connection port).
 */
struct alpc_accept {
	__u64 id;
	__u32 flags;
	__u32 len;
	__aligned_u64 buf;
	__u64 port_context;
	__s32 pidfd;
	__u32 reserved0;
	__u64 reserved;
};

/*
 * struct alpc_msg_info - what a receiver learns of a message
 * @id:           kernel-assigned message id
 * @ref_id:       REPLY: the request's id; CANCELED: the canceled request's
 *                id; CONNECTION_REQUEST: 0; otherwise 0
 * @context:      the sender's message context (0 for kernel notifications)
 * @port_context: the connection's port context, on the server side
 *                (0 until accepted, and on the client side)
 * @type:         enum alpc_msg_type
 * @flags:        ALPC_MSGF_* bits
 * @len:          payload length; when the receive fails with EMSGSIZE,
 *                the room needed
 * @pid, @tid:    the sender's process and thread, in the receiver's pid
 *                namespace (0 if not visible there); for PORT_CLOSED and
 *                CLIENT_DIED, the client's as captured at connect
 * @uid, @gid:    the sender's effective ids (as SO_PEERCRED reports
 *                them), in the receiver's user namespace (the overflow
 *                ids if unmapped)
 * @nfds:         with ALPC_MSGF_FDS, the fds the message carries (see
 *                ALPC_MSGF_FDS_LOST for those that could not be installed)
 * @view_addr, @view_len: with ALPC_MSGF_VIEW, the view the message
 *                carried, mapped into the receiver by the receive: its
 *                first byte and length. The mapping spans the whole pages
 *                around it (so neighbouring bytes of the section in those
 *                pages are visible too) and is the receiver's to munmap.
 *                Read-only with ALPC_MSGF_VIEW_READONLY: mprotect() cannot
 *                make it writable.
 * @region_len:   with ALPC_MSGF_REGION_READ or _WRITE (requests only),
 *                the length of the sender's memory the receiver may read
 *                or write with ALPC_IOC_ACCESS while the request is
 *                outstanding
 */
struct alpc_msg_info {
	__u64 id;
	__u64 ref_id;
	__u64 context;
	__u64 port_context;
	__u32 type;
	__u32 flags;
	__u32 len;
	__s32 pid;
	__s32 tid;
	__u32 uid;
	__u32 gid;
	__u32 nfds;
	__aligned_u64 view_addr;
	__u64 view_len;
	__u64 region_len;
};

/* alpc_msg_info.flags */
#define ALPC_MSGF_VIEW		(1U << 0)
#define ALPC_MSGF_VIEW_READONLY	(1U << 1)
#define ALPC_MSGF_REGION_READ	(1U << 2)
#define ALPC_MSGF_REGION_WRITE	(1U << 3)
/*
 * The sender's credentials differ from those it had at connect (or, for
 * the server, at accept): its real, effective, saved or filesystem uid or
 * gid, or its supplementary groups changed (setuid(), setgroups(), an
 * execve() of a set-id program, ...).
 */
#define ALPC_MSGF_CRED_CHANGED	(1U << 4)
#define ALPC_MSGF_FDS		(1U << 5)	/* @nfds fds came with it */
#define ALPC_MSGF_PIDFD		(1U << 6)	/* extra.pidfd is the sender's */
/*
 * The message carried a view the receive could not map (the receiver is
 * out of address space or mappings: RLIMIT_AS, vm.max_map_count, memory,
 * or the port's max_views): @view_addr is 0, and the view went with the
 * message.
 */
#define ALPC_MSGF_VIEW_LOST	(1U << 7)
/*
 * Not all of the message's @nfds fds were installed (the receiver is out
 * of fd numbers, EMFILE or ENFILE, or an LSM refused one; or, in
 * ALPC_IOC_SEND_WAIT, @extra had no room for them): extra.nfds says how
 * many were, and the rest were closed, as MSG_CTRUNC says for
 * SCM_RIGHTS.
 */
#define ALPC_MSGF_FDS_LOST	(1U << 8)

/*
 * struct alpc_msg_attrs - what a message carries besides its payload
 * @flags:        ALPC_ATTR_VIEW and/or ALPC_ATTR_REGION
 * @section_fd:   ALPC_ATTR_VIEW: a section of this connection (made with
 *                ALPC_IOC_CREATE_SECTION on either of its communication
 *                ports); a section of another connection gives EINVAL
 * @view_flags:   0 or ALPC_VIEW_READONLY
 * @view_offset, @view_len: the view, inside the section (EINVAL if not;
 *                any byte offset); the receiver gets it mapped, and not a
 *                byte of it is copied
 * @region_addr, @region_len, @region_flags: ALPC_ATTR_REGION, requests
 *                only, on ports with ALPC_PORT_DIRECT_ACCESS (else EPERM):
 *                a range of the sender's memory its receiver may read
 *                (ALPC_REGION_READ) or write (ALPC_REGION_WRITE) with
 *                ALPC_IOC_ACCESS until the request is answered or canceled
 * @fds, @nfds:   ALPC_ATTR_FDS, on ports with ALPC_PORT_ALLOW_FDS (else
 *                EPERM): an array of @nfds (1 to the port's max_fds) open
 *                fds, sent like SCM_RIGHTS: the receiver gets new fds for
 *                the same open files. Fds of alpc ports, UNIX sockets
 *                and io_urings are refused (EINVAL): each can hold other
 *                files open (a queue, fds in flight, registered files), so
 *                a queue could come to hold its own port open for ever.
 *                Files in a message that is never received (canceled, or
 *                purged at rundown) are released.
 * @reserved0, @reserved1, @reserved2: 0
 */
struct alpc_msg_attrs {
	__u32 flags;
	__u32 reserved0;
	__s32 section_fd;
	__u32 view_flags;
	__u64 view_offset;
	__u64 view_len;
	__aligned_u64 region_addr;
	__u64 region_len;
	__u32 region_flags;
	__u32 reserved1;
	__aligned_u64 fds;
	__u32 nfds;
	__u32 reserved2;
};

#define ALPC_ATTR_VIEW		(1U << 0)
#define ALPC_ATTR_REGION	(1U << 1)
#define ALPC_ATTR_FDS		(1U << 2)
#define ALPC_VIEW_READONLY	(1U << 0)
#define ALPC_REGION_READ	(1U << 0)
#define ALPC_REGION_WRITE	(1U << 1)

/**
 * DOC: ALPC_IOC_SEND
 *
 * Issued on a communication port (REQUEST, DATAGRAM, REPLY) or a
 * connection port (REPLY only): sends one message to the other end of
 * the connection.
 *
 * In:  @type; @len bytes at @buf (at most the port's max_msg_len);
 *      @context, handed to the receiver; @ref_id, for a REPLY the id of
 *      the request answered, otherwise 0; @timeout_ns, how long to wait
 *      for queue space; @attrs, 0 or a struct alpc_msg_attrs (a view, a
 *      direct-access region); @flags and @reserved, 0.
 * Out: @id, the message's id (the id a REPLY to a REQUEST will carry in
 *      its ref_id).
 *
 * A REPLY is accepted only from the fd that received the request, once,
 * while the request is outstanding; a reply never waits for queue space.
 *
 * Errors: EMSGSIZE (nothing queued), EAGAIN (queue full and @timeout_ns
 * 0), ETIMEDOUT, EINTR, ECONNRESET (the connection is gone), ENOENT (REPLY
 * to an id that is not an outstanding request received on this fd:
 * unknown, answered, canceled, or another connection's), EPERM (REPLY to
 * a request this fd sent), EOPNOTSUPP (REQUEST or DATAGRAM on a
 * connection port), EINVAL, EFAULT, ENOMEM.
 */
struct alpc_send {
	__u32 type;
	__u32 flags;
	__u32 len;
	__u32 reserved0;
	__aligned_u64 buf;
	__u64 context;
	__u64 ref_id;
	__s64 timeout_ns;
	__u64 id;
	__u64 reserved[2];
	__aligned_u64 attrs;
};

/**
 * DOC: ALPC_IOC_RECV
 *
 * Receives the oldest message queued for this fd: on a connection port,
 * connection requests and every client's messages (unless its server
 * took a communication port); on a communication port, the other end's
 * messages and replies to requests sent with ALPC_IOC_SEND.
 *
 * In:  @size bytes of room at @buf; @timeout_ns; @flags, ALPC_RECV_*;
 *      @extra, 0 or a struct alpc_recv_extra (needed to receive fds,
 *      groups or a pidfd); @reserved, 0.
 * Out: @info; the payload at @buf; what @extra asked for.
 *
 * A message that does not fit stays queued: EMSGSIZE, with @info.len set
 * to the room needed (and @info.nfds to the fds it carries, when
 * @extra.fds_size is too small). A receive that cannot write to @buf,
 * @info or @extra (EFAULT) leaves the message queued too, and leaves the
 * caller's fds and mappings as they were.
 *
 * Otherwise the receive takes the message, and whatever of it the
 * receiver cannot take does not stop it: a view that cannot be mapped
 * arrives as ALPC_MSGF_VIEW_LOST, fds that cannot be installed as
 * ALPC_MSGF_FDS_LOST (with @extra.nfds those that were), a pidfd that
 * cannot be as no ALPC_MSGF_PIDFD; so one message never blocks the
 * queue behind it. Once a receive has mapped a view or installed an fd
 * it undoes neither: should @info or @extra become unwritable during the
 * call (another thread unmapped them), it fails with EFAULT and the
 * message, view and fds are the caller's all the same.
 *
 * Errors: EAGAIN (nothing queued, @timeout_ns 0), ETIMEDOUT, EINTR,
 * EMSGSIZE, ECONNRESET (communication port: the connection is gone and
 * nothing is left to receive), EINVAL, EFAULT.
 */
struct alpc_recv {
	__u32 flags;
	__u32 size;
	__aligned_u64 buf;
	__s64 timeout_ns;
	struct alpc_msg_info info;
	__aligned_u64 extra;
	__u64 reserved;
};

#define ALPC_RECV_GROUPS	(1U << 0)	/* fill extra.groups */
#define ALPC_RECV_PIDFD		(1U << 1)	/* fill extra.pidfd */
#define ALPC_RECV_FD_INHERIT	(1U << 2)	/* received fds without O_CLOEXEC */

/*
 * struct alpc_recv_extra - the parts of a received message that need room
 * @fds:         room for @fds_size __s32: the new fds, when the message
 *               carries some (ALPC_MSGF_FDS); too little room fails the
 *               receive with EMSGSIZE and leaves the message queued
 * @nfds:        out: fds written
 * @groups:      ALPC_RECV_GROUPS: room for @groups_size __u32, the
 *               sender's supplementary groups at send time, in the
 *               receiver's user namespace (the overflow gid if unmapped);
 *               without the flag, @groups and @groups_size must be 0
 * @ngroups:     out: the sender's number of groups (more than
 *               @groups_size: only @groups_size were written)
 * @pidfd:       out: ALPC_RECV_PIDFD, a pidfd of the sending process (with
 *               ALPC_MSGF_PIDFD), or -1: the process did not register one
 *               at connect or accept (ALPC_CONNECT_PIDFD), or is not the
 *               one that did, or is a kernel notification
 * @reserved:    0
 *
 * A CONNECTION_REQUEST is the client's message: it carries the client's
 * groups and, if it connected with ALPC_CONNECT_PIDFD, its pidfd.
 * PORT_CLOSED, CLIENT_DIED, CANCELED and connect answers carry none.
 * Use the pidfd, not @pid, to act on the sender: a pid may be reused
 * once its process is gone.
 */
struct alpc_recv_extra {
	__aligned_u64 fds;
	__u32 fds_size;
	__u32 nfds;
	__aligned_u64 groups;
	__u32 groups_size;
	__u32 ngroups;
	__s32 pidfd;
	__u32 reserved[3];
};

/**
 * DOC: ALPC_IOC_SEND_WAIT
 *
 * Issued on a communication port: sends a REQUEST and waits for its
 * reply, in one call.
 *
 * In:  @len bytes at @buf; @context; @timeout_ns, for the whole call;
 *      @reply_size bytes of room at @reply_buf; @attrs as for
 *      ALPC_IOC_SEND; @flags, ALPC_RECV_* for the reply; @extra, 0 or a
 *      struct alpc_recv_extra for the reply; @reserved, 0.
 * Out: @id, the request's id; @reply, the reply's info (@reply.len may
 *      exceed @reply_size: then the reply was cut to @reply_size bytes
 *      and the call fails with EMSGSIZE; fds it carried that found no
 *      room in @extra are closed, with the same error and
 *      ALPC_MSGF_FDS_LOST); what @extra asked for.
 *
 * Before sending, the call writes a zero to the first and the last byte
 * of the reply's room at @reply_buf (at most the port's max_msg_len), so
 * that a buffer it cannot write fails with EFAULT before anything is
 * sent; the buffer's contents are undefined unless a reply arrived. A
 * reply whose delivery still fails (another thread unmapped @reply_buf
 * or the struct meanwhile) is not lost: the call fails with EFAULT and
 * the reply waits at the head of this fd's queue for ALPC_IOC_RECV, its
 * @ref_id the request's @id. The reply's view and fds arrive as
 * ALPC_IOC_RECV describes.
 *
 * A wait that ends without a reply (timeout, signal, the connection
 * closing) cancels the request: if the receiver already has it, it gets
 * a CANCELED message and its reply fails with ENOENT.
 *
 * Errors: those of ALPC_IOC_SEND, and EMSGSIZE for a cut reply.
 */
struct alpc_send_wait {
	__u32 flags;
	__u32 len;
	__aligned_u64 buf;
	__u64 context;
	__s64 timeout_ns;
	__u32 reply_size;
	__u32 reserved0;
	__aligned_u64 reply_buf;
	__u64 id;
	struct alpc_msg_info reply;
	__aligned_u64 extra;
	__u64 reserved;
	__aligned_u64 attrs;
};

/**
 * DOC: ALPC_IOC_REPLY_RECV
 *
 * A server's loop in one call: replies to one request, then receives the
 * next message as ALPC_IOC_RECV does.
 *
 * In:  @ref_id, the request to answer (0: receive only); @len bytes at
 *      @buf; @context; @attrs, 0 or the reply's struct alpc_msg_attrs
 *      (a view); @recv as for ALPC_IOC_RECV; @flags and @reserved, 0.
 * Out: @reply_status, 0 or the negative errno of the reply (ENOENT when
 *      the client canceled or went away: a lost reply is part of normal
 *      life and does not stop the receive); @reply_id, the reply's id;
 *      @recv.
 *
 * Errors: those of ALPC_IOC_RECV; EINVAL, EFAULT, EMSGSIZE or ENOMEM in
 * the reply part fail the call before anything is sent.
 */
struct alpc_reply_recv {
	__u64 ref_id;
	__u32 flags;
	__u32 len;
	__aligned_u64 buf;
	__u64 context;
	__u64 reply_id;
	__s32 reply_status;
	__u32 reserved0;
	struct alpc_recv recv;
	__aligned_u64 attrs;
};

/**
 * DOC: ALPC_IOC_CANCEL
 *
 * Cancels a request sent on this communication port and not yet
 * answered. A request still queued is withdrawn; one the receiver
 * already has is reported to it as a CANCELED message, and its reply then
 * fails with ENOENT. A thread waiting in ALPC_IOC_SEND_WAIT for it wakes
 * with ECANCELED.
 *
 * In:  @id; @flags and @reserved, 0.
 *
 * Errors: ENOENT (no outstanding request with that id sent on this fd;
 * a connection request is not one: close the fd to give up a connect),
 * EINVAL, EFAULT.
 */
struct alpc_cancel {
	__u64 id;
	__u32 flags;
	__u32 reserved;
};

/**
 * DOC: ALPC_IOC_CREATE_SECTION
 *
 * Issued on a communication port: creates a section of @size bytes for
 * this connection, zero-filled, and returns its fd. mmap() it (MAP_SHARED
 * only) to fill it; name it in a message's view to hand a range of it to
 * the other end. The pages are charged to the caller's memory cgroup and
 * to the connection's max_section_bytes, and freed when the last fd,
 * mapping and message that references them are gone.
 *
 * The mappings are VM_PFNMAP (remap_pfn_range): the pages cannot be used
 * for O_DIRECT I/O, pinned with get_user_pages(), or sent with vmsplice().
 *
 * In:  @size, 1 to the port's max_section_size; @flags, 0 or
 *      ALPC_FD_INHERIT; @reserved0 and @reserved, 0.
 *
 * Errors: EINVAL (size 0 or over max_section_size, flags, reserved),
 * ENOMEM (the connection's max_section_bytes, or memory), ENOBUFS (the
 * connection has max_sections sections), EMFILE, EFAULT, ENOTTY (not a
 * communication port).
 */
struct alpc_create_section {
	__u64 size;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * DOC: ALPC_IOC_ACCESS
 *
 * Issued by the receiver of an outstanding request that carried a
 * direct-access region (ALPC_MSGF_REGION_*): reads (ALPC_ACCESS_READ) or
 * writes (ALPC_ACCESS_WRITE) @len bytes at @offset of that region, in the
 * sender's memory, from or to @buf. Only on the fd that received the
 * request, only while it is outstanding: once it is answered or canceled
 * the call fails and touches nothing, and the sender does not return from
 * waiting for the answer, from canceling, or from closing its
 * communication port (close(), or exit) while an access is under way.
 * The access copies a page at a time and checks between pages, so that
 * wait is at most one page's copy; but a page of the sender's memory that
 * must be faulted in (from FUSE, swap, or a userfaultfd) makes both wait
 * for as long as the fault takes. A lent range registered with a
 * userfaultfd is faulted in like any other; a page the fault cannot bring
 * (SIGBUS) ends the access with EFAULT.
 *
 * In:  @id, the request; @op; @offset and @len, inside the region; @buf;
 *      @reserved, 0.
 * Out: @done, bytes transferred (less than @len only if the sender's
 *      memory faulted: then EFAULT).
 *
 * Errors: ENOENT (no such outstanding request received on this fd),
 * EPERM (no region, or not with this right), EINVAL (outside the region,
 * op, reserved), EFAULT, ESRCH (the sender is gone).
 */
struct alpc_access {
	__u64 id;
	__u32 op;
	__u32 reserved;
	__u64 offset;
	__u64 len;
	__aligned_u64 buf;
	__u64 done;
};

#define ALPC_ACCESS_READ	1
#define ALPC_ACCESS_WRITE	2

/*
 * struct alpc_batch_op - one operation of ALPC_IOC_BATCH
 * @op:     ALPC_OP_SEND (a struct alpc_send: request, datagram or reply),
 *          ALPC_OP_RECV (a struct alpc_recv) or ALPC_OP_CANCEL (a struct
 *          alpc_cancel)
 * @result: out: 0 or the negative errno the same ioctl would have given
 * @arg:    the operation's structure, read and written as by its ioctl
 */
struct alpc_batch_op {
	__u32 op;
	__s32 result;
	__aligned_u64 arg;
};

#define ALPC_OP_SEND		1
#define ALPC_OP_RECV		2
#define ALPC_OP_CANCEL		3

#define ALPC_BATCH_MAX		256

/**
 * DOC: ALPC_IOC_BATCH
 *
 * Issued on a connection or communication port: performs @count
 * operations in order, as the separate ioctls would, in one system call.
 * Each operation's outcome is in its @result; one that fails does not
 * stop the others. Consecutive sends are queued together, so their
 * receiver is woken once for the lot rather than once per message.
 *
 * In:  @ops, an array of @count (1 to ALPC_BATCH_MAX) struct
 *      alpc_batch_op; @flags and @reserved, 0.
 * Out: @done, the operations performed (all, unless the ops array itself
 *      faulted); each op's @result.
 *
 * Errors: EINVAL (@count, @flags, @reserved, an unknown @op: nothing is
 * performed), EFAULT (the ops array).
 */
struct alpc_batch {
	__aligned_u64 ops;
	__u32 count;
	__u32 flags;
	__u32 done;
	__u32 reserved;
};

/**
 * DOC: ALPC_IOC_SEND_DGRAMS and ALPC_IOC_RECV_DGRAMS
 *
 * Many plain datagrams in one buffer and one system call, for streams of
 * small messages where the per-operation structures of ALPC_IOC_BATCH
 * cost more than the payloads. A datagram is a struct alpc_dgram header
 * followed by @len payload bytes, padded to a multiple of 8
 * (ALPC_DGRAM_SIZE(len) in all); the next one follows. The receiver gets
 * the padding of a datagram sent this way zeroed, and that of one sent
 * with ALPC_IOC_SEND untouched.
 * Each datagram is an ordinary DATAGRAM message: it is charged, counted,
 * posted to a completion port and received (with ALPC_IOC_RECV too) one
 * by one.
 *
 * ALPC_IOC_SEND_DGRAMS, on a communication port:
 * In:  @count (1 to ALPC_BATCH_MAX) datagrams in the @size bytes at @buf,
 *      exactly, padding included, each header with @len (at most the port's
 *      max_msg_len) and @context, its @id, @port_context and @flags 0;
 *      @timeout_ns, how long to wait for queue room; @flags and
 *      @reserved, 0.
 * Out: @done, @count; @bytes, the bytes of @buf they took; @first_id:
 *      the datagrams have the consecutive ids @first_id, @first_id + 1, ...
 *
 * All or none: every header is checked first, and the datagrams are
 * queued together once the connection has room for all of them, or not
 * at all. A bundle that could never fit, more datagrams than the port's
 * max_queued_msgs or more payload bytes than its max_queued_bytes, is
 * EMSGSIZE, as is a @size over @count records of max_msg_len bytes, or
 * over max_queued_bytes and @count headers and paddings (these are
 * checked before the headers are read). poll()'s EPOLLOUT says there is
 * room for one message, not for a bundle: a sender woken by it should
 * send with a timeout rather than 0, and single sends from other threads
 * of the same connection may take room as it frees.
 *
 * ALPC_IOC_RECV_DGRAMS, on a connection or communication port:
 * In:  @size bytes of room at @buf; @count (1 to ALPC_BATCH_MAX), the
 *      most datagrams to take; @timeout_ns, how long to wait for the
 *      first; @flags and @reserved, 0.
 * Out: @done datagrams at @buf, oldest first, each header with its @id,
 *      @context, @port_context (as alpc_msg_info's), @len and @flags
 *      (ALPC_MSGF_CRED_CHANGED); @bytes, the bytes of their records;
 *      @first_id, the id of the first.
 *
 * It takes datagrams from the head of the queue for as long as they are
 * plain (no view, no fds) and fit; others stay queued for ALPC_IOC_RECV.
 * The sender's pid and uid are not reported: on a communication port it
 * is the connection's peer (ALPC_MSGF_CRED_CHANGED says when it acts with
 * other credentials than at connect); ALPC_IOC_RECV reports them.
 *
 * A receive whose @buf faults part way succeeds with the datagrams
 * written before the fault; the one that could not be written stays
 * queued, with those after it. One that cannot write its results back
 * leaves every datagram it took queued, and fails with EFAULT.
 *
 * Errors, SEND: EMSGSIZE, EAGAIN (no room and @timeout_ns 0),
 * ETIMEDOUT, EINTR, ECONNRESET, ENOTCONN, EOPNOTSUPP (on a connection
 * port), EINVAL, EFAULT, ENOMEM: nothing was queued (but for an EFAULT
 * writing the results back once they were: the struct is checked for
 * that at the start, as ALPC_IOC_SEND checks @id). RECV: EAGAIN,
 * ETIMEDOUT, EINTR, ECONNRESET, as ALPC_IOC_RECV; ENOMSG (the oldest
 * message is not a plain datagram), EMSGSIZE (the oldest datagram does
 * not fit: @bytes is the room it needs); EFAULT (nothing was taken);
 * EINVAL.
 */
struct alpc_dgrams {
	__aligned_u64 buf;
	__u32 size;
	__u32 count;
	__s64 timeout_ns;
	__u32 flags;
	__u32 done;
	__u32 bytes;
	__u32 reserved;
	__u64 first_id;
};

struct alpc_dgram {
	__u64 id;
	__u64 context;
	__u64 port_context;
	__u32 len;
	__u32 flags;
};

#define ALPC_DGRAM_SIZE(len)	(sizeof(struct alpc_dgram) + (((__u64)(len) + 7) & ~(__u64)7))

/**
 * DOC: Completion ports
 *
 * A completion port gathers the events of many ports for one waiter. It
 * wraps an eventfd the caller made, so any event loop (epoll, io_uring,
 * asio, libuv) can wait for it. A port or communication port associated
 * with it (ALPC_IOC_ASSOCIATE) under a key posts an entry for every
 * message queued on it: the entry names the port by @key and the message
 * by @msg_id and @kind (its ALPC_MSG_* type), and the eventfd's count
 * grows by one. The message itself stays queued: receive it from the port
 * the key stands for. Asynchronous connects post ALPC_COMPLETION_CONNECT.
 *
 * Entries are taken with ALPC_IOC_DEQUEUE, or without a system call from
 * the ring mapped from the completion port's fd (mmap at offset 0,
 * MAP_SHARED, sizeof(struct alpc_ring) + ring_entries entries): the
 * kernel writes entries at @tail and publishes @tail with release order;
 * the reaper reads from @head to @tail (acquire) and stores @head back
 * (release). Overflow rule: when the ring is full, entries wait in the
 * kernel in order, and ALPC_RING_OVERFLOW is set; while any wait, new
 * entries wait behind them, so order is kept. Nothing is lost: drain the
 * ring, then ALPC_IOC_DEQUEUE until it returns fewer than asked, and the
 * flag clears. Only if the kernel cannot hold a waiting entry (64Ki of
 * them, or no memory free at once: entries are posted under the port's
 * lock, where waiting for reclaim would stall every client of the port)
 * is it counted in @dropped with ALPC_RING_DROPPED; recover by receiving
 * from every associated port until EAGAIN.
 *
 * Several threads may wait in ALPC_IOC_DEQUEUE; each entry wakes one.
 */
struct alpc_completion {
	__u64 key;
	__u64 msg_id;
	__u32 kind;
	__s32 status;
	__u64 reserved;
};

#define ALPC_COMPLETION_CONNECT	64	/* kind: an asynchronous connect was answered */

struct alpc_ring {
	__u32 head;
	__u32 tail;
	__u32 mask;
	__u32 flags;
	__u64 dropped;
	__u64 reserved[5];
	/* ring_entries struct alpc_completion follow, at sizeof(struct alpc_ring) */
};

#define ALPC_RING_OVERFLOW	(1U << 0)
#define ALPC_RING_DROPPED	(1U << 1)
#define ALPC_RING_MAX		65536

/**
 * DOC: ALPC_IOC_CREATE_COMPLETION
 *
 * Issued on /dev/alpc: creates a completion port; returns its fd, which
 * polls readable while entries are waiting.
 *
 * In:  @eventfd, signalled once per entry; @ring_entries, 0 (no ring) or
 *      a power of two up to ALPC_RING_MAX; @flags, 0 or ALPC_FD_INHERIT;
 *      @reserved, 0.
 *
 * Errors: EBADF (not an eventfd), EINVAL, ENOMEM, EMFILE, EFAULT.
 */
struct alpc_create_completion {
	__s32 eventfd;
	__u32 ring_entries;
	__u32 flags;
	__u32 reserved;
	__u64 reserved2[2];
};

/**
 * DOC: ALPC_IOC_ASSOCIATE
 *
 * Issued on a connection or communication port: associates it with the
 * completion port @completion_fd under @key, replacing any earlier
 * association, or ends it (@completion_fd -1). Messages already queued
 * post nothing; the association ends when either fd's last reference is
 * closed (a closed completion port takes no more entries).
 *
 * Errors: EBADF (not a completion port), EINVAL, EFAULT.
 */
struct alpc_associate {
	__s32 completion_fd;
	__u32 flags;
	__u64 key;
	__u64 reserved[2];
};

/**
 * DOC: ALPC_IOC_DEQUEUE
 *
 * Issued on a completion port: takes up to @max entries, the ring's first,
 * waiting up to @timeout_ns for the first one. Do not reap the ring from
 * another thread at the same time.
 *
 * In:  @entries, room for @max (1 to 1024) struct alpc_completion;
 *      @timeout_ns; @flags and @reserved, 0.
 * Out: @count, entries written.
 *
 * Errors: EAGAIN (none, @timeout_ns 0), ETIMEDOUT, EINTR, EINVAL, EFAULT.
 */
struct alpc_dequeue {
	__aligned_u64 entries;
	__u32 max;
	__u32 count;
	__s64 timeout_ns;
	__u32 flags;
	__u32 reserved;
};

#define ALPC_IOC_CREATE_PORT	_IOWR(ALPC_IOC_MAGIC, 0x01, struct alpc_create_port)
#define ALPC_IOC_CONNECT	_IOWR(ALPC_IOC_MAGIC, 0x02, struct alpc_connect)
#define ALPC_IOC_GET_SECURITY	_IOWR(ALPC_IOC_MAGIC, 0x03, struct alpc_port_security)
#define ALPC_IOC_SET_SECURITY	_IOW(ALPC_IOC_MAGIC, 0x04, struct alpc_port_security)
#define ALPC_IOC_ACCEPT		_IOW(ALPC_IOC_MAGIC, 0x10, struct alpc_accept)
#define ALPC_IOC_SEND		_IOWR(ALPC_IOC_MAGIC, 0x11, struct alpc_send)
#define ALPC_IOC_RECV		_IOWR(ALPC_IOC_MAGIC, 0x12, struct alpc_recv)
#define ALPC_IOC_SEND_WAIT	_IOWR(ALPC_IOC_MAGIC, 0x13, struct alpc_send_wait)
#define ALPC_IOC_REPLY_RECV	_IOWR(ALPC_IOC_MAGIC, 0x14, struct alpc_reply_recv)
#define ALPC_IOC_CANCEL		_IOW(ALPC_IOC_MAGIC, 0x15, struct alpc_cancel)
#define ALPC_IOC_CREATE_SECTION	_IOW(ALPC_IOC_MAGIC, 0x20, struct alpc_create_section)
#define ALPC_IOC_ACCESS		_IOWR(ALPC_IOC_MAGIC, 0x21, struct alpc_access)
#define ALPC_IOC_BATCH		_IOWR(ALPC_IOC_MAGIC, 0x30, struct alpc_batch)
#define ALPC_IOC_SEND_DGRAMS	_IOWR(ALPC_IOC_MAGIC, 0x31, struct alpc_dgrams)
#define ALPC_IOC_RECV_DGRAMS	_IOWR(ALPC_IOC_MAGIC, 0x32, struct alpc_dgrams)
#define ALPC_IOC_CREATE_COMPLETION _IOW(ALPC_IOC_MAGIC, 0x40, struct alpc_create_completion)
#define ALPC_IOC_ASSOCIATE	_IOW(ALPC_IOC_MAGIC, 0x41, struct alpc_associate)
#define ALPC_IOC_DEQUEUE	_IOWR(ALPC_IOC_MAGIC, 0x42, struct alpc_dequeue)

/**
 * DOC: Generic netlink
 *
 * The module registers the generic netlink family ALPC_GENL_NAME (find
 * its id and the id of the group ALPC_GENL_MCGRP_EVENTS with the
 * "nlctrl" family, as for any generic netlink family). It is there in
 * every network namespace: what a caller sees depends on its IPC and PID
 * namespaces, not on its network namespace.
 *
 * Every message is a struct genlmsghdr (@version ALPC_GENL_VERSION, no
 * family header) followed by attributes of enum alpc_nl_attr, one flat
 * attribute space for all commands; each command's block below says which
 * attributes its messages carry. Attributes may be added to any message:
 * skip those you do not know.
 *
 * Requests are validated strictly: an attribute the command does not take,
 * an unknown attribute type, or a value of the wrong size or format fails
 * the request with EINVAL and an extended ack (NETLINK_EXT_ACK) whose
 * message and offset name the attribute. So do nlmsg_flags beyond
 * NLM_F_REQUEST, NLM_F_ACK, NLM_F_ECHO and NLM_F_DUMP, and a non-zero
 * genlmsghdr.reserved.
 *
 * What a caller sees: the ports of its own IPC namespace only; of those,
 * unless it has CAP_SYS_ADMIN in the user namespace the port was created
 * in, only the ports its effective uid owns or whose security descriptor
 * lets it connect (see struct alpc_security); and only those ports'
 * connections. Pids are given in the caller's PID namespace (0: not
 * visible there), uids and gids in its user namespace (the overflow ids if
 * unmapped there). The checks use the credentials and namespaces of the
 * task that sends the request, for every part of a dump, whoever reads
 * the later parts: a dump handed to another process shows it no more
 * than its starter may see.
 *
 * Dumps may span many reads. They come in id order and resume after the
 * last object given, so an object appears at most once even while ports
 * and connections come and go; a dump during which any came or went has
 * NLM_F_DUMP_INTR set in its later messages (at the latest in NLMSG_DONE):
 * repeat it for a consistent picture. Counters are read one port at a
 * time, each port's under its lock.
 */
#define ALPC_GENL_NAME		"alpc"
#define ALPC_GENL_VERSION	1
#define ALPC_GENL_MCGRP_EVENTS	"events"

/**
 * enum alpc_nl_cmd - generic netlink commands (genlmsghdr.cmd)
 * @ALPC_NL_CMD_UNSPEC: not a command
 * @ALPC_NL_CMD_GET_PORT: dump (NLM_F_DUMP) the connection ports, one
 *	message each, by id. Request attributes, both optional:
 *	%ALPC_NL_A_PORT_ID and %ALPC_NL_A_PORT_NAME (with both, the port
 *	must match both) give only that port; ENOENT if the caller sees no
 *	such port (with the extended ack message "no such port" where the
 *	kernel lets a dump's start give one: not 6.1). Each message: all the
 *	%ALPC_NL_A_PORT_* attributes.
 * @ALPC_NL_CMD_GET_CONN: dump the connections, connecting or connected,
 *	by port id and then connection id. Request attributes: as for
 *	%ALPC_NL_CMD_GET_PORT, for that port's connections only. Each
 *	message: %ALPC_NL_A_PORT_ID, %ALPC_NL_A_PORT_NAME and all the
 *	%ALPC_NL_A_CONN_* attributes.
 * @ALPC_NL_CMD_GET_STATS: totals over the ports the caller sees (no
 *	dump; no request attributes). The reply: all the
 *	%ALPC_NL_A_STATS_* attributes. Counters of ports that are gone are
 *	not in them.
 * @ALPC_NL_CMD_PORT_NEW: event: a port was created. As a GET_PORT message.
 * @ALPC_NL_CMD_PORT_DEL: event: a port's last fd was closed; its last
 *	state, as a GET_PORT message. Its connections end with it, and no
 *	%ALPC_NL_CMD_CONN_DEL is sent for them.
 * @ALPC_NL_CMD_CONN_NEW: event: a connection was accepted. As a GET_CONN
 *	message.
 * @ALPC_NL_CMD_CONN_DEL: event: an accepted connection was closed by its
 *	client or its server communication port (%ALPC_NL_A_CONN_STATE is
 *	%ALPC_NL_CONN_CLOSED). Connects that are rejected or withdrawn send
 *	no event.
 * @__ALPC_NL_CMD_LAST: not a command; %ALPC_NL_CMD_MAX is the last
 *
 * Events go to the multicast group ALPC_GENL_MCGRP_EVENTS, in the initial
 * network namespace only. Joining the group needs CAP_SYS_ADMIN in the
 * user namespace of the socket's network namespace (EPERM otherwise),
 * because events are not filtered per listener: they cover every IPC
 * namespace, with pids in the initial PID namespace and ids in the initial
 * user namespace, and %ALPC_NL_A_PORT_IPC_NS tells the namespaces apart.
 * An event that finds no memory is not sent; a listener that reads too
 * slowly gets ENOBUFS, as for any netlink multicast.
 */
enum alpc_nl_cmd {
	ALPC_NL_CMD_UNSPEC,
	ALPC_NL_CMD_GET_PORT,
	ALPC_NL_CMD_GET_CONN,
	ALPC_NL_CMD_GET_STATS,
	ALPC_NL_CMD_PORT_NEW,
	ALPC_NL_CMD_PORT_DEL,
	ALPC_NL_CMD_CONN_NEW,
	ALPC_NL_CMD_CONN_DEL,
	__ALPC_NL_CMD_LAST
};

#define ALPC_NL_CMD_MAX		(__ALPC_NL_CMD_LAST - 1)

/**
 * enum alpc_nl_attr - generic netlink attributes
 * @ALPC_NL_A_UNSPEC: not an attribute
 * @ALPC_NL_A_PAD: padding that aligns the 64-bit attributes; skip it
 *
 * @ALPC_NL_A_PORT_ID: u64, the port's id, unique for the life of the
 *	module, as in the alpc tracepoints; a request filter (0 names no
 *	port)
 * @ALPC_NL_A_PORT_NAME: NUL-terminated string, the port's name; a request
 *	filter (1 to ALPC_NAME_MAX - 1 bytes before the NUL)
 * @ALPC_NL_A_PORT_IPC_NS: u32, the inode number of the port's IPC
 *	namespace, as in the link /proc/PID/ns/ipc
 * @ALPC_NL_A_PORT_UID: u32, the owner of the port's security descriptor
 * @ALPC_NL_A_PORT_GID: u32, its owning group
 * @ALPC_NL_A_PORT_MODE: u32, its mode (0 to 0777)
 * @ALPC_NL_A_PORT_ACL_COUNT: u32, entries in its access list
 * @ALPC_NL_A_PORT_FLAGS: u32, the port's ALPC_PORT_* flags
 * @ALPC_NL_A_PORT_CONNS: u32, its connections, connecting or connected
 * @ALPC_NL_A_PORT_MAX_CONNS: u32, its max_connections
 * @ALPC_NL_A_PORT_QUEUED: u32, messages waiting on the connection port
 *	(connection requests, and messages of connections whose server took
 *	no communication port)
 * @ALPC_NL_A_PORT_REQUESTS: u32, requests on the port not answered yet,
 *	both ways, connection requests included
 * @ALPC_NL_A_PORT_MSGS_TO_SERVER: u64, messages clients sent on the port
 *	(connection requests included) since it was created
 * @ALPC_NL_A_PORT_BYTES_TO_SERVER: u64, their payload bytes
 * @ALPC_NL_A_PORT_MSGS_TO_CLIENT: u64, messages the server sent to
 *	clients (replies included)
 * @ALPC_NL_A_PORT_BYTES_TO_CLIENT: u64, their payload bytes
 * @ALPC_NL_A_PORT_SECTION_BYTES: u64, bytes of the sections its
 *	connections have alive (charged in whole pages)
 *
 * @ALPC_NL_A_CONN_ID: u64, the connection's id, as in the tracepoints
 * @ALPC_NL_A_CONN_STATE: u32, an enum alpc_nl_conn_state
 * @ALPC_NL_A_CONN_CLIENT_PID: u32, the process that connected
 * @ALPC_NL_A_CONN_CLIENT_UID: u32, its effective uid at connect
 * @ALPC_NL_A_CONN_SERVER_PID: u32, the process that accepted (0 until
 *	then)
 * @ALPC_NL_A_CONN_SERVER_UID: u32, its effective uid at accept (0 until
 *	then)
 * @ALPC_NL_A_CONN_QUEUED_TO_SERVER: u32, what counts against the port's
 *	max_queued_msgs for the client: messages it sent that the server has
 *	not received yet, and its requests not answered yet (then their
 *	replies, until it receives them)
 * @ALPC_NL_A_CONN_QUEUED_TO_CLIENT: u32, the same for the server's side
 * @ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER: u32, the bytes of the same
 *	(what counts against max_queued_bytes)
 * @ALPC_NL_A_CONN_QUEUED_BYTES_TO_CLIENT: u32, the same for the server's
 *	side
 * @ALPC_NL_A_CONN_REQUESTS: u32, requests on the connection not answered
 *	yet, both ways (a connection request while connecting)
 * @ALPC_NL_A_CONN_SECTIONS: u32, sections of the connection alive
 * @ALPC_NL_A_CONN_SECTION_BYTES: u64, their bytes (whole pages)
 *
 * @ALPC_NL_A_STATS_PORTS: u32, ports
 * @ALPC_NL_A_STATS_CONNS: u32, connections, connecting or connected
 * @ALPC_NL_A_STATS_QUEUED: u32, the sum of %ALPC_NL_A_PORT_QUEUED
 * @ALPC_NL_A_STATS_REQUESTS: u32, the sum of %ALPC_NL_A_PORT_REQUESTS
 * @ALPC_NL_A_STATS_MSGS_TO_SERVER: u64, the sum of
 *	%ALPC_NL_A_PORT_MSGS_TO_SERVER
 * @ALPC_NL_A_STATS_BYTES_TO_SERVER: u64, the sum of
 *	%ALPC_NL_A_PORT_BYTES_TO_SERVER
 * @ALPC_NL_A_STATS_MSGS_TO_CLIENT: u64, the sum of
 *	%ALPC_NL_A_PORT_MSGS_TO_CLIENT
 * @ALPC_NL_A_STATS_BYTES_TO_CLIENT: u64, the sum of
 *	%ALPC_NL_A_PORT_BYTES_TO_CLIENT
 * @ALPC_NL_A_STATS_SECTION_BYTES: u64, the sum of
 *	%ALPC_NL_A_PORT_SECTION_BYTES
 * @__ALPC_NL_A_LAST: not an attribute; %ALPC_NL_A_MAX is the last
 */
enum alpc_nl_attr {
	ALPC_NL_A_UNSPEC,
	ALPC_NL_A_PAD,
	ALPC_NL_A_PORT_ID,
	ALPC_NL_A_PORT_NAME,
	ALPC_NL_A_PORT_IPC_NS,
	ALPC_NL_A_PORT_UID,
	ALPC_NL_A_PORT_GID,
	ALPC_NL_A_PORT_MODE,
	ALPC_NL_A_PORT_ACL_COUNT,
	ALPC_NL_A_PORT_FLAGS,
	ALPC_NL_A_PORT_CONNS,
	ALPC_NL_A_PORT_MAX_CONNS,
	ALPC_NL_A_PORT_QUEUED,
	ALPC_NL_A_PORT_REQUESTS,
	ALPC_NL_A_PORT_MSGS_TO_SERVER,
	ALPC_NL_A_PORT_BYTES_TO_SERVER,
	ALPC_NL_A_PORT_MSGS_TO_CLIENT,
	ALPC_NL_A_PORT_BYTES_TO_CLIENT,
	ALPC_NL_A_PORT_SECTION_BYTES,
	ALPC_NL_A_CONN_ID,
	ALPC_NL_A_CONN_STATE,
	ALPC_NL_A_CONN_CLIENT_PID,
	ALPC_NL_A_CONN_CLIENT_UID,
	ALPC_NL_A_CONN_SERVER_PID,
	ALPC_NL_A_CONN_SERVER_UID,
	ALPC_NL_A_CONN_QUEUED_TO_SERVER,
	ALPC_NL_A_CONN_QUEUED_TO_CLIENT,
	ALPC_NL_A_CONN_QUEUED_BYTES_TO_SERVER,
	ALPC_NL_A_CONN_QUEUED_BYTES_TO_CLIENT,
	ALPC_NL_A_CONN_REQUESTS,
	ALPC_NL_A_CONN_SECTIONS,
	ALPC_NL_A_CONN_SECTION_BYTES,
	ALPC_NL_A_STATS_PORTS,
	ALPC_NL_A_STATS_CONNS,
	ALPC_NL_A_STATS_QUEUED,
	ALPC_NL_A_STATS_REQUESTS,
	ALPC_NL_A_STATS_MSGS_TO_SERVER,
	ALPC_NL_A_STATS_BYTES_TO_SERVER,
	ALPC_NL_A_STATS_MSGS_TO_CLIENT,
	ALPC_NL_A_STATS_BYTES_TO_CLIENT,
	ALPC_NL_A_STATS_SECTION_BYTES,
	__ALPC_NL_A_LAST
};

#define ALPC_NL_A_MAX		(__ALPC_NL_A_LAST - 1)

/* Values of ALPC_NL_A_CONN_STATE. */
enum alpc_nl_conn_state {
	ALPC_NL_CONN_CONNECTING	= 1,	/* waiting for the server's answer */
	ALPC_NL_CONN_CONNECTED	= 2,
	ALPC_NL_CONN_CLOSED	= 3,	/* only in ALPC_NL_CMD_CONN_DEL */
};

#endif /* _UAPI_LINUX_ALPC_H */
