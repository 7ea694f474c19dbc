package io.xin.cluster;

import io.xin.client.XinClient;
import io.xin.core.RawClient;
import io.xin.core.TestSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A paused owner cannot append after its shard moved: node A, stopped with SIGSTOP while it owns a user's shard,
 * loses the shard to node B once its group session runs out; B takes the user's sends. When A runs again, the
 * sends its old connections carry (one waiting in the socket while A was stopped, one written right after SIGCONT)
 * are never acknowledged and never stored: A's producer of the shard was fenced by B's.
 */
@Tag("cluster")
@Tag("slow")
@Timeout(240)
class ClusterFencingIT
{
    private static final int PARTITIONS = 4;
    private static final long WAIT_MS = 60_000;
    /** How long an old connection of A is watched after SIGCONT for an ack that must not come. */
    private static final int WATCH_MS = 20_000;

    @TempDir
    Path dir;

    @Test
    void shouldNotLetAPausedOwnerAppendAfterItsShardMoved() throws Exception
    {
        final TokenIssuer issuer = new TokenIssuer(TestSwitch.SECRET);
        try (KafkaTestCluster kafka = KafkaTestCluster.single();
            ClusterProcess a = new ClusterProcess(kafka.bootstrapServers(), "fence", "a", PARTITIONS,
                Files.createDirectories(dir.resolve("a")), dir);
            ClusterProcess b = new ClusterProcess(kafka.bootstrapServers(), "fence", "b", PARTITIONS,
                Files.createDirectories(dir.resolve("b")), dir))
        {
            try
            {
                a.start();
                b.start();
                ClusterProcess.awaitBalanced(List.of(a, b), PARTITIONS, WAIT_MS);
                final long user = userOwnedBy(a, 1);
                final long peer = userOwnedBy(b, 1_000);
                final int shard = JournalShard.of(user, PARTITIONS);
                final String token = issuer.issue(user, Duration.ofHours(1));
                final Set<String> acked = new HashSet<>();

                final RawClient stale = RawClient.loggedIn(a.port(), token, "stale");
                final RawClient late = RawClient.loggedIn(a.port(), token, "late");
                stale.send(RawClient.text(1, peer, "on-a", "stored by a"));
                final Frame first = stale.readUntil(Frame.BodyCase.SEND_ACK, 15_000);
                assertFalse(first.getSendAck().getDuplicate());
                acked.add("on-a");

                a.pause();
                awaitOwner(b, shard);
                // Waits in the socket until A runs again, then reaches A's journal at once.
                stale.send(RawClient.text(2, peer, "stale-1", "must not be stored"));
                final List<InetSocketAddress> viaB = List.of(new InetSocketAddress("127.0.0.1", b.port()));
                try (XinClient onB = client(viaB, token, "phone"))
                {
                    onB.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
                    for (int i = 1; i <= 5; i++)
                    {
                        final SendAck ack = onB.send(peer, "on-b-" + i, text("stored by b " + i))
                            .get(WAIT_MS, TimeUnit.MILLISECONDS);
                        assertFalse(ack.getDuplicate());
                        assertEquals(1 + i, ack.getSeq(), "B continues the inbox A wrote");
                        acked.add("on-b-" + i);
                    }
                }

                a.resume();
                late.send(RawClient.text(1, peer, "late-1", "must not be stored either"));
                final List<String> staleSaw = watch(stale);
                final List<String> lateSaw = watch(late);
                System.out.printf("FENCING shard=%d user=%d stale connection saw %s; late connection saw %s%n",
                    shard, user, staleSaw, lateSaw);
                assertFalse(staleSaw.contains(Frame.BodyCase.SEND_ACK.toString()), staleSaw.toString());
                assertFalse(lateSaw.contains(Frame.BodyCase.SEND_ACK.toString()), lateSaw.toString());
                assertTrue(staleSaw.get(staleSaw.size() - 1).startsWith("closed"), "A let the connection go: " +
                    staleSaw);
                assertTrue(lateSaw.get(lateSaw.size() - 1).startsWith("closed"), "A let the connection go: " +
                    lateSaw);
                stale.close();
                late.close();

                // A runs again and takes its share back; the user's inbox, wherever it is served now.
                ClusterProcess.awaitBalanced(List.of(a, b), PARTITIONS, WAIT_MS);
                final List<InetSocketAddress> seeds = List.of(
                    new InetSocketAddress("127.0.0.1", a.port()), new InetSocketAddress("127.0.0.1", b.port()));
                try (XinClient reader = client(seeds, token, "reader");
                    XinClient peerReader = client(seeds, issuer.issue(peer, Duration.ofHours(1)), "reader"))
                {
                    reader.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertInbox(reader, user, acked);
                    peerReader.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertInbox(peerReader, user, acked);
                    final SendAck next = reader.send(peer, "after", text("after")).get(WAIT_MS, TimeUnit.MILLISECONDS);
                    assertEquals(acked.size() + 1, next.getSeq(), "no seq was handed out twice");
                }
            }
            catch (final Throwable ex)
            {
                a.printLogs(200);
                b.printLogs(200);
                throw ex;
            }
        }
    }

    private static XinClient client(final List<InetSocketAddress> seeds, final String token, final String deviceId)
    {
        return XinClient.builder()
            .addresses(seeds)
            .token(token)
            .deviceId(deviceId)
            .reconnectInitialDelayMs(20)
            .reconnectMaxDelayMs(250)
            .build();
    }

    /**
     * Reads what an old connection of A gets until it is closed or {@link #WATCH_MS} pass: the frames' kinds (an
     * error with its code, a kick with its reason), then "closed" or "open".
     */
    private static List<String> watch(final RawClient connection) throws IOException
    {
        final List<String> saw = new ArrayList<>();
        final long deadline = System.currentTimeMillis() + WATCH_MS;
        while (true)
        {
            final int remaining = (int)(deadline - System.currentTimeMillis());
            if (remaining <= 0)
            {
                saw.add("open");
                return saw;
            }
            try
            {
                final Frame frame = connection.read(remaining);
                saw.add(frame.hasError() ? "ERROR " + frame.getError().getCode() :
                    frame.hasKicked() ? "KICKED " + frame.getKicked().getReason() : frame.getBodyCase().toString());
            }
            catch (final SocketTimeoutException ex)
            {
                saw.add("open");
                return saw;
            }
            catch (final EOFException ex)
            {
                saw.add("closed");
                return saw;
            }
            catch (final IOException ex)
            {
                saw.add("closed (" + ex.getMessage() + ")");
                return saw;
            }
        }
    }

    /**
     * The inbox holds exactly the acknowledged sends of {@code from}, each once, at seqs 1..head. A recipient's copies
     * arrive through the hand-off queue after the sender's acks, so its head is waited for first (bounded).
     */
    private static void assertInbox(final XinClient reader, final long from, final Set<String> acked) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        SyncResult page = reader.sync(0, 0).get(WAIT_MS, TimeUnit.MILLISECONDS);
        while (page.getHeadSeq() < acked.size() && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(20);
            page = reader.sync(0, 0).get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        assertFalse(page.getHasMore());
        assertEquals(acked.size(), page.getHeadSeq(), "the head counts the acknowledged messages only");
        final Set<String> stored = new HashSet<>();
        long seq = 0;
        for (final Message message : page.getMessagesList())
        {
            assertEquals(++seq, message.getSeq(), "gapless, each seq once");
            assertEquals(from, message.getFromUserId());
            assertTrue(stored.add(message.getClientMsgId()), "stored once: " + message.getClientMsgId());
        }
        assertEquals(acked, stored);
    }

    private static void awaitOwner(final ClusterProcess node, final int shard) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!node.owned().contains(shard))
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError(node.nodeId() + " did not take shard " + shard + ": owns " + node.owned());
            }
            Thread.sleep(10);
        }
    }

    private static long userOwnedBy(final ClusterProcess node, final long from)
    {
        final List<Integer> shards = node.owned();
        for (long user = from; ; user++)
        {
            if (shards.contains(JournalShard.of(user, PARTITIONS)))
            {
                return user;
            }
        }
    }
}
