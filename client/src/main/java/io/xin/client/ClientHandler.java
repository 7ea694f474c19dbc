package io.xin.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;

/**
 * Last handler of a client channel: hands the channel's life and its frames to the
 * {@link ClientConductor}, which ignores them unless they come from its current channel. One per
 * channel; runs on the client's event loop.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter
{
    private final ClientConductor conductor;

    ClientHandler(final ClientConductor conductor)
    {
        this.conductor = conductor;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        conductor.onChannelActive(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof Frame || msg instanceof SendAck || msg instanceof Message)
        {
            conductor.onRead(ctx.channel(), msg);
        }
        else
        {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        conductor.onReadComplete(ctx.channel());
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        conductor.onChannelException(ctx.channel(), cause);
        ctx.close();
    }
}
