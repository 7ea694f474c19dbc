package io.xin.core;

import io.xin.client.XinClient;
import io.xin.core.TestDevices.Device;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import static io.xin.core.TestDevices.WAIT_MS;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parked sessions over real sockets (epoll): an idle logged-in session gives up its Netty channel and wakes, on the
 * same socket, for bytes from its client, frames to it and its timers, with nothing on the wire changed.
 */
@Timeout(120)
class ParkingIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final int PARK_IDLE_MS = 200;

    @TempDir
    Path dataDir;
    private final TestDevices devices = new TestDevices();
    private TestSwitch server;

    @AfterEach
    void tearDown()
    {
        devices.closeClients();
        if (server != null)
        {
            server.close();
        }
        devices.close();
    }

    private TestSwitch start(final int idleTimeoutMs)
    {
        server = new TestSwitch(dataDir, ctx -> ctx.transport("epoll").parkIdleMs(PARK_IDLE_MS)
            .heartbeatIntervalMs(1_000).idleTimeoutMs(idleTimeoutMs));
        return server;
    }

    private SwitchCounters counters()
    {
        return server.xin().counters();
    }

    private static void await(final String what, final LongSupplier value, final long atLeast) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (value.getAsLong() < atLeast)
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError(what + ": " + value.getAsLong() + " < " + atLeast);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void shouldDeliverToAParkedSessionInOrderOnTheSameConnection() throws Exception
    {
        start(60_000);
        final Device bob = devices.connect(server, BOB, "phone");
        final Device alice = devices.connect(server, ALICE, "phone");
        await("sessions parked", counters().sessionsParked::get, 2);
        final long parksBefore = counters().sessionParks.sum();

        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 1; i <= 20; i++)
        {
            acks.add(alice.client.send(BOB, "m-" + i, text("message " + i)));
        }
        for (final CompletableFuture<SendAck> ack : acks)
        {
            TestDevices.await(ack);
        }
        for (int i = 1; i <= 20; i++)
        {
            final Message message = bob.next();
            assertEquals(i, message.getSeq(), "bob's inbox in order, no gap");
            assertEquals("m-" + i, message.getClientMsgId());
        }
        bob.assertNothingMore();
        assertTrue(counters().sessionWakes.sum() >= 2, "both woke: " + counters().sessionWakes.sum());
        assertEquals(1, counters().loginsSucceeded.sum() - 1, "no reconnect: the same two logins");
        assertEquals(2, counters().sessionsOpen.get());

        // Idle again, both park again, and sync still answers from the inbox as before.
        await("parked again", counters().sessionParks::sum, parksBefore + 2);
        final Message synced = bob.client.sync(0, 5).get(WAIT_MS, TimeUnit.MILLISECONDS).getMessages(4);
        assertEquals(5, synced.getSeq());
    }

    @Test
    void shouldAckASendFromAParkedSession() throws Exception
    {
        start(60_000);
        final Device alice = devices.connect(server, ALICE, "phone");
        await("alice parked", counters().sessionsParked::get, 1);

        final SendAck ack = TestDevices.await(alice.client.send(BOB, "from-parked", text("hello")));
        assertEquals(1, ack.getSeq());
        assertTrue(!ack.getDuplicate());
        final SendAck again = TestDevices.await(alice.client.send(BOB, "from-parked", text("hello")));
        assertTrue(again.getDuplicate(), "a resend is still recognised");
        assertEquals(ack.getMsgId(), again.getMsgId());
        assertTrue(counters().sessionWakes.sum() >= 1);
    }

    @Test
    @Tag("slow")
    void shouldKeepAParkedSessionAliveByItsHeartbeats() throws Exception
    {
        // Heartbeats every second (less the client's margin), closed after 5 s of silence (a margin for a loaded
        // machine): only the pings, each waking a parked session, keep it open past the idle timeout.
        start(5_000);
        final Device alice = devices.connect(server, ALICE, "phone");
        await("parks and wakes", () -> Math.min(counters().sessionParks.sum(), counters().sessionWakes.sum()), 4);
        Thread.sleep(6_000);

        assertEquals(0, counters().idleClosed.sum(), "never closed for silence");
        assertEquals(1, counters().loginsSucceeded.sum(), "never reconnected");
        assertEquals(XinClient.State.LOGGED_IN, alice.client.state());
        assertEquals(1, TestDevices.await(alice.client.send(BOB, "after", text("still here"))).getSeq());
    }

    @Test
    void shouldCloseAVanishedParkedSessionAtTheIdleTimeoutAndItsSocket() throws Exception
    {
        start(1_500);
        try (RawClient raw = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            await("parked", counters().sessionsParked::get, 1);
            final long socketsParked = openSockets();

            // The client says nothing more: no ping, no read.
            final Frame error = raw.readUntil(Frame.BodyCase.ERROR, 5_000);
            assertEquals(ErrorCode.IDLE_TIMEOUT, error.getError().getCode());
            assertTrue(raw.closedWithin(5_000));
            await("idle closed", counters().idleClosed::sum, 1);
            await("closed", () -> -counters().sessionsOpen.get(), 0);
            assertEquals(0, counters().sessionsParked.get());
            // The client's own socket is still open here: the switch's end is the one gone.
            assertEquals(socketsParked - 1, openSockets(), "the switch closed the parked session's socket");
        }
    }

    @Test
    void shouldCleanUpAParkedSessionWhoseClientCloses() throws Exception
    {
        start(60_000);
        final long socketsBefore = openSockets();
        final RawClient raw = RawClient.loggedIn(server.port(), server.token(ALICE), "phone");
        await("parked", counters().sessionsParked::get, 1);
        assertEquals(socketsBefore + 2, openSockets(), "both ends of the loopback connection");

        raw.close();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counters().sessionsOpen.get() > 0 && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(5);
        }
        assertEquals(0, counters().sessionsOpen.get());
        assertEquals(0, counters().sessionsParked.get());
        assertEquals(1, counters().sessionWakes.sum(), "woken by the hang-up");
        assertEquals(socketsBefore, openSockets(), "no socket left open");
    }

    @Test
    void shouldAnswerAPingOfAParkedSessionWithAPong() throws Exception
    {
        start(60_000);
        try (RawClient raw = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            for (int i = 1; i <= 3; i++)
            {
                await("parked", counters().sessionParks::sum, i);
                raw.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(100 + i)).build());
                final Frame pong = raw.readUntil(Frame.BodyCase.PONG, 5_000);
                assertEquals(100 + i, pong.getPong().getRequestId());
            }
        }
    }

    @Test
    void shouldSendGoAwayToParkedSessionsAtShutdown() throws Exception
    {
        start(60_000);
        final Device alice = devices.connect(server, ALICE, "phone");
        final Device bob = devices.connect(server, BOB, "phone");
        await("parked", counters().sessionsParked::get, 2);

        server.close();
        assertTrue(alice.goAway.await(WAIT_MS, TimeUnit.MILLISECONDS), "alice told to go away");
        assertTrue(bob.goAway.await(WAIT_MS, TimeUnit.MILLISECONDS), "bob told to go away");
        server = null;
    }

    @Test
    void shouldLoseAndDuplicateNothingWhileManySessionsParkAndWake() throws Exception
    {
        final int users = 500;
        final int messagesPerUser = 4;
        start(60_000);
        final Map<Long, Device> byUser = new ConcurrentHashMap<>();
        for (long user = 1; user <= users; user++)
        {
            byUser.put(user, devices.connect(server, user, "phone"));
        }
        await("most parked", counters().sessionsParked::get, users / 2);

        // Each user sends to a random other, with pauses around the park time so that sessions park and wake
        // while messages flow.
        final Map<Long, List<String>> expected = new ConcurrentHashMap<>();
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int round = 0; round < messagesPerUser; round++)
        {
            for (long user = 1; user <= users; user++)
            {
                final long to = 1 + Math.floorMod(user - 1 + ThreadLocalRandom.current().nextInt(1, users), users);
                final String id = "u" + user + "-r" + round;
                expected.computeIfAbsent(to, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(id);
                acks.add(byUser.get(user).client.send(to, id, text(id)));
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(PARK_IDLE_MS / 2, PARK_IDLE_MS * 3));
        }
        for (final CompletableFuture<SendAck> ack : acks)
        {
            TestDevices.await(ack);
        }
        int received = 0;
        for (long user = 1; user <= users; user++)
        {
            final Device device = byUser.get(user);
            final List<String> wanted = expected.getOrDefault(user, List.of());
            final List<String> got = new ArrayList<>();
            while (got.size() < wanted.size())
            {
                final Message message = device.next();
                if (message.getToUserId() == user && message.getFromUserId() != user)
                {
                    got.add(message.getClientMsgId());
                }
            }
            assertEquals(new java.util.HashSet<>(wanted), new java.util.HashSet<>(got), "user " + user);
            received += got.size();
        }
        Thread.sleep(500);
        for (long user = 1; user <= users; user++)
        {
            for (final Message extra : byUser.get(user).messages)
            {
                assertTrue(extra.getToUserId() != user || extra.getFromUserId() == user,
                    "duplicate delivery to user " + user + ": " + extra.getClientMsgId());
            }
        }
        assertEquals(users * messagesPerUser, received);
        assertEquals(users, counters().sessionsOpen.get());
        assertEquals(users, counters().loginsSucceeded.sum(), "no session was dropped and came back");
        // At least half were parked before the first round, and every user sends in it: each of those woke.
        assertTrue(counters().sessionWakes.sum() >= users / 2, "sessions woke: " + counters().sessionWakes.sum());
    }

    /** Sockets this process holds open, from /proc/self/fd. */
    private static long openSockets() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.filter(fd ->
            {
                try
                {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                }
                catch (final IOException ex)
                {
                    return false;
                }
            }).count();
        }
    }
}
