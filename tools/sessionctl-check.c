/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "macro.h"
#include "sessionctl-check.h"

int verb_check(int argc, char **argv) {
        _cleanup_free_ char **args = NULL;
        siginfo_t si = {};
        size_t n = 0;
        pid_t pid;

        if (argc < 2) {
                fprintf(stderr, "check: expected a session name.\n");
                return -EINVAL;
        }

        /* sessionctl exec NAME -- sessiond-check OPTIONS... : the exec verb hands the command to
         * the session's agent, which forks it inside the sandbox. We call our own binary so that
         * the same connection options and peer checks apply. */
        args = calloc(argc + 5, sizeof(char *));
        if (!args)
                return -ENOMEM;
        args[n++] = (char *) "sessionctl";
        args[n++] = (char *) "exec";
        args[n++] = argv[1];
        args[n++] = (char *) "--";
        args[n++] = (char *) SESSIOND_CHECK_PATH;
        for (int i = 2; i < argc; i++)
                args[n++] = argv[i];
        args[n] = NULL;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execv("/proc/self/exe", args);
                fprintf(stderr, "check: cannot run sessionctl exec: %m\n");
                _exit(127);
        }

        for (;;) {
                if (waitid(P_PID, pid, &si, WEXITED) >= 0)
                        break;
                if (errno != EINTR)
                        return -errno;
        }
        if (si.si_code != CLD_EXITED) {
                fprintf(stderr, "check: sessionctl exec was killed by signal %d.\n", si.si_status);
                return -EPROTO;
        }
        if (si.si_status == 127)
                return -ENOEXEC;
        return si.si_status;
}
