package io.xin.bench;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory tool on a bounded run that CI can afford: 20,000 in-JVM sessions that heartbeat through
 * an idle timeout. Checks the tool's readings are the switch's own, not its performance.
 */
@Tag("slow")
class SessionMemoryIT
{
    private static final int SESSIONS = 20_000;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldHoldEverySessionThroughIdleTimeoutsWhileItHeartbeatsAndAttributeOneHandlerAndNoQueueToEach() throws Exception
    {
        // Heartbeat 4 s, so the switch's idle timeout is 10 s; holding 15 s outlasts it.
        final SessionMemory.Report report = SessionMemory.run(
            new SessionMemory.Options("local", SESSIONS, 4_000, 15, 500, 2, 40).validate());

        assertEquals(SESSIONS, report.loggedIn());
        assertEquals(SESSIONS, report.sessionsOpenAtEnd(), "sessions closed although they heartbeat");
        assertTrue(report.pongs() >= SESSIONS, "every session pings at least once in 15 s: " + report.pongs());
        final MemoryProbe.ClassGrowth handlers = report.topClasses().stream()
            .filter(row -> row.className().equals("io.xin.core.session.SessionHandler"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("SessionHandler not among the grown classes: " + report.topClasses()));
        assertEquals(SESSIONS, handlers.instances());
        // Both ends are InJvmChannels, and neither keeps an inbound queue while idle (Netty's LocalChannel
        // keeps a linked SPSC queue, about 420 bytes, for its whole life).
        assertEquals(2L * SESSIONS, instancesGrown(report, "io.xin.testkit.InJvmChannel"));
        assertFewerThanOneInTen(report, SESSIONS, "io.netty.util.internal.shaded.org.jctools.queues.SpscLinkedQueue");
        assertFewerThanOneInTen(report, SESSIONS, "java.util.ArrayDeque");
        // A channel with its pipeline alone is hundreds of bytes: a reading outside this range is a broken probe.
        assertTrue(report.heapBytesPerSession() > 256 && report.heapBytesPerSession() < 64 * 1024,
            "heap bytes per session " + report.heapBytesPerSession());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldLeaveNoFlushTaskHolderOnAnIdleSocketSession() throws Exception
    {
        // Real sockets, so the histogram holds the server's channels only (the clients are a child JVM).
        final int sessions = 2_000;
        final SessionMemory.Report report = SessionMemory.run(
            new SessionMemory.Options("socket", sessions, 60_000, 0, 500, 2, 400).validate());

        assertEquals(sessions, report.loggedIn());
        assertEquals(sessions, instancesGrown(report, "io.xin.core.session.SessionHandler"));
        // The LoginOk is flushed with its write: a flush alone from the dispatcher thread would leave a
        // task holder (and its four lambdas) on every channel.
        final long holders = instancesGrown(report, "io.netty.channel.AbstractChannelHandlerContext$Tasks");
        assertTrue(holders < sessions / 10, "flush task holders for " + sessions + " idle sessions: " + holders);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldKeepNoChannelIdAddressesDecoderEncoderContextOrAdaptiveReadHandlePerIdleSocketSession() throws Exception
    {
        final int sessions = 2_000;
        final SessionMemory.Report report = SessionMemory.run(
            new SessionMemory.Options("socket", sessions, 60_000, 0, 500, 2, 400).validate());

        assertEquals(sessions, report.loggedIn());
        if (Epoll.isAvailable())
        {
            // The epoll transport accepts sessions as SessionEpollChannel: an int id, the peer in a few fields.
            assertEquals(sessions, instancesGrown(report, "io.xin.core.net.SessionEpollChannel"));
            assertFewerThanOneInTen(report, sessions, "io.netty.channel.DefaultChannelId");
            assertFewerThanOneInTen(report, sessions, "java.net.InetSocketAddress");
            assertFewerThanOneInTen(report, sessions, "java.net.Inet4Address");
        }
        // The session handler is its own frame decoder and encoder: one handler context a channel.
        assertFewerThanOneInTen(report, sessions, "io.xin.protocol.codec.FrameDecoder");
        assertEquals(sessions, instancesGrown(report, "io.netty.channel.DefaultChannelHandlerContext"));
        // A one-device user is the Session itself in the dispatcher's registry; an idle session never made the
        // object that holds send refusals and the rate limiter.
        assertFewerThanOneInTen(report, sessions, "[Lio.xin.core.device.Session;");
        assertFewerThanOneInTen(report, sessions, "io.xin.core.session.SendAdmission$Refusals");
        // One small read handle a channel instead of the adaptive allocator's; no channel group entry.
        assertEquals(sessions, instancesGrown(report, "io.xin.core.net.SessionReceiveAllocator$Handle"));
        assertFewerThanOneInTen(report, sessions, "io.netty.channel.AdaptiveRecvByteBufAllocator$HandleImpl");
        assertFewerThanOneInTen(report, sessions, "java.util.concurrent.ConcurrentHashMap$Node");
    }

    private static void assertFewerThanOneInTen(final SessionMemory.Report report, final int sessions, final String className)
    {
        final long grown = instancesGrown(report, className);
        assertTrue(grown < sessions / 10, className + " grew by " + grown + " for " + sessions + " idle sessions");
    }

    private static long instancesGrown(final SessionMemory.Report report, final String className)
    {
        return report.topClasses().stream()
            .filter(row -> row.className().equals(className))
            .mapToLong(MemoryProbe.ClassGrowth::instances)
            .sum();
    }

    @Test
    void shouldRefuseAnUnknownTransportOrOption()
    {
        final IllegalArgumentException transport = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> SessionMemory.Options.parse(new String[] {"--transport", "udp"}));
        assertTrue(transport.getMessage().contains("local or socket"), transport.getMessage());
        final IllegalArgumentException option = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> SessionMemory.Options.parse(new String[] {"--session", "5"}));
        assertTrue(option.getMessage().contains("unknown option --session"), option.getMessage());
    }
}
