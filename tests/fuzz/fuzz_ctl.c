/* Fuzz target "ctl": the ctl command parsers (fs/ctlparse.c) and impfs's
 * --fault parser (netstack/fault.c), on a live stack so that the commands
 * that parse also run (arp add, route add, an address removed, an MTU).
 *
 * The input is a sequence of records:  which(1) len(1) text(len)
 *
 *   which % 8: 0-2 a socket's ctl command (sockctl_parse) for TCP, UDP,
 *   ICMP; 3 /imp/arp; 4 /imp/iproute; 5 /imp/ipifc/0/ctl; 6 --fault;
 *   7 ctl_split alone.
 *
 * The text is given as impfs gives it: write_arp and its kin get a
 * NUL-terminated copy, refused (as fs/tree.c does) when it holds a NUL or
 * fills the 256-byte line.  Beyond not crashing, each refusal must say why
 * (a non-empty sentence, NUL-terminated inside its buffer): the harness
 * aborts otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzstack.h"
#include "ctlparse.h"
#include "fault.h"

static void check_why(int err, const char *why, size_t whylen, const char *what)
{
	if (err && (!why[0] || !memchr(why, 0, whylen))) {
		fprintf(stderr, "%s refused (%d) without a sentence\n", what, err);
		abort();
	}
}

/* poke: a datagram to the peer and one to an unknown host, so that the
 * routes, neighbours and MTU a command set are used. */
static void poke(struct fzstack *st, struct socket *udp)
{
	static const uint8_t data[2000];
	struct sockmsg m;

	if (!udp)
		return;
	for (int i = 0; i < 2; i++) {
		memset(&m, 0, sizeof(m));
		m.data = data;
		m.has_name = true;
		m.name.sin.sin_family = AF_INET;
		m.name.sin.sin_addr.s_addr = i ? htonl(0xc0a80105) : FZ_PEER_IP;
		m.name.sin.sin_port = htons(9);
		udp->ops->sendmsg(udp, &m, sizeof(data));
	}
	fz_advance(st, 2000000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int protos[3] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct fzin in = { data, size };
	struct fzstack st;
	struct socket *udp = NULL;

	fz_init(&st, 1500);
	sock_create(&st.net, SOCK_DGRAM, IPPROTO_UDP, &udp);
	while (fz_more(&in)) {
		uint8_t which = fz_u8(&in) % 8;
		size_t len;
		const uint8_t *p = fz_take(&in, fz_u8(&in), &len);
		char line[256], why[160] = "";
		char *argv[CTL_MAXARGS];
		struct sockcmd cmd;
		struct fault_spec fs;
		int err;

		if (which <= 2) {
			err = sockctl_parse((const char *)p, len, protos[which], &cmd, why, sizeof(why));
			check_why(err, why, sizeof(why), "sockctl_parse");
			if (!err && !memchr(cmd.text, 0, sizeof(cmd.text)))
				abort();
			continue;
		}
		if (len >= sizeof(line) || memchr(p, 0, len))
			continue;
		memcpy(line, p, len);
		line[len] = 0;
		switch (which) {
		case 3:
			err = write_arp(&st.net, line, why, sizeof(why));
			check_why(err, why, sizeof(why), "write_arp");
			break;
		case 4:
			err = write_iproute(&st.net, line, why, sizeof(why));
			check_why(err, why, sizeof(why), "write_iproute");
			break;
		case 5:
			err = write_ifc_ctl(st.dev, line, why, sizeof(why));
			check_why(err, why, sizeof(why), "write_ifc_ctl");
			break;
		case 6:
			err = fault_parse(line, &fs, why, sizeof(why));
			check_why(err, why, sizeof(why), "fault_parse");
			break;
		default:
			err = ctl_split(line, argv, CTL_MAXARGS);
			if (err > CTL_MAXARGS)
				abort();
			for (int i = 0; i < err; i++)
				if (!argv[i][0] || strpbrk(argv[i], " \t\n"))
					abort();	/* words are never empty nor hold a separator */
			break;
		}
		if (!err && which >= 3 && which <= 5)
			poke(&st, udp);
	}
	if (udp)
		sock_release(udp);
	fz_free(&st);
	return 0;
}
