/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsing .session files (with drop-ins) into the Session model. Every problem is collected
 * as a SessionError naming file:line; parsing goes on past errors so that `sessionctl verify`
 * can report all of them at once. A Session is returned only if there were no errors. */

#include "macro.h"
#include "session.h"

typedef struct SessionError {
        char *file;             /* NULL for errors not tied to a file (e.g. Varlink inline text: "<inline>") */
        unsigned line;          /* 0: the whole file */
        char *message;          /* "Invalid MemoryMax=, expected a size like 512M or 2G: 'lots'" */
} SessionError;

typedef struct SessionErrorList {
        SessionError *errors;
        size_t n_errors;
} SessionErrorList;

void session_error_list_done(SessionErrorList *l);
/* "FILE:LINE: MESSAGE" (or "FILE: MESSAGE" when line is 0), newly allocated. */
int session_error_format(const SessionError *e, char **ret);

/* The search path: $SESSIOND_UNIT_PATH (colon-separated) if set, else SESSIOND_SEARCH_PATH. */
int session_search_path(char ***ret);

/* Finds NAME.session in the search path (first wins) and its drop-ins ("*.conf" files in NAME.session.d/) in
 * all directories (sorted by file name; a later directory's file of the same name is masked by
 * an earlier one's), and parses them. -ENOENT if no such session. */
int session_load(const char *name, char **search_path, Session **ret, SessionErrorList *errors);

/* Parses one file (+ drop-ins, in the order given). The session name comes from the file name. */
int session_parse_file(const char *path, char **dropins, Session **ret, SessionErrorList *errors);

/* Parses session text that did not come from a file (Varlink Start with inline text); 'origin'
 * names it in errors. */
int session_parse_string(const char *name, const char *origin, const char *text, Session **ret,
                         SessionErrorList *errors);

/* Additions (parser branch): */

typedef enum SessionParseFlags {
        /* Also check that referenced files exist: credential sources, the workspace path
         * (`sessionctl verify`, sessiond at start). The generator does not: at boot they may
         * live on file systems that are not mounted yet. */
        SESSION_PARSE_CHECK_REFERENCES = 1 << 0,
} SessionParseFlags;

int session_parse_file_full(const char *path, char **dropins, SessionParseFlags flags, Session **ret,
                            SessionErrorList *errors);
int session_load_full(const char *name, char **search_path, SessionParseFlags flags, Session **ret,
                      SessionErrorList *errors);

/* Finds NAME.session (first in the search path wins) and its drop-ins; -ENOENT if none. A file
 * that is a symlink to /dev/null masks the session: -ERFKILL. */
int session_find(const char *name, char **search_path, char **ret_path, char ***ret_dropins);

/* The names of all sessions in the search path (file name without ".session"), sorted, each
 * once; masked ones (symlinks to /dev/null) are left out. Names are not validated here: parsing
 * reports an invalid one. */
int session_enumerate(char **search_path, char ***ret_names);

/* Like session_parse_string(), for a buffer that may contain anything, NUL bytes included. */
int session_parse_buffer(const char *name, const char *origin, const char *data, size_t size, Session **ret,
                         SessionErrorList *errors);

/* Adds an error to the list (for callers that report problems found outside the parser in the
 * same format, e.g. the renderer refusing a backend). */
int session_error_list_add(SessionErrorList *l, const char *file, unsigned line, const char *message);

/* The longest physical line accepted (bytes, without the newline): libinih's fixed buffer. */
size_t session_max_line_length(void) _const_;
