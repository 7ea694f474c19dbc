package io.xin.core.session;

import io.xin.core.device.Session;
import io.xin.core.guard.RateLimiter;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.codec.SendView;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Send;

import java.util.concurrent.TimeUnit;

/**
 * The checks a {@code Send} meets before it is published to the ring, in the order docs/protocol.md gives
 * ("Admission checks of a Send"): validation, storage failed, draining, an earlier refusal still standing,
 * the session's rate, its sends in flight. The last check, a free ring slot, is the publisher's. Each check
 * gives a {@link Verdict}, an enum constant: admitting a send allocates nothing and throws nothing; the caller
 * answers a refusal.
 * <p>
 * One per switch, without state of its own: a session's refusals and rate bucket are in its {@link Refusals},
 * owned by the session's event loop like the rest of the connection's state. Time is the caller's {@code nowNs}
 * (the switch's {@link org.agrona.concurrent.NanoClock}, read once per frame).
 */
final class SendAdmission
{
    /** A client that never resends a refused send does not stay refused for ever. */
    static final long MAX_REFUSAL_NS = TimeUnit.SECONDS.toNanos(10);
    /** {@link #refusedForRate}: the session kept sending into the limit and is to be closed. */
    static final int CLOSE_SESSION = -1;

    /** What the admission of one send decided, in check order. */
    enum Verdict
    {
        /** Published next; the send is counted in flight. */
        ADMITTED,
        /** Check 1: {@code client_msg_id} length. BAD_REQUEST. */
        BAD_CLIENT_MSG_ID,
        /** Check 2: neither a positive {@code to_user_id} alone nor a positive {@code group_id} alone. BAD_REQUEST. */
        BAD_RECIPIENT,
        /** Check 3: a group send on a switch of several journal shards. NOT_ALLOWED. */
        AUDIENCES_NOT_SERVED,
        /** Check 4: no content, or content without a type. BAD_REQUEST. */
        NO_CONTENT_TYPE,
        /** Check 5. STORAGE_FAILURE. */
        STORAGE_FAILED,
        /** Check 6. SHUTTING_DOWN. */
        DRAINING,
        /** Check 7: behind a send refused for rate, and not that send. RATE_LIMITED. */
        BEHIND_RATE_LIMITED,
        /** Check 7: behind a send refused as busy, and not that send. BUSY. */
        BEHIND_BUSY,
        /** Check 8: over the session's rate. RATE_LIMITED. */
        RATE_LIMITED,
        /** Check 9: as many sends in flight as the session may have. BUSY. */
        TOO_MANY_IN_FLIGHT
    }

    /**
     * What only a session that sends needs: made at its first send when sends are rate limited, or at its
     * first refusal (about 20 bytes an idle session saved). Owned by the session's event loop.
     */
    static final class Refusals
    {
        /** Sends per second of this session; null when unlimited, or until the first send. */
        RateLimiter limiter;
        /**
         * After a BUSY, every other Send is refused until this one is sent again, so that no send
         * overtakes a refused one; null when no send is refused.
         */
        String refusedClientMsgId;
        long refusedSinceNs;
        /** The code later sends get while a send is refused: BUSY, or RATE_LIMITED when the rate refused it. */
        ErrorCode refusedCode;
        /** Sends refused for rate since the last accepted one. */
        int rateLimitedInARow;
        /** Sends refused for rate since {@link #refusedClientMsgId} was: the next refused one waits behind them. */
        int rateLimitedAhead;
    }

    private final SwitchStatus status;
    private final boolean servesAudiences;
    private final int maxInFlightSends;
    /** 0 when unlimited. */
    private final int maxSendsPerSecond;
    private final int sendBurst;
    private final int maxRateLimitedInARow;

    /**
     * @param servesAudiences      whether group sends are served (one journal shard).
     * @param maxInFlightSends     sends of one session published and not yet answered.
     * @param maxSendsPerSecond    a session's sustained send rate; 0 = no limit.
     * @param sendBurst            sends at once from a full bucket.
     * @param maxRateLimitedInARow refusals for rate in a row before the session is closed.
     */
    SendAdmission(
        final SwitchStatus status,
        final boolean servesAudiences,
        final int maxInFlightSends,
        final int maxSendsPerSecond,
        final int sendBurst,
        final int maxRateLimitedInARow)
    {
        this.status = status;
        this.servesAudiences = servesAudiences;
        this.maxInFlightSends = maxInFlightSends;
        this.maxSendsPerSecond = maxSendsPerSecond;
        this.sendBurst = sendBurst;
        this.maxRateLimitedInARow = maxRateLimitedInARow;
    }

    /** Whether sends are rate limited: a sending session then needs its {@link Refusals} from its first send. */
    boolean limitsRate()
    {
        return maxSendsPerSecond > 0;
    }

    /**
     * Runs checks 1 to 9 on one send.
     *
     * @param refusals         the session's; may be null only when {@link #limitsRate()} is false and nothing was
     *                         refused yet.
     * @param clientMsgIdBytes the length of {@code client_msg_id} in UTF-8.
     * @param typedContent     whether the send has content with a type a client may write ({@link #clientType}).
     * @param send             the {@link Send} or {@link SendView}; its client message id is made only when an
     *                         earlier refusal stands.
     * @return {@link Verdict#ADMITTED}, with the send then counted in the session's in-flight sends, or the
     * first check that refused it.
     */
    /**
     * @param contentType a send's {@code Content.type} on the wire.
     * @return whether a client may send content of that type: set, and not one the switch writes itself
     *         ({@code GROUP_EVENT}, {@code FRIEND_EVENT}), which a client could otherwise forge into an inbox.
     */
    static boolean clientType(final int contentType)
    {
        return contentType != 0 && contentType != ContentType.GROUP_EVENT_VALUE &&
            contentType != ContentType.FRIEND_EVENT_VALUE;
    }

    Verdict admit(
        final Session session,
        final Refusals refusals,
        final long toUserId,
        final long groupId,
        final int clientMsgIdBytes,
        final boolean typedContent,
        final Object send,
        final long nowNs)
    {
        if (clientMsgIdBytes == 0 || clientMsgIdBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
        {
            return Verdict.BAD_CLIENT_MSG_ID;
        }
        if (groupId == 0 ? toUserId <= 0 : groupId < 0 || toUserId != 0)
        {
            return Verdict.BAD_RECIPIENT;
        }
        if (groupId != 0 && !servesAudiences)
        {
            return Verdict.AUDIENCES_NOT_SERVED;
        }
        if (!typedContent)
        {
            return Verdict.NO_CONTENT_TYPE;
        }
        if (status.isStorageFailed())
        {
            return Verdict.STORAGE_FAILED;
        }
        if (status.isDraining())
        {
            return Verdict.DRAINING;
        }
        if (refusals != null && refusals.refusedClientMsgId != null)
        {
            if (refusals.refusedClientMsgId.equals(clientMsgIdOf(send)) ||
                nowNs - refusals.refusedSinceNs > MAX_REFUSAL_NS)
            {
                refusals.refusedClientMsgId = null;
            }
            else
            {
                return refusals.refusedCode == ErrorCode.RATE_LIMITED ?
                    Verdict.BEHIND_RATE_LIMITED : Verdict.BEHIND_BUSY;
            }
        }
        if (maxSendsPerSecond > 0)
        {
            RateLimiter limiter = refusals.limiter;
            if (limiter == null)
            {
                // Made at the first send, not at login: most sessions idle, and a bucket idle since login would
                // be full by now anyway (40 bytes an idle session saved).
                limiter = new RateLimiter(maxSendsPerSecond, TimeUnit.SECONDS.toNanos(1), sendBurst, nowNs);
                refusals.limiter = limiter;
            }
            if (!limiter.tryAcquire(nowNs))
            {
                return Verdict.RATE_LIMITED;
            }
            refusals.rateLimitedInARow = 0;
        }
        if (session.incrementInFlightSends() > maxInFlightSends)
        {
            session.decrementInFlightSends();
            return Verdict.TOO_MANY_IN_FLIGHT;
        }
        return Verdict.ADMITTED;
    }

    /**
     * A send was refused as BUSY (checks 7 and 9, or a full ring): every later send is refused until this one
     * comes again, so that when the client resends them in their original order the per-(sender, recipient)
     * order holds. An earlier refusal still standing is kept.
     */
    void refusedBusy(final Refusals refusals, final String clientMsgId, final long nowNs)
    {
        if (refusals.refusedClientMsgId == null)
        {
            refusals.refusedClientMsgId = clientMsgId;
            refusals.refusedSinceNs = nowNs;
            refusals.refusedCode = ErrorCode.BUSY;
        }
    }

    /**
     * A send was refused for rate (checks 7 and 8): refused in order as for BUSY, and told when the bucket takes
     * it if the sends refused before it are resent first.
     *
     * @return the send's {@code retry_after_ms}, or {@link #CLOSE_SESSION} when the session keeps sending into
     * the limit instead of waiting.
     */
    int refusedForRate(final Refusals refusals, final String clientMsgId, final long nowNs)
    {
        if (++refusals.rateLimitedInARow > maxRateLimitedInARow)
        {
            return CLOSE_SESSION;
        }
        if (refusals.refusedClientMsgId == null)
        {
            refusals.refusedClientMsgId = clientMsgId;
            refusals.refusedSinceNs = nowNs;
            refusals.refusedCode = ErrorCode.RATE_LIMITED;
            refusals.rateLimitedAhead = 0;
        }
        // The client resends the refused sends in order, so this one waits for those refused before it too.
        return refusals.limiter.retryAfterMs(nowNs, refusals.rateLimitedAhead++);
    }

    static String clientMsgIdOf(final Object send)
    {
        return send instanceof Send protobuf ? protobuf.getClientMsgId() : ((SendView)send).clientMsgId();
    }
}
