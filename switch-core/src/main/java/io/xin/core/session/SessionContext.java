package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.netty.channel.ChannelHandler;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.device.Session;
import io.xin.core.discovery.DiscoveryRequests;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.guard.AddressGuard;
import io.xin.core.guard.FlapGuard;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.media.MediaService;
import io.xin.core.nearby.NearbyService;
import io.xin.core.net.Parker;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.core.sync.SyncReader;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginOk;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What every session handler shares: settings, the token verifier, the ring, the sync readers,
 * status and counters, the clock, and the stateless rules every session follows: {@link LoginFlow},
 * {@link SendAdmission}, {@link RequestRouter}, {@link IdlePolicy}, {@link PushBack}, and the
 * transport's {@link Parker}.
 * Immutable after construction; safe from any thread.
 * <p>
 * Time on the event loop is read from {@link #nanoClock()} once per event (a frame, a timer) and handed to
 * the rules, so that tests drive them with a clock of their own.
 * <p>
 * It is also the session layer as the layers beneath see it: the transport makes each pipeline's handler through it
 * ({@link XinChannelInitializer.SessionHandlers}) and the dispatcher asks it for the login answer and the closed
 * sessions ({@link Dispatcher.Sessions}).
 */
public final class SessionContext implements Dispatcher.Sessions, XinChannelInitializer.SessionHandlers
{
    private final SessionSettings ctx;
    private final TokenVerifier tokenVerifier;
    /** One ring per journal shard; a user's events go to the ring of the shard that owns the user. */
    private final RingBuffer<SwitchEvent>[] rings;
    private final SyncReader syncReader;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    /** Per shard, closed sessions that found the ring full; its dispatcher drains it at the end of each batch. */
    private final Queue<Session>[] closedOverflow;
    /** One timer wheel per event loop, made by that loop on its first session and ticked by it. */
    private final Map<EventExecutor, SessionTimers> timers = new ConcurrentHashMap<>();
    private final long timerTickNs;
    /** 512 buckets: at the default 500 ms tick a revolution is 256 s, so an idle check waits out a few rounds. */
    private static final int TIMER_WHEEL_SIZE = 512;
    private final AddressGuard addressGuard;
    private final FlapGuard flapGuard;
    private final NanoClock nanoClock;
    private final IdlePolicy idlePolicy;
    private final SendAdmission sendAdmission;
    private final LoginFlow loginFlow;
    private final RequestRouter requestRouter;
    private final FriendRequests friendRequests;
    private final Parker parker;
    private final PushBack pushBack;
    /** Null while media is off. */
    private final MediaService media;

    @SuppressWarnings("unchecked")
    public SessionContext(
        final SessionSettings ctx,
        final TokenVerifier tokenVerifier,
        final RingBuffer<SwitchEvent> ring,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters)
    {
        this(ctx, tokenVerifier, new RingBuffer[]{ ring }, syncReader, status, counters);
    }

    /**
     * @param rings one ring per journal shard, in shard order.
     */
    public SessionContext(
        final SessionSettings ctx,
        final TokenVerifier tokenVerifier,
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters)
    {
        this(ctx, tokenVerifier, rings, syncReader, status, counters, SystemNanoClock.INSTANCE);
    }

    /**
     * @param rings     one ring per journal shard, in shard order.
     * @param nanoClock the clock of timeouts, rate limits and guards ({@link System#nanoTime()} in a switch).
     */
    public SessionContext(
        final SessionSettings ctx,
        final TokenVerifier tokenVerifier,
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters,
        final NanoClock nanoClock)
    {
        this(ctx, tokenVerifier, rings, syncReader, status, counters, nanoClock, null, null);
    }

    /**
     * @param rings     one ring per journal shard, in shard order.
     * @param nanoClock the clock of timeouts, rate limits and guards ({@link System#nanoTime()} in a switch).
     * @param media     upload tickets, media references and download URLs; null while media is off.
     * @param nearby    people nearby and shake; null when not served (answered NOT_ALLOWED).
     */
    @SuppressWarnings("unchecked")
    public SessionContext(
        final SessionSettings ctx,
        final TokenVerifier tokenVerifier,
        final RingBuffer<SwitchEvent>[] rings,
        final SyncReader syncReader,
        final SwitchStatus status,
        final SwitchCounters counters,
        final NanoClock nanoClock,
        final MediaService media,
        final NearbyService nearby)
    {
        this.ctx = ctx;
        this.media = media;
        this.nanoClock = nanoClock;
        this.idlePolicy = new IdlePolicy(ctx.loginTimeoutMs(), ctx.idleTimeoutMs(), ctx.parkIdleMs());
        this.sendAdmission = new SendAdmission(status, ctx.journalShards() == 1, ctx.maxInFlightSendsPerSession(),
            ctx.maxSendsPerSecondPerSession(), ctx.sendBurstPerSession(), ctx.maxRateLimitedSendsPerSession());
        this.tokenVerifier = tokenVerifier;
        this.rings = rings.clone();
        this.closedOverflow = new Queue[rings.length];
        for (int i = 0; i < rings.length; i++)
        {
            closedOverflow[i] = new ConcurrentLinkedQueue<>();
        }
        this.syncReader = syncReader;
        this.status = status;
        this.counters = counters;
        this.timerTickNs = TimeUnit.MILLISECONDS.toNanos(timerTickMs(ctx.loginTimeoutMs(),
            ctx.parkIdleMs() > 0 ? Math.min(ctx.idleTimeoutMs(), ctx.parkIdleMs()) : ctx.idleTimeoutMs()));
        this.addressGuard = new AddressGuard(ctx.maxConnections(), ctx.maxConnectionsPerAddress(),
            ctx.maxNewConnectionsPerAddressPerSecond(), ctx.maxLoginFailuresPerAddressPerMinute(), ctx.maxGuardRecords());
        this.flapGuard = new FlapGuard(ctx.maxLoginsPerDevicePerMinute(), ctx.deviceBanMs(), ctx.maxGuardRecords());
        this.loginFlow = new LoginFlow(status, tokenVerifier, addressGuard, flapGuard, counters, ctx.placement(),
            ctx.movedRetryAfterMs());
        this.requestRouter = new RequestRouter(this.rings, syncReader, status, counters, ctx.clock(), ctx.maxSyncLimit(),
            ctx.maxInFlightSendsPerSession(), ctx.busyRetryAfterMs(), ctx.journalShards() == 1, media, nearby);
        this.friendRequests = new FriendRequests(this.rings, syncReader, status, counters,
            ctx.maxInFlightSendsPerSession(), ctx.busyRetryAfterMs(), ctx.strangersAllowedByDefault(),
            ctx.friendListPageEntries());
        this.parker = new Parker(counters);
        this.pushBack = new PushBack(ctx.maxInFlightSendsPerSession(), ctx.ringSize(), this.rings, counters);
    }

    /**
     * Sets where contact discovery requests go; before the switch listens.
     */
    public void serveDiscovery(final DiscoveryRequests discovery)
    {
        requestRouter.serveDiscovery(discovery);
    }

    /**
     * Forgets guard records that no longer limit anything; run periodically so idle memory shrinks.
     */
    public void sweepGuards()
    {
        final long nowNs = nanoClock.nanoTime();
        addressGuard.sweep(nowNs);
        flapGuard.sweep(nowNs);
    }

    public AddressGuard addressGuard()
    {
        return addressGuard;
    }

    FlapGuard flapGuard()
    {
        return flapGuard;
    }

    /**
     * Sends GoAway, with a random reconnect delay so clients do not all come back at once, to every open
     * session. The sessions are found on their loops' timer wheels (every open session has a timer there),
     * so no channel group holds a slot per session.
     *
     * @param waitMs how long to wait for the loops to have queued the frames.
     */
    public void goAwayAll(final int maxReconnectDelayMs, final long waitMs)
    {
        forEachSession(handler -> handler.goAway(maxReconnectDelayMs == 0 ? 0 :
            ThreadLocalRandom.current().nextInt(maxReconnectDelayMs + 1)), waitMs);
    }

    /**
     * Closes every open session once what was written to it is on the wire, then, after {@code timeoutMs},
     * closes those still open (a peer that does not read) at once.
     */
    public void closeAll(final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        forEachSession(SessionHandler::closeAfterWrites, timeoutMs);
        awaitNoSessions(deadlineNs);
        if (counters.sessionsOpen.get() > 0)
        {
            forEachSession(SessionHandler::closeNow, timeoutMs);
            awaitNoSessions(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(timeoutMs, 1_000)));
        }
    }

    private void awaitNoSessions(final long deadlineNs)
    {
        while (counters.sessionsOpen.get() > 0 && System.nanoTime() < deadlineNs)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Runs {@code action} on each open session, on the session's own loop; waits for every loop up to {@code waitMs}. */
    private void forEachSession(final Consumer<SessionHandler> action, final long waitMs)
    {
        final List<Future<?>> done = new ArrayList<>();
        for (final Map.Entry<EventExecutor, SessionTimers> loop : timers.entrySet())
        {
            try
            {
                done.add(loop.getKey().submit(() ->
                {
                    for (final SessionTimers.Timed timed : loop.getValue().snapshot())
                    {
                        if (timed instanceof SessionHandler handler)
                        {
                            action.accept(handler);
                        }
                    }
                }));
            }
            catch (final RejectedExecutionException ex)
            {
                // The loop is shutting down: its channels are being closed with it.
            }
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        for (final Future<?> future : done)
        {
            future.awaitUninterruptibly(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime())));
        }
    }

    @Override
    public ChannelHandler newSessionHandler()
    {
        return new SessionHandler(this);
    }

    @Override
    public Frame loginOk(final long requestId, final long userId, final long headSeq, final long cursorSeq)
    {
        return Frame.newBuilder()
            .setLoginOk(LoginOk.newBuilder()
                .setRequestId(requestId)
                .setUserId(userId)
                .setHeadSeq(headSeq)
                .setCursorSeq(cursorSeq)
                .setHeartbeatIntervalMs(ctx.heartbeatIntervalMs())
                .setIdleTimeoutMs(ctx.idleTimeoutMs())
                .setMaxFrameLengthBytes(ctx.maxFrameLengthBytes())
                .setMaxSyncLimit(ctx.maxSyncLimit())
                .setServerTimeMs(ctx.clock().getAsLong()))
            .build();
    }

    public int maxPreLoginFrameLengthBytes()
    {
        return ctx.maxPreLoginFrameLengthBytes();
    }

    @Override
    public Queue<Session> closedOverflow(final int shard)
    {
        return closedOverflow[shard];
    }

    /** Where a closed session goes when the ring of its user's shard is full. */
    Queue<Session> closedOverflowOf(final long userId)
    {
        return closedOverflow[JournalShard.of(userId, rings.length)];
    }

    /** The clock of the session rules; read once per event on the loop. */
    NanoClock nanoClock()
    {
        return nanoClock;
    }

    IdlePolicy idlePolicy()
    {
        return idlePolicy;
    }

    SendAdmission sendAdmission()
    {
        return sendAdmission;
    }

    LoginFlow loginFlow()
    {
        return loginFlow;
    }

    RequestRouter requestRouter()
    {
        return requestRouter;
    }

    FriendRequests friendRequests()
    {
        return friendRequests;
    }

    Parker parker()
    {
        return parker;
    }

    PushBack pushBack()
    {
        return pushBack;
    }

    /** Upload tickets, media references and download URLs; null while media is off. */
    MediaService media()
    {
        return media;
    }

    SessionSettings settings()
    {
        return ctx;
    }

    TokenVerifier tokenVerifier()
    {
        return tokenVerifier;
    }

    /** The ring of the journal shard that owns {@code userId}. */
    RingBuffer<SwitchEvent> ring(final long userId)
    {
        return rings[JournalShard.of(userId, rings.length)];
    }

    SyncReader syncReader()
    {
        return syncReader;
    }

    SwitchStatus status()
    {
        return status;
    }

    SwitchCounters counters()
    {
        return counters;
    }

    /**
     * Timers fire up to a tick late: a twentieth of the shorter timeout, within 10..1000 ms
     * (500 ms at the defaults).
     */
    static long timerTickMs(final long loginTimeoutMs, final long idleTimeoutMs)
    {
        return Math.max(10, Math.min(1_000, Math.min(loginTimeoutMs, idleTimeoutMs) / 20));
    }

    /**
     * The timer wheel of {@code loop}, created and set ticking on the first call. Call on {@code loop}.
     */
    SessionTimers timers(final EventExecutor loop)
    {
        final SessionTimers existing = timers.get(loop);
        return existing != null ? existing : timers.computeIfAbsent(loop, this::newTimers);
    }

    private SessionTimers newTimers(final EventExecutor loop)
    {
        final SessionTimers wheel = new SessionTimers(timerTickNs, TIMER_WHEEL_SIZE, nanoClock.nanoTime());
        loop.scheduleAtFixedRate(() -> wheel.expire(nanoClock.nanoTime()), timerTickNs, timerTickNs, TimeUnit.NANOSECONDS);
        return wheel;
    }
}
