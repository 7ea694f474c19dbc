package io.xin.bench.codec;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.xin.protocol.codec.EncodedFrames;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client's side of one message: encoding the {@code Send} it writes into a pooled buffer, and decoding the
 * {@code SendAck} and the {@code Deliver} it receives from a reused direct buffer, as the event loop does.
 * {@code handWritten=false}: whole protobuf frames ({@code Frame.newBuilder()...build()} and {@link FrameEncoder};
 * {@code Frame.parseFrom}). {@code handWritten=true}: what the client does ({@link EncodedFrames#send} and
 * {@link FrameDecoder#passBodies()}). Run with {@code -prof gc} for bytes per operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClientFramesBenchmark
{
    @Param({"false", "true"})
    boolean handWritten;

    @Param({"32"})
    int payloadBytes;

    private ByteBuf sendAck;
    private ByteBuf deliver;
    private BenchFrameDecoder decoder;
    private final List<Object> decoded = new ArrayList<>(1);
    private Content content;
    private long requestId;

    @Setup
    public void setup() throws Exception
    {
        sendAck = encode(Frame.newBuilder().setSendAck(SendAck.newBuilder()
            .setRequestId(7)
            .setClientMsgId("c-0000000001")
            .setMsgId(123_456_789)
            .setSeq(4_321)
            .setServerTimeMs(1_700_000_000_000L))
            .build());
        deliver = encode(Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(Message.newBuilder()
            .setSeq(4_321)
            .setMsgId(123_456_789)
            .setFromUserId(1_000_001)
            .setToUserId(1_000_002)
            .setFromDeviceId("loadgen-1")
            .setClientMsgId("c-0000000001")
            .setServerTimeMs(1_700_000_000_000L)
            .setContent(Content.newBuilder().setType(ContentType.TEXT)
                .setBody(ByteString.copyFrom(new byte[payloadBytes])))))
            .build());
        decoder = new BenchFrameDecoder(64 * 1024);
        content = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(new byte[payloadBytes]))
            .build();
        if (handWritten)
        {
            decoder.passBodies();
        }
    }

    private static ByteBuf encode(final Frame frame) throws Exception
    {
        final ByteBuf buf = Unpooled.directBuffer(FrameEncoder.encodedLength(frame));
        FrameEncoder.writeFrame(frame, buf);
        return buf;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        sendAck.release();
        deliver.release();
    }

    @Benchmark
    public int encodeSend() throws Exception
    {
        final long id = ++requestId;
        final ByteBuf out;
        if (handWritten)
        {
            out = EncodedFrames.send(PooledByteBufAllocator.DEFAULT, id, 1_000_002, 0, "c-0000000001", content);
        }
        else
        {
            final Frame frame = Frame.newBuilder().setSend(Send.newBuilder()
                .setRequestId(id)
                .setToUserId(1_000_002)
                .setClientMsgId("c-0000000001")
                .setContent(content))
                .build();
            final int size = FrameEncoder.encodedLength(frame);
            out = PooledByteBufAllocator.DEFAULT.directBuffer(size, size);
            FrameEncoder.writeFrame(frame, out);
        }
        final int written = out.readableBytes();
        out.release();
        return written;
    }

    @Benchmark
    public Object decodeSendAck() throws Exception
    {
        return decode(sendAck);
    }

    @Benchmark
    public Object decodeDeliver() throws Exception
    {
        return decode(deliver);
    }

    private Object decode(final ByteBuf frame) throws Exception
    {
        frame.readerIndex(0);
        decoded.clear();
        decoder.decode(frame, decoded);
        return decoded.get(0);
    }
}
