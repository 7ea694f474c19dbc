package io.xin.core;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.core.auth.TokenIssuer;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sustained load from real {@link XinClient}s, one user each, every user sending to every other,
 * with each client's own record of what it sent and what was acknowledged; and the check of those
 * records against every inbox: each acked message in its recipient's inbox and its sender's own
 * exactly once, gapless seqs, per-pair order.
 */
final class CrashLoad implements AutoCloseable
{
    private static final long WAIT_MS = 60_000;

    /** What one client sent, in issue order, and the ack it got. */
    static final class Sent
    {
        final long from;
        final long to;
        final String clientMsgId;
        volatile SendAck ack;
        volatile Throwable failure;

        Sent(final long from, final long to, final String clientMsgId)
        {
            this.from = from;
            this.to = to;
            this.clientMsgId = clientMsgId;
        }
    }

    /** What the check found. */
    record Report(
        long acked, long lost, long duplicated, long gaps, long outOfOrder, long wrongSeq, long failed,
        long reusedMsgIds, long wrongMsgId)
    {
        boolean clean()
        {
            return lost == 0 && duplicated == 0 && gaps == 0 && outOfOrder == 0 && wrongSeq == 0 && failed == 0 &&
                reusedMsgIds == 0 && wrongMsgId == 0;
        }
    }

    private final int users;
    private final int window;
    /** Each message's body: its client_msg_id, padded with spaces to this many bytes when shorter. */
    private final int bodyBytes;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<XinClient> clients = new ArrayList<>();
    private final List<ConcurrentLinkedQueue<Sent>> records = new ArrayList<>();
    private final List<Thread> drivers = new ArrayList<>();
    private final AtomicLong issued = new AtomicLong();
    private volatile boolean sending;

    /**
     * @param users  users, user ids 1..users, one client each.
     * @param window sends each client keeps unacknowledged at most.
     */
    CrashLoad(final int users, final int window)
    {
        this(users, window, 0);
    }

    /**
     * @param users     users, user ids 1..users, one client each.
     * @param window    sends each client keeps unacknowledged at most.
     * @param bodyBytes each message's body is padded to this size: large bodies fill the message log fast.
     */
    CrashLoad(final int users, final int window, final int bodyBytes)
    {
        this.users = users;
        this.window = window;
        this.bodyBytes = bodyBytes;
    }

    /** Builds the clients and logs them in to the switch on {@code port}. */
    void connect(final int port) throws Exception
    {
        final TokenIssuer issuer = new TokenIssuer(TestSwitch.SECRET);
        for (int u = 1; u <= users; u++)
        {
            final XinClient client = XinClient.builder()
                .host("127.0.0.1")
                .port(port)
                .token(issuer.issue(u, Duration.ofHours(2)))
                .deviceId("phone")
                .eventLoopGroup(group)
                .reconnectInitialDelayMs(20)
                .reconnectMaxDelayMs(200)
                .ackTimeoutMs(5_000)
                .build();
            client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
            clients.add(client);
            records.add(new ConcurrentLinkedQueue<>());
        }
    }

    /** Starts one sending thread per client. */
    void startSending()
    {
        sending = true;
        for (int i = 0; i < users; i++)
        {
            final int index = i;
            final Thread driver = new Thread(() -> drive(index), "crash-load-" + (i + 1));
            driver.setDaemon(true);
            drivers.add(driver);
            driver.start();
        }
    }

    private void drive(final int index)
    {
        final long from = index + 1;
        final XinClient client = clients.get(index);
        final Semaphore inFlight = new Semaphore(window);
        long n = 0;
        try
        {
            while (sending)
            {
                if (!inFlight.tryAcquire(50, TimeUnit.MILLISECONDS))
                {
                    continue;
                }
                final long to = 1 + (from + (n % (users - 1))) % users;
                final Sent sent = new Sent(from, to, "u" + from + "-" + n);
                n++;
                records.get(index).add(sent);
                issued.incrementAndGet();
                client.send(to, sent.clientMsgId, Content.newBuilder().setType(ContentType.TEXT)
                        .setBody(ByteString.copyFrom(body(sent.clientMsgId), StandardCharsets.UTF_8)).build())
                    .whenComplete((ack, failure) ->
                    {
                        sent.ack = ack;
                        sent.failure = failure;
                        inFlight.release();
                    });
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private String body(final String clientMsgId)
    {
        return clientMsgId.length() >= bodyBytes ?
            clientMsgId : clientMsgId + " ".repeat(bodyBytes - clientMsgId.length());
    }

    /** Stops issuing new sends; sends already issued stay pending in their clients until acked. */
    void stopSending() throws InterruptedException
    {
        sending = false;
        for (final Thread driver : drivers)
        {
            driver.join(WAIT_MS);
        }
        drivers.clear();
    }

    /** Waits until every client is logged in again (they reconnect by themselves). */
    void awaitLoggedIn() throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        for (final XinClient client : clients)
        {
            while (client.state() != XinClient.State.LOGGED_IN)
            {
                if (System.currentTimeMillis() > deadline)
                {
                    throw new IllegalStateException("client did not log in again: " + client);
                }
                Thread.sleep(5);
            }
        }
    }

    /** Waits until every issued send is answered. */
    void awaitAllAnswered() throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        for (final ConcurrentLinkedQueue<Sent> record : records)
        {
            for (final Sent sent : record)
            {
                while (sent.ack == null && sent.failure == null)
                {
                    if (System.currentTimeMillis() > deadline)
                    {
                        throw new IllegalStateException("send not answered: " + sent.clientMsgId);
                    }
                    Thread.sleep(5);
                }
            }
        }
    }

    long acked()
    {
        long acked = 0;
        for (final ConcurrentLinkedQueue<Sent> record : records)
        {
            for (final Sent sent : record)
            {
                if (sent.ack != null)
                {
                    acked++;
                }
            }
        }
        return acked;
    }

    long issued()
    {
        return issued.get();
    }

    /**
     * Reads every inbox through the clients and checks the clients' records against them.
     */
    Report check() throws Exception
    {
        final List<Map<Long, Message>> inboxes = new ArrayList<>();
        long gaps = 0;
        for (final XinClient client : clients)
        {
            final Map<Long, Message> inbox = new HashMap<>();
            long after = 0;
            long head;
            while (true)
            {
                final SyncResult page = syncPage(client, after);
                for (final Message message : page.getMessagesList())
                {
                    inbox.put(message.getSeq(), message);
                }
                after = page.getLastSeq();
                head = page.getHeadSeq();
                if (!page.getHasMore())
                {
                    break;
                }
            }
            for (long seq = 1; seq <= head; seq++)
            {
                if (!inbox.containsKey(seq))
                {
                    gaps++;
                }
            }
            inboxes.add(inbox);
        }

        // (from user, client_msg_id) -> seqs holding it, per inbox.
        final List<Map<String, List<Long>>> byKey = new ArrayList<>();
        for (final Map<Long, Message> inbox : inboxes)
        {
            final Map<String, List<Long>> keys = new HashMap<>();
            inbox.forEach((seq, m) -> keys.computeIfAbsent(m.getFromUserId() + "/" + m.getClientMsgId(),
                k -> new ArrayList<>()).add(seq));
            byKey.add(keys);
        }

        long acked = 0;
        long lost = 0;
        long duplicated = 0;
        long outOfOrder = 0;
        long wrongSeq = 0;
        long failed = 0;
        long wrongMsgId = 0;
        final Map<String, Long> lastSeqOfPair = new HashMap<>();
        for (final ConcurrentLinkedQueue<Sent> record : records)
        {
            for (final Sent sent : record)
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
                final String key = sent.from + "/" + sent.clientMsgId;
                final List<Long> inSender = byKey.get((int)sent.from - 1).getOrDefault(key, List.of());
                final List<Long> inRecipient = byKey.get((int)sent.to - 1).getOrDefault(key, List.of());
                if (inSender.isEmpty() || inRecipient.isEmpty())
                {
                    lost++;
                    continue;
                }
                if (inSender.get(0) != sent.ack.getSeq())
                {
                    wrongSeq++;
                }
                // An ack, first or of a resend after a crash, names the msg_id both stored copies carry.
                final long senderMsgId = inboxes.get((int)sent.from - 1).get(inSender.get(0)).getMsgId();
                final long recipientMsgId = inboxes.get((int)sent.to - 1).get(inRecipient.get(0)).getMsgId();
                if (senderMsgId != sent.ack.getMsgId() || recipientMsgId != sent.ack.getMsgId())
                {
                    wrongMsgId++;
                }
                final String pair = sent.from + ">" + sent.to;
                final long seq = inRecipient.get(0);
                final Long previous = lastSeqOfPair.put(pair, seq);
                if (previous != null && previous >= seq)
                {
                    outOfOrder++;
                }
            }
        }
        // Any message stored more than once in one inbox, acked or not, is a duplicate.
        for (final Map<String, List<Long>> keys : byKey)
        {
            for (final List<Long> seqs : keys.values())
            {
                if (seqs.size() > 1)
                {
                    duplicated += seqs.size() - 1;
                }
            }
        }
        // A msg_id names one message: the same id on two different (from user, client_msg_id) is a reuse,
        // as a restart that resumed below an id already handed out would make.
        final Map<Long, String> keyOfMsgId = new HashMap<>();
        long reusedMsgIds = 0;
        for (final Map<Long, Message> inbox : inboxes)
        {
            for (final Message m : inbox.values())
            {
                final String key = m.getFromUserId() + "/" + m.getClientMsgId();
                final String earlier = keyOfMsgId.putIfAbsent(m.getMsgId(), key);
                if (earlier != null && !earlier.equals(key))
                {
                    reusedMsgIds++;
                }
            }
        }
        return new Report(acked, lost, duplicated, gaps, outOfOrder, wrongSeq, failed, reusedMsgIds, wrongMsgId);
    }

    /**
     * One raw sync page. The client's own catch-up sync (after each login) may be in flight, and the
     * switch takes one sync at a time per session, so BUSY is retried.
     */
    static SyncResult syncPage(final XinClient client, final long after) throws Exception
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return client.sync(after, 0).get(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final ExecutionException ex)
            {
                if (attempt > 500 || !(ex.getCause() instanceof XinClientException busy) || busy.code() != ErrorCode.BUSY)
                {
                    throw ex;
                }
                Thread.sleep(20);
            }
        }
    }

    @Override
    public void close()
    {
        sending = false;
        clients.forEach(XinClient::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
