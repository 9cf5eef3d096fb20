/* real.c: the libc calls libimpc.so wraps, found once with dlsym(RTLD_NEXT).
 *
 * Every wrapper hands what is not an imp socket to real_NAME; the list is
 * REAL_CALLS in impc.h, so that a pointer is declared, defined and looked
 * up from the one line.
 */
#include "impc.h"

#include <dlfcn.h>

#define REAL_DEFINE(ret, name, args) ret(*real_##name) args;
REAL_CALLS(REAL_DEFINE)
#undef REAL_DEFINE

static void *sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
#define REAL_RESOLVE(ret, name, args) real_##name = sym(#name);
	REAL_CALLS(REAL_RESOLVE)
#undef REAL_RESOLVE
	if (!real_fcntl64)
		real_fcntl64 = real_fcntl;
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

void real_resolve(void)
{
	pthread_once(&resolve_once, resolve);
}
