/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_SECURITY_H
#define _ALPC_SECURITY_H

#include <linux/cred.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/alpc.h>

struct alpc_end;
struct file;
struct pid;

/* One access list entry, with its id in kernel form. */
struct alpc_kace {
	u32 type;		/* ALPC_ACE_* */
	union {
		kuid_t uid;
		kgid_t gid;
	};
};

/* A connection port's security descriptor; under the port's lock. */
struct alpc_sd {
	kuid_t uid;
	kgid_t gid;
	u32 mode;
	u32 count;
	struct alpc_kace acl[ALPC_ACL_MAX];
};

void alpc_sd_init(struct alpc_sd *sd, const struct cred *cred, u32 mode);
int alpc_sd_access(const struct alpc_sd *sd, const struct cred *cred);
int alpc_sd_from_user(struct alpc_sd *sd, const struct alpc_security *u,
		      struct user_namespace *ns);
void alpc_sd_to_user(const struct alpc_sd *sd, struct alpc_security *u,
		     struct user_namespace *ns);
bool alpc_cred_changed(const struct cred *old, const struct cred *now);
struct file *alpc_pidfd_get(int fd);

/* On a connection port (@end), or, with @end NULL, on /dev/alpc by name. */
int alpc_ioctl_security(struct alpc_end *end, unsigned int cmd,
			struct alpc_port_security __user *uarg);

#endif /* _ALPC_SECURITY_H */
