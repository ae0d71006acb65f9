/*
 * main.c: keyportd, the reference signing cluster of keyport (server/API.md).
 *
 *   keyportd --data DIR --storage-key-file K [--signers N] …   the API, with embedded or remote signers
 *   keyportd signer --data DIR --listen HOST:PORT --secret-file F --storage-key-file K   one remote signer
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "api.h"

/* Process hygiene, first thing: no core dump and no ptrace attach by the same user can read the
 * keys, shares and passphrases this process holds; and room for many idle connections, each a
 * descriptor (http.h). The log says when memory locking is limited, because past that limit
 * secure memory (kp_secure_alloc) can be swapped out. */
static void harden(void)
{
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_CORE, &rl) != 0) ks_log("cannot turn off core dumps (RLIMIT_CORE)");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) ks_log("cannot turn off ptrace attach and core dumps (PR_SET_DUMPABLE)");
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        ks_log("memory locking is limited to %llu KiB (RLIMIT_MEMLOCK): secure memory past that can be swapped out; "
               "raise the limit (ulimit -l, or LimitMEMLOCK= in a systemd unit)",
               (unsigned long long)rl.rlim_cur / 1024);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: keyportd --data DIR (--storage-key-file FILE | --storage-passphrase-file FILE [--kdf STRENGTH])\n"
               "                [--signers N] [--listen HOST:PORT] [--token-file FILE] [--policy FILE] [--credentials FILE]\n"
               "                [--signer-url URL --signer-secret-file FILE]... [--connections N] [--connections-per-address N]\n"
               "       keyportd signer --data DIR --listen HOST:PORT --secret-file FILE\n"
               "                (--storage-key-file FILE | --storage-passphrase-file FILE [--kdf STRENGTH])\n"
               "The storage key (or passphrase) must be outside DIR; without either, on a terminal, a passphrase is asked.\n"
               "The API is server/API.md. It stops cleanly on SIGTERM or SIGINT.\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("keyportd %s\n", KP_VERSION_STRING);
        return 0;
    }
    harden();
    umask(077); /* databases, keys and the log are for this user alone */
    if (argc > 1 && strcmp(argv[1], "signer") == 0) return ks_signer_main(argc - 1, argv + 1);
    return ks_api_main(argc, argv);
}
