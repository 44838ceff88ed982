/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond-workspace: the privileged helper a session unit runs around its main process
 * (ExecStartPre=+… setup, ExecStopPost=+… teardown) and sessiond runs for persist, restore,
 * snapshots and stale-mount cleanup. A thin edge over lib/workspace.c, lib/mount-util.c and
 * lib/backend.c: parses arguments, logs, maps errors to exit codes. */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-json.h>
#include <systemd/sd-varlink.h>

#include "backend.h"
#include "macro.h"
#include "mount-util.h"
#include "tool-log.h"
#include "workspace.h"

#define DYNAMIC_USER_ADDRESS "/run/systemd/userdb/io.systemd.DynamicUser"

static WorkspacePaths arg_paths;
static WorkspaceMode arg_mode = WORKSPACE_NONE;
static const char *arg_path;
static uint64_t arg_size = UINT64_UNSET;
static const char *arg_user;
static uid_t arg_uid = (uid_t) -1;
static bool arg_userns = false;
static bool arg_persist;
static bool arg_json;
static char **arg_live;
static size_t n_arg_live;
static bool arg_live_set;

static void help(void) {
        printf("sessiond-workspace [OPTIONS] VERB NAME [SNAPSHOT]\n\n"
               "Sets up, tears down and persists session workspaces.\n\n"
               "  setup NAME --mode=overlay|bind|bind-ro|tmpfs --path=HOSTDIR [--size=BYTES]\n"
               "             [--user=USER|--uid=UID|--userns]\n"
               "  teardown NAME [--persist]\n"
               "  persist NAME                 save the live workspace of a running session\n"
               "  restore NAME                 stage the saved workspace for the next setup\n"
               "  snapshot-save NAME SNAP      snapshot-restore NAME SNAP\n"
               "  snapshot-list NAME [--json]  snapshot-delete NAME SNAP\n"
               "  cleanup-stale [--live=NAME...]   unmount workspaces of sessions not running\n"
               "  backend-check service|nspawn|vmspawn\n\n"
               "  --state-dir=DIR --runtime-dir=DIR   default " SESSIOND_STATE_DIR " and " SESSIOND_RUNTIME_DIR "\n"
               "  --user=NAME   owner of the writable layer; default: $USER if it is not root\n"
               "  --userns      for a container with its own uid range, or a VM: the top is root's, mode 1777\n");
}

static int parse_size(const char *s, uint64_t *ret) {
        static const struct { char c; unsigned shift; } units[] = {
                { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 },
        };
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || s[0] == '-')
                return -EINVAL;
        if (*end) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(units); i++)
                        if (*end == units[i].c || *end == units[i].c + 32)
                                break;
                if (i >= ELEMENTSOF(units) || end[1] || v > (UINT64_MAX >> units[i].shift))
                        return -EINVAL;
                v <<= units[i].shift;
        }
        *ret = v;
        return 0;
}

static WorkspaceMode mode_from_string(const char *s) {
        if (streq(s, "overlay"))
                return WORKSPACE_OVERLAY;
        if (streq(s, "bind"))
                return WORKSPACE_BIND;
        if (streq(s, "bind-ro"))
                return WORKSPACE_BIND_RO;
        if (streq(s, "tmpfs"))
                return WORKSPACE_TMPFS;
        return _WORKSPACE_MODE_INVALID;
}

/* A user of the unit: a static one through NSS, or a DynamicUser= one through systemd's userdb
 * Varlink service (nss-systemd may not be installed). */
static int resolve_user(const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        _cleanup_(sd_varlink_unrefp) sd_varlink *vl = NULL;
        sd_json_variant *reply = NULL, *rec, *u, *g;
        const char *error_id = NULL;
        struct passwd *pw;
        int r;

        errno = 0;
        pw = getpwnam(name);
        if (pw) {
                *ret_uid = pw->pw_uid;
                *ret_gid = pw->pw_gid;
                return 0;
        }

        r = sd_varlink_connect_address(&vl, DYNAMIC_USER_ADDRESS);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = sd_varlink_callbo(vl, "io.systemd.UserDatabase.GetUserRecord", &reply, &error_id,
                              SD_JSON_BUILD_PAIR_STRING("userName", name),
                              SD_JSON_BUILD_PAIR_STRING("service", "io.systemd.DynamicUser"));
        if (r < 0)
                return r;
        if (error_id)
                return -ESRCH;
        rec = sd_json_variant_by_key(reply, "record");
        u = rec ? sd_json_variant_by_key(rec, "uid") : NULL;
        g = rec ? sd_json_variant_by_key(rec, "gid") : NULL;
        if (!u || !sd_json_variant_is_unsigned(u))
                return -EBADMSG;
        *ret_uid = (uid_t) sd_json_variant_unsigned(u);
        *ret_gid = g && sd_json_variant_is_unsigned(g) ? (gid_t) sd_json_variant_unsigned(g) : (gid_t) *ret_uid;
        return 0;
}

static const char *workspace_mode_str(WorkspaceMode m) {
        static const char * const table[_WORKSPACE_MODE_MAX] = {
                [WORKSPACE_NONE] = "none",
                [WORKSPACE_OVERLAY] = "overlay",
                [WORKSPACE_BIND] = "bind",
                [WORKSPACE_BIND_RO] = "bind-ro",
                [WORKSPACE_TMPFS] = "tmpfs",
        };
        return m >= 0 && m < _WORKSPACE_MODE_MAX ? table[m] : "invalid";
}

/* systemd 257 runs ExecStartPre=+/ExecStopPost=+ commands of a unit with BindPaths= in a mount
 * namespace of their own too (full privileges, but namespaced; seen in the VM: a missing
 * BindPaths= source fails the '+' command at step NAMESPACE). Mounts made there would not reach
 * the host, nor the session started afterwards: join PID 1's mount namespace first. A no-op when
 * we run there already. */
static int enter_host_mount_namespace(void) {
        _cleanup_close_ int fd = -EBADF;
        struct stat self, init, root, init_root;

        if (stat("/proc/self/ns/mnt", &self) < 0)
                return negative_errno();
        if (stat("/proc/1/ns/mnt", &init) < 0)
                return errno == EACCES || errno == EPERM ? 0 : negative_errno(); /* a PID 1 of another user namespace */
        if (self.st_dev == init.st_dev && self.st_ino == init.st_ino)
                return 0;
        /* Never escape a chroot (a build root, a container without its own PID 1): only join
         * when PID 1 sees the same root directory as we do. */
        if (stat("/", &root) < 0)
                return negative_errno();
        if (stat("/proc/1/root/", &init_root) < 0)
                return 0;       /* PID 1's root is not ours to see: not our system's PID 1 */
        if (root.st_dev != init_root.st_dev || root.st_ino != init_root.st_ino)
                return 0;
        fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (setns(fd, CLONE_NEWNS) < 0)
                return negative_errno();
        return 1;
}

static int verb_setup(const char *name) {
        WorkspaceSetup s = {
                .mode = arg_mode,
                .host_path = arg_path,
                .size = arg_size,
                .uid = (uid_t) -1,
                .gid = (gid_t) -1,
                .userns = arg_userns,
        };
        const char *user = arg_user;
        int r;

        if (arg_mode == WORKSPACE_NONE)
                return log_error_errno(-EINVAL, "setup needs --mode=");
        if (arg_mode != WORKSPACE_TMPFS && !arg_path)
                return log_error_errno(-EINVAL, "--mode=%s needs --path=", workspace_mode_str(arg_mode));

        if (arg_userns) {
                /* nspawn: the container's uids are not known yet; vmspawn: they are the guest's */
                if (arg_user || arg_uid != (uid_t) -1)
                        return log_error_errno(-EINVAL, "--userns excludes --user= and --uid=");
        } else if (arg_uid != (uid_t) -1) {
                s.uid = arg_uid;
                s.gid = (gid_t) arg_uid;
        } else {
                if (!user) {
                        /* systemd sets $USER for '+' commands too: the unit's (dynamic) user */
                        const char *e = getenv("USER");
                        if (!isempty(e) && !streq(e, "root"))
                                user = e;
                }
                if (user) {
                        r = resolve_user(user, &s.uid, &s.gid);
                        if (r < 0)
                                return log_error_errno(r, "cannot resolve user '%s'", user);
                }
        }

        r = workspace_setup(&arg_paths, name, &s);
        if (r == -EBUSY)
                return log_error_errno(r, "workspace of '%s' is already mounted", name);
        if (r < 0)
                return log_error_errno(r, "cannot set up %s workspace of '%s' over '%s'",
                                       workspace_mode_str(arg_mode), name, strna(arg_path));
        if (s.uid != (uid_t) -1)
                fprintf(stderr, "sessiond-workspace: %s workspace of '%s' ready, owned by uid %u\n",
                        workspace_mode_str(arg_mode), name, (unsigned) s.uid);
        return 0;
}

static int verb_teardown(const char *name) {
        int r;

        r = workspace_teardown(&arg_paths, name, arg_persist);
        if (r < 0)
                return log_error_errno(r, "cannot tear down the workspace of '%s'%s", name,
                                       arg_persist ? " (persisting)" : "");
        return 0;
}

/* A copy of a running session's layer is consistent only if nothing writes meanwhile: freeze
 * the session's unit (cgroup freezer, through PID 1) around the copy, as far as there is one. */
static int freeze_unit(const char *name, bool freeze, sd_bus **bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *unit = NULL;
        int r;

        if (asprintf(&unit, "sessiond-%s.service", name) < 0)
                return -ENOMEM;
        if (!*bus) {
                r = sd_bus_open_system(bus);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call_method(*bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", freeze ? "FreezeUnit" : "ThawUnit",
                               &error, NULL, "s", unit);
        if (r < 0) {
                if (!sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") &&
                    !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.UnitInactive"))
                        fprintf(stderr, "sessiond-workspace: cannot %s %s: %s\n", freeze ? "freeze" : "thaw",
                                unit, error.message ?: strerror(-r));
                return r;
        }
        return 1;
}

static int with_frozen(const char *name, int (*op)(const WorkspacePaths *, const char *, const char *),
                       const char *arg) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, frozen;

        frozen = workspace_is_mounted(&arg_paths, name) > 0 && freeze_unit(name, true, &bus) > 0;
        r = op(&arg_paths, name, arg);
        if (frozen)
                (void) freeze_unit(name, false, &bus);
        return r;
}

static int persist_op(const WorkspacePaths *p, const char *name, const char *unused) {
        return workspace_persist(p, name);
}

static int verb_persist(const char *name) {
        int r;

        r = with_frozen(name, persist_op, NULL);
        if (r == -ESRCH)
                return log_error_errno(r, "'%s' has no live workspace to persist", name);
        if (r < 0)
                return log_error_errno(r, "cannot persist the workspace of '%s'", name);
        return 0;
}

static int verb_restore(const char *name) {
        int r;

        r = workspace_restore(&arg_paths, name);
        if (r == -ENOENT)
                return log_error_errno(r, "'%s' has no saved workspace", name);
        if (r == -EBUSY)
                return log_error_errno(r, "'%s' is running: stop it before restoring", name);
        if (r < 0)
                return log_error_errno(r, "cannot restore the workspace of '%s'", name);
        return 0;
}

static int verb_snapshot(const char *verb, const char *name, const char *snap) {
        int r;

        if (streq(verb, "snapshot-list")) {
                WorkspaceSnapshot *l = NULL;
                size_t n = 0;

                r = workspace_snapshot_list(&arg_paths, name, &l, &n);
                if (r < 0)
                        return log_error_errno(r, "cannot list snapshots of '%s'", name);
                if (arg_json)
                        fputs("[", stdout);
                for (size_t i = 0; i < n; i++) {
                        if (arg_json)
                                printf("%s{\"name\":\"%s\",\"size\":%" PRIu64 ",\"entries\":%" PRIu64
                                       ",\"time\":%" PRIi64 "}", i ? "," : "", l[i].name, l[i].size,
                                       l[i].n_files, l[i].mtime_sec);
                        else
                                printf("%s\t%" PRIu64 "\t%" PRIu64 "\n", l[i].name, l[i].size, l[i].n_files);
                }
                if (arg_json)
                        puts("]");
                workspace_snapshots_free(l, n);
                return 0;
        }

        if (!snap)
                return log_error_errno(-EINVAL, "%s needs NAME and SNAPSHOT", verb);
        if (streq(verb, "snapshot-save"))
                r = with_frozen(name, workspace_snapshot_save, snap);
        else if (streq(verb, "snapshot-restore"))
                r = workspace_snapshot_restore(&arg_paths, name, snap);
        else
                r = workspace_snapshot_delete(&arg_paths, name, snap);
        if (r == -EEXIST)
                return log_error_errno(r, "snapshot '%s' of '%s' exists already", snap, name);
        if (r == -ENOENT)
                return log_error_errno(r, "'%s' has no %s", name,
                                       streq(verb, "snapshot-save") ? "live or saved workspace" : "such snapshot");
        if (r < 0)
                return log_error_errno(r, "%s '%s' of '%s' failed", verb, snap, name);
        return 0;
}

/* Names of sessions whose unit is active or on its way (a stopping unit still runs its
 * ExecStopPost= teardown), asked from PID 1. */
static int unit_is_live(sd_bus *bus, const char *name) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *unit = NULL, *state = NULL;
        const char *path;
        int r;

        if (asprintf(&unit, "sessiond-%s.service", name) < 0)
                return -ENOMEM;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s", unit);
        if (r < 0)
                return sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") ? 0 : r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
                                       "org.freedesktop.systemd1.Unit", "ActiveState", &error, &state);
        if (r < 0)
                return r;
        return !streq(state, "inactive") && !streq(state, "failed");
}

static int verb_cleanup_stale(void) {
        _cleanup_strv_free_ char **targets = NULL, **unmounted = NULL, **live = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *dir = NULL;
        size_t n = 0;
        int r;

        if (asprintf(&dir, "%s/workspaces", arg_paths.runtime_dir) < 0)
                return log_error_errno(-ENOMEM, "out of memory");

        if (!arg_live_set) {
                r = mount_util_list_under(NULL, dir, &targets);
                if (r < 0)
                        return log_error_errno(r, "cannot read the mount table");
                if (targets[0]) {
                        r = sd_bus_open_system(&bus);
                        if (r < 0)
                                return log_error_errno(r, "cannot connect to the system bus (use --live=)");
                }
                live = calloc(1, sizeof(char *));
                if (!live)
                        return log_error_errno(-ENOMEM, "out of memory");
                for (char **t = targets; *t; t++) {
                        _cleanup_free_ char *name = NULL;
                        char **nl;

                        r = mount_util_name_below(dir, *t, &name);
                        if (r < 0)
                                return log_error_errno(r, "out of memory");
                        if (!name)
                                continue;
                        r = unit_is_live(bus, name);
                        if (r < 0)
                                return log_error_errno(r, "cannot ask systemd about session '%s'", name);
                        if (r == 0)
                                continue;
                        nl = realloc(live, sizeof(char *) * (n + 2));
                        if (!nl)
                                return log_error_errno(-ENOMEM, "out of memory");
                        live = nl;
                        live[n++] = TAKE_PTR(name);
                        live[n] = NULL;
                }
        }

        r = mount_util_cleanup_stale(NULL, dir, arg_live_set ? arg_live : live, &unmounted);
        if (r < 0)
                return log_error_errno(r, "cleaning up stale workspace mounts failed");
        for (char **t = unmounted; *t; t++) {
                _cleanup_free_ char *name = NULL, *rdir = NULL, *mode = NULL;

                printf("%s\n", *t);
                /* the runtime state of that workspace is stale too; live/ stays for inspection
                 * until the next setup of that name */
                if (mount_util_name_below(dir, *t, &name) > 0 &&
                    asprintf(&mode, "%s/%s/mode", dir, name) >= 0)
                        (void) unlink(mode);
        }
        return 0;
}

static int verb_backend_check(const char *backend) {
        _cleanup_free_ char *reason = NULL;
        SessionBackend b;
        int r;

        if (streq(backend, "service"))
                b = SESSION_BACKEND_SERVICE;
        else if (streq(backend, "nspawn"))
                b = SESSION_BACKEND_NSPAWN;
        else if (streq(backend, "vmspawn"))
                b = SESSION_BACKEND_VMSPAWN;
        else
                return log_error_errno(-EINVAL, "unknown backend '%s'", backend);

        r = backend_available(b, NULL, &reason);
        if (r < 0)
                return log_error_errno(r, "cannot check backend %s", backend);
        if (r == 0) {
                fprintf(stderr, "Backend %s is unavailable: %s\n", backend, reason);
                return 1;
        }
        printf("Backend %s is available.\n", backend);
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_MODE = 0x100, ARG_PATH, ARG_SIZE, ARG_USER, ARG_UID, ARG_PERSIST, ARG_JSON,
                ARG_LIVE, ARG_STATE_DIR, ARG_RUNTIME_DIR, ARG_USERNS,
        };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "mode",        required_argument, NULL, ARG_MODE        },
                { "path",        required_argument, NULL, ARG_PATH        },
                { "size",        required_argument, NULL, ARG_SIZE        },
                { "user",        required_argument, NULL, ARG_USER        },
                { "uid",         required_argument, NULL, ARG_UID         },
                { "userns",      no_argument,       NULL, ARG_USERNS      },
                { "persist",     no_argument,       NULL, ARG_PERSIST     },
                { "json",        no_argument,       NULL, ARG_JSON        },
                { "live",        required_argument, NULL, ARG_LIVE        },
                { "state-dir",   required_argument, NULL, ARG_STATE_DIR   },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        exit(EXIT_SUCCESS);
                case ARG_MODE:
                        arg_mode = mode_from_string(optarg);
                        if (arg_mode < 0)
                                return log_error_errno(-EINVAL, "unknown --mode=%s", optarg);
                        break;
                case ARG_PATH:
                        if (optarg[0] != '/')
                                return log_error_errno(-EINVAL, "--path= must be absolute: %s", optarg);
                        arg_path = optarg;
                        break;
                case ARG_SIZE:
                        r = parse_size(optarg, &arg_size);
                        if (r < 0)
                                return log_error_errno(r, "bad --size=%s", optarg);
                        break;
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_UID: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno || *end || end == optarg || v >= (uid_t) -1)
                                return log_error_errno(-EINVAL, "bad --uid=%s", optarg);
                        arg_uid = (uid_t) v;
                        break;
                }
                case ARG_USERNS:
                        arg_userns = true;
                        break;
                case ARG_PERSIST:
                        arg_persist = true;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_LIVE: {
                        char **nl = realloc(arg_live, sizeof(char *) * (n_arg_live + 2));
                        if (!nl)
                                return log_error_errno(-ENOMEM, "out of memory");
                        arg_live = nl;
                        arg_live[n_arg_live++] = optarg;
                        arg_live[n_arg_live] = NULL;
                        arg_live_set = true;
                        break;
                }
                case ARG_STATE_DIR:
                        arg_paths.state_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        arg_paths.runtime_dir = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        return 0;
}

int main(int argc, char *argv[]) {
        const char *verb, *name;
        int r;

        arg_paths = WORKSPACE_PATHS_DEFAULT;
        r = parse_argv(argc, argv);
        if (r < 0)
                goto finish;

        if (optind >= argc) {
                help();
                r = -EINVAL;
                goto finish;
        }
        verb = argv[optind];
        name = argv[optind + 1];

        if (streq(verb, "cleanup-stale")) {
                r = enter_host_mount_namespace();
                if (r >= 0)
                        r = verb_cleanup_stale();
                else
                        log_error_errno(r, "cannot join the host's mount namespace");
                goto finish;
        }
        if (!name) {
                r = log_error_errno(-EINVAL, "%s needs an argument", verb);
                goto finish;
        }
        if (streq(verb, "backend-check")) {
                r = verb_backend_check(name);
                goto finish;
        }

        r = enter_host_mount_namespace();
        if (r < 0) {
                log_error_errno(r, "cannot join the host's mount namespace");
                goto finish;
        }

        if (streq(verb, "setup"))
                r = verb_setup(name);
        else if (streq(verb, "teardown"))
                r = verb_teardown(name);
        else if (streq(verb, "persist"))
                r = verb_persist(name);
        else if (streq(verb, "restore"))
                r = verb_restore(name);
        else if (strncmp(verb, "snapshot-", 9) == 0 &&
                 (streq(verb, "snapshot-save") || streq(verb, "snapshot-restore") ||
                  streq(verb, "snapshot-list") || streq(verb, "snapshot-delete")))
                r = verb_snapshot(verb, name, argv[optind + 2]);
        else
                r = log_error_errno(-EINVAL, "unknown verb '%s'", verb);

finish:
        free(arg_live);
        if (r < 0)
                return workspace_exit_status(r);     /* sessiond tells these apart */
        return r > 0 ? r : EXIT_SUCCESS;
}
