package io.xin.core.nearby;

import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.core.social.SocialFeed;
import io.xin.protocol.pb.DistanceBand;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.NearbyOp;
import io.xin.protocol.pb.NearbyRequest;
import io.xin.protocol.pb.NearbyResult;
import io.xin.protocol.pb.NearbyUser;
import io.xin.protocol.pb.ShakeRequest;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.ShakeState;
import io.xin.social.BlockCheck;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.NearbyIndex;
import io.xin.social.nearby.NearbyLimits;
import io.xin.social.nearby.NearbyPage;
import io.xin.social.shake.ShakeMatcher;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * People nearby and shake on one thread of their own, which owns the {@link NearbyIndex}, the
 * {@link ShakeMatcher} and the {@link NearbyLimits}: no other thread touches them, so nothing is locked.
 * <p>
 * The event loops turn a request into a {@link Request} ({@link #submit(Session, NearbyRequest)}): a location
 * becomes its H3 cell right there, so the coordinates never leave the event loop's stack (nothing keeps, logs or
 * passes them on), and the request is offered to a bounded many-to-one queue; a full queue is answered BUSY. The
 * nearby thread takes the requests in order, answers each through the session's channel, and pushes the later
 * results of shakes: the MATCHED of a waiting shake when a partner comes, its EXPIRED when the window passes, to
 * the session that shook if it is still open.
 * <p>
 * The index lives in memory only: a restart forgets every location (users report again; entries expire after
 * {@code nearby-expiry-seconds} anyway).
 * <p>
 * Cluster mode ({@link SocialFeed}): every node keeps the whole index and every partition's matcher. A report, a
 * leave or a shake of this node's user is not applied here at once: it is published with this node's time, and
 * applied, here as on every other node, when it comes back from the feed, in its partition's order (reports and
 * leaves under the coarse cell, shakes under the coarse cell when a maximum distance is set, else all under one
 * fixed key). So every node applies the same events in the same order to the same state, and pairs the same
 * shakes; the requester's answer waits for its own event to come back (it is the answer of that application).
 * Each node tells only its own sessions: the MATCHED of a shake, its WAITING, its EXPIRED. A waiting shake
 * expires when a TICK of its partition passes its window; the node that published the shake publishes the tick
 * when its own clock passes the window, so expiry too is an event every node applies in the same place. A user's
 * report or leave older than one already applied for that user is skipped (a user who crosses coarse cells has
 * events in two partitions, which nodes may interleave differently). Queries read the local index.
 * <p>
 * {@link #submit} runs on the event loops, {@link #nearbyEvent} on the feed's thread; every other method and field
 * is owned by the nearby thread.
 */
public final class NearbyService implements Agent, SocialFeed.NearbyListener
{
    /** Requests taken per duty cycle, so expiry keeps its pace under load. */
    private static final int DRAIN_LIMIT = 256;
    private static final long INDEX_SWEEP_INTERVAL_MS = 1_000;
    private static final long LIMITS_SWEEP_INTERVAL_MS = 60_000;
    /** Longest idle park: the sweeps' own pace; a request or a waiting shake's deadline wakes it sooner. */
    private static final long MAX_IDLE_PARK_MS = 1_000;
    /** Cluster mode: a request whose event never came back is forgotten after this (the client gave up long ago). */
    private static final long PENDING_TIMEOUT_MS = 60_000;

    private final NearbyConfig config;
    private final BlockCheck blocks;
    private final LongSupplier clockMs;
    private final RequestQueue<Request> queue;
    private final NearbyIndex index;
    private final ShakeMatcher matcher;
    /** Cluster mode: where this node's events go; null on a single node. */
    private final SocialFeed feed;
    /** Cluster mode: every node's events as the feed reads them, in each partition's order. Any thread offers. */
    private final Queue<FeedEvent> feedEvents = new ConcurrentLinkedQueue<>();
    /** Cluster mode: one matcher per partition of the feed, so that each sees one order: the partition's. */
    private final Int2ObjectHashMap<ShakeMatcher> matchers = new Int2ObjectHashMap<>();
    /** Cluster mode: this node's requests published and not yet back, by token. */
    private final Long2ObjectHashMap<Request> pending = new Long2ObjectHashMap<>();
    /** Cluster mode: the time of the last report or leave applied per user (a stale one is skipped). */
    private final Long2LongHashMap lastEventMs = new Long2LongHashMap(Long.MIN_VALUE);
    private long nextToken = 1;
    private final NearbyLimits limits;
    private final NearbyPage page = new NearbyPage();
    /** Waiting shakes by shake id: whom to tell when they pair or expire. */
    private final Long2ObjectHashMap<Request> waitingShakes = new Long2ObjectHashMap<>();
    private long nextShakeId = 1;
    private long nextIndexSweepMs;
    private long nextLimitsSweepMs;
    /** When the nearby thread must run next without a request: a sweep or a waiting shake's end. */
    private long nextDeadlineMs;
    /** The nearby thread, set when it starts; a request offered to an idle one unparks it. */
    private volatile Thread thread;
    /** Raised by the nearby thread while it parks with nothing queued. */
    private volatile boolean parkedIdle;

    /**
     * @param blocks  who blocked whom, asked on the nearby thread: people nearby leaves them out both ways and shake
     *                never pairs them.
     * @param clockMs the wall clock in milliseconds.
     * @param feed    cluster mode's social feed, or null on a single node.
     */
    public NearbyService(
        final NearbyConfig config, final BlockCheck blocks, final LongSupplier clockMs, final SocialFeed feed)
    {
        this.config = config;
        this.feed = feed;
        this.blocks = blocks;
        this.clockMs = clockMs;
        this.queue = new RequestQueue<>(config.queueCapacity());
        this.index = new NearbyIndex(config.cellResolution(), TimeUnit.SECONDS.toMillis(config.expirySeconds()),
            config.maxSpeedKmh());
        this.matcher = new ShakeMatcher(config.shakeWindowMs(), config.shakeMaxDistanceM() / 1_000.0,
            config.cellResolution(), blocks);
        this.limits = new NearbyLimits(clockMs, config.reportsPerMinute(), config.queriesPerMinute());
    }

    /**
     * Event loop: checks a nearby request, turns its location into a cell and queues it for the nearby thread.
     *
     * @return the answer to write at once (a refusal), or null when queued.
     */
    public Frame submit(final Session session, final NearbyRequest request)
    {
        final long requestId = request.getRequestId();
        final NearbyOp op = request.getOp();
        switch (op)
        {
            case NEARBY_REPORT ->
            {
                final long cell = Cells.cellOf(request.getLatitude(), request.getLongitude(), config.cellResolution());
                if (cell == 0)
                {
                    return Frames.error(requestId, ErrorCode.LOCATION_REFUSED,
                        "latitude must be -90..90 and longitude -180..180 degrees", false);
                }
                return enqueue(new Request(session, Request.REPORT, requestId, cell, 0, 0));
            }
            case NEARBY_QUERY ->
            {
                // uint32 on the wire: past Java's int range is past any offset served.
                final int offset = request.getOffset();
                if (offset < 0 || offset > config.maxOffset())
                {
                    return Frames.error(requestId, ErrorCode.BAD_REQUEST,
                        "offset must be 0.." + config.maxOffset(), false);
                }
                final int limit = request.getLimit();
                final int pageLimit = limit <= 0 || limit > config.pageLimit() ? config.pageLimit() : limit;
                return enqueue(new Request(session, Request.QUERY, requestId, 0, offset, pageLimit));
            }
            case NEARBY_LEAVE ->
            {
                return enqueue(new Request(session, Request.LEAVE, requestId, 0, 0, 0));
            }
            default ->
            {
                return Frames.error(requestId, ErrorCode.BAD_REQUEST, "op must be REPORT, QUERY or LEAVE", false);
            }
        }
    }

    /**
     * Event loop: checks a shake, turns its location (if any) into a cell and queues it for the nearby thread.
     *
     * @return the answer to write at once (a refusal), or null when queued.
     */
    public Frame submit(final Session session, final ShakeRequest request)
    {
        final long requestId = request.getRequestId();
        long cell = 0;
        if (request.getHasLocation())
        {
            cell = Cells.cellOf(request.getLatitude(), request.getLongitude(), config.cellResolution());
            if (cell == 0)
            {
                return Frames.error(requestId, ErrorCode.LOCATION_REFUSED,
                    "latitude must be -90..90 and longitude -180..180 degrees", false);
            }
        }
        return enqueue(new Request(session, Request.SHAKE, requestId, cell, 0, 0));
    }

    private Frame enqueue(final Request request)
    {
        if (!queue.offer(request))
        {
            return Frames.busy(request.requestId, null, "people nearby busy", config.busyRetryAfterMs());
        }
        wakeIdle();
        return null;
    }

    /** Cluster mode: an event of the feed, for the nearby thread. The feed's thread. */
    @Override
    public void nearbyEvent(
        final boolean own, final long token, final int op, final long userId, final long cell, final long eventTimeMs,
        final int partition, final long offset)
    {
        feedEvents.offer(new FeedEvent(own, token, op, userId, cell, eventTimeMs, partition, offset));
        wakeIdle();
    }

    private void wakeIdle()
    {
        final Thread nearbyThread = thread;
        // After the offer (a release of the slot, then this volatile read): a thread that raised its flag before is
        // seen here; one that raises it later sees the request and does not park.
        if (parkedIdle && nearbyThread != null)
        {
            LockSupport.unpark(nearbyThread);
        }
    }

    /** Ends the nearby thread's idle park, if it is in one: for a close. Any thread. */
    public void wake()
    {
        final Thread nearbyThread = thread;
        if (nearbyThread != null)
        {
            LockSupport.unpark(nearbyThread);
        }
    }

    /**
     * The idle strategy of the nearby thread's runner: with nothing queued, park until a request wakes it or the
     * next deadline (a waiting shake's end, a sweep), at most a second.
     */
    public IdleStrategy idleStrategy()
    {
        return new NearbyIdleStrategy();
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
        final long nowMs = clockMs.getAsLong();
        nextIndexSweepMs = nowMs + INDEX_SWEEP_INTERVAL_MS;
        nextLimitsSweepMs = nowMs + LIMITS_SWEEP_INTERVAL_MS;
        nextDeadlineMs = nextIndexSweepMs;
    }

    @Override
    public int doWork()
    {
        int taken = queue.drain(this::handle, DRAIN_LIMIT);
        final long nowMs = clockMs.getAsLong();
        if (feed != null)
        {
            FeedEvent event;
            while (taken < 2 * DRAIN_LIMIT && (event = feedEvents.poll()) != null)
            {
                apply(event);
                taken++;
            }
            tickOwnShakes(nowMs);
        }
        else if (nowMs >= matcher.nextExpiryMs())
        {
            matcher.expire(nowMs, this::onShakeExpired);
        }
        if (nowMs >= nextIndexSweepMs)
        {
            index.expire(nowMs);
            nextIndexSweepMs = nowMs + INDEX_SWEEP_INTERVAL_MS;
        }
        if (nowMs >= nextLimitsSweepMs)
        {
            limits.sweep();
            sweepCluster(nowMs);
            nextLimitsSweepMs = nowMs + LIMITS_SWEEP_INTERVAL_MS;
        }
        nextDeadlineMs = Math.min(feed != null ? nextOwnShakeEndMs() : matcher.nextExpiryMs(), nextIndexSweepMs);
        return taken;
    }

    private void handle(final Request request)
    {
        final long nowMs = clockMs.getAsLong();
        if (feed != null && request.kind != Request.QUERY)
        {
            final Frame refusal = publish(request, nowMs);
            if (refusal != null)
            {
                answer(request.session, refusal);
            }
            return;
        }
        final Frame answer = switch (request.kind)
        {
            case Request.REPORT -> report(request, nowMs);
            case Request.QUERY -> query(request, nowMs);
            case Request.LEAVE -> leave(request);
            default -> shake(request, nowMs);
        };
        answer(request.session, answer);
    }

    private Frame report(final Request request, final long nowMs)
    {
        final long userId = request.session.userId();
        final long waitMs = limits.tryReport(userId);
        if (waitMs != NearbyLimits.ALLOWED)
        {
            return rateLimited(request.requestId, "more than " + config.reportsPerMinute() +
                " location reports a minute", waitMs);
        }
        if (index.report(userId, request.cell, nowMs) == NearbyIndex.Report.IMPOSSIBLE_JUMP)
        {
            return Frames.error(request.requestId, ErrorCode.LOCATION_REFUSED,
                "too far from the last location for the time since (over " + config.maxSpeedKmh() + " km/h)", false);
        }
        return Frame.newBuilder().setNearbyResult(NearbyResult.newBuilder()
            .setRequestId(request.requestId)
            .setOp(NearbyOp.NEARBY_REPORT)
            .setExpiresAtMs(index.expiresAt(userId)))
            .build();
    }

    private Frame query(final Request request, final long nowMs)
    {
        final long userId = request.session.userId();
        final long waitMs = limits.tryQuery(userId);
        if (waitMs != NearbyLimits.ALLOWED)
        {
            return rateLimited(request.requestId, "more than " + config.queriesPerMinute() +
                " nearby queries and shakes a minute", waitMs);
        }
        final long cell = index.cellOf(userId, nowMs);
        if (cell == 0)
        {
            return Frames.error(request.requestId, ErrorCode.BAD_REQUEST,
                "no location: report one first (a location lives " + config.expirySeconds() + " s)", false);
        }
        index.query(userId, cell, request.offset, request.limit, other -> blocks.eitherBlocked(userId, other), nowMs,
            page);
        final NearbyResult.Builder result = NearbyResult.newBuilder()
            .setRequestId(request.requestId)
            .setOp(NearbyOp.NEARBY_QUERY)
            .setNextOffset(page.nextOffset());
        for (int i = 0; i < page.size(); i++)
        {
            result.addUsers(NearbyUser.newBuilder().setUserId(page.userId(i)).setBand(band(page.band(i))));
        }
        return Frame.newBuilder().setNearbyResult(result).build();
    }

    private Frame leave(final Request request)
    {
        final long userId = request.session.userId();
        final long waitMs = limits.tryReport(userId);
        if (waitMs != NearbyLimits.ALLOWED)
        {
            return rateLimited(request.requestId, "more than " + config.reportsPerMinute() +
                " location reports and leaves a minute", waitMs);
        }
        index.leave(userId);
        return Frame.newBuilder().setNearbyResult(NearbyResult.newBuilder()
            .setRequestId(request.requestId)
            .setOp(NearbyOp.NEARBY_LEAVE))
            .build();
    }

    private Frame shake(final Request request, final long nowMs)
    {
        final long userId = request.session.userId();
        final long waitMs = limits.tryQuery(userId);
        if (waitMs != NearbyLimits.ALLOWED)
        {
            return rateLimited(request.requestId, "more than " + config.queriesPerMinute() +
                " nearby queries and shakes a minute", waitMs);
        }
        final long shakeId = nextShakeId++;
        final ShakeMatcher.Outcome outcome = matcher.apply(userId, shakeId, nowMs, request.cell);
        if (outcome.supersededShakeId() != 0)
        {
            final Request superseded = waitingShakes.remove(outcome.supersededShakeId());
            if (superseded != null)
            {
                answer(superseded.session, shakeResult(superseded.requestId, ShakeState.SHAKE_EXPIRED, 0, 0));
            }
        }
        if (!outcome.matched())
        {
            waitingShakes.put(shakeId, request);
            nextDeadlineMs = Math.min(nextDeadlineMs, matcher.nextExpiryMs());
            return shakeResult(request.requestId, ShakeState.SHAKE_WAITING, 0, 0);
        }
        final Request partner = waitingShakes.remove(outcome.partnerShakeId());
        if (partner != null)
        {
            answer(partner.session, shakeResult(partner.requestId, ShakeState.SHAKE_MATCHED, userId, outcome.band()));
        }
        return shakeResult(request.requestId, ShakeState.SHAKE_MATCHED, outcome.partnerUserId(), outcome.band());
    }

    // ------------------------------------------------------------------------------------------- cluster mode

    /**
     * Publishes a report, leave or shake of this node's user after its rate limit; it is applied (and answered)
     * when it comes back from the feed.
     *
     * @return a refusal to answer now, or null.
     */
    private Frame publish(final Request request, final long nowMs)
    {
        final long userId = request.session.userId();
        final long waitMs = request.kind == Request.SHAKE ? limits.tryQuery(userId) : limits.tryReport(userId);
        if (waitMs != NearbyLimits.ALLOWED)
        {
            return request.kind == Request.SHAKE ?
                rateLimited(request.requestId, "more than " + config.queriesPerMinute() +
                    " nearby queries and shakes a minute", waitMs) :
                rateLimited(request.requestId, "more than " + config.reportsPerMinute() +
                    " location reports and leaves a minute", waitMs);
        }
        final long token = nextToken++;
        request.publishedAtMs = nowMs;
        pending.put(token, request);
        switch (request.kind)
        {
            case Request.REPORT -> feed.publishNearby(REPORT, userId, request.cell, coarse(request.cell), nowMs, token);
            case Request.LEAVE -> feed.publishNearby(LEAVE, userId, 0, coarse(index.cellOf(userId, nowMs)), nowMs,
                token);
            default -> feed.publishNearby(SHAKE, userId, request.cell,
                config.shakeMaxDistanceM() > 0 ? coarse(request.cell) : 0, nowMs, token);
        }
        return null;
    }

    /** The key that orders a cell's events: its coarse parent, or 0 (the fixed key) without a cell. */
    private static long coarse(final long cell)
    {
        return cell == 0 ? 0 : Cells.parent(cell, Cells.SHARD_RESOLUTION);
    }

    /** Applies one event of the feed, as every node does, and answers this node's own requests. */
    private void apply(final FeedEvent event)
    {
        final Request request = event.own ? pending.remove(event.token) : null;
        switch (event.op)
        {
            case REPORT ->
            {
                if (event.eventTimeMs < lastEventMs.get(event.userId))
                {
                    answerReport(request, NearbyIndex.Report.ACCEPTED, event.userId);
                    return;
                }
                final NearbyIndex.Report outcome = index.report(event.userId, event.cell, event.eventTimeMs);
                if (outcome == NearbyIndex.Report.ACCEPTED)
                {
                    lastEventMs.put(event.userId, event.eventTimeMs);
                }
                answerReport(request, outcome, event.userId);
            }
            case LEAVE ->
            {
                if (event.eventTimeMs >= lastEventMs.get(event.userId))
                {
                    index.leave(event.userId);
                    lastEventMs.put(event.userId, event.eventTimeMs);
                }
                if (request != null)
                {
                    answer(request.session, Frame.newBuilder().setNearbyResult(NearbyResult.newBuilder()
                        .setRequestId(request.requestId)
                        .setOp(NearbyOp.NEARBY_LEAVE))
                        .build());
                }
            }
            case SHAKE -> applyShake(event, request);
            case TICK -> matcherOf(event.partition).expire(event.eventTimeMs, this::onShakeExpired);
            default ->
            {
                // An op of a newer version: every node skips it alike.
            }
        }
    }

    private void answerReport(final Request request, final NearbyIndex.Report outcome, final long userId)
    {
        if (request == null)
        {
            return;
        }
        answer(request.session, outcome == NearbyIndex.Report.IMPOSSIBLE_JUMP ?
            Frames.error(request.requestId, ErrorCode.LOCATION_REFUSED,
                "too far from the last location for the time since (over " + config.maxSpeedKmh() + " km/h)", false) :
            Frame.newBuilder().setNearbyResult(NearbyResult.newBuilder()
                .setRequestId(request.requestId)
                .setOp(NearbyOp.NEARBY_REPORT)
                .setExpiresAtMs(index.expiresAt(userId)))
                .build());
    }

    private void applyShake(final FeedEvent event, final Request request)
    {
        final ShakeMatcher partitionMatcher = matcherOf(event.partition);
        // Expiry first, at the event's own time: the same on every node.
        partitionMatcher.expire(event.eventTimeMs, this::onShakeExpired);
        // The same id on every node: the partition and offset of the event (never 0).
        final long shakeId = (long)event.partition << 48 | event.offset + 1;
        final ShakeMatcher.Outcome outcome = partitionMatcher.apply(event.userId, shakeId, event.eventTimeMs,
            event.cell);
        if (outcome.supersededShakeId() != 0)
        {
            final Request superseded = waitingShakes.remove(outcome.supersededShakeId());
            if (superseded != null)
            {
                answer(superseded.session, shakeResult(superseded.requestId, ShakeState.SHAKE_EXPIRED, 0, 0));
            }
        }
        if (!outcome.matched())
        {
            if (request != null)
            {
                request.shakeEndsMs = event.eventTimeMs + config.shakeWindowMs() + 1;
                waitingShakes.put(shakeId, request);
                answer(request.session, shakeResult(request.requestId, ShakeState.SHAKE_WAITING, 0, 0));
            }
            return;
        }
        final Request partner = waitingShakes.remove(outcome.partnerShakeId());
        if (partner != null)
        {
            answer(partner.session, shakeResult(partner.requestId, ShakeState.SHAKE_MATCHED, event.userId,
                outcome.band()));
        }
        if (request != null)
        {
            answer(request.session, shakeResult(request.requestId, ShakeState.SHAKE_MATCHED, outcome.partnerUserId(),
                outcome.band()));
        }
    }

    private ShakeMatcher matcherOf(final int partition)
    {
        ShakeMatcher partitionMatcher = matchers.get(partition);
        if (partitionMatcher == null)
        {
            partitionMatcher = new ShakeMatcher(config.shakeWindowMs(), config.shakeMaxDistanceM() / 1_000.0,
                config.cellResolution(), blocks);
            matchers.put(partition, partitionMatcher);
        }
        return partitionMatcher;
    }

    /** Publishes a tick for each partition with a shake of this node whose window passed on this node's clock. */
    private void tickOwnShakes(final long nowMs)
    {
        if (waitingShakes.isEmpty())
        {
            return;
        }
        for (final Request waiting : waitingShakes.values())
        {
            if (!waiting.ticked && nowMs >= waiting.shakeEndsMs)
            {
                waiting.ticked = true;
                // Under the shake's own key: a tick of its partition. Any coarse cell of the partition would do.
                feed.publishNearby(TICK, 0, 0, waiting.cell == 0 || config.shakeMaxDistanceM() <= 0 ? 0 :
                    coarse(waiting.cell), nowMs, 0);
            }
        }
    }

    private long nextOwnShakeEndMs()
    {
        long next = Long.MAX_VALUE;
        for (final Request waiting : waitingShakes.values())
        {
            if (!waiting.ticked)
            {
                next = Math.min(next, waiting.shakeEndsMs);
            }
        }
        return next;
    }

    /** Forgets requests whose events never came back, and users' event times older than any entry. */
    private void sweepCluster(final long nowMs)
    {
        if (feed == null)
        {
            return;
        }
        pending.values().removeIf(request -> nowMs - request.publishedAtMs > PENDING_TIMEOUT_MS);
        waitingShakes.values().removeIf(request -> request.ticked && nowMs - request.shakeEndsMs > PENDING_TIMEOUT_MS);
        final long oldestMs = nowMs - TimeUnit.SECONDS.toMillis(config.expirySeconds()) - PENDING_TIMEOUT_MS;
        lastEventMs.entrySet().removeIf(entry -> entry.getValue() < oldestMs);
    }

    private void onShakeExpired(final long userId, final long shakeId)
    {
        final Request waiting = waitingShakes.remove(shakeId);
        if (waiting != null)
        {
            answer(waiting.session, shakeResult(waiting.requestId, ShakeState.SHAKE_EXPIRED, 0, 0));
        }
    }

    /** Writes and flushes on the session's loop, waking it if parked; a closed session is told nothing. */
    private static void answer(final Session session, final Frame frame)
    {
        if (!session.isClosed())
        {
            session.writeAndFlush(frame, false);
        }
    }

    private static Frame shakeResult(final long requestId, final ShakeState state, final long partnerId, final int band)
    {
        return Frame.newBuilder().setShakeResult(ShakeResult.newBuilder()
            .setRequestId(requestId)
            .setState(state)
            .setUserId(partnerId)
            .setBand(band(band)))
            .build();
    }

    private static Frame rateLimited(final long requestId, final String message, final long waitMs)
    {
        return Frames.error(requestId, ErrorCode.RATE_LIMITED, message, false,
            (int)Math.min(Integer.MAX_VALUE, waitMs));
    }

    private static DistanceBand band(final int band)
    {
        final DistanceBand value = DistanceBand.forNumber(band);
        return value == null ? DistanceBand.DISTANCE_BAND_UNSPECIFIED : value;
    }

    @Override
    public void onClose()
    {
        // The sessions are closing with the switch: what is queued is dropped, waiting shakes are not told.
        while (queue.poll() != null)
        {
            continue;
        }
        waitingShakes.clear();
    }

    @Override
    public String roleName()
    {
        return "xin-nearby";
    }

    /** A request as the event loop made it: no coordinate, only the cell. */
    static final class Request
    {
        static final int REPORT = 1;
        static final int QUERY = 2;
        static final int LEAVE = 3;
        static final int SHAKE = 4;

        final Session session;
        final int kind;
        final long requestId;
        /** REPORT: the cell of the location; SHAKE: its cell or 0. */
        final long cell;
        final int offset;
        final int limit;
        /** Cluster mode, owned by the nearby thread: when published; a waiting shake's end and whether ticked. */
        long publishedAtMs;
        long shakeEndsMs;
        boolean ticked;

        Request(final Session session, final int kind, final long requestId, final long cell, final int offset,
            final int limit)
        {
            this.session = session;
            this.kind = kind;
            this.requestId = requestId;
            this.cell = cell;
            this.offset = offset;
            this.limit = limit;
        }
    }

    /** Cluster mode: an event as the feed read it. */
    private record FeedEvent(
        boolean own, long token, int op, long userId, long cell, long eventTimeMs, int partition, long offset)
    {
    }

    /** Runs on the nearby thread, so it reads the service's own state. */
    private final class NearbyIdleStrategy implements IdleStrategy
    {
        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            final long waitMs = Math.min(MAX_IDLE_PARK_MS, nextDeadlineMs - clockMs.getAsLong());
            if (waitMs <= 0)
            {
                return;
            }
            parkedIdle = true;
            if (queue.isEmpty() && feedEvents.isEmpty())
            {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(waitMs));
            }
            parkedIdle = false;
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "nearby";
        }
    }
}
