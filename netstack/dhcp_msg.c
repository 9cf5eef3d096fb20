/* DHCP message parsing and building (RFC 2131 §2-3, RFC 2132).
 *
 * The parser takes the fixed BOOTP part, checks the magic cookie and walks
 * the options with a bound check on every length byte: a message whose
 * options run past its end, or that has no END, is refused whole, since it
 * was cut or built wrong and nothing in it can be trusted.  A known option
 * of a length it cannot have, or seen twice, is ignored and counted
 * (garbage next to good options should not cost the lease).  Overload
 * (option 52) would put more options in sname and file; those fields are
 * not read, the message is taken on its own options, and the flag is kept
 * so that the caller can count it. */
#include <string.h>
#include <arpa/inet.h>

#include "dhcp_msg.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A 4-byte address as it is on the wire (network order). */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

/* addr_list copies n/4 addresses, at most max, into out; the list's
 * length must be a non-zero multiple of 4. */
static int addr_list(const uint8_t *v, unsigned int n, uint32_t *out, int max)
{
	int k = 0;

	if (n == 0 || n % 4)
		return -1;
	for (unsigned int i = 0; i + 4 <= n && k < max; i += 4)
		out[k++] = get_addr(v + i);
	return k;
}

/* take_option records one option; false if it is malformed or a repeat. */
static bool take_option(struct dhcp_info *m, uint8_t code, const uint8_t *v, unsigned int n)
{
	int k;

	switch (code) {
	case DHO_MESSAGE_TYPE:
		if (n != 1 || m->type || v[0] < DHCPDISCOVER || v[0] > DHCPINFORM)
			return false;
		m->type = v[0];
		return true;
	case DHO_SERVER_ID:
		if (n != 4 || m->has_server_id)
			return false;
		m->server_id = get_addr(v);
		m->has_server_id = true;
		return true;
	case DHO_SUBNET_MASK:
		if (n != 4 || m->has_mask)
			return false;
		m->mask = get_addr(v);
		m->has_mask = true;
		return true;
	case DHO_REQUESTED_IP:
		if (n != 4 || m->req_ip)
			return false;
		m->req_ip = get_addr(v);
		return true;
	case DHO_LEASE_TIME: case DHO_T1: case DHO_T2: {
		bool *has = code == DHO_LEASE_TIME ? &m->has_lease : code == DHO_T1 ? &m->has_t1 : &m->has_t2;
		uint32_t *val = code == DHO_LEASE_TIME ? &m->lease : code == DHO_T1 ? &m->t1 : &m->t2;
		if (n != 4 || *has)
			return false;
		*val = get32(v);
		*has = true;
		return true;
	}
	case DHO_ROUTERS:
		if (m->nrouters || (k = addr_list(v, n, m->routers, DHCP_MAX_ROUTERS)) < 0)
			return false;
		m->nrouters = k;
		return true;
	case DHO_DNS:
		if (m->ndns || (k = addr_list(v, n, m->dns, DHCP_MAX_DNS)) < 0)
			return false;
		m->ndns = k;
		return true;
	case DHO_OVERLOAD:
		if (n != 1 || v[0] < 1 || v[0] > 3)
			return false;
		m->overload = true;
		return true;
	default:
		m->unknown_options++;
		return true;
	}
}

int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_info *m)
{
	size_t i = DHCP_MIN_LEN;

	memset(m, 0, sizeof(*m));
	if (len < DHCP_MIN_LEN)
		return DHCP_ESHORT;
	m->op = p[0];
	m->htype = p[1];
	m->hlen = p[2];
	m->xid = get32(p + 4);
	m->secs = (uint16_t)(p[8] << 8 | p[9]);
	m->flags = (uint16_t)(p[10] << 8 | p[11]);
	m->ciaddr = get_addr(p + 12);
	m->yiaddr = get_addr(p + 16);
	m->siaddr = get_addr(p + 20);
	memcpy(m->chaddr, p + 28, 16);
	if (get32(p + DHCP_FIXED_LEN) != DHCP_MAGIC)
		return DHCP_ECOOKIE;
	for (;;) {
		uint8_t code, n;
		if (i >= len)
			return DHCP_ETRUNC;	/* no END */
		code = p[i++];
		if (code == DHO_PAD)
			continue;
		if (code == DHO_END)
			return DHCP_OK;
		if (i >= len)
			return DHCP_ETRUNC;	/* no length byte */
		n = p[i++];
		if (n > len - i)
			return DHCP_ETRUNC;	/* the value runs past the end */
		if (!take_option(m, code, p + i, n))
			m->bad_options++;
		i += n;
	}
}

static void put_opt(uint8_t *buf, size_t *at, uint8_t code, const void *v, uint8_t n)
{
	buf[(*at)++] = code;
	buf[(*at)++] = n;
	memcpy(buf + *at, v, n);
	*at += n;
}

static void put_opt_addr(uint8_t *buf, size_t *at, uint8_t code, uint32_t addr)
{
	put_opt(buf, at, code, &addr, 4);
}

size_t dhcp_build(const struct dhcp_req *r, uint8_t *buf, size_t len)
{
	static const uint8_t params[] = { DHO_SUBNET_MASK, DHO_ROUTERS, DHO_DNS,
					  DHO_LEASE_TIME, DHO_T1, DHO_T2 };
	uint8_t type = (uint8_t)r->type, cid[7] = { 1 };
	uint16_t maxsize = htons(DHCP_MSG_MAX - 28);
	uint32_t v;
	size_t at = DHCP_MIN_LEN;

	if (len < DHCP_MSG_MAX)
		return 0;
	memset(buf, 0, DHCP_BUILD_MIN);
	buf[0] = BOOTREQUEST;
	buf[1] = 1;			/* Ethernet */
	buf[2] = 6;
	v = htonl(r->xid);
	memcpy(buf + 4, &v, 4);
	buf[8] = (uint8_t)(r->secs >> 8);
	buf[9] = (uint8_t)r->secs;
	if (r->broadcast)
		buf[10] = DHCP_FLAG_BROADCAST >> 8;
	memcpy(buf + 12, &r->ciaddr, 4);
	memcpy(buf + 28, r->mac, 6);
	v = htonl(DHCP_MAGIC);
	memcpy(buf + DHCP_FIXED_LEN, &v, 4);
	put_opt(buf, &at, DHO_MESSAGE_TYPE, &type, 1);
	memcpy(cid + 1, r->mac, 6);
	put_opt(buf, &at, DHO_CLIENT_ID, cid, sizeof(cid));
	if (r->req_ip)
		put_opt_addr(buf, &at, DHO_REQUESTED_IP, r->req_ip);
	if (r->server_id)
		put_opt_addr(buf, &at, DHO_SERVER_ID, r->server_id);
	if (r->type == DHCPDISCOVER || r->type == DHCPREQUEST) {
		put_opt(buf, &at, DHO_PARAM_REQ, params, sizeof(params));
		put_opt(buf, &at, DHO_MAX_SIZE, &maxsize, 2);
	}
	buf[at++] = DHO_END;
	return at < DHCP_BUILD_MIN ? DHCP_BUILD_MIN : at;
}

const char *dhcp_type_name(int type)
{
	static const char *const names[] = { "none", "DISCOVER", "OFFER", "REQUEST", "DECLINE",
					     "ACK", "NAK", "RELEASE", "INFORM" };

	return type >= 0 && type <= DHCPINFORM ? names[type] : "?";
}
