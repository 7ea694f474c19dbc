package io.xin.core;

import io.xin.core.TestDevices.Device;
import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.JournalBatch;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
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

import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Journal sharding end to end: users hashed to several journal shards exchange messages, each
 * message reaches its recipient's inbox once and in order, a restart with another shard count keeps
 * every inbox, and a hand-off left in the outbox by a crash is appended at the next start.
 */
@Timeout(120)
class JournalShardsIT
{
    private static final int WAIT_MS = TestDevices.WAIT_MS;
    private static final int SHARDS = 4;

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
    void shouldDeliverEveryMessageOnceAndInSenderOrderBetweenUsersOfDifferentShards() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(SHARDS));
        final long[] users = { 1, 2, 3, 4, 5, 6, 7, 8 };
        assertUsersSpanShards(users);
        final Map<Long, Device> online = new HashMap<>();
        for (final long user : users)
        {
            online.put(user, connect(user, "phone"));
        }

        final int perPair = 10;
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < perPair; i++)
        {
            for (final long from : users)
            {
                for (final long to : users)
                {
                    if (from != to)
                    {
                        acks.add(online.get(from).client.send(to, from + "-" + to + "-" + i, text("m" + i)));
                    }
                }
            }
        }
        final Set<Long> msgIds = new HashSet<>();
        for (final CompletableFuture<SendAck> ack : acks)
        {
            final SendAck sendAck = ack.get(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(msgIds.add(sendAck.getMsgId()), "message ids are unique across shards: " + sendAck.getMsgId());
        }

        // Every inbox holds what its user sent and what it was sent: 2 x 7 x perPair entries, seq 1..n.
        final int inboxSize = 2 * (users.length - 1) * perPair;
        for (final long user : users)
        {
            final Device device = online.get(user);
            final Map<Long, Integer> nextFromSender = new HashMap<>();
            final Set<Long> seen = new HashSet<>();
            for (int seq = 1; seq <= inboxSize; seq++)
            {
                final Message message = device.next();
                assertEquals(seq, message.getSeq(), "gapless inbox of user " + user);
                assertTrue(seen.add(message.getMsgId()), "each message once in the inbox of user " + user);
                assertTrue(msgIds.contains(message.getMsgId()));
                if (message.getToUserId() == user && message.getFromUserId() != user)
                {
                    final int expected = nextFromSender.merge(message.getFromUserId(), 1, Integer::sum) - 1;
                    assertEquals(message.getFromUserId() + "-" + user + "-" + expected, message.getClientMsgId(),
                        "messages from one sender arrive in the order they were sent");
                }
            }
            device.assertNothingMore();
            for (final long from : users)
            {
                if (from != user)
                {
                    assertEquals(perPair, nextFromSender.get(from), "every message from " + from + " to " + user);
                }
            }
        }
    }

    @Test
    void shouldKeepEveryInboxWhenRestartedWithAnotherShardCount() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(3));
        final long[] users = { 11, 12, 13, 14, 15, 16 };
        assertUsersSpanShards(users);
        Device first = connect(users[0], "phone");
        long lastMsgId = 0;
        for (int i = 1; i < users.length; i++)
        {
            lastMsgId = Math.max(lastMsgId,
                first.client.send(users[i], "before-" + i, text("before")).get(WAIT_MS, TimeUnit.MILLISECONDS).getMsgId());
        }
        devices.closeClients();
        server.close();

        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(1));
        first = connect(users[0], "phone");
        assertEquals(users.length - 1, first.loginOk.getHeadSeq(), "the sender's copies survived");
        for (int i = 1; i < users.length; i++)
        {
            final SendAck ack = first.client.send(users[i], "after-" + i, text("after")).get(WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(ack.getMsgId() > lastMsgId, "message ids never go back when the shard count changes");
            assertEquals(users.length - 1 + i, ack.getSeq());
        }
        for (int i = 1; i < users.length; i++)
        {
            final Device recipient = connect(users[i], "phone");
            assertEquals(2, recipient.loginOk.getHeadSeq(), "one message from before the restart, one after");
            assertEquals("before-" + i, recipient.next().getClientMsgId());
            assertEquals("after-" + i, recipient.next().getClientMsgId());
        }
    }

    @Test
    void shouldAppendAHandoffLeftInTheOutboxByACrashWhenStarting() throws Exception
    {
        final long sender = 21;
        final long recipient = 22;
        final long msgId = 1_000;
        final Message stored = Message.newBuilder()
            .setMsgId(msgId).setFromUserId(sender).setToUserId(recipient).setFromDeviceId("phone")
            .setClientMsgId("crashed-between-shards").setServerTimeMs(1).setContent(text("survived")).build();
        // What a sender's shard leaves when the switch dies after its write and before the recipient's
        // shard appended the message: the sender's copy, the outbox record and the last msg id.
        try (XinStore store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER));
            JournalBatch batch = store.newBatch())
        {
            batch.putInbox(sender, 1, stored.toByteArray());
            batch.putHead(sender, 1);
            batch.putOutbox(msgId, recipient, stored.toByteArray());
            batch.putLastMsgId(1, msgId);
            store.write(batch);
        }

        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(2));
        final Device device = connect(recipient, "phone");
        final Message message = device.next();
        assertEquals(1, message.getSeq());
        assertEquals(msgId, message.getMsgId());
        assertEquals("survived", message.getContent().getBody().toStringUtf8());
        final SendAck next = connect(sender, "phone").client.send(recipient, "next", text("next"))
            .get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(next.getMsgId() > msgId, "the recovered message id is not reused");
        assertEquals(2, device.next().getSeq());
        devices.closeClients();
        server.close();
        server = null;

        try (XinStore store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)))
        {
            assertEquals(List.of(), store.readOutbox(), "the hand-off was deleted with the append");
            assertEquals(2, store.readHeadSeq(recipient), "appended once, not again at the second start");
        }
    }

    @Test
    void shouldRefuseGroupsAndChannelsWithMoreThanOneShardAndStillCarryOneToOne() throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx.journalShards(2));
        final Device alice = connect(31, "phone");
        final Device bob = connect(32, "phone");
        assertRefused(ErrorCode.NOT_ALLOWED, alice.client.createGroup("family", false, 32));
        assertRefused(ErrorCode.NOT_ALLOWED, alice.client.createChannel("brand"));
        assertRefused(ErrorCode.NOT_ALLOWED, alice.client.sendToGroup(1, "g-1", text("to a group")));
        final SendAck ack = alice.client.send(32, "one-to-one", text("still fine")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, ack.getSeq());
        assertEquals("one-to-one", bob.next().getClientMsgId());
    }

    private static void assertUsersSpanShards(final long[] users)
    {
        final Set<Integer> shards = new HashSet<>();
        for (final long user : users)
        {
            shards.add(JournalShard.of(user, SHARDS));
        }
        assertNotEquals(1, shards.size(), "the test users must live on more than one shard");
    }

    private Device connect(final long userId, final String deviceId) throws Exception
    {
        return devices.connect(server, userId, deviceId);
    }
}
