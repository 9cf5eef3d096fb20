/* Fuzz target "dhcp": the DHCP message parser (netstack/dhcp_msg.c) on
 * raw bytes, the UDP payload a server's reply would be.  Beyond not
 * crashing: what it reports must be in range, and a message built from a
 * parsed one must parse again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_info m;
	uint8_t out[DHCP_MSG_MAX];
	struct dhcp_req r;
	size_t n;

	if (dhcp_parse(data, size, &m) != DHCP_OK)
		return 0;
	if (m.nrouters > DHCP_MAX_ROUTERS || m.ndns > DHCP_MAX_DNS || m.type < 0 || m.type > DHCPINFORM)
		abort();
	memset(&r, 0, sizeof(r));
	r.type = m.type ? m.type : DHCPREQUEST;
	r.xid = m.xid;
	r.req_ip = m.yiaddr;
	r.server_id = m.server_id;
	memcpy(r.mac, m.chaddr, 6);
	n = dhcp_build(&r, out, sizeof(out));
	if (n < DHCP_BUILD_MIN || dhcp_parse(out, n, &m) != DHCP_OK || m.bad_options)
		abort();
	return 0;
}
