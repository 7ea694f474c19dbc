package io.xin.cluster;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.core.TestSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 of cluster nodes under load, again and again: three nodes in child JVMs over one Kafka broker in this
 * JVM, clients that know every node (seeds) sending 1:1 messages between users of every shard, and one node at a
 * time killed with SIGKILL, its shards taken over by the others once its group session runs out, then started
 * again on its data dir and port, taking its share of the shards back. Each round measures failover: from the
 * kill until every sender whose shard the killed node owned has a send acknowledged again. At the end every
 * acknowledged message must be in its recipient's and its sender's inbox exactly once, every inbox gapless, each
 * (sender, recipient) pair in send order, and a resend of an acknowledged client_msg_id must name the original.
 */
@Tag("cluster")
@Tag("slow")
@Timeout(600)
class ClusterKillIT
{
    /** At least 10 in CI; -Dxin.cluster.kill.rounds=50 for a longer run. */
    static final int ROUNDS = Integer.getInteger("xin.cluster.kill.rounds", 10);
    private static final int NODES = 3;
    /** Two shards a node: every node owns some, so every kill moves shards. */
    private static final int PARTITIONS = 6;
    /** Sends each sender keeps unacknowledged at most. */
    private static final int WINDOW = 8;
    /** Pause between two sends of one sender: about 25 a second each, 150 for the load. */
    private static final long SEND_PAUSE_MS = 40;
    private static final int RESENDS = 60;
    private static final long WAIT_MS = 60_000;

    @TempDir
    Path dir;

    /** What one sender sent, in issue order, and the ack it got. */
    static final class Sent
    {
        final long to;
        final String clientMsgId;
        volatile SendAck ack;
        volatile Throwable failure;

        Sent(final long to, final String clientMsgId)
        {
            this.to = to;
            this.clientMsgId = clientMsgId;
        }
    }

    /** One sending user: its client, its record, and the times of its acks around a kill. */
    static final class Sender implements XinClient.Listener
    {
        final long userId;
        final ConcurrentLinkedQueue<Sent> sent = new ConcurrentLinkedQueue<>();
        XinClient client;
        /** Set by the test before a kill; the client's loop counts logins and acks after it. */
        volatile boolean watching;
        /** Owned by the client's loop while watching: a login came after the kill. */
        volatile boolean loggedInAgain;
        /** Owned by the client's loop: nanoTime of the first ack after the login after the kill, 0 before. */
        volatile long firstAckAfterKillNs;
        /** Owned by the client's loop: nanoTime of the latest ack. */
        volatile long lastAckNs;

        Sender(final long userId)
        {
            this.userId = userId;
        }

        void watch()
        {
            loggedInAgain = false;
            firstAckAfterKillNs = 0;
            watching = true;
        }

        @Override
        public void onLogin(final LoginOk ok)
        {
            if (watching)
            {
                // The killed node cannot log anyone in: an ack after this comes from the shard's new owner.
                loggedInAgain = true;
            }
        }

        @Override
        public void onSendAck(final SendAck ack)
        {
            final long now = System.nanoTime();
            lastAckNs = now;
            if (watching && loggedInAgain && firstAckAfterKillNs == 0)
            {
                firstAckAfterKillNs = now;
            }
        }
    }

    @Test
    void shouldLoseNothingAcknowledgedWhenNodesAreKilledUnderLoad() throws Exception
    {
        final long startNs = System.nanoTime();
        final List<Long> failoverMs = new ArrayList<>();
        final List<Long> rejoinMs = new ArrayList<>();
        final TokenIssuer issuer = new TokenIssuer(TestSwitch.SECRET);
        final List<Long> senderIds = oneUserPerShard(1);
        final List<Long> recipientIds = oneUserPerShard(1_000);
        final List<Sender> senders = new ArrayList<>();
        final List<ClusterProcess> nodes = new ArrayList<>();
        final List<Thread> drivers = new ArrayList<>();
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        final AtomicBoolean sending = new AtomicBoolean(true);
        try (KafkaTestCluster kafka = KafkaTestCluster.single())
        {
            try
            {
                for (int i = 1; i <= NODES; i++)
                {
                    final ClusterProcess node = new ClusterProcess(kafka.bootstrapServers(), "kill", "node-" + i,
                        PARTITIONS, Files.createDirectories(dir.resolve("node-" + i)), dir);
                    nodes.add(node);
                    node.start();
                }
                ClusterProcess.awaitBalanced(nodes, PARTITIONS, WAIT_MS);
                final List<InetSocketAddress> seeds = new ArrayList<>();
                for (final ClusterProcess node : nodes)
                {
                    seeds.add(new InetSocketAddress("127.0.0.1", node.port()));
                }

                for (final long userId : senderIds)
                {
                    final Sender sender = new Sender(userId);
                    sender.client = client(seeds, issuer, userId, "phone", group, sender);
                    senders.add(sender);
                    sender.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
                }
                for (final Sender sender : senders)
                {
                    final Thread driver = new Thread(() -> drive(sender, recipientIds, sending), "send-" +
                        sender.userId);
                    driver.setDaemon(true);
                    drivers.add(driver);
                    driver.start();
                }

                for (int round = 1; round <= ROUNDS; round++)
                {
                    awaitAllSending(senders, System.nanoTime());
                    // Somewhere in the stream of sends, not right after the load settled.
                    Thread.sleep(ThreadLocalRandom.current().nextInt(100, 600));
                    final ClusterProcess victim = nodes.get((round - 1) % NODES);
                    final List<Integer> shards = victim.owned();
                    final List<Sender> affected = new ArrayList<>();
                    for (final Sender sender : senders)
                    {
                        if (shards.contains(JournalShard.of(sender.userId, PARTITIONS)))
                        {
                            sender.watch();
                            affected.add(sender);
                        }
                    }
                    assertTrue(!affected.isEmpty(), victim.nodeId() + " owns senders' shards " + shards);
                    final long killNs = System.nanoTime();
                    victim.kill();
                    final long failover = awaitFailover(affected, killNs);
                    failoverMs.add(failover);
                    for (final Sender sender : affected)
                    {
                        sender.watching = false;
                    }

                    final long restartNs = System.nanoTime();
                    victim.start();
                    ClusterProcess.awaitBalanced(nodes, PARTITIONS, WAIT_MS);
                    awaitAllSending(senders, System.nanoTime());
                    final long rejoin = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartNs);
                    rejoinMs.add(rejoin);
                    System.out.printf("CLUSTER-KILL round=%d killed=%s shards=%s senders=%d failover=%d ms " +
                        "restart-to-balanced=%d ms acked=%d%n", round, victim.nodeId(), shards, affected.size(),
                        failover, rejoin, acked(senders));
                }

                sending.set(false);
                for (final Thread driver : drivers)
                {
                    driver.join(WAIT_MS);
                }
                awaitAllAnswered(senders);

                final Map<Long, Inbox> inboxes = new HashMap<>();
                final List<XinClient> readers = new ArrayList<>();
                try
                {
                    final List<Long> users = new ArrayList<>(senderIds);
                    users.addAll(recipientIds);
                    for (final long userId : users)
                    {
                        final XinClient reader = client(seeds, issuer, userId, "check", group,
                            new XinClient.Listener()
                            {
                            });
                        readers.add(reader);
                        reader.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
                        inboxes.put(userId, readInbox(reader));
                    }
                }
                finally
                {
                    readers.forEach(XinClient::close);
                }
                final Report report = check(senders, inboxes);
                final int resent = checkResends(senders);
                final List<Long> sorted = new ArrayList<>(failoverMs);
                Collections.sort(sorted);
                System.out.printf("CLUSTER-KILL rounds=%d partitions=%d nodes=%d senders=%d issued=%d %s " +
                    "resends-checked=%d failover ms min=%d median=%d max=%d all=%s restart-to-balanced ms=%s " +
                    "time=%d ms%n", ROUNDS, PARTITIONS, NODES, senders.size(), issued(senders), report, resent,
                    sorted.get(0), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), failoverMs,
                    rejoinMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));

                assertEquals(NODES + ROUNDS, nodes.stream().mapToInt(ClusterProcess::starts).sum());
                assertTrue(report.acked > ROUNDS * 10L, "the load ran: " + report);
                assertEquals(issued(senders), report.acked, "every send is acknowledged in the end");
                assertTrue(report.clean(), report.toString());
                assertEquals(RESENDS, resent);
            }
            catch (final Throwable ex)
            {
                nodes.forEach(node -> node.printLogs(300));
                throw ex;
            }
            finally
            {
                sending.set(false);
                senders.forEach(sender -> sender.client.close());
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
                for (final ClusterProcess node : nodes)
                {
                    node.close();
                }
            }
        }
    }

    /** One user for each shard, the smallest from {@code from} up. */
    private static List<Long> oneUserPerShard(final long from)
    {
        final Map<Integer, Long> byShard = new HashMap<>();
        for (long user = from; byShard.size() < PARTITIONS; user++)
        {
            byShard.putIfAbsent(JournalShard.of(user, PARTITIONS), user);
        }
        final List<Long> users = new ArrayList<>(byShard.values());
        Collections.sort(users);
        return users;
    }

    private static XinClient client(
        final List<InetSocketAddress> seeds, final TokenIssuer issuer, final long userId, final String deviceId,
        final EventLoopGroup group, final XinClient.Listener listener)
    {
        final String token = issuer.issue(userId, Duration.ofHours(1));
        return XinClient.builder()
            .addresses(seeds)
            .token(token)
            .deviceId(deviceId)
            .eventLoopGroup(group)
            .listener(listener)
            .autoReconnect(true)
            .reconnectInitialDelayMs(20)
            .reconnectMaxDelayMs(250)
            .build();
    }

    /** Sends to the recipients in turn, at most {@link #WINDOW} unacknowledged, until told to stop. */
    private static void drive(final Sender sender, final List<Long> recipients, final AtomicBoolean sending)
    {
        final Semaphore inFlight = new Semaphore(WINDOW);
        long n = 0;
        try
        {
            while (sending.get())
            {
                if (!inFlight.tryAcquire(50, TimeUnit.MILLISECONDS))
                {
                    continue;
                }
                final Sent sent = new Sent(recipients.get((int)(n % recipients.size())), "s" + sender.userId + "-" + n);
                n++;
                sender.sent.add(sent);
                sender.client.send(sent.to, sent.clientMsgId, text(sent.clientMsgId)).whenComplete((ack, failure) ->
                {
                    sent.ack = ack;
                    sent.failure = failure;
                    inFlight.release();
                });
                // Pacing the load, not waiting for anything.
                Thread.sleep(SEND_PAUSE_MS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every sender has had a send acknowledged after {@code sinceNs}. */
    private static void awaitAllSending(final List<Sender> senders, final long sinceNs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        for (final Sender sender : senders)
        {
            while (sender.lastAckNs - sinceNs <= 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new AssertionError("sender " + sender.userId + " has no ack since the nodes settled: " +
                        sender.client);
                }
                Thread.sleep(5);
            }
        }
    }

    /** Waits until every affected sender is acknowledged again; the time from the kill to the last of them. */
    private static long awaitFailover(final List<Sender> affected, final long killNs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        long last = killNs;
        for (final Sender sender : affected)
        {
            while (sender.firstAckAfterKillNs == 0)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new AssertionError("sender " + sender.userId + " was not acknowledged again after the " +
                        "kill: " + sender.client);
                }
                Thread.sleep(5);
            }
            last = Math.max(last, sender.firstAckAfterKillNs);
        }
        return TimeUnit.NANOSECONDS.toMillis(last - killNs);
    }

    private static void awaitAllAnswered(final List<Sender> senders) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        for (final Sender sender : senders)
        {
            for (final Sent sent : sender.sent)
            {
                while (sent.ack == null && sent.failure == null)
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new AssertionError("send not answered: " + sent.clientMsgId + " " + sender.client);
                    }
                    Thread.sleep(5);
                }
            }
        }
    }

    private static long acked(final List<Sender> senders)
    {
        long acked = 0;
        for (final Sender sender : senders)
        {
            for (final Sent sent : sender.sent)
            {
                if (sent.ack != null)
                {
                    acked++;
                }
            }
        }
        return acked;
    }

    private static long issued(final List<Sender> senders)
    {
        long issued = 0;
        for (final Sender sender : senders)
        {
            issued += sender.sent.size();
        }
        return issued;
    }

    /** One user's inbox as read at the end: its messages by seq and its head. */
    record Inbox(long head, Map<Long, Message> bySeq)
    {
    }

    /** The whole inbox, through raw sync pages from the user's owner. */
    private static Inbox readInbox(final XinClient reader) throws Exception
    {
        final Map<Long, Message> inbox = new HashMap<>();
        long after = 0;
        long head;
        while (true)
        {
            final SyncResult page = syncPage(reader, after);
            for (final Message message : page.getMessagesList())
            {
                if (inbox.put(message.getSeq(), message) != null)
                {
                    throw new AssertionError("seq " + message.getSeq() + " paged twice");
                }
            }
            after = page.getLastSeq();
            head = page.getHeadSeq();
            if (!page.getHasMore())
            {
                break;
            }
        }
        return new Inbox(head, inbox);
    }

    /** One raw sync page; BUSY (the client's own catch-up sync in flight) is asked again. */
    private static SyncResult syncPage(final XinClient client, final long after) throws Exception
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return client.sync(after, 0).get(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final ExecutionException ex)
            {
                if (attempt > 500 || !(ex.getCause() instanceof XinClientException busy) ||
                    busy.code() != ErrorCode.BUSY)
                {
                    throw ex;
                }
                Thread.sleep(20);
            }
        }
    }

    /** What the check found. */
    record Report(
        long acked, long lost, long duplicated, long gaps, long outOfOrder, long wrongSeq, long wrongMsgId,
        long failed, long reusedMsgIds)
    {
        boolean clean()
        {
            return lost == 0 && duplicated == 0 && gaps == 0 && outOfOrder == 0 && wrongSeq == 0 &&
                wrongMsgId == 0 && failed == 0 && reusedMsgIds == 0;
        }
    }

    private static Report check(final List<Sender> senders, final Map<Long, Inbox> inboxes)
    {
        long gaps = 0;
        // Per inbox: (from user, client_msg_id) -> the seqs holding it.
        final Map<Long, Map<String, List<Long>>> byKey = new HashMap<>();
        for (final Map.Entry<Long, Inbox> entry : inboxes.entrySet())
        {
            final Map<Long, Message> inbox = entry.getValue().bySeq();
            final long head = entry.getValue().head();
            final Map<String, List<Long>> keys = new HashMap<>();
            for (long seq = 1; seq <= head; seq++)
            {
                final Message message = inbox.get(seq);
                if (message == null)
                {
                    gaps++;
                    continue;
                }
                keys.computeIfAbsent(message.getFromUserId() + "/" + message.getClientMsgId(), k -> new ArrayList<>())
                    .add(seq);
            }
            // Seqs beyond the head would be a head gone backwards.
            gaps += Math.max(0, inbox.size() - head);
            byKey.put(entry.getKey(), keys);
        }

        long acked = 0;
        long lost = 0;
        long outOfOrder = 0;
        long wrongSeq = 0;
        long wrongMsgId = 0;
        long failed = 0;
        for (final Sender sender : senders)
        {
            final Map<Long, long[]> lastOfPair = new HashMap<>();
            for (final Sent sent : sender.sent)
            {
                if (sent.failure != null)
                {
                    failed++;
                    continue;
                }
                if (sent.ack == null)
                {
                    continue;
                }
                acked++;
                final String key = sender.userId + "/" + sent.clientMsgId;
                final List<Long> inSender = byKey.get(sender.userId).getOrDefault(key, List.of());
                final List<Long> inRecipient = byKey.get(sent.to).getOrDefault(key, List.of());
                if (inSender.isEmpty() || inRecipient.isEmpty())
                {
                    lost++;
                    continue;
                }
                if (inSender.get(0) != sent.ack.getSeq())
                {
                    wrongSeq++;
                }
                final long senderMsgId = inboxes.get(sender.userId).bySeq().get(inSender.get(0)).getMsgId();
                final long recipientMsgId = inboxes.get(sent.to).bySeq().get(inRecipient.get(0)).getMsgId();
                if (senderMsgId != sent.ack.getMsgId() || recipientMsgId != sent.ack.getMsgId())
                {
                    wrongMsgId++;
                }
                // Per pair: the recipient's seqs and the msg ids both grow in send order.
                final long[] previous = lastOfPair.put(sent.to, new long[]{ inRecipient.get(0), sent.ack.getMsgId() });
                if (previous != null && (previous[0] >= inRecipient.get(0) || previous[1] >= sent.ack.getMsgId()))
                {
                    outOfOrder++;
                }
            }
        }
        long duplicated = 0;
        for (final Map<String, List<Long>> keys : byKey.values())
        {
            for (final List<Long> seqs : keys.values())
            {
                duplicated += seqs.size() - 1;
            }
        }
        final Map<Long, String> keyOfMsgId = new HashMap<>();
        long reusedMsgIds = 0;
        for (final Inbox inbox : inboxes.values())
        {
            for (final Message m : inbox.bySeq().values())
            {
                final String key = m.getFromUserId() + "/" + m.getClientMsgId();
                final String earlier = keyOfMsgId.putIfAbsent(m.getMsgId(), key);
                if (earlier != null && !earlier.equals(key))
                {
                    reusedMsgIds++;
                }
            }
        }
        return new Report(acked, lost, duplicated, gaps, outOfOrder, wrongSeq, wrongMsgId, failed, reusedMsgIds);
    }

    /**
     * Resends acknowledged client_msg_ids, spread over every sender and the whole run: each must be answered as a
     * duplicate with the original msg_id and seq.
     *
     * @return how many were checked.
     */
    private static int checkResends(final List<Sender> senders) throws Exception
    {
        int checked = 0;
        final int perSender = RESENDS / senders.size();
        for (final Sender sender : senders)
        {
            final List<Sent> sent = new ArrayList<>(sender.sent);
            for (int i = 0; i < perSender; i++)
            {
                final Sent original = sent.get((int)((long)i * (sent.size() - 1) / (perSender - 1)));
                final SendAck again = sender.client.send(original.to, original.clientMsgId,
                    text(original.clientMsgId)).get(WAIT_MS, TimeUnit.MILLISECONDS);
                assertTrue(again.getDuplicate(), "resend of " + original.clientMsgId + " is a duplicate: " + again);
                assertEquals(original.ack.getMsgId(), again.getMsgId(), "resend of " + original.clientMsgId);
                assertEquals(original.ack.getSeq(), again.getSeq(), "resend of " + original.clientMsgId);
                checked++;
            }
        }
        return checked;
    }
}
