package io.xin.core.net;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.xin.core.status.SwitchCounters;

import javax.net.ssl.SSLException;

/**
 * Counts failed TLS handshakes and closes the connection without logging: a port scanner or a client
 * with a wrong trust store must not fill the log. Sits right after the {@code SslHandler}.
 */
@Sharable
final class TlsEventHandler extends ChannelInboundHandlerAdapter
{
    private final SwitchCounters counters;

    TlsEventHandler(final SwitchCounters counters)
    {
        this.counters = counters;
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
    {
        if (event instanceof SslHandshakeCompletionEvent completion)
        {
            if (completion.isSuccess())
            {
                counters.tlsHandshakes.increment();
            }
            else
            {
                counters.tlsHandshakeFailures.increment();
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        for (Throwable t = cause; t != null; t = t.getCause())
        {
            if (t instanceof SSLException)
            {
                ctx.close();
                return;
            }
        }
        ctx.fireExceptionCaught(cause);
    }
}
