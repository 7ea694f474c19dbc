package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.SocketAddress;

/**
 * The address of the client behind a connection: from the PROXY protocol header when the connection
 * came through a load balancer, the socket's peer otherwise. For logs, rate limits and metrics.
 */
public final class ClientAddress
{
    /**
     * Fired down the pipeline (a user event) once the PROXY header has been read, so handlers that
     * account per client address can do so with the real one.
     */
    public static final Object RESOLVED = new Object()
    {
        @Override
        public String toString()
        {
            return "ClientAddress.RESOLVED";
        }
    };

    static final AttributeKey<SocketAddress> PROXIED = AttributeKey.valueOf("xin.proxiedClientAddress");
    static final AttributeKey<Boolean> PENDING = AttributeKey.valueOf("xin.clientAddressPending");

    private ClientAddress()
    {
    }

    /**
     * @param channel a client connection.
     * @return the real client address; the socket's peer until a PROXY header said otherwise.
     */
    public static SocketAddress of(final Channel channel)
    {
        // hasAttr first: attr() would add an attribute to every direct connection.
        final SocketAddress proxied = channel.hasAttr(PROXIED) ? channel.attr(PROXIED).get() : null;
        return proxied != null ? proxied : channel.remoteAddress();
    }

    /**
     * @param channel a client connection.
     * @return true on the PROXY port until the header has been read: {@link #of} is not final yet,
     * and {@link #RESOLVED} will follow.
     */
    public static boolean isPending(final Channel channel)
    {
        return channel.hasAttr(PENDING) && Boolean.TRUE.equals(channel.attr(PENDING).get());
    }
}
