/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dirent-util.h"
#include "macro.h"

bool dot_or_dot_dot(const char *name) {
        return streq(name, ".") || streq(name, "..");
}

int opendir_fd(int fd, DIR **ret) {
        _cleanup_close_ int dup_fd = -EBADF;
        DIR *d;

        assert(ret);

        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return negative_errno();
        d = fdopendir(dup_fd);
        if (!d)
                return negative_errno();
        TAKE_FD(dup_fd);
        /* the duplicate shares the file offset with fd, which may have been read before */
        rewinddir(d);
        *ret = d;
        return 0;
}

int readdir_next(DIR *d, struct dirent **ret) {
        struct dirent *de;

        assert(d);
        assert(ret);

        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de)
                        return errno != 0 ? negative_errno() : 0;
                if (!dot_or_dot_dot(de->d_name))
                        break;
        }
        *ret = de;
        return 1;
}
