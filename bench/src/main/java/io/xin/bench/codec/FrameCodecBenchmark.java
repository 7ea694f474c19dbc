package io.xin.bench.codec;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.xin.core.device.Session;
import io.xin.core.journal.SwitchEvent;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.codec.SendView;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Send;
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
 * Decoding and encoding one {@code Send} frame with a payload of {@code payloadBytes}, into and out of a
 * reused direct buffer, as the event loop does; and a logged-in session's read of it up to the ring (read in
 * place, then copied by the ring translator into a preallocated slot). Run with {@code -prof gc} for bytes per
 * operation.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameCodecBenchmark
{
    @Param({"32", "1024"})
    int payloadBytes;

    private Frame frame;
    private ByteBuf encoded;
    private ByteBuf out;
    private BenchFrameDecoder decoder;
    /** Passes a plain 1:1 Send on as a {@link SendView}, as a logged-in session's decoder does. */
    private BenchFrameDecoder viewDecoder;
    private final List<Object> decoded = new ArrayList<>(1);
    /** A ring slot, reused by every send as the ring's preallocated events are. */
    private final SwitchEvent slot = new SwitchEvent();
    private final Session session = new Session(null, 1, "phone");
    private long sequence;

    @Setup
    public void setup() throws Exception
    {
        frame = Frame.newBuilder().setSend(Send.newBuilder()
            .setRequestId(7)
            .setClientMsgId("c-0000000001")
            .setToUserId(42)
            .setContent(Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[payloadBytes]))))
            .build();
        encoded = Unpooled.directBuffer(FrameEncoder.encodedLength(frame));
        FrameEncoder.writeFrame(frame, encoded);
        out = Unpooled.directBuffer(FrameEncoder.encodedLength(frame));
        decoder = new BenchFrameDecoder(64 * 1024);
        viewDecoder = new BenchFrameDecoder(64 * 1024);
        viewDecoder.passSendViews();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        encoded.release();
        out.release();
    }

    @Benchmark
    public Object decode() throws Exception
    {
        encoded.readerIndex(0);
        decoded.clear();
        decoder.decode(encoded, decoded);
        return decoded.get(0);
    }

    /** The same Send frame read in place, as after login: nothing allocated, the body not yet copied. */
    @Benchmark
    public Object decodeSendView() throws Exception
    {
        encoded.readerIndex(0);
        decoded.clear();
        viewDecoder.decode(encoded, decoded);
        return decoded.get(0);
    }

    /** The frame read in place and copied into a ring slot by the translator, as a session publishes a plain 1:1 send. */
    @Benchmark
    public SwitchEvent decodeSendViewIntoRingSlot() throws Exception
    {
        encoded.readerIndex(0);
        decoded.clear();
        viewDecoder.decode(encoded, decoded);
        SwitchEvent.SEND_VIEW_TRANSLATOR.translateTo(slot, ++sequence, session, (SendView)decoded.get(0));
        return slot;
    }

    @Benchmark
    public ByteBuf encode() throws Exception
    {
        out.clear();
        FrameEncoder.writeFrame(frame, out);
        return out;
    }
}
