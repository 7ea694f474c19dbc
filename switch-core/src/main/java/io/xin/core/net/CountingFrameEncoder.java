package io.xin.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.MessageToByteEncoder;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Frame;

/**
 * Writes each {@link Frame} as {@link FrameEncoder} does (varint32 length, then the frame, in one buffer
 * sized exactly) and counts it (one {@code LongAdder} increment), whoever wrote it: the session, the
 * dispatcher or a sync reader. Frames already encoded ({@code ByteBuf}s: the dispatcher's {@code SendAck} and
 * {@code Deliver}, the pacer's channel pushes) pass through and are counted too. Encoding and counting share one handler so that every session's pipeline
 * holds one context fewer (64 bytes a session). Stateless: one instance serves every channel.
 */
@Sharable
final class CountingFrameEncoder extends MessageToByteEncoder<Frame>
{
    private final SwitchCounters counters;

    CountingFrameEncoder(final SwitchCounters counters)
    {
        super(Frame.class);
        this.counters = counters;
    }

    /** Frames the dispatcher or the pacer wrote already encoded pass through, counted. */
    @Override
    public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise) throws Exception
    {
        if (msg instanceof ByteBuf)
        {
            counters.framesOut.increment();
            ctx.write(msg, promise);
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    protected ByteBuf allocateBuffer(final ChannelHandlerContext ctx, final Frame frame, final boolean preferDirect)
    {
        final int size = FrameEncoder.encodedLength(frame);
        return preferDirect ? ctx.alloc().ioBuffer(size, size) : ctx.alloc().heapBuffer(size, size);
    }

    @Override
    protected void encode(final ChannelHandlerContext ctx, final Frame frame, final ByteBuf out) throws Exception
    {
        FrameEncoder.writeFrame(frame, out);
        counters.framesOut.increment();
    }
}
