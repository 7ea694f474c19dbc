package io.xin.protocol.codec;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;

import java.io.IOException;
import java.util.List;

/**
 * Splits the inbound byte stream into {@link Frame}s: a varint32 length prefix, then that many
 * bytes of protobuf. Once {@link #passSendViews()} is called (at login), a plain 1:1 {@code Send} comes
 * out as a {@link SendView} instead.
 * <p>
 * Unlike Netty's {@code ProtobufVarint32FrameDecoder} the length is capped and the cap is checked
 * as soon as the prefix is read, before any body byte is buffered, so a peer cannot make the
 * server accumulate an oversized frame. The cap can be changed while the channel is open (it is
 * smaller before login). After the first error the decoder discards everything that follows: the
 * connection is being closed and nothing after a broken frame can be trusted.
 * <p>
 * One instance per channel; owned by that channel's event loop. Not final: the switch's session handler
 * is its own decoder (one pipeline context fewer per session).
 */
public class FrameDecoder extends ByteToMessageDecoder
{
    /** A varint32 takes at most five bytes. */
    static final int MAX_VARINT32_BYTES = 5;
    /** First byte of the tag of {@code Frame.send_ack} (field 19, length-delimited); the second is 0x01. */
    private static final int SEND_ACK_TAG_LOW = ((Frame.SEND_ACK_FIELD_NUMBER << 3) | 2) & 0x7F | 0x80;
    /** First byte of the tag of {@code Frame.deliver} (field 20, length-delimited); the second is 0x01. */
    private static final int DELIVER_TAG_LOW = ((Frame.DELIVER_FIELD_NUMBER << 3) | 2) & 0x7F | 0x80;

    private int maxFrameLengthBytes;
    private boolean failed;
    /** While paused, bytes already read stay buffered and no frame is passed on. */
    private boolean paused;
    /** Whether a plain 1:1 Send is passed on as this thread's {@link SendView} instead of a {@link Frame}. */
    private boolean sendViews;
    /** Whether a frame that is only a SendAck, or only a Deliver, is passed on as its SendAck or Message. */
    private boolean bodies;

    /**
     * @param maxFrameLengthBytes largest accepted frame body, length prefix excluded.
     */
    public FrameDecoder(final int maxFrameLengthBytes)
    {
        maxFrameLength(maxFrameLengthBytes);
    }

    /**
     * Changes the cap for frames not yet started. Call on the channel's event loop.
     *
     * @param maxFrameLengthBytes largest accepted frame body, length prefix excluded.
     */
    public void maxFrameLength(final int maxFrameLengthBytes)
    {
        if (maxFrameLengthBytes <= 0)
        {
            throw new IllegalArgumentException("maxFrameLengthBytes must be positive: " + maxFrameLengthBytes);
        }
        this.maxFrameLengthBytes = maxFrameLengthBytes;
    }

    public int maxFrameLength()
    {
        return maxFrameLengthBytes;
    }

    /**
     * From now on, passes a plain 1:1 {@code Send} frame on as this thread's {@link SendView} (read in place,
     * nothing allocated) instead of a {@link Frame}; every other frame is still a {@code Frame}. The next
     * handler must take what it needs from the view before returning. Call on the channel's event loop.
     */
    public void passSendViews()
    {
        sendViews = true;
    }

    /**
     * For a client: passes a frame that holds only a {@code SendAck} on as that {@link SendAck}, and one that holds
     * only a {@code Deliver} as the delivered {@link Message}, parsed without the envelope objects around them
     * (the two frames of every message sent and received). Any other frame is still a {@code Frame}.
     */
    public FrameDecoder passBodies()
    {
        bodies = true;
        return this;
    }

    /**
     * Push-back: stop passing frames on, at once, even those already read, and stop asking the
     * channel for more bytes. The owner also turns the channel's auto-read off. Call on the
     * channel's event loop.
     */
    public void pause()
    {
        paused = true;
    }

    public boolean isPaused()
    {
        return paused;
    }

    /**
     * Passes on the frames buffered while paused, then reads on. Call on the channel's event loop,
     * after turning auto-read back on.
     *
     * @param ctx this decoder's context.
     */
    public void resume(final ChannelHandlerContext ctx) throws Exception
    {
        if (!paused)
        {
            return;
        }
        paused = false;
        // An empty read makes this decoder look at what it holds; the read-complete flushes the answers.
        channelRead(ctx, Unpooled.EMPTY_BUFFER);
        channelReadComplete(ctx);
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx) throws Exception
    {
        if (paused)
        {
            // Not super: with auto-read off it would ask for more bytes when no frame came out, and
            // a paused decoder would then buffer the whole stream.
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
        throws Exception
    {
        if (failed)
        {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (paused)
        {
            return;
        }

        final int readerIndex = in.readerIndex();
        final int readable = in.readableBytes();
        long length = 0;
        int prefixBytes = 0;
        while (true)
        {
            if (prefixBytes == readable)
            {
                return;
            }
            final byte b = in.getByte(readerIndex + prefixBytes);
            length |= (long)(b & 0x7F) << (7 * prefixBytes);
            prefixBytes++;
            if (prefixBytes == MAX_VARINT32_BYTES && b < 0)
            {
                throw fail(in, new CorruptedFrameException("length prefix is not a valid varint32"));
            }
            // A varint's value only grows with more bytes, and a set continuation bit means at
            // least 2^(7 * bytes so far): fail before buffering any of the body.
            final long atLeast = b < 0 ? Math.max(length, 1L << (7 * prefixBytes)) : length;
            if (atLeast > maxFrameLengthBytes)
            {
                throw fail(in, new TooLongFrameException(
                    "frame length " + (b < 0 ? "of at least " : "") + atLeast + " exceeds the limit of " +
                    maxFrameLengthBytes + " bytes"));
            }
            if (b >= 0)
            {
                break;
            }
        }

        final int frameLength = (int)length;
        if (readable - prefixBytes < frameLength)
        {
            return;
        }

        in.skipBytes(prefixBytes);
        final Object frame;
        try
        {
            frame = sendViews && frameLength <= Scratch.MAX_BYTES ?
                parseSendView(in, in.readerIndex(), frameLength) : parse(in, in.readerIndex(), frameLength, bodies);
        }
        catch (final IOException ex)
        {
            throw fail(in, new CorruptedFrameException("malformed protobuf frame: " + ex.getMessage(), ex));
        }
        in.skipBytes(frameLength);
        out.add(frame);
    }

    /**
     * Copies the frame into this thread's array (the buffer may be released before the view is read) and reads a
     * plain 1:1 Send from it in place; anything else is parsed by protobuf-java from the same copy.
     */
    private static Object parseSendView(final ByteBuf in, final int index, final int length) throws IOException
    {
        final byte[] bytes = Scratch.forDecode(length);
        in.getBytes(index, bytes, 0, length);
        final SendView view = SendView.forThisThread();
        if (view.parse(bytes, 0, length))
        {
            return view;
        }
        return Frame.parseFrom(CodedInputStream.newInstance(bytes, 0, length), ExtensionRegistryLite.getEmptyRegistry());
    }

    private static Object parse(final ByteBuf in, final int index, final int length, final boolean bodies)
        throws IOException
    {
        final byte[] bytes;
        final int offset;
        if (in.hasArray())
        {
            bytes = in.array();
            offset = in.arrayOffset() + index;
        }
        else
        {
            // protobuf copies a direct buffer into a new array of the whole frame: copy into this thread's
            // reused array instead. The parsed message copies what it keeps (aliasing stays off).
            bytes = length <= Scratch.MAX_BYTES ? Scratch.forDecode(length) : new byte[length];
            in.getBytes(index, bytes, 0, length);
            offset = 0;
        }
        if (bodies)
        {
            final Object body = parseBody(bytes, offset, length);
            if (body != null)
            {
                return body;
            }
        }
        return Frame.parseFrom(CodedInputStream.newInstance(bytes, offset, length), ExtensionRegistryLite.getEmptyRegistry());
    }

    /**
     * @return the SendAck or the delivered Message when the frame is exactly one {@code send_ack} field, or one
     * {@code deliver} field holding exactly one {@code message} field; otherwise null (parse the whole frame).
     */
    private static Object parseBody(final byte[] bytes, final int offset, final int length) throws IOException
    {
        final int end = offset + length;
        // Field 19 or 20, wire type 2: a two-byte tag, 0x9A or 0xA2 then 0x01.
        if (length < 3 || bytes[offset + 1] != 0x01)
        {
            return null;
        }
        final int tag = bytes[offset] & 0xFF;
        if (tag != SEND_ACK_TAG_LOW && tag != DELIVER_TAG_LOW)
        {
            return null;
        }
        final long outer = fieldBounds(bytes, offset + 2, end);
        if (outer < 0 || (int)outer != end)
        {
            return null;
        }
        final int bodyStart = (int)(outer >>> 32);
        if (tag == SEND_ACK_TAG_LOW)
        {
            return SendAck.parseFrom(CodedInputStream.newInstance(bytes, bodyStart, end - bodyStart),
                ExtensionRegistryLite.getEmptyRegistry());
        }
        // Deliver { Message message = 1; }: tag 0x0A.
        if (bodyStart >= end || bytes[bodyStart] != 0x0A)
        {
            return null;
        }
        final long inner = fieldBounds(bytes, bodyStart + 1, end);
        if (inner < 0 || (int)inner != end)
        {
            return null;
        }
        final int messageStart = (int)(inner >>> 32);
        return Message.parseFrom(CodedInputStream.newInstance(bytes, messageStart, end - messageStart),
            ExtensionRegistryLite.getEmptyRegistry());
    }

    /**
     * Reads a length prefix at {@code index}.
     *
     * @return the value's start in the high 32 bits and its end in the low 32, or -1 when the prefix is malformed
     * or the value runs past {@code end}.
     */
    private static long fieldBounds(final byte[] bytes, final int index, final int end)
    {
        int length = 0;
        int position = index;
        for (int shift = 0; shift < 32; shift += 7)
        {
            if (position >= end)
            {
                return -1;
            }
            final byte b = bytes[position++];
            length |= (b & 0x7F) << shift;
            if (b >= 0)
            {
                if (length < 0 || length > end - position)
                {
                    return -1;
                }
                return ((long)position << 32) | (position + length);
            }
        }
        return -1;
    }

    private <T extends Exception> T fail(final ByteBuf in, final T ex)
    {
        failed = true;
        in.skipBytes(in.readableBytes());
        return ex;
    }
}
