/* The TAP driver: the stack's Ethernet is a Linux TAP device, whose other
 * side is the kernel's own network stack. */
#ifndef IMP_TAP_H
#define IMP_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "net.h"

/* tap_create opens (creating if needed) TAP device name, inside network
 * namespace netns when not NULL, brings its link up with the given MTU, and
 * registers it.  With offload, the device carries a vnet header and asks
 * the kernel for checksum and segmentation offloads (TSO, USO where the
 * kernel has it).  On failure returns NULL with a sentence in err. */
struct net_device *tap_create(struct net *net, const char *name, const char *netns,
			      const uint8_t mac[ETH_ALEN], unsigned int mtu, bool offload,
			      char *err, size_t errlen);
int tap_fd(struct net_device *dev);
/* tap_rx reads and receives up to budget frames; returns how many, or -1
 * when the device is gone. */
int tap_rx(struct net_device *dev, int budget);

#endif
