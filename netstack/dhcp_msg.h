/* DHCP messages (RFC 2131 §2, RFC 2132 options): a parser that treats
 * every byte as hostile and a builder for what a client sends.  Pure
 * functions over byte buffers, so that cmocka and the fuzzer can feed them
 * without a stack. */
#ifndef IMP_DHCP_MSG_H
#define IMP_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define DHCP_FIXED_LEN 236		/* op .. file */
#define DHCP_MIN_LEN 240		/* and the magic cookie */
#define DHCP_MSG_MAX 1500		/* what we build and accept */
#define DHCP_BUILD_MIN 300		/* BOOTP's minimum (RFC 1542 §2.1) */
#define DHCP_MAX_ROUTERS 4
#define DHCP_MAX_DNS 8
#define DHCP_FLAG_BROADCAST 0x8000

enum { BOOTREQUEST = 1, BOOTREPLY = 2 };
enum { DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK,
       DHCPRELEASE, DHCPINFORM };
enum { DHO_PAD = 0, DHO_SUBNET_MASK = 1, DHO_ROUTERS = 3, DHO_DNS = 6,
       DHO_REQUESTED_IP = 50, DHO_LEASE_TIME = 51, DHO_OVERLOAD = 52,
       DHO_MESSAGE_TYPE = 53, DHO_SERVER_ID = 54, DHO_PARAM_REQ = 55,
       DHO_MAX_SIZE = 57, DHO_T1 = 58, DHO_T2 = 59, DHO_CLIENT_ID = 61,
       DHO_END = 255 };

/* Why a message was refused whole. */
enum { DHCP_OK = 0, DHCP_ESHORT = -1, DHCP_ECOOKIE = -2, DHCP_ETRUNC = -3 };

/* What a parsed message says; fields absent from it are 0 / false.
 * Addresses in network order, times in seconds. */
struct dhcp_info {
	uint8_t op, htype, hlen;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr;
	uint8_t chaddr[16];
	int type;			/* DHCPOFFER...; 0 if no option 53 */
	bool has_server_id, has_mask, has_lease, has_t1, has_t2, overload;
	uint32_t server_id, mask, req_ip;
	uint32_t lease, t1, t2;
	uint32_t routers[DHCP_MAX_ROUTERS];
	int nrouters;
	uint32_t dns[DHCP_MAX_DNS];
	int ndns;
	unsigned int bad_options;	/* known options of a wrong length or seen twice: ignored */
	unsigned int unknown_options;	/* options we do not use: skipped */
};

/* dhcp_parse reads a BOOTP/DHCP message of len bytes.  DHCP_OK, or why
 * it is refused: shorter than the fixed part and cookie, no cookie, an
 * option running past the end or no END option. */
int dhcp_parse(const uint8_t *p, size_t len, struct dhcp_info *out);

/* What the client puts in a message it sends. */
struct dhcp_req {
	int type;			/* DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE */
	uint32_t xid;
	uint16_t secs;
	bool broadcast;			/* ask the server to broadcast its reply */
	uint32_t ciaddr;		/* ours, when bound, renewing or rebinding */
	uint32_t req_ip;		/* option 50, 0 to leave it out */
	uint32_t server_id;		/* option 54, 0 to leave it out */
	uint8_t mac[6];
};

/* dhcp_build writes the message into buf (at least DHCP_MSG_MAX bytes)
 * and returns its length. */
size_t dhcp_build(const struct dhcp_req *r, uint8_t *buf, size_t len);

const char *dhcp_type_name(int type);

#endif
