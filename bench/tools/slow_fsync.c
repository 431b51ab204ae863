/* A slower disk for the FULL-durability benchmark: LD_PRELOAD this and every fsync/fdatasync of
 * the process (and its children) first sleeps SLOW_FSYNC_US microseconds (default 3000).
 *
 *   cc -shared -fPIC -O2 -o /tmp/slow_fsync.so bench/tools/slow_fsync.c -ldl
 *   LD_PRELOAD=/tmp/slow_fsync.so SLOW_FSYNC_US=3000 target/release/admin-appliance-bench --quick
 *
 * The bench, the floor and the appliance all inherit it; only the floor and the appliance fsync.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t delay(void) {
    const char *v = getenv("SLOW_FSYNC_US");
    return v ? (useconds_t)atoi(v) : 3000;
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    usleep(delay());
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    usleep(delay());
    return real(fd);
}
