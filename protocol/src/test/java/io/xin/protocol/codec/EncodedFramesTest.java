package io.xin.protocol.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EncodedFramesTest
{
    private static final long[] SEQS = { 1, 127, 128, 16_383, 16_384, 1L << 35, Long.MAX_VALUE, -1 };
    private static final int[] BODY_BYTES = { 0, 1, 127, 128, 300, 16 * 1024 + 1, 70_000 };
    private static final ByteBufAllocator[] ALLOCATORS =
        { UnpooledByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT };

    private static Message stored(final int bodyBytes, final long groupId, final String clientMsgId)
    {
        final byte[] body = new byte[bodyBytes];
        new Random(bodyBytes).nextBytes(body);
        final Message.Builder message = Message.newBuilder()
            .setMsgId(9_876_543_210L)
            .setFromUserId(1001)
            .setFromDeviceId("phone-\u4fe1")
            .setClientMsgId(clientMsgId)
            .setServerTimeMs(1_700_000_000_123L)
            .setContent(Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body)));
        if (groupId != 0)
        {
            message.setGroupId(groupId);
        }
        else
        {
            message.setToUserId(2002);
        }
        return message.build();
    }

    /** Reads the varint32 length prefix, checks it covers the rest exactly, and parses the frame. */
    private static Frame parse(final ByteBuf encoded) throws Exception
    {
        try
        {
            final byte[] bytes = ByteBufUtil.getBytes(encoded);
            final CodedInputStream input = CodedInputStream.newInstance(bytes);
            final int length = input.readUInt32();
            assertEquals(bytes.length - input.getTotalBytesRead(), length, "length prefix");
            final Frame frame = Frame.parseFrom(CodedInputStream.newInstance(bytes, input.getTotalBytesRead(), length));
            return frame;
        }
        finally
        {
            encoded.release();
        }
    }

    @Test
    void shouldEncodeDeliverThatParsesIntoTheFrameTheBuilderMakes() throws Exception
    {
        for (final ByteBufAllocator alloc : ALLOCATORS)
        {
            for (final int bodyBytes : BODY_BYTES)
            {
                for (final long groupId : new long[]{ 0, 77, 1L << 40 })
                {
                    final Message message = stored(bodyBytes, groupId, "c-" + bodyBytes);
                    final byte[] stored = message.toByteArray();
                    for (final long seq : SEQS)
                    {
                        final Frame expected = Frame.newBuilder()
                            .setDeliver(Deliver.newBuilder().setMessage(message.toBuilder().setSeq(seq)))
                            .build();
                        final Frame actual = parse(EncodedFrames.deliver(alloc, stored, 0, stored.length, seq));
                        assertEquals(expected, actual, "body " + bodyBytes + ", group " + groupId + ", seq " + seq);
                    }
                }
            }
        }
    }

    @Test
    void shouldEncodeDeliverFromTheGivenSliceOfALargerArray() throws Exception
    {
        final Message message = stored(200, 0, "c-slice");
        final byte[] stored = message.toByteArray();
        final byte[] larger = new byte[stored.length + 50];
        new Random(7).nextBytes(larger);
        System.arraycopy(stored, 0, larger, 0, stored.length);

        final Frame actual = parse(EncodedFrames.deliver(UnpooledByteBufAllocator.DEFAULT, larger, 0, stored.length, 5));

        assertEquals(message.toBuilder().setSeq(5).build(), actual.getDeliver().getMessage());
    }

    @Test
    void shouldEncodeSendByteForByteAsTheBuilderWritesIt() throws Exception
    {
        final String[] clientMsgIds = { "", "c-1", "\u4fe1-" + "x".repeat(60), "y".repeat(200) };
        final long[] values = { 0, 1, 127, 128, 1L << 40, Long.MAX_VALUE, -1 };
        for (final ByteBufAllocator alloc : ALLOCATORS)
        {
            for (final int bodyBytes : BODY_BYTES)
            {
                final Content content = stored(bodyBytes, 0, "").getContent();
                for (final String clientMsgId : clientMsgIds)
                {
                    for (final long value : values)
                    {
                        final long toUserId = value == 0 ? 0 : value ^ 0x77;
                        final long groupId = value >>> 3;
                        final Frame expected = Frame.newBuilder()
                            .setSend(Send.newBuilder()
                                .setRequestId(value)
                                .setToUserId(toUserId)
                                .setGroupId(groupId)
                                .setClientMsgId(clientMsgId)
                                .setContent(content))
                            .build();
                        assertEquals(expected.getSerializedSize(),
                            EncodedFrames.sendFrameLength(value, toUserId, groupId, clientMsgId, content));
                        final ByteBuf encoded = EncodedFrames.send(alloc, value, toUserId, groupId, clientMsgId, content);
                        assertArrayEquals(lengthPrefixed(expected), ByteBufUtil.getBytes(encoded),
                            bodyBytes + " " + clientMsgId + " " + value);
                        assertEquals(expected, parse(encoded));
                    }
                }
            }
        }
        // Without content (the switch refuses it; the encoding must still match).
        final Frame bare = Frame.newBuilder().setSend(Send.newBuilder().setRequestId(5).setToUserId(6)).build();
        final ByteBuf encoded = EncodedFrames.send(PooledByteBufAllocator.DEFAULT, 5, 6, 0, "", null);
        assertArrayEquals(lengthPrefixed(bare), ByteBufUtil.getBytes(encoded));
        encoded.release();
    }

    @Test
    void shouldEncodeSendAckThatParsesIntoTheFrameTheBuilderMakes() throws Exception
    {
        final String[] clientMsgIds = { "", "c-1", "\u4fe1-" + "x".repeat(60), "y".repeat(200) };
        final long[] values = { 0, 1, 127, 128, 1L << 40, Long.MAX_VALUE, -1, Long.MIN_VALUE };
        for (final ByteBufAllocator alloc : ALLOCATORS)
        {
            for (final String clientMsgId : clientMsgIds)
            {
                for (final long value : values)
                {
                    for (final boolean duplicate : new boolean[]{ false, true })
                    {
                        final long requestId = value;
                        final long msgId = value ^ 0x5555;
                        final long seq = value == 0 ? 0 : value >>> 1;
                        final long timeMs = -value;
                        final Frame expected = Frame.newBuilder()
                            .setSendAck(SendAck.newBuilder()
                                .setRequestId(requestId)
                                .setClientMsgId(clientMsgId)
                                .setMsgId(msgId)
                                .setSeq(seq)
                                .setServerTimeMs(timeMs)
                                .setDuplicate(duplicate))
                            .build();
                        final ByteBuf encoded = EncodedFrames.sendAck(alloc, requestId,
                            clientMsgId.getBytes(StandardCharsets.UTF_8), msgId, seq, timeMs, duplicate);
                        // Field for field as protobuf-java writes it, so byte for byte too.
                        final byte[] bytes = ByteBufUtil.getBytes(encoded);
                        assertArrayEquals(lengthPrefixed(expected), bytes, clientMsgId + " " + value);
                        assertEquals(expected, parse(encoded));
                    }
                }
            }
        }
    }

    @Test
    void shouldEncodeSendAckOfAnIdAtTheStartOfALongerArrayAsOfTheIdsOwnArray() throws Exception
    {
        final byte[] slot = new byte[256];
        for (final String clientMsgId : new String[]{ "", "c-1", "\u4fe1-" + "x".repeat(60), "y".repeat(200) })
        {
            Arrays.fill(slot, (byte)'~');
            final byte[] id = clientMsgId.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(id, 0, slot, 0, id.length);
            final ByteBuf ofSlot = EncodedFrames.sendAck(PooledByteBufAllocator.DEFAULT, 7, slot, id.length, 8, 9, 10, true);
            final ByteBuf ofId = EncodedFrames.sendAck(PooledByteBufAllocator.DEFAULT, 7, id, 8, 9, 10, true);
            try
            {
                assertArrayEquals(ByteBufUtil.getBytes(ofId), ByteBufUtil.getBytes(ofSlot), clientMsgId);
            }
            finally
            {
                ofId.release();
            }
            assertEquals(clientMsgId, parse(ofSlot).getSendAck().getClientMsgId());
        }
        assertThrows(IndexOutOfBoundsException.class,
            () -> EncodedFrames.sendAck(PooledByteBufAllocator.DEFAULT, 7, new byte[2], 3, 8, 9, 10, false));
    }

    @Test
    void shouldSizeVarintsAsProtobufDoes()
    {
        for (int shift = 0; shift < 64; shift++)
        {
            final long value = 1L << shift;
            assertEquals(com.google.protobuf.CodedOutputStream.computeUInt64SizeNoTag(value),
                EncodedFrames.varint64Size(value), "1 << " + shift);
            assertEquals(com.google.protobuf.CodedOutputStream.computeUInt64SizeNoTag(value - 1),
                EncodedFrames.varint64Size(value - 1), "(1 << " + shift + ") - 1");
        }
        for (int shift = 0; shift < 32; shift++)
        {
            final int value = 1 << shift;
            assertEquals(com.google.protobuf.CodedOutputStream.computeUInt32SizeNoTag(value),
                EncodedFrames.varint32Size(value), "1 << " + shift);
        }
    }

    private static byte[] lengthPrefixed(final Frame frame)
    {
        final ByteBuf buf = UnpooledByteBufAllocator.DEFAULT.heapBuffer();
        try
        {
            FrameEncoder.writeFrame(frame, buf);
            return ByteBufUtil.getBytes(buf);
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
        finally
        {
            buf.release();
        }
    }
}
