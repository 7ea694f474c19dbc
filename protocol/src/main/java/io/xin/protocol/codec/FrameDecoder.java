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

    private int maxFrameLengthBytes;
    private boolean failed;
    /** While paused, bytes already read stay buffered and no frame is passed on. */
    private boolean paused;
    /** Whether a plain 1:1 Send is passed on as this thread's {@link SendView} instead of a {@link Frame}. */
    private boolean sendViews;

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
                parseSendView(in, in.readerIndex(), frameLength) : parse(in, in.readerIndex(), frameLength);
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

    private static Frame parse(final ByteBuf in, final int index, final int length) throws IOException
    {
        final CodedInputStream input;
        if (in.hasArray())
        {
            input = CodedInputStream.newInstance(in.array(), in.arrayOffset() + index, length);
        }
        else
        {
            // protobuf copies a direct buffer into a new array of the whole frame: copy into this thread's
            // reused array instead. The parsed message copies what it keeps (aliasing stays off).
            final byte[] bytes = length <= Scratch.MAX_BYTES ? Scratch.forDecode(length) : new byte[length];
            in.getBytes(index, bytes, 0, length);
            input = CodedInputStream.newInstance(bytes, 0, length);
        }
        return Frame.parseFrom(input, ExtensionRegistryLite.getEmptyRegistry());
    }

    private <T extends Exception> T fail(final ByteBuf in, final T ex)
    {
        failed = true;
        in.skipBytes(in.readableBytes());
        return ex;
    }
}
