package io.xin.bench.codec;

import io.netty.buffer.ByteBuf;
import io.xin.protocol.codec.FrameDecoder;

import java.util.List;

/**
 * The protocol's frame decoder with its protected {@code decode} callable without a pipeline, so that a benchmark
 * measures the decoding alone.
 */
final class BenchFrameDecoder extends FrameDecoder
{
    BenchFrameDecoder(final int maxFrameLengthBytes)
    {
        super(maxFrameLengthBytes);
    }

    /**
     * Decodes what {@code in} holds into {@code out}, as the pipeline would call {@code decode}, with no context.
     */
    void decode(final ByteBuf in, final List<Object> out) throws Exception
    {
        decode(null, in, out);
    }
}
