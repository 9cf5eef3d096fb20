/* An in-memory net_device for unit tests: frames the stack sends are kept
 * in a queue for the test to inspect; frames the test injects are received
 * as if they came off a wire. */
#ifndef IMP_MEMDEV_H
#define IMP_MEMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct net_device *memdev_create(struct net *net, const uint8_t mac[ETH_ALEN], unsigned int mtu);
/* memdev_inject receives one frame, as a batch of its own unless a batch
 * is open (memdev_batch_begin .. memdev_batch_end, the way the TAP driver
 * reads several frames before the end-of-batch work). */
void memdev_inject(struct net_device *dev, const void *frame, size_t len);
/* memdev_inject_vnet receives a frame behind a vnet header of hdrlen bytes
 * (which may be short or hostile), as the TAP driver with offloads does. */
void memdev_inject_vnet(struct net_device *dev, const void *hdr, size_t hdrlen,
			const void *frame, size_t len);
void memdev_batch_begin(struct net_device *dev);
void memdev_batch_end(struct net_device *dev);
/* memdev_set_features: NETIF_F_* the device claims (none by default), so
 * that a test sees the GSO packets a TAP device with offloads would take. */
void memdev_set_features(struct net_device *dev, unsigned int features);
/* memdev_pop returns the oldest frame sent (data at the Ethernet header), or
 * NULL; the caller frees it. */
struct sk_buff *memdev_pop(struct net_device *dev);
unsigned int memdev_pending(struct net_device *dev);

#endif
