/* sk_buff: pointer arithmetic of the head/data/tail moves, and queues. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static void test_alloc_empty(void **state)
{
	struct sk_buff *skb = alloc_skb(100);

	assert_non_null(skb);
	assert_int_equal(skb->len, 0);
	assert_ptr_equal(skb->data, skb->head);
	assert_ptr_equal(skb->tail, skb->head);
	assert_ptr_equal(skb->end, skb->head + 100);
	assert_int_equal(skb_headroom(skb), 0);
	assert_int_equal(skb_tailroom(skb), 100);
	assert_null(skb->next);
	assert_null(skb->dev);
	assert_int_equal(skb->pkt_type, PACKET_HOST);
	kfree_skb(skb);

	skb = alloc_skb(0);
	assert_non_null(skb);
	assert_int_equal(skb_tailroom(skb), 0);
	assert_int_equal(skb_headroom(skb), 0);
	kfree_skb(skb);
}

/* The census (imp(4) /imp/stats Skbs, SkbBytes) counts every packet
 * alive and its true size, copies too, and nothing once they are freed. */
static void test_census(void **state)
{
	struct skb_census c0 = skb_census(), c;
	struct sk_buff *a = alloc_skb(100), *b;

	c = skb_census();
	assert_int_equal(c.live, c0.live + 1);
	assert_int_equal(c.bytes, c0.bytes + sizeof(struct sk_buff) + 100);
	assert_int_equal(skb_truesize(a), sizeof(struct sk_buff) + 100);
	skb_reserve(a, 10);
	skb_put(a, 50);
	b = skb_copy(a);
	c = skb_census();
	assert_int_equal(c.live, c0.live + 2);
	assert_int_equal(c.bytes, c0.bytes + 2 * (sizeof(struct sk_buff) + 100));
	kfree_skb(a);
	kfree_skb(NULL);
	kfree_skb(b);
	c = skb_census();
	assert_int_equal(c.live, c0.live);
	assert_int_equal(c.bytes, c0.bytes);
}

static void test_reserve_put_push_pull(void **state)
{
	struct sk_buff *skb = alloc_skb(100);
	unsigned char *head = skb->head, *p;

	skb_reserve(skb, 30);
	assert_int_equal(skb->len, 0);
	assert_int_equal(skb_headroom(skb), 30);
	assert_int_equal(skb_tailroom(skb), 70);
	assert_ptr_equal(skb->data, head + 30);
	assert_ptr_equal(skb->tail, head + 30);

	p = skb_put(skb, 20);
	assert_ptr_equal(p, head + 30);
	assert_int_equal(skb->len, 20);
	assert_ptr_equal(skb->tail, head + 50);
	assert_int_equal(skb_tailroom(skb), 50);
	assert_int_equal(skb_headroom(skb), 30);
	memset(p, 0xaa, 20);

	p = skb_put(skb, 0);
	assert_ptr_equal(p, head + 50);
	assert_int_equal(skb->len, 20);

	p = skb_push(skb, 14);
	assert_ptr_equal(p, head + 16);
	assert_ptr_equal(skb->data, head + 16);
	assert_int_equal(skb->len, 34);
	assert_int_equal(skb_headroom(skb), 16);
	assert_int_equal(skb_tailroom(skb), 50);
	memset(p, 0xbb, 14);

	/* Push all the headroom there is. */
	p = skb_push(skb, 16);
	assert_ptr_equal(p, head);
	assert_int_equal(skb->len, 50);
	assert_int_equal(skb_headroom(skb), 0);

	p = skb_pull(skb, 30);
	assert_ptr_equal(p, head + 30);
	assert_int_equal(skb->len, 20);
	assert_int_equal(skb_headroom(skb), 30);
	assert_int_equal(p[0], 0xaa);

	/* skb_pull past len: NULL and nothing moves. */
	assert_null(skb_pull(skb, 21));
	assert_ptr_equal(skb->data, head + 30);
	assert_int_equal(skb->len, 20);
	assert_null(skb_pull(skb, 0xffffffffu));
	assert_int_equal(skb->len, 20);

	assert_ptr_equal(skb_pull(skb, 0), head + 30);
	assert_ptr_equal(skb_pull(skb, 20), head + 50);
	assert_int_equal(skb->len, 0);
	assert_ptr_equal(skb->data, skb->tail);
	assert_null(skb_pull(skb, 1));
	kfree_skb(skb);
}

static void test_put_to_the_end(void **state)
{
	struct sk_buff *skb = alloc_skb(64);

	skb_reserve(skb, 64);
	assert_int_equal(skb_tailroom(skb), 0);
	assert_int_equal(skb_headroom(skb), 64);
	skb_push(skb, 64);
	assert_int_equal(skb->len, 64);
	assert_ptr_equal(skb->data, skb->head);
	assert_ptr_equal(skb->tail, skb->end);
	kfree_skb(skb);
}

static void test_trim(void **state)
{
	struct sk_buff *skb = alloc_skb(100);

	skb_reserve(skb, 10);
	skb_put(skb, 40);
	skb_trim(skb, 15);
	assert_int_equal(skb->len, 15);
	assert_ptr_equal(skb->tail, skb->data + 15);
	assert_int_equal(skb_tailroom(skb), 100 - 10 - 15);
	assert_int_equal(skb_headroom(skb), 10);
	/* Trimming to more than there is changes nothing. */
	skb_trim(skb, 30);
	assert_int_equal(skb->len, 15);
	assert_ptr_equal(skb->tail, skb->data + 15);
	skb_trim(skb, 15);
	assert_int_equal(skb->len, 15);
	skb_trim(skb, 0);
	assert_int_equal(skb->len, 0);
	assert_ptr_equal(skb->tail, skb->data);
	kfree_skb(skb);
}

static struct sk_buff *skb_of_len(unsigned int len, unsigned char fill)
{
	struct sk_buff *skb = alloc_skb(len + 16);

	skb_reserve(skb, 16);
	memset(skb_put(skb, len), fill, len);
	return skb;
}

static void check_order(struct sk_buff_head *q, struct sk_buff **want, unsigned int n)
{
	struct sk_buff *skb;
	unsigned int i = 0;
	size_t bytes = 0;

	skb_queue_walk(q, skb) {
		assert_true(i < n);
		assert_ptr_equal(skb, want[i]);
		bytes += skb->len;
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(q->qlen, n);
	assert_int_equal(q->bytes, bytes);
	/* The backward links agree. */
	i = n;
	for (skb = q->prev; skb != (struct sk_buff *)q; skb = skb->prev)
		assert_ptr_equal(skb, want[--i]);
	assert_int_equal(i, 0);
}

static void test_queue(void **state)
{
	struct sk_buff_head q;
	struct sk_buff *a = skb_of_len(10, 1), *b = skb_of_len(20, 2), *c = skb_of_len(30, 3);
	struct sk_buff *d = skb_of_len(40, 4);

	skb_queue_head_init(&q);
	assert_true(skb_queue_empty(&q));
	assert_int_equal(q.qlen, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(skb_peek(&q));
	assert_null(skb_dequeue(&q));

	skb_queue_tail(&q, a);
	skb_queue_tail(&q, b);
	skb_queue_head(&q, c);
	check_order(&q, (struct sk_buff *[]){ c, a, b }, 3);
	assert_int_equal(q.bytes, 60);
	assert_false(skb_queue_empty(&q));
	assert_ptr_equal(skb_peek(&q), c);

	/* Unlink from the middle. */
	skb_unlink(a, &q);
	assert_null(a->next);
	assert_null(a->prev);
	check_order(&q, (struct sk_buff *[]){ c, b }, 2);
	assert_int_equal(q.bytes, 50);

	/* Unlink the tail, then put things back. */
	skb_unlink(b, &q);
	check_order(&q, (struct sk_buff *[]){ c }, 1);
	skb_queue_tail(&q, d);
	skb_queue_tail(&q, b);
	check_order(&q, (struct sk_buff *[]){ c, d, b }, 3);
	assert_int_equal(q.bytes, 90);

	assert_ptr_equal(skb_dequeue(&q), c);
	check_order(&q, (struct sk_buff *[]){ d, b }, 2);
	assert_int_equal(q.bytes, 60);
	kfree_skb(c);

	skb_queue_head(&q, a);
	check_order(&q, (struct sk_buff *[]){ a, d, b }, 3);
	assert_int_equal(q.bytes, 70);

	skb_queue_purge(&q);
	assert_true(skb_queue_empty(&q));
	assert_int_equal(q.qlen, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(skb_dequeue(&q));
	assert_ptr_equal(q.next, (struct sk_buff *)&q);
	assert_ptr_equal(q.prev, (struct sk_buff *)&q);
}

static void test_queue_walk_safe_unlink(void **state)
{
	struct sk_buff_head q;
	struct sk_buff *skb, *tmp, *keep[5];
	unsigned int i = 0;

	skb_queue_head_init(&q);
	for (unsigned int n = 0; n < 10; n++)
		skb_queue_tail(&q, skb_of_len(n + 1, (unsigned char)n));
	assert_int_equal(q.bytes, 55);
	/* Remove the even lengths while walking. */
	skb_queue_walk_safe(&q, skb, tmp) {
		if (skb->len % 2 == 0) {
			skb_unlink(skb, &q);
			kfree_skb(skb);
		} else {
			keep[i++] = skb;
		}
	}
	assert_int_equal(i, 5);
	check_order(&q, keep, 5);
	assert_int_equal(q.bytes, 1 + 3 + 5 + 7 + 9);
	skb_queue_purge(&q);
	assert_int_equal(q.bytes, 0);
}

static void test_copy_independent(void **state)
{
	struct sk_buff *skb = alloc_skb(128), *n;
	unsigned char *data;

	skb_reserve(skb, 32);
	fill_pattern(skb_put(skb, 50), 50, 3);
	skb_reset_network_header(skb);
	skb_pull(skb, 10);
	skb_reset_transport_header(skb);
	skb->protocol = ETH_P_IP;
	skb->pkt_type = PACKET_BROADCAST;
	skb->tstamp = 12345;
	memset(skb->cb, 0x5a, sizeof(skb->cb));

	n = skb_copy(skb);
	assert_non_null(n);
	assert_ptr_not_equal(n, skb);
	assert_ptr_not_equal(n->head, skb->head);
	assert_int_equal(n->len, 40);
	assert_int_equal(skb_headroom(n), 42);
	assert_int_equal(skb_tailroom(n), skb_tailroom(skb));
	assert_memory_equal(n->data, skb->data, 40);
	assert_int_equal(n->network_header, skb->network_header);
	assert_int_equal(n->transport_header, skb->transport_header);
	assert_ptr_equal(skb_network_header(n), n->head + 32);
	assert_ptr_equal(skb_transport_header(n), n->data);
	assert_int_equal(n->protocol, ETH_P_IP);
	assert_int_equal(n->pkt_type, PACKET_BROADCAST);
	assert_int_equal(n->tstamp, 12345);
	assert_memory_equal(n->cb, skb->cb, sizeof(n->cb));
	assert_null(n->next);
	assert_null(n->prev);

	/* Writing one leaves the other alone, and the copy outlives the original. */
	n->data[0] ^= 0xff;
	skb_push(n, 10)[0] ^= 0xff;
	assert_int_not_equal(n->data[10], skb->data[0]);
	data = malloc(50);
	memcpy(data, skb->data - 10, 50);
	kfree_skb(skb);
	data[0] ^= 0xff;
	data[10] ^= 0xff;
	assert_memory_equal(n->data, data, 50);
	free(data);
	kfree_skb(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_empty),
		cmocka_unit_test(test_census),
		cmocka_unit_test(test_reserve_put_push_pull),
		cmocka_unit_test(test_put_to_the_end),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_queue_walk_safe_unlink),
		cmocka_unit_test(test_copy_independent),
	};
	return cmocka_run_group_tests_name("skbuff", tests, NULL, NULL);
}
