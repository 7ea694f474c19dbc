package io.xin.client;

import org.agrona.collections.Long2ObjectHashMap;

import java.util.LinkedHashMap;

/**
 * Unacknowledged sends in the order the application issued them, found by client_msg_id (what
 * acks and errors carry) or by the request id of their latest transmission. Owned by the client's
 * event loop.
 */
final class PendingSends
{
    /** A deadline that never comes. */
    static final long NEVER = Long.MAX_VALUE;

    private static final PendingSend[] EMPTY = new PendingSend[0];

    private final LinkedHashMap<String, PendingSend> byClientMsgId = new LinkedHashMap<>();
    /** By the request id of the latest transmission: a primitive key, no boxed Long per send. */
    private final Long2ObjectHashMap<PendingSend> byRequestId = new Long2ObjectHashMap<>();

    int size()
    {
        return byClientMsgId.size();
    }

    PendingSend get(final String clientMsgId)
    {
        return byClientMsgId.get(clientMsgId);
    }

    void add(final PendingSend send)
    {
        byClientMsgId.put(send.clientMsgId, send);
    }

    /**
     * Record a transmission on the current connection.
     *
     * @param send      the pending send.
     * @param requestId the request id it went out with.
     * @param retryAtMs when to transmit again if no ack came, in milliseconds of the client clock.
     */
    void transmitted(final PendingSend send, final long requestId, final long retryAtMs)
    {
        if (send.requestId != 0)
        {
            byRequestId.remove(send.requestId);
        }
        send.requestId = requestId;
        send.retryAtMs = retryAtMs;
        send.transmissions++;
        byRequestId.put(requestId, send);
    }

    /**
     * The send an ack or error refers to: by request id first, then by client_msg_id.
     *
     * @return the send, or null if it is not pending (acked already, or unknown).
     */
    PendingSend match(final long requestId, final String clientMsgId)
    {
        if (requestId != 0)
        {
            final PendingSend send = byRequestId.get(requestId);
            if (send != null)
            {
                return send;
            }
        }
        return clientMsgId.isEmpty() ? null : byClientMsgId.get(clientMsgId);
    }

    void remove(final PendingSend send)
    {
        byClientMsgId.remove(send.clientMsgId);
        if (send.requestId != 0)
        {
            byRequestId.remove(send.requestId);
        }
    }

    /**
     * The connection is gone: nothing is in flight any more; everything waits for the next login.
     */
    void onDisconnect()
    {
        byRequestId.clear();
        for (final PendingSend send : byClientMsgId.values())
        {
            send.requestId = 0;
            send.retryAtMs = NEVER;
        }
    }

    /**
     * A copy in issue order, safe to iterate while sends are removed or completed.
     */
    PendingSend[] toArray()
    {
        return byClientMsgId.isEmpty() ? EMPTY : byClientMsgId.values().toArray(EMPTY);
    }

    /**
     * Remove everything, returning it in issue order.
     */
    PendingSend[] drain()
    {
        final PendingSend[] sends = toArray();
        byClientMsgId.clear();
        byRequestId.clear();
        return sends;
    }
}
