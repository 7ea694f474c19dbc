package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.xin.core.status.SwitchCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole client pipeline, in order:
 * <pre>
 *   (none)        on the PROXY port a peer outside the allowed sources is closed here, before any handler
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
    private static final Logger LOG = LoggerFactory.getLogger(XinChannelInitializer.class);

    public static final String PROXY_DECODER = "proxyDecoder";
    public static final String PROXY_HEADER = "proxyHeader";
    public static final String SSL = "ssl";
    public static final String TLS_EVENTS = "tlsEvents";
    public static final String SESSION = "session";

    private final SessionHandlers sessionHandlers;
    private final ServerTls tls;
    private final boolean proxyProtocol;
    private final ProxyHeaderHandler proxyHeader;
    private final TlsEventHandler tlsEvents;
    private final SwitchCounters counters;
    private final AddressRanges proxyAllowedSources;

    /**
     * @param sessionHandlers makes the session handler of each channel.
     * @param counters       the switch's counters.
     * @param tls            the TLS context holder, or null for plain TCP.
     * @param proxyProtocol  whether every connection starts with a PROXY protocol header.
     * @param proxyAllowedSources with {@code proxyProtocol}, the peers allowed to send that header; null otherwise.
     */
    public XinChannelInitializer(
        final SessionHandlers sessionHandlers,
        final SwitchCounters counters,
        final ServerTls tls,
        final boolean proxyProtocol,
        final AddressRanges proxyAllowedSources)
    {
        if (proxyProtocol && proxyAllowedSources == null)
        {
            throw new IllegalArgumentException("a PROXY port needs its allowed sources");
        }
        this.sessionHandlers = sessionHandlers;
        this.counters = counters;
        this.proxyAllowedSources = proxyAllowedSources;
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
            if (!proxyAllowedSources.contains(channel.remoteAddress()))
            {
                // A PROXY header names the address every per-address guard counts: only a trusted balancer may
                // send one. Judged by the socket's own peer, before a byte is read and before the session exists.
                counters.proxySourcesRefused.increment();
                LOG.debug("PROXY port connection from {} refused: not in the allowed sources", channel.remoteAddress());
                channel.close();
                return;
            }
            pipeline.addLast(PROXY_DECODER, new HAProxyMessageDecoder());
            pipeline.addLast(PROXY_HEADER, proxyHeader);
        }
        if (tls != null)
        {
            pipeline.addLast(SSL, tls.newHandler(channel.alloc()));
            pipeline.addLast(TLS_EVENTS, tlsEvents);
        }
        pipeline.addLast(SESSION, sessionHandlers.newSessionHandler());
    }

    /**
     * Makes the last handler of each pipeline: the session layer above, which implements this, so that the
     * transport does not depend on it.
     */
    public interface SessionHandlers
    {
        /**
         * Event loop of the new channel: a handler for that channel only.
         */
        ChannelHandler newSessionHandler();
    }
}
