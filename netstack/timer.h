/* Timers: a binary min-heap of struct timer_list, keyed by expiry in µs.
 *
 * The stack never reads a clock itself: whoever drives it (the event loop, or
 * a unit test) sets the time and calls timers_run.  That keeps the protocol
 * code deterministic under test. */
#ifndef IMP_TIMER_H
#define IMP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer_list {
	uint64_t expires;		/* µs */
	void (*function)(struct timer_list *);
	int idx;			/* heap slot, -1 when not pending */
};

struct timer_base {
	struct timer_list **heap;
	int n, cap;
};

#define TIMER_NEVER UINT64_MAX

void timer_base_init(struct timer_base *base);
void timer_base_free(struct timer_base *base);
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
void mod_timer(struct timer_base *base, struct timer_list *t, uint64_t expires);
void del_timer(struct timer_base *base, struct timer_list *t);
static inline bool timer_pending(const struct timer_list *t) { return t->idx >= 0; }
uint64_t timers_next(const struct timer_base *base);
/* timers_run calls every timer due at now; a callback may re-arm timers. */
void timers_run(struct timer_base *base, uint64_t now);

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#include <stddef.h>

#endif
