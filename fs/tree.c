/* The /imp tree over the FUSE low-level API: the part of the kernel's VFS
 * that finds a file by name, and the dispatch of each open file's reads and
 * writes to the code that owns it.
 *
 * Every node is named by its inode number, a QID as in Plan 9's devip: the
 * node's type in the low byte, the protocol above it, and the number of the
 * thing it belongs to (interface or socket) above that.  Nothing is
 * allocated per node; the tree is computed from the stack's state on every
 * lookup, and entries under a protocol directory are never cached by the
 * kernel, since socket numbers are reused. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fuse.h>	/* FOPEN_PARALLEL_DIRECT_WRITES, struct fuse_open_out */

#include "impfs.h"

/* A socket's nodes also carry its generation: a new socket that reuses a
 * number must not be taken for the old one by a kernel that still holds
 * the old inodes (after rmdir with files open). */
#define QID(type, proto, num) ((fuse_ino_t)(type) | (fuse_ino_t)(proto) << 8 | (fuse_ino_t)(num) << 16)
#define QIDG(type, proto, num, gen) (QID(type, proto, num) | (fuse_ino_t)(gen) << 40)
#define QTYPE(ino) ((int)((ino) & 0xff))
#define QPROTO(ino) ((int)(((ino) >> 8) & 0xff))
#define QNUM(ino) ((int)(((ino) >> 16) & 0xffffff))
#define QGEN(ino) ((uint32_t)((ino) >> 40))

struct qinfo {
	const char *name;		/* NULL: named by its number or protocol */
	mode_t mode;
	int parent;
};

static const struct qinfo qtab[Qmax] = {
	[Qroot] = { "", S_IFDIR | 0555, 0 },
	[Qipifc] = { "ipifc", S_IFDIR | 0555, Qroot },
	[Qifc] = { NULL, S_IFDIR | 0555, Qipifc },
	[Qifcctl] = { "ctl", S_IFREG | 0644, Qifc },
	[Qifcstatus] = { "status", S_IFREG | 0444, Qifc },
	[Qifcstats] = { "stats", S_IFREG | 0444, Qifc },
	/* Every user's frames, payloads and all: root's, as a capture on
	 * Linux needs CAP_NET_RAW. */
	[Qifcpcap] = { "pcap", S_IFREG | 0400, Qifc },
	[Qarp] = { "arp", S_IFREG | 0644, Qroot },
	[Qiproute] = { "iproute", S_IFREG | 0644, Qroot },
	[Qndp] = { "ndp", S_IFREG | 0444, Qroot },
	[Qipselftab] = { "ipselftab", S_IFREG | 0444, Qroot },
	[Qlog] = { "log", S_IFREG | 0644, Qroot },
	[Qstats] = { "stats", S_IFREG | 0444, Qroot },
	/* Anyone may look a name up; each open file has its own question. */
	[Qdns] = { "dns", S_IFREG | 0666, Qroot },
	[Qdnsstats] = { "dnsstats", S_IFREG | 0444, Qroot },
	[Qdhcpstats] = { "dhcpstats", S_IFREG | 0444, Qroot },
	/* Sticky and world-writable like /tmp: anyone may make sockets, and
	 * only a socket's owner may rmdir it. */
	[Qproto] = { NULL, S_IFDIR | 01777, Qroot },
	[Qnewdir] = { "new", S_IFDIR | 0555, Qproto },
	[Qnewctl] = { "ctl", S_IFREG | 0666, Qnewdir },
	[Qpstats] = { "stats", S_IFREG | 0444, Qproto },
	[Qconv] = { NULL, S_IFDIR | 0770, Qproto },
	[Qctl] = { "ctl", S_IFREG | 0660, Qconv },
	[Qdata] = { "data", S_IFREG | 0660, Qconv },
	[Qlisten] = { "listen", S_IFREG | 0660, Qconv },
	[Qlocal] = { "local", S_IFREG | 0440, Qconv },
	[Qremote] = { "remote", S_IFREG | 0440, Qconv },
	[Qstatus] = { "status", S_IFREG | 0440, Qconv },
	[Qerr] = { "err", S_IFREG | 0440, Qconv },
	[Qinfo] = { "info", S_IFREG | 0440, Qconv },
	[Qtrace] = { "trace", S_IFREG | 0440, Qconv },
};

/* node_here: does a socket directory of protocol proto (an index) have a
 * file of this type?  info and trace are TCP's alone. */
static bool node_here(struct impfs *fs, int type, int proto)
{
	struct protodir *p = proto_by_index(fs, proto);

	return (type != Qinfo && type != Qtrace) || (p && p->protocol == IPPROTO_TCP);
}

static struct impfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* node_conv returns the socket a node belongs to, or NULL. */
static struct conv *node_conv(struct impfs *fs, fuse_ino_t ino)
{
	int type = QTYPE(ino);

	struct conv *c;

	if (type != Qconv && (type <= 0 || type >= Qmax || qtab[type].parent != Qconv))
		return NULL;
	c = conv_lookup(fs, QPROTO(ino), QNUM(ino));
	return c && c->gen == QGEN(ino) ? c : NULL;
}

/* node_valid says whether ino names something that exists now. */
static bool node_valid(struct impfs *fs, fuse_ino_t ino)
{
	int type = QTYPE(ino), num = QNUM(ino), proto = QPROTO(ino);

	if (type <= 0 || type >= Qmax)
		return false;
	if (type == Qconv || qtab[type].parent == Qconv)
		return node_conv(fs, ino) != NULL && node_here(fs, type, proto);
	if (type == Qproto || qtab[type].parent == Qproto || qtab[type].parent == Qnewdir)
		return proto_by_index(fs, proto) != NULL && num == 0;
	if (proto)
		return false;
	if (type == Qifc || qtab[type].parent == Qifc)
		return num < fs->net.ndevs;
	return num == 0;
}

/* conv_file_mode: the mode of a socket's node.  The directory has the
 * socket's mode (0770, or what chmod made it); each file has the rw- or r--
 * of its kind (qtab's owner bits) for every class the directory grants
 * that to, so that chmod and chown of the directory are all it takes. */
static mode_t conv_file_mode(const struct conv *c, int type)
{
	mode_t base = (qtab[type].mode >> 6) & 06;

	if (type == Qconv)
		return S_IFDIR | c->mode;
	return S_IFREG | ((base << 6 | base << 3 | base) & c->mode);
}

static void fill_attr(struct impfs *fs, fuse_ino_t ino, struct stat *st)
{
	struct conv *c = node_conv(fs, ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = c ? conv_file_mode(c, QTYPE(ino)) : qtab[QTYPE(ino)].mode;
	st->st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)fs->mount_time;
	st->st_blksize = 4096;
	if (QTYPE(ino) == Qdns)
		st->st_size = DNS_FILE_SIZE;	/* see reply_open */
	if (c) {
		st->st_uid = c->uid;
		st->st_gid = c->gid;
	}
}

/* Nodes under a protocol directory change owner and meaning as sockets
 * come and go, so the kernel must ask every time. */
static double node_timeout(fuse_ino_t ino)
{
	return QPROTO(ino) ? 0.0 : 1.0;
}

static void reply_entry(fuse_req_t req, struct impfs *fs, fuse_ino_t ino)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.generation = 1;
	e.attr_timeout = node_timeout(ino);
	e.entry_timeout = node_timeout(ino);
	fill_attr(fs, ino, &e.attr);
	fuse_reply_entry(req, &e);
}

/* parse_number reads a canonical decimal (no sign, no leading zero). */
static int parse_number(const char *s)
{
	long v = 0;

	if (!*s || (*s == '0' && s[1]) || strlen(s) > 7)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

static void imp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct impfs *fs = fs_of(req);
	int ptype = QTYPE(parent), proto = QPROTO(parent), n;

	fs->stats.FuseLookups++;
	if (!node_valid(fs, parent)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	switch (ptype) {
	case Qroot:
		for (int i = 0; i < NPROTO; i++)
			if (!strcmp(fs->proto[i].name, name)) {
				reply_entry(req, fs, QID(Qproto, i + 1, 0));
				return;
			}
		break;
	case Qipifc:
		n = parse_number(name);
		if (n >= 0 && n < fs->net.ndevs) {
			reply_entry(req, fs, QID(Qifc, 0, n));
			return;
		}
		break;
	case Qproto: {
		struct conv *c;
		n = parse_number(name);
		if (n >= 0 && (c = conv_lookup(fs, proto, n)) != NULL) {
			reply_entry(req, fs, QIDG(Qconv, proto, n, c->gen));
			return;
		}
		break;
	}
	}
	for (int t = 1; t < Qmax; t++)
		if (qtab[t].parent == ptype && qtab[t].name && !strcmp(qtab[t].name, name) &&
		    node_here(fs, t, proto)) {
			reply_entry(req, fs, QIDG(t, proto, QNUM(parent), QGEN(parent)));
			return;
		}
	fuse_reply_err(req, ENOENT);
}

static void imp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	struct stat st;

	fs->stats.FuseGetattrs++;
	if (!node_valid(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(fs, ino, &st);
	fuse_reply_attr(req, &st, node_timeout(ino));
}

/* in_groups: the caller of req is in group gid (its own, or a
 * supplementary one as /proc tells libfuse). */
static bool in_groups(fuse_req_t req, gid_t gid)
{
	gid_t list[64];
	int n = fuse_req_getgroups(req, 64, list);

	if (fuse_req_ctx(req)->gid == gid)
		return true;
	for (int i = 0; i < n && i < 64; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/* conv_setattr: chmod and chown of a socket directory, with the rules of
 * chmod(2) and chown(2): the owner or root may change the mode; only root
 * may give the socket to another user; the owner may change its group to
 * one of the owner's.  The kernel checks the same (default_permissions);
 * checking here too keeps the rule in one place a reader can see.
 * 0 or an errno. */
static int conv_setattr(fuse_req_t req, struct conv *c, const struct stat *attr, int to_set)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	bool root = ctx->uid == 0, owner = ctx->uid == c->uid;
	uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : c->uid;
	gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : c->gid;

	if (!root && !owner)
		return EPERM;
	if (!root && (uid != c->uid || (gid != c->gid && !in_groups(req, gid))))
		return EPERM;
	if (uid == (uid_t)-1 || gid == (gid_t)-1)
		return EINVAL;
	if (to_set & FUSE_SET_ATTR_MODE)
		c->mode = attr->st_mode & 0777;
	c->uid = uid;
	c->gid = gid;
	return 0;
}

/* setattr: shell redirection truncates, so a truncate to 0 is accepted and
 * changes nothing; chmod and chown of a socket directory change the
 * socket's owner and mode (its files follow); anything else is EPERM. */
static void imp_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	const int owner_bits = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;
	struct stat st;

	if (!node_valid(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((to_set & ~(owner_bits | FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) ||
	    ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size != 0) ||
	    ((to_set & owner_bits) && QTYPE(ino) != Qconv)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (to_set & owner_bits) {
		int err = conv_setattr(req, node_conv(fs, ino), attr, to_set);
		if (err) {
			fuse_reply_err(req, err);
			return;
		}
	}
	fill_attr(fs, ino, &st);
	fuse_reply_attr(req, &st, node_timeout(ino));
}

struct dirbuf {
	fuse_req_t req;
	char *buf;
	size_t size, len;
	off_t idx, want;
	bool full;
};

static void dir_add(struct dirbuf *d, const char *name, fuse_ino_t ino, mode_t mode)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t n;

	if (d->full || d->idx++ < d->want)
		return;
	n = fuse_add_direntry(d->req, d->buf + d->len, d->size - d->len, name, &st, d->idx);
	if (n > d->size - d->len) {
		d->full = true;
		return;
	}
	d->len += n;
}

static void imp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	int type = QTYPE(ino), proto = QPROTO(ino);
	struct dirbuf d = { .req = req, .want = off };
	char name[16];

	fs->stats.FuseReaddirs++;
	if (!node_valid(fs, ino) || !S_ISDIR(qtab[type].mode)) {
		fuse_reply_err(req, node_valid(fs, ino) ? ENOTDIR : ENOENT);
		return;
	}
	d.size = size > 65536 ? 65536 : size;
	d.buf = malloc(d.size);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dir_add(&d, ".", ino, S_IFDIR);
	dir_add(&d, "..", FUSE_ROOT_ID, S_IFDIR);
	if (type == Qroot)
		for (int i = 0; i < NPROTO; i++)
			dir_add(&d, fs->proto[i].name, QID(Qproto, i + 1, 0), S_IFDIR);
	if (type == Qipifc)
		for (int i = 0; i < fs->net.ndevs; i++) {
			snprintf(name, sizeof(name), "%d", i);
			dir_add(&d, name, QID(Qifc, 0, i), S_IFDIR);
		}
	for (int t = 1; t < Qmax; t++)
		if (qtab[t].parent == type && qtab[t].name && node_here(fs, t, proto))
			dir_add(&d, qtab[t].name, QIDG(t, proto, QNUM(ino), QGEN(ino)), qtab[t].mode);
	if (type == Qproto) {
		struct protodir *p = proto_by_index(fs, proto);
		for (int i = 0; i < p->nconv; i++)
			if (p->conv[i]) {
				snprintf(name, sizeof(name), "%d", i);
				dir_add(&d, name, QIDG(Qconv, proto, i, p->conv[i]->gen), S_IFDIR);
			}
	}
	fuse_reply_buf(req, d.buf, d.len);
	free(d.buf);
}

/* rmdir of a socket directory is the close command. */
static void imp_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct impfs *fs = fs_of(req);
	int n = parse_number(name);
	struct conv *c;

	if (QTYPE(parent) != Qproto || !node_valid(fs, parent)) {
		fuse_reply_err(req, QTYPE(parent) == Qproto ? ENOENT : EPERM);
		return;
	}
	c = n >= 0 ? conv_lookup(fs, QPROTO(parent), n) : NULL;
	if (!c) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	conv_close(c, false);
	conv_maybe_free(c);
	fuse_reply_err(req, 0);
}

static struct ofile *ofile_new(struct impfs *fs, int type, int num)
{
	struct ofile *of = calloc(1, sizeof(*of));

	if (of) {
		of->type = type;
		of->num = num;
		ofile_link(fs, of);
	}
	return of;
}

void ofile_link(struct impfs *fs, struct ofile *of)
{
	fs->nfiles++;
	of->anext = fs->open_files;
	if (of->anext)
		of->anext->aprev = &of->anext;
	of->aprev = &fs->open_files;
	fs->open_files = of;
}

/* ofile_free: the file is closed (release), or the daemon is going. */
void ofile_free(struct impfs *fs, struct ofile *of)
{
	if (of->ring)
		ring_release(fs, of);
	dns_file_release(of);
	if (of->ph)
		fuse_pollhandle_destroy(of->ph);
	conv_detach(of);
	sb_free(&of->text);
	fs->nfiles--;
	*of->aprev = of->anext;
	if (of->anext)
		of->anext->aprev = of->aprev;
	free(of);
}

/* reply_open answers an open.  dns is opened for parallel writes: a
 * write there waits for its answer, and without FOPEN_PARALLEL_DIRECT_WRITES
 * the kernel holds the inode's lock for each write, so one lookup waiting
 * for a dead server would hold up every other process's.  libfuse 3.14's
 * fuse_file_info has no field for the flag, so the reply is made here, as
 * fuse_reply_open makes it.  The kernel also wants the write inside the
 * file (no parallel writes past its end), hence dns's size. */
static int reply_open(fuse_req_t req, int type, const struct fuse_file_info *fi)
{
	struct fuse_open_out out;

	if (type != Qdns)
		return fuse_reply_open(req, fi);
	memset(&out, 0, sizeof(out));
	out.fh = fi->fh;
	out.open_flags = FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE | FOPEN_PARALLEL_DIRECT_WRITES;
	return fuse_reply_buf(req, (const char *)&out, sizeof(out));
}

static void imp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	int type = QTYPE(ino), acc = fi->flags & O_ACCMODE;
	struct conv *c = NULL;
	struct ofile *of;

	fs->stats.FuseOpens++;
	if (!node_valid(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(qtab[type].mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (acc != O_RDONLY && !(qtab[type].mode & 0200)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fi->direct_io = 1;
	fi->nonseekable = 1;
	if (type == Qnewctl) {
		const struct fuse_ctx *ctx = fuse_req_ctx(req);
		int err = conv_new(fs, proto_by_index(fs, QPROTO(ino)), ctx->uid, ctx->gid, NULL, &c);
		if (err) {
			fuse_reply_err(req, -err);
			return;
		}
		type = Qctl;
	} else if (qtab[type].parent == Qconv) {
		c = node_conv(fs, ino);
		if (type == Qlisten) {
			sock_listen_open(req, c, fi);
			return;
		}
	}
	of = ofile_new(fs, type, QNUM(ino));
	if (!of) {
		if (c)
			conv_maybe_free(c);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (c) {
		conv_attach(c, of);
		if (type == Qtrace) {
			if (!c->sock) {
				ofile_free(fs, of);
				fuse_reply_err(req, ECONNRESET);	/* closed: nothing to trace */
				return;
			}
			trace_open(fs, of, c->sock->sk);
			if (!of->ring) {
				int err = errno;
				ofile_free(fs, of);
				fuse_reply_err(req, err);	/* ENOBUFS: --max-ring-bytes */
				return;
			}
		} else if (type != Qctl && type != Qdata) {
			show_conv_file(&of->text, c, type);
		}
	} else if (acc != O_WRONLY || type == Qifcpcap || type == Qlog) {
		struct net_device *dev = of->num < fs->net.ndevs ? fs->net.devs[of->num] : NULL;
		switch (type) {
		case Qifcctl: sb_printf(&of->text, "%d\n", of->num); break;
		case Qifcstatus: show_ifc_status(&of->text, dev); break;
		case Qifcstats:
			show_ifc_stats(&of->text, dev);
			sb_printf(&of->text, "PcapDrops: %llu\n", (unsigned long long)pcap_drops(fs));
			break;
		case Qifcpcap: pcap_open(fs, of); break;
		case Qarp: show_arp(&of->text, &fs->net); break;
		case Qiproute: show_iproute(&of->text, &fs->net); break;
		case Qndp: show_ndp(&of->text, &fs->net); break;
		case Qipselftab: show_ipselftab(&of->text, &fs->net); break;
		case Qstats: show_stats(&of->text, fs); break;
		case Qdnsstats: show_dnsstats(&of->text, &fs->net); break;
		case Qdhcpstats: show_dhcpstats(&of->text, &fs->net); break;
		case Qlog: if (acc != O_WRONLY) log_open(fs, of); break;
		case Qpstats: show_proto_stats(&of->text, fs, proto_by_index(fs, QPROTO(ino))); break;
		}
		if ((type == Qifcpcap || (type == Qlog && acc != O_WRONLY)) && !of->ring) {
			int err = errno;	/* ENOBUFS past --max-ring-bytes, or ENOMEM */
			ofile_free(fs, of);
			fuse_reply_err(req, err);
			return;
		}
	}
	fi->fh = (uintptr_t)of;
	if (reply_open(req, of->type, fi) == -ENOENT)
		ofile_free(fs, of);	/* the opener went away (interrupted) before the reply */
}

static void imp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;
	struct impfs *fs = fs_of(req);

	fs->stats.FuseReads++;
	fs->stats.FuseReadBytes += size;
	if (of->ring) {
		ring_read(req, fs_of(req), of, size, fi->flags);
		return;
	}
	if (of->conv && of->type == Qdata) {
		sock_read(req, of, size, fi->flags);
		return;
	}
	if (of->type == Qdns) {
		dns_file_read(req, of, size);
		return;
	}
	if (of->conv && of->type == Qctl && of->text.len == 0)
		sb_printf(&of->text, "%d\n", of->conv->x);
	if ((size_t)off >= of->text.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > of->text.len - (size_t)off)
		size = of->text.len - (size_t)off;
	fuse_reply_buf(req, of->text.s + off, size);
}

/* One write is one command, as with every ctl file. */
static void imp_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size,
		      off_t off, struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;
	char line[256], why[160] = "";
	int err;

	fs->stats.FuseWrites++;
	fs->stats.FuseWriteBytes += size;
	if (of->conv && of->type == Qdata) {
		sock_write(req, of, data, size, fi->flags);
		return;
	}
	if (of->conv && of->type == Qctl) {
		conv_ctl(req, of->conv, of, data, size, fi->flags);
		return;
	}
	if (of->type == Qdns) {
		dns_file_write(req, fs, of, data, size);
		return;
	}
	if (size >= sizeof(line) || memchr(data, 0, size)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(line, data, size);
	line[size] = 0;
	switch (of->type) {
	case Qarp: err = write_arp(&fs->net, line, why, sizeof(why)); break;
	case Qiproute: err = write_iproute(&fs->net, line, why, sizeof(why)); break;
	case Qlog: err = log_ctl(fs, line, why, sizeof(why)); break;
	case Qifcctl:
		err = of->num < fs->net.ndevs ?
			write_ifc_ctl(fs->net.devs[of->num], line, why, sizeof(why)) : -ENODEV;
		break;
	default: err = -EACCES; break;
	}
	if (err) {
		net_log(&fs->net, NETLOG_ALL, "%s: %s", qtab[of->type].name, why);
		fuse_reply_err(req, -err);
		return;
	}
	fuse_reply_write(req, size);
}

static void imp_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct fuse_pollhandle *ph)
{
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;

	fs_of(req)->stats.FusePolls++;
	if (of->conv) {
		sock_poll(req, of, ph);
		return;
	}
	if (of->ring) {
		ring_poll(req, of, ph);
		return;
	}
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLOUT);	/* text files never wait */
}

static void imp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fs_of(req)->stats.FuseReleases++;
	ofile_free(fs_of(req), (struct ofile *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void imp_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static void imp_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Large requests: a read or write of up to 1 MiB is one request. */
	conn->max_write = 1u << 20;
	conn->max_read = 0;
}

const struct fuse_lowlevel_ops impfs_ops = {
	.init = imp_init,
	.lookup = imp_lookup,
	.getattr = imp_getattr,
	.setattr = imp_setattr,
	.readdir = imp_readdir,
	.rmdir = imp_rmdir,
	.open = imp_open,
	.read = imp_read,
	.write = imp_write,
	.poll = imp_poll,
	.release = imp_release,
	.statfs = imp_statfs,
};
