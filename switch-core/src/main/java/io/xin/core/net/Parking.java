package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;

/**
 * Idle sessions without a Netty channel. A parked connection keeps what it needs to carry on (a socket's fd and
 * peer, or an in-JVM connection's other end) and gives up its channel and pipeline, about 880 bytes; it wakes
 * into a new channel of the same class, on the same event loop, when its peer sends, when the switch writes to it,
 * or when its timer needs it. Two kinds: {@link ParkedSocket} (epoll) and a channel that parks itself
 * ({@link Parkable}: the test kit's in-JVM transport). Other transports (NIO, io_uring) and TLS sessions never park.
 */
public final class Parking
{
    private Parking()
    {
    }

    /** What a parked connection tells its session. Called on the owning event loop. */
    public interface Owner
    {
        /** The peer sent, hung up or failed: wake ({@link Parked#wake()}) and let the new channel handle it. */
        void onParkedEvent();

        /** The connection was closed while parked (its event loop shut down, or waking failed). */
        void onParkedClosed();
    }

    /**
     * A channel that parks itself, for a transport the switch is given ({@code XinSwitch.Context.localTransport}):
     * the test kit's in-JVM transport. Every method runs on the channel's event loop.
     */
    public interface Parkable
    {
        /** @return whether the channel can give up its pipeline now (see {@link Parking#canPark}). */
        boolean canPark();

        /** Parks the channel, which {@link #canPark()} said yes to; the caller drops the channel. */
        Parked park(Owner owner);
    }

    /** A connection without its channel. Owned by its event loop: every method runs there. */
    public interface Parked
    {
        /**
         * Makes a new channel around the kept connection, with the parked channel's settings, not yet registered;
         * the parked record is spent.
         */
        Channel wake();

        EventLoop eventLoop();
    }

    /**
     * Whether {@code channel} can give up its channel now: a transport that parks, open and registered, reading,
     * with nothing waiting in its outbound buffer (or, for a {@link Parkable}, what it says). The caller checks its
     * own state (TLS, the decoder's partial frame, sends in flight).
     */
    public static boolean canPark(final Channel channel)
    {
        if (channel instanceof SessionEpollChannel)
        {
            return ParkedSocket.canPark(channel);
        }
        return channel instanceof Parkable parkable && parkable.canPark();
    }

    /**
     * Parks {@code channel}, which {@link #canPark} said yes to. On its event loop; the caller then drops every
     * reference to the channel.
     *
     * @return the parked connection, or null when the channel could not be parked (it is left as it was).
     */
    public static Parked park(final Channel channel, final Owner owner)
    {
        if (channel instanceof SessionEpollChannel)
        {
            return ParkedSocket.park(channel, owner);
        }
        return ((Parkable)channel).park(owner);
    }

    /**
     * Wakes a parked connection: a new channel around it, with {@code sessionHandler} as its pipeline's one
     * handler ({@link XinChannelInitializer#SESSION}), registered on the connection's event loop. Reads and writes
     * then go on through the new channel as they did through the old one. The handler must let itself be added a
     * second time for the duration of this call only (see its {@code isSharable}). On the event loop: when this
     * returns, registration is done, the handler's {@code handlerAdded} has run and reading has begun.
     *
     * @return the registration; the caller closes the channel when it failed.
     */
    public static ChannelFuture wake(final Parked parked, final ChannelHandler sessionHandler)
    {
        final Channel channel = parked.wake();
        channel.pipeline().addLast(XinChannelInitializer.SESSION, sessionHandler);
        return parked.eventLoop().register(channel);
    }
}
