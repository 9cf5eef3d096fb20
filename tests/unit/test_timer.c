/* The timer heap: order, re-arming, cancelling, callbacks that re-arm. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

struct rec {
	struct timer_list t;
	int id;
	int fires;
	int rearm_left;		/* for self re-arming timers */
	uint64_t period;
};

static struct timer_base *cur_base;
static int fired[4096];
static uint64_t fired_exp[4096];
static int nfired;

static void reset_log(struct timer_base *b)
{
	cur_base = b;
	nfired = 0;
}

static void cb(struct timer_list *t)
{
	struct rec *r = container_of(t, struct rec, t);

	assert_false(timer_pending(t));		/* off the heap while it runs */
	assert_true(nfired < 4096);
	fired_exp[nfired] = t->expires;
	fired[nfired++] = r->id;
	r->fires++;
	if (r->rearm_left > 0) {
		r->rearm_left--;
		mod_timer(cur_base, t, t->expires + r->period);
	}
}

static void arm(struct timer_base *b, struct rec *r, int id, uint64_t when)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	timer_setup(&r->t, cb);
	assert_false(timer_pending(&r->t));
	mod_timer(b, &r->t, when);
	assert_true(timer_pending(&r->t));
	assert_int_equal(r->t.expires, when);
}

static void expect_fired(const int *ids, int n)
{
	assert_int_equal(nfired, n);
	for (int i = 0; i < n; i++)
		if (fired[i] != ids[i])
			fail_msg("fire %d: timer %d, expected %d", i, fired[i], ids[i]);
}

static void test_order(void **state)
{
	struct timer_base b;
	struct rec r[5];
	const uint64_t when[5] = { 50, 10, 40, 20, 30 };

	timer_base_init(&b);
	reset_log(&b);
	assert_int_equal(timers_next(&b), TIMER_NEVER);
	for (int i = 0; i < 5; i++)
		arm(&b, &r[i], i, when[i]);
	assert_int_equal(b.n, 5);
	assert_int_equal(timers_next(&b), 10);

	timers_run(&b, 9);		/* nothing due yet */
	expect_fired(NULL, 0);
	timers_run(&b, 20);		/* due at exactly now fires */
	expect_fired((int[]){ 1, 3 }, 2);
	assert_false(timer_pending(&r[1].t));
	assert_false(timer_pending(&r[3].t));
	assert_true(timer_pending(&r[0].t));
	assert_int_equal(timers_next(&b), 30);
	assert_int_equal(b.n, 3);

	timers_run(&b, 1000);
	expect_fired((int[]){ 1, 3, 4, 2, 0 }, 5);
	assert_int_equal(b.n, 0);
	assert_int_equal(timers_next(&b), TIMER_NEVER);
	for (int i = 0; i < 5; i++)
		assert_int_equal(r[i].fires, 1);
	timers_run(&b, 2000);
	expect_fired((int[]){ 1, 3, 4, 2, 0 }, 5);
	timer_base_free(&b);
}

static void test_equal_expiries(void **state)
{
	struct timer_base b;
	struct rec r[8];

	timer_base_init(&b);
	reset_log(&b);
	for (int i = 0; i < 8; i++)
		arm(&b, &r[i], i, 100);
	timers_run(&b, 99);
	assert_int_equal(nfired, 0);
	timers_run(&b, 100);
	assert_int_equal(nfired, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(r[i].fires, 1);
	timer_base_free(&b);
}

static void test_mod_timer_rearm(void **state)
{
	struct timer_base b;
	struct rec a, c, d;

	timer_base_init(&b);
	reset_log(&b);
	arm(&b, &a, 1, 10);
	arm(&b, &c, 2, 20);
	arm(&b, &d, 3, 30);

	mod_timer(&b, &d.t, 5);		/* earlier: now first */
	assert_int_equal(timers_next(&b), 5);
	assert_int_equal(b.n, 3);		/* moved, not added twice */
	mod_timer(&b, &a.t, 40);		/* later: now last */
	assert_int_equal(timers_next(&b), 5);
	mod_timer(&b, &c.t, 20);		/* same time */
	assert_int_equal(b.n, 3);

	timers_run(&b, 39);
	expect_fired((int[]){ 3, 2 }, 2);
	assert_true(timer_pending(&a.t));
	/* Re-arm one that already fired. */
	mod_timer(&b, &d.t, 35);
	assert_int_equal(timers_next(&b), 35);
	timers_run(&b, 100);
	expect_fired((int[]){ 3, 2, 3, 1 }, 4);
	assert_int_equal(d.fires, 2);
	timer_base_free(&b);
}

static void test_del_timer_middle(void **state)
{
	struct timer_base b;
	struct rec r[7];

	timer_base_init(&b);
	reset_log(&b);
	for (int i = 0; i < 7; i++)
		arm(&b, &r[i], i, (uint64_t)(i + 1) * 10);
	del_timer(&b, &r[3].t);
	assert_false(timer_pending(&r[3].t));
	assert_int_equal(b.n, 6);
	del_timer(&b, &r[3].t);		/* twice is a no-op */
	assert_int_equal(b.n, 6);
	del_timer(&b, &r[6].t);		/* the last slot */
	del_timer(&b, &r[0].t);		/* the root */
	assert_int_equal(b.n, 4);
	assert_int_equal(timers_next(&b), 20);
	/* Every remaining timer knows its slot. */
	for (int i = 0; i < b.n; i++)
		assert_int_equal(b.heap[i]->idx, i);
	timers_run(&b, 1000);
	expect_fired((int[]){ 1, 2, 4, 5 }, 4);
	assert_int_equal(r[3].fires, 0);
	timer_base_free(&b);
}

static void test_self_rearm(void **state)
{
	struct timer_base b;
	struct rec a, c;

	timer_base_init(&b);
	reset_log(&b);
	arm(&b, &a, 1, 10);
	a.rearm_left = 4;
	a.period = 10;
	arm(&b, &c, 2, 25);

	timers_run(&b, 30);		/* a at 10, 20, 30; c at 25 */
	expect_fired((int[]){ 1, 1, 2, 1 }, 4);
	assert_int_equal(fired_exp[0], 10);
	assert_int_equal(fired_exp[1], 20);
	assert_int_equal(fired_exp[2], 25);
	assert_int_equal(fired_exp[3], 30);
	assert_true(timer_pending(&a.t));
	assert_int_equal(timers_next(&b), 40);

	timers_run(&b, 1000);		/* 40, 50, then it stops re-arming */
	expect_fired((int[]){ 1, 1, 2, 1, 1, 1 }, 6);
	assert_int_equal(a.fires, 5);
	assert_false(timer_pending(&a.t));
	assert_int_equal(b.n, 0);
	timer_base_free(&b);
}

/* A callback that cancels and arms other timers. */
static struct rec *victim, *newcomer;
static void cb_meddle(struct timer_list *t)
{
	cb(t);
	del_timer(cur_base, &victim->t);
	mod_timer(cur_base, &newcomer->t, t->expires + 1);
}

static void test_callback_touches_others(void **state)
{
	struct timer_base b;
	struct rec a, v, n;

	timer_base_init(&b);
	reset_log(&b);
	arm(&b, &a, 1, 10);
	a.t.function = cb_meddle;
	arm(&b, &v, 2, 10);		/* same time: may or may not run first */
	arm(&b, &n, 3, 500);
	victim = &v;
	newcomer = &n;
	/* Put v later so a runs first for sure. */
	mod_timer(&b, &v.t, 11);
	timers_run(&b, 100);
	expect_fired((int[]){ 1, 3 }, 2);
	assert_int_equal(fired_exp[1], 11);
	assert_int_equal(v.fires, 0);
	assert_int_equal(b.n, 0);
	timer_base_free(&b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_many_random(void **state)
{
	enum { N = 2000 };
	struct timer_base b;
	struct rec *r = calloc(N, sizeof(*r));
	uint64_t rs = 2024, *want = calloc(N, sizeof(uint64_t)), now = 0, prev_now = 0;
	bool *cancelled = calloc(N, sizeof(bool));
	int nwant = 0, done = 0;

	timer_base_init(&b);
	reset_log(&b);
	for (int i = 0; i < N; i++)
		arm(&b, &r[i], i, xrand(&rs) % 100000);
	/* Move a third, cancel a tenth. */
	for (int i = 0; i < N; i++) {
		uint64_t k = xrand(&rs) % 30;
		if (k < 10)
			mod_timer(&b, &r[i].t, xrand(&rs) % 100000);
		else if (k < 13) {
			del_timer(&b, &r[i].t);
			cancelled[i] = true;
		}
	}
	for (int i = 0; i < N; i++)
		if (!cancelled[i])
			want[nwant++] = r[i].t.expires;
	qsort(want, (size_t)nwant, sizeof(uint64_t), cmp_u64);
	assert_int_equal(b.n, nwant);

	while (b.n) {
		now += xrand(&rs) % 3000;
		timers_run(&b, now);
		for (; done < nfired; done++) {
			/* Fired in expiry order, each only once it was due. */
			assert_int_equal(fired_exp[done], want[done]);
			assert_true(fired_exp[done] <= now);
			if (prev_now)
				assert_true(fired_exp[done] > prev_now);
		}
		prev_now = now;
		if (b.n)
			assert_true(timers_next(&b) > now);
	}
	assert_int_equal(nfired, nwant);
	for (int i = 0; i < N; i++)
		assert_int_equal(r[i].fires, cancelled[i] ? 0 : 1);
	timer_base_free(&b);
	free(r);
	free(want);
	free(cancelled);
}

static void test_base_free_unpends(void **state)
{
	struct timer_base b;
	struct rec r[100];

	timer_base_init(&b);
	reset_log(&b);
	for (int i = 0; i < 100; i++)
		arm(&b, &r[i], i, (uint64_t)(100 - i));
	timer_base_free(&b);
	for (int i = 0; i < 100; i++)
		assert_false(timer_pending(&r[i].t));
	assert_int_equal(b.n, 0);
	assert_int_equal(timers_next(&b), TIMER_NEVER);
	/* And the base is usable again. */
	mod_timer(&b, &r[0].t, 5);
	timers_run(&b, 5);
	assert_int_equal(r[0].fires, 1);
	timer_base_free(&b);
}

/* The stack's clock: net_advance runs what is due and never goes back. */
static void test_net_advance(void **state)
{
	struct net net;
	struct rec a;

	net_init(&net, T0, 1);
	reset_log(&net.timers);
	arm(&net.timers, &a, 1, T0 + 100);
	net_advance(&net, T0 + 99);
	assert_int_equal(a.fires, 0);
	assert_int_equal(net.now, T0 + 99);
	net_advance(&net, T0 + 50);	/* back in time: ignored */
	assert_int_equal(net.now, T0 + 99);
	net_advance(&net, T0 + 100);
	assert_int_equal(a.fires, 1);
	net_cleanup(&net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_equal_expiries),
		cmocka_unit_test(test_mod_timer_rearm),
		cmocka_unit_test(test_del_timer_middle),
		cmocka_unit_test(test_self_rearm),
		cmocka_unit_test(test_callback_touches_others),
		cmocka_unit_test(test_many_random),
		cmocka_unit_test(test_base_free_unpends),
		cmocka_unit_test(test_net_advance),
	};
	return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
