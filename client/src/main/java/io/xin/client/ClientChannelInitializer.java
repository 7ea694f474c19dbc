package io.xin.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;

/**
 * The whole client pipeline, in order:
 * <pre>
 *   frameDecoder (varint32 length prefix, capped) → frameEncoder → client (ClientHandler)
 * </pre>
 */
final class ClientChannelInitializer extends ChannelInitializer<Channel>
{
    static final String FRAME_DECODER = "frameDecoder";
    static final String FRAME_ENCODER = "frameEncoder";
    static final String CLIENT = "client";

    private final ClientConductor conductor;
    private final int maxFrameLengthBytes;

    /**
     * @param conductor           receives every channel's events.
     * @param maxFrameLengthBytes largest frame accepted from the server, length prefix excluded.
     */
    ClientChannelInitializer(final ClientConductor conductor, final int maxFrameLengthBytes)
    {
        this.conductor = conductor;
        this.maxFrameLengthBytes = maxFrameLengthBytes;
    }

    @Override
    protected void initChannel(final Channel channel)
    {
        final ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(FRAME_DECODER, new FrameDecoder(maxFrameLengthBytes));
        pipeline.addLast(FRAME_ENCODER, FrameEncoder.INSTANCE);
        pipeline.addLast(CLIENT, new ClientHandler(conductor));
    }
}
