/*
 * main.c: keyportd, the reference signing cluster of keyport (server/API.md).
 *
 *   keyportd --data DIR [--signers N] [--listen HOST:PORT] …   the API, with embedded or remote signers
 *   keyportd signer --data DIR --listen HOST:PORT --secret-file F   one remote signer
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: keyportd --data DIR [--signers N] [--listen HOST:PORT] [--token-file FILE] [--policy FILE]\n"
               "                [--credentials FILE] [--signer-url URL --signer-secret-file FILE]...\n"
               "       keyportd signer --data DIR --listen HOST:PORT --secret-file FILE\n"
               "The API is server/API.md. It stops cleanly on SIGTERM or SIGINT.\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("keyportd %s\n", KP_VERSION_STRING);
        return 0;
    }
    umask(077); /* databases, keys and the log are for this user alone */
    if (argc > 1 && strcmp(argv[1], "signer") == 0) return ks_signer_main(argc - 1, argv + 1);
    return ks_api_main(argc, argv);
}
