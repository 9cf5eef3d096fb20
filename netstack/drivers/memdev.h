/* An in-memory net_device for unit tests: frames the stack sends are kept
 * in a queue for the test to inspect; frames the test injects are received
 * as if they came off a wire. */
#ifndef IMP_MEMDEV_H
#define IMP_MEMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct net_device *memdev_create(struct net *net, const uint8_t mac[ETH_ALEN], unsigned int mtu);
void memdev_inject(struct net_device *dev, const void *frame, size_t len);
/* memdev_pop returns the oldest frame sent (data at the Ethernet header), or
 * NULL; the caller frees it. */
struct sk_buff *memdev_pop(struct net_device *dev);
unsigned int memdev_pending(struct net_device *dev);

#endif
