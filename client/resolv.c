/* resolv.c: host names through imp (imp-run(1), NAMES).
 *
 * glibc's resolver makes its sockets inside libc, where LD_PRELOAD cannot
 * reach them, so a program would ask the kernel's network for names.
 * Instead getaddrinfo, gethostbyname, gethostbyname_r, gethostbyname2 and
 * gethostbyname2_r are interposed here: a name that is not numeric, not
 * localhost and not in /etc/hosts is written to $IMP_ROOT/dns and the
 * addresses read back.  Everything else, and every name when imp cannot
 * answer for names at all (no $IMP_ROOT/dns, or no name server there),
 * goes to libc.  getaddrinfo asks for A records (AF_INET), AAAA
 * (AF_INET6, with AI_V4MAPPED's IPv4-mapped A), or both (AF_UNSPEC), as
 * glibc does; the gethostbyname calls give IPv4 (and gethostbyname2's
 * AF_INET6, IPv6) addresses. */
#include "impc.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAXADDRS 16

/* localhost and *.localhost are the machine itself (RFC 6761 §6.3). */
static bool is_localhost(const char *name)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.')
		n--;
	return (n == 9 && !strncasecmp(name, "localhost", 9)) ||
	       (n > 10 && !strncasecmp(name + n - 10, ".localhost", 10));
}

/* in_etc_hosts: /etc/hosts names it (libc then answers without DNS). */
static bool in_etc_hosts(const char *name)
{
	char line[1024], want[256];
	size_t n = strlen(name);
	bool found = false;
	FILE *f;

	if (n == 0 || n >= sizeof(want))
		return false;
	memcpy(want, name, n + 1);
	if (want[n - 1] == '.')
		want[n - 1] = 0;
	if (!(f = fopen("/etc/hosts", "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save, *tok;
		line[strcspn(line, "#\n")] = 0;
		if (!strtok_r(line, " \t", &save))
			continue;	/* the address */
		while ((tok = strtok_r(NULL, " \t", &save)))
			if (!strcasecmp(tok, want)) {
				found = true;
				break;
			}
	}
	fclose(f);
	return found;
}

/* is_numeric: an address libc turns into itself without asking anyone. */
static bool is_numeric(const char *name)
{
	unsigned char buf[16];
	struct in_addr a;

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1 ||
	       inet_aton(name, &a) != 0;
}

/* Results of imp_lookup. */
enum { L_LIBC = -1 };	/* imp cannot answer names: ask libc */

/* An answer: addresses of either family, IPv4 ones mapped. */
struct answer {
	int n;
	struct in6_addr a[MAXADDRS];
};

/* imp_lookup asks $IMP_ROOT/dns for name's addresses of one type ("a" or
 * "aaaa"), appended to ans: their count, L_LIBC, or 0 with *err the
 * lookup's errno. */
static int imp_lookup(const char *name, const char *type, struct answer *ans, int *err)
{
	char path[PATH_MAX], buf[2048], *line, *save;
	size_t len = strlen(name), got = 0;
	ssize_t n;
	int fd, count = 0;

	if (!name[0] || len > 253 + 1 || is_numeric(name) || is_localhost(name) || in_etc_hosts(name))
		return L_LIBC;
	NEED(write);
	root_get();
	if ((size_t)snprintf(path, sizeof(path), "%s/dns", root) >= sizeof(path))
		return L_LIBC;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return L_LIBC;
	snprintf(buf, sizeof(buf), "%s %s\n", name, type);
	do {
		n = real_write(fd, buf, strlen(buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		*err = errno;
		real_close(fd);
		return *err == ENETUNREACH ? L_LIBC : 0;	/* no name server on imp */
	}
	while (got + 1 < sizeof(buf) && (n = real_read(fd, buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	real_close(fd);
	buf[got] = 0;
	for (line = strtok_r(buf, "\n", &save); line && ans->n < MAXADDRS; line = strtok_r(NULL, "\n", &save)) {
		struct in_addr a;
		if (type[1] == 0 && inet_pton(AF_INET, line, &a) == 1)
			map4(&ans->a[ans->n++], a), count++;
		else if (type[1] && inet_pton(AF_INET6, line, &ans->a[ans->n]) == 1)
			ans->n++, count++;
	}
	if (count == 0)
		*err = ENODATA;
	return count;
}

/* has_global6: imp has an IPv6 address beyond link-local, so that glibc's
 * RFC 6724 sort would put IPv6 destinations first (rules 2 and 6). */
static bool has_global6(void)
{
	char path[PATH_MAX], line[256];
	bool yes = false;
	FILE *f;

	root_get();
	if ((size_t)snprintf(path, sizeof(path), "%s/ipifc/0/status", root) >= sizeof(path) ||
	    !(f = fopen(path, "re")))
		return false;
	while (!yes && fgets(line, sizeof(line), f)) {
		char a[64];
		struct in6_addr a6;
		if (sscanf(line, "addr %63[^/ ]", a) == 1 && inet_pton(AF_INET6, a, &a6) == 1 &&
		    !IN6_IS_ADDR_LINKLOCAL(&a6) && !strstr(line, "tentative"))
			yes = true;
	}
	fclose(f);
	return yes;
}

/* lookup: the addresses getaddrinfo gives for name and family (hints'
 * ai_flags): as glibc, AF_INET6 is AAAA, or with AI_V4MAPPED the mapped
 * A records when there is no AAAA (AI_ALL: as well); AF_UNSPEC is both,
 * IPv6 first when imp has a global IPv6 address.  Count, L_LIBC, or 0. */
static int lookup(const char *name, int family, int flags, struct answer *ans, int *err)
{
	int n4 = 0, n6 = 0, err4 = 0, err6 = 0;
	struct answer a4 = { 0 };

	ans->n = 0;
	if (family == AF_INET)
		return imp_lookup(name, "a", ans, err);
	if (family == AF_INET6) {
		n6 = imp_lookup(name, "aaaa", ans, &err6);
		if (n6 == L_LIBC)
			return L_LIBC;
		if ((flags & AI_V4MAPPED) && (n6 == 0 ? err6 == ENODATA : (flags & AI_ALL)))
			n4 = imp_lookup(name, "a", ans, &err4);
		*err = n6 || !n4 ? err6 : err4;
		return n4 > 0 ? n6 + n4 : n6;
	}
	/* AF_UNSPEC: A first; AAAA unless the name is not there at all
	 * (NXDOMAIN, or no answer: asking again would only wait again). */
	n4 = imp_lookup(name, "a", &a4, &err4);
	if (n4 == L_LIBC)
		return L_LIBC;
	if (n4 > 0 || err4 == ENODATA)
		n6 = imp_lookup(name, "aaaa", ans, &err6);
	if (n6 < 0)
		n6 = 0;
	if (n4 > 0) {
		int at = ans->n && has_global6() ? ans->n : 0, k = a4.n;
		if (k > MAXADDRS - ans->n)
			k = MAXADDRS - ans->n;
		if (at == 0)
			memmove(&ans->a[k], &ans->a[0], (size_t)ans->n * sizeof(ans->a[0]));
		memcpy(&ans->a[at], a4.a, (size_t)k * sizeof(a4.a[0]));
		ans->n += k;
	}
	*err = n4 || n6 ? 0 : err4;
	return ans->n;
}

static int eai_of(int err)
{
	switch (err) {
	case ENOENT: case EINVAL: return EAI_NONAME;
	case ENODATA: return EAI_NODATA;
	case ETIMEDOUT: case EAGAIN: case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH:
		return EAI_AGAIN;
	default: return EAI_FAIL;
	}
}

static int h_errno_of(int err)
{
	switch (err) {
	case ENOENT: case EINVAL: return HOST_NOT_FOUND;
	case ENODATA: return NO_DATA;
	case ETIMEDOUT: case EAGAIN: case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH:
		return TRY_AGAIN;
	default: return NO_RECOVERY;
	}
}

/* --- getaddrinfo --- */

/* One result: the addrinfo, a mark, its address, in one allocation.  The
 * mark sits between them, where glibc has its address, so freeaddrinfo
 * tells ours from libc's. */
#define AI_MARK 0x696d702d61692121ull	/* "imp-ai!!" */
struct ai_node {
	struct addrinfo ai;
	uint64_t mark;
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	};
};

static bool is_ours(const struct addrinfo *ai)
{
	const struct ai_node *n = (const struct ai_node *)ai;

	return ai->ai_addr == (const struct sockaddr *)&n->sin && n->mark == AI_MARK;
}

static void free_ours(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		free(ai->ai_canonname);
		free(ai);
		ai = next;
	}
}

/* service_port: the port of service for socktype (0: either); -1 if none. */
static int service_port(const char *service, int socktype, int flags)
{
	char *end;
	long v;

	if (!service)
		return 0;
	v = strtol(service, &end, 10);
	if (*service && !*end)
		return v >= 0 && v <= 65535 ? (int)v : -1;
	if (flags & AI_NUMERICSERV)
		return -1;
	struct servent se, *r = NULL;
	char sbuf[1024];
	if (getservbyname_r(service, socktype == SOCK_DGRAM ? "udp" : "tcp", &se, sbuf, sizeof(sbuf), &r) || !r)
		return -1;
	return ntohs((uint16_t)r->s_port);
}

EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	static const struct { int type, proto; } kinds[] = {
		{ SOCK_STREAM, IPPROTO_TCP }, { SOCK_DGRAM, IPPROTO_UDP }, { SOCK_RAW, 0 },
	};
	struct addrinfo h = { .ai_family = AF_UNSPEC };
	struct answer ans;
	struct addrinfo *head = NULL, **tail = &head;
	int n, err = 0, port;

	NEED(getaddrinfo);
	if (hints)
		h = *hints;
	if (!node || (h.ai_flags & AI_NUMERICHOST) ||
	    (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET && h.ai_family != AF_INET6))
		return real_getaddrinfo(node, service, hints, res);
	n = lookup(node, h.ai_family, h.ai_flags, &ans, &err);
	if (n == L_LIBC)
		return real_getaddrinfo(node, service, hints, res);
	if (n == 0)
		return eai_of(err);
	port = service_port(service, h.ai_socktype, h.ai_flags);
	if (port < 0)
		return EAI_SERVICE;
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			struct ai_node *an;
			if (h.ai_socktype ? h.ai_socktype != kinds[k].type :
			    (service && kinds[k].type == SOCK_RAW))
				continue;
			if (h.ai_protocol && kinds[k].proto && h.ai_protocol != kinds[k].proto)
				continue;
			if (!(an = calloc(1, sizeof(*an)))) {
				free_ours(head);
				return EAI_MEMORY;
			}
			an->mark = AI_MARK;
			if (h.ai_family == AF_INET6 || !is_v4(&ans.a[i])) {
				an->sin6.sin6_family = AF_INET6;
				an->sin6.sin6_port = htons((uint16_t)port);
				an->sin6.sin6_addr = ans.a[i];
				an->ai.ai_addrlen = sizeof(an->sin6);
			} else {
				an->sin.sin_family = AF_INET;
				an->sin.sin_port = htons((uint16_t)port);
				memcpy(&an->sin.sin_addr, &ans.a[i].s6_addr[12], 4);
				an->ai.ai_addrlen = sizeof(an->sin);
			}
			an->ai.ai_family = an->sin.sin_family;
			an->ai.ai_socktype = kinds[k].type;
			an->ai.ai_protocol = h.ai_protocol ? h.ai_protocol : kinds[k].proto;
			an->ai.ai_addr = (struct sockaddr *)&an->sin;
			if (!head && (h.ai_flags & AI_CANONNAME) && !(an->ai.ai_canonname = strdup(node))) {
				free(an);
				return EAI_MEMORY;
			}
			*tail = &an->ai;
			tail = &an->ai.ai_next;
		}
	if (!head)
		return EAI_SOCKTYPE;
	*res = head;
	return 0;
}

EXPORT void freeaddrinfo(struct addrinfo *ai)
{
	NEED(freeaddrinfo);
	if (ai && is_ours(ai))
		free_ours(ai);
	else
		real_freeaddrinfo(ai);
}

/* --- gethostbyname --- */

/* fill_hostent lays the answer out in buf, as the _r calls do. */
static int fill_hostent(const char *name, int af, const struct answer *ans, struct hostent *he,
			char *buf, size_t buflen)
{
	int n = ans->n, alen = af == AF_INET ? 4 : 16;
	size_t nlen = strlen(name) + 1;
	size_t need = (size_t)(n + 2) * sizeof(char *) + (size_t)n * (size_t)alen + nlen;
	char **ptrs = (char **)buf, *p;

	if ((uintptr_t)buf % sizeof(char *) || buflen < need)
		return ERANGE;
	p = buf + (size_t)(n + 2) * sizeof(char *);
	he->h_aliases = ptrs;			/* empty: ptrs[0] */
	ptrs[0] = NULL;
	he->h_addr_list = ptrs + 1;
	for (int i = 0; i < n; i++) {
		memcpy(p, &ans->a[i].s6_addr[16 - alen], (size_t)alen);
		ptrs[1 + i] = p;
		p += alen;
	}
	ptrs[1 + n] = NULL;
	memcpy(p, name, nlen);
	he->h_name = p;
	he->h_addrtype = af;
	he->h_length = alen;
	return 0;
}

/* by_name_r is gethostbyname2_r for AF_INET (A) or AF_INET6 (AAAA); 1 if
 * libc should answer. */
static int by_name_r(const char *name, int af, struct hostent *he, char *buf, size_t buflen,
		     struct hostent **result, int *h_errnop, int *ret)
{
	struct answer ans = { 0 };
	int err = 0, n = imp_lookup(name, af == AF_INET ? "a" : "aaaa", &ans, &err);

	if (n == L_LIBC)
		return 1;
	*result = NULL;
	if (n == 0) {
		*h_errnop = h_errno_of(err);
		*ret = err == ENOENT || err == ENODATA ? 0 : err;
		return 0;
	}
	if ((*ret = fill_hostent(name, af, &ans, he, buf, buflen)) != 0) {
		*h_errnop = NETDB_INTERNAL;
		return 0;
	}
	*result = he;
	*h_errnop = 0;
	return 0;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *he, char *buf, size_t buflen,
			    struct hostent **result, int *h_errnop)
{
	int ret = 0;

	NEED(gethostbyname2_r);
	if ((af != AF_INET && af != AF_INET6) ||
	    by_name_r(name, af, he, buf, buflen, result, h_errnop, &ret))
		return real_gethostbyname2_r(name, af, he, buf, buflen, result, h_errnop);
	return ret;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *he, char *buf, size_t buflen,
			   struct hostent **result, int *h_errnop)
{
	int ret = 0;

	NEED(gethostbyname_r);
	if (by_name_r(name, AF_INET, he, buf, buflen, result, h_errnop, &ret))
		return real_gethostbyname_r(name, he, buf, buflen, result, h_errnop);
	return ret;
}

/* The non-reentrant calls keep one answer per thread. */
static __thread struct hostent tls_he;
static __thread char tls_buf[1024] __attribute__((aligned(sizeof(char *))));

EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *r = NULL;
	int ret = 0, herr = 0;

	NEED(gethostbyname2);
	if ((af != AF_INET && af != AF_INET6) ||
	    by_name_r(name, af, &tls_he, tls_buf, sizeof(tls_buf), &r, &herr, &ret))
		return real_gethostbyname2(name, af);
	if (!r)
		h_errno = herr;
	return r;
}

EXPORT struct hostent *gethostbyname(const char *name)
{
	struct hostent *r = NULL;
	int ret = 0, herr = 0;

	NEED(gethostbyname);
	if (by_name_r(name, AF_INET, &tls_he, tls_buf, sizeof(tls_buf), &r, &herr, &ret))
		return real_gethostbyname(name);
	if (!r)
		h_errno = herr;
	return r;
}
