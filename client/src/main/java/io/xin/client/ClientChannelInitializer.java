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
 *   [tls (SslHandler), when configured] → frameDecoder (varint32 length prefix, capped) → frameEncoder
 *   → client (ClientHandler)
 * </pre>
 */
final class ClientChannelInitializer extends ChannelInitializer<Channel>
{
    static final String TLS = "tls";
    static final String FRAME_DECODER = "frameDecoder";
    static final String FRAME_ENCODER = "frameEncoder";
    static final String CLIENT = "client";

    private final ClientConductor conductor;
    private final int maxFrameLengthBytes;
    private final SslContext sslContext;
    private final String peerHost;
    private final int peerPort;

    /**
     * @param conductor           receives every channel's events.
     * @param maxFrameLengthBytes largest frame accepted from the server, length prefix excluded.
     * @param sslContext          client TLS context, null for plain TCP.
     * @param peerHost            server host, for TLS SNI and host name verification.
     * @param peerPort            server port.
     */
    ClientChannelInitializer(
        final ClientConductor conductor,
        final int maxFrameLengthBytes,
        final SslContext sslContext,
        final String peerHost,
        final int peerPort)
    {
        this.conductor = conductor;
        this.maxFrameLengthBytes = maxFrameLengthBytes;
        this.sslContext = sslContext;
        this.peerHost = peerHost;
        this.peerPort = peerPort;
    }

    @Override
    protected void initChannel(final Channel channel)
    {
        final ChannelPipeline pipeline = channel.pipeline();
        if (sslContext != null)
        {
            pipeline.addLast(TLS, sslContext.newHandler(channel.alloc(), peerHost, peerPort));
        }
        pipeline.addLast(FRAME_DECODER, new FrameDecoder(maxFrameLengthBytes).passBodies());
        pipeline.addLast(FRAME_ENCODER, FrameEncoder.INSTANCE);
        pipeline.addLast(CLIENT, new ClientHandler(conductor));
    }
}
