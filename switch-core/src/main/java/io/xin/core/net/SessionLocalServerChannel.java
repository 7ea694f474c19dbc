package io.xin.core.net;

import io.netty.channel.ChannelId;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;

/**
 * The in-JVM listener (for measuring sessions without sockets): accepts each connection as a local channel
 * with a {@link SessionChannelId} instead of a {@code DefaultChannelId}, as {@link SessionEpollChannel} does
 * for sockets, so that both transports carry the same per-session objects apart from their own.
 */
public final class SessionLocalServerChannel extends LocalServerChannel
{
    @Override
    protected LocalChannel newLocalChannel(final LocalChannel peer)
    {
        return new SessionLocalChannel(this, peer);
    }

    /** A local channel with a cheap id. */
    static final class SessionLocalChannel extends LocalChannel
    {
        SessionLocalChannel(final LocalServerChannel parent, final LocalChannel peer)
        {
            super(parent, peer);
        }

        @Override
        protected ChannelId newId()
        {
            return SessionChannelId.next();
        }
    }
}
