/* The /imp tree over the FUSE low-level API: the part of the kernel's VFS
 * that finds a file by name, and the part of each file that answers reads
 * and writes.
 *
 * Every node is named by its inode number, a QID as in Plan 9's devip: the
 * node's type in the low byte and the number of the thing it belongs to
 * (interface, later socket) above it.  Nothing is allocated per node; the
 * tree is computed from the stack's state on every lookup. */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "impfs.h"

enum {
	Qroot = 1, Qipifc, Qifc, Qifcctl, Qifcstatus, Qifcstats,
	Qarp, Qiproute, Qipselftab, Qmax
};

#define QID(type, n) (((fuse_ino_t)(n) << 8) | (type))
#define QTYPE(ino) ((int)((ino) & 0xff))
#define QNUM(ino) ((int)((ino) >> 8))

struct qinfo {
	const char *name;		/* NULL: named by its number */
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
	[Qarp] = { "arp", S_IFREG | 0644, Qroot },
	[Qiproute] = { "iproute", S_IFREG | 0644, Qroot },
	[Qipselftab] = { "ipselftab", S_IFREG | 0444, Qroot },
};

/* An open file: the text made at open, read by offset. */
struct ofile {
	int type, num;
	struct strbuf text;
};

static struct impfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* node_valid says whether ino names something that exists now. */
static bool node_valid(struct impfs *fs, fuse_ino_t ino)
{
	int type = QTYPE(ino), num = QNUM(ino);

	if (type <= 0 || type >= Qmax)
		return false;
	if (qtab[type].parent == Qifc || type == Qifc)
		return num < fs->net.ndevs;
	return num == 0;
}

static void fill_attr(struct impfs *fs, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = qtab[QTYPE(ino)].mode;
	st->st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	st->st_atime = st->st_mtime = st->st_ctime = (time_t)fs->mount_time;
	st->st_blksize = 4096;
}

static void reply_entry(fuse_req_t req, struct impfs *fs, fuse_ino_t ino)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.generation = 1;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	fill_attr(fs, ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void imp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct impfs *fs = fs_of(req);
	int ptype = QTYPE(parent);

	if (!node_valid(fs, parent)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (ptype == Qipifc) {
		char *end;
		long n = strtol(name, &end, 10);
		if (*name >= '0' && *name <= '9' && !*end && n < fs->net.ndevs &&
		    (n == 0 || *name != '0')) {
			reply_entry(req, fs, QID(Qifc, n));
			return;
		}
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (int t = 1; t < Qmax; t++)
		if (qtab[t].parent == ptype && qtab[t].name && !strcmp(qtab[t].name, name)) {
			reply_entry(req, fs, QID(t, QNUM(parent)));
			return;
		}
	fuse_reply_err(req, ENOENT);
}

static void imp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	struct stat st;

	if (!node_valid(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(fs, ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

/* Shell redirection truncates: accept a truncate to 0 and change nothing. */
static void imp_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
			struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	struct stat st;

	if (!node_valid(fs, ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) ||
	    ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size != 0)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && !(qtab[QTYPE(ino)].mode & 0200)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fill_attr(fs, ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void dir_add(fuse_req_t req, char *buf, size_t size, size_t *len, off_t *idx,
		    off_t want, const char *name, fuse_ino_t ino, mode_t mode, bool *full)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t n;

	if (*full || (*idx)++ < want)
		return;
	n = fuse_add_direntry(req, buf + *len, size - *len, name, &st, *idx);
	if (n > size - *len) {
		*full = true;
		return;
	}
	*len += n;
}

static void imp_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	int type = QTYPE(ino);
	char *buf;
	size_t len = 0;
	off_t idx = 0;
	bool full = false;

	if (!node_valid(fs, ino) || !S_ISDIR(qtab[type].mode)) {
		fuse_reply_err(req, node_valid(fs, ino) ? ENOTDIR : ENOENT);
		return;
	}
	if (size > 65536)
		size = 65536;
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dir_add(req, buf, size, &len, &idx, off, ".", ino, S_IFDIR, &full);
	dir_add(req, buf, size, &len, &idx, off, "..", QID(qtab[type].parent ? qtab[type].parent : Qroot, 0), S_IFDIR, &full);
	if (type == Qipifc) {
		for (int i = 0; i < fs->net.ndevs; i++) {
			char name[16];
			snprintf(name, sizeof(name), "%d", i);
			dir_add(req, buf, size, &len, &idx, off, name, QID(Qifc, i), S_IFDIR, &full);
		}
	}
	for (int t = 1; t < Qmax; t++)
		if (qtab[t].parent == type && qtab[t].name)
			dir_add(req, buf, size, &len, &idx, off, qtab[t].name,
				QID(t, QNUM(ino)), qtab[t].mode, &full);
	fuse_reply_buf(req, buf, len);
	free(buf);
}

static void imp_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct impfs *fs = fs_of(req);
	int type = QTYPE(ino), acc = fi->flags & O_ACCMODE;
	struct ofile *of;

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
	of = calloc(1, sizeof(*of));
	if (!of) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	of->type = type;
	of->num = QNUM(ino);
	if (acc != O_WRONLY) {
		struct net_device *dev = of->num < fs->net.ndevs ? fs->net.devs[of->num] : NULL;
		switch (type) {
		case Qifcctl: sb_printf(&of->text, "%d\n", of->num); break;
		case Qifcstatus: show_ifc_status(&of->text, dev); break;
		case Qifcstats: show_ifc_stats(&of->text, dev); break;
		case Qarp: show_arp(&of->text, &fs->net); break;
		case Qiproute: show_iproute(&of->text, &fs->net); break;
		case Qipselftab: show_ipselftab(&of->text, &fs->net); break;
		}
	}
	fi->fh = (uintptr_t)of;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void imp_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;

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

	if (size >= sizeof(line)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	memcpy(line, data, size);
	line[size] = 0;
	if (memchr(line, 0, size)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	switch (of->type) {
	case Qarp: err = write_arp(&fs->net, line, why, sizeof(why)); break;
	case Qiproute: err = write_iproute(&fs->net, line, why, sizeof(why)); break;
	case Qifcctl:
		err = of->num < fs->net.ndevs ?
			write_ifc_ctl(fs->net.devs[of->num], line, why, sizeof(why)) : -ENODEV;
		break;
	default: err = -EACCES; break;
	}
	if (err) {
		net_log(&fs->net, NETLOG_IP, "%s: %s", qtab[of->type].name, why);
		fuse_reply_err(req, -err);
		return;
	}
	fuse_reply_write(req, size);
}

static void imp_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ofile *of = (struct ofile *)(uintptr_t)fi->fh;

	sb_free(&of->text);
	free(of);
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

const struct fuse_lowlevel_ops impfs_ops = {
	.lookup = imp_lookup,
	.getattr = imp_getattr,
	.setattr = imp_setattr,
	.readdir = imp_readdir,
	.open = imp_open,
	.read = imp_read,
	.write = imp_write,
	.release = imp_release,
	.statfs = imp_statfs,
};
