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
    static final AttributeKey<SocketAddress> PROXIED = AttributeKey.valueOf("xin.proxiedClientAddress");

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
}
