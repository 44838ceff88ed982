/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Every asynchronous call sessiond makes to PID 1 goes through this queue: a bounded number in
 * flight, the rest waiting in order (a Stop never overtakes its Start), each with a timeout that
 * suits a loaded PID 1, and each keeping the daemon from exiting idle until it is answered. */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"

/* dbus-daemon refuses a connection more than max_replies_per_connection (128 by default) calls
 * awaiting replies, and PID 1 works through jobs one at a time anyway. */
#define BUS_CALLS_IN_FLIGHT_MAX 32U
/* Under load PID 1 answers late but answers: sd-bus's default of 25 s made busy hosts fail
 * starts that PID 1 went on to run. */
#define BUS_CALL_TIMEOUT_USEC (120U * 1000000ULL)

typedef struct BusCall {
        Manager *manager;
        sd_bus_message *msg;            /* while queued */
        sd_bus_message_handler_t callback;
        void *userdata;
        sd_bus_destroy_t destroy;
} BusCall;

static void bus_call_free(BusCall *c) {
        if (!c)
                return;
        if (c->destroy)
                c->destroy(c->userdata);
        c->manager->n_pending_calls--;
        sd_bus_message_unref(c->msg);
        free(c);
}

static void bus_queue_run(Manager *m);

static int bus_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BusCall *c = userdata;

        return c->callback(reply, c->userdata, ret_error);
}

/* The slot's destroy callback: the call is answered (or the bus is gone). */
static void bus_call_destroy(void *userdata) {
        BusCall *c = userdata;
        Manager *m = c->manager;

        bus_call_free(c);
        m->n_bus_in_flight--;
        bus_queue_run(m);
        manager_check_exit(m);
}

/* Sends c->msg; takes c on success only. */
static int bus_call_send(BusCall *c) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        Manager *m = c->manager;
        int r;

        r = sd_bus_call_async(m->bus, &slot, c->msg, bus_call_reply, c, BUS_CALL_TIMEOUT_USEC);
        if (r < 0)
                return r;
        c->msg = sd_bus_message_unref(c->msg);
        m->n_bus_in_flight++;
        r = sd_bus_slot_set_destroy_callback(slot, bus_call_destroy);
        if (r < 0)
                return r;       /* cannot fail for a slot we just made */
        /* the slot lives as long as the call: floating */
        return sd_bus_slot_set_floating(slot, 1);
}

static void bus_queue_run(Manager *m) {
        while (m->n_bus_queue > 0 && m->n_bus_in_flight < BUS_CALLS_IN_FLIGHT_MAX) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                BusCall *c = m->bus_queue[0];
                int r;

                memmove(m->bus_queue, m->bus_queue + 1, (m->n_bus_queue - 1) * sizeof(BusCall *));
                m->n_bus_queue--;
                r = bus_call_send(c);
                if (r >= 0)
                        continue;
                /* Only a broken bus fails here (and sessiond exits on a disconnect): answer the
                 * callback as PID 1 would answer a failed call, so that whoever waits hears. */
                (void) sd_bus_error_set_errno(&e, r);
                if (sd_bus_message_new_method_error(c->msg, &reply, &e) >= 0)
                        (void) c->callback(reply, c->userdata, NULL);
                bus_call_free(c);
        }
}

void manager_bus_queue_free(Manager *m) {
        for (size_t i = 0; i < m->n_bus_queue; i++)
                bus_call_free(m->bus_queue[i]);
        m->bus_queue = mfree(m->bus_queue);
        m->n_bus_queue = 0;
}

int manager_bus_call_async(Manager *m, sd_bus_message *msg, sd_bus_message_handler_t callback, void *userdata,
                           sd_bus_destroy_t destroy) {
        BusCall *c, **q;
        int r;

        assert(m);
        assert(msg);
        assert(callback);

        c = calloc(1, sizeof(BusCall));
        if (!c)
                return -ENOMEM;
        *c = (BusCall) {
                .manager = m,
                .msg = sd_bus_message_ref(msg),
                .callback = callback,
        };
        m->n_pending_calls++;

        if (m->n_bus_queue == 0 && m->n_bus_in_flight < BUS_CALLS_IN_FLIGHT_MAX) {
                r = bus_call_send(c);
                if (r < 0)
                        goto fail;
        } else {
                q = reallocarray(m->bus_queue, m->n_bus_queue + 1, sizeof(BusCall *));
                if (!q) {
                        r = -ENOMEM;
                        goto fail;
                }
                m->bus_queue = q;
                m->bus_queue[m->n_bus_queue++] = c;
        }
        /* userdata is ours to destroy from here on, whatever happens to the call */
        c->userdata = userdata;
        c->destroy = destroy;
        return 0;

fail:
        bus_call_free(c);
        return r;
}
