package io.xin.core;

import io.netty.channel.uring.IoUring;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.xin.core.TestDevices.Device;
import io.xin.core.net.Transport;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The switch's thread options end to end, with real sockets and RocksDB: one ring thread per journal shard
 * (the journal, then the dispatcher, on one thread) and the io_uring transport. Every acknowledged message
 * reaches its recipient's inbox once, gapless and in each sender's order; a resend is a duplicate; a
 * restart keeps everything.
 */
@Timeout(120)
class RingThreadsIT
{
    private static final int WAIT_MS = TestDevices.WAIT_MS;
    private static final long[] USERS = { 11, 12, 13, 14, 15, 16 };
    private static final int PER_PAIR = 25;

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
    void shouldDeliverEveryMessageOnceAndInOrderWhenOneThreadJournalsAndDispatches() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.ringThreads(RingThreads.ONE_THREAD));
        final Map<Long, Device> online = connectAll();

        exchange(online, 0);
        assertInboxes(online, 0);

        // A resend of an acknowledged message is answered as a duplicate and not delivered again.
        final SendAck resend = online.get(USERS[0]).client.send(USERS[1], USERS[0] + "-" + USERS[1] + "-0", text("m0"))
            .get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(resend.getDuplicate());
        online.get(USERS[1]).assertNothingMore();
    }

    @Test
    void shouldKeepEveryAcknowledgedMessageAcrossARestartWhenOneThreadJournalsAndDispatches() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.ringThreads(RingThreads.ONE_THREAD));
        final Map<Long, Device> online = connectAll();
        exchange(online, 0);
        assertInboxes(online, 0);

        server.restart();
        devices.closeClients();
        final Map<Long, Device> again = connectAll();
        final int inboxSize = 2 * (USERS.length - 1) * PER_PAIR;
        for (final long user : USERS)
        {
            assertEquals(inboxSize, again.get(user).loginOk.getHeadSeq(), "head of user " + user + " after a restart");
        }
        // The same devices log in again at the cursor they acknowledged: nothing to sync, the next seq follows.
        exchange(again, inboxSize);
        assertInboxes(again, inboxSize);
    }

    @Test
    void shouldDeliverEveryMessageOnceBetweenShardsWhenEachShardHasOneRingThread() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(3).ringThreads(RingThreads.ONE_THREAD));
        final Map<Long, Device> online = connectAll();
        exchange(online, 0);
        assertInboxes(online, 0);
    }

    @Test
    void shouldDeliverEveryMessageOnceAndInOrderOverIoUring() throws Exception
    {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
        server = new TestSwitch(dataDir, ctx -> ctx.transport(Transport.IO_URING));
        assertEquals(Transport.IO_URING, server.xin().transportName());
        final Map<Long, Device> online = connectAll();
        exchange(online, 0);
        assertInboxes(online, 0);
    }

    private Map<Long, Device> connectAll() throws Exception
    {
        final Map<Long, Device> online = new HashMap<>();
        for (final long user : USERS)
        {
            online.put(user, devices.connect(server, user, "phone"));
        }
        return online;
    }

    /** Every user sends PER_PAIR messages to every other user, all in flight at once. */
    @Test
    void shouldRunRingThreadsAsNettyThreadsSoTheirBuffersComeFromAThreadLocalMagazine() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(2));
        final Map<Long, Device> online = connectAll();
        exchange(online, 0);
        assertInboxes(online, 0);

        // Netty's pooled allocator uses a magazine of the thread's own only on threads that clean up their
        // FastThreadLocals (FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals); other threads share one.
        final List<Thread> ringThreads = new ArrayList<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("xin-ring") && thread.isAlive())
            {
                ringThreads.add(thread);
            }
        }
        assertTrue(ringThreads.size() >= 4, () -> "two ring threads per shard, two shards: " + ringThreads);
        for (final Thread thread : ringThreads)
        {
            assertTrue(FastThreadLocalThread.willCleanupFastThreadLocals(thread), thread::toString);
        }
    }

    private static void exchange(final Map<Long, Device> online, final int headBefore) throws Exception
    {
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < PER_PAIR; i++)
        {
            for (final long from : USERS)
            {
                for (final long to : USERS)
                {
                    if (from != to)
                    {
                        final String id = from + "-" + to + "-" + (headBefore + i);
                        acks.add(online.get(from).client.send(to, id, text("m" + i)));
                    }
                }
            }
        }
        final Set<Long> msgIds = new HashSet<>();
        for (final CompletableFuture<SendAck> ack : acks)
        {
            final SendAck sendAck = ack.get(WAIT_MS, TimeUnit.MILLISECONDS);
            assertFalse(sendAck.getDuplicate());
            assertTrue(msgIds.add(sendAck.getMsgId()), "message ids are unique: " + sendAck.getMsgId());
        }
    }

    /** Each inbox holds seq headBefore+1.. gapless: what the user sent and was sent, each once, in sender order. */
    private static void assertInboxes(final Map<Long, Device> online, final int headBefore) throws Exception
    {
        final int added = 2 * (USERS.length - 1) * PER_PAIR;
        for (final long user : USERS)
        {
            final Device device = online.get(user);
            final Map<Long, Integer> nextFromSender = new HashMap<>();
            final Set<Long> seen = new HashSet<>();
            for (int seq = headBefore + 1; seq <= headBefore + added; seq++)
            {
                final Message message = device.next();
                assertEquals(seq, message.getSeq(), "gapless inbox of user " + user);
                assertTrue(seen.add(message.getMsgId()), "each message once in the inbox of user " + user);
                if (message.getToUserId() == user)
                {
                    final int expected = nextFromSender.merge(message.getFromUserId(), 1, Integer::sum) - 1;
                    assertEquals(message.getFromUserId() + "-" + user + "-" + (headBefore + expected),
                        message.getClientMsgId(), "messages from one sender arrive in the order they were sent");
                }
            }
            device.assertNothingMore();
            for (final long from : USERS)
            {
                if (from != user)
                {
                    assertEquals(PER_PAIR, nextFromSender.get(from), "every message from " + from + " to " + user);
                }
            }
        }
    }
}
