/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond: the io.sessiond.Manager Varlink service. Socket-activated (sessiond.socket passes
 * the listening socket named "varlink"), runs its own sd-event loop (sd_varlink_server_loop_auto()
 * would exit on the last disconnect), talks to PID 1 over sd-bus, and exits after a while
 * without work: the sessions live in their own units and the next call starts it again. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "manager.h"

#define EXIT_IDLE_USEC_DEFAULT (30ULL * 1000000ULL)

static uint64_t arg_exit_idle_usec = EXIT_IDLE_USEC_DEFAULT;

static int on_exit_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (manager_busy(m))
                return 0;
        fprintf(stderr, "Idle, exiting.\n");
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

static int open_state_dir(int *ret) {
        int fd;

        if (mkdir(SESSIOND_STATE_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(SESSIOND_STATE_DIR "/sessions", 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(SESSIOND_STATE_DIR "/sessions", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return 0;
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || end == s || v > UINT64_MAX / 1000000ULL)
                return -EINVAL;
        *ret = v * 1000000ULL;
        return 0;
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The sessiond Varlink service (io.sessiond.Manager). Normally started by sessiond.socket.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --exit-idle-sec=SEC  Exit after SEC seconds without work (default 30, 'infinity': never)\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_EXIT_IDLE };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h' },
                { "version",       no_argument,       NULL, ARG_VERSION },
                { "exit-idle-sec", required_argument, NULL, ARG_EXIT_IDLE },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("sessiond %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_EXIT_IDLE:
                        if (parse_seconds(optarg, &arg_exit_idle_usec) < 0) {
                                fprintf(stderr, "Invalid --exit-idle-sec=: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "%s takes no arguments.\n", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        manager_setup_malloc();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return EXIT_FAILURE;
        m->sessions_fd = -EBADF;
        m->exit_idle_usec = arg_exit_idle_usec;

        r = open_state_dir(&m->sessions_fd);
        if (r < 0) {
                fprintf(stderr, "Failed to open %s/sessions: %s\n", SESSIOND_STATE_DIR, strerror(-r));
                return EXIT_FAILURE;
        }

        r = sd_event_default(&m->event);
        if (r < 0)
                goto fail;
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                goto fail;
        (void) sd_event_set_watchdog(m->event, true);

        r = manager_bus_connect(m);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to PID 1: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        r = manager_idle_setup(m);
        if (r < 0)
                goto fail;
        r = sd_event_add_time_relative(m->event, &m->exit_timer, CLOCK_MONOTONIC, m->exit_idle_usec == UINT64_MAX ? 0 : m->exit_idle_usec,
                                       1000000, on_exit_timer, m);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(m->exit_timer, SD_EVENT_OFF);

        /* Recover before serving: a Start must not race with a session we have yet to find. */
        r = manager_recover(m);
        if (r < 0) {
                fprintf(stderr, "Failed to recover sessions: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }

        r = manager_varlink_setup(m);
        if (r < 0) {
                fprintf(stderr, "Failed to set up the Varlink server: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }

        (void) sd_notify(false, "READY=1\nSTATUS=Serving io.sessiond.Manager");
        manager_check_exit(m);

        r = sd_event_loop(m->event);
        if (r < 0)
                goto fail;
        if (r > 0)      /* sd-bus ended the loop: the bus connection is gone */
                fprintf(stderr, "Lost the connection to the system bus, exiting.\n");
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

fail:
        fprintf(stderr, "sessiond: %s\n", strerror(-r));
        return EXIT_FAILURE;
}
