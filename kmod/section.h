/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_SECTION_H
#define _ALPC_SECTION_H

#include <linux/kref.h>
#include <linux/mm_types.h>

#include "port.h"

struct alpc_section {
	struct kref ref;	/* files, mappings, views in messages */
	struct alpc_conn *conn;	/* the only connection it may travel on */
	u64 size;
	unsigned long nr_pages;
	struct page **pages;
};

/* A view named by a message: a range of a section, with a reference. */
struct alpc_view {
	struct alpc_section *sec;
	u64 offset;
	u64 len;
	bool readonly;
};

int alpc_ioctl_create_section(struct alpc_end *end, struct alpc_create_section __user *uarg);
void alpc_section_put(struct alpc_section *sec);
int alpc_view_get(struct alpc_view *view, const struct alpc_msg_attrs *a);
void alpc_view_put(struct alpc_view *view);
unsigned long alpc_view_map(const struct alpc_view *view, struct alpc_port *quota);
void alpc_view_unmap(const struct alpc_view *view, unsigned long addr);

#endif /* _ALPC_SECTION_H */
