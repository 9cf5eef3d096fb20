/* imp-run: run a program with its IPv4 sockets on imp (imp-run(1)).
 *
 *     imp-run [-r ROOT] [--] COMMAND [ARG...]
 *     imp-run --version
 *
 * Puts libimpc.so in LD_PRELOAD (the copy beside this program, as in the
 * build directory, else the installed one) and IMP_ROOT in the environment
 * (-r ROOT, else the IMP_ROOT already there, else /imp), then execs COMMAND.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IMP_LIBDIR
#define IMP_LIBDIR "/usr/local/lib"
#endif
#define LIBNAME "libimpc.so"

static void usage(FILE *f)
{
	fprintf(f, "usage: imp-run [-r ROOT] [--] COMMAND [ARG...]\n"
		   "       imp-run --version\n"
		   "Run COMMAND with its IPv4 TCP and UDP sockets on the imp stack mounted at\n"
		   "ROOT (default: $IMP_ROOT, else /imp), and its host names looked up through\n"
		   "ROOT/dns.\n");
}

/* find_lib: libimpc.so beside our executable, else in IMP_LIBDIR. */
static int find_lib(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = 0;
		snprintf(out, len, "%s/" LIBNAME, dirname(self));
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, len, "%s/" LIBNAME, IMP_LIBDIR);
	return access(out, R_OK);
}

/* in_list: LD_PRELOAD (names separated by spaces or colons) has lib. */
static int in_list(const char *list, const char *lib)
{
	size_t l = strlen(lib);

	for (const char *p = list; (p = strstr(p, lib)); p += l)
		if ((p == list || p[-1] == ' ' || p[-1] == ':') &&
		    (p[l] == 0 || p[l] == ' ' || p[l] == ':'))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char lib[PATH_MAX], probe[PATH_MAX + 32];
	const char *root = NULL, *pre;
	struct stat st;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("imp-run %s\n", IMP_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--root")) {
			if (++i == argc) {
				usage(stderr);
				return 125;
			}
			root = argv[i];
		} else {
			fprintf(stderr, "imp-run: unknown option %s\n", argv[i]);
			usage(stderr);
			return 125;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 125;
	}
	if (find_lib(lib, sizeof(lib)) != 0) {
		fprintf(stderr, "imp-run: %s: %s\n", lib, strerror(errno));
		return 125;
	}
	if (!root)
		root = getenv("IMP_ROOT");
	if (!root || !*root)
		root = "/imp";
	snprintf(probe, sizeof(probe), "%s/tcp/new/ctl", root);
	if (stat(probe, &st) != 0) {
		fprintf(stderr, "imp-run: %s: %s (is impfs mounted at %s?)\n", probe,
			strerror(errno), root);
		return 125;
	}
	if (setenv("IMP_ROOT", root, 1) != 0) {
		perror("imp-run: setenv");
		return 125;
	}
	pre = getenv("LD_PRELOAD");
	if (pre && *pre && !in_list(pre, lib)) {
		size_t n = strlen(lib) + strlen(pre) + 2;
		char *v = malloc(n);
		if (!v) {
			perror("imp-run");
			return 125;
		}
		snprintf(v, n, "%s:%s", lib, pre);
		setenv("LD_PRELOAD", v, 1);
		free(v);
	} else if (!pre || !*pre) {
		setenv("LD_PRELOAD", lib, 1);
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "imp-run: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
