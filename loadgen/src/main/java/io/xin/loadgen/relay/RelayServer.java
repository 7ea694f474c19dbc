package io.xin.loadgen.relay;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.core.net.Transport;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A relay on one port: the pipeline, in order,
 * <pre>
 *   flushConsolidation → frameDecoder (capped) → frameEncoder → relay (RelayHandler)
 * </pre>
 * on one event loop group of the transport the switch would take for the same setting (epoll by default).
 */
public final class RelayServer implements AutoCloseable
{
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final RelayHandler.Directory directory;

    /**
     * Bind and start on a given transport, chosen as the switch chooses its own ({@link Transport#choose}).
     *
     * @param host      address to listen on.
     * @param port      port, 0 for an ephemeral one.
     * @param ioThreads event loops, 0 for two per core (Netty's default; the switch's is one per core).
     * @param transport {@code auto} (epoll when available), {@code io_uring}, {@code epoll} or {@code nio}.
     * @param acks      answer every Send with a SendAck before relaying it: the protocol's frames without storage.
     * @throws InterruptedException when interrupted while binding.
     */
    public RelayServer(
        final String host, final int port, final int ioThreads, final String transport, final boolean acks)
        throws InterruptedException
    {
        directory = new RelayHandler.Directory(acks);
        final int threads = ioThreads > 0 ? ioThreads : 2 * Runtime.getRuntime().availableProcessors();
        final IoHandlerFactory ioHandlerFactory;
        final Class<? extends ServerChannel> serverChannelType;
        final String chosen = Transport.choose(transport).name();
        if (Transport.IO_URING.equals(chosen))
        {
            ioHandlerFactory = IoUringIoHandler.newFactory();
            serverChannelType = IoUringServerSocketChannel.class;
        }
        else if (Transport.EPOLL.equals(chosen))
        {
            ioHandlerFactory = EpollIoHandler.newFactory();
            serverChannelType = EpollServerSocketChannel.class;
        }
        else
        {
            ioHandlerFactory = NioIoHandler.newFactory();
            serverChannelType = NioServerSocketChannel.class;
        }
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("xin-relay-io"), ioHandlerFactory);
        try
        {
            serverChannel = new ServerBootstrap()
                .group(group)
                .channel(serverChannelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, Boolean.TRUE)
                .childHandler(new ChannelInitializer<>()
                {
                    @Override
                    protected void initChannel(final Channel channel)
                    {
                        channel.pipeline()
                            .addLast("flushConsolidation", new FlushConsolidationHandler(256, true))
                            .addLast("frameDecoder", new FrameDecoder(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH_BYTES))
                            .addLast("frameEncoder", FrameEncoder.INSTANCE)
                            .addLast("relay", new RelayHandler(directory));
                    }
                })
                .bind(new InetSocketAddress(host, port))
                .sync()
                .channel();
        }
        catch (final InterruptedException | RuntimeException ex)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ex;
        }
    }

    /**
     * @return the bound port.
     */
    public int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    /**
     * @return messages relayed so far.
     */
    public long relayed()
    {
        return directory.relayed();
    }

    /**
     * @return a future done when the server channel closes.
     */
    public io.netty.channel.ChannelFuture closeFuture()
    {
        return serverChannel.closeFuture();
    }

    @Override
    public void close()
    {
        serverChannel.close().awaitUninterruptibly(5_000);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5_000);
    }
}
