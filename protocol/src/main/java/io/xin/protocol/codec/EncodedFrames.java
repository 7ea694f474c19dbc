package io.xin.protocol.codec;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.xin.protocol.pb.Content;
import java.io.IOException;
import java.util.Objects;

/**
 * The two frames of every 1:1 message, {@code SendAck} and {@code Deliver}, written by hand straight
 * into a buffer of the exact length, length prefix included, so the dispatcher builds no protobuf
 * object per message. The bytes are the protobuf wire format of the same {@code Frame}; proto3
 * fields at their default value are left out, as protobuf-java does.
 * <pre>
 * SendAck: varint32(frame) | 9A 01 (field 19, length) | varint32(ack)
 *          | 08 request_id | 12 varint32(n) client_msg_id | 18 msg_id | 20 seq | 28 server_time_ms | 30 01 duplicate
 * Deliver: varint32(frame) | A2 01 (field 20, length) | varint32(deliver)
 *          | 0A varint32(message) | stored message (no seq) | 08 seq
 * </pre>
 * The stored message is what the journal wrote to the inbox, without a seq (each inbox copy has its
 * own); the seq is appended after it, which a parser reads like any other field of the message.
 * The client's {@code Send} is written the same way ({@link #send}), around the content's own serialisation.
 * Stateless; any thread.
 */
public final class EncodedFrames
{
    private static final int SEND_TAG = 3 << 3 | 2;
    private static final int SEND_ACK_TAG = 19 << 3 | 2;
    private static final int DELIVER_TAG = 20 << 3 | 2;
    private static final int MESSAGE_TAG = 1 << 3 | 2;
    private static final int SEQ_TAG = 1 << 3;

    private EncodedFrames()
    {
    }

    /**
     * A length-prefixed {@code Frame{send_ack}}.
     *
     * @param clientMsgId the client message id's UTF-8 bytes.
     * @return a buffer of {@code alloc} the caller owns.
     */
    public static ByteBuf sendAck(
        final ByteBufAllocator alloc,
        final long requestId,
        final byte[] clientMsgId,
        final long msgId,
        final long seq,
        final long serverTimeMs,
        final boolean duplicate)
    {
        return sendAck(alloc, requestId, clientMsgId, clientMsgId.length, msgId, seq, serverTimeMs, duplicate);
    }

    /**
     * A length-prefixed {@code Frame{send_ack}} of a client message id held in the first bytes of an array (a ring
     * slot's reused one); the id is copied into the buffer.
     *
     * @param clientMsgId       holds the client message id's UTF-8 bytes at {@code [0, clientMsgIdLength)}.
     * @param clientMsgIdLength bytes of the id.
     * @return a buffer of {@code alloc} the caller owns.
     */
    public static ByteBuf sendAck(
        final ByteBufAllocator alloc,
        final long requestId,
        final byte[] clientMsgId,
        final int clientMsgIdLength,
        final long msgId,
        final long seq,
        final long serverTimeMs,
        final boolean duplicate)
    {
        Objects.checkFromIndexSize(0, clientMsgIdLength, clientMsgId.length);
        final int ackLength = uint64Field(requestId) +
            (clientMsgIdLength == 0 ? 0 : 1 + varint32Size(clientMsgIdLength) + clientMsgIdLength) +
            uint64Field(msgId) + uint64Field(seq) + uint64Field(serverTimeMs) + (duplicate ? 2 : 0);
        final int frameLength = 2 + varint32Size(ackLength) + ackLength;
        final int size = varint32Size(frameLength) + frameLength;
        final ByteBuf out = alloc.ioBuffer(size, size);
        writeVarint32(out, frameLength);
        writeVarint32(out, SEND_ACK_TAG);
        writeVarint32(out, ackLength);
        writeUint64Field(out, 1, requestId);
        if (clientMsgIdLength != 0)
        {
            out.writeByte(2 << 3 | 2);
            writeVarint32(out, clientMsgIdLength);
            out.writeBytes(clientMsgId, 0, clientMsgIdLength);
        }
        writeUint64Field(out, 3, msgId);
        writeUint64Field(out, 4, seq);
        writeUint64Field(out, 5, serverTimeMs);
        if (duplicate)
        {
            out.writeByte(6 << 3);
            out.writeByte(1);
        }
        return out;
    }

    /**
     * A length-prefixed {@code Frame{deliver{message}}}: the stored message with {@code seq} set.
     *
     * @param stored the stored message's bytes (a serialised {@code Message} without seq) at
     *               {@code [offset, offset + length)}.
     * @param seq    the seq of this inbox copy, 1 or more.
     * @return a buffer of {@code alloc} the caller owns.
     */
    public static ByteBuf deliver(
        final ByteBufAllocator alloc, final byte[] stored, final int offset, final int length, final long seq)
    {
        final int messageLength = length + uint64Field(seq);
        final int deliverLength = 1 + varint32Size(messageLength) + messageLength;
        final int frameLength = 2 + varint32Size(deliverLength) + deliverLength;
        final int size = varint32Size(frameLength) + frameLength;
        final ByteBuf out = alloc.ioBuffer(size, size);
        writeVarint32(out, frameLength);
        writeVarint32(out, DELIVER_TAG);
        writeVarint32(out, deliverLength);
        out.writeByte(MESSAGE_TAG);
        writeVarint32(out, messageLength);
        out.writeBytes(stored, offset, length);
        writeUint64Field(out, SEQ_TAG >>> 3, seq);
        return out;
    }

    /**
     * Bytes of {@code Frame{send}} without its length prefix: what {@code Frame.getSerializedSize()} gives for the
     * frame {@link #send} writes.
     */
    public static int sendFrameLength(
        final long requestId, final long toUserId, final long groupId, final String clientMsgId, final Content content)
    {
        final int sendLength = sendLength(requestId, toUserId, groupId, clientMsgId, content);
        return CodedOutputStream.computeUInt32SizeNoTag(SEND_TAG) + CodedOutputStream.computeUInt32SizeNoTag(sendLength) +
            sendLength;
    }

    /**
     * A length-prefixed {@code Frame{send}}, the bytes protobuf-java writes for the same frame, written by the client
     * for each message without building the {@code Frame} and {@code Send} objects around the content.
     *
     * @return a buffer of {@code alloc} the caller owns.
     */
    public static ByteBuf send(
        final ByteBufAllocator alloc,
        final long requestId,
        final long toUserId,
        final long groupId,
        final String clientMsgId,
        final Content content) throws IOException
    {
        final int sendLength = sendLength(requestId, toUserId, groupId, clientMsgId, content);
        final int frameLength = CodedOutputStream.computeUInt32SizeNoTag(SEND_TAG) +
            CodedOutputStream.computeUInt32SizeNoTag(sendLength) + sendLength;
        final int size = varint32Size(frameLength) + frameLength;
        // Into this thread's reused array, then one copy: protobuf's array encoder is the cheap one.
        final byte[] bytes = size <= Scratch.MAX_BYTES ? Scratch.forEncode(size) : new byte[size];
        final CodedOutputStream output = CodedOutputStream.newInstance(bytes, 0, size);
        output.writeUInt32NoTag(frameLength);
        output.writeUInt32NoTag(SEND_TAG);
        output.writeUInt32NoTag(sendLength);
        if (requestId != 0)
        {
            output.writeUInt64(1, requestId);
        }
        if (toUserId != 0)
        {
            output.writeUInt64(2, toUserId);
        }
        if (!clientMsgId.isEmpty())
        {
            output.writeString(3, clientMsgId);
        }
        if (content != null)
        {
            output.writeMessage(4, content);
        }
        if (groupId != 0)
        {
            output.writeUInt64(5, groupId);
        }
        output.checkNoSpaceLeft();
        final ByteBuf out = alloc.ioBuffer(size, size);
        out.writeBytes(bytes, 0, size);
        return out;
    }

    private static int sendLength(
        final long requestId, final long toUserId, final long groupId, final String clientMsgId, final Content content)
    {
        return (requestId == 0 ? 0 : CodedOutputStream.computeUInt64Size(1, requestId)) +
            (toUserId == 0 ? 0 : CodedOutputStream.computeUInt64Size(2, toUserId)) +
            (clientMsgId.isEmpty() ? 0 : CodedOutputStream.computeStringSize(3, clientMsgId)) +
            (content == null ? 0 : CodedOutputStream.computeMessageSize(4, content)) +
            (groupId == 0 ? 0 : CodedOutputStream.computeUInt64Size(5, groupId));
    }

    /** Bytes of a uint64/int64 field with its one-byte tag, 0 when the value is the default. */
    static int uint64Field(final long value)
    {
        return value == 0 ? 0 : 1 + varint64Size(value);
    }

    static int varint32Size(final int value)
    {
        return value >>> 7 == 0 ? 1 : value >>> 14 == 0 ? 2 : value >>> 21 == 0 ? 3 : value >>> 28 == 0 ? 4 : 5;
    }

    static int varint64Size(final long value)
    {
        // 1 byte per 7 significant bits; a negative int64 takes all ten.
        return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
    }

    private static void writeUint64Field(final ByteBuf out, final int field, final long value)
    {
        if (value != 0)
        {
            out.writeByte(field << 3);
            writeVarint64(out, value);
        }
    }

    static void writeVarint32(final ByteBuf out, final int value)
    {
        int v = value;
        while ((v & ~0x7F) != 0)
        {
            out.writeByte(v & 0x7F | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }

    static void writeVarint64(final ByteBuf out, final long value)
    {
        long v = value;
        while ((v & ~0x7FL) != 0)
        {
            out.writeByte((int)v & 0x7F | 0x80);
            v >>>= 7;
        }
        out.writeByte((int)v);
    }
}
