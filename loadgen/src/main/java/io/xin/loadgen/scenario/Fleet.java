package io.xin.loadgen.scenario;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The sessions of one load generator process: one real {@link XinClient} per user, all on one shared
 * event loop group (epoll when available), connections spread over the target's source addresses.
 * Messages reach the {@link Sink}; nothing here is per message.
 */
public final class Fleet implements AutoCloseable
{
    /** Logins in flight at once while connecting: enough to fill the pipes, few enough for the accept backlog. */
    static final int CONNECT_WINDOW = 256;

    private final Target target;
    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final String transportName;
    private final Session[] sessions;
    private volatile Sink sink = Sink.NONE;
    private volatile Sink postSink = Sink.NONE;

    /**
     * @param target    where to connect.
     * @param users     number of users (one session each), user indexes {@code 0..users-1}.
     * @param ioThreads event loop threads; 0 for one per core.
     */
    public Fleet(final Target target, final int users, final int ioThreads)
    {
        if (users < 1)
        {
            throw new IllegalArgumentException("users must be positive: " + users);
        }
        this.target = target;
        final int threads = ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
        final IoHandlerFactory ioHandlerFactory;
        if (Epoll.isAvailable())
        {
            ioHandlerFactory = EpollIoHandler.newFactory();
            channelType = EpollSocketChannel.class;
            transportName = "epoll";
        }
        else
        {
            ioHandlerFactory = NioIoHandler.newFactory();
            channelType = NioSocketChannel.class;
            transportName = "nio";
        }
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("xin-loadgen-io", true), ioHandlerFactory);
        sessions = new Session[users];
        for (int i = 0; i < users; i++)
        {
            sessions[i] = newSession(i, "loadgen-" + i);
        }
    }

    /**
     * @param sink receives every message every session gets, on the session's event loop.
     */
    public void sink(final Sink sink)
    {
        this.sink = sink;
    }

    /**
     * @param postSink receives every channel post every session gets, on the session's event loop.
     */
    public void postSink(final Sink postSink)
    {
        this.postSink = postSink;
    }

    public Target target()
    {
        return target;
    }

    public int size()
    {
        return sessions.length;
    }

    public Session session(final int userIndex)
    {
        return sessions[userIndex];
    }

    public String transportName()
    {
        return transportName;
    }

    /**
     * Connect and log in users {@code from..to-1}, at most {@link #CONNECT_WINDOW} logins in flight.
     *
     * @param from      first user index.
     * @param to        last user index plus one.
     * @param timeoutMs give up after this long.
     * @return logins that failed (their sessions stay disconnected).
     * @throws TimeoutException when the logins did not all finish in time.
     */
    public int connect(final int from, final int to, final long timeoutMs) throws InterruptedException, TimeoutException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final List<CompletableFuture<LoginOk>> window = new ArrayList<>(CONNECT_WINDOW);
        int failed = 0;
        for (int i = from; i < to; i++)
        {
            window.add(sessions[i].client.connect());
            if (window.size() == CONNECT_WINDOW || i == to - 1)
            {
                for (final CompletableFuture<LoginOk> login : window)
                {
                    try
                    {
                        login.get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
                    }
                    catch (final java.util.concurrent.ExecutionException ex)
                    {
                        failed++;
                    }
                }
                window.clear();
            }
        }
        return failed;
    }

    /**
     * Replace user {@code userIndex}'s client with a new one of the same device, not connected: the old
     * one is closed, so the server sees the session drop.
     *
     * @param userIndex user index.
     * @return the new session.
     */
    public Session replace(final int userIndex)
    {
        final Session old = sessions[userIndex];
        old.client.close();
        sessions[userIndex] = newSession(userIndex, old.deviceId);
        return sessions[userIndex];
    }

    /**
     * @return sessions logged in now.
     */
    public int loggedIn()
    {
        int count = 0;
        for (final Session session : sessions)
        {
            count += session.client.state() == XinClient.State.LOGGED_IN ? 1 : 0;
        }
        return count;
    }

    @Override
    public void close()
    {
        for (final Session session : sessions)
        {
            session.client.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
    }

    private Session newSession(final int userIndex, final String deviceId)
    {
        final long userId = target.userId(userIndex);
        final Session session = new Session(this, userIndex, userId, deviceId);
        final XinClient.Builder builder = XinClient.builder();
        if (target.seeds().isEmpty())
        {
            builder.host(target.host()).port(target.port());
        }
        else
        {
            // Each session starts at another seed, as a balancer would spread the first connections.
            final List<java.net.InetSocketAddress> seeds = new ArrayList<>(target.seeds());
            java.util.Collections.rotate(seeds, -(userIndex % seeds.size()));
            builder.addresses(seeds);
        }
        session.client = builder
            .sslContext(target.sslContext())
            .localAddress(target.sourceAddress(userIndex))
            .eventLoopGroup(group)
            .channelType(channelType)
            .tokenSupplier(() -> target.token(userId))
            .deviceId(deviceId)
            .reconnectInitialDelayMs(200)
            .reconnectMaxDelayMs(5_000)
            .connectTimeoutMs(30_000)
            .ackTimeoutMs(30_000)
            .clientVersion("xin-loadgen")
            // Every scenario ignores a session's own sends: no inbox message built from each SendAck.
            .passOwnSends(false)
            .listener(session)
            .build();
        return session;
    }

    void onMessage(final Session session, final Message message)
    {
        sink.onMessage(session, message);
    }

    void onChannelPost(final Session session, final Message post)
    {
        postSink.onMessage(session, post);
    }

    void onSendAck(final Session session, final SendAck ack)
    {
        sink.onSendAck(session, ack);
    }

    void onSendFailed(final Session session, final String clientMsgId, final XinClientException failure)
    {
        sink.onSendFailed(session, clientMsgId, failure);
    }

    void onGoAway(final Session session, final GoAway goAway)
    {
        sink.onGoAway(session, goAway);
    }

    void onConnectionLost(final Session session)
    {
        sink.onConnectionLost(session);
    }

    /**
     * Where the sessions' messages go.
     */
    public interface Sink
    {
        /** Ignores everything. */
        Sink NONE = (session, message) ->
        {
        };

        /**
         * @param session the receiving session.
         * @param message the message, on the session's event loop.
         */
        void onMessage(Session session, Message message);

        /**
         * @param session the sending session.
         * @param ack     the ack of a send made with {@link XinClient#sendTracked}, on the session's event loop.
         */
        default void onSendAck(final Session session, final SendAck ack)
        {
        }

        /**
         * @param session     the sending session.
         * @param clientMsgId the failed send's client_msg_id.
         * @param failure     why, on the session's event loop.
         */
        default void onSendFailed(final Session session, final String clientMsgId, final XinClientException failure)
        {
        }

        /**
         * @param session the session the target told to go away (it drains), on the session's event loop.
         * @param goAway  reason and reconnect delay.
         */
        default void onGoAway(final Session session, final GoAway goAway)
        {
        }

        /**
         * @param session the session whose logged-in connection closed (after a GoAway, or dropped), on the
         *                session's event loop; its client reconnects.
         */
        default void onConnectionLost(final Session session)
        {
        }
    }
}
