/* /imp/dns: write a name (and optionally a type, a or aaaa) on an open
 * file, read its addresses back, one a line, then end of file.
 *
 * The write is the question and returns when the answer is in (from the
 * cache at once, else when the resolver calls back): its byte count, or
 * the lookup's errno.  Either way what a read of the same open file gives
 * is made then: the addresses, or one line "error: NAME: SENTENCE" (there
 * is no err file here; the sentence stays with the descriptor that asked).
 * The parked write is the FUSE request itself, as a blocked connect is:
 * no thread waits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "impfs.h"

/* answer_text makes what reads of of return, and returns the errno (0). */
static int answer_text(struct ofile *of, const char *name, const struct dns_result *res)
{
	char buf[INET6_ADDRSTRLEN];

	sb_free(&of->text);
	of->rpos = 0;
	if (res->err) {
		sb_printf(&of->text, "error: %.254s: %s\n", name, res->why);
		return -res->err;
	}
	for (int i = 0; i < res->naddrs; i++)
		sb_printf(&of->text, "%s\n", inet_ntoa_r(res->addrs[i], buf));
	for (int i = 0; i < res->naddrs6; i++)
		sb_printf(&of->text, "%s\n", inet_ntop(AF_INET6, res->addrs6[i], buf, sizeof(buf)));
	return 0;
}

/* The resolver's callback: answer the parked write. */
static void dns_file_done(void *arg, const struct dns_result *res)
{
	struct ofile *of = arg;
	struct preq *pr = of->dnswait;
	int err;

	of->dnsq = NULL;
	if (!pr)
		return;
	err = answer_text(of, pr->wbuf, res);
	preq_unlink(pr);
	if (err)
		fuse_reply_err(pr->req, err);
	else
		fuse_reply_write(pr->req, pr->size);
	preq_free(pr);
}

void dns_file_write(fuse_req_t req, struct impfs *fs, struct ofile *of, const char *buf,
		    size_t size)
{
	char line[320], *argv[4];
	struct dns_result res;
	uint16_t qtype = DNS_T_A;
	struct preq *pr;
	int argc, err;

	memset(&res, 0, sizeof(res));
	if (of->dnsq) {
		fuse_reply_err(req, EBUSY);	/* one lookup at a time per open file */
		return;
	}
	if (size >= sizeof(line) || memchr(buf, 0, size)) {
		res.err = -EINVAL;
		snprintf(res.why, sizeof(res.why), "a name is at most 253 characters of text");
		answer_text(of, "?", &res);
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(line, buf, size);
	line[size] = 0;
	argc = ctl_split(line, argv, 4);
	if (argc == 2 && !strcasecmp(argv[1], "aaaa"))
		qtype = DNS_T_AAAA;
	if (argc < 1 || argc > 2 || (argc == 2 && qtype == DNS_T_A && strcasecmp(argv[1], "a"))) {
		res.err = -EINVAL;
		snprintf(res.why, sizeof(res.why), "usage: NAME [a|aaaa], one per write");
		answer_text(of, argc >= 1 ? argv[0] : "?", &res);
		fuse_reply_err(req, EINVAL);
		return;
	}
	err = dns_resolve(&fs->net, argv[0], qtype, dns_file_done, of, &res, &of->dnsq);
	if (err != -EINPROGRESS) {
		err = answer_text(of, argv[0], &res);
		if (err)
			fuse_reply_err(req, err);
		else
			fuse_reply_write(req, size);
		return;
	}
	/* The name, for the answer's error line, in the request's buffer
	 * (freed with it). */
	pr = preq_new(req, P_DNS, of);
	if (pr && !(pr->wbuf = strdup(argv[0]))) {
		preq_free(pr);
		errno = ENOMEM;
		pr = NULL;
	}
	if (!pr) {
		dns_cancel(of->dnsq);
		of->dnsq = NULL;
		preq_refuse(req, NULL, "dns");	/* --max-parked, or no memory */
		return;
	}
	pr->size = size;
	preq_park(&of->dnswait, pr);
}

/* Reads go on from where the last read stopped, whatever the offset. */
void dns_file_read(fuse_req_t req, struct ofile *of, size_t size)
{
	if (of->rpos >= of->text.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > of->text.len - of->rpos)
		size = of->text.len - of->rpos;
	fuse_reply_buf(req, of->text.s + of->rpos, size);
	of->rpos += size;
}

/* The file is closed (or the daemon stops): the lookup is not wanted. */
void dns_file_release(struct ofile *of)
{
	if (of->dnsq) {
		dns_cancel(of->dnsq);
		of->dnsq = NULL;
	}
	if (of->dnswait) {
		struct preq *pr = of->dnswait;
		preq_unlink(pr);
		fuse_reply_err(pr->req, EINTR);
		preq_free(pr);
	}
}
