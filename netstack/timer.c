/* Timer heap.  Each timer knows its slot so cancel and re-arm are O(log n). */
#include <stdlib.h>

#include "timer.h"

void timer_base_init(struct timer_base *base)
{
	base->heap = NULL;
	base->n = base->cap = 0;
}

void timer_base_free(struct timer_base *base)
{
	for (int i = 0; i < base->n; i++)
		base->heap[i]->idx = -1;
	free(base->heap);
	timer_base_init(base);
}

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	t->function = fn;
	t->expires = 0;
	t->idx = -1;
}

static void heap_set(struct timer_base *b, int i, struct timer_list *t)
{
	b->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct timer_base *b, int i)
{
	struct timer_list *t = b->heap[i];

	while (i > 0) {
		int parent = (i - 1) / 2;
		if (b->heap[parent]->expires <= t->expires)
			break;
		heap_set(b, i, b->heap[parent]);
		i = parent;
	}
	heap_set(b, i, t);
}

static void sift_down(struct timer_base *b, int i)
{
	struct timer_list *t = b->heap[i];

	for (;;) {
		int c = 2 * i + 1;
		if (c >= b->n)
			break;
		if (c + 1 < b->n && b->heap[c + 1]->expires < b->heap[c]->expires)
			c++;
		if (t->expires <= b->heap[c]->expires)
			break;
		heap_set(b, i, b->heap[c]);
		i = c;
	}
	heap_set(b, i, t);
}

void del_timer(struct timer_base *b, struct timer_list *t)
{
	int i = t->idx;

	if (i < 0)
		return;
	t->idx = -1;
	b->n--;
	if (i == b->n)
		return;
	struct timer_list *last = b->heap[b->n];
	heap_set(b, i, last);
	sift_down(b, i);
	sift_up(b, last->idx);
}

/* mod_timer arms t to fire at expires, moving it if it was pending.  Memory
 * for the heap only grows; on failure to grow the daemon cannot keep its
 * promises, so it aborts rather than lose a timer silently. */
void mod_timer(struct timer_base *b, struct timer_list *t, uint64_t expires)
{
	if (t->idx >= 0) {
		uint64_t old = t->expires;
		t->expires = expires;
		if (expires < old)
			sift_up(b, t->idx);
		else
			sift_down(b, t->idx);
		return;
	}
	if (b->n == b->cap) {
		int cap = b->cap ? b->cap * 2 : 64;
		struct timer_list **h = realloc(b->heap, (size_t)cap * sizeof(*h));
		if (!h)
			abort();
		b->heap = h;
		b->cap = cap;
	}
	t->expires = expires;
	heap_set(b, b->n++, t);
	sift_up(b, t->idx);
}

uint64_t timers_next(const struct timer_base *b)
{
	return b->n ? b->heap[0]->expires : TIMER_NEVER;
}

void timers_run(struct timer_base *b, uint64_t now)
{
	while (b->n && b->heap[0]->expires <= now) {
		struct timer_list *t = b->heap[0];
		del_timer(b, t);
		t->function(t);
	}
}
