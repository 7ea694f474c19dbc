package io.xin.core.net;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import io.xin.core.status.SwitchCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Takes the PROXY protocol (v1 or v2) header decoded by Netty's {@code HAProxyMessageDecoder}, records
 * the real client address on the channel ({@link ClientAddress}) and leaves the pipeline. A
 * {@code LOCAL} header (the balancer's own health check) keeps the socket's address. A malformed
 * header closes the connection, counted, not logged: it is bad input from whoever reached the port.
 */
@Sharable
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(ProxyHeaderHandler.class);
    private static final AttributeKey<Boolean> BAD_HEADER_SEEN = AttributeKey.valueOf("xin.badProxyHeaderSeen");

    private final SwitchCounters counters;

    ProxyHeaderHandler(final SwitchCounters counters)
    {
        this.counters = counters;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof HAProxyMessage header))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        try
        {
            counters.proxyHeaders.increment();
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null)
            {
                final InetAddress source = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
                if (source != null)
                {
                    ctx.channel().attr(ClientAddress.PROXIED).set(new InetSocketAddress(source, header.sourcePort()));
                }
            }
            if (LOG.isDebugEnabled())
            {
                LOG.debug("Connection from {} via {} ({} {})", ClientAddress.of(ctx.channel()),
                    ctx.channel().remoteAddress(), header.protocolVersion(), header.command());
            }
        }
        finally
        {
            header.release();
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (cause instanceof HAProxyProtocolException)
        {
            // The decoder closes the channel itself and may report the same header again as it
            // closes: count it once per connection.
            if (ctx.channel().attr(BAD_HEADER_SEEN).setIfAbsent(Boolean.TRUE) == null)
            {
                counters.badProxyHeaders.increment();
            }
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
