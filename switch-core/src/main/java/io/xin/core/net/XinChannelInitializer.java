package io.xin.core.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.xin.core.session.SessionContext;
import io.xin.core.session.SessionHandler;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;

/**
 * The whole client pipeline, in order:
 * <pre>
 *   frameDecoder  capped varint32 length + protobuf Frame (small cap until login)
 *   frameEncoder  Frame -> varint32 length + bytes               (shared)
 *   session       login state machine, heartbeat, limits -> ring  (per channel)
 * </pre>
 */
@Sharable
public final class XinChannelInitializer extends ChannelInitializer<Channel>
{
    public static final String FRAME_DECODER = "frameDecoder";
    public static final String FRAME_ENCODER = "frameEncoder";
    public static final String SESSION = "session";

    private final SessionContext sessionContext;

    public XinChannelInitializer(final SessionContext sessionContext)
    {
        this.sessionContext = sessionContext;
    }

    @Override
    protected void initChannel(final Channel channel)
    {
        final ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(FRAME_DECODER, new FrameDecoder(sessionContext.maxPreLoginFrameLengthBytes()));
        pipeline.addLast(FRAME_ENCODER, FrameEncoder.INSTANCE);
        pipeline.addLast(SESSION, new SessionHandler(sessionContext));
    }
}
