/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-generator: turns /etc/sessiond/NAME.session (and the rest of the search path) into
 * sessiond-NAME.service + sessiond-NAME.slice in the generator's normal output directory.
 *
 * It never fails the boot: a bad file is logged and skipped, everything else is written.
 * Exit status: 0 done (bad files were skipped and logged); 1 with --strict when a file was
 * skipped, or when an output could not be written; 2 bad invocation. See sessiond-generator(8). */

#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "fileio.h"
#include "macro.h"
#include "session-parse.h"
#include "session-render.h"
#include "string-util.h"
#include "strv.h"

static bool arg_dry_run = false;
static bool arg_strict = false;
static FILE *log_kmsg = NULL;
static WriteFileFlags write_flags = 0;

_printf_(1, 2)
static void log_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (log_kmsg) {
                fprintf(log_kmsg, "<3>sessiond-generator[%d]: ", (int) getpid());
                vfprintf(log_kmsg, fmt, ap);
                fputc('\n', log_kmsg);
                fflush(log_kmsg);
        } else {
                fputs("sessiond-generator: ", stderr);
                vfprintf(stderr, fmt, ap);
                fputc('\n', stderr);
        }
        va_end(ap);
}

static void log_open(void) {
        const char *target = getenv("SYSTEMD_LOG_TARGET");
        int fd;

        /* systemd sets $SYSTEMD_SCOPE for the generators it runs (systemd.generator(7)): then our
         * stderr may go nowhere, so write to the kernel log, which the journal picks up. */
        if (arg_dry_run)
                return;
        if (target ? !streq(target, "kmsg") : !getenv("SYSTEMD_SCOPE"))
                return;
        fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return;
        log_kmsg = fdopen(fd, "w");
        if (!log_kmsg)
                (void) close(fd);
}

static bool is_fs_type(const struct statfs *s, unsigned long magic) {
        return (unsigned long) s->f_type == magic;
}

static int write_output(int dir_fd, const char *dir, const char *name, const char *text) {
        if (arg_dry_run) {
                printf("# %s/%s\n%s\n", dir, name, text);
                return 0;
        }
        return write_file_atomic_full(dir_fd, name, text, strlen(text), 0644, write_flags);
}

/* DIR/TARGET.wants/UNIT -> ../UNIT, replaced atomically if it exists. Unit names are at most
 * 255 bytes (UNIT_NAME_MAX), so the paths fit on the stack. */
static int write_link(int dir_fd, const char *dir, const char *target, const char *suffix, const char *unit) {
        char subdir[512], link[1024], tmp[1024], dest[512], rnd[21];

        if (strlen(target) + strlen(suffix) >= sizeof(subdir) || strlen(unit) > 255)
                return -ENAMETOOLONG;
        stpcpy(stpcpy(subdir, target), suffix);
        stpcpy(stpcpy(stpcpy(link, subdir), "/"), unit);
        stpcpy(stpcpy(dest, "../"), unit);

        if (arg_dry_run) {
                printf("# %s/%s -> %s\n\n", dir, link, dest);
                return 0;
        }
        stpcpy(stpcpy(stpcpy(stpcpy(stpcpy(tmp, subdir), "/.#"), unit), "."),
               u64_to_string((uint64_t) random(), rnd));
        if (mkdirat(dir_fd, subdir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (symlinkat(dest, dir_fd, tmp) < 0)
                return -errno;
        if (renameat(dir_fd, tmp, dir_fd, link) < 0) {
                int r = -errno;
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return 0;
}

static void log_errors(const SessionErrorList *errors, size_t from) {
        for (size_t i = from; i < errors->n_errors; i++) {
                _cleanup_free_ char *m = NULL;

                if (session_error_format(errors->errors + i, &m) < 0)
                        log_error("Out of memory");
                else
                        log_error("%s", m);
        }
}

/* Returns 0 if written, 1 if skipped (logged), negative on failure to write. */
static int generate_one(int dir_fd, const char *dir, const char *name, char **search_path) {
        _cleanup_(session_error_list_done) SessionErrorList errors = {};
        _cleanup_(session_freep) Session *s = NULL;
        _cleanup_strv_free_ char **dropins = NULL, **wanted = NULL, **required = NULL;
        _cleanup_free_ char *path = NULL, *slice_text = NULL, *service_text = NULL,
                            *unit = NULL, *slice = NULL;
        int r;

        r = session_find(name, search_path, &path, &dropins);
        if (r == -ENOENT || r == -ERFKILL)
                return 0;       /* vanished, or masked */
        if (r < 0) {
                log_error("Failed to find %s.session: %s, skipping", name, strerror(-r));
                return 1;
        }

        r = session_parse_file_full(path, dropins, 0, &s, &errors);
        if (r == -EBADMSG) {
                log_errors(&errors, 0);
                log_error("%s: %zu error(s), skipping", path, errors.n_errors);
                return 1;
        }
        if (r < 0) {
                log_error("%s: failed to parse: %s, skipping", path, strerror(-r));
                return 1;
        }

        r = session_render_unit_files(s, &slice_text, &service_text);
        if (r == -EOPNOTSUPP) {
                log_error("%s: Backend=%s cannot be rendered, skipping",
                          path, session_backend_to_string(s->backend));
                return 1;
        }
        if (r < 0) {
                log_error("%s: failed to render units: %s, skipping", path, strerror(-r));
                return 1;
        }

        r = session_unit_name(s->name, &unit);
        if (r >= 0)
                r = session_slice_name(s->name, &slice);
        if (r >= 0)
                r = session_install_targets(s, &wanted, &required);
        if (r < 0)
                return r;

        r = write_output(dir_fd, dir, slice, slice_text);
        if (r >= 0)
                r = write_output(dir_fd, dir, unit, service_text);
        STRV_FOREACH(t, wanted)
                if (r >= 0)
                        r = write_link(dir_fd, dir, *t, ".wants", unit);
        STRV_FOREACH(t, required)
                if (r >= 0)
                        r = write_link(dir_fd, dir, *t, ".requires", unit);
        if (r < 0) {
                log_error("Failed to write units for %s into %s: %s", path, dir, strerror(-r));
                return r;
        }
        return 0;
}

static int help(void) {
        printf("Usage: sessiond-generator [--dry-run] [--strict] NORMAL-DIR [EARLY-DIR LATE-DIR]\n\n"
               "Generates sessiond-NAME.service and sessiond-NAME.slice from NAME.session files in\n"
               "$SESSIOND_UNIT_PATH or %s.\n\n"
               "  --dry-run   print what would be written instead of writing it\n"
               "  --strict    exit 1 if any session file was skipped\n",
               SESSIOND_SEARCH_PATH);
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "dry-run", no_argument, NULL, 'n' },
                { "strict", no_argument, NULL, 's' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        _cleanup_strv_free_ char **search_path = NULL, **names = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        const char *dir = NULL;
        unsigned skipped = 0, failed = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "hnsV", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        return help();
                case 'n':
                        arg_dry_run = true;
                        break;
                case 's':
                        arg_strict = true;
                        break;
                case 'V':
                        printf("sessiond-generator %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return 2;
                }

        if (optind < argc)
                dir = argv[optind];
        if (argc - optind != 1 && argc - optind != 3 && !(arg_dry_run && argc == optind)) {
                fprintf(stderr, "sessiond-generator: expected 1 or 3 directories, got %d\n", argc - optind);
                return 2;
        }
        if (!dir)
                dir = "(dry-run)";

        log_open();

        if (!arg_dry_run) {
                struct statfs sfs;

                dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir_fd < 0) {
                        log_error("Cannot open output directory %s: %s", dir, strerror(errno));
                        return 1;
                }
                /* systemd gives generators directories on a tmpfs (/run/systemd/generator*): there
                 * a sync is a no-op system call per file. Writes stay atomic (rename). */
                if (fstatfs(dir_fd, &sfs) >= 0 && (is_fs_type(&sfs, TMPFS_MAGIC) || is_fs_type(&sfs, RAMFS_MAGIC)))
                        write_flags |= WRITE_FILE_NO_SYNC;
        }

        r = session_search_path(&search_path);
        if (r >= 0)
                r = session_enumerate(search_path, &names);
        if (r < 0) {
                log_error("Failed to list session files: %s", strerror(-r));
                return 1;
        }

        STRV_FOREACH(n, names) {
                r = generate_one(dir_fd, dir, *n, search_path);
                if (r < 0)
                        failed++;
                else if (r > 0)
                        skipped++;
        }

        if (log_kmsg)
                fclose(log_kmsg);
        if (failed > 0)
                return 1;
        if (skipped > 0 && arg_strict)
                return 1;
        return 0;
}
