package io.xin.protocol.codec;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.Send;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameCodecTest
{
    private static Frame send(final int bodyBytes)
    {
        return Frame.newBuilder()
            .setSend(Send.newBuilder()
                .setRequestId(42)
                .setToUserId(7)
                .setClientMsgId("c-1")
                .setContent(Content.newBuilder()
                    .setType(ContentType.TEXT)
                    .setBody(ByteString.copyFrom("x".repeat(bodyBytes), StandardCharsets.UTF_8))))
            .build();
    }

    private static ByteBuf encode(final Frame frame)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(FrameEncoder.INSTANCE);
        assertTrue(channel.writeOutbound(frame));
        final ByteBuf encoded = channel.readOutbound();
        assertFalse(channel.finish());
        return encoded;
    }

    @Test
    void shouldRoundTripFrameFedOneByteAtATime()
    {
        final Frame frame = send(300);
        final ByteBuf encoded = encode(frame);
        assertEquals(FrameEncoder.encodedLength(frame), encoded.readableBytes());

        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        while (encoded.isReadable())
        {
            assertNull(channel.readInbound());
            channel.writeInbound(encoded.readRetainedSlice(1));
        }
        encoded.release();
        assertEquals(frame, channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void shouldDecodeSeveralFramesFromOneBuffer()
    {
        final ByteBuf both = Unpooled.buffer();
        final Frame first = send(10);
        final Frame second = Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(9)).build();
        final ByteBuf a = encode(first);
        final ByteBuf b = encode(second);
        both.writeBytes(a).writeBytes(b);
        a.release();
        b.release();

        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        channel.writeInbound(both);
        assertEquals(first, channel.readInbound());
        assertEquals(second, channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void shouldRejectFrameLongerThanMaxFrameLengthFromPrefixAlone()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(100));
        // 101 as a varint: the body never arrives, the decoder must not wait for it.
        final DecoderException ex = assertThrows(DecoderException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ 101 })));
        assertInstanceOf(TooLongFrameException.class, ex);
        assertFalse(channel.finish());
    }

    @Test
    void shouldRejectOversizedPrefixFedOneByteAtATime()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1000));
        // 0x80 0x80 ...: after two bytes with the continuation bit the length is at least 2^14,
        // already past the cap, so the decoder refuses without waiting for the rest.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x80 }));
        assertThrows(TooLongFrameException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x80 })));
        // After the error everything is discarded.
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ 1, 0 }));
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void shouldRejectVarintLongerThanFiveBytes()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
        final byte[] bad = { (byte)0x80, (byte)0x80, (byte)0x80, (byte)0x80, (byte)0x80, 0x01 };
        assertThrows(CorruptedFrameException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(bad)));
        assertFalse(channel.finish());
    }

    @Test
    void shouldAcceptANonShortestPrefixWhileEveryContinuationByteStaysWithinTheLimit()
    {
        // Ping{request_id: 7} is 4 bytes: 04, or padded as 84 00 and 84 80 00.
        final byte[] ping = { 0x12, 0x02, 0x08, 0x07 };
        final Frame expected = Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(7)).build();
        final byte[][] prefixes = { { 0x04 }, { (byte)0x84, 0x00 }, { (byte)0x84, (byte)0x80, 0x00 } };
        for (final byte[] prefix : prefixes)
        {
            // Each continuation byte is read as "at least 2^(7 * bytes so far)": 2^14 fits a limit of 65536.
            final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(65536));
            channel.writeInbound(Unpooled.wrappedBuffer(prefix, ping));
            assertEquals(expected, channel.readInbound(), "prefix of " + prefix.length + " bytes");
            assertFalse(channel.finish());
        }

        // Under 4096 the second continuation byte (at least 2^14) is refused, whatever the value would be.
        final EmbeddedChannel preLogin = new EmbeddedChannel(new FrameDecoder(4096));
        preLogin.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x84, 0x00 }, ping));
        assertEquals(expected, preLogin.readInbound());
        preLogin.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x84 }));
        assertThrows(TooLongFrameException.class,
            () -> preLogin.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x80 })));
        assertFalse(preLogin.finish());

        // Under a limit below 128 even one padding byte is refused.
        final EmbeddedChannel small = new EmbeddedChannel(new FrameDecoder(100));
        assertThrows(TooLongFrameException.class,
            () -> small.writeInbound(Unpooled.wrappedBuffer(new byte[]{ (byte)0x84, 0x00 }, ping)));
        assertFalse(small.finish());
    }

    @Test
    void shouldRejectMalformedProtobuf()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        final byte[] bad = { 3, 0x0A, 50, 1 };
        final CorruptedFrameException ex = assertThrows(CorruptedFrameException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(bad)));
        assertTrue(ex.getMessage().startsWith("malformed protobuf frame"), ex.getMessage());
        assertFalse(channel.finish());
    }

    @Test
    void shouldApplyChangedLimitToNextFrame()
    {
        final FrameDecoder decoder = new FrameDecoder(16);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        final Frame frame = send(100);
        assertThrows(TooLongFrameException.class, () -> channel.writeInbound(encode(frame)));

        final FrameDecoder raised = new FrameDecoder(16);
        raised.maxFrameLength(1024);
        final EmbeddedChannel other = new EmbeddedChannel(raised);
        other.writeInbound(encode(frame));
        assertEquals(frame, other.readInbound());
        assertFalse(channel.finish());
        assertFalse(other.finish());
    }

    @Test
    void shouldDecodeEmptyFrameAsFrameWithoutBody()
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(16));
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ 0 }));
        final Frame frame = channel.readInbound();
        assertEquals(Frame.BodyCase.BODY_NOT_SET, frame.getBodyCase());
        assertFalse(channel.finish());
    }

    @org.junit.jupiter.api.Test
    void shouldHoldFramesWhilePausedAndPassThemOnWhenResumed() throws Exception
    {
        final FrameDecoder decoder = new FrameDecoder(1024);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        final io.xin.protocol.pb.Frame ping = io.xin.protocol.pb.Frame.newBuilder()
            .setPing(io.xin.protocol.pb.Ping.newBuilder().setRequestId(7)).build();
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ping.writeDelimitedTo(bytes);
        ping.writeDelimitedTo(bytes);
        decoder.pause();
        channel.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(bytes.toByteArray()));
        org.junit.jupiter.api.Assertions.assertNull(channel.readInbound(), "nothing passes while paused");
        decoder.resume(channel.pipeline().context(decoder));
        org.junit.jupiter.api.Assertions.assertEquals(ping, channel.readInbound());
        org.junit.jupiter.api.Assertions.assertEquals(ping, channel.readInbound());
        org.junit.jupiter.api.Assertions.assertNull(channel.readInbound());
        org.junit.jupiter.api.Assertions.assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldWriteAndReadTheSameBytesWhateverTheBufferKind() throws Exception
    {
        // Heap (array encoder), direct within the per-thread array, direct beyond it, and a buffer of parts.
        for (final int bodyBytes : new int[]{ 0, 32, 5_000, Scratch.MAX_BYTES + 1_000 })
        {
            final Frame frame = send(bodyBytes);
            final byte[] expected = new byte[FrameEncoder.encodedLength(frame)];
            final com.google.protobuf.CodedOutputStream reference = com.google.protobuf.CodedOutputStream.newInstance(expected);
            reference.writeUInt32NoTag(frame.getSerializedSize());
            frame.writeTo(reference);

            final ByteBuf[] buffers = {
                Unpooled.buffer(8).writeByte(9),
                Unpooled.directBuffer(8).writeByte(9),
                Unpooled.compositeBuffer().addComponent(true, Unpooled.directBuffer(4).writeByte(9))
            };
            for (final ByteBuf out : buffers)
            {
                try
                {
                    FrameEncoder.writeFrame(frame, out);
                    assertEquals(1 + expected.length, out.readableBytes(), out.toString());
                    assertEquals(9, out.readByte(), "what was in the buffer before stays");
                    final byte[] written = new byte[expected.length];
                    out.getBytes(out.readerIndex(), written);
                    assertTrue(java.util.Arrays.equals(expected, written), "bytes of " + out);

                    final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(2 * Scratch.MAX_BYTES));
                    channel.writeInbound(out.retain());
                    assertEquals(frame, channel.readInbound(), "decoded from " + out);
                    assertFalse(channel.finish());
                }
                finally
                {
                    out.release();
                }
            }
        }
    }

    @Test
    void shouldDecodeFromASliceOfAHeapBufferAtItsOwnOffset()
    {
        final Frame frame = send(40);
        final ByteBuf encoded = encode(frame);
        final ByteBuf heap = Unpooled.buffer(3 + encoded.readableBytes()).writeBytes(new byte[]{ 1, 2, 3 }).writeBytes(encoded);
        encoded.release();
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        channel.writeInbound(heap.slice(3, heap.readableBytes() - 3));
        assertEquals(frame, channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void shouldKeepFramesIntactWhenTheNextFrameReusesTheThreadsArray()
    {
        final Frame first = send(100);
        final Frame second = send(200);
        final ByteBuf both = Unpooled.directBuffer();
        final ByteBuf a = encode(first);
        final ByteBuf b = encode(second);
        both.writeBytes(a).writeBytes(b);
        a.release();
        b.release();
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024));
        channel.writeInbound(both);
        final Frame decodedFirst = channel.readInbound();
        final Frame decodedSecond = channel.readInbound();
        assertEquals(first, decodedFirst, "the first frame copied what it keeps before the array was reused");
        assertEquals(second, decodedSecond);
        assertFalse(channel.finish());
    }
}
