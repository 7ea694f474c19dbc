package io.xin.core.net;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.XinEpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;

/**
 * The socket transport: io_uring or epoll where the kernel and the native library allow, NIO
 * otherwise. {@code auto} prefers epoll (the most proven), then io_uring, then NIO.
 */
public final class Transport
{
    public static final String AUTO = "auto";
    public static final String IO_URING = "io_uring";
    public static final String EPOLL = "epoll";
    public static final String NIO = "nio";

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    private final String name;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannelClass;

    private Transport(
        final String name,
        final Supplier<IoHandlerFactory> ioHandlerFactory,
        final Class<? extends ServerChannel> serverChannelClass)
    {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannelClass = serverChannelClass;
    }

    public static boolean isKnown(final String name)
    {
        return name != null && switch (name.toLowerCase(Locale.ROOT))
        {
            case AUTO, IO_URING, EPOLL, NIO -> true;
            default -> false;
        };
    }

    /**
     * @param requested {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}.
     * @return the requested transport, or for {@code auto} the best available one. A requested
     * native transport that is unavailable falls back to NIO with a warning saying why.
     */
    public static Transport choose(final String requested)
    {
        final String name = requested.toLowerCase(Locale.ROOT);
        if (AUTO.equals(name) || EPOLL.equals(name))
        {
            if (Epoll.isAvailable())
            {
                return epoll();
            }
            if (EPOLL.equals(name))
            {
                LOG.warn("epoll requested but unavailable ({}); using NIO", Epoll.unavailabilityCause().toString());
                return nio();
            }
        }
        if (AUTO.equals(name) || IO_URING.equals(name))
        {
            if (IoUring.isAvailable())
            {
                return ioUring();
            }
            if (IO_URING.equals(name))
            {
                LOG.warn("io_uring requested but unavailable ({}); using NIO", IoUring.unavailabilityCause().toString());
                return nio();
            }
        }
        return nio();
    }

    private static Transport epoll()
    {
        // Accepts sessions as SessionEpollChannels (no channel id object, no cached addresses); io_uring and NIO
        // use Netty's own channels.
        return new Transport(EPOLL, EpollIoHandler::newFactory, XinEpollServerSocketChannel.class);
    }

    private static Transport ioUring()
    {
        return new Transport(IO_URING, IoUringIoHandler::newFactory, IoUringServerSocketChannel.class);
    }

    private static Transport nio()
    {
        return new Transport(NIO, NioIoHandler::newFactory, NioServerSocketChannel.class);
    }

    public String name()
    {
        return name;
    }

    /**
     * @param threads event loops; 0 lets Netty choose (two per core): the switch resolves its own setting first.
     */
    public EventLoopGroup newEventLoopGroup(final int threads, final ThreadFactory threadFactory)
    {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory.get());
    }

    /**
     * @param bindAddress where the listening socket will be bound.
     * @return makes the listening socket: for epoll and an IPv4 address, an IPv4-only socket, which accepts the
     * same connections as a dual-stack one but whose connections each take the kernel's IPv4 socket object, 128
     * bytes smaller than its IPv6 one; otherwise the transport's own channel.
     */
    public ChannelFactory<ServerChannel> serverChannelFactory(final InetSocketAddress bindAddress)
    {
        if (EPOLL.equals(name) && bindAddress.getAddress() instanceof Inet4Address)
        {
            return () -> new XinEpollServerSocketChannel(false);
        }
        return new ReflectiveChannelFactory<>(serverChannelClass);
    }
}
