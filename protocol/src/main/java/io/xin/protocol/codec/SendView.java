package io.xin.protocol.codec;

import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;

/**
 * A {@code Frame{send}} of a 1:1 message read by hand, in place: the fields are offsets into the bytes the
 * frame was parsed from (the decoding thread's reused array), so decoding it allocates nothing and the body
 * is copied once, by whoever takes it ({@link #copyBodyTo(byte[])}).
 * <p>
 * Only a plain 1:1 send is read this way: {@code Frame} holding nothing but {@code send}; {@code group_id}
 * 0; {@code client_msg_id} ASCII; {@code content} once, with a type and a body and nothing else. Anything
 * else (a group send, a media reference, unknown content fields, non-ASCII ids, a malformed or truncated
 * frame) makes {@link #parse} return false and the frame goes to protobuf-java, which keeps or rejects it
 * as before. Unknown fields of {@code Send} itself are skipped.
 * <p>
 * One instance per decoding thread, valid until that thread decodes the next frame: the handler that
 * receives it must take what it needs at once (the frame decoder passes on one frame at a time).
 */
public final class SendView
{
    private static final FastThreadLocal<SendView> VIEWS = new FastThreadLocal<>()
    {
        @Override
        protected SendView initialValue()
        {
            return new SendView();
        }
    };

    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private byte[] bytes;
    private long requestId;
    private long toUserId;
    private int clientMsgIdOffset;
    private int clientMsgIdLength;
    private boolean hasContent;
    private int contentType;
    private int bodyOffset;
    private int bodyLength;
    /** Read position while parsing. */
    private int at;

    private SendView()
    {
    }

    /** This thread's view. */
    static SendView forThisThread()
    {
        return VIEWS.get();
    }

    /**
     * Reads a frame body (no length prefix) into this view.
     *
     * @return true if it is a plain 1:1 {@code Send} this view holds; false to let protobuf-java parse it.
     */
    boolean parse(final byte[] source, final int offset, final int length)
    {
        bytes = source;
        requestId = 0;
        toUserId = 0;
        clientMsgIdOffset = 0;
        clientMsgIdLength = 0;
        hasContent = false;
        contentType = 0;
        bodyOffset = 0;
        bodyLength = 0;
        at = offset;
        final int end = offset + length;
        // Frame: field 3 (send), length-delimited, and nothing after it.
        if (length < 2 || source[at++] != (3 << 3 | LENGTH_DELIMITED))
        {
            return false;
        }
        final long sendLength = readVarint(end);
        if (sendLength != end - at)
        {
            return false;
        }
        while (at < end)
        {
            final long tag = readVarint(end);
            if (tag < 0 || tag > Integer.MAX_VALUE)
            {
                return false;
            }
            final int field = (int)tag >>> 3;
            final int wireType = (int)tag & 7;
            switch (field)
            {
                case 1, 2, 5 ->
                {
                    if (wireType != VARINT)
                    {
                        return false;
                    }
                    final long value = readVarint(end);
                    if (at < 0)
                    {
                        return false;
                    }
                    if (field == 1)
                    {
                        requestId = value;
                    }
                    else if (field == 2)
                    {
                        toUserId = value;
                    }
                    else if (value != 0)
                    {
                        return false;
                    }
                }
                case 3 ->
                {
                    if (wireType != LENGTH_DELIMITED || !readLengthDelimited(end))
                    {
                        return false;
                    }
                    clientMsgIdOffset = lastOffset;
                    clientMsgIdLength = lastLength;
                    for (int i = clientMsgIdOffset, idEnd = clientMsgIdOffset + clientMsgIdLength; i < idEnd; i++)
                    {
                        if (source[i] < 0)
                        {
                            return false;
                        }
                    }
                }
                case 4 ->
                {
                    // A second content would be merged into the first by protobuf-java.
                    if (wireType != LENGTH_DELIMITED || hasContent || !readLengthDelimited(end) ||
                        !parseContent(lastOffset, lastOffset + lastLength))
                    {
                        return false;
                    }
                    hasContent = true;
                }
                default ->
                {
                    if (field == 0 || !skip(wireType, end))
                    {
                        return false;
                    }
                }
            }
            if (at < 0)
            {
                return false;
            }
        }
        return at == end;
    }

    private int lastOffset;
    private int lastLength;

    private boolean parseContent(final int from, final int end)
    {
        final int sendAt = at;
        at = from;
        try
        {
            while (at < end)
            {
                final long tag = readVarint(end);
                if (at < 0)
                {
                    return false;
                }
                if (tag == (1 << 3 | VARINT))
                {
                    // An enum is an int32: a negative value comes sign-extended to ten bytes.
                    final long value = readVarint(end);
                    if (at < 0)
                    {
                        return false;
                    }
                    contentType = (int)value;
                }
                else if (tag == (2 << 3 | LENGTH_DELIMITED))
                {
                    if (!readLengthDelimited(end))
                    {
                        return false;
                    }
                    bodyOffset = lastOffset;
                    bodyLength = lastLength;
                }
                else
                {
                    // A media reference or an unknown field: stored as they came, so protobuf-java handles them.
                    return false;
                }
            }
            return at == end;
        }
        finally
        {
            at = at < 0 ? -1 : sendAt;
        }
    }

    /** Reads a varint; on truncation or more than ten bytes sets {@link #at} to -1. */
    private long readVarint(final int end)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at < 0 || at >= end)
            {
                at = -1;
                return 0;
            }
            final byte b = bytes[at++];
            value |= (long)(b & 0x7F) << shift;
            if (b >= 0)
            {
                return value;
            }
        }
        at = -1;
        return 0;
    }

    private boolean readLengthDelimited(final int end)
    {
        final long length = readVarint(end);
        if (at < 0 || length < 0 || length > end - at)
        {
            return false;
        }
        lastOffset = at;
        lastLength = (int)length;
        at += (int)length;
        return true;
    }

    private boolean skip(final int wireType, final int end)
    {
        switch (wireType)
        {
            case VARINT ->
            {
                readVarint(end);
                return at >= 0;
            }
            case FIXED64 ->
            {
                at += 8;
                return at <= end;
            }
            case LENGTH_DELIMITED ->
            {
                return readLengthDelimited(end);
            }
            case FIXED32 ->
            {
                at += 4;
                return at <= end;
            }
            default ->
            {
                return false;
            }
        }
    }

    public long requestId()
    {
        return requestId;
    }

    public long toUserId()
    {
        return toUserId;
    }

    /** Bytes of {@code client_msg_id} (UTF-8, here ASCII). */
    public int clientMsgIdLength()
    {
        return clientMsgIdLength;
    }

    /**
     * Copies the {@code client_msg_id} bytes to the start of {@code target}.
     *
     * @param target holds at least {@link #clientMsgIdLength()} bytes.
     */
    public void copyClientMsgIdTo(final byte[] target)
    {
        System.arraycopy(bytes, clientMsgIdOffset, target, 0, clientMsgIdLength);
    }

    /** The {@code client_msg_id} as a string: for error frames, not the hot path. */
    public String clientMsgId()
    {
        return new String(bytes, clientMsgIdOffset, clientMsgIdLength, StandardCharsets.US_ASCII);
    }

    /** Whether the send had a {@code content}, as {@code Send.hasContent()}. */
    public boolean hasContent()
    {
        return hasContent;
    }

    /** {@code content.type}'s number. */
    public int contentType()
    {
        return contentType;
    }

    public int bodyLength()
    {
        return bodyLength;
    }

    /**
     * Copies the body into {@code target} from index 0.
     *
     * @param target at least {@link #bodyLength()} bytes.
     */
    public void copyBodyTo(final byte[] target)
    {
        System.arraycopy(bytes, bodyOffset, target, 0, bodyLength);
    }

    @Override
    public String toString()
    {
        return "SendView{requestId=" + requestId + ", to=" + toUserId + ", clientMsgId=" + clientMsgId() +
            ", type=" + contentType + ", body=" + bodyLength + " bytes}";
    }
}
