package io.xin.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;

/**
 * The whole client pipeline, in order:
 * <pre>
 *   [ssl (when TLS)] → frameDecoder (varint32 length prefix, capped) → frameEncoder → client (ClientHandler)
 * </pre>
 */
final class ClientChannelInitializer extends ChannelInitializer<Channel>
{
    static final String SSL = "ssl";
    static final String FRAME_DECODER = "frameDecoder";
    static final String FRAME_ENCODER = "frameEncoder";
    static final String CLIENT = "client";

    private final ClientConductor conductor;
    private final int maxFrameLengthBytes;
    private final SslContext sslContext;
    private final String host;
    private final int port;

    /**
     * @param conductor           receives every channel's events.
     * @param maxFrameLengthBytes largest frame accepted from the server, length prefix excluded.
     * @param sslContext          client TLS context, or null for plain TCP.
     * @param host                the server's name, for TLS hostname verification.
     * @param port                the server's port, for TLS session resumption.
     */
    ClientChannelInitializer(
        final ClientConductor conductor,
        final int maxFrameLengthBytes,
        final SslContext sslContext,
        final String host,
        final int port)
    {
        this.conductor = conductor;
        this.maxFrameLengthBytes = maxFrameLengthBytes;
        this.sslContext = sslContext;
        this.host = host;
        this.port = port;
    }

    @Override
    protected void initChannel(final Channel channel)
    {
        final ChannelPipeline pipeline = channel.pipeline();
        if (sslContext != null)
        {
            pipeline.addLast(SSL, sslContext.newHandler(channel.alloc(), host, port));
        }
        pipeline.addLast(FRAME_DECODER, new FrameDecoder(maxFrameLengthBytes));
        pipeline.addLast(FRAME_ENCODER, FrameEncoder.INSTANCE);
        pipeline.addLast(CLIENT, new ClientHandler(conductor));
    }
}
