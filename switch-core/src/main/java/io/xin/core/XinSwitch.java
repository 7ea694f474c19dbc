package io.xin.core;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.device.Placement;
import io.xin.core.discovery.DiscoveryLimiter;
import io.xin.core.discovery.DiscoveryRequests;
import io.xin.core.discovery.DiscoveryService;
import io.xin.core.discovery.FeedDirectory;
import io.xin.core.journal.JournalContext;
import io.xin.core.journal.ReplicatedShards;
import io.xin.core.journal.JournalWriter;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.media.MediaKeys;
import io.xin.core.media.MediaService;
import io.xin.core.nearby.NearbyConfig;
import io.xin.core.nearby.NearbyService;
import io.xin.core.net.AddressRanges;
import io.xin.core.net.CertificateReloader;
import io.xin.core.net.LocalTransport;
import io.xin.core.net.ServerTls;
import io.xin.core.net.SessionReceiveAllocator;
import io.xin.core.net.Transport;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.official.ChannelPacer;
import io.xin.core.presence.PresenceHub;
import io.xin.core.official.OnlineFollowers;
import io.xin.core.ring.JournalShards;
import io.xin.core.session.SessionContext;
import io.xin.core.session.SessionSettings;
import io.xin.core.social.SocialFeed;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.core.sync.SyncReader;
import io.xin.media.MediaLimits;
import io.xin.media.MediaStore;
import io.xin.protocol.pb.FriendState;
import io.xin.social.BlockCheck;
import io.xin.social.discovery.KeyRing;
import io.xin.social.discovery.RegistrationProofs;
import io.xin.storage.FriendStore;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A running Xin switch: the Netty server, the journal and dispatcher threads, the sync readers
 * and the store. Build a {@link Context}, then {@link #launch(Context)}; {@link #close()} drains
 * and stops it.
 * <pre>{@code
 * XinSwitch xin = XinSwitch.launch(new XinSwitch.Context()
 *     .port(7700)
 *     .dataDir(Path.of("/var/lib/xin"))
 *     .jwtSecret("change-me-to-32-bytes-or-more-please"));
 * Runtime.getRuntime().addShutdownHook(new Thread(xin::close));
 * xin.awaitTermination();
 * }</pre>
 */
public final class XinSwitch implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(XinSwitch.class);
    /** Longest park of an idle channel pacer; a post or a close wakes it sooner. */
    static final long PACER_IDLE_PARK_NANOS = 100_000_000;
    /** Posts waiting for the pacer; beyond it a post is stored but not pushed (followers sync). */
    private static final int CHANNEL_PACER_QUEUE_CAPACITY = 1024;
    static final String DISCOVERY_NEEDS_ONE_NODE =
        "contact discovery on a node of a cluster needs the cluster's social feed";

    private final Context ctx;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    /** How to stop what the constructor started, in start order; {@link #stop()} runs them in reverse. */
    private final List<AutoCloseable> stops = new ArrayList<>();
    private final ServerTls tls;
    private final XinStore store;
    private final JournalShards shards;
    private final SessionContext sessionContext;
    /** Tickets, media references and download URLs; null while media is off. */
    private final MediaService media;
    /** Contact discovery where this switch serves it; null where it refuses it. */
    private DiscoveryService discoveryService;
    private final Transport transport;
    private final Channel serverChannel;
    private final Channel proxyServerChannel;
    private final Channel localServerChannel;
    private final Object closeLock = new Object();
    private volatile boolean closed;
    private volatile boolean drainAnnounced;

    /**
     * Builds the components from the context and starts them in order, each registered to be stopped in reverse;
     * a failure stops what was started and rethrows.
     */
    private XinSwitch(final Context ctx)
    {
        this.ctx = ctx;
        this.counters = new SwitchCounters();
        this.status = new SwitchStatus();
        try
        {
            tls = ctx.tlsCertFile() == null ? null : loadTls(ctx);
            store = stopWith(XinStore.open(ctx.storeConfig()));
            // Fed by the dispatchers and the journals from their start; its thread starts with the other helpers.
            final PresenceHub presence = new PresenceHub(store.friends(), counters, ctx.clock(),
                () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()), ctx.presencePushIntervalMs(),
                ctx.socialFeed());
            if (ctx.socialFeed() != null)
            {
                ctx.socialFeed().attachPresence(presence);
            }

            // Shard 0 keeps the thread names of a single journal: xin-ring-1 (journal), xin-ring-2 (dispatcher).
            final JournalContext journals = new JournalContext()
                .store(store)
                .journalWriter(ctx.journalWriter())
                .status(status)
                .counters(counters)
                .clock(ctx.clock())
                .maxGroupMembers(ctx.maxGroupMembers())
                .maxChannelPublishers(ctx.maxChannelPublishers())
                .headWriteIntervalMs(ctx.headWriteIntervalMs())
                .shardCount(ctx.journalShards())
                .replicatedShards(ctx.replicatedShards())
                .friendChanges(presence)
                .strangersAllowedByDefault(ctx.strangersAllowedByDefault())
                .friendRequestLimit(ctx.friendRequestBurst(), ctx.friendRequestsPerHour())
                .maxPendingFriendRequests(ctx.maxPendingFriendRequests())
                .conclude();
            shards = stopWith(new JournalShards(journals, ctx.ringSize(), ctx.ringThreads().threadsPerShard(),
                shard -> threadFactory(shard == 0 ? "xin-ring" : "xin-ring" + shard)));
            if (ctx.replicatedShards() != null)
            {
                ctx.replicatedShards().attach(store, shards.journals(), this::moveOut, presence::standbyRelationApplied);
            }
            final SyncReader syncReader = stopWith(new SyncReader(
                store, counters, ctx.syncThreads(), ctx.syncQueueCapacity(), ctx.maxSyncResultBytes()));
            // Stopped before the rings: a check still running then answers its session, which is closing anyway.
            media = ctx.mediaStore() == null ? null : stopWith(newMediaService(ctx, counters));
            // People nearby and shake: one thread, the index in memory only. In cluster mode every node applies every
            // node's events from the social feed; a node of a cluster without one answers NOT_ALLOWED.
            final NearbyService nearby = clusteredWithoutFeed(ctx) ? null :
                new NearbyService(ctx.nearbyConfig(), ctx.blockCheck() != null ? ctx.blockCheck() :
                    storeBlocks(stopWith(store.friends().newReader())), ctx.clock(), ctx.socialFeed());
            if (nearby != null && ctx.socialFeed() != null)
            {
                ctx.socialFeed().attachNearby(nearby);
            }
            sessionContext = new SessionContext(
                ctx, new TokenVerifier(ctx.jwtSecretBytes(), ctx.jwtPublicKey(), ctx.jwtClockSkewSeconds(), ctx.clock()),
                shards.rings(), syncReader, status, counters, SystemNanoClock.INSTANCE, media, nearby);
            if (nearby != null)
            {
                // Before the event loops that feed it, so stopped after them.
                final AgentRunner nearbyRunner = new AgentRunner(nearby.idleStrategy(),
                    ex -> LOG.warn("Nearby thread failed", ex), null, nearby);
                AgentRunner.startOnThread(nearbyRunner, threadFactory("xin-nearby"));
                stops.add(() ->
                {
                    nearby.wake();
                    CloseHelper.close(nearbyRunner);
                });
            }

            final DiscoveryRequests discoveryRequests = discovery(ctx);
            discoveryService = discoveryRequests instanceof DiscoveryService served ? served : null;
            sessionContext.serveDiscovery(discoveryRequests);

            final OnlineFollowers onlineFollowers = new OnlineFollowers();
            final ChannelPacer pacer = new ChannelPacer(onlineFollowers, counters, System::nanoTime,
                ctx.channelPushesPerSecond(), ctx.channelPushChunk(), CHANNEL_PACER_QUEUE_CAPACITY);
            final AgentRunner presenceRunner = new AgentRunner(presence.idleStrategy(PACER_IDLE_PARK_NANOS),
                ex -> LOG.warn("Presence failed", ex), null, presence);
            AgentRunner.startOnThread(presenceRunner, threadFactory("xin-presence"));
            stops.add(() ->
            {
                presence.wake();
                CloseHelper.close(presenceRunner);
            });
            shards.start(new PresenceSessions(sessionContext, presence), onlineFollowers, pacer);

            transport = Transport.choose(ctx.transport());
            final EventLoopGroup bossGroup = stopWith(transport.newEventLoopGroup(1, threadFactory("xin-accept")));
            final int eventLoops = Configuration.eventLoops(ctx.ioThreads());
            final EventLoopGroup workerGroup = stopWith(transport.newEventLoopGroup(eventLoops, threadFactory("xin-io")));

            // After the event loops it hands pushes to, so stopped before them. Parks 1 ms while a post waits for its
            // budget (the pace is in pushes per second, not per microsecond), and until the dispatcher offers a post
            // when none waits: an idle pacer costs no wake-up a millisecond. Until its thread runs, the dispatcher
            // queues posts for it (no session exists before the listeners below).
            final AgentRunner channelPacer = new AgentRunner(
                pacer.idleStrategy(TimeUnit.MILLISECONDS.toNanos(1), PACER_IDLE_PARK_NANOS),
                ex -> LOG.warn("Channel pacer failed", ex), null, pacer);
            AgentRunner.startOnThread(channelPacer, threadFactory("xin-channel-pacer"));
            stops.add(() ->
            {
                pacer.wake();
                CloseHelper.close(channelPacer);
            });

            // One allocator for every session, whose per-channel handle is one small object (see
            // SessionReceiveAllocator). Buffers live only for a read, so idle sessions hold none.
            final SessionReceiveAllocator recvAllocator = new SessionReceiveAllocator();
            final InetSocketAddress bindAddress = new InetSocketAddress(ctx.bindHost(), ctx.port());
            final ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channelFactory(transport.serverChannelFactory(bindAddress))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, recvAllocator)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                    ctx.writeBufferLowWaterMarkBytes(), ctx.writeBufferHighWaterMarkBytes()))
                .childHandler(new XinChannelInitializer(sessionContext, counters, tls, false, null));
            bossGroup.scheduleAtFixedRate(sessionContext::sweepGuards, 10, 10, TimeUnit.SECONDS);
            if (media != null)
            {
                media.start();
                bossGroup.scheduleAtFixedRate(media::sweep, 1, 1, TimeUnit.MINUTES);
            }
            serverChannel = stopWith(bootstrap.bind(bindAddress).sync().channel());
            proxyServerChannel = ctx.proxyPort() < 0 ? null : stopWith(bootstrap.clone()
                .childHandler(new XinChannelInitializer(
                    sessionContext, counters, tls, true, ctx.proxyAllowedSourceRanges()))
                .bind(new InetSocketAddress(ctx.bindHost(), ctx.proxyPort())).sync().channel());
            final LocalTransport local = ctx.localTransport();
            if (local != null)
            {
                // Sessions of a further transport (the test kit's in-JVM one) through the same initializer and
                // handlers, on event loops of their own: for measuring per-session cost without sockets.
                final EventLoopGroup localGroup = stopWith(new MultiThreadIoEventLoopGroup(
                    eventLoops, threadFactory("xin-local"), local.ioHandlerFactory()));
                localServerChannel = stopWith(new ServerBootstrap()
                    .group(localGroup)
                    .channel(local.serverChannelClass())
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, recvAllocator)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        ctx.writeBufferLowWaterMarkBytes(), ctx.writeBufferHighWaterMarkBytes()))
                    .childHandler(new XinChannelInitializer(sessionContext, counters, tls, false, null))
                    .bind(local.address()).sync().channel());
            }
            else
            {
                localServerChannel = null;
            }
            if (tls != null && ctx.tlsReloadIntervalMs() > 0)
            {
                final AgentRunner tlsReloader = stopWith(new AgentRunner(
                    new SleepingMillisIdleStrategy(Math.min(ctx.tlsReloadIntervalMs(), CertificateReloader.IDLE_SLEEP_MS)),
                    ex -> LOG.warn("TLS certificate reloader failed", ex), null,
                    new CertificateReloader(tls, ctx.tlsReloadIntervalMs())));
                AgentRunner.startOnThread(tlsReloader, threadFactory("xin-tls-reload"));
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while starting", ex);
        }
        catch (final RuntimeException ex)
        {
            stop();
            throw ex;
        }
        catch (final Exception ex)
        {
            // Netty's sync() rethrows a bind failure (a checked BindException) as it is.
            stop();
            throw new IllegalStateException("cannot listen on " + ctx.bindHost() + " port " + ctx.port() +
                (ctx.proxyPort() >= 0 ? " or PROXY port " + ctx.proxyPort() : "") + ": " + ex, ex);
        }
        LOG.info("Xin switch listening on {}{} ({} transport, {}), data in {}, fsync {}",
            serverChannel.localAddress(),
            proxyServerChannel == null ? "" : " and " + proxyServerChannel.localAddress() + " (PROXY protocol)",
            transport.name(), tls == null ? "no TLS" : "TLS by " + tls.providerName(), ctx.dataDir(), ctx.fsyncPolicy());
    }

    /**
     * Validates the context, opens the store and starts every thread and the listener.
     *
     * @throws ConfigurationException naming the setting when the context is invalid.
     */
    public static XinSwitch launch(final Context ctx)
    {
        ctx.conclude();
        LOG.info("Effective configuration: {}", ctx);
        return new XinSwitch(ctx);
    }

    /**
     * @return the bound TCP port (useful with port 0).
     */
    public int port()
    {
        return localAddress().getPort();
    }

    public InetSocketAddress localAddress()
    {
        return (InetSocketAddress)serverChannel.localAddress();
    }

    /**
     * @return the bound port that expects a PROXY protocol header first, or -1 when there is none.
     */
    public int proxyPort()
    {
        return proxyServerChannel == null ? -1 : ((InetSocketAddress)proxyServerChannel.localAddress()).getPort();
    }

    /**
     * @return the TLS context holder, or null when TLS is off.
     */
    public ServerTls tls()
    {
        return tls;
    }

    /**
     * Ready for new sessions: not draining, not stopped, storage not failed. What a load balancer's
     * health check should follow.
     */
    public boolean isReady()
    {
        return status.isReady() && !closed && !drainAnnounced;
    }

    /**
     * Stops being ready ({@link #isReady()} false, so {@code /readyz} fails) while still serving every
     * session and login: the first step of a drain, so that load balancers stop sending new connections
     * before {@link #close()} refuses them. Idempotent.
     */
    public void announceDrain()
    {
        if (!drainAnnounced)
        {
            drainAnnounced = true;
            LOG.info("Xin switch leaving service: not ready any more, still serving");
        }
    }

    /**
     * Cluster mode: sends away every device of the users of journal shard {@code shard} (users map to shards by
     * {@code JournalShard.of(userId, journalShards)}), because another node serves them now. Each gets
     * {@code Kicked{reason: "moved", address}} (the address the {@link Context#placement() placement} gives for
     * its user, or "") and is closed. The shard's dispatcher does it, in ring order: after the acks and pushes of
     * everything published before this call. Call it once the placement says the shard's users are served
     * elsewhere: a login admitted before that is sent away here, one after it is answered {@code MOVED}.
     * <p>
     * Any thread; it waits for a free slot while the shard's ring is full. Does nothing once the switch is closed.
     *
     * @param shard the journal shard, in {@code [0, journalShards)}.
     */
    public void moveOut(final int shard)
    {
        if (shard < 0 || shard >= ctx.journalShards())
        {
            throw new IllegalArgumentException("shard must be 0.." + (ctx.journalShards() - 1) + ": " + shard);
        }
        if (closed)
        {
            return;
        }
        shards.rings()[shard].publishEvent(SwitchEvent.MOVE_OUT_TRANSLATOR, ctx.placement());
        LOG.info("Moving out the users of journal shard {}", shard);
    }

    /** Ring slots holding events not yet handled by the dispatcher; safe from any thread. */
    public long ringOccupancy()
    {
        return shards.occupancy();
    }

    public Context context()
    {
        return ctx;
    }

    public SwitchCounters counters()
    {
        return counters;
    }

    /**
     * Blocks as the friends rows say, for the nearby thread that alone calls it: a point read of each user's view of
     * the other (every shard's rows are in this node's store).
     */
    private static BlockCheck storeBlocks(final FriendStore.Reader reader)
    {
        return (blocker, blocked) -> reader.readState(blocker, blocked) == FriendState.FRIEND_STATE_BLOCKED_VALUE;
    }

    /**
     * @return the store, for reads and measurement by an embedding application (sizes, followers); the
     * journal thread is its only writer.
     */
    public XinStore store()
    {
        return store;
    }

    public SwitchStatus status()
    {
        return status;
    }

    /** The transport in use: epoll, io_uring or nio. */
    public String transportName()
    {
        return transport.name();
    }

    /**
     * Blocks until {@link #close()} has finished.
     */
    public void awaitTermination() throws InterruptedException
    {
        synchronized (closeLock)
        {
            while (!closed)
            {
                closeLock.wait();
            }
        }
    }

    /**
     * Graceful stop: stop accepting, tell every session to go away, drain the ring so every
     * message already taken is stored and acknowledged, close the sessions, close the store.
     */
    @Override
    public void close()
    {
        synchronized (closeLock)
        {
            if (closed)
            {
                return;
            }
            final long startNs = System.nanoTime();
            LOG.info("Xin switch draining: {} sessions", counters.sessionsOpen.get());
            status.startDraining();
            serverChannel.close().awaitUninterruptibly(ctx.drainTimeoutMs());
            if (proxyServerChannel != null)
            {
                proxyServerChannel.close().awaitUninterruptibly(ctx.drainTimeoutMs());
            }
            if (localServerChannel != null)
            {
                localServerChannel.close().awaitUninterruptibly(ctx.drainTimeoutMs());
            }
            sessionContext.goAwayAll(ctx.goAwayMaxReconnectDelayMs(), ctx.drainTimeoutMs());
            if (!shards.drain(ctx.drainTimeoutMs()))
            {
                LOG.warn("Ring not drained within {} ms; halted it. Unacknowledged sends will be resent by clients.",
                    ctx.drainTimeoutMs());
            }
            sessionContext.closeAll(ctx.drainTimeoutMs());
            stop();
            closed = true;
            closeLock.notifyAll();
            LOG.info("Xin switch stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        }
    }

    /**
     * @return the contact discovery service (its counters), or null when this switch does not serve discovery.
     */
    public DiscoveryService discovery()
    {
        return discoveryService;
    }

    /**
     * @return the media service, or null while media is off.
     */
    public MediaService media()
    {
        return media;
    }

    private static MediaService newMediaService(final Context ctx, final SwitchCounters counters)
    {
        final Clock clock = new WallClock(ctx.clock());
        // A message's token works as long as the message may be kept, plus the grace its blob outlives it by.
        final Duration tokenLifetime = ctx.retentionSeconds() == 0 ? null :
            Duration.ofSeconds(ctx.retentionSeconds() + ctx.mediaUploadLifetimeSeconds());
        LOG.info("Media on: store {}, public URL {}, keys {}, direct uploads {}",
            ctx.mediaStore().getClass().getSimpleName(), ctx.mediaPublicUrl(), ctx.mediaKeys().ids(),
            ctx.mediaS3DirectUploads());
        return new MediaService(ctx.mediaStore(), ctx.mediaKeys().signedUrls(clock),
            ctx.mediaKeys().accessTokens(tokenLifetime, clock),
            new MediaService.Settings(ctx.mediaPublicUrl(), ctx.mediaLimits(), ctx.mediaQuotaBytes(),
                ctx.mediaMaxChunkBytes(), ctx.mediaS3DirectUploads()),
            clock, counters);
    }

    /** The switch's wall clock ({@link Context#clock()}) as a {@link Clock}, for the media keys and service. */
    private static final class WallClock extends Clock
    {
        private final LongSupplier epochMillis;

        WallClock(final LongSupplier epochMillis)
        {
            this.epochMillis = epochMillis;
        }

        @Override
        public ZoneOffset getZone()
        {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(final ZoneId zone)
        {
            throw new UnsupportedOperationException("the switch's clock is UTC");
        }

        @Override
        public Instant instant()
        {
            return Instant.ofEpochMilli(epochMillis.getAsLong());
        }
    }

    private <T extends AutoCloseable> T stopWith(final T component)
    {
        stops.add(component);
        return component;
    }

    private EventLoopGroup stopWith(final EventLoopGroup group)
    {
        stops.add(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly());
        return group;
    }

    private Channel stopWith(final Channel channel)
    {
        stops.add(() -> channel.close().awaitUninterruptibly());
        return channel;
    }

    /** Stops everything started, in reverse start order, each even when an earlier one failed to stop. */
    private void stop()
    {
        final List<AutoCloseable> reverse = new ArrayList<>(stops);
        Collections.reverse(reverse);
        CloseHelper.closeAll(ex -> LOG.error("Error while stopping", ex), reverse);
    }

    /**
     * Contact discovery: served with a key file, refused NOT_ALLOWED without one. On a node of a cluster the
     * directory is the cluster's directory topic, through the social feed ({@link FeedDirectory}).
     */
    private DiscoveryRequests discovery(final Context ctx)
    {
        final String refusal = discoveryRefusal(ctx);
        if (refusal != null)
        {
            return DiscoveryRequests.refusing(refusal);
        }
        final RegistrationProofs proofs = registrationProofs(ctx);
        try
        {
            if (ctx.socialFeed() != null)
            {
                final KeyRing keys = KeyRing.load(ctx.discoveryKeyFile());
                final FeedDirectory directory = new FeedDirectory(ctx.socialFeed(), keys.servedIds());
                ctx.socialFeed().attachDirectory(directory);
                LOG.info("Contact discovery on: {}, the directory from the cluster's directory topic", keys);
                return stopWith(new DiscoveryService(keys, directory,
                    new DiscoveryLimiter(ctx.discoveryBucketCapacity(), ctx.discoveryRefillPerHour(),
                        ctx.discoveryDeviceBucketCapacity(), ctx.discoveryDeviceRefillPerHour()),
                    ctx.discoveryMaxElementsPerRequest(), ctx.discoveryThreads(), ctx.busyRetryAfterMs(),
                    System::nanoTime, proofs, ctx.clock()));
            }
            return stopWith(DiscoveryService.open(ctx.discoveryKeyFile(), store,
                new DiscoveryLimiter(ctx.discoveryBucketCapacity(), ctx.discoveryRefillPerHour(),
                    ctx.discoveryDeviceBucketCapacity(), ctx.discoveryDeviceRefillPerHour()),
                ctx.discoveryMaxElementsPerRequest(), ctx.discoveryThreads(), ctx.busyRetryAfterMs(), proofs,
                ctx.clock()));
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.DISCOVERY_KEY_FILE,
                "discoveryKeyFile " + ctx.discoveryKeyFile() + " is not a usable key file: " + ex.getMessage());
        }
    }

    /** The registration proofs' secret, when registrations need proofs; null when they are the client's word. */
    private static RegistrationProofs registrationProofs(final Context ctx)
    {
        if (ctx.discoveryRegistrationKeyFile() == null)
        {
            LOG.info("Contact discovery takes registrations on the client's word (no discovery-registration-key-" +
                "file): a user can register a number that is not its own");
            return null;
        }
        try
        {
            return RegistrationProofs.load(ctx.discoveryRegistrationKeyFile());
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new ConfigurationException(Setting.DISCOVERY_REGISTRATION_KEY_FILE, "discoveryRegistrationKeyFile " +
                ctx.discoveryRegistrationKeyFile() + " is not a usable secret file: " + ex.getMessage());
        }
    }

    /**
     * A node of a cluster (users placed on nodes, or shards replicated) that has no social feed: it sees only its own
     * users, so it serves neither contact discovery nor people nearby and shake.
     */
    private static boolean clusteredWithoutFeed(final Context ctx)
    {
        return (ctx.placement() != null || ctx.replicatedShards() != null) && ctx.socialFeed() == null;
    }

    /**
     * @return why a switch of this context does not serve contact discovery (the NOT_ALLOWED message), or null when
     * it does.
     */
    static String discoveryRefusal(final Context ctx)
    {
        if (clusteredWithoutFeed(ctx))
        {
            return DISCOVERY_NEEDS_ONE_NODE;
        }
        return ctx.discoveryKeyFile() == null ? "contact discovery is off on this switch (no discovery-key-file)" : null;
    }

    /**
     * Loads the certificate and key, reporting a file or provider that cannot be used as that setting's error.
     */
    private static ServerTls loadTls(final Context ctx)
    {
        try
        {
            return ServerTls.load(ctx.tlsCertFile(), ctx.tlsKeyFile(), ctx.tlsProvider(), ctx.loginTimeoutMs());
        }
        catch (final ServerTls.BadTlsSetting ex)
        {
            throw new ConfigurationException(
                ex.provider() ? Setting.TLS_PROVIDER : Setting.TLS_CERT, ex.getMessage(), ex.getCause());
        }
    }

    private static ThreadFactory threadFactory(final String prefix)
    {
        final AtomicInteger count = new AtomicInteger();
        return runnable ->
        {
            // Netty's thread type, so that buffers the ring threads allocate (the dispatcher's SendAck and
            // Deliver frames) come from a magazine of the pooled allocator owned by the thread, not a shared one.
            final Thread thread = new FastThreadLocalThread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(false);
            return thread;
        };
    }

    /**
     * Every setting of a switch, with defaults, ranges and docs from the registry of settings ({@link Setting}),
     * plus the hooks for tests and measurement. Fluent setters; {@link #conclude()} validates and is called by
     * {@link XinSwitch#launch(Context)}.
     */
    public static final class Context implements SessionSettings
    {
        // Every field bound to a Setting gets its default from the registry (Setting.applyDefaults) and its range
        // check from it (Setting.checkRanges); the fields are grouped by the registry's sections.

        // Network
        private String bindHost;
        private int port;
        private String transport;
        private int ioThreads;
        private int writeBufferLowWaterMarkBytes;
        private int writeBufferHighWaterMarkBytes;
        private Path tlsCertFile;
        private Path tlsKeyFile;
        private String tlsProvider;
        private long tlsReloadIntervalMs;
        private int proxyPort;
        private String proxyAllowedSources;
        private AddressRanges proxyAllowedSourceRanges;

        // Sessions and logins
        private String jwtSecret;
        private PublicKey jwtPublicKey;
        private long jwtClockSkewSeconds;
        private int heartbeatIntervalMs;
        private int idleTimeoutMs;
        private int parkIdleMs;
        private int loginTimeoutMs;
        private int goAwayMaxReconnectDelayMs;
        private int movedRetryAfterMs;

        // Limits
        private int maxFrameLengthBytes;
        private int maxPreLoginFrameLengthBytes;
        private int maxInFlightSendsPerSession;
        private int maxSyncLimit;
        private int maxSyncResultBytes;
        private int busyRetryAfterMs;
        private int maxSendsPerSecondPerSession;
        private int sendBurstPerSession;
        private int maxRateLimitedSendsPerSession;
        private int maxConnections;
        private int maxConnectionsPerAddress;
        private int maxNewConnectionsPerAddressPerSecond;
        private int maxLoginFailuresPerAddressPerMinute;
        private int maxLoginsPerDevicePerMinute;
        private long deviceBanMs;
        private int maxGuardRecords;

        // Journal, rings and sync reads
        private int ringSize;
        private int journalShards;
        private int ringThreadsPerShard;
        private long headWriteIntervalMs;
        private long drainTimeoutMs;
        private int syncThreads;
        private int syncQueueCapacity;

        // Store
        private Path dataDir;
        private FsyncPolicy fsyncPolicy;
        private long retentionSeconds;
        private long dedupeRetentionSeconds;
        private long blockCacheBytes;
        private long writeBufferBytes;
        private boolean hashMemtable;
        private long logSegmentBytes;
        private long logCheckpointBytes;
        private long logCheckpointIntervalMs;
        private long indexWaitMs;

        // Groups and channels
        private int maxGroupMembers;
        private int maxChannelPublishers;
        private int channelPushesPerSecond;
        private int channelPushChunk;

        // Media
        private String mediaPublicUrl;
        private long mediaQuotaBytes;
        private long mediaMaxImageBytes;
        private long mediaMaxVideoBytes;
        private long mediaMaxAudioBytes;
        private long mediaMaxOtherBytes;
        private int mediaMaxUploadsPerUser;
        private long mediaUploadLifetimeSeconds;
        private int mediaMaxChunkBytes;
        private boolean mediaS3DirectUploads;
        /** The media store and keys, set together by {@link #media}; null: media off. Owned by the embedder. */
        private MediaStore mediaStore;
        private MediaKeys mediaKeys;

        // Contact discovery
        private Path discoveryKeyFile;
        private Path discoveryRegistrationKeyFile;
        private int discoveryBucketCapacity;
        private int discoveryRefillPerHour;
        private int discoveryDeviceBucketCapacity;
        private int discoveryDeviceRefillPerHour;
        private int discoveryMaxElementsPerRequest;
        private int discoveryThreads;
        // Friends and presence
        private boolean strangersAllowedByDefault;
        private int presencePushIntervalMs;
        private int friendRequestBurst;
        private int friendRequestsPerHour;
        private int friendListPageEntries;
        private int maxPendingFriendRequests;
        // People nearby and shake
        private int nearbyCellResolution;
        private long nearbyExpirySeconds;
        private int nearbyMaxSpeedKmh;
        private int nearbyReportsPerMinute;
        private int nearbyQueriesPerMinute;
        private int nearbyPageLimit;
        private long shakeWindowMs;
        private int shakeMaxDistanceM;

        // Testing and measurement hooks: not settings of the daemon
        private LocalTransport localTransport;
        /** Cluster mode's hook (not a setting): which node serves a user; null serves every user here. */
        private Placement placement;
        private LongSupplier clock = System::currentTimeMillis;
        private Function<XinStore, JournalWriter> journalWriter = store -> store::write;
        private ReplicatedShards replicatedShards;
        /** Cluster mode's hook (not a setting): the social events of every node; null on a single node. */
        private SocialFeed socialFeed;
        /** Null: the store's friends and blocks rows. */
        private BlockCheck blockCheck;

        /**
         * A context with every setting at its default ({@link Setting#defaultValue()}).
         */
        public Context()
        {
            Setting.applyDefaults(this);
        }

        public Context bindHost(final String bindHost)
        {
            this.bindHost = bindHost;
            return this;
        }

        public String bindHost()
        {
            return bindHost;
        }

        /**
         * @param port TCP port for clients; 0 picks a free one (see {@link XinSwitch#port()}).
         */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        public int port()
        {
            return port;
        }

        public Context dataDir(final Path dataDir)
        {
            this.dataDir = dataDir;
            return this;
        }

        public Path dataDir()
        {
            return dataDir;
        }

        public Context fsyncPolicy(final FsyncPolicy fsyncPolicy)
        {
            this.fsyncPolicy = fsyncPolicy;
            return this;
        }

        public FsyncPolicy fsyncPolicy()
        {
            return fsyncPolicy;
        }

        /**
         * @param retentionSeconds how long inbox entries are kept; 0 keeps them for ever.
         */
        public Context retentionSeconds(final long retentionSeconds)
        {
            this.retentionSeconds = retentionSeconds;
            return this;
        }

        public long retentionSeconds()
        {
            return retentionSeconds;
        }

        /**
         * @param headWriteIntervalMs longest time, ms, a moved inbox head waits in the journal before it is written
         *                            (its inbox entries hold it meanwhile); 0 writes heads with every batch. At most
         *                            half of {@code retentionSeconds}, so a head is written before its entries expire.
         */
        public Context headWriteIntervalMs(final long headWriteIntervalMs)
        {
            this.headWriteIntervalMs = headWriteIntervalMs;
            return this;
        }

        public long headWriteIntervalMs()
        {
            return headWriteIntervalMs;
        }

        public Context dedupeRetentionSeconds(final long dedupeRetentionSeconds)
        {
            this.dedupeRetentionSeconds = dedupeRetentionSeconds;
            return this;
        }

        public long dedupeRetentionSeconds()
        {
            return dedupeRetentionSeconds;
        }

        /**
         * @param jwtSecret HS256 shared secret, at least 32 bytes of UTF-8.
         */
        public Context jwtSecret(final String jwtSecret)
        {
            this.jwtSecret = jwtSecret;
            return this;
        }

        public String jwtSecret()
        {
            return jwtSecret;
        }

        byte[] jwtSecretBytes()
        {
            return jwtSecret == null ? null : jwtSecret.getBytes(StandardCharsets.UTF_8);
        }

        /**
         * @param jwtPublicKey an EC P-256 (ES256) or Ed25519 (EdDSA) public key to verify tokens.
         */
        public Context jwtPublicKey(final PublicKey jwtPublicKey)
        {
            this.jwtPublicKey = jwtPublicKey;
            return this;
        }

        public PublicKey jwtPublicKey()
        {
            return jwtPublicKey;
        }

        public Context jwtClockSkewSeconds(final long jwtClockSkewSeconds)
        {
            this.jwtClockSkewSeconds = jwtClockSkewSeconds;
            return this;
        }

        public long jwtClockSkewSeconds()
        {
            return jwtClockSkewSeconds;
        }

        public Context heartbeatIntervalMs(final int heartbeatIntervalMs)
        {
            this.heartbeatIntervalMs = heartbeatIntervalMs;
            return this;
        }

        public int heartbeatIntervalMs()
        {
            return heartbeatIntervalMs;
        }

        public Context idleTimeoutMs(final int idleTimeoutMs)
        {
            this.idleTimeoutMs = idleTimeoutMs;
            return this;
        }

        public int idleTimeoutMs()
        {
            return idleTimeoutMs;
        }

        /**
         * @param parkIdleMs a logged-in plaintext epoll session silent for this long parks: it gives up its channel
         *                   and keeps its socket and state until read from or written to; 0 = never (so does
         *                   a value at or above {@code idleTimeoutMs}).
         */
        public Context parkIdleMs(final int parkIdleMs)
        {
            this.parkIdleMs = parkIdleMs;
            return this;
        }

        public int parkIdleMs()
        {
            return parkIdleMs;
        }

        public Context loginTimeoutMs(final int loginTimeoutMs)
        {
            this.loginTimeoutMs = loginTimeoutMs;
            return this;
        }

        public int loginTimeoutMs()
        {
            return loginTimeoutMs;
        }

        public Context maxFrameLengthBytes(final int maxFrameLengthBytes)
        {
            this.maxFrameLengthBytes = maxFrameLengthBytes;
            return this;
        }

        public int maxFrameLengthBytes()
        {
            return maxFrameLengthBytes;
        }

        public Context maxPreLoginFrameLengthBytes(final int maxPreLoginFrameLengthBytes)
        {
            this.maxPreLoginFrameLengthBytes = maxPreLoginFrameLengthBytes;
            return this;
        }

        public int maxPreLoginFrameLengthBytes()
        {
            return maxPreLoginFrameLengthBytes;
        }

        public Context maxInFlightSendsPerSession(final int maxInFlightSendsPerSession)
        {
            this.maxInFlightSendsPerSession = maxInFlightSendsPerSession;
            return this;
        }

        public int maxInFlightSendsPerSession()
        {
            return maxInFlightSendsPerSession;
        }

        public Context maxSyncLimit(final int maxSyncLimit)
        {
            this.maxSyncLimit = maxSyncLimit;
            return this;
        }

        public int maxSyncLimit()
        {
            return maxSyncLimit;
        }

        public Context maxSyncResultBytes(final int maxSyncResultBytes)
        {
            this.maxSyncResultBytes = maxSyncResultBytes;
            return this;
        }

        public int maxSyncResultBytes()
        {
            return maxSyncResultBytes;
        }

        public Context syncThreads(final int syncThreads)
        {
            this.syncThreads = syncThreads;
            return this;
        }

        public int syncThreads()
        {
            return syncThreads;
        }

        public Context syncQueueCapacity(final int syncQueueCapacity)
        {
            this.syncQueueCapacity = syncQueueCapacity;
            return this;
        }

        public int syncQueueCapacity()
        {
            return syncQueueCapacity;
        }

        /**
         * @param ringSize slots in the Disruptor ring, a power of two.
         */
        public Context ringSize(final int ringSize)
        {
            this.ringSize = ringSize;
            return this;
        }

        public int ringSize()
        {
            return ringSize;
        }

        /**
         * @param journalShards journal threads, each with its own ring, dispatcher and RocksDB write
         *                      batch; users are hashed to them. More than one pays off only with
         *                      cores to spare: a send between users of two shards costs a second write.
         */
        public Context journalShards(final int journalShards)
        {
            this.journalShards = journalShards;
            return this;
        }

        public int journalShards()
        {
            return journalShards;
        }

        /**
         * @param ringThreads {@link RingThreads#TWO_THREADS}: the journal and the dispatcher of each shard on threads
         *                    of their own; {@link RingThreads#ONE_THREAD}: one thread runs both, the dispatcher after
         *                    each journal batch's write (no hand-off and no wake-up between them).
         */
        public Context ringThreads(final RingThreads ringThreads)
        {
            this.ringThreadsPerShard = ringThreads.threadsPerShard();
            return this;
        }

        /**
         * @return the threading mode of each shard's ring, from {@link #ringThreadsPerShard()}.
         * @throws ConfigurationException when the number of threads is not one of a mode's.
         */
        public RingThreads ringThreads()
        {
            try
            {
                return RingThreads.ofThreadsPerShard(ringThreadsPerShard);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ConfigurationException(Setting.RING_THREADS_PER_SHARD, ex.getMessage());
            }
        }

        /**
         * The config file's and command line's spelling of {@link #ringThreads(RingThreads)}.
         *
         * @param ringThreadsPerShard 2: {@link RingThreads#TWO_THREADS}; 1: {@link RingThreads#ONE_THREAD}.
         */
        public Context ringThreadsPerShard(final int ringThreadsPerShard)
        {
            this.ringThreadsPerShard = ringThreadsPerShard;
            return this;
        }

        public int ringThreadsPerShard()
        {
            return ringThreadsPerShard;
        }

        public Context busyRetryAfterMs(final int busyRetryAfterMs)
        {
            this.busyRetryAfterMs = busyRetryAfterMs;
            return this;
        }

        public int busyRetryAfterMs()
        {
            return busyRetryAfterMs;
        }

        public Context writeBufferWaterMarks(final int lowBytes, final int highBytes)
        {
            this.writeBufferLowWaterMarkBytes = lowBytes;
            this.writeBufferHighWaterMarkBytes = highBytes;
            return this;
        }

        public int writeBufferLowWaterMarkBytes()
        {
            return writeBufferLowWaterMarkBytes;
        }

        public int writeBufferHighWaterMarkBytes()
        {
            return writeBufferHighWaterMarkBytes;
        }

        public Context goAwayMaxReconnectDelayMs(final int goAwayMaxReconnectDelayMs)
        {
            this.goAwayMaxReconnectDelayMs = goAwayMaxReconnectDelayMs;
            return this;
        }

        public int goAwayMaxReconnectDelayMs()
        {
            return goAwayMaxReconnectDelayMs;
        }

        /**
         * @param movedRetryAfterMs the {@code retry_after_ms} of a {@code MOVED} login answer that names no node
         *                          (no node serves the user yet); one that names a node carries 0.
         */
        public Context movedRetryAfterMs(final int movedRetryAfterMs)
        {
            this.movedRetryAfterMs = movedRetryAfterMs;
            return this;
        }

        public int movedRetryAfterMs()
        {
            return movedRetryAfterMs;
        }

        public Context drainTimeoutMs(final long drainTimeoutMs)
        {
            this.drainTimeoutMs = drainTimeoutMs;
            return this;
        }

        public long drainTimeoutMs()
        {
            return drainTimeoutMs;
        }

        /**
         * @param ioThreads Netty event loops for sessions; 0 for one per core.
         */
        public Context ioThreads(final int ioThreads)
        {
            this.ioThreads = ioThreads;
            return this;
        }

        public int ioThreads()
        {
            return ioThreads;
        }

        /**
         * @param transport {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}.
         */
        public Context transport(final String transport)
        {
            this.transport = transport;
            return this;
        }

        public String transport()
        {
            return transport;
        }

        public Context blockCacheBytes(final long blockCacheBytes)
        {
            this.blockCacheBytes = blockCacheBytes;
            return this;
        }

        public long blockCacheBytes()
        {
            return blockCacheBytes;
        }

        public Context writeBufferBytes(final long writeBufferBytes)
        {
            this.writeBufferBytes = writeBufferBytes;
            return this;
        }

        public long writeBufferBytes()
        {
            return writeBufferBytes;
        }

        /** See {@link StoreConfig#hashMemtable(boolean)}. */
        public Context hashMemtable(final boolean hashMemtable)
        {
            this.hashMemtable = hashMemtable;
            return this;
        }

        public boolean hashMemtable()
        {
            return hashMemtable;
        }

        /** See {@link StoreConfig#logSegmentBytes(long)}. */
        public Context logSegmentBytes(final long logSegmentBytes)
        {
            this.logSegmentBytes = logSegmentBytes;
            return this;
        }

        public long logSegmentBytes()
        {
            return logSegmentBytes;
        }

        /** See {@link StoreConfig#logCheckpointBytes(long)}. */
        public Context logCheckpointBytes(final long logCheckpointBytes)
        {
            this.logCheckpointBytes = logCheckpointBytes;
            return this;
        }

        public long logCheckpointBytes()
        {
            return logCheckpointBytes;
        }

        /** See {@link StoreConfig#logCheckpointIntervalMs(long)}. */
        public Context logCheckpointIntervalMs(final long logCheckpointIntervalMs)
        {
            this.logCheckpointIntervalMs = logCheckpointIntervalMs;
            return this;
        }

        public long logCheckpointIntervalMs()
        {
            return logCheckpointIntervalMs;
        }

        /** See {@link StoreConfig#indexWaitMs(long)}. */
        public Context indexWaitMs(final long indexWaitMs)
        {
            this.indexWaitMs = indexWaitMs;
            return this;
        }

        public long indexWaitMs()
        {
            return indexWaitMs;
        }

        /**
         * Turns TLS on for every client port.
         *
         * @param certFile PEM certificate chain, leaf first; null turns TLS off.
         * @param keyFile  PEM PKCS#8 private key, not encrypted.
         */
        public Context tls(final Path certFile, final Path keyFile)
        {
            this.tlsCertFile = certFile;
            this.tlsKeyFile = keyFile;
            return this;
        }

        public Path tlsCertFile()
        {
            return tlsCertFile;
        }

        public Path tlsKeyFile()
        {
            return tlsKeyFile;
        }

        /**
         * @param tlsProvider {@code auto} (BoringSSL when its native library loads, else the JDK),
         *                    {@code openssl} or {@code jdk}.
         */
        public Context tlsProvider(final String tlsProvider)
        {
            this.tlsProvider = tlsProvider;
            return this;
        }

        public String tlsProvider()
        {
            return tlsProvider;
        }

        /**
         * @param tlsReloadIntervalMs how often the certificate and key files are checked for a change;
         *                            0 never reloads.
         */
        public Context tlsReloadIntervalMs(final long tlsReloadIntervalMs)
        {
            this.tlsReloadIntervalMs = tlsReloadIntervalMs;
            return this;
        }

        public long tlsReloadIntervalMs()
        {
            return tlsReloadIntervalMs;
        }

        /**
         * @param proxyPort a second client port where every connection starts with a PROXY protocol v1
         *                  or v2 header (for a load balancer); -1 for none, 0 picks a free one.
         */
        public Context proxyPort(final int proxyPort)
        {
            this.proxyPort = proxyPort;
            return this;
        }

        public int proxyPort()
        {
            return proxyPort;
        }

        /**
         * @param proxyAllowedSources the load balancers allowed to connect to the PROXY port, as IPv4 and IPv6
         *                            ranges in CIDR notation separated by commas ({@code 198.51.100.0/24,2001:db8::7});
         *                            a connection from any other peer is closed before its header is read.
         */
        public Context proxyAllowedSources(final String proxyAllowedSources)
        {
            this.proxyAllowedSources = proxyAllowedSources;
            return this;
        }

        public String proxyAllowedSources()
        {
            return proxyAllowedSources;
        }

        /**
         * @return {@link #proxyAllowedSources()} parsed; set by {@link #conclude()}.
         */
        public AddressRanges proxyAllowedSourceRanges()
        {
            return proxyAllowedSourceRanges;
        }

        /**
         * Also accepts sessions of a further transport ({@link LocalTransport}: the test kit's in-JVM one), through
         * the same pipeline and handlers as the TCP port. For measurement (per-session memory at a million sessions
         * without a million sockets) and embedding tests; null (the default) for none.
         */
        public Context localTransport(final LocalTransport localTransport)
        {
            this.localTransport = localTransport;
            return this;
        }

        public LocalTransport localTransport()
        {
            return localTransport;
        }

        /**
         * Cluster mode: which node serves each user. A login of a user served elsewhere is answered
         * {@code Error{code: MOVED, address}} and closed; {@link XinSwitch#moveOut(int)} sends the devices of a
         * shard's users away once the placement says they are served elsewhere. Null (the default): this switch
         * serves every user, as a single node.
         */
        public Context placement(final Placement placement)
        {
            this.placement = placement;
            return this;
        }

        public Placement placement()
        {
            return placement;
        }

        /**
         * @param maxSendsPerSecondPerSession sustained sends per second of one session; 0 = no limit.
         * @param sendBurstPerSession         sends at once from a full bucket, at least 1.
         */
        public Context sendRateLimit(final int maxSendsPerSecondPerSession, final int sendBurstPerSession)
        {
            this.maxSendsPerSecondPerSession = maxSendsPerSecondPerSession;
            this.sendBurstPerSession = sendBurstPerSession;
            return this;
        }

        public int maxSendsPerSecondPerSession()
        {
            return maxSendsPerSecondPerSession;
        }

        public int sendBurstPerSession()
        {
            return sendBurstPerSession;
        }

        /**
         * @param maxRateLimitedSendsPerSession sends refused for rate in a row before the session is closed.
         */
        public Context maxRateLimitedSendsPerSession(final int maxRateLimitedSendsPerSession)
        {
            this.maxRateLimitedSendsPerSession = maxRateLimitedSendsPerSession;
            return this;
        }

        public int maxRateLimitedSendsPerSession()
        {
            return maxRateLimitedSendsPerSession;
        }

        /**
         * @param maxConnections open connections in the whole switch; more are refused at accept.
         */
        public Context maxConnections(final int maxConnections)
        {
            this.maxConnections = maxConnections;
            return this;
        }

        public int maxConnections()
        {
            return maxConnections;
        }

        public Context maxConnectionsPerAddress(final int maxConnectionsPerAddress)
        {
            this.maxConnectionsPerAddress = maxConnectionsPerAddress;
            return this;
        }

        public int maxConnectionsPerAddress()
        {
            return maxConnectionsPerAddress;
        }

        /**
         * @param maxNewConnectionsPerAddressPerSecond new connections per second from one address
         *                                             (bursts of twice that); 0 = no limit.
         */
        public Context maxNewConnectionsPerAddressPerSecond(final int maxNewConnectionsPerAddressPerSecond)
        {
            this.maxNewConnectionsPerAddressPerSecond = maxNewConnectionsPerAddressPerSecond;
            return this;
        }

        public int maxNewConnectionsPerAddressPerSecond()
        {
            return maxNewConnectionsPerAddressPerSecond;
        }

        /**
         * @param maxLoginFailuresPerAddressPerMinute failed logins per minute from one address before
         *                                            its new connections are refused; 0 = no limit.
         */
        public Context maxLoginFailuresPerAddressPerMinute(final int maxLoginFailuresPerAddressPerMinute)
        {
            this.maxLoginFailuresPerAddressPerMinute = maxLoginFailuresPerAddressPerMinute;
            return this;
        }

        public int maxLoginFailuresPerAddressPerMinute()
        {
            return maxLoginFailuresPerAddressPerMinute;
        }

        /**
         * @param maxLoginsPerDevicePerMinute logins of one (user, device_id) per minute before the device
         *                                    is banned for {@link #deviceBanMs(long)}; 0 = no limit.
         */
        public Context maxLoginsPerDevicePerMinute(final int maxLoginsPerDevicePerMinute)
        {
            this.maxLoginsPerDevicePerMinute = maxLoginsPerDevicePerMinute;
            return this;
        }

        public int maxLoginsPerDevicePerMinute()
        {
            return maxLoginsPerDevicePerMinute;
        }

        public Context deviceBanMs(final long deviceBanMs)
        {
            this.deviceBanMs = deviceBanMs;
            return this;
        }

        public long deviceBanMs()
        {
            return deviceBanMs;
        }

        /**
         * @param maxGuardRecords addresses, and devices, the abuse guards remember at most.
         */
        public Context maxGuardRecords(final int maxGuardRecords)
        {
            this.maxGuardRecords = maxGuardRecords;
            return this;
        }

        public int maxGuardRecords()
        {
            return maxGuardRecords;
        }

        /**
         * @param maxGroupMembers members a group may hold, at least 2; more are refused with GROUP_FULL.
         */
        public Context maxGroupMembers(final int maxGroupMembers)
        {
            this.maxGroupMembers = maxGroupMembers;
            return this;
        }

        public int maxGroupMembers()
        {
            return maxGroupMembers;
        }

        /**
         * @param maxChannelPublishers publishers a channel may have, at least 1 (its owner).
         */
        public Context maxChannelPublishers(final int maxChannelPublishers)
        {
            this.maxChannelPublishers = maxChannelPublishers;
            return this;
        }

        public int maxChannelPublishers()
        {
            return maxChannelPublishers;
        }

        /**
         * How fast new channel posts are pushed to online followers.
         *
         * @param channelPushesPerSecond pushes per second over all channels, at least 1.
         * @param channelPushChunk       followers handed to the event loops per pacer step, at least 1.
         */
        public Context channelPushPace(final int channelPushesPerSecond, final int channelPushChunk)
        {
            this.channelPushesPerSecond = channelPushesPerSecond;
            this.channelPushChunk = channelPushChunk;
            return this;
        }

        public int channelPushesPerSecond()
        {
            return channelPushesPerSecond;
        }

        public int channelPushChunk()
        {
            return channelPushChunk;
        }

        /**
         * Turns media on: upload tickets, media references checked and stamped, download URLs. The embedder opens the
         * store with {@link #mediaLimits()} and keeps it open until after {@link XinSwitch#close()}, and runs the
         * media HTTP server with {@code keys.signedUrls(...)} at {@link #mediaPublicUrl()}. Null (the default): media
         * off; upload tickets and download URLs are refused with NOT_ALLOWED and media references are stored as sent.
         *
         * @param store the media store, or null.
         * @param keys  the keys of URLs and access tokens; required with a store.
         */
        public Context media(final MediaStore store, final MediaKeys keys)
        {
            this.mediaStore = store;
            this.mediaKeys = keys;
            return this;
        }

        public MediaStore mediaStore()
        {
            return mediaStore;
        }

        public MediaKeys mediaKeys()
        {
            return mediaKeys;
        }

        /**
         * @param mediaPublicUrl the media HTTP server's base URL as clients reach it, such as
         *                       {@code https://media.example.com}; required when media is on.
         */
        public Context mediaPublicUrl(final String mediaPublicUrl)
        {
            this.mediaPublicUrl = mediaPublicUrl;
            return this;
        }

        public String mediaPublicUrl()
        {
            return mediaPublicUrl;
        }

        /**
         * @param mediaQuotaBytes bytes one user may hold (blobs and uploads in progress); 0 = no quota.
         */
        public Context mediaQuotaBytes(final long mediaQuotaBytes)
        {
            this.mediaQuotaBytes = mediaQuotaBytes;
            return this;
        }

        public long mediaQuotaBytes()
        {
            return mediaQuotaBytes;
        }

        public Context mediaMaxImageBytes(final long mediaMaxImageBytes)
        {
            this.mediaMaxImageBytes = mediaMaxImageBytes;
            return this;
        }

        public long mediaMaxImageBytes()
        {
            return mediaMaxImageBytes;
        }

        public Context mediaMaxVideoBytes(final long mediaMaxVideoBytes)
        {
            this.mediaMaxVideoBytes = mediaMaxVideoBytes;
            return this;
        }

        public long mediaMaxVideoBytes()
        {
            return mediaMaxVideoBytes;
        }

        public Context mediaMaxAudioBytes(final long mediaMaxAudioBytes)
        {
            this.mediaMaxAudioBytes = mediaMaxAudioBytes;
            return this;
        }

        public long mediaMaxAudioBytes()
        {
            return mediaMaxAudioBytes;
        }

        public Context mediaMaxOtherBytes(final long mediaMaxOtherBytes)
        {
            this.mediaMaxOtherBytes = mediaMaxOtherBytes;
            return this;
        }

        public long mediaMaxOtherBytes()
        {
            return mediaMaxOtherBytes;
        }

        public Context mediaMaxUploadsPerUser(final int mediaMaxUploadsPerUser)
        {
            this.mediaMaxUploadsPerUser = mediaMaxUploadsPerUser;
            return this;
        }

        public int mediaMaxUploadsPerUser()
        {
            return mediaMaxUploadsPerUser;
        }

        /**
         * @param mediaUploadLifetimeSeconds how long an upload may take; also how long a blob outlives the retention
         *                                   of its last message.
         */
        public Context mediaUploadLifetimeSeconds(final long mediaUploadLifetimeSeconds)
        {
            this.mediaUploadLifetimeSeconds = mediaUploadLifetimeSeconds;
            return this;
        }

        public long mediaUploadLifetimeSeconds()
        {
            return mediaUploadLifetimeSeconds;
        }

        public Context mediaMaxChunkBytes(final int mediaMaxChunkBytes)
        {
            this.mediaMaxChunkBytes = mediaMaxChunkBytes;
            return this;
        }

        public int mediaMaxChunkBytes()
        {
            return mediaMaxChunkBytes;
        }

        /**
         * @param mediaS3DirectUploads whether upload tickets send the bytes straight to the object store; the
         *                             media store must sign such uploads ({@link MediaStore#signsDirectUploads()}).
         * @return this context.
         */
        public Context mediaS3DirectUploads(final boolean mediaS3DirectUploads)
        {
            this.mediaS3DirectUploads = mediaS3DirectUploads;
            return this;
        }

        public boolean mediaS3DirectUploads()
        {
            return mediaS3DirectUploads;
        }

        /**
         * @return the limits the media settings give, for the store ({@code LocalMediaStore.open}) and the switch.
         */
        public MediaLimits mediaLimits()
        {
            return new MediaLimits(mediaMaxImageBytes, mediaMaxVideoBytes, mediaMaxAudioBytes, mediaMaxOtherBytes,
                mediaMaxUploadsPerUser, Duration.ofSeconds(mediaUploadLifetimeSeconds));
        }

        /**
         * @param discoveryKeyFile the PRF keys of contact discovery (see {@code KeyRing}); null (the default) turns
         *                         discovery off.
         */
        public Context discoveryKeyFile(final Path discoveryKeyFile)
        {
            this.discoveryKeyFile = discoveryKeyFile;
            return this;
        }

        public Path discoveryKeyFile()
        {
            return discoveryKeyFile;
        }

        /**
         * @param discoveryRegistrationKeyFile the secret of the number-verifying service's registration proofs (see
         *                                     {@code RegistrationProofs}); null (the default) takes a registration
         *                                     on the client's word.
         */
        public Context discoveryRegistrationKeyFile(final Path discoveryRegistrationKeyFile)
        {
            this.discoveryRegistrationKeyFile = discoveryRegistrationKeyFile;
            return this;
        }

        public Path discoveryRegistrationKeyFile()
        {
            return discoveryRegistrationKeyFile;
        }

        /**
         * @param discoveryBucketCapacity PRF evaluations one account may make at once.
         */
        public Context discoveryBucketCapacity(final int discoveryBucketCapacity)
        {
            this.discoveryBucketCapacity = discoveryBucketCapacity;
            return this;
        }

        public int discoveryBucketCapacity()
        {
            return discoveryBucketCapacity;
        }

        public Context discoveryRefillPerHour(final int discoveryRefillPerHour)
        {
            this.discoveryRefillPerHour = discoveryRefillPerHour;
            return this;
        }

        public int discoveryRefillPerHour()
        {
            return discoveryRefillPerHour;
        }

        /**
         * @param discoveryDeviceBucketCapacity PRF evaluations one device of an account may make at once.
         */
        public Context discoveryDeviceBucketCapacity(final int discoveryDeviceBucketCapacity)
        {
            this.discoveryDeviceBucketCapacity = discoveryDeviceBucketCapacity;
            return this;
        }

        public int discoveryDeviceBucketCapacity()
        {
            return discoveryDeviceBucketCapacity;
        }

        public Context discoveryDeviceRefillPerHour(final int discoveryDeviceRefillPerHour)
        {
            this.discoveryDeviceRefillPerHour = discoveryDeviceRefillPerHour;
            return this;
        }

        public int discoveryDeviceRefillPerHour()
        {
            return discoveryDeviceRefillPerHour;
        }

        public Context discoveryMaxElementsPerRequest(final int discoveryMaxElementsPerRequest)
        {
            this.discoveryMaxElementsPerRequest = discoveryMaxElementsPerRequest;
            return this;
        }

        public int discoveryMaxElementsPerRequest()
        {
            return discoveryMaxElementsPerRequest;
        }

        public Context discoveryThreads(final int discoveryThreads)
        {
            this.discoveryThreads = discoveryThreads;
            return this;
        }

        public int discoveryThreads()
        {
            return discoveryThreads;
        }

        /**
         * @param strangersAllowedByDefault whether a user who never set its privacy takes 1:1 messages and group adds
         *                                  from users who are not its friends (false: friends only). Blocks hold
         *                                  either way.
         */
        public Context strangersAllowedByDefault(final boolean strangersAllowedByDefault)
        {
            this.strangersAllowedByDefault = strangersAllowedByDefault;
            return this;
        }

        @Override
        public boolean strangersAllowedByDefault()
        {
            return strangersAllowedByDefault;
        }

        /**
         * @param presencePushIntervalMs at most one PresenceUpdate per session this often, ms; 0 pushes every change
         *                               at once.
         */
        public Context presencePushIntervalMs(final int presencePushIntervalMs)
        {
            this.presencePushIntervalMs = presencePushIntervalMs;
            return this;
        }

        public int presencePushIntervalMs()
        {
            return presencePushIntervalMs;
        }

        /**
         * @param friendRequestBurst new friend requests a user may send at once; the bucket refills at
         *                           {@link #friendRequestsPerHour(int)}.
         */
        public Context friendRequestBurst(final int friendRequestBurst)
        {
            this.friendRequestBurst = friendRequestBurst;
            return this;
        }

        public int friendRequestBurst()
        {
            return friendRequestBurst;
        }

        /**
         * @param friendRequestsPerHour how many new friend requests a user's budget regains an hour.
         */
        public Context friendRequestsPerHour(final int friendRequestsPerHour)
        {
            this.friendRequestsPerHour = friendRequestsPerHour;
            return this;
        }

        public int friendRequestsPerHour()
        {
            return friendRequestsPerHour;
        }

        /**
         * @param maxPendingFriendRequests friend requests a user may have waiting for its answer; a request beyond them
         *                                 is dropped as one from a user it blocked would be.
         */
        public Context maxPendingFriendRequests(final int maxPendingFriendRequests)
        {
            this.maxPendingFriendRequests = maxPendingFriendRequests;
            return this;
        }

        public int maxPendingFriendRequests()
        {
            return maxPendingFriendRequests;
        }

        /**
         * @param friendListPageEntries most entries in one FRIEND_LIST answer.
         */
        public Context friendListPageEntries(final int friendListPageEntries)
        {
            this.friendListPageEntries = friendListPageEntries;
            return this;
        }

        @Override
        public int friendListPageEntries()
        {
            return friendListPageEntries;
        }

        /**
         * @param nearbyCellResolution H3 resolution of the cell kept for a reported location, 7..10.
         */
        public Context nearbyCellResolution(final int nearbyCellResolution)
        {
            this.nearbyCellResolution = nearbyCellResolution;
            return this;
        }

        public int nearbyCellResolution()
        {
            return nearbyCellResolution;
        }

        /**
         * @param nearbyExpirySeconds how long a reported location lives.
         */
        public Context nearbyExpirySeconds(final long nearbyExpirySeconds)
        {
            this.nearbyExpirySeconds = nearbyExpirySeconds;
            return this;
        }

        public long nearbyExpirySeconds()
        {
            return nearbyExpirySeconds;
        }

        /**
         * @param nearbyMaxSpeedKmh a report farther from the last one than this speed allows is refused.
         */
        public Context nearbyMaxSpeedKmh(final int nearbyMaxSpeedKmh)
        {
            this.nearbyMaxSpeedKmh = nearbyMaxSpeedKmh;
            return this;
        }

        public int nearbyMaxSpeedKmh()
        {
            return nearbyMaxSpeedKmh;
        }

        /**
         * Per-user rate limits of people nearby.
         *
         * @param nearbyReportsPerMinute location reports and leaves per user per minute; 0 = no limit.
         * @param nearbyQueriesPerMinute nearby queries and shakes per user per minute; 0 = no limit.
         */
        public Context nearbyRateLimits(final int nearbyReportsPerMinute, final int nearbyQueriesPerMinute)
        {
            this.nearbyReportsPerMinute = nearbyReportsPerMinute;
            this.nearbyQueriesPerMinute = nearbyQueriesPerMinute;
            return this;
        }

        public int nearbyReportsPerMinute()
        {
            return nearbyReportsPerMinute;
        }

        public int nearbyQueriesPerMinute()
        {
            return nearbyQueriesPerMinute;
        }

        /**
         * @param nearbyPageLimit the largest page of a nearby query.
         */
        public Context nearbyPageLimit(final int nearbyPageLimit)
        {
            this.nearbyPageLimit = nearbyPageLimit;
            return this;
        }

        public int nearbyPageLimit()
        {
            return nearbyPageLimit;
        }

        /**
         * Which shakes pair.
         *
         * @param shakeWindowMs      shakes this close in time pair.
         * @param shakeMaxDistanceM  and, when both give a location, when their cells are this close; 0 = anywhere.
         */
        public Context shake(final long shakeWindowMs, final int shakeMaxDistanceM)
        {
            this.shakeWindowMs = shakeWindowMs;
            this.shakeMaxDistanceM = shakeMaxDistanceM;
            return this;
        }

        public long shakeWindowMs()
        {
            return shakeWindowMs;
        }

        public int shakeMaxDistanceM()
        {
            return shakeMaxDistanceM;
        }

        /** People nearby and shake as the nearby thread takes them. */
        NearbyConfig nearbyConfig()
        {
            return new NearbyConfig(nearbyCellResolution, nearbyExpirySeconds, nearbyMaxSpeedKmh,
                nearbyReportsPerMinute, nearbyQueriesPerMinute, nearbyPageLimit, shakeWindowMs, shakeMaxDistanceM,
                NearbyConfig.DEFAULT_QUEUE_CAPACITY, busyRetryAfterMs);
        }

        /**
         * Who blocked whom, for people nearby (blocked users are left out both ways) and shake (never paired): a hook
         * for tests and embedders with blocks of their own. Called on the nearby thread; must not wait.
         *
         * @param blockCheck the check; null (the default) reads the store's friends and blocks rows.
         */
        public Context blockCheck(final BlockCheck blockCheck)
        {
            this.blockCheck = blockCheck;
            return this;
        }

        public BlockCheck blockCheck()
        {
            return blockCheck;
        }

        /**
         * @param clock epoch milliseconds; tests may supply their own.
         */
        public Context clock(final LongSupplier clock)
        {
            this.clock = clock;
            return this;
        }

        public LongSupplier clock()
        {
            return clock;
        }

        /**
         * Replaces how the journal writes a batch, for fault-injection tests; the default writes
         * to the store.
         */
        public Context journalWriter(final Function<XinStore, JournalWriter> journalWriter)
        {
            this.journalWriter = journalWriter;
            return this;
        }

        public Function<XinStore, JournalWriter> journalWriter()
        {
            return journalWriter;
        }

        /**
         * Cluster mode: the journal shards' logs are replicated outside the switch (Kafka partitions), and this says
         * which shards the node owns and appends for them. Null (the default): the store's own logs, every shard
         * owned. Set {@link #journalShards(int)} to the partition count with it.
         */
        public Context replicatedShards(final ReplicatedShards replicatedShards)
        {
            this.replicatedShards = replicatedShards;
            return this;
        }

        public ReplicatedShards replicatedShards()
        {
            return replicatedShards;
        }

        /**
         * Cluster mode: the feed through which nodes share their users' presence, the discovery directory and the
         * events of people nearby and shake. Null (the default): presence reaches friends on this node only, and a
         * node of a cluster refuses discovery, people nearby and shake.
         */
        public Context socialFeed(final SocialFeed socialFeed)
        {
            this.socialFeed = socialFeed;
            return this;
        }

        public SocialFeed socialFeed()
        {
            return socialFeed;
        }

        StoreConfig storeConfig()
        {
            return new StoreConfig()
                .replicatedLogs(replicatedShards != null)
                .dataDir(dataDir)
                .fsyncPolicy(fsyncPolicy)
                .retentionSeconds(retentionSeconds)
                .dedupeRetentionSeconds(dedupeRetentionSeconds)
                .blockCacheBytes(blockCacheBytes)
                .writeBufferBytes(writeBufferBytes)
                .hashMemtable(hashMemtable)
                .logSegmentBytes(logSegmentBytes)
                .logCheckpointBytes(logCheckpointBytes)
                .logCheckpointIntervalMs(logCheckpointIntervalMs)
                .indexWaitMs(indexWaitMs);
        }

        /**
         * Validates every setting: each against its range in {@link Setting}, then the rules that relate two
         * settings; derives {@link #proxyAllowedSourceRanges()}.
         *
         * @throws ConfigurationException naming the first invalid setting.
         */
        public Context conclude()
        {
            Setting.checkRanges(this);
            concludeNetwork();
            concludeLogin();
            concludeLimits();
            concludeJournal();
            concludeDiscovery();
            // The hooks are not settings: a bad one is the embedding program's mistake.
            if (clock == null || journalWriter == null)
            {
                throw new IllegalArgumentException("clock and journalWriter must be set");
            }
            require(logCheckpointBytes >= logSegmentBytes, Setting.LOG_CHECKPOINT_BYTES,
                "logCheckpointBytes must be at least logSegmentBytes");
            concludeMedia();
            storeConfig().validate();
            return this;
        }

        private void concludeNetwork()
        {
            require(writeBufferHighWaterMarkBytes >= writeBufferLowWaterMarkBytes,
                Setting.WRITE_BUFFER_HIGH_WATER_MARK_BYTES,
                "writeBufferLowWaterMarkBytes and writeBufferHighWaterMarkBytes must be 0 < low <= high");
            require((tlsCertFile == null) == (tlsKeyFile == null), tlsCertFile == null ? Setting.TLS_CERT : Setting.TLS_KEY,
                "tlsCertFile and tlsKeyFile must be set together");
            if (tlsCertFile != null)
            {
                require(java.nio.file.Files.isReadable(tlsCertFile), Setting.TLS_CERT,
                    "tlsCertFile is not a readable file: " + tlsCertFile);
                require(java.nio.file.Files.isReadable(tlsKeyFile), Setting.TLS_KEY,
                    "tlsKeyFile is not a readable file: " + tlsKeyFile);
            }
            require(proxyPort <= 0 || proxyPort != port, Setting.PROXY_PORT, "proxyPort must differ from port: " + proxyPort);
            try
            {
                proxyAllowedSourceRanges = AddressRanges.parse(proxyAllowedSources);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ConfigurationException(Setting.PROXY_ALLOWED_SOURCES, "proxyAllowedSources must be IPv4 or " +
                    "IPv6 ranges in CIDR notation (e.g. 198.51.100.0/24,2001:db8::/32): " + ex.getMessage());
            }
        }

        private void concludeLogin()
        {
            require(jwtSecret != null || jwtPublicKey != null, Setting.JWT_SECRET, "jwtSecret or jwtPublicKey must be set");
            if (jwtSecret != null)
            {
                require(jwtSecretBytes().length >= 32, Setting.JWT_SECRET,
                    "jwtSecret must be at least 32 bytes (HS256 needs 256 bits)");
            }
            if (jwtPublicKey != null)
            {
                final String algorithm = jwtPublicKey.getAlgorithm();
                require("EC".equals(algorithm) || "EdDSA".equals(algorithm) || "Ed25519".equals(algorithm),
                    Setting.JWT_PUBLIC_KEY, "jwtPublicKey must be an EC (ES256) or Ed25519 (EdDSA) key, not " + algorithm);
                require(!(jwtPublicKey instanceof java.security.interfaces.ECPublicKey ec) ||
                    ec.getParams().getCurve().getField().getFieldSize() == 256,
                    Setting.JWT_PUBLIC_KEY, "jwtPublicKey must be on the P-256 curve for ES256");
            }
        }

        private void concludeLimits()
        {
            require(maxPreLoginFrameLengthBytes <= maxFrameLengthBytes, Setting.MAX_PRE_LOGIN_FRAME_LENGTH_BYTES,
                "maxPreLoginFrameLengthBytes must be 64..maxFrameLengthBytes: " + maxPreLoginFrameLengthBytes);
            require(maxSyncResultBytes >= maxFrameLengthBytes, Setting.MAX_SYNC_RESULT_BYTES,
                "maxSyncResultBytes must be at least maxFrameLengthBytes: " + maxSyncResultBytes);
        }

        private void concludeJournal()
        {
            // A head may wait in memory only while the inbox entries that stand for it cannot expire.
            require(retentionSeconds == 0 || headWriteIntervalMs <= retentionSeconds * 500, Setting.HEAD_WRITE_INTERVAL_MS,
                "headWriteIntervalMs must be 0..retentionSeconds * 1000 / 2 = " + retentionSeconds * 500 + ": " +
                headWriteIntervalMs);
        }

        private void concludeMedia()
        {
            if (mediaStore == null)
            {
                return;
            }
            if (mediaKeys == null)
            {
                throw new IllegalArgumentException("media needs its keys as well as its store");
            }
            require(mediaPublicUrl != null && !mediaPublicUrl.isBlank(), Setting.MEDIA_PUBLIC_URL,
                "mediaPublicUrl must be set when media is on");
            require(!mediaS3DirectUploads || mediaStore.signsDirectUploads(), Setting.MEDIA_S3_DIRECT_UPLOADS,
                "media-s3-direct-uploads needs media-store=s3: the " + mediaStore.getClass().getSimpleName() +
                " cannot sign uploads straight to it");
            final java.net.URI uri;
            try
            {
                uri = new java.net.URI(mediaPublicUrl);
            }
            catch (final java.net.URISyntaxException ex)
            {
                throw new ConfigurationException(Setting.MEDIA_PUBLIC_URL, "mediaPublicUrl is not a URL: " +
                    ex.getMessage());
            }
            require(("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null &&
                uri.getQuery() == null && uri.getFragment() == null, Setting.MEDIA_PUBLIC_URL,
                "mediaPublicUrl must be an http or https URL without query or fragment: " + mediaPublicUrl);
        }

        /** Only a switch that serves discovery (a key file set) needs its settings to fit each other. */
        private void concludeDiscovery()
        {
            if (discoveryKeyFile == null)
            {
                return;
            }
            final int bucket = Math.min(discoveryBucketCapacity, discoveryDeviceBucketCapacity);
            require(discoveryMaxElementsPerRequest <= bucket, Setting.DISCOVERY_MAX_ELEMENTS_PER_REQUEST,
                "discoveryMaxElementsPerRequest must be at most both bucket capacities (" + bucket + "): " +
                discoveryMaxElementsPerRequest);
            // An EVALUATE and its answer: 2 + 33 bytes an element, and a few bytes of frame around them.
            final long requestBytes = 64L + 36L * discoveryMaxElementsPerRequest;
            require(requestBytes <= maxFrameLengthBytes, Setting.DISCOVERY_MAX_ELEMENTS_PER_REQUEST,
                "discoveryMaxElementsPerRequest makes frames of " + requestBytes + " bytes, over maxFrameLengthBytes " +
                maxFrameLengthBytes);
            require(java.nio.file.Files.isReadable(discoveryKeyFile), Setting.DISCOVERY_KEY_FILE,
                "discoveryKeyFile is not a readable file: " + discoveryKeyFile);
        }

        private static void require(final boolean condition, final Setting setting, final String message)
        {
            if (!condition)
            {
                throw new ConfigurationException(setting, message);
            }
        }

        @Override
        public String toString()
        {
            return Setting.describe(this) +
                " jwt=" + (jwtPublicKey != null ? jwtPublicKey.getAlgorithm() + " public key" : "HS256 secret") +
                (localTransport == null ? "" : " localTransport=" + localTransport.address());
        }
    }
}
