// SPDX-License-Identifier: GPL-2.0
/*
 * Port security: descriptors and the connect check, ALPC_IOC_GET_SECURITY
 * and ALPC_IOC_SET_SECURITY, credential changes, and the callers' own
 * pidfds.
 *
 * A descriptor is an owner, a file-like mode and an ordered access list,
 * kept in kernel ids (kuid_t, kgid_t) and translated at the uapi
 * boundary, so it means the same thing in every user namespace. The check
 * runs in the connecting thread against its effective ids and groups, as
 * SO_PEERCRED and the message credentials report them. No capability
 * bypasses it: a port's owner decides who connects, root included.
 */

#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/magic.h>
#include <linux/nsproxy.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "compat.h"
#include "port.h"
#include "security.h"

#define ALPC_MODE_BITS	0777

void alpc_sd_init(struct alpc_sd *sd, const struct cred *cred, u32 mode)
{
	memset(sd, 0, sizeof(*sd));
	sd->uid = cred->euid;
	sd->gid = cred->egid;
	sd->mode = mode;
}

static int alpc_gid_cmp(const void *key, const void *elt)
{
	kgid_t a = *(const kgid_t *)key, b = *(const kgid_t *)elt;

	return gid_gt(a, b) - gid_lt(a, b);
}

/* groups_search() is not exported; group_info is kept sorted the same way. */
static bool alpc_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *gi = cred->group_info;

	if (gid_eq(cred->egid, gid))
		return true;
	return gi && bsearch(&gid, gi->gid, gi->ngroups, sizeof(gi->gid[0]), alpc_gid_cmp);
}

static bool alpc_ace_matches(const struct alpc_kace *ace, const struct cred *cred)
{
	switch (ace->type) {
	case ALPC_ACE_ALLOW_UID:
	case ALPC_ACE_DENY_UID:
		return uid_eq(cred->euid, ace->uid);
	default:
		return alpc_cred_in_group(cred, ace->gid);
	}
}

/* Returns 0 if @cred may connect to a port with descriptor @sd, else -EACCES. */
int alpc_sd_access(const struct alpc_sd *sd, const struct cred *cred)
{
	u32 bits;
	u32 i;

	for (i = 0; i < sd->count; i++) {
		const struct alpc_kace *ace = &sd->acl[i];

		if (alpc_ace_matches(ace, cred))
			return ace->type == ALPC_ACE_ALLOW_UID ||
			       ace->type == ALPC_ACE_ALLOW_GID ? 0 : -EACCES;
	}
	if (uid_eq(cred->euid, sd->uid))
		bits = sd->mode >> 6;
	else if (alpc_cred_in_group(cred, sd->gid))
		bits = sd->mode >> 3;
	else
		bits = sd->mode;
	return bits & 02 ? 0 : -EACCES;
}

int alpc_sd_from_user(struct alpc_sd *sd, const struct alpc_security *u,
		      struct user_namespace *ns)
{
	u32 i;

	if (u->mode & ~ALPC_MODE_BITS || u->count > ALPC_ACL_MAX ||
	    memchr_inv(u->reserved, 0, sizeof(u->reserved)) ||
	    memchr_inv(&u->acl[u->count], 0, (ALPC_ACL_MAX - u->count) * sizeof(u->acl[0])))
		return -EINVAL;
	memset(sd, 0, sizeof(*sd));
	sd->uid = make_kuid(ns, u->uid);
	sd->gid = make_kgid(ns, u->gid);
	if (!uid_valid(sd->uid) || !gid_valid(sd->gid))
		return -EINVAL;
	sd->mode = u->mode;
	sd->count = u->count;
	for (i = 0; i < u->count; i++) {
		struct alpc_kace *ace = &sd->acl[i];

		ace->type = u->acl[i].type;
		switch (ace->type) {
		case ALPC_ACE_ALLOW_UID:
		case ALPC_ACE_DENY_UID:
			ace->uid = make_kuid(ns, u->acl[i].id);
			if (!uid_valid(ace->uid))
				return -EINVAL;
			break;
		case ALPC_ACE_ALLOW_GID:
		case ALPC_ACE_DENY_GID:
			ace->gid = make_kgid(ns, u->acl[i].id);
			if (!gid_valid(ace->gid))
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

void alpc_sd_to_user(const struct alpc_sd *sd, struct alpc_security *u,
		     struct user_namespace *ns)
{
	u32 i;

	memset(u, 0, sizeof(*u));
	u->uid = from_kuid_munged(ns, sd->uid);
	u->gid = from_kgid_munged(ns, sd->gid);
	u->mode = sd->mode;
	u->count = sd->count;
	for (i = 0; i < sd->count; i++) {
		const struct alpc_kace *ace = &sd->acl[i];

		u->acl[i].type = ace->type;
		if (ace->type == ALPC_ACE_ALLOW_UID || ace->type == ALPC_ACE_DENY_UID)
			u->acl[i].id = from_kuid_munged(ns, ace->uid);
		else
			u->acl[i].id = from_kgid_munged(ns, ace->gid);
	}
}

static bool alpc_groups_equal(const struct group_info *a, const struct group_info *b)
{
	if (a == b)
		return true;
	if (!a || !b || a->ngroups != b->ngroups)
		return false;
	return !memcmp(a->gid, b->gid, a->ngroups * sizeof(a->gid[0]));
}

/*
 * Whether the ids or groups differ between @old and @now. Comparing the
 * cred pointers alone would flag every execve(), which always commits new
 * credentials.
 */
bool alpc_cred_changed(const struct cred *old, const struct cred *now)
{
	if (old == now)
		return false;
	return !uid_eq(old->uid, now->uid) || !uid_eq(old->euid, now->euid) ||
	       !uid_eq(old->suid, now->suid) || !uid_eq(old->fsuid, now->fsuid) ||
	       !gid_eq(old->gid, now->gid) || !gid_eq(old->egid, now->egid) ||
	       !gid_eq(old->sgid, now->sgid) || !gid_eq(old->fsgid, now->fsgid) ||
	       !alpc_groups_equal(old->group_info, now->group_info);
}

/*
 * Returns the file of @fd if it is a pidfd of the calling process, with a
 * reference; ERR_PTR(-EBADF) or ERR_PTR(-EINVAL) otherwise.
 *
 * No pidfd helper (pidfd_pid(), pidfd_get_pid()) is exported to modules.
 * A pidfd is an anonymous inode file with its struct pid in private_data
 * before 6.9, and a pidfs file with it in the inode's i_private since. No
 * other file on those two file systems keeps the caller's own struct pid
 * there, so comparing pointers identifies the caller's pidfd without
 * dereferencing anything the file does not own.
 */
struct file *alpc_pidfd_get(int fd)
{
	struct pid *self = task_tgid(current);
	struct file *file = fget(fd);
	unsigned long magic;

	if (!file)
		return ERR_PTR(-EBADF);
	magic = file_inode(file)->i_sb->s_magic;
	if ((magic == ANON_INODE_FS_MAGIC && file->private_data == self) ||
	    (magic == ALPC_PID_FS_MAGIC && file_inode(file)->i_private == self))
		return file;
	fput(file);
	return ERR_PTR(-EINVAL);
}

/*
 * Whether the caller needs CAP_SYS_ADMIN in the port's user namespace to
 * read @cur (@new NULL) or replace it with @new: unless it owns the port,
 * and, to replace it, keeps the owner and a group it is in.
 */
static bool alpc_sd_needs_admin(const struct alpc_sd *cur, const struct alpc_sd *new)
{
	if (!uid_eq(cur->uid, current_euid()))
		return true;
	/* Giving a port away, like chown, takes the capability. */
	return new && (!uid_eq(new->uid, cur->uid) ||
		       (!gid_eq(new->gid, cur->gid) && !in_egroup_p(new->gid)));
}

/*
 * ALPC_IOC_GET_SECURITY and ALPC_IOC_SET_SECURITY, on a connection port
 * (@end) or, with @end NULL, on /dev/alpc by name.
 */
int alpc_ioctl_security(struct alpc_end *end, unsigned int cmd,
			struct alpc_port_security __user *uarg)
{
	bool set = cmd == ALPC_IOC_SET_SECURITY;
	struct alpc_port_security *ps;
	struct alpc_port *port;
	struct alpc_sd sd;
	bool admin;
	int ret = 0;

	ps = memdup_user(uarg, sizeof(*ps));
	if (IS_ERR(ps))
		return PTR_ERR(ps);
	if (ps->flags || ps->reserved ||
	    (end ? !!memchr_inv(ps->name, 0, sizeof(ps->name)) : !alpc_name_valid(ps->name))) {
		ret = -EINVAL;
		goto out_free;
	}
	if (set) {
		ret = alpc_sd_from_user(&sd, &ps->sd, current_user_ns());
		if (ret)
			goto out_free;
	}
	if (end) {
		port = end->port;
		kref_get(&port->ref);
	} else {
		port = alpc_name_lookup(current->nsproxy->ipc_ns, ps->name);
		if (!port) {
			ret = -ENOENT;
			goto out_free;
		}
	}

	/* ns_capable() may log: asked without the lock, and only if needed. */
	mutex_lock(&port->lock);
	admin = alpc_sd_needs_admin(&port->sd, set ? &sd : NULL);
	mutex_unlock(&port->lock);
	admin = admin && ns_capable(port->user_ns, CAP_SYS_ADMIN);

	mutex_lock(&port->lock);
	if (!admin && alpc_sd_needs_admin(&port->sd, set ? &sd : NULL))
		ret = -EPERM;
	else if (set)
		port->sd = sd;
	else
		alpc_sd_to_user(&port->sd, &ps->sd, current_user_ns());
	mutex_unlock(&port->lock);
	alpc_port_put(port);
	if (!ret && !set && copy_to_user(&uarg->sd, &ps->sd, sizeof(ps->sd)))
		ret = -EFAULT;
out_free:
	kfree(ps);
	return ret;
}
