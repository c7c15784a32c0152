// SPDX-License-Identifier: GPL-2.0
/*
 * Sections: kernel-allocated pages that both ends of one connection map,
 * so large data travels without being copied.
 *
 * A section is created on a communication port and belongs to that
 * connection: a message may name it in a view only on that connection.
 * Its pages are mapped with remap_pfn_range() (VM_PFNMAP), so the mm does
 * not count page references: the section counts its mappings itself
 * through vm_ops open/close (fork, VMA splits by a partial munmap or
 * mprotect, mremap, exit), and frees the pages when its last file, mapping
 * and message reference are gone.
 *
 * A view sent in a message is mapped into the receiver at receive, with
 * vm_mmap() of a new file on the section: opened read-only for a
 * read-only view, so the VMA never gets VM_MAYWRITE and mprotect() cannot
 * make it writable.
 *
 * Locking: mmap_lock may be held when these functions run (mmap, VMA
 * close), so nothing here takes a port's lock; the connection's section
 * bytes are an atomic counter for that reason. The lock order is atop
 * port.c.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "section.h"
#include "trace.h"

static const struct file_operations alpc_section_fops;

static void alpc_section_free(struct kref *ref)
{
	struct alpc_section *sec = container_of(ref, struct alpc_section, ref);
	unsigned long i;

	for (i = 0; i < sec->nr_pages; i++)
		__free_page(sec->pages[i]);
	kvfree(sec->pages);
	atomic64_sub(sec->nr_pages << PAGE_SHIFT, &sec->conn->section_bytes);
	atomic_dec(&sec->conn->nsections);
	alpc_conn_put(sec->conn);
	kfree(sec);
}

void alpc_section_put(struct alpc_section *sec)
{
	if (sec)
		kref_put(&sec->ref, alpc_section_free);
}

static void alpc_section_vm_open(struct vm_area_struct *vma)
{
	struct alpc_section *sec = vma->vm_private_data;

	kref_get(&sec->ref);
}

static void alpc_section_vm_close(struct vm_area_struct *vma)
{
	alpc_section_put(vma->vm_private_data);
}

static const struct vm_operations_struct alpc_section_vm_ops = {
	.open	= alpc_section_vm_open,
	.close	= alpc_section_vm_close,
};

/*
 * A view mapped on a port's server side counts in the port's
 * views_mapped until unmapped, piece by piece. The count lives in the
 * port, which the section's connection pins as long as the section
 * lives, and the mapping pins the section.
 */
static void alpc_view_vm_open(struct vm_area_struct *vma)
{
	struct alpc_section *sec = vma->vm_private_data;

	kref_get(&sec->ref);
	atomic_inc(&sec->conn->port->views_mapped);
}

static void alpc_view_vm_close(struct vm_area_struct *vma)
{
	struct alpc_section *sec = vma->vm_private_data;

	atomic_dec(&sec->conn->port->views_mapped);
	alpc_section_put(sec);
}

static const struct vm_operations_struct alpc_view_vm_ops = {
	.open	= alpc_view_vm_open,
	.close	= alpc_view_vm_close,
};

static int alpc_section_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct alpc_section *sec = file->private_data;
	unsigned long npages = vma_pages(vma), i;
	int ret;

	/*
	 * Private (copy-on-write) mappings of PFN pages make no sense.
	 * VM_MAYSHARE: a read-only file's MAP_SHARED mapping lacks VM_SHARED.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= sec->nr_pages || npages > sec->nr_pages - vma->vm_pgoff)
		return -EINVAL;

	for (i = 0; i < npages; i++) {
		ret = remap_pfn_range(vma, vma->vm_start + (i << PAGE_SHIFT),
				      page_to_pfn(sec->pages[vma->vm_pgoff + i]),
				      PAGE_SIZE, vma->vm_page_prot);
		if (ret)
			return ret;
	}
	/* Only now: a failed mmap is torn down without ->close. */
	vma->vm_ops = &alpc_section_vm_ops;
	vma->vm_private_data = sec;
	kref_get(&sec->ref);
	return 0;
}

/* A counted view's mapping: alpc_view_map() took its count already. */
static int alpc_view_mmap(struct file *file, struct vm_area_struct *vma)
{
	int ret = alpc_section_mmap(file, vma);

	if (!ret)
		vma->vm_ops = &alpc_view_vm_ops;
	return ret;
}

static int alpc_section_release(struct inode *inode, struct file *file)
{
	alpc_section_put(file->private_data);
	return 0;
}

static const struct file_operations alpc_section_fops = {
	.owner		= THIS_MODULE,
	.mmap		= alpc_section_mmap,
	.release	= alpc_section_release,
};

/* The files server-side views are mapped through; never an fd. */
static const struct file_operations alpc_view_fops = {
	.owner		= THIS_MODULE,
	.mmap		= alpc_view_mmap,
	.release	= alpc_section_release,
};

/* A new file on @sec, holding a reference to it. */
static struct file *alpc_section_file(struct alpc_section *sec, int flags,
				      const struct file_operations *fops)
{
	struct file *file;

	kref_get(&sec->ref);
	file = anon_inode_getfile("[alpc_section]", fops, sec, flags);
	if (IS_ERR(file))
		alpc_section_put(sec);
	return file;
}

int alpc_ioctl_create_section(struct alpc_end *end, struct alpc_create_section __user *uarg)
{
	struct alpc_conn *conn = end->conn;
	const struct alpc_port_attr *attr = &end->port->attr;
	struct alpc_create_section c;
	struct alpc_section *sec;
	unsigned long i, bytes;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags & ~ALPC_FD_INHERIT || c.reserved0 ||
	    memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (!c.size || c.size > attr->max_section_size)
		return -EINVAL;
	if (atomic_inc_return(&conn->nsections) > attr->max_sections) {
		atomic_dec(&conn->nsections);
		return -ENOBUFS;
	}
	bytes = PAGE_ALIGN(c.size);
	if (atomic64_add_return(bytes, &conn->section_bytes) > attr->max_section_bytes) {
		atomic64_sub(bytes, &conn->section_bytes);
		atomic_dec(&conn->nsections);
		return -ENOMEM;
	}

	ret = -ENOMEM;
	sec = kzalloc(sizeof(*sec), GFP_KERNEL_ACCOUNT);
	if (!sec)
		goto err_charge;
	kref_init(&sec->ref);
	kref_get(&conn->ref);
	sec->conn = conn;
	sec->size = c.size;
	sec->pages = kvcalloc(bytes >> PAGE_SHIFT, sizeof(*sec->pages), GFP_KERNEL_ACCOUNT);
	if (!sec->pages)
		goto err_sec;
	for (i = 0; i < bytes >> PAGE_SHIFT; i++) {
		sec->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
		if (!sec->pages[i])
			goto err_sec;
		sec->nr_pages++;
		cond_resched();
	}

	fd = get_unused_fd_flags(c.flags & ALPC_FD_INHERIT ? 0 : O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_sec;
	}
	/* The file takes over the first reference; its release frees it all. */
	file = anon_inode_getfile("[alpc_section]", &alpc_section_fops, sec, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto err_sec;
	}
	fd_install(fd, file);
	return fd;

err_sec:
	/* The free path uncharges what the section holds; uncharge the rest. */
	atomic64_sub(bytes - (sec ? sec->nr_pages << PAGE_SHIFT : 0), &conn->section_bytes);
	if (sec)
		alpc_section_put(sec);
	return ret;
err_charge:
	atomic64_sub(bytes, &conn->section_bytes);
	atomic_dec(&conn->nsections);
	return ret;
}

/*
 * Resolves the view in @a, named by the sender: a section of @conn (the
 * connection the message travels on), and a range inside it. Takes a
 * reference on the section.
 */
int alpc_view_get(struct alpc_view *view, const struct alpc_msg_attrs *a)
{
	struct alpc_section *sec;
	struct file *file;
	u64 end;
	int ret = 0;

	if (a->view_flags & ~ALPC_VIEW_READONLY || !a->view_len)
		return -EINVAL;
	file = fget(a->section_fd);
	if (!file)
		return -EBADF;
	if (file->f_op != &alpc_section_fops) {
		ret = -EBADF;
		goto out;
	}
	sec = file->private_data;
	if (check_add_overflow(a->view_offset, a->view_len, &end) || end > sec->size) {
		ret = -EINVAL;
		goto out;
	}
	kref_get(&sec->ref);
	view->sec = sec;
	view->offset = a->view_offset;
	view->len = a->view_len;
	view->readonly = a->view_flags & ALPC_VIEW_READONLY;
out:
	fput(file);
	return ret;
}

void alpc_view_put(struct alpc_view *view)
{
	alpc_section_put(view->sec);
	view->sec = NULL;
}

/* Counts one more view mapped on @port's server side, unless at max_views. */
static bool alpc_view_quota_take(struct alpc_port *port)
{
	u32 max = port->attr.max_views;
	int n = atomic_read(&port->views_mapped);

	do {
		if (max && n >= max)
			return false;
	} while (!atomic_try_cmpxchg(&port->views_mapped, &n, n + 1));
	return true;
}

/*
 * Maps @view into the calling process; with @quota, on that port's
 * server side, counted against its max_views (-EDQUOT over it). Returns
 * the address of the view's first byte; the mapping covers the whole
 * pages around it.
 */
unsigned long alpc_view_map(const struct alpc_view *view, struct alpc_port *quota)
{
	unsigned long head = view->offset & ~PAGE_MASK;
	unsigned long len = PAGE_ALIGN(head + view->len);
	unsigned long addr, prot = PROT_READ;
	struct file *file;

	if (!view->readonly)
		prot |= PROT_WRITE;
	if (quota && !alpc_view_quota_take(quota))
		return -EDQUOT;
	file = alpc_section_file(view->sec, view->readonly ? O_RDONLY : O_RDWR,
				 quota ? &alpc_view_fops : &alpc_section_fops);
	if (IS_ERR(file)) {
		addr = PTR_ERR(file);
		goto out;
	}
	addr = vm_mmap(file, 0, len, prot, MAP_SHARED, view->offset - head);
	fput(file);
out:
	/* The mapping holds the count taken for it; without one, give it back. */
	if (quota && IS_ERR_VALUE(addr))
		atomic_dec(&quota->views_mapped);
	if (IS_ERR_VALUE(addr))
		return addr;
	trace_alpc_section_map(view->sec->conn->id, view->sec->size, view->offset,
			       view->len, view->readonly);
	return addr + head;
}

/* Undoes alpc_view_map() when the receive fails after all. */
void alpc_view_unmap(const struct alpc_view *view, unsigned long addr)
{
	unsigned long head = view->offset & ~PAGE_MASK;

	vm_munmap(addr - head, PAGE_ALIGN(head + view->len));
}
