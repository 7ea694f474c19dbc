package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.core.discovery.DiscoveryRequests;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.media.MediaService;
import io.xin.core.nearby.NearbyService;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.core.sync.SyncReader;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelSync;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.NearbyRequest;
import io.xin.protocol.pb.ShakeRequest;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.UploadTicket;

import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Where a logged-in session's requests other than {@code Send} go: {@code Ack} to the ring, {@code Sync} and
 * {@code ChannelSync} to the sync readers, {@code GroupOp} and {@code ChannelOp} to the ring, {@code UploadTicket}
 * and {@code MediaUrl} to the media threads, {@code DiscoveryRequest} to the discovery threads, {@code Ping} answered
 * at once. Each method returns the frame to answer with at once (a refusal, or the {@code Pong}), or null when the
 * request was handed on and its answer comes later from the thread that serves it (or needs none). One per switch,
 * without state of its own; called on the session's event loop, which writes the answer.
 */
final class RequestRouter
{
    static final String AUDIENCES_NEED_ONE_SHARD =
        "groups and channels are served by a switch with one journal shard (journal-shards = 1) only";
    static final String MEDIA_OFF = "media is off on this switch";
    static final String NEARBY_NEEDS_ONE_NODE =
        "people nearby and shake on a node of a cluster need the cluster's social feed";

    /** One ring per journal shard; a user's events go to the ring of the shard that owns the user. */
    private final RingBuffer<SwitchEvent>[] rings;
    private final SyncReader syncReader;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    /** The wall clock of {@code Pong.server_time_ms}. */
    private final LongSupplier clockMs;
    private final int maxSyncLimit;
    private final int maxInFlightSends;
    private final int busyRetryAfterMs;
    private final boolean servesAudiences;
    /** Null while media is off. */
    private final MediaService media;
    /**
     * Where DiscoveryRequests go: set once by the switch before it listens (so before any session reads it);
     * refused until then.
     */
    private volatile DiscoveryRequests discovery = DiscoveryRequests.refusing("contact discovery is not served");
    /** People nearby and shake; null when not served (cluster mode). */
    private final NearbyService nearby;

    /**
     * @param servesAudiences whether groups and channels are served (one journal shard).
     */
    RequestRouter(
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters,
        final LongSupplier clockMs,
        final int maxSyncLimit,
        final int maxInFlightSends,
        final int busyRetryAfterMs,
        final boolean servesAudiences)
    {
        this(rings, syncReader, status, counters, clockMs, maxSyncLimit, maxInFlightSends, busyRetryAfterMs,
            servesAudiences, null, null);
    }

    /**
     * @param servesAudiences whether groups and channels are served (one journal shard).
     * @param media           answers upload tickets and download URLs; null while media is off.
     * @param nearby          people nearby and shake, or null when they are not served.
     */
    RequestRouter(
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters,
        final LongSupplier clockMs,
        final int maxSyncLimit,
        final int maxInFlightSends,
        final int busyRetryAfterMs,
        final boolean servesAudiences,
        final MediaService media,
        final NearbyService nearby)
    {
        this.media = media;
        this.nearby = nearby;
        this.servesAudiences = servesAudiences;
        this.rings = rings;
        this.syncReader = syncReader;
        this.status = status;
        this.counters = counters;
        this.clockMs = clockMs;
        this.maxSyncLimit = maxSyncLimit;
        this.maxInFlightSends = maxInFlightSends;
        this.busyRetryAfterMs = busyRetryAfterMs;
    }

    /**
     * Groups and channels keep their membership and timelines in one journal's memory, so a switch with
     * several journal shards does not serve them (yet): the shards would each see part of a group.
     */
    boolean servesAudiences()
    {
        return servesAudiences;
    }

    /** The ring of the journal shard that owns {@code userId}. */
    RingBuffer<SwitchEvent> ring(final long userId)
    {
        return rings[JournalShard.of(userId, rings.length)];
    }

    /**
     * @param writable whether the peer reads what it is sent: one that does not gets no more Pongs (it is alive:
     *                 it sent this); they would only pile up in its outbound buffer until reading pauses.
     * @return the Pong, or null.
     */
    Frame ping(final long requestId, final boolean writable)
    {
        return writable ? Frames.pong(requestId, clockMs.getAsLong()) : null;
    }

    /** A cursor is advisory and the next Ack supersedes it: when the ring is full it is skipped. No answer. */
    void ack(final Session session, final long upToSeq)
    {
        if (upToSeq <= session.cursorSeq())
        {
            return;
        }
        if (ring(session.userId()).tryPublishEvent(SwitchEvent.ACK_TRANSLATOR, session, upToSeq))
        {
            session.cursorSeq(upToSeq);
        }
    }

    /**
     * One page of the session's inbox, read by a sync reader, one at a time per session.
     *
     * @param writable whether the session's earlier answers are read: a page is never dropped, so while they are
     *                 not, no new page is taken on (a peer asking and never reading would queue a page per request).
     * @return a BUSY refusal, or null when the sync reader took it.
     */
    Frame sync(final Session session, final Sync sync, final boolean writable)
    {
        final long requestId = sync.getRequestId();
        final int limit = limit(sync.getLimit());
        // As on the wire (uint64): the page reads past every seq for values above Java's signed range.
        final long afterSeq = sync.getAfterSeq();
        if (!writable)
        {
            return busy(requestId, "earlier answers not read yet");
        }
        if (!session.tryStartSync())
        {
            return busy(requestId, "one sync at a time per session");
        }
        if (!syncReader.submit(session, requestId, afterSeq, limit))
        {
            session.syncDone();
            return busy(requestId, "sync queue full");
        }
        return null;
    }

    /** One page of a channel's timeline; as {@link #sync}. */
    Frame channelSync(final Session session, final ChannelSync sync, final boolean writable)
    {
        final long requestId = sync.getRequestId();
        if (sync.getChannelId() <= 0)
        {
            return Frames.error(requestId, ErrorCode.BAD_REQUEST, "channel_id must be a positive id", false);
        }
        final int limit = limit(sync.getLimit());
        final long afterSeq = sync.getAfterSeq();
        if (!writable || !session.tryStartSync())
        {
            return busy(requestId, "one sync at a time per session, answers read first");
        }
        if (!syncReader.submitChannelSync(
            session, requestId, sync.getChannelId(), afterSeq, limit, sync.getIncludeHistory()))
        {
            session.syncDone();
            return busy(requestId, "sync queue full");
        }
        return null;
    }

    /** A group change, to the ring; counted in flight as a send is. */
    Frame groupOp(final Session session, final GroupOp op)
    {
        final String invalid = AudienceRequests.invalid(op);
        if (invalid != null)
        {
            return Frames.error(op.getRequestId(), ErrorCode.BAD_REQUEST, invalid, false);
        }
        return publishAudienceOp(session, op.getRequestId(), op, null);
    }

    /** A channel change, to the ring; counted in flight as a send is. */
    Frame channelOp(final Session session, final ChannelOp op)
    {
        final String invalid = AudienceRequests.invalid(op);
        if (invalid != null)
        {
            return Frames.error(op.getRequestId(), ErrorCode.BAD_REQUEST, invalid, false);
        }
        return publishAudienceOp(session, op.getRequestId(), null, op);
    }

    private Frame publishAudienceOp(
        final Session session, final long requestId, final GroupOp groupOp, final ChannelOp channelOp)
    {
        if (status.isStorageFailed() || status.isDraining())
        {
            return Frames.error(requestId, status.isStorageFailed() ? ErrorCode.STORAGE_FAILURE :
                ErrorCode.SHUTTING_DOWN, "not taking changes on this node now", false);
        }
        if (!servesAudiences())
        {
            return Frames.error(requestId, ErrorCode.NOT_ALLOWED, AUDIENCES_NEED_ONE_SHARD, false);
        }
        if (session.incrementInFlightSends() > maxInFlightSends || !(groupOp != null ?
            ring(session.userId()).tryPublishEvent(SwitchEvent.GROUP_OP_TRANSLATOR, session, groupOp) :
            ring(session.userId()).tryPublishEvent(SwitchEvent.CHANNEL_OP_TRANSLATOR, session, channelOp)))
        {
            session.decrementInFlightSends();
            return busy(requestId, "server busy");
        }
        return null;
    }

    /**
     * An upload ticket, to a media thread ({@link MediaService#ticket}); counted in flight as a send is until it is
     * answered.
     *
     * @param loop   the session's event loop, where {@code answer} runs.
     * @param answer writes the answer (an {@code UploadTicketResult} or an {@code Error}) to the session.
     * @return a refusal (NOT_ALLOWED while media is off, BUSY), or null when a media thread took it.
     */
    Frame uploadTicket(
        final Session session, final UploadTicket ticket, final Executor loop, final Consumer<Frame> answer)
    {
        final long requestId = ticket.getRequestId();
        final Frame refused = refuseMedia(session, requestId);
        if (refused != null)
        {
            return refused;
        }
        if (!media.ticket(session.userId(), ticket, loop, answered(session, answer)))
        {
            session.decrementInFlightSends();
            return busy(requestId, "media requests queue full");
        }
        return null;
    }

    /**
     * A download URL, to a media thread ({@link MediaService#mediaUrl}); counted in flight until it is answered.
     *
     * @param loop   the session's event loop, where {@code answer} runs.
     * @param answer writes the answer (a {@code MediaUrlResult} or an {@code Error}) to the session.
     * @return a refusal (NOT_ALLOWED while media is off, BUSY), or null when a media thread took it.
     */
    Frame mediaUrl(final Session session, final MediaUrl request, final Executor loop, final Consumer<Frame> answer)
    {
        final long requestId = request.getRequestId();
        final Frame refused = refuseMedia(session, requestId);
        if (refused != null)
        {
            return refused;
        }
        if (!media.mediaUrl(request, loop, answered(session, answer)))
        {
            session.decrementInFlightSends();
            return busy(requestId, "media requests queue full");
        }
        return null;
    }

    /** Media off, or the session at its limit of requests in flight; else the request is counted in flight. */
    private Frame refuseMedia(final Session session, final long requestId)
    {
        if (media == null)
        {
            counters.mediaRefusedOff.increment();
            return Frames.error(requestId, ErrorCode.NOT_ALLOWED, MEDIA_OFF, false);
        }
        if (session.incrementInFlightSends() > maxInFlightSends)
        {
            session.decrementInFlightSends();
            return busy(requestId, "too many requests awaiting an answer");
        }
        return null;
    }

    private static Consumer<Frame> answered(final Session session, final Consumer<Frame> answer)
    {
        return frame ->
        {
            session.decrementInFlightSends();
            answer.accept(frame);
        };
    }

    void serveDiscovery(final DiscoveryRequests discovery)
    {
        this.discovery = discovery;
    }

    /** A contact discovery request, to the discovery threads (or refused at once). */
    Frame discovery(final Session session, final DiscoveryRequest request)
    {
        return discovery.submit(session, request);
    }

    /** A people-nearby request, to the nearby thread; NOT_ALLOWED where it is not served. */
    Frame nearby(final Session session, final NearbyRequest request)
    {
        return nearby == null ?
            Frames.error(request.getRequestId(), ErrorCode.NOT_ALLOWED, NEARBY_NEEDS_ONE_NODE, false) :
            nearby.submit(session, request);
    }

    /** A shake, to the nearby thread; NOT_ALLOWED where it is not served. */
    Frame shake(final Session session, final ShakeRequest request)
    {
        return nearby == null ?
            Frames.error(request.getRequestId(), ErrorCode.NOT_ALLOWED, NEARBY_NEEDS_ONE_NODE, false) :
            nearby.submit(session, request);
    }

    /** A page's size: 0 or above the maximum (uint32 on the wire: past Java's signed range is very large) is the maximum. */
    private int limit(final int requested)
    {
        return requested == 0 || Integer.compareUnsigned(requested, maxSyncLimit) > 0 ? maxSyncLimit : requested;
    }

    private Frame busy(final long requestId, final String reason)
    {
        counters.busyRejections.increment();
        return Frames.busy(requestId, null, reason, busyRetryAfterMs);
    }
}
