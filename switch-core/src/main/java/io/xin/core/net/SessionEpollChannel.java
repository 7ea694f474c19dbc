package io.xin.core.net;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelId;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.NativeInetAddress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;

/**
 * An accepted epoll connection that holds what an idle session needs and no more. Netty's
 * {@code EpollSocketChannel} keeps a {@code DefaultChannelId} (an object and a 28-byte array, about 100
 * bytes) and, from the moment it is accepted, the local and remote {@code InetSocketAddress}es (four
 * objects each way, about 190 bytes). This channel has an int id and keeps the peer in 12 bytes of fields
 * (IPv4 and port; an IPv6 peer in a 24-byte array); both addresses are made when asked for (logs, the
 * address guard at connect) and not cached.
 * <p>
 * Made by {@code XinEpollServerSocketChannel} for each accepted socket; otherwise Netty's epoll stream
 * channel, unchanged. Its config supports the epoll channel options plus {@code TCP_NODELAY} and
 * {@code SO_KEEPALIVE}, which are what the switch sets.
 */
public final class SessionEpollChannel extends AbstractEpollStreamChannel
{
    /** Netty's accepted-address layout: 4 address bytes and a 4-byte port for IPv4. */
    private static final int IPV4_ADDRESS_LENGTH = 8;

    private final Config config;
    /** IPv4 peer as an int; unused when {@link #remoteIpv6} is set. */
    private final int remoteIpv4;
    private final int remotePort;
    /** An IPv6 peer in Netty's accepted-address layout (address 16, scope 4, port 4); null for IPv4. */
    private final byte[] remoteIpv6;

    /**
     * @param fd      the accepted socket.
     * @param address Netty's accepted-address buffer: {@code length} bytes from {@code offset}.
     */
    public SessionEpollChannel(final int fd, final byte[] address, final int offset, final int length)
    {
        // Constructed inactive so that the superclass does not read and cache both addresses; it is
        // connected, so it is active from here on.
        super(LinuxSocket.newSocket(fd), false);
        active = true;
        if (length == IPV4_ADDRESS_LENGTH)
        {
            remoteIpv4 = readInt(address, offset);
            remotePort = readInt(address, offset + 4);
            remoteIpv6 = null;
        }
        else
        {
            remoteIpv4 = 0;
            remotePort = readInt(address, offset + length - 4);
            remoteIpv6 = Arrays.copyOfRange(address, offset, offset + length);
        }
        config = new Config(this);
    }

    /**
     * A woken parked session's channel around its socket, which stays open while parked (see {@link ParkedSocket}).
     */
    SessionEpollChannel(final LinuxSocket socket, final int remoteIpv4, final int remotePort, final byte[] remoteIpv6)
    {
        super(socket, false);
        active = true;
        this.remoteIpv4 = remoteIpv4;
        this.remotePort = remotePort;
        this.remoteIpv6 = remoteIpv6;
        config = new Config(this);
    }

    /**
     * Takes this channel off its loop's epoll at once (Netty's {@code deregister()} does it in a later task, and
     * fires events through the pipeline), leaving its socket open. The channel is then dropped. On its event loop.
     */
    void detach() throws Exception
    {
        doDeregister();
    }

    LinuxSocket linuxSocket()
    {
        return socket;
    }

    int remoteIpv4()
    {
        return remoteIpv4;
    }

    int remotePort()
    {
        return remotePort;
    }

    byte[] remoteIpv6()
    {
        return remoteIpv6;
    }

    private static int readInt(final byte[] bytes, final int offset)
    {
        return (bytes[offset] & 0xFF) << 24 | (bytes[offset + 1] & 0xFF) << 16 |
            (bytes[offset + 2] & 0xFF) << 8 | bytes[offset + 3] & 0xFF;
    }

    @Override
    protected ChannelId newId()
    {
        return SessionChannelId.next();
    }

    @Override
    public EpollChannelConfig config()
    {
        return config;
    }

    /** Made on each call from 12 bytes of fields: a session asks once, at connect. */
    @Override
    public InetSocketAddress remoteAddress()
    {
        if (remoteIpv6 != null)
        {
            return NativeInetAddress.address(remoteIpv6, 0, remoteIpv6.length);
        }
        final byte[] ipv4 = {
            (byte)(remoteIpv4 >>> 24), (byte)(remoteIpv4 >>> 16), (byte)(remoteIpv4 >>> 8), (byte)remoteIpv4,
            (byte)(remotePort >>> 24), (byte)(remotePort >>> 16), (byte)(remotePort >>> 8), (byte)remotePort };
        return NativeInetAddress.address(ipv4, 0, ipv4.length);
    }

    @Override
    protected SocketAddress remoteAddress0()
    {
        return remoteAddress();
    }

    /** Asked of the socket on each call (logs only); null once it is closed. */
    @Override
    public InetSocketAddress localAddress()
    {
        if (!isOpen())
        {
            return null;
        }
        try
        {
            return socket.localAddress();
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    @Override
    protected SocketAddress localAddress0()
    {
        return localAddress();
    }

    /** The epoll channel options, and the two socket options the switch sets on every session. */
    private static final class Config extends EpollChannelConfig
    {
        Config(final SessionEpollChannel channel)
        {
            super(channel);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getOption(final ChannelOption<T> option)
        {
            try
            {
                if (option == ChannelOption.TCP_NODELAY)
                {
                    return (T)Boolean.valueOf(socket().isTcpNoDelay());
                }
                if (option == ChannelOption.SO_KEEPALIVE)
                {
                    return (T)Boolean.valueOf(socket().isKeepAlive());
                }
            }
            catch (final IOException ex)
            {
                throw new ChannelException(ex);
            }
            return super.getOption(option);
        }

        @Override
        public <T> boolean setOption(final ChannelOption<T> option, final T value)
        {
            validate(option, value);
            try
            {
                if (option == ChannelOption.TCP_NODELAY)
                {
                    socket().setTcpNoDelay((Boolean)value);
                    return true;
                }
                if (option == ChannelOption.SO_KEEPALIVE)
                {
                    socket().setKeepAlive((Boolean)value);
                    return true;
                }
            }
            catch (final IOException ex)
            {
                throw new ChannelException(ex);
            }
            return super.setOption(option, value);
        }
    }
}
