/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sessiond's queue of calls to PID 1 (varlink/manager-bus.c), against a peer on a socketpair
 * that answers only when told: no more than 32 calls reach it at once, the rest wait and go out
 * in order as answers come back, every callback and destroy runs exactly once, and the daemon's
 * count of pending calls returns to zero. */

#include <sys/socket.h>
#include <unistd.h>

#include "manager.h"
#include "tests.h"

#define N_CALLS 100U
#define IN_FLIGHT_MAX 32U

typedef struct Peer {
        sd_bus_message *calls[N_CALLS + 64];
        unsigned n_calls;
        unsigned n_answered;
} Peer;

typedef struct Caller {
        unsigned index;
        int replied;            /* 1: a value, -1: an error */
        uint32_t value;
        unsigned order;         /* position among the replies */
        int destroyed;
} Caller;

static unsigned n_replies;

static int on_peer_message(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Peer *p = userdata;

        if (!sd_bus_message_is_method_call(msg, "org.example.Test", "Call"))
                return 0;
        ASSERT_TRUE(p->n_calls < sizeof(p->calls) / sizeof(p->calls[0]));
        p->calls[p->n_calls++] = sd_bus_message_ref(msg);
        return 1;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Caller *c = userdata;

        ASSERT_EQ(c->replied, 0);
        ASSERT_EQ(c->destroyed, 0);
        if (sd_bus_message_is_method_error(reply, NULL))
                c->replied = -1;
        else {
                ASSERT_OK(sd_bus_message_read(reply, "u", &c->value));
                c->replied = 1;
        }
        c->order = n_replies++;
        return 0;
}

static void on_destroy(void *userdata) {
        Caller *c = userdata;

        c->destroyed++;
}

/* Runs the loop until cond(), or fails after many idle rounds. */
#define RUN_UNTIL(e, cond)                                                               \
        do {                                                                             \
                for (unsigned _i = 0; !(cond); _i++) {                                   \
                        ASSERT_TRUE(_i < 2000);                                          \
                        ASSERT_OK(sd_event_run((e), 10 * 1000));                         \
                }                                                                        \
        } while (0)

static void settle(sd_event *e) {
        for (unsigned i = 0; i < 20; i++)
                ASSERT_OK(sd_event_run(e, 5 * 1000));
}

static void answer(Peer *p, unsigned upto, unsigned failing) {
        for (; p->n_answered < upto; p->n_answered++) {
                sd_bus_message *call = p->calls[p->n_answered];
                uint32_t i;

                ASSERT_OK(sd_bus_message_read(call, "u", &i));
                if (i == failing)
                        ASSERT_OK(sd_bus_reply_method_errorf(call, SD_BUS_ERROR_FAILED, "call %u refused", i));
                else
                        ASSERT_OK(sd_bus_reply_method_return(call, "u", i * 2));
                p->calls[p->n_answered] = sd_bus_message_unref(call);
        }
}

static int send_call(Manager *m, Caller *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &msg, NULL, "/org/example/test", "org.example.Test", "Call");
        if (r >= 0)
                r = sd_bus_message_append(msg, "u", (uint32_t) c->index);
        if (r >= 0)
                r = manager_bus_call_async(m, msg, on_reply, c, on_destroy);
        return r;
}

int main(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        sd_bus *server = NULL, *client = NULL;
        static Peer peer;
        static Caller callers[N_CALLS + 40];
        Manager m = {};
        sd_id128_t id;
        int fds[2];

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds));
        ASSERT_OK(sd_id128_randomize(&id));

        ASSERT_OK(sd_bus_new(&server));
        ASSERT_OK(sd_bus_set_fd(server, fds[0], fds[0]));
        ASSERT_OK(sd_bus_set_server(server, 1, id));
        ASSERT_OK(sd_bus_set_anonymous(server, 1));
        ASSERT_OK(sd_bus_add_filter(server, NULL, on_peer_message, &peer));
        ASSERT_OK(sd_bus_start(server));
        ASSERT_OK(sd_bus_attach_event(server, e, 0));

        ASSERT_OK(sd_bus_new(&client));
        ASSERT_OK(sd_bus_set_fd(client, fds[1], fds[1]));
        ASSERT_OK(sd_bus_set_anonymous(client, 1));
        ASSERT_OK(sd_bus_start(client));
        ASSERT_OK(sd_bus_attach_event(client, e, 0));

        m.bus = client;
        m.event = e;
        m.exit_idle_usec = UINT64_MAX;

        /* a burst: only the first 32 go out, the rest wait */
        for (unsigned i = 0; i < N_CALLS; i++) {
                callers[i].index = i;
                ASSERT_OK(send_call(&m, &callers[i]));
        }
        ASSERT_EQ(m.n_pending_calls, N_CALLS);
        ASSERT_EQ(m.n_bus_in_flight, IN_FLIGHT_MAX);
        ASSERT_EQ(m.n_bus_queue, N_CALLS - IN_FLIGHT_MAX);
        RUN_UNTIL(e, peer.n_calls == IN_FLIGHT_MAX);
        settle(e);
        ASSERT_EQ(peer.n_calls, IN_FLIGHT_MAX);

        /* each answer lets one more through, in the order they were made */
        answer(&peer, 10, UINT32_MAX);
        RUN_UNTIL(e, n_replies == 10);
        RUN_UNTIL(e, peer.n_calls == IN_FLIGHT_MAX + 10);
        settle(e);
        ASSERT_EQ(peer.n_calls, IN_FLIGHT_MAX + 10);
        ASSERT_EQ(m.n_bus_in_flight, IN_FLIGHT_MAX);
        for (unsigned i = 0; i < peer.n_calls; i++) {
                uint32_t v;

                if (!peer.calls[i])
                        continue;
                ASSERT_OK(sd_bus_message_rewind(peer.calls[i], true));
                ASSERT_OK(sd_bus_message_read(peer.calls[i], "u", &v));
                ASSERT_EQ(v, i);
                ASSERT_OK(sd_bus_message_rewind(peer.calls[i], true));
        }

        /* the rest, one of them refused: its callback hears the error */
        while (n_replies < N_CALLS) {
                answer(&peer, peer.n_calls, 57);
                ASSERT_OK(sd_event_run(e, 10 * 1000));
        }
        for (unsigned i = 0; i < N_CALLS; i++) {
                ASSERT_EQ(callers[i].order, i);
                ASSERT_EQ(callers[i].destroyed, 1);
                if (i == 57)
                        ASSERT_EQ(callers[i].replied, -1);
                else {
                        ASSERT_EQ(callers[i].replied, 1);
                        ASSERT_EQ(callers[i].value, i * 2);
                }
        }
        ASSERT_EQ(m.n_pending_calls, 0);
        ASSERT_EQ(m.n_bus_in_flight, 0);
        ASSERT_EQ(m.n_bus_queue, 0);

        /* at shutdown, queued and in-flight calls are dropped: destroyed once, never answered */
        for (unsigned i = N_CALLS; i < N_CALLS + 40; i++) {
                callers[i].index = i;
                ASSERT_OK(send_call(&m, &callers[i]));
        }
        ASSERT_EQ(m.n_bus_queue, 40 - IN_FLIGHT_MAX);
        manager_bus_queue_free(&m);
        for (unsigned i = N_CALLS + IN_FLIGHT_MAX; i < N_CALLS + 40; i++)
                ASSERT_EQ(callers[i].destroyed, 1);
        client = sd_bus_flush_close_unref(client);
        for (unsigned i = N_CALLS; i < N_CALLS + 40; i++) {
                ASSERT_EQ(callers[i].destroyed, 1);
                ASSERT_EQ(callers[i].replied, 0);
        }
        ASSERT_EQ(m.n_pending_calls, 0);

        for (unsigned i = peer.n_answered; i < peer.n_calls; i++)
                sd_bus_message_unref(peer.calls[i]);
        server = sd_bus_flush_close_unref(server);
        return 0;
}
