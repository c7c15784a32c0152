/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ALPC_DEVICE_H
#define _ALPC_DEVICE_H

int alpc_device_init(void);
void alpc_device_uninit(void);

#endif /* _ALPC_DEVICE_H */
