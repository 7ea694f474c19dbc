package io.xin.protocol.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Send;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SendViewTest
{
    /** One field of a Send as its wire bytes (tag included), so tests can write them in any order. */
    private static byte[] field(final int number, final long varint) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeUInt64(number, varint);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] field(final int number, final byte[] value) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeByteArray(number, value);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] frameOf(final List<byte[]> sendFields) throws IOException
    {
        final ByteArrayOutputStream send = new ByteArrayOutputStream();
        for (final byte[] f : sendFields)
        {
            send.write(f);
        }
        return field(3, send.toByteArray());
    }

    private static byte[] body(final int length)
    {
        final byte[] body = new byte[length];
        new Random(length).nextBytes(body);
        return body;
    }

    /** The view must hold what protobuf-java parses from the same bytes. */
    private static void assertSameAsProtobuf(final byte[] frameBytes) throws InvalidProtocolBufferException
    {
        final SendView view = SendView.forThisThread();
        assertTrue(view.parse(frameBytes, 0, frameBytes.length), "read in place");
        final Send send = Frame.parseFrom(frameBytes).getSend();
        assertEquals(send.getRequestId(), view.requestId());
        assertEquals(send.getToUserId(), view.toUserId());
        assertEquals(send.getClientMsgId(), view.clientMsgId());
        assertEquals(send.getClientMsgIdBytes().size(), view.clientMsgIdLength());
        final byte[] clientMsgId = new byte[view.clientMsgIdLength() + 3];
        Arrays.fill(clientMsgId, (byte)'~');
        view.copyClientMsgIdTo(clientMsgId);
        assertArrayEquals(send.getClientMsgIdBytes().toByteArray(), Arrays.copyOf(clientMsgId, view.clientMsgIdLength()));
        assertEquals('~', clientMsgId[view.clientMsgIdLength()], "nothing written past the id");
        assertEquals(send.hasContent(), view.hasContent());
        assertEquals(send.getContent().getTypeValue(), view.contentType());
        final byte[] copied = new byte[view.bodyLength()];
        view.copyBodyTo(copied);
        assertArrayEquals(send.getContent().getBody().toByteArray(), copied);
    }

    @Test
    void shouldReadWhatProtobufReadsInEveryFieldOrder() throws IOException
    {
        for (final int bodyBytes : new int[]{ 0, 1, 127, 128, 16_385 })
        {
            final byte[] content = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(bodyBytes)))
                .build().toByteArray();
            final List<byte[]> fields = List.of(field(1, 42), field(2, 1L << 40), field(3, "c-000123".getBytes()),
                field(4, content));
            for (final List<byte[]> order : permutations(fields))
            {
                assertSameAsProtobuf(frameOf(order));
            }
        }
    }

    @Test
    void shouldReadContentFieldsInEitherOrderAndANegativeType() throws IOException
    {
        final byte[] bodyFirst = concat(field(2, body(10)), field(1, 3));
        assertSameAsProtobuf(frameOf(List.of(field(4, bodyFirst), field(3, "c".getBytes()), field(2, 9))));
        final byte[] negative = Content.newBuilder().setTypeValue(-2).setBody(ByteString.copyFromUtf8("x")).build().toByteArray();
        assertSameAsProtobuf(frameOf(List.of(field(2, 9), field(3, "c".getBytes()), field(4, negative))));
    }

    @Test
    void shouldSkipUnknownFieldsOfSendAndTakeTheLastValueOfARepeatedScalar() throws IOException
    {
        final byte[] content = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8("hi")).build()
            .toByteArray();
        final ByteArrayOutputStream unknown = new ByteArrayOutputStream();
        final CodedOutputStream out = CodedOutputStream.newInstance(unknown);
        out.writeFixed64(20, 77);
        out.writeFixed32(21, 78);
        out.writeUInt64(22, 79);
        out.writeByteArray(23, new byte[300]);
        out.flush();
        assertSameAsProtobuf(frameOf(List.of(field(1, 1), unknown.toByteArray(), field(2, 5), field(3, "a".getBytes()),
            field(4, content), field(2, 6), field(3, "second".getBytes()))));
    }

    @Test
    void shouldLeaveToProtobufWhatItDoesNotHold() throws IOException
    {
        final byte[] plain = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8("hi")).build()
            .toByteArray();
        final byte[] withMedia = Content.newBuilder().setType(ContentType.IMAGE)
            .setMedia(MediaRef.newBuilder().setUrl("u")).build().toByteArray();
        final byte[] unknownInContent = concat(plain, field(9, 1));
        final List<byte[]> notHeld = List.of(
            frameOf(List.of(field(3, "c".getBytes()), field(4, plain), field(5, 12))),           // a group send
            frameOf(List.of(field(2, 7), field(3, "c".getBytes()), field(4, withMedia))),       // a media reference
            frameOf(List.of(field(2, 7), field(3, "c".getBytes()), field(4, unknownInContent))),
            frameOf(List.of(field(2, 7), field(3, "c".getBytes()), field(4, plain), field(4, plain))), // merged contents
            frameOf(List.of(field(2, 7), field(3, "\u4fe1".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                field(4, plain))),
            concat(frameOf(List.of(field(2, 7), field(3, "c".getBytes()), field(4, plain))), field(2, new byte[0])),
            Frame.newBuilder().setPing(io.xin.protocol.pb.Ping.newBuilder().setRequestId(3)).build().toByteArray());
        for (final byte[] frame : notHeld)
        {
            assertFalse(SendView.forThisThread().parse(frame, 0, frame.length), Arrays.toString(frame));
            Frame.parseFrom(frame);
        }
    }

    @Test
    void shouldLeaveEveryTruncationOfASendToProtobufWhichRejectsIt() throws IOException
    {
        final byte[] content = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(200))).build()
            .toByteArray();
        final byte[] full = frameOf(List.of(field(1, 300), field(2, 1L << 50), field(3, "c-9".getBytes()), field(4, content)));
        for (int length = 0; length < full.length; length++)
        {
            final byte[] cut = Arrays.copyOf(full, length);
            assertFalse(SendView.forThisThread().parse(cut, 0, length), "length " + length);
        }
        // The outer length says more than there is: protobuf-java rejects it, and so does the decoder.
        final byte[] cut = Arrays.copyOf(full, full.length - 1);
        assertThrows(InvalidProtocolBufferException.class, () -> Frame.parseFrom(cut));
    }

    @Test
    void shouldPassAPlainSendOnAsAViewOnlyAfterBeingToldAndOtherFramesAsFrames() throws IOException
    {
        final Frame send = Frame.newBuilder().setSend(Send.newBuilder().setRequestId(1).setToUserId(2).setClientMsgId("c-1")
            .setContent(Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8("hello")))).build();
        final Frame groupSend = send.toBuilder().setSend(send.getSend().toBuilder().setToUserId(0).setGroupId(5)).build();
        final FrameDecoder decoder = new FrameDecoder(1024);
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);

        assertTrue(channel.writeInbound(encoded(send)));
        assertEquals(send, channel.readInbound());

        decoder.passSendViews();
        final ByteBuf oneByOne = encoded(send);
        while (oneByOne.isReadable())
        {
            channel.writeInbound(oneByOne.readRetainedSlice(1));
            if (oneByOne.isReadable())
            {
                assertNull(channel.readInbound());
            }
        }
        oneByOne.release();
        final SendView view = assertInstanceOf(SendView.class, channel.readInbound());
        assertEquals("c-1", view.clientMsgId());
        assertEquals(5, view.bodyLength());

        assertTrue(channel.writeInbound(encoded(groupSend)));
        assertEquals(groupSend, channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void shouldStillRejectAMalformedFrameWithAClearErrorWhenViewsArePassed()
    {
        final FrameDecoder decoder = new FrameDecoder(1024);
        decoder.passSendViews();
        final EmbeddedChannel channel = new EmbeddedChannel(decoder);
        // Length 3: a Send field whose own length (5) runs past the frame.
        final DecoderException ex = assertThrows(DecoderException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ 3, 0x1A, 5, 8 })));
        assertTrue(ex.getMessage().contains("malformed protobuf frame"), ex.getMessage());
        channel.finishAndReleaseAll();
    }

    private static ByteBuf encoded(final Frame frame) throws IOException
    {
        final ByteBuf buf = Unpooled.directBuffer();
        FrameEncoder.writeFrame(frame, buf);
        return buf;
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static List<List<byte[]>> permutations(final List<byte[]> items)
    {
        if (items.size() <= 1)
        {
            return List.of(items);
        }
        final List<List<byte[]>> all = new ArrayList<>();
        for (int i = 0; i < items.size(); i++)
        {
            final List<byte[]> rest = new ArrayList<>(items);
            final byte[] first = rest.remove(i);
            for (final List<byte[]> tail : permutations(rest))
            {
                final List<byte[]> permutation = new ArrayList<>();
                permutation.add(first);
                permutation.addAll(tail);
                all.add(permutation);
            }
        }
        return all;
    }
}
