package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.ClosedChannelException;

/**
 * The switch's parking, for the session handlers: whether a session may give up its channel now, parking it, waking
 * it into a new channel, and passing on what still reaches a channel it has left. Stateless, one per switch: the
 * connection's own state (its parked record, its handler context) stays in its handler, which calls this on the
 * session's event loop and tells the {@link Session} nothing itself: this sets the session's channel as it parks
 * (null) and wakes (the new one).
 */
public final class Parker
{
    private static final Logger LOG = LoggerFactory.getLogger(Parker.class);

    private final SwitchCounters counters;

    public Parker(final SwitchCounters counters)
    {
        this.counters = counters;
    }

    /**
     * Whether {@code session}, whose handler's context is {@code ctx}, may give up its channel now, as far as the
     * transport and the session's cross-thread state tell: plaintext (nothing but the session handler in the
     * pipeline, so no TLS), nothing in the decoder, nothing unsent in the channel or queued for it by the
     * dispatcher, no send, sync or sync hint pending, and a transport that parks. The handler checks its own state
     * (logged in, reading) first. Any doubt: no. On the event loop.
     *
     * @param decoderEmpty whether the handler's decoder holds no part of a frame.
     */
    public boolean mayPark(final Session session, final ChannelHandlerContext ctx, final boolean decoderEmpty)
    {
        return decoderEmpty && ctx.pipeline().first() == ctx.handler() &&
            session.inFlightSends() == 0 && !session.syncInFlight() && session.queuedBytes() == 0 &&
            !session.mustSyncPending() &&
            Parking.canPark(ctx.channel());
    }

    /**
     * Parks {@code session}'s channel, which {@link #mayPark} said yes to: the connection goes on the loop under a
     * parked record that tells {@code owner} of its events, and the session has no channel until it wakes. The
     * caller then drops its context. On the event loop.
     *
     * @return the parked record, or null when the channel could not be parked (it is left as it was).
     */
    public Parking.Parked park(final Session session, final Channel channel, final Parking.Owner owner)
    {
        final Parking.Parked parked = Parking.park(channel, owner);
        if (parked == null)
        {
            return null;
        }
        session.channel(null);
        counters.sessionsParked.incrementAndGet();
        counters.sessionParks.increment();
        return parked;
    }

    /**
     * Wakes {@code parked}: a new channel around its connection with {@code sessionHandler} in its pipeline
     * ({@link Parking#wake}, for which the handler lets itself be added a second time), registered on the same
     * loop, and made the session's channel. On the event loop.
     *
     * @return the new channel, or null when it could not be registered (it is closed; the caller closes the
     * session).
     */
    public Channel wake(final Session session, final Parking.Parked parked, final ChannelHandler sessionHandler)
    {
        final ChannelFuture registered = Parking.wake(parked, sessionHandler);
        final Channel channel = registered.channel();
        counters.sessionsParked.decrementAndGet();
        counters.sessionWakes.increment();
        if (!registered.isSuccess() || channel.pipeline().context(sessionHandler) == null)
        {
            LOG.warn("Could not wake a parked session ({}); closing it", session, registered.cause());
            channel.unsafe().closeForcibly();
            return null;
        }
        session.channel(channel);
        return channel;
    }

    /** A parked connection was closed (its loop shut down, or its peer went and the session did not wake). */
    public void closedWhileParked()
    {
        counters.sessionsParked.decrementAndGet();
    }

    /**
     * Passes on a write ({@code close} false) or a close that came through a channel the session has left (a
     * thread read the session's channel before it parked) to {@code current}, the session's channel now, woken if
     * it was parked, with the caller's {@code promise} told the outcome. So the old channel never writes to or
     * closes the connection. With no current channel (closed while parked) the message is released: a write
     * fails, a close succeeds. On the event loop.
     */
    public void passOn(final Channel current, final Object msg, final ChannelPromise promise, final boolean close)
    {
        if (current == null)
        {
            ReferenceCountUtil.release(msg);
            if (close)
            {
                promise.trySuccess();
            }
            else
            {
                promise.tryFailure(new ClosedChannelException());
            }
            return;
        }
        final ChannelPromise relayed;
        if (promise.isVoid())
        {
            relayed = current.voidPromise();
        }
        else
        {
            relayed = current.newPromise();
            relayed.addListener(done ->
            {
                if (done.isSuccess())
                {
                    promise.trySuccess();
                }
                else
                {
                    promise.tryFailure(done.cause());
                }
            });
        }
        if (close)
        {
            current.close(relayed);
        }
        else
        {
            current.write(msg, relayed);
        }
    }
}
