package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.core.sync.SyncReader;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.FriendOp;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.Frame;

/**
 * Where a logged-in session's FriendOp goes: checked here for what needs no state (a BAD_REQUEST never travels),
 * then FRIEND_LIST to the sync readers (a range read, off the journal thread, after every acknowledged change is
 * applied) and every other op to the ring of the requester's journal shard, counted in flight as a send is. One per
 * switch, without state of its own; called on the session's event loop, which writes the answer.
 */
final class FriendRequests
{
    /** FRIEND_REQUEST's greeting: at most this many bytes of UTF-8. */
    static final int MAX_GREETING_BYTES = 256;

    private final RingBuffer<SwitchEvent>[] rings;
    private final SyncReader syncReader;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    private final int maxInFlightSends;
    private final int busyRetryAfterMs;
    private final boolean strangersAllowedByDefault;
    private final int friendListPageEntries;

    FriendRequests(
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters,
        final int maxInFlightSends,
        final int busyRetryAfterMs,
        final boolean strangersAllowedByDefault,
        final int friendListPageEntries)
    {
        this.rings = rings;
        this.syncReader = syncReader;
        this.status = status;
        this.counters = counters;
        this.maxInFlightSends = maxInFlightSends;
        this.busyRetryAfterMs = busyRetryAfterMs;
        this.strangersAllowedByDefault = strangersAllowedByDefault;
        this.friendListPageEntries = friendListPageEntries;
    }

    /**
     * @param writable whether the session's earlier answers are read (a list is a page: one at a time, as a Sync).
     * @return the frame to answer with at once (a refusal), or null when the op was handed on.
     */
    Frame friendOp(final Session session, final FriendOp op, final boolean writable)
    {
        final long requestId = op.getRequestId();
        final String invalid = invalid(op, session.userId());
        if (invalid != null)
        {
            return Frames.error(requestId, ErrorCode.BAD_REQUEST, invalid, false);
        }
        if (op.getOp() == FriendOpType.FRIEND_LIST)
        {
            if (!writable || !session.tryStartSync())
            {
                return busy(requestId, "one sync or list at a time per session, answers read first");
            }
            final int limit = op.getLimit() == 0 ? friendListPageEntries :
                (int)Math.min(friendListPageEntries, Integer.toUnsignedLong(op.getLimit()));
            if (!syncReader.submitFriendList(session, requestId, op.getAfterUserId(), limit,
                strangersAllowedByDefault))
            {
                session.syncDone();
                return busy(requestId, "sync queue full");
            }
            return null;
        }
        if (status.isStorageFailed() || status.isDraining())
        {
            return Frames.error(requestId, status.isStorageFailed() ? ErrorCode.STORAGE_FAILURE :
                ErrorCode.SHUTTING_DOWN, "not taking changes on this node now", false);
        }
        final RingBuffer<SwitchEvent> ring = rings[JournalShard.of(session.userId(), rings.length)];
        if (session.incrementInFlightSends() > maxInFlightSends ||
            !ring.tryPublishEvent(SwitchEvent.FRIEND_OP_TRANSLATOR, session, op))
        {
            session.decrementInFlightSends();
            return busy(requestId, "server busy");
        }
        return null;
    }

    /**
     * @return why the op is malformed, or null when it may go on.
     */
    static String invalid(final FriendOp op, final long requesterId)
    {
        final FriendOpType type = op.getOp();
        if (type == FriendOpType.FRIEND_OP_UNSPECIFIED || type == FriendOpType.UNRECOGNIZED)
        {
            return "op must be a known FriendOpType";
        }
        if (type == FriendOpType.FRIEND_LIST)
        {
            return op.getAfterUserId() < 0 ? "after_user_id must be below 2^63" : null;
        }
        if (type == FriendOpType.FRIEND_SET_PRIVACY)
        {
            return op.hasSettings() ? null : "settings are required";
        }
        if (op.getUserId() <= 0)
        {
            return "user_id must be a positive user id";
        }
        if (op.getUserId() == requesterId)
        {
            return "user_id must be another user";
        }
        if (op.getGreetingBytes().size() > MAX_GREETING_BYTES)
        {
            return "greeting must be at most " + MAX_GREETING_BYTES + " bytes";
        }
        return null;
    }

    private Frame busy(final long requestId, final String reason)
    {
        counters.busyRejections.increment();
        return Frames.busy(requestId, null, reason, busyRetryAfterMs);
    }
}
