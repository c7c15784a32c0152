// SPDX-License-Identifier: GPL-2.0
/*
 * The misc device /dev/alpc: the entry point through which user space
 * creates every alpc object. The device itself holds no state; each open
 * file only pins the module (fops.owner), so the module cannot be
 * unloaded while an fd of the device, or of any object made through it,
 * is open.
 *
 * The device is world-accessible (mode 0666): creating a port needs no
 * privilege, and access to a port is checked per port at connect.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/alpc.h>

#include "completion.h"
#include "device.h"
#include "port.h"

static int alpc_ioctl_get_features(struct alpc_features __user *uarg)
{
	struct alpc_features f;

	if (copy_from_user(&f, uarg, sizeof(f)))
		return -EFAULT;
	if (f.flags || memchr_inv(f.reserved, 0, sizeof(f.reserved)))
		return -EINVAL;

	f.version = ALPC_API_VERSION;
	f.features = ALPC_FEAT_ALL;
	if (copy_to_user(uarg, &f, sizeof(f)))
		return -EFAULT;
	return 0;
}

static long alpc_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ALPC_IOC_GET_FEATURES:
		return alpc_ioctl_get_features(uarg);
	case ALPC_IOC_CREATE_PORT:
		return alpc_ioctl_create_port(uarg);
	case ALPC_IOC_CONNECT:
		return alpc_ioctl_connect(uarg);
	case ALPC_IOC_GET_SECURITY:
	case ALPC_IOC_SET_SECURITY:
		return alpc_ioctl_security(NULL, cmd, uarg);
	case ALPC_IOC_CREATE_COMPLETION:
		return alpc_ioctl_create_completion(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations alpc_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= alpc_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice alpc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "alpc",
	.fops	= &alpc_dev_fops,
	.mode	= 0666,
};

int alpc_device_init(void)
{
	return misc_register(&alpc_misc);
}

void alpc_device_uninit(void)
{
	misc_deregister(&alpc_misc);
}
