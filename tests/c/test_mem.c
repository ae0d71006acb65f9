/*
 * test_mem.c: the secure allocator tells the truth about locking. Under a 64 KiB lock limit
 * (RLIMIT_MEMLOCK, as `ulimit -l 64` sets it for a normal user) libsodium's sodium_malloc goes on
 * handing out memory once mlock fails; kp_secure_alloc must then say so: kp_secure_unlocked_count
 * counts the allocations whose memory is not locked. The kernel's own count (VmLck in
 * /proc/self/status) is the independent witness.
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kptest.h"

TestSuite(mem, .timeout = 60);

/* kB of locked memory from /proc/self/status */
static long vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* In a child: limit locking to 64 KiB (and, as root, drop to an unprivileged user, since
 * CAP_IPC_LOCK ignores the limit), allocate, and report through the exit code. */
static int child(void)
{
    struct rlimit rl = {64 * 1024, 64 * 1024};
    if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 10;
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 11;
    if (kp_secure_unlocked_count() != 0) return 12;
    void *p[64];
    size_t first_unlocked = 0;
    for (size_t i = 0; i < 64; i++) {
        p[i] = kp_secure_alloc(32);
        if (p[i] == NULL) return 13;
        if (first_unlocked == 0 && kp_secure_unlocked_count() > 0) first_unlocked = i + 1;
    }
    long locked_kb = vmlck_kb();
    size_t unlocked = kp_secure_unlocked_count();
    /* the kernel locked at most 64 KiB: at most 16 pages of 4 KiB, so most of the 64 are not */
    if (locked_kb < 0 || locked_kb > 64) return 14;
    if (first_unlocked == 0 || first_unlocked == 1) return 15; /* the first fit; some later one did not */
    if (unlocked < 64 - (size_t)locked_kb / 4) return 16;  /* every allocation beyond the limit counted */
    for (size_t i = 0; i < 64; i++) kp_secure_free(p[i]);
    return 0;
}

Test(mem, secure_alloc_reports_memory_it_could_not_lock)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) _exit(child());
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "child check %d failed (see test_mem.c)", WEXITSTATUS(status));
}

Test(mem, secure_alloc_under_no_limit_is_all_locked)
{
    void *p = kp_secure_alloc(100);
    cr_assert_not_null(p);
    cr_assert_eq(kp_secure_unlocked_count(), 0);
    kp_secure_free(p);
}
