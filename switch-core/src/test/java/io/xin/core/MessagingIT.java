package io.xin.core;

import io.xin.client.XinClient;
import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end over real sockets, a real RocksDB and the real client: delivery online and offline,
 * idempotent sends, ordering, multi-device fan-out and cursors, kicks, and restart.
 */
@Timeout(120)
class MessagingIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final long CAROL = 3;
    private static final int WAIT_MS = 10_000;

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

    @Test
    void shouldPushMessageToOnlineRecipientAtOnce() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device alice = connect(ALICE, "phone");
        final Device bob = connect(BOB, "phone");

        final SendAck ack = alice.client.send(BOB, "m-1", text("hello bob")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, ack.getSeq(), "first message in alice's own inbox");
        assertTrue(ack.getMsgId() > 0);
        assertTrue(!ack.getDuplicate());

        final Message message = bob.next();
        assertEquals(1, message.getSeq());
        assertEquals(ack.getMsgId(), message.getMsgId());
        assertEquals(ALICE, message.getFromUserId());
        assertEquals(BOB, message.getToUserId());
        assertEquals("phone", message.getFromDeviceId());
        assertEquals("m-1", message.getClientMsgId());
        assertEquals("hello bob", message.getContent().getBody().toStringUtf8());

        // Alice's inbox holds her own copy at seq 1 (told by the ack) and Bob's reply at seq 2,
        // pushed: a conversation needs no sync.
        bob.client.send(ALICE, "m-2", text("hello alice")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        final Message own = alice.next();
        assertEquals(1, own.getSeq());
        assertEquals("m-1", own.getClientMsgId());
        final Message reply = alice.next();
        assertEquals(2, reply.getSeq());
        assertEquals(BOB, reply.getFromUserId());
        assertEquals(0, server.xin().counters().syncsServed.sum(), "no sync was needed");
    }

    @Test
    void shouldDeliverOfflineMessagesBySyncAfterReconnect() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device alice = connect(ALICE, "phone");
        for (int i = 1; i <= 5; i++)
        {
            alice.client.send(CAROL, "offline-" + i, text("msg " + i)).get(WAIT_MS, TimeUnit.MILLISECONDS);
        }

        final Device carol = connect(CAROL, "phone");
        assertEquals(5, carol.loginOk.getHeadSeq());
        for (int i = 1; i <= 5; i++)
        {
            final Message message = carol.next();
            assertEquals(i, message.getSeq());
            assertEquals("msg " + i, message.getContent().getBody().toStringUtf8());
        }
        carol.assertNothingMore();
    }

    @Test
    void shouldStoreResendOnceAndReackWithOriginalIds() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device alice = connect(ALICE, "phone");
        final Device bob = connect(BOB, "phone");

        final SendAck first = alice.client.send(BOB, "same-id", text("once")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        final SendAck second = alice.client.send(BOB, "same-id", text("once")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(second.getDuplicate());
        assertEquals(first.getMsgId(), second.getMsgId());
        assertEquals(first.getSeq(), second.getSeq());
        assertEquals(first.getServerTimeMs(), second.getServerTimeMs());

        assertEquals(1, bob.next().getSeq());
        bob.assertNothingMore();

        // Still recognised after a restart: the dedupe index is durable.
        server.restart();
        alice.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        final SendAck third = alice.client.send(BOB, "same-id", text("once")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(third.getDuplicate());
        assertEquals(first.getMsgId(), third.getMsgId());
        final SendAck next = alice.client.send(BOB, "other-id", text("twice")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(first.getSeq() + 1, next.getSeq());
    }

    @Test
    void shouldKeepPerPairOrderAcrossTenThousandMessagesFromSeveralSenders() throws Exception
    {
        assertPerPairOrder(4, 2_500, 16_384, 2_500);
    }

    @Test
    void shouldKeepPerPairOrderWhenSendsAreRefusedAsBusy() throws Exception
    {
        assertPerPairOrder(3, 1_000, 64, 16);
        // Push-back holds most sends in TCP (reading paused at the in-flight limit); BUSY takes the rest.
        assertTrue(server.xin().counters().busyRejections.sum() + server.xin().counters().readsPaused.sum() > 0,
            "the limits must have held sends back");
    }

    private void assertPerPairOrder(final int senders, final int perSender, final int ringSize, final int maxInFlight)
        throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.ringSize(ringSize).maxInFlightSendsPerSession(maxInFlight)
            .busyRetryAfterMs(20));
        final Device bob = connect(BOB, "phone");
        final List<Device> devices = new ArrayList<>();
        for (int s = 0; s < senders; s++)
        {
            devices.add(connect(100 + s, "phone"));
        }

        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < perSender; i++)
        {
            for (int s = 0; s < senders; s++)
            {
                acks.add(devices.get(s).client.send(BOB, "o-" + i, text(Integer.toString(i))));
            }
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        final Map<Long, Integer> lastIndexBySender = new HashMap<>();
        for (int n = 1; n <= senders * perSender; n++)
        {
            final Message message = bob.next();
            assertEquals(n, message.getSeq(), "gapless inbox");
            final int index = Integer.parseInt(message.getContent().getBody().toStringUtf8());
            final Integer previous = lastIndexBySender.put(message.getFromUserId(), index);
            assertEquals(previous == null ? 0 : previous + 1, index, "order from sender " + message.getFromUserId());
        }
        bob.assertNothingMore();
    }

    @Test
    void shouldFanOutToEveryDeviceAndKeepACursorPerDevice() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device alicePhone = connect(ALICE, "phone");
        final Device aliceTablet = connect(ALICE, "tablet");
        final Device bobPhone = connect(BOB, "phone");
        final Device bobLaptop = connect(BOB, "laptop", false);

        final SendAck ack = alicePhone.client.send(BOB, "fan-1", text("to all of bob")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, bobPhone.next().getSeq());
        assertEquals(1, bobLaptop.next().getSeq());
        final Message copy = aliceTablet.next();
        assertEquals(ack.getSeq(), copy.getSeq(), "the sender's other device gets the sender's copy");
        assertEquals(ack.getMsgId(), copy.getMsgId());
        assertEquals(ack.getSeq(), alicePhone.next().getSeq(), "the sending device has its copy from the ack");
        alicePhone.assertNothingMore();

        // The phone acknowledges automatically; the laptop never does.
        awaitCursor(BOB, "phone", 1);
        bobPhone.client.close();
        bobLaptop.client.close();
        assertEquals(1, connect(BOB, "phone").loginOk.getCursorSeq());
        assertEquals(0, connect(BOB, "laptop", false).loginOk.getCursorSeq());
    }

    @Test
    void shouldKickFirstConnectionOnDuplicateDeviceLogin() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device first = connect(BOB, "phone");
        final Device second = connect(BOB, "phone");
        assertTrue(first.kicked.await(WAIT_MS, TimeUnit.MILLISECONDS), "first connection kicked");
        assertEquals(XinClient.State.KICKED, first.client.state());

        final Device alice = connect(ALICE, "phone");
        alice.client.send(BOB, "k-1", text("who gets this?")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, second.next().getSeq());
        assertNull(first.messages.poll(300, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldKeepEveryAckedMessageAcrossRestartAndContinueSeq() throws Exception
    {
        server = new TestSwitch(dataDir);
        final Device alice = connect(ALICE, "phone");
        final int count = 200;
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            acks.add(alice.client.send(CAROL, "r-" + i, text("r" + i)));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        final long lastMsgId = acks.get(count - 1).get().getMsgId();

        server.restart();
        assertTrue(alice.goAway.await(WAIT_MS, TimeUnit.MILLISECONDS), "clients are told to go away on stop");

        final Device carol = connect(CAROL, "phone");
        assertEquals(count, carol.loginOk.getHeadSeq());
        for (int i = 0; i < count; i++)
        {
            final Message message = carol.next();
            assertEquals(i + 1, message.getSeq());
            assertEquals("r" + i, message.getContent().getBody().toStringUtf8());
        }

        alice.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        final SendAck after = alice.client.send(CAROL, "after-restart", text("after")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(count + 1, after.getSeq(), "seq continues without gap or reuse");
        assertTrue(after.getMsgId() > lastMsgId, "message ids are never reused");
        assertEquals(count + 1, carol.next().getSeq());
    }

    @Test
    void shouldTellEveryClientToGoAwayWhileTheyAreStillSending() throws Exception
    {
        server = new TestSwitch(dataDir);
        final int rounds = 3;
        final int pairs = 3;
        for (int round = 0; round < rounds; round++)
        {
            // Each client sends without pause to its partner, so its sends are still arriving when the switch
            // closes the connection: the GoAway written before must reach it anyway.
            final List<Device> clients = new ArrayList<>();
            for (int i = 0; i < 2 * pairs; i++)
            {
                clients.add(connect(100 + i, "round-" + round));
            }
            final AtomicBoolean stop = new AtomicBoolean();
            final List<Thread> senders = new ArrayList<>();
            final AtomicLong acked = new AtomicLong();
            for (int i = 0; i < clients.size(); i++)
            {
                final XinClient client = clients.get(i).client;
                final long partner = 100 + (i ^ 1);
                final String prefix = "round-" + round + "-" + i + "-";
                senders.add(TestDevices.startSender(client, partner, prefix, stop, acked));
            }
            final long deadline = System.currentTimeMillis() + WAIT_MS;
            while (acked.get() < 500 && System.currentTimeMillis() < deadline)
            {
                Thread.sleep(5);
            }
            assertTrue(acked.get() >= 500, "acked before the stop: " + acked.get());

            server.restart();
            for (final Device device : clients)
            {
                assertTrue(device.goAway.await(WAIT_MS, TimeUnit.MILLISECONDS),
                    "round " + round + ": GoAway for user " + device.loginOk.getUserId());
            }
            stop.set(true);
            for (final Thread sender : senders)
            {
                sender.join(WAIT_MS);
            }
            devices.closeClients();
        }
    }

    private void awaitCursor(final long userId, final String deviceId, final long expected) throws Exception
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline)
        {
            // The stored cursor itself: the counter counts every device's cursor, and the client sends its
            // Ack a moment after the message, so an earlier Ack of another device must not count.
            if (server.xin().store().readCursor(userId, deviceId.getBytes(StandardCharsets.UTF_8)) >= expected)
            {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("cursor of " + userId + "/" + deviceId + " never reached " + expected);
    }

    private Device connect(final long userId, final String deviceId) throws Exception
    {
        return devices.connect(server, userId, deviceId);
    }

    private Device connect(final long userId, final String deviceId, final boolean autoAck) throws Exception
    {
        return devices.connect(server, userId, deviceId, autoAck);
    }
}
