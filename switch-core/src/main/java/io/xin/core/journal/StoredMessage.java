package io.xin.core.journal;

import com.google.protobuf.CodedOutputStream;
import io.xin.protocol.pb.Content;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes a stored 1:1 message (the protobuf {@code Message} of an inbox entry, without seq) by hand into a
 * reused array, so the journal builds no {@code Message}, no builder and no UTF-8 copy per send. Fields in
 * number order, defaults left out, as protobuf-java writes them:
 * <pre>
 * 10 msg_id | 18 from_user_id | 20 to_user_id | 2A len from_device_id | 32 len client_msg_id
 * | 38 server_time_ms | 42 len content (08 type | 12 len body)
 * </pre>
 * A content with more than a type and a body (a media reference, unknown fields) is written by protobuf-java.
 */
final class StoredMessage
{
    /** A slot's first array; most 1:1 messages fit (a 32-byte body makes about 90 bytes). */
    static final int INITIAL_BYTES = 128;
    /**
     * The largest array a ring slot keeps for its next send ({@link SwitchEvent#release()} drops larger ones), for
     * its stored bytes and for the body of a send read in place: at most 2 x 65536 slots x 512 bytes = 64 MiB a
     * ring, however large the messages that passed.
     */
    static final int KEPT_MAX_BYTES = 512;

    private StoredMessage()
    {
    }

    /**
     * Writes the stored message of a new 1:1 send into the event's own array ({@link SwitchEvent#stored}, grown
     * when too small, reused otherwise) and sets {@link SwitchEvent#storedLength}. Journal thread.
     */
    static void writeInto(
        final SwitchEvent event,
        final long msgId,
        final long fromUserId,
        final long toUserId,
        final byte[] fromDeviceId,
        final long serverTimeMs)
    {
        final byte[] clientMsgId = event.clientMsgIdBytes;
        final int clientMsgIdLength = event.clientMsgIdLength;
        final Content content = event.content;
        final int typeValue = content == null ? event.contentType : content.getTypeValue();
        final int bodyLength = content == null ? event.bodyLength : content.getBody().size();
        final int simpleContentLength = (typeValue == 0 ? 0 : 1 + int32Size(typeValue)) +
            (bodyLength == 0 ? 0 : 1 + varint32Size(bodyLength) + bodyLength);
        final int contentLength = content == null ? simpleContentLength : content.getSerializedSize();
        final boolean simple = simpleContentLength == contentLength;
        final int length = uint64Field(msgId) + uint64Field(fromUserId) + uint64Field(toUserId) +
            bytesField(fromDeviceId.length) + bytesField(clientMsgIdLength) + uint64Field(serverTimeMs) +
            1 + varint32Size(contentLength) + contentLength;

        final byte[] target = event.stored;
        final byte[] out = target != null && target.length >= length ?
            target : new byte[Math.max(length, INITIAL_BYTES)];
        int at = 0;
        at = writeUint64Field(out, at, 2, msgId);
        at = writeUint64Field(out, at, 3, fromUserId);
        at = writeUint64Field(out, at, 4, toUserId);
        at = writeBytesField(out, at, 5, fromDeviceId, fromDeviceId.length);
        at = writeBytesField(out, at, 6, clientMsgId, clientMsgIdLength);
        at = writeUint64Field(out, at, 7, serverTimeMs);
        // A message field set to an empty Content is still written (tag and length 0), as setContent did.
        {
            out[at++] = 8 << 3 | 2;
            at = writeVarint64(out, at, contentLength);
            if (simple)
            {
                if (typeValue != 0)
                {
                    out[at++] = 1 << 3;
                    // int32: a negative value is sign-extended to ten bytes.
                    at = writeVarint64(out, at, typeValue);
                }
                if (bodyLength != 0)
                {
                    out[at++] = 2 << 3 | 2;
                    at = writeVarint64(out, at, bodyLength);
                    if (content == null)
                    {
                        System.arraycopy(event.body, 0, out, at, bodyLength);
                    }
                    else
                    {
                        content.getBody().copyTo(out, at);
                    }
                    at += bodyLength;
                }
            }
            else
            {
                try
                {
                    final CodedOutputStream output = CodedOutputStream.newInstance(out, at, contentLength);
                    content.writeTo(output);
                    output.checkNoSpaceLeft();
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
                at += contentLength;
            }
        }
        event.stored = out;
        event.storedLength = at;
    }

    private static int uint64Field(final long value)
    {
        return value == 0 ? 0 : 1 + varint64Size(value);
    }

    private static int bytesField(final int length)
    {
        return length == 0 ? 0 : 1 + varint32Size(length) + length;
    }

    private static int int32Size(final int value)
    {
        return value < 0 ? 10 : varint32Size(value);
    }

    private static int varint32Size(final int value)
    {
        return value >>> 7 == 0 ? 1 : value >>> 14 == 0 ? 2 : value >>> 21 == 0 ? 3 : value >>> 28 == 0 ? 4 : 5;
    }

    private static int varint64Size(final long value)
    {
        return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
    }

    private static int writeUint64Field(final byte[] out, final int at, final int field, final long value)
    {
        if (value == 0)
        {
            return at;
        }
        out[at] = (byte)(field << 3);
        return writeVarint64(out, at + 1, value);
    }

    /** Writes {@code value[0, length)}. */
    private static int writeBytesField(
        final byte[] out, final int at, final int field, final byte[] value, final int length)
    {
        if (length == 0)
        {
            return at;
        }
        out[at] = (byte)(field << 3 | 2);
        final int start = writeVarint64(out, at + 1, length);
        System.arraycopy(value, 0, out, start, length);
        return start + length;
    }

    private static int writeVarint64(final byte[] out, final int at, final long value)
    {
        int i = at;
        long v = value;
        while ((v & ~0x7FL) != 0)
        {
            out[i++] = (byte)((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[i++] = (byte)v;
        return i;
    }
}
