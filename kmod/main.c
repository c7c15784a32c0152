// SPDX-License-Identifier: GPL-2.0
/*
 * alpc: Windows-style ALPC ports for Linux.
 *
 * Module init and exit, and nothing else: each subsystem brings itself up
 * in alpc_<x>_init() and down in alpc_<x>_uninit(), in reverse order.
 */

#include <linux/module.h>

#include "device.h"
#include "netlink.h"

#define ALPC_MODULE_VERSION "0.1.0"

static int __init alpc_init(void)
{
	int ret;

	ret = alpc_netlink_init();
	if (ret)
		goto err_netlink;
	/* The device comes last: once it exists, ioctls can arrive. */
	ret = alpc_device_init();
	if (ret)
		goto err_device;

	pr_info("ALPC ports " ALPC_MODULE_VERSION " loaded\n");
	return 0;

err_device:
	alpc_netlink_uninit();
err_netlink:
	return ret;
}

static void __exit alpc_exit(void)
{
	alpc_device_uninit();
	alpc_netlink_uninit();
}

module_init(alpc_init);
module_exit(alpc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Windows-style ALPC ports: connection ports, messages, sections, completion ports");
MODULE_AUTHOR("The alpc developers");
MODULE_VERSION(ALPC_MODULE_VERSION);
