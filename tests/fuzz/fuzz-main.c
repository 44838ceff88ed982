/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Replays fuzzer inputs without libFuzzer, so that every corpus runs as a normal unit test (also
 * under ASan/UBSan): each argument is a file or a directory of files fed to LLVMFuzzerTestOneInput(). */

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n = 0, allocated = 0;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        for (;;) {
                size_t k;

                if (n == allocated) {
                        uint8_t *p = realloc(buf, allocated ? allocated * 2 : 4096);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = allocated ? allocated * 2 : 4096;
                }
                k = fread(buf + n, 1, allocated - n, f);
                n += k;
                if (k == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;
        (void) LLVMFuzzerTestOneInput(buf, n);
        printf("ok %s (%zu bytes)\n", path, n);
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                DIR *d;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return EXIT_FAILURE;
                        count++;
                        continue;
                }
                d = opendir(argv[i]);
                if (!d)
                        return EXIT_FAILURE;
                for (struct dirent *de; (de = readdir(d));) {
                        _cleanup_free_ char *p = NULL;

                        if (de->d_name[0] == '.')
                                continue;
                        if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0 || replay_file(p) < 0) {
                                closedir(d);
                                return EXIT_FAILURE;
                        }
                        count++;
                }
                closedir(d);
        }
        if (count == 0) {
                fprintf(stderr, "no inputs\n");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
