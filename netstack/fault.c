/* Link impairment (see fault.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "net.h"

/* parse_rate reads a percentage with up to two decimals, 0 to 100. */
static int parse_rate(const char *s, size_t n, unsigned int *out)
{
	unsigned int whole = 0, frac = 0, fdigits = 0;
	size_t i = 0;

	if (!n)
		return -1;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if ((whole = whole * 10 + (unsigned int)(s[i] - '0')) > 100)
			return -1;
	if (i == 0)
		return -1;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++fdigits > 2)
				return -1;
			frac = frac * 10 + (unsigned int)(s[i] - '0');
		}
		if (!fdigits)
			return -1;
		if (fdigits == 1)
			frac *= 10;
	}
	if (i != n || whole * 100 + frac > 10000)
		return -1;
	*out = whole * 100 + frac;
	return 0;
}

int fault_parse(const char *s, struct fault_spec *spec, char *why, size_t whylen)
{
	memset(spec, 0, sizeof(*spec));
	spec->seed = 1;
	while (*s) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		size_t klen, vlen;

		if (!end)
			end = s + strlen(s);
		if (!eq || eq > end) {
			snprintf(why, whylen, "\"%.*s\" is not NAME=VALUE", (int)(end - s), s);
			return -EINVAL;
		}
		klen = (size_t)(eq - s);
		vlen = (size_t)(end - eq - 1);
		unsigned int *rate = NULL;
		if (klen == 4 && !strncmp(s, "drop", 4))
			rate = &spec->drop;
		else if (klen == 3 && !strncmp(s, "dup", 3))
			rate = &spec->dup;
		else if (klen == 7 && !strncmp(s, "reorder", 7))
			rate = &spec->reorder;
		else if (klen == 7 && !strncmp(s, "corrupt", 7))
			rate = &spec->corrupt;
		if (rate) {
			if (parse_rate(eq + 1, vlen, rate)) {
				snprintf(why, whylen, "%.*s: \"%.*s\" is not a percentage from 0 to 100",
					 (int)klen, s, (int)vlen, eq + 1);
				return -EINVAL;
			}
		} else if (klen == 4 && !strncmp(s, "seed", 4)) {
			char buf[24], *e;
			if (!vlen || vlen >= sizeof(buf)) {
				snprintf(why, whylen, "seed: not a number");
				return -EINVAL;
			}
			memcpy(buf, eq + 1, vlen);
			buf[vlen] = 0;
			spec->seed = strtoull(buf, &e, 10);
			if (*e || buf[0] == '-') {
				snprintf(why, whylen, "seed: \"%s\" is not a number", buf);
				return -EINVAL;
			}
		} else {
			snprintf(why, whylen, "no impairment \"%.*s\" (drop dup reorder corrupt seed)",
				 (int)klen, s);
			return -EINVAL;
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

static uint32_t fault_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/* roll: true with probability rate/10000. */
static bool roll(uint64_t *state, unsigned int rate)
{
	return rate && fault_random(state) % 10000 < rate;
}

static void fault_release_rx(struct timer_list *t);
static void fault_release_tx(struct timer_list *t);

int fault_attach(struct net_device *dev, const struct fault_spec *spec)
{
	struct fault_state *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->spec = *spec;
	f->dev = dev;
	for (int d = 0; d < 2; d++)
		f->rng[d] = (spec->seed + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)d * 0xbf58476d1ce4e5b9ull;
	timer_setup(&f->release[TAP_RX], fault_release_rx);
	timer_setup(&f->release[TAP_TX], fault_release_tx);
	dev->fault = f;
	return 0;
}

void fault_detach(struct net_device *dev)
{
	struct fault_state *f = dev->fault;

	if (!f)
		return;
	for (int d = 0; d < 2; d++) {
		del_timer(&dev->net->timers, &f->release[d]);
		if (f->held[d])
			kfree_skb(f->held[d]);
	}
	free(f);
	dev->fault = NULL;
}

/* A frame held back goes on after the next one, or after 10 ms if none
 * comes: reordered, never lost. */
#define FAULT_HOLD_US 10000

static void fault_release(struct fault_state *f, int dir)
{
	struct sk_buff *skb = f->held[dir];

	f->held[dir] = NULL;
	if (skb)
		f->deliver[dir](skb);
}

static void fault_release_rx(struct timer_list *t)
{
	fault_release(container_of(t, struct fault_state, release[TAP_RX]), TAP_RX);
}

static void fault_release_tx(struct timer_list *t)
{
	fault_release(container_of(t, struct fault_state, release[TAP_TX]), TAP_TX);
}

void fault_apply(struct net_device *dev, struct sk_buff *skb, int dir,
		 void (*deliver)(struct sk_buff *skb))
{
	struct fault_state *f = dev->fault;
	uint64_t *rng = &f->rng[dir];

	if (roll(rng, f->spec.drop)) {
		dev->stats.FaultDrops++;
		kfree_skb(skb);
		return;
	}
	if (skb->len && roll(rng, f->spec.corrupt)) {
		dev->stats.FaultCorrupts++;
		skb->data[fault_random(rng) % skb->len] ^= (uint8_t)(1u << (fault_random(rng) % 8));
	}
	if (roll(rng, f->spec.dup)) {
		struct sk_buff *copy = skb_copy(skb);
		if (copy) {
			dev->stats.FaultDups++;
			deliver(copy);
		}
	}
	if (!f->held[dir] && roll(rng, f->spec.reorder)) {
		dev->stats.FaultReorders++;
		f->held[dir] = skb;
		f->deliver[dir] = deliver;
		mod_timer(&dev->net->timers, &f->release[dir], dev->net->now + FAULT_HOLD_US);
		return;
	}
	deliver(skb);
	if (f->held[dir]) {
		del_timer(&dev->net->timers, &f->release[dir]);
		fault_release(f, dir);
	}
}
