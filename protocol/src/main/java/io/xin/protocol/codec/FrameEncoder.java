package io.xin.protocol.codec;

import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.xin.protocol.pb.Frame;

import java.nio.ByteBuffer;

/**
 * Writes a {@link Frame} as a varint32 length prefix followed by the frame, into one buffer
 * sized exactly for both. Stateless: one instance serves every channel.
 */
@Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame>
{
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder()
    {
        super(Frame.class);
    }

    @Override
    protected ByteBuf allocateBuffer(final ChannelHandlerContext ctx, final Frame frame, final boolean preferDirect)
    {
        final int size = encodedLength(frame);
        return preferDirect ? ctx.alloc().ioBuffer(size, size) : ctx.alloc().heapBuffer(size, size);
    }

    @Override
    protected void encode(final ChannelHandlerContext ctx, final Frame frame, final ByteBuf out) throws Exception
    {
        writeFrame(frame, out);
    }

    /**
     * Bytes the frame takes on the wire, length prefix included.
     */
    public static int encodedLength(final Frame frame)
    {
        final int bodyLength = frame.getSerializedSize();
        return CodedOutputStream.computeUInt32SizeNoTag(bodyLength) + bodyLength;
    }

    /**
     * Appends the length-prefixed frame to {@code out}.
     */
    public static void writeFrame(final Frame frame, final ByteBuf out) throws java.io.IOException
    {
        final int bodyLength = frame.getSerializedSize();
        final int size = CodedOutputStream.computeUInt32SizeNoTag(bodyLength) + bodyLength;
        out.ensureWritable(size);
        final int writerIndex = out.writerIndex();
        if (out.hasArray())
        {
            final CodedOutputStream output = CodedOutputStream.newInstance(out.array(), out.arrayOffset() + writerIndex, size);
            output.writeUInt32NoTag(bodyLength);
            frame.writeTo(output);
            output.checkNoSpaceLeft();
            out.writerIndex(writerIndex + size);
        }
        else if (size <= Scratch.MAX_BYTES || out.nioBufferCount() != 1)
        {
            // Into this thread's reused array, then one copy: protobuf's direct-buffer encoder costs 160
            // bytes a frame, the array encoder 40. (A buffer of several parts gets an array of its own.)
            final byte[] bytes = size <= Scratch.MAX_BYTES ? Scratch.forEncode(size) : new byte[size];
            final CodedOutputStream output = CodedOutputStream.newInstance(bytes, 0, size);
            output.writeUInt32NoTag(bodyLength);
            frame.writeTo(output);
            output.checkNoSpaceLeft();
            out.writeBytes(bytes, 0, size);
        }
        else
        {
            final ByteBuffer target = out.nioBuffer(writerIndex, size);
            final CodedOutputStream output = CodedOutputStream.newInstance(target);
            output.writeUInt32NoTag(bodyLength);
            frame.writeTo(output);
            output.flush();
            output.checkNoSpaceLeft();
            out.writerIndex(writerIndex + size);
        }
    }
}
