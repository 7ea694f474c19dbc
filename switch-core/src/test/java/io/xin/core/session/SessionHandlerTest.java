package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipelineException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session handler's place in a pipeline: one handler per connection (only its own wake-up from parking,
 * ParkingIT, moves it to a new channel); and its timer on the switch's clock: a fake {@link
 * org.agrona.concurrent.NanoClock} and the embedded loop's frozen time, advanced by hand, no sleeps.
 */
class SessionHandlerTest
{
    private static final String SECRET = "session-handler-test-secret-of-32-bytes!";
    private static final long MS = 1_000_000;
    /** A whole number of 500 ms timer ticks. */
    private static final long T0 = 1_000_000 * MS;

    private long nowNs = T0;

    /** The switch's pipeline on an embedded channel whose loop's time is frozen, its session rules on {@link #nowNs}. */
    private EmbeddedChannel channel(final XinSwitch.Context settings) throws Exception
    {
        final SwitchCounters counters = new SwitchCounters();
        @SuppressWarnings("unchecked")
        final SessionContext shared = new SessionContext(settings,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis),
            new com.lmax.disruptor.RingBuffer[]{ RingBuffer.createMultiProducer(SwitchEvent::new, 8) }, null,
            new SwitchStatus(), counters, () -> nowNs);
        final EmbeddedChannel channel =
            new EmbeddedChannel(false, true, new XinChannelInitializer(shared, counters, null, false, null));
        channel.register();
        // From here the loop's scheduled tasks (the wheel's tick) run only as the test advances its time.
        channel.freezeTime();
        return channel;
    }

    /** Moves the switch's clock and the loop's time on together, and runs the timer wheel's tick. */
    private void advance(final EmbeddedChannel channel, final long ns)
    {
        nowNs += ns;
        channel.advanceTimeBy(ns, TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
    }

    @Test
    void shouldTimeLoginOutOnTheSwitchClockNeverEarly() throws Exception
    {
        // Login timeout 10 s: a tick of 500 ms, so the timer fires within a tick after the deadline.
        final EmbeddedChannel channel = channel(new XinSwitch.Context().jwtSecret(SECRET).parkIdleMs(0));
        try
        {
            advance(channel, 10_000 * MS - 1);
            assertNull(channel.readOutbound());
            assertTrue(channel.isActive());
            advance(channel, 500 * MS + 1);
            assertEquals(ErrorCode.LOGIN_TIMEOUT, readError(channel).getCode());
            assertFalse(channel.isActive());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldCloseAnIdleSessionAfterTheIdleTimeoutOnTheSwitchClock() throws Exception
    {
        final EmbeddedChannel channel = channel(
            new XinSwitch.Context().jwtSecret(SECRET).parkIdleMs(0).idleTimeoutMs(20_000));
        try
        {
            advance(channel, 3_000 * MS);
            channel.writeInbound(encode(Frame.newBuilder().setLogin(Login.newBuilder().setRequestId(1)
                .setToken(new TokenIssuer(SECRET).issue(42, Duration.ofMinutes(5))).setDeviceId("phone")).build()));
            assertNull(channel.readOutbound(), "LoginOk is the dispatcher's");
            // Idle from the login frame's time: 20 s later, within a tick.
            advance(channel, 20_000 * MS - 1);
            assertNull(channel.readOutbound());
            assertTrue(channel.isActive());
            advance(channel, 500 * MS + 1);
            assertEquals(ErrorCode.IDLE_TIMEOUT, readError(channel).getCode());
            assertFalse(channel.isActive());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf encode(final Frame frame) throws Exception
    {
        final ByteBuf buffer = Unpooled.buffer(FrameEncoder.encodedLength(frame));
        FrameEncoder.writeFrame(frame, buffer);
        return buffer;
    }

    private static io.xin.protocol.pb.Error readError(final EmbeddedChannel channel)
    {
        final ByteBuf bytes = channel.readOutbound();
        final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
        try
        {
            decoder.writeInbound(bytes);
            final Frame frame = decoder.readInbound();
            assertTrue(frame.hasError(), "an error: " + frame);
            return frame.getError();
        }
        finally
        {
            decoder.finishAndReleaseAll();
        }
    }

    @Test
    void shouldRefuseToJoinASecondPipeline()
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret(SECRET);
        final SwitchCounters counters = new SwitchCounters();
        final SessionContext shared = new SessionContext(settings,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis),
            RingBuffer.createMultiProducer(SwitchEvent::new, 8), null, new SwitchStatus(), counters);
        final EmbeddedChannel first = new EmbeddedChannel(new XinChannelInitializer(shared, counters, null, false, null));
        final EmbeddedChannel second = new EmbeddedChannel();
        try
        {
            final SessionHandler handler = (SessionHandler)first.pipeline().get(XinChannelInitializer.SESSION);
            assertThrows(ChannelPipelineException.class, () -> second.pipeline().addLast(handler));
            assertSame(handler, first.pipeline().get(XinChannelInitializer.SESSION));
        }
        finally
        {
            first.finishAndReleaseAll();
            second.finishAndReleaseAll();
        }
    }
}
