package io.xin.core.net;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Frame;

/**
 * Counts frames written to clients (one {@code LongAdder} increment each), whoever wrote them: the
 * session, the dispatcher or a sync reader.
 */
@Sharable
final class FrameCounter extends ChannelOutboundHandlerAdapter
{
    private final SwitchCounters counters;

    FrameCounter(final SwitchCounters counters)
    {
        this.counters = counters;
    }

    @Override
    public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
    {
        if (msg instanceof Frame)
        {
            counters.framesOut.increment();
        }
        ctx.write(msg, promise);
    }
}
