package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.xin.core.session.SessionContext;
import io.xin.core.session.SessionHandler;
import io.xin.core.status.SwitchCounters;

/**
 * The whole client pipeline, in order:
 * <pre>
 *   proxyDecoder  PROXY v1/v2 header -> HAProxyMessage, then removes itself  (PROXY port only)
 *   proxyHeader   real client address onto the channel, then removes itself  (PROXY port only, shared)
 *   ssl           TLS with the current certificate                          (when TLS is on)
 *   tlsEvents     counts failed handshakes, closes quietly                   (when TLS is on, shared)
 *   session       in: capped varint32 length + protobuf Frame (small cap until login), then the login state
 *                 machine, heartbeat, limits -> ring; out: Frame -> varint32 length + bytes, counts frames
 *                 written (by any thread): one handler, so one context, per channel
 * </pre>
 */
@Sharable
public final class XinChannelInitializer extends ChannelInitializer<Channel>
{
    public static final String PROXY_DECODER = "proxyDecoder";
    public static final String PROXY_HEADER = "proxyHeader";
    public static final String SSL = "ssl";
    public static final String TLS_EVENTS = "tlsEvents";
    public static final String SESSION = "session";

    private final SessionContext sessionContext;
    private final ServerTls tls;
    private final boolean proxyProtocol;
    private final ProxyHeaderHandler proxyHeader;
    private final TlsEventHandler tlsEvents;

    /**
     * @param sessionContext what every session shares.
     * @param counters       the switch's counters.
     * @param tls            the TLS context holder, or null for plain TCP.
     * @param proxyProtocol  whether every connection starts with a PROXY protocol header.
     */
    public XinChannelInitializer(
        final SessionContext sessionContext,
        final SwitchCounters counters,
        final ServerTls tls,
        final boolean proxyProtocol)
    {
        this.sessionContext = sessionContext;
        this.tls = tls;
        this.proxyProtocol = proxyProtocol;
        this.proxyHeader = new ProxyHeaderHandler(counters);
        this.tlsEvents = new TlsEventHandler(counters);
    }

    @Override
    protected void initChannel(final Channel channel)
    {
        final ChannelPipeline pipeline = channel.pipeline();
        if (proxyProtocol)
        {
            pipeline.addLast(PROXY_DECODER, new HAProxyMessageDecoder());
            pipeline.addLast(PROXY_HEADER, proxyHeader);
        }
        if (tls != null)
        {
            pipeline.addLast(SSL, tls.newHandler(channel.alloc()));
            pipeline.addLast(TLS_EVENTS, tlsEvents);
        }
        pipeline.addLast(SESSION, new SessionHandler(sessionContext));
    }
}
