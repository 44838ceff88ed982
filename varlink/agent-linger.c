/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* When the main command ends, what it wrote last may still be in its PTY or queued for a slow
 * viewer. Exiting at once would cut off exactly the lines an attached user waits for (a viewer
 * reading slowly lost the last ~100 KB of 290 KB), so the agent drains the terminal, lets every
 * viewer finish, and only then exits, bounded by AGENT_LINGER_USEC so a stuck viewer cannot hold
 * the session open. */

#include <errno.h>
#include <sys/epoll.h>

#include "agent.h"
#include "time-util.h"

#define LINGER_POLL_USEC 10000U

static void linger_exit(Agent *a) {
        for (unsigned i = 0; i < a->n_linger_links; i++)
                sd_varlink_unref(a->linger_links[i]);
        a->n_linger_links = 0;
        a->linger_source = sd_event_source_disable_unref(a->linger_source);
        a->linger_poll_source = sd_event_source_disable_unref(a->linger_poll_source);
        (void) sd_event_exit(a->event, a->exit_code);
}

static int on_linger_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        log_warn("Viewers of session %s did not drain within %us, exiting anyway.",
                 a->name, (unsigned) (AGENT_LINGER_USEC / 1000000U));
        linger_exit(a);
        return 0;
}

static int on_linger_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        agent_linger_check(a);
        if (a->lingering && a->n_linger_links > 0) {
                (void) sd_event_source_set_time_relative(s, LINGER_POLL_USEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

void agent_linger_check(Agent *a) {
        if (!a->lingering)
                return;
        if (a->terminal && a->terminal->n_viewers > 0)
                return;

        /* A streamed viewer's last replies sit in its connection's output queue until written. */
        for (unsigned i = 0; i < a->n_linger_links; ) {
                sd_varlink *l = a->linger_links[i];
                int events = sd_varlink_get_events(l);

                if (events >= 0 && (events & EPOLLOUT)) {
                        i++;
                        continue;
                }
                sd_varlink_unref(l);
                a->linger_links[i] = a->linger_links[--a->n_linger_links];
        }
        if (a->n_linger_links == 0)
                linger_exit(a);
}

void agent_linger_link(Agent *a, sd_varlink *link) {
        if (!a->lingering || a->n_linger_links >= AGENT_LINGER_LINKS_MAX)
                return;
        a->linger_links[a->n_linger_links++] = sd_varlink_ref(link);
        if (!a->linger_poll_source)
                (void) sd_event_add_time_relative(a->event, &a->linger_poll_source, CLOCK_MONOTONIC,
                                                  LINGER_POLL_USEC, 1000, on_linger_poll, a);
        else
                (void) sd_event_source_set_enabled(a->linger_poll_source, SD_EVENT_ONESHOT);
}

int agent_main_ended(Agent *a, int code) {
        int r;

        a->exit_code = code;
        if (!a->terminal || a->terminal->n_viewers == 0)
                return sd_event_exit(a->event, code);

        r = sd_event_add_time_relative(a->event, &a->linger_source, CLOCK_MONOTONIC, AGENT_LINGER_USEC,
                                       10000, on_linger_timeout, a);
        if (r < 0)
                return sd_event_exit(a->event, code);
        a->lingering = true;
        terminal_hangup(a->terminal); /* reads what is left, closes viewers once they have it */
        agent_linger_check(a);
        return 0;
}
