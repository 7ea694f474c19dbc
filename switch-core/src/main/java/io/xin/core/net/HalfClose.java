package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;

import java.util.function.Supplier;

/**
 * The end of a drained session's connection: this side's output is closed once everything written before is on
 * the wire (after TLS's close_notify), and the peer's last frames are read, and discarded by the session, until it
 * closes. Closing the socket outright while the client's sends are still unread would make the kernel answer with
 * a reset, and a client whose next write then fails closes at once, before reading the GoAway already in its
 * buffer. On the channel's event loop.
 */
public final class HalfClose
{
    private HalfClose()
    {
    }

    /** Whether {@code channel}'s output can be closed on its own (a socket); other channels close after writes. */
    public static boolean supported(final Channel channel)
    {
        return channel instanceof DuplexChannel;
    }

    /**
     * Reads on (whatever paused reading), and closes {@code channel}'s output once what was written before is
     * flushed: after TLS's close_notify when the pipeline has TLS, else once {@code flush} (the session's own
     * flush of an empty buffer, behind everything it wrote) is done; the channel is closed if that failed.
     *
     * @param channel a channel {@link #supported} said yes to.
     */
    public static void closeOutputAfterWrites(final Channel channel, final Supplier<ChannelFuture> flush)
    {
        final DuplexChannel duplex = (DuplexChannel)channel;
        // Whatever paused reading, the peer's last frames must now be read to the end of the stream.
        duplex.config().setAutoRead(true);
        final SslHandler tls = duplex.pipeline().get(SslHandler.class);
        final ChannelFuture written = tls != null ? tls.closeOutbound() : flush.get();
        written.addListener(future ->
        {
            if (!duplex.isActive())
            {
                return;
            }
            if (future.isSuccess())
            {
                duplex.shutdownOutput();
            }
            else
            {
                duplex.close();
            }
        });
    }
}
