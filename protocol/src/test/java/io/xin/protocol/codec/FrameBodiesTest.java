package io.xin.protocol.codec;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Pong;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A client's decoder ({@link FrameDecoder#passBodies()}) passes the two frames of every message, SendAck and
 * Deliver, on as their bodies, equal to what protobuf-java reads from the whole frame, and everything else, or
 * anything it cannot be sure of, as a whole {@link Frame}.
 */
class FrameBodiesTest
{
    private static final SendAck ACK = SendAck.newBuilder()
        .setRequestId(300)
        .setClientMsgId("c-0001")
        .setMsgId(1L << 40)
        .setSeq(129)
        .setServerTimeMs(1_700_000_000_000L)
        .build();

    private static Message message(final int bodyBytes)
    {
        final byte[] body = new byte[bodyBytes];
        Arrays.fill(body, (byte)'x');
        return Message.newBuilder()
            .setSeq(7)
            .setMsgId(99)
            .setFromUserId(1)
            .setToUserId(2)
            .setFromDeviceId("phone")
            .setClientMsgId("c-7")
            .setServerTimeMs(1_700_000_000_001L)
            .setContent(Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body)))
            .build();
    }

    @Test
    void shouldPassAFrameOfOnlyASendAckOnAsTheSendAck()
    {
        assertEquals(ACK, decodeOne(Frame.newBuilder().setSendAck(ACK).build().toByteArray()));
        assertEquals(SendAck.getDefaultInstance(),
            decodeOne(Frame.newBuilder().setSendAck(SendAck.getDefaultInstance()).build().toByteArray()));
    }

    /** 0, 1 and 2-byte inner lengths, and a body long enough for a 3-byte one. */
    @ParameterizedTest
    @ValueSource(ints = { 0, 1, 60, 200, 20_000 })
    void shouldPassAFrameOfOnlyADeliverOnAsItsMessage(final int bodyBytes)
    {
        final Message message = message(bodyBytes);
        assertEquals(message,
            decodeOne(Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(message)).build().toByteArray()));
    }

    @Test
    void shouldPassOtherFramesOnWhole()
    {
        final Frame pong = Frame.newBuilder().setPong(Pong.newBuilder().setRequestId(5)).build();
        assertEquals(pong, decodeOne(pong.toByteArray()));
        // A Deliver without a message is a frame the conductor judges, not a default message.
        final Frame emptyDeliver = Frame.newBuilder().setDeliver(Deliver.getDefaultInstance()).build();
        assertEquals(emptyDeliver, decodeOne(emptyDeliver.toByteArray()));
    }

    @Test
    void shouldParseTheWholeFrameWhenMoreThanTheBodyIsInIt()
    {
        final Frame twice = Frame.newBuilder().setSendAck(ACK).build();
        // The same field twice: protobuf merges them; so must the decoder, by reading the whole frame.
        final byte[] doubled = concat(twice.toByteArray(), Frame.newBuilder()
            .setSendAck(SendAck.newBuilder().setSeq(130)).build().toByteArray());
        final Frame merged = assertInstanceOf(Frame.class, decodeOne(doubled));
        assertEquals(130, merged.getSendAck().getSeq());
        assertEquals("c-0001", merged.getSendAck().getClientMsgId());

        // An unknown field after the Deliver's message: kept by the whole frame's parse.
        final byte[] deliver = Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(message(3))).build()
            .toByteArray();
        final byte[] withUnknown = concat(deliver, new byte[]{ (byte)0xF8, 0x07, 0x01 }); // field 127, varint 1
        final Frame whole = assertInstanceOf(Frame.class, decodeOne(withUnknown));
        assertEquals(message(3), whole.getDeliver().getMessage());
    }

    @Test
    void shouldRejectATruncatedBodyAsAMalformedFrame()
    {
        final byte[] frame = Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(message(10))).build()
            .toByteArray();
        for (int cut = 1; cut < frame.length; cut++)
        {
            final byte[] truncated = Arrays.copyOf(frame, cut);
            final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024).passBodies());
            final int at = cut;
            final Object result;
            try
            {
                channel.writeInbound(prefixed(truncated));
                result = channel.readInbound();
            }
            catch (final DecoderException ex)
            {
                channel.finishAndReleaseAll();
                continue;
            }
            // Some prefixes are themselves a valid frame (a shorter one): then it must be the whole frame's parse.
            assertEquals(parseWhole(truncated), result, "cut at " + at);
            channel.finishAndReleaseAll();
        }
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(1024).passBodies());
        assertThrows(DecoderException.class, () -> channel.writeInbound(prefixed(Arrays.copyOf(frame, 5))));
        assertNull(channel.readInbound());
    }

    private static Object parseWhole(final byte[] bytes)
    {
        try
        {
            return Frame.parseFrom(bytes);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("the decoder passed on a frame protobuf-java rejects", ex);
        }
    }

    /** Decodes from a heap and from a direct buffer (they take different copies); both must read the same. */
    private static Object decodeOne(final byte[] frameBytes)
    {
        final Object fromHeap = decode(prefixed(frameBytes));
        final ByteBuf heap = prefixed(frameBytes);
        final ByteBuf direct = Unpooled.directBuffer(heap.readableBytes()).writeBytes(heap);
        heap.release();
        assertEquals(fromHeap, decode(direct));
        return fromHeap;
    }

    private static Object decode(final ByteBuf in)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(64 * 1024).passBodies());
        channel.writeInbound(in);
        final Object decoded = channel.readInbound();
        channel.finishAndReleaseAll();
        return decoded;
    }

    private static ByteBuf prefixed(final byte[] frameBytes)
    {
        final ByteBuf buf = Unpooled.buffer();
        int length = frameBytes.length;
        while ((length & ~0x7F) != 0)
        {
            buf.writeByte((length & 0x7F) | 0x80);
            length >>>= 7;
        }
        buf.writeByte(length);
        return buf.writeBytes(frameBytes);
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
