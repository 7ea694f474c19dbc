package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;

import java.net.SocketAddress;

/**
 * An idle session's socket without its Netty channel: the socket (its fd), the peer in a few ints, and a
 * registration of its own on the same event loop's epoll, level-triggered for readable and hang-up. A
 * {@link SessionEpollChannel} and its pipeline cost about 880 bytes; this record about 150.
 * <pre>
 *   park: channel off epoll (fd open) -> channel dropped -> this record on the loop's epoll (EPOLLIN | EPOLLRDHUP)
 *   wake: this record off epoll -> a new SessionEpollChannel around the same socket, same settings
 * </pre>
 * Nothing closes the socket when the dropped channel is collected: Netty's {@code FileDescriptor} and
 * {@code LinuxSocket} have no cleaner or finalizer, and only a close of a channel or of this record closes it.
 * <p>
 * Owned by the event loop the session's channel was registered on: it is made, registered, woken and closed
 * there, and the loop's epoll (Netty's {@code EpollIoHandler}) tells it of its events on that thread.
 */
final class ParkedSocket implements EpollIoHandle, Parking.Parked
{
    private static final EpollIoOps PARKED_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);

    private final LinuxSocket socket;
    private final int remoteIpv4;
    private final int remotePort;
    private final byte[] remoteIpv6;
    /** The client's address from a PROXY header, or null. */
    private final SocketAddress proxiedAddress;
    private final RecvByteBufAllocator recvAllocator;
    private final WriteBufferWaterMark waterMark;
    private final EventLoop eventLoop;
    private final Parking.Owner owner;
    private IoRegistration registration;

    private ParkedSocket(final SessionEpollChannel channel, final Parking.Owner owner)
    {
        this.socket = channel.linuxSocket();
        this.remoteIpv4 = channel.remoteIpv4();
        this.remotePort = channel.remotePort();
        this.remoteIpv6 = channel.remoteIpv6();
        this.proxiedAddress = channel.hasAttr(ClientAddress.PROXIED) ? channel.attr(ClientAddress.PROXIED).get() : null;
        this.recvAllocator = channel.config().getRecvByteBufAllocator();
        this.waterMark = channel.config().getWriteBufferWaterMark();
        this.eventLoop = channel.eventLoop();
        this.owner = owner;
    }

    /**
     * Whether {@code channel} can give up its channel now: an epoll session socket, open and registered, with
     * nothing waiting in its outbound buffer and reading on. The caller checks its own state (TLS, the decoder's
     * partial frame, sends in flight).
     */
    static boolean canPark(final Channel channel)
    {
        if (!(channel instanceof SessionEpollChannel) || !channel.isActive() || !channel.isRegistered() ||
            !channel.config().isAutoRead())
        {
            return false;
        }
        final ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        return outbound != null && outbound.isEmpty() && outbound.totalPendingWriteBytes() == 0;
    }

    /**
     * Takes {@code channel} off its loop's epoll, keeping its socket open, and puts the socket there under a
     * parked record. The caller drops every reference to the channel. On the channel's event loop.
     *
     * @param channel a channel {@link #canPark} said yes to.
     * @return the parked record, or null when the channel could not be taken off (it is left as it was).
     */
    static ParkedSocket park(final Channel channel, final Parking.Owner owner)
    {
        final SessionEpollChannel sessionChannel = (SessionEpollChannel)channel;
        assert sessionChannel.eventLoop().inEventLoop();
        final ParkedSocket parked = new ParkedSocket(sessionChannel, owner);
        try
        {
            sessionChannel.detach();
        }
        catch (final Exception ex)
        {
            return null;
        }
        // On the loop the registration is made at once.
        final Future<IoRegistration> registered = ((IoEventLoop)parked.eventLoop).register(parked);
        if (!registered.isSuccess())
        {
            throw new IllegalStateException("could not register a parked socket", registered.cause());
        }
        parked.registration = registered.getNow();
        // Level-triggered: bytes that came between the channel's removal and this are reported all the same.
        parked.registration.submit(PARKED_OPS);
        return parked;
    }

    /**
     * Takes the socket off epoll and makes a new channel around it, with the parked channel's settings and
     * client address, not yet registered. On the owning event loop.
     */
    @Override
    public SessionEpollChannel wake()
    {
        assert eventLoop.inEventLoop();
        registration.cancel();
        final SessionEpollChannel channel = new SessionEpollChannel(socket, remoteIpv4, remotePort, remoteIpv6);
        channel.config().setRecvByteBufAllocator(recvAllocator);
        channel.config().setWriteBufferWaterMark(waterMark);
        if (proxiedAddress != null)
        {
            channel.attr(ClientAddress.PROXIED).set(proxiedAddress);
        }
        return channel;
    }

    @Override
    public EventLoop eventLoop()
    {
        return eventLoop;
    }

    @Override
    public FileDescriptor fd()
    {
        return socket;
    }

    @Override
    public void handle(final IoRegistration registration, final IoEvent ioEvent)
    {
        owner.onParkedEvent();
        if (registration.isValid())
        {
            // The owner did not wake: never spin on a level-triggered event nobody takes.
            registration.cancel();
            closeSocket();
            owner.onParkedClosed();
        }
    }

    /** The loop is shutting down (its registrations are closed), or the owner gave up on the socket. */
    @Override
    public void close()
    {
        if (registration != null)
        {
            registration.cancel();
        }
        if (socket.isOpen())
        {
            closeSocket();
            owner.onParkedClosed();
        }
    }

    private void closeSocket()
    {
        try
        {
            socket.close();
        }
        catch (final java.io.IOException ex)
        {
            // Closed either way: the kernel releases the fd.
        }
    }
}
