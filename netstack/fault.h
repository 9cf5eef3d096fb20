/* Link impairment for testing (impfs --fault), after smoltcp's fault
 * injector: each direction of a device drops, duplicates, holds back
 * (reorders) and corrupts a given share of frames, from a seeded generator
 * so that a failing run can be replayed. */
#ifndef IMP_FAULT_H
#define IMP_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "skbuff.h"
#include "timer.h"

struct net_device;

/* Rates in hundredths of a percent (0.5% = 50). */
struct fault_spec {
	unsigned int drop, dup, reorder, corrupt;
	uint64_t seed;
};

struct fault_state {
	struct fault_spec spec;
	uint64_t rng[2];		/* one stream per direction */
	struct sk_buff *held[2];	/* a frame held back, per direction */
	void (*deliver[2])(struct sk_buff *skb);	/* where it goes then */
	struct timer_list release[2];
	struct net_device *dev;
};

/* fault_parse reads "drop=3,dup=1,reorder=10,corrupt=0.5,seed=42".
 * 0, or -EINVAL with a sentence in why. */
int fault_parse(const char *s, struct fault_spec *spec, char *why, size_t whylen);
int fault_attach(struct net_device *dev, const struct fault_spec *spec);
void fault_detach(struct net_device *dev);
/* fault_apply passes skb through the impairment of direction dir (TAP_RX
 * or TAP_TX), calling deliver for each frame that goes on (none, one or
 * two, now or later).  Takes ownership. */
void fault_apply(struct net_device *dev, struct sk_buff *skb, int dir,
		 void (*deliver)(struct sk_buff *skb));

#endif
