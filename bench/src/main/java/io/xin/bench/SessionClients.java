package io.xin.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.xin.core.net.SessionReceiveAllocator;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.Ping;

import java.net.SocketAddress;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * N idle sessions, as cheap as a client can be so that in-JVM runs charge little to the client side:
 * every handler is shared, the only per-session objects are the channel and its pipeline, and
 * heartbeats are one task that pings a slice of the channels every {@link #PING_TICK_MS}.
 * <p>
 * Logins go out in a bounded window so that a million of them do not queue at once.
 */
final class SessionClients implements AutoCloseable
{
    static final int PING_TICK_MS = 100;
    static final int MAX_FRAME_LENGTH_BYTES = 64 * 1024;
    private static final long TOKEN_TTL_S = 86_400;
    /** In-JVM clients share one receive allocator whose per-channel handle is one small object, as the switch's. */
    static final SessionReceiveAllocator RECEIVE_ALLOCATOR = new SessionReceiveAllocator();

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelClass;
    private final boolean streamTransport;
    private final Channel[] channels;
    private final Semaphore window;
    private final ClientHandler handler = new ClientHandler();
    final LongAdder loggedIn = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder pongs = new LongAdder();
    final LongAdder closed = new LongAdder();
    final AtomicReference<String> firstFailure = new AtomicReference<>();
    /** Written by the opening thread, read by the heartbeat task. */
    private volatile int opened;
    /** Owned by the heartbeat task. */
    private int nextPing;

    /**
     * @param streamTransport true for TCP (frames may be split or joined: a capped decoder per channel);
     *                        false for the in-JVM transport ({@code InJvmChannel}).
     */
    SessionClients(
        final EventLoopGroup group,
        final Class<? extends Channel> channelClass,
        final boolean streamTransport,
        final int sessions,
        final int window)
    {
        this.group = group;
        this.channelClass = channelClass;
        this.streamTransport = streamTransport;
        this.channels = new Channel[sessions];
        this.window = new Semaphore(window);
    }

    /**
     * Opens every session and logs it in as users {@code firstUserId ..}, one device each; returns once
     * every login is answered.
     *
     * @param stallTimeoutMs fail when no login is answered for this long.
     *
     * @param login false to connect only (the bare-channel control run).
     */
    void openAll(final SocketAddress server, final String secret, final long firstUserId, final boolean login,
        final long stallTimeoutMs) throws InterruptedException
    {
        final Hs256Tokens issuer = new Hs256Tokens(secret);
        final Bootstrap bootstrap = new Bootstrap().group(group)
            .channel(channelClass)
            .handler(new ChannelInitializer<>()
            {
                @Override
                protected void initChannel(final Channel channel)
                {
                    // A decoder per channel on both transports: an in-JVM buffer is not always one whole frame.
                    channel.pipeline().addLast("decoder", new FrameDecoder(MAX_FRAME_LENGTH_BYTES));
                    channel.pipeline().addLast("client", handler);
                }
            });
        if (streamTransport)
        {
            bootstrap.option(ChannelOption.TCP_NODELAY, true);
        }
        else
        {
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_ALLOCATOR);
        }
        for (int i = 0; i < channels.length; i++)
        {
            if (!window.tryAcquire(stallTimeoutMs, TimeUnit.MILLISECONDS))
            {
                throw stalled(stallTimeoutMs);
            }
            final Frame loginFrame = login ? Frame.newBuilder().setLogin(Login.newBuilder()
                .setRequestId(1)
                .setToken(issuer.issue(firstUserId + i, TOKEN_TTL_S))
                .setDeviceId("d")
                .setClientVersion("xin-bench")).build() : null;
            final int index = i;
            final ChannelFuture connect = bootstrap.connect(server);
            connect.addListener(f ->
            {
                if (!f.isSuccess())
                {
                    fail("connect failed: " + f.cause());
                    return;
                }
                channels[index] = connect.channel();
                if (loginFrame != null)
                {
                    connect.channel().writeAndFlush(loginFrame, connect.channel().voidPromise());
                }
                else
                {
                    loggedIn.increment();
                    window.release();
                }
            });
            opened = i + 1;
        }
        long answered = loggedIn.sum() + failed.sum();
        long progressNs = System.nanoTime();
        while (answered < channels.length)
        {
            Thread.sleep(20);
            final long now = loggedIn.sum() + failed.sum();
            if (now != answered)
            {
                answered = now;
                progressNs = System.nanoTime();
            }
            else if (System.nanoTime() - progressNs > TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs))
            {
                throw stalled(stallTimeoutMs);
            }
        }
    }

    private IllegalStateException stalled(final long stallTimeoutMs)
    {
        return new IllegalStateException("logins stalled (none answered for " + stallTimeoutMs + " ms): " +
            loggedIn.sum() + " of " + channels.length + " logged in, " + failed.sum() + " failed; first failure: " +
            firstFailure.get());
    }

    /**
     * Sends a Ping on each session once per {@code heartbeatIntervalMs}, spread evenly over the interval.
     * May start before {@link #openAll}: a channel is pinged only once its Login is written (both on the
     * channel's loop, the Login first), so a Ping never precedes the Login.
     */
    void startHeartbeats(final int heartbeatIntervalMs)
    {
        final int ticks = Math.max(1, heartbeatIntervalMs / PING_TICK_MS);
        final int perTick = (channels.length + ticks - 1) / ticks;
        final Frame ping = Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(0)).build();
        group.next().scheduleAtFixedRate(() ->
        {
            for (int n = 0; n < perTick && opened > 0; n++)
            {
                final Channel channel = channels[nextPing];
                nextPing = (nextPing + 1) % opened;
                if (channel != null && channel.isActive())
                {
                    channel.writeAndFlush(ping, channel.voidPromise());
                }
            }
        }, PING_TICK_MS, PING_TICK_MS, TimeUnit.MILLISECONDS);
    }

    int activeChannels()
    {
        int active = 0;
        for (final Channel channel : channels)
        {
            if (channel != null && channel.isActive())
            {
                active++;
            }
        }
        return active;
    }

    @Override
    public void close()
    {
        for (final Channel channel : channels)
        {
            if (channel != null)
            {
                channel.close();
            }
        }
        for (final Channel channel : channels)
        {
            if (channel != null)
            {
                channel.closeFuture().awaitUninterruptibly(5_000);
            }
        }
    }

    private void fail(final String why)
    {
        failed.increment();
        firstFailure.compareAndSet(null, why);
        window.release();
    }

    /** Encodes a frame as the switch's decoder expects it: varint32 length, then the frame. */
    static void writeFrame(final ChannelHandlerContext ctx, final Frame frame, final ChannelPromise promise)
        throws java.io.IOException
    {
        final int length = FrameEncoder.encodedLength(frame);
        final ByteBuf out = ctx.alloc().buffer(length, length);
        try
        {
            FrameEncoder.writeFrame(frame, out);
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            out.release();
            throw ex;
        }
        ctx.write(out, promise);
    }

    /**
     * The client, shared by every channel: it encodes what is written and handles what the channel's decoder
     * passes on, so a client channel's pipeline is its decoder and this (two contexts, not three).
     */
    @Sharable
    final class ClientHandler extends ChannelDuplexHandler
    {
        @Override
        public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
            throws Exception
        {
            if (msg instanceof Frame frame)
            {
                writeFrame(ctx, frame, promise);
            }
            else
            {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg) throws Exception
        {
            if (!(msg instanceof Frame frame))
            {
                ReferenceCountUtil.release(msg);
                return;
            }
            switch (frame.getBodyCase())
            {
                case LOGIN_OK ->
                {
                    loggedIn.increment();
                    window.release();
                }
                case PONG -> pongs.increment();
                case LOGIN_ERROR -> fail("login refused: " + frame.getLoginError().getMessage());
                case ERROR -> fail("error: " + frame.getError().getMessage());
                default ->
                {
                }
            }
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            closed.increment();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            firstFailure.compareAndSet(null, "client channel error: " + cause);
            ctx.close();
        }
    }
}
