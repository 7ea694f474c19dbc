package io.netty.channel.epoll;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.xin.core.net.SessionEpollChannel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Xin's epoll listening socket: the same as Netty's {@code EpollServerSocketChannel} (which is final), except
 * that it accepts each connection as a {@link SessionEpollChannel}, a socket channel that keeps no
 * {@code DefaultChannelId} and no cached {@code InetSocketAddress}es (about 290 heap bytes an idle session).
 * <p>
 * It lives in Netty's package because listening needs two package-private members of the epoll transport:
 * the server config's constructor and {@code submitCurrentOps()}, which registers for accept events once
 * listening. Only what Xin's bootstrap sets is supported: {@code SO_BACKLOG}, {@code SO_REUSEADDR},
 * {@code SO_RCVBUF} and the epoll options of {@link EpollServerChannelConfig}.
 */
public final class XinEpollServerSocketChannel extends AbstractEpollServerChannel implements ServerSocketChannel
{
    private final EpollServerChannelConfig config;

    public XinEpollServerSocketChannel()
    {
        this(LinuxSocket.newSocketStream());
    }

    /**
     * @param ipv6 false for an IPv4 socket: for a bind to an IPv4 address it accepts the same connections as a
     *             dual-stack socket, and each accepted socket is the kernel's smaller IPv4 object (about 128
     *             bytes less a connection).
     */
    public XinEpollServerSocketChannel(final boolean ipv6)
    {
        this(LinuxSocket.newSocketStream(ipv6));
    }

    private XinEpollServerSocketChannel(final LinuxSocket socket)
    {
        super(socket, false);
        config = new EpollServerChannelConfig(this);
    }

    @Override
    protected void doBind(final SocketAddress localAddress) throws Exception
    {
        super.doBind(localAddress);
        socket.listen(config.getBacklog());
        active = true;
        submitCurrentOps();
    }

    @Override
    public EpollServerChannelConfig config()
    {
        return config;
    }

    @Override
    public InetSocketAddress remoteAddress()
    {
        return null;
    }

    @Override
    public InetSocketAddress localAddress()
    {
        return (InetSocketAddress)super.localAddress();
    }

    @Override
    protected Channel newChildChannel(final int fd, final byte[] address, final int offset, final int length)
    {
        return new SessionEpollChannel(fd, address, offset, length);
    }
}
