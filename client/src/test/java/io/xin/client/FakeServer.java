package io.xin.client;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;

import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A scripted stand-in for the switch on a loopback socket: the test takes each accepted
 * {@link FakeConnection}, reads what the client sent and writes what the server would answer.
 */
final class FakeServer implements AutoCloseable
{
    static final long WAIT_MS = 5_000;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final BlockingQueue<FakeConnection> accepted = new LinkedBlockingQueue<>();
    private final Channel serverChannel;

    FakeServer() throws InterruptedException
    {
        serverChannel = new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<Channel>()
            {
                @Override
                protected void initChannel(final Channel channel)
                {
                    channel.pipeline()
                        .addLast("frameDecoder", new FrameDecoder(1024 * 1024))
                        .addLast("frameEncoder", FrameEncoder.INSTANCE)
                        .addLast("fake", new FakeConnection(accepted));
                }
            })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    }

    int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    /**
     * The next connection, failing the test if none comes within {@link #WAIT_MS}.
     */
    FakeConnection accept() throws InterruptedException
    {
        final FakeConnection connection = accepted.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(connection, "no connection within " + WAIT_MS + " ms");
        return connection;
    }

    /**
     * The next connection within {@code waitMs}, or null.
     */
    FakeConnection pollAccept(final long waitMs) throws InterruptedException
    {
        return accepted.poll(waitMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Stop listening (established connections stay open).
     */
    void unbind()
    {
        serverChannel.close().syncUninterruptibly();
    }

    @Override
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
