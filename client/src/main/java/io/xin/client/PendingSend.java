package io.xin.client;

import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.SendAck;

import java.util.concurrent.CompletableFuture;

/**
 * A Send not yet acknowledged. Owned by the client's event loop.
 */
final class PendingSend
{
    final String clientMsgId;
    final long toUserId;
    /** The group sent to, 0 for a 1:1 send. */
    final long groupId;
    final Content content;
    /** Completed with the ack or the failure; null for a send without one (sendTracked) until a send of the same id gives one. */
    CompletableFuture<SendAck> future;

    /** Request id of the last transmission on the current connection, 0 if not sent on it. */
    long requestId;
    /** When to transmit again on the current connection, {@link PendingSends#NEVER} if not before a relogin. */
    long retryAtMs = PendingSends.NEVER;
    /**
     * Refused as BUSY, or held back behind such a send, and waiting for {@link #retryAtMs}: it must
     * not overtake an earlier send that is waiting too.
     */
    boolean waitingForRetry;
    /** Transmissions so far, over every connection. */
    int transmissions;

    PendingSend(
        final String clientMsgId, final long toUserId, final Content content, final CompletableFuture<SendAck> future)
    {
        this(clientMsgId, toUserId, 0, content, future);
    }

    PendingSend(
        final String clientMsgId,
        final long toUserId,
        final long groupId,
        final Content content,
        final CompletableFuture<SendAck> future)
    {
        this.clientMsgId = clientMsgId;
        this.toUserId = toUserId;
        this.groupId = groupId;
        this.content = content;
        this.future = future;
    }
}
