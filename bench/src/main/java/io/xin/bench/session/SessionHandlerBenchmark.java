package io.xin.bench.session;

import com.google.protobuf.ByteString;
import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.device.Session;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.session.SessionContext;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
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

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A logged-in session's read of one 1:1 {@code Send} up to the ring: the switch's pipeline (as
 * {@link XinChannelInitializer} builds it) in an {@link EmbeddedChannel}, the frame's bytes fired into it, decoded
 * in place, passed through the session's admission (validation, status, rate limiter, in-flight count) and
 * published into a ring slot, then the read completes (the flush). The ring has no consumer and so never fills;
 * each operation takes its send out of flight again, as the dispatcher's ack does. The rate limit is set high
 * enough to be checked, never to refuse. Run with {@code -prof gc} for bytes per send.
 * The handler's session is the one in the ring's login event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SessionHandlerBenchmark
{
    private static final String SECRET = "session-handler-benchmark-secret-32-bytes";

    @Param({"32"})
    int payloadBytes;

    private EmbeddedChannel channel;
    private ChannelPipeline pipeline;
    private ByteBuf send;
    private Session session;

    @Setup(Level.Trial)
    public void setup() throws Exception
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret(SECRET)
            .sendRateLimit(1_000_000_000, 1_000_000);
        final RingBuffer<SwitchEvent> ring = RingBuffer.createMultiProducer(SwitchEvent::new, 1024);
        final SwitchCounters counters = new SwitchCounters();
        final TokenVerifier verifier =
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis);
        final SessionContext shared = new SessionContext(settings, verifier, ring, null, new SwitchStatus(), counters);
        channel = new EmbeddedChannel(new XinChannelInitializer(shared, counters, null, false, null));
        pipeline = channel.pipeline();
        channel.writeInbound(encode(Frame.newBuilder().setLogin(Login.newBuilder()
            .setRequestId(1).setToken(token(1)).setDeviceId("phone")).build()));
        if (ring.getCursor() != 0)
        {
            throw new IllegalStateException("login not published: " + (Object)channel.readOutbound());
        }
        session = ring.get(0).session();
        send = encode(Frame.newBuilder().setSend(Send.newBuilder()
            .setRequestId(7)
            .setClientMsgId("c-0000000001")
            .setToUserId(42)
            .setContent(Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[payloadBytes]))))
            .build());
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (channel.readOutbound() != null)
        {
            throw new IllegalStateException("a send was answered: it was refused");
        }
        send.release();
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public int readSendIntoRing()
    {
        send.retain().readerIndex(0);
        pipeline.fireChannelRead(send);
        pipeline.fireChannelReadComplete();
        session.decrementInFlightSends();
        return session.inFlightSends();
    }

    private static ByteBuf encode(final Frame frame) throws Exception
    {
        final ByteBuf buffer = Unpooled.directBuffer(FrameEncoder.encodedLength(frame));
        FrameEncoder.writeFrame(frame, buffer);
        return buffer;
    }

    private static String token(final long userId) throws Exception
    {
        final Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        final long nowS = System.currentTimeMillis() / 1000;
        final String signingInput =
            base64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "." +
            base64.encodeToString(("{\"sub\":\"" + userId + "\",\"iat\":" + nowS + ",\"exp\":" + (nowS + 3600) + "}")
                .getBytes(StandardCharsets.UTF_8));
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return signingInput + "." + base64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    }
}
