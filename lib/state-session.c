/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>

#include "dirent-util.h"
#include "fileio.h"
#include "state-session.h"
#include "strv.h"

#define RECORD_SIZE_MAX (4U * 1024U * 1024U)

static const char *const run_state_table[_SESSION_RUN_STATE_MAX] = {
        [SESSION_STARTING] = "starting",
        [SESSION_RUNNING] = "running",
        [SESSION_STOPPING] = "stopping",
        [SESSION_ENDED] = "ended",
        [SESSION_FAILED] = "failed",
};

static const char *const end_result_table[_SESSION_END_RESULT_MAX] = {
        [SESSION_RESULT_NONE] = "none",
        [SESSION_RESULT_EXIT] = "exit",
        [SESSION_RESULT_TIMEOUT] = "timeout",
        [SESSION_RESULT_IDLE] = "idle",
        [SESSION_RESULT_KILLED] = "killed",
        [SESSION_RESULT_OOM] = "oom",
};

const char *session_run_state_to_string(SessionRunState s) {
        return s >= 0 && s < _SESSION_RUN_STATE_MAX ? run_state_table[s] : NULL;
}

SessionRunState session_run_state_from_string(const char *s) {
        for (int i = 0; s && i < _SESSION_RUN_STATE_MAX; i++)
                if (streq(run_state_table[i], s))
                        return (SessionRunState) i;
        return _SESSION_RUN_STATE_INVALID;
}

const char *session_end_result_to_string(SessionEndResult r) {
        return r >= 0 && r < _SESSION_END_RESULT_MAX ? end_result_table[r] : NULL;
}

SessionEndResult session_end_result_from_string(const char *s) {
        for (int i = 0; s && i < _SESSION_END_RESULT_MAX; i++)
                if (streq(end_result_table[i], s))
                        return (SessionEndResult) i;
        return _SESSION_END_RESULT_INVALID;
}

SessionEndResult session_end_result_from_unit_result(const char *unit_result) {
        if (!unit_result)
                return SESSION_RESULT_EXIT;
        if (streq(unit_result, "oom-kill"))
                return SESSION_RESULT_OOM;
        if (streq(unit_result, "timeout") || streq(unit_result, "watchdog"))
                return SESSION_RESULT_TIMEOUT;
        if (streq(unit_result, "signal") || streq(unit_result, "core-dump"))
                return SESSION_RESULT_KILLED;
        return SESSION_RESULT_EXIT;
}

void session_record_done(SessionRecord *r) {
        if (!r)
                return;
        free(r->name);
        free(r->origin);
        free(r->text);
        *r = (SessionRecord) {};
}

int session_record_to_json(const SessionRecord *r, sd_json_variant **ret) {
        assert(r);
        assert(ret);

        return sd_json_buildo(ret,
                        SD_JSON_BUILD_PAIR_STRING("name", r->name),
                        SD_JSON_BUILD_PAIR_UNSIGNED("owner", r->owner),
                        SD_JSON_BUILD_PAIR_STRING("backend", session_backend_to_string(r->backend)),
                        SD_JSON_BUILD_PAIR_STRING("state", session_run_state_to_string(r->state)),
                        SD_JSON_BUILD_PAIR_STRING("result", session_end_result_to_string(r->result)),
                        SD_JSON_BUILD_PAIR_CONDITION(!!r->origin, "origin", SD_JSON_BUILD_STRING(r->origin)),
                        SD_JSON_BUILD_PAIR_CONDITION(!!r->text, "text", SD_JSON_BUILD_STRING(r->text)),
                        SD_JSON_BUILD_PAIR_UNSIGNED("createdUSec", r->created_usec),
                        SD_JSON_BUILD_PAIR_UNSIGNED("endedUSec", r->ended_usec),
                        SD_JSON_BUILD_PAIR_UNSIGNED("maxRuntimeUSec", r->max_runtime_usec),
                        SD_JSON_BUILD_PAIR_UNSIGNED("idleTimeoutUSec", r->idle_timeout_usec),
                        SD_JSON_BUILD_PAIR_BOOLEAN("discard", r->discard),
                        SD_JSON_BUILD_PAIR_BOOLEAN("stopRequested", r->stop_requested),
                        SD_JSON_BUILD_PAIR_BOOLEAN("idleStop", r->idle_stop));
}

static int dispatch_run_state(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        SessionRunState *s = userdata, x;

        if (!sd_json_variant_is_string(v))
                return -EINVAL;
        x = session_run_state_from_string(sd_json_variant_string(v));
        if (x < 0)
                return -EINVAL;
        *s = x;
        return 0;
}

static int dispatch_backend(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        SessionBackend *b = userdata, x;

        if (!sd_json_variant_is_string(v))
                return -EINVAL;
        x = session_backend_from_string(sd_json_variant_string(v));
        if (x < 0)
                return -EINVAL;
        *b = x;
        return 0;
}

static int dispatch_end_result(const char *name, sd_json_variant *v, sd_json_dispatch_flags_t flags, void *userdata) {
        SessionEndResult *s = userdata, x;

        if (!sd_json_variant_is_string(v))
                return -EINVAL;
        x = session_end_result_from_string(sd_json_variant_string(v));
        if (x < 0)
                return -EINVAL;
        *s = x;
        return 0;
}

int session_record_from_json(sd_json_variant *v, SessionRecord *ret) {
        static const sd_json_dispatch_field table[] = {
                { "name",            SD_JSON_VARIANT_STRING,   sd_json_dispatch_string,  offsetof(SessionRecord, name),              SD_JSON_MANDATORY },
                { "owner",           SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uid_gid, offsetof(SessionRecord, owner),             SD_JSON_MANDATORY },
                { "backend",         SD_JSON_VARIANT_STRING,   dispatch_backend,         offsetof(SessionRecord, backend),           0 },
                { "state",           SD_JSON_VARIANT_STRING,   dispatch_run_state,       offsetof(SessionRecord, state),             SD_JSON_MANDATORY },
                { "result",          SD_JSON_VARIANT_STRING,   dispatch_end_result,      offsetof(SessionRecord, result),            SD_JSON_MANDATORY },
                { "origin",          SD_JSON_VARIANT_STRING,   sd_json_dispatch_string,  offsetof(SessionRecord, origin),            0 },
                { "text",            SD_JSON_VARIANT_STRING,   sd_json_dispatch_string,  offsetof(SessionRecord, text),              0 },
                { "createdUSec",     SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uint64,  offsetof(SessionRecord, created_usec),      0 },
                { "endedUSec",       SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uint64,  offsetof(SessionRecord, ended_usec),        0 },
                { "maxRuntimeUSec",  SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uint64,  offsetof(SessionRecord, max_runtime_usec),  0 },
                { "idleTimeoutUSec", SD_JSON_VARIANT_UNSIGNED, sd_json_dispatch_uint64,  offsetof(SessionRecord, idle_timeout_usec), 0 },
                { "discard",         SD_JSON_VARIANT_BOOLEAN,  sd_json_dispatch_stdbool, offsetof(SessionRecord, discard),           0 },
                { "stopRequested",   SD_JSON_VARIANT_BOOLEAN,  sd_json_dispatch_stdbool, offsetof(SessionRecord, stop_requested),    0 },
                { "idleStop",        SD_JSON_VARIANT_BOOLEAN,  sd_json_dispatch_stdbool, offsetof(SessionRecord, idle_stop),         0 },
                {}
        };
        SessionRecord r = {
                .backend = SESSION_BACKEND_SERVICE,     /* absent in records of older versions */
                .max_runtime_usec = UINT64_MAX,
                .idle_timeout_usec = UINT64_MAX,
        };
        int k;

        assert(ret);

        k = sd_json_dispatch(v, table, SD_JSON_ALLOW_EXTENSIONS, &r);
        if (k < 0) {
                session_record_done(&r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

static int record_file_name(const char *name, char **ret) {
        if (isempty(name) || strchr(name, '/') || name[0] == '.')
                return -EINVAL;
        if (asprintf(ret, "%s.json", name) < 0)
                return -ENOMEM;
        return 0;
}

int session_record_save(int dir_fd, const SessionRecord *r) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_free_ char *fn = NULL, *text = NULL;
        int k;

        assert(r);

        k = record_file_name(r->name, &fn);
        if (k < 0)
                return k;
        k = session_record_to_json(r, &v);
        if (k < 0)
                return k;
        k = sd_json_variant_format(v, SD_JSON_FORMAT_NEWLINE, &text);
        if (k < 0)
                return k;
        return write_string_file_atomic_at(dir_fd, fn, text, 0600);
}

int session_record_load(int dir_fd, const char *name, SessionRecord *ret) {
        _cleanup_(sd_json_variant_unrefp) sd_json_variant *v = NULL;
        _cleanup_free_ char *fn = NULL, *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        SessionRecord r;
        ssize_t n;
        size_t size = 0;
        int k;

        assert(ret);

        k = record_file_name(name, &fn);
        if (k < 0)
                return k;
        fd = openat(dir_fd, fn, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        data = malloc(RECORD_SIZE_MAX + 1);
        if (!data)
                return -ENOMEM;
        while ((n = read(fd, data + size, RECORD_SIZE_MAX - size)) > 0)
                size += (size_t) n;
        if (n < 0)
                return -errno;
        if (size >= RECORD_SIZE_MAX)
                return -EFBIG;
        data[size] = 0;

        k = sd_json_parse(data, 0, &v, NULL, NULL);
        if (k < 0)
                return -EBADMSG;
        k = session_record_from_json(v, &r);
        if (k < 0)
                return k;
        if (!streq(r.name, name)) {
                session_record_done(&r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

int session_record_remove(int dir_fd, const char *name) {
        _cleanup_free_ char *fn = NULL;
        int k;

        k = record_file_name(name, &fn);
        if (k < 0)
                return k;
        if (unlinkat(dir_fd, fn, 0) < 0)
                return -errno;
        (void) fsync(dir_fd);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int session_record_list(int dir_fd, char ***ret_names) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        size_t n = 0;
        int r;

        assert(ret_names);

        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        r = opendir_fd(dir_fd, &d);
        if (r < 0)
                return r;
        while ((r = readdir_next(d, &de)) > 0) {
                size_t l = strlen(de->d_name);

                if (strncmp(de->d_name, ".#", 2) == 0) {
                        /* a write interrupted before its rename: never the current record */
                        (void) unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (de->d_name[0] == '.' || l <= 5 || !streq(de->d_name + l - 5, ".json"))
                        continue;

                r = strv_consume(&names, strndup(de->d_name, l - 5));
                if (r < 0)
                        return r;
                n++;
        }
        if (r < 0)
                return r;

        qsort(names, n, sizeof(char *), cmp_str);
        *ret_names = TAKE_PTR(names);
        return 0;
}
