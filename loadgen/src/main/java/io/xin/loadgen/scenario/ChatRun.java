package io.xin.loadgen.scenario;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.loadgen.rate.OpenLoopSchedule;
import io.xin.loadgen.rate.Recipients;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.ProcStat;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.agrona.collections.Long2LongHashMap;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * One open-loop run of 1:1 chat over a connected {@link Fleet}: at a constant total rate, a random
 * user sends a message to a random other user (uniform or Zipf). Every message carries its run, its
 * number, the number of the previous message of the same pair and its intended send time:
 * <pre>
 *   run_id(8 BE) | index(8 BE) | previous_index_of_pair(8 BE, -1 if none) | intended_ns(8 BE) | padding
 * </pre>
 * so that the receiver can time it, find duplicates and gaps without any shared state but the
 * {@link Ledger}. The calling thread schedules the sends; event loops record acks and deliveries.
 */
public final class ChatRun implements Fleet.Sink
{
    /** Bytes of the header every message's body starts with. */
    public static final int HEADER_BYTES = 32;
    private static final long DRAIN_POLL_MS = 20;
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Fleet fleet;
    private final Settings settings;
    private final Measurements measurements;
    private final Ledger ledger = new Ledger();
    private final long runId = ThreadLocalRandom.current().nextLong();
    /** What every client_msg_id of the run starts with; the message number follows. */
    private final String clientMsgIdPrefix = Long.toString(runId & Long.MAX_VALUE, 36) + '-';
    /** Per recipient, the last message number delivered from each sender; each owned by its session's event loop. */
    private final Long2LongHashMap[] lastFromSender;
    /** Previous message number of each (sender, recipient) pair. Owned by the scheduling thread. */
    private final Long2LongHashMap lastOfPair = new Long2LongHashMap(-1);
    private volatile long measureFromNs = Long.MAX_VALUE;
    /** The run's schedule, which gives every acked message's intended send time; set before the first send. */
    private volatile OpenLoopSchedule schedule;
    private final java.util.concurrent.atomic.LongAdder foreign = new java.util.concurrent.atomic.LongAdder();
    /** Per session, how its connection went away during the run (null if it did not); set on its event loop. */
    private final AtomicReferenceArray<String> wentAway;
    /** Gets the messages that are not this run's (another scenario's running beside it); null to count them. */
    private volatile Fleet.Sink others;

    /**
     * @param fleet        connected sessions; the run becomes their sink.
     * @param settings     rate, duration, payload.
     * @param measurements where latencies and counts go.
     */
    public ChatRun(final Fleet fleet, final Settings settings, final Measurements measurements)
    {
        if (settings.payloadBytes < HEADER_BYTES)
        {
            throw new IllegalArgumentException("payload must be at least " + HEADER_BYTES + " bytes: " +
                settings.payloadBytes);
        }
        this.fleet = fleet;
        this.settings = settings;
        this.measurements = measurements;
        this.lastFromSender = new Long2LongHashMap[fleet.size()];
        this.wentAway = new AtomicReferenceArray<>(fleet.size());
    }

    /**
     * @param others gets every message that is not this run's, on the session's event loop: a scenario that runs
     *               beside this one (media); set before {@link #run()}. It stays the fleet's sink after the run.
     * @return this.
     */
    public ChatRun others(final Fleet.Sink others)
    {
        this.others = others;
        return this;
    }

    /**
     * Send for the warm-up and the measured duration, then wait for the drain.
     *
     * @return what happened.
     * @throws InterruptedException when interrupted.
     */
    public Outcome run() throws InterruptedException
    {
        // Sends a client still holds from before (an earlier run on the same fleet) are not this run's.
        final int[] pendingAtStart = new int[fleet.size()];
        for (int i = 0; i < pendingAtStart.length; i++)
        {
            pendingAtStart[i] = fleet.session(i).client().pendingSends();
        }
        fleet.sink(this);
        final Recipients recipients = new Recipients(fleet.size(), settings.zipfSkew, settings.seed);
        final long startNs = System.nanoTime();
        final long warmupNs = TimeUnit.MILLISECONDS.toNanos(settings.warmupMs);
        final long measuredNs = TimeUnit.MILLISECONDS.toNanos(settings.durationMs);
        final OpenLoopSchedule schedule = new OpenLoopSchedule(startNs, settings.ratePerSecond, warmupNs + measuredNs);
        this.schedule = schedule;
        measureFromNs = startNs + warmupNs;

        final byte[] padding = new byte[settings.payloadBytes - HEADER_BYTES];
        boolean measuring = warmupNs == 0;
        long deliveredAtStart = 0;
        long sentAtStart = 0;
        long serverCpuAtStartNs = serverCpuNanos();
        long[] processCpuAtStartNs = processCpuNanos();
        long serverWriteBytesAtStart = serverDiskWriteBytes();
        long ownCpuAtStartNs = ownCpuNanos();
        long windowStartNs = startNs;

        long index = 0;
        final long count = schedule.count();
        while (index < count)
        {
            final long nowNs = System.nanoTime();
            if (!measuring && nowNs >= measureFromNs)
            {
                measuring = true;
                windowStartNs = nowNs;
                deliveredAtStart = measurements.delivered.sum();
                sentAtStart = measurements.sent.sum();
                serverCpuAtStartNs = serverCpuNanos();
                processCpuAtStartNs = processCpuNanos();
                serverWriteBytesAtStart = serverDiskWriteBytes();
                ownCpuAtStartNs = ownCpuNanos();
            }
            final long due = schedule.dueBy(nowNs);
            if (index >= due)
            {
                LockSupport.parkNanos(Math.min(MAX_PARK_NS, schedule.intendedNs(index) - nowNs));
                continue;
            }
            while (index < due)
            {
                send(recipients, index, schedule.intendedNs(index), padding);
                index++;
            }
        }
        final long windowEndNs = System.nanoTime();
        final long deliveredInWindow = measurements.delivered.sum() - deliveredAtStart;
        final long sentInWindow = measurements.sent.sum() - sentAtStart;
        final long serverCpuInWindowNs = serverCpuNanos() - serverCpuAtStartNs;
        final long[] processCpuAtEndNs = processCpuNanos();
        final long serverWriteBytesAtEnd = serverDiskWriteBytes();
        final long ownCpuInWindowNs = ownCpuNanos() - ownCpuAtStartNs;

        final long drainStartNs = System.nanoTime();
        final long drainDeadlineNs = drainStartNs + TimeUnit.MILLISECONDS.toNanos(settings.drainMs);
        while (System.nanoTime() < drainDeadlineNs && !drained())
        {
            Thread.sleep(DRAIN_POLL_MS);
        }
        final long drainNs = System.nanoTime() - drainStartNs;
        // A last moment for deliveries racing the check, then count with the event loops quiet.
        Thread.sleep(DRAIN_POLL_MS);
        // The scenario beside this one keeps its messages (its transfers may still be in flight).
        final Fleet.Sink others = this.others;
        fleet.sink(others != null ? others : Fleet.Sink.NONE);
        final int sessionsAway = failSendsOfSessionsAway(pendingAtStart);
        measurements.close();

        final Outcome outcome = new Outcome();
        outcome.tally = ledger.tally();
        outcome.windowS = (windowEndNs - windowStartNs) / 1e9;
        outcome.achievedRate = deliveredInWindow / outcome.windowS;
        outcome.offeredRate = sentInWindow / outcome.windowS;
        outcome.drainMs = TimeUnit.NANOSECONDS.toMillis(drainNs);
        outcome.serverCpuUsPerMessage = settings.serverPid > 0 && deliveredInWindow > 0 ?
            serverCpuInWindowNs / 1e3 / deliveredInWindow : -1;
        outcome.serverDiskWriteBytesPerMessage = serverWriteBytesAtStart >= 0 && serverWriteBytesAtEnd >= 0 &&
            deliveredInWindow > 0 ? (double)(serverWriteBytesAtEnd - serverWriteBytesAtStart) / deliveredInWindow : -1;
        outcome.loadgenCpuUsPerMessage = deliveredInWindow > 0 ? ownCpuInWindowNs / 1e3 / deliveredInWindow : -1;
        outcome.foreign = foreign.sum();
        int p = 0;
        for (final Map.Entry<String, Long> process : settings.cpuPids.entrySet())
        {
            final long at = processCpuAtStartNs[p];
            final long end = processCpuAtEndNs[p];
            p++;
            // A process that went away in the window (a node killed on purpose) has no end figure.
            outcome.cpuUsPerMessageByProcess.put(process.getKey(), at < 0 || end < 0 || deliveredInWindow == 0 ? null :
                Math.round((end - at) / 1e3 / deliveredInWindow * 100) / 100.0);
        }
        outcome.sessionsAwayAtEnd = sessionsAway;
        return outcome;
    }

    /**
     * After the drain, with the event loops quiet: a session whose connection went away during the run and
     * that is not logged in again still holds its unacknowledged sends for a reconnect that did not come in
     * time; count them as failed sends, with how the connection went away as the reason.
     *
     * @param pendingAtStart each session's pending sends when the run started.
     * @return sessions whose connection went away and that are not logged in at the end.
     */
    private int failSendsOfSessionsAway(final int[] pendingAtStart)
    {
        int away = 0;
        for (int i = 0; i < pendingAtStart.length; i++)
        {
            final String how = wentAway.get(i);
            final XinClient client = fleet.session(i).client();
            if (how != null && client.state() != XinClient.State.LOGGED_IN)
            {
                away++;
                final int pending = client.pendingSends() - pendingAtStart[i];
                if (pending > 0)
                {
                    measurements.sendFailed("target went away (" + how + ")", pending);
                }
            }
        }
        return away;
    }

    private boolean drained()
    {
        final long sent = measurements.sent.sum();
        final long delivered = measurements.delivered.sum() - measurements.duplicates.sum();
        return delivered >= sent && (!settings.acks || measurements.acked.sum() + measurements.failedSends.sum() >= sent);
    }

    private void send(final Recipients recipients, final long index, final long intendedNs, final byte[] padding)
    {
        final int sender = recipients.nextSender();
        final int recipient = recipients.nextRecipient(sender);
        final long pair = (long)sender * fleet.size() + recipient;
        final long previous = lastOfPair.put(pair, index);

        final byte[] body = new byte[HEADER_BYTES + padding.length];
        putLong(body, 0, runId);
        putLong(body, 8, index);
        putLong(body, 16, previous);
        putLong(body, 24, intendedNs);
        System.arraycopy(padding, 0, body, HEADER_BYTES, padding.length);
        final Content content = Content.newBuilder()
            .setType(ContentType.CUSTOM)
            .setBody(UnsafeByteOperations.unsafeWrap(body))
            .build();

        ledger.sent(index);
        measurements.sent.increment();
        final Session from = fleet.session(sender);
        final long toUserId = fleet.target().userId(recipient);
        final String clientMsgId = clientMsgIdPrefix + index;
        if (settings.acks)
        {
            // The ack comes back through the sink (onSendAck) with the client_msg_id, which names the message.
            from.client().sendTracked(toUserId, clientMsgId, content);
        }
        else
        {
            from.client().sendUntracked(toUserId, clientMsgId, content);
        }
    }

    @Override
    public void onSendAck(final Session session, final SendAck ack)
    {
        final long index = indexOf(ack.getClientMsgId());
        final OpenLoopSchedule schedule = this.schedule;
        if (index < 0 || schedule == null)
        {
            return;
        }
        if (ledger.acked(index))
        {
            measurements.acked.increment();
            final long intendedNs = schedule.intendedNs(index);
            if (intendedNs >= measureFromNs)
            {
                measurements.recordAck(System.nanoTime() - intendedNs);
            }
        }
    }

    @Override
    public void onSendFailed(final Session session, final String clientMsgId, final XinClientException failure)
    {
        if (indexOf(clientMsgId) >= 0)
        {
            measurements.sendFailed(failure.code() != ErrorCode.ERROR_CODE_UNSPECIFIED ? failure.code().name() :
                failure.getMessage(), 1);
        }
    }

    @Override
    public void onGoAway(final Session session, final GoAway goAway)
    {
        final String how = "GoAway: " + goAway.getReason();
        measurements.goaways.increment();
        measurements.targetWentAway(System.nanoTime(), how);
        wentAway.set(session.userIndex, how);
    }

    @Override
    public void onConnectionLost(final Session session)
    {
        measurements.disconnects.increment();
        measurements.targetWentAway(System.nanoTime(), "connection lost");
        wentAway.compareAndSet(session.userIndex, null, "connection lost");
    }

    /**
     * @return the message number a client_msg_id of this run names, -1 for one of another run.
     */
    long indexOf(final String clientMsgId)
    {
        final int length = clientMsgId.length();
        final int from = clientMsgIdPrefix.length();
        if (length <= from || length > from + 19 || !clientMsgId.startsWith(clientMsgIdPrefix))
        {
            return -1;
        }
        long index = 0;
        for (int i = from; i < length; i++)
        {
            final int digit = clientMsgId.charAt(i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            index = index * 10 + digit;
        }
        return index;
    }

    @Override
    public void onMessage(final Session session, final Message message)
    {
        if (message.getFromUserId() == session.userId)
        {
            return; // the session's own copy of its send
        }
        final ByteString body = message.getContent().getBody();
        if (body.size() < HEADER_BYTES || getLong(body, 0) != runId)
        {
            final Fleet.Sink others = this.others;
            if (others != null)
            {
                others.onMessage(session, message);
            }
            else
            {
                foreign.increment();
            }
            return;
        }
        final long nowNs = System.nanoTime();
        final long index = getLong(body, 8);
        final long previous = getLong(body, 16);
        final long intendedNs = getLong(body, 24);
        if (ledger.delivered(index) > 0)
        {
            measurements.duplicates.increment();
            measurements.delivered.increment();
            return;
        }
        measurements.delivered.increment();
        if (intendedNs >= measureFromNs)
        {
            measurements.recordDeliver(nowNs - intendedNs);
        }

        Long2LongHashMap lastFrom = lastFromSender[session.userIndex];
        if (lastFrom == null)
        {
            lastFrom = new Long2LongHashMap(-1);
            lastFromSender[session.userIndex] = lastFrom;
        }
        final long last = lastFrom.put(message.getFromUserId(), index);
        if (last != previous)
        {
            measurements.gaps.increment();
        }
    }

    /**
     * @return the ledger, for tests and reports.
     */
    public Ledger ledger()
    {
        return ledger;
    }

    private long serverCpuNanos()
    {
        if (settings.serverPid <= 0)
        {
            return 0;
        }
        try
        {
            return ProcStat.cpuNanos(settings.serverPid);
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    /** CPU time so far of each --cpu-pid process, in the settings' order; -1 for one /proc does not have. */
    private long[] processCpuNanos()
    {
        final long[] nanos = new long[settings.cpuPids.size()];
        int i = 0;
        for (final long pid : settings.cpuPids.values())
        {
            try
            {
                nanos[i] = ProcStat.cpuNanos(pid);
            }
            catch (final IOException | RuntimeException ex)
            {
                nanos[i] = -1;
            }
            i++;
        }
        return nanos;
    }

    /** The target's disk writes so far, -1 when unknown (no pid, or /proc/PID/io not readable). */
    private long serverDiskWriteBytes()
    {
        if (settings.serverPid <= 0)
        {
            return -1;
        }
        try
        {
            return ProcStat.diskWriteBytes(settings.serverPid);
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static long ownCpuNanos()
    {
        try
        {
            return ProcStat.cpuNanos(ProcessHandle.current().pid());
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    private static void putLong(final byte[] bytes, final int offset, final long value)
    {
        for (int i = 0; i < 8; i++)
        {
            bytes[offset + i] = (byte)(value >>> (56 - 8 * i));
        }
    }

    private static long getLong(final ByteString bytes, final int offset)
    {
        long value = 0;
        for (int i = 0; i < 8; i++)
        {
            value = (value << 8) | (bytes.byteAt(offset + i) & 0xFF);
        }
        return value;
    }

    /**
     * What to run.
     */
    public static final class Settings
    {
        /** Total messages per second, all senders together. */
        public double ratePerSecond = 1_000;
        /** Measured part of the run. */
        public long durationMs = 10_000;
        /** Sending before the measured part; its latencies are not recorded. */
        public long warmupMs = 0;
        /** Longest wait after the last send for acks and deliveries. */
        public long drainMs = 5_000;
        /** Body bytes per message, at least {@link #HEADER_BYTES}. */
        public int payloadBytes = 64;
        /** 0 for uniform recipients, else the Zipf exponent. */
        public double zipfSkew = 0;
        /** Seed of the sender and recipient choice. */
        public long seed = 42;
        /** Whether the target acknowledges sends (false for the bare relay). */
        public boolean acks = true;
        /** The switch's process id for its CPU time, 0 if unknown. */
        public long serverPid = 0;
        /** More processes whose CPU time per message to report, by name: a cluster's nodes, its Kafka broker. */
        public Map<String, Long> cpuPids = Map.of();
    }

    /**
     * What a run did.
     */
    public static final class Outcome
    {
        public Ledger.Tally tally;
        /** Measured window, seconds. */
        public double windowS;
        /** Deliveries per second in the measured window. */
        public double achievedRate;
        /** Sends per second in the measured window. */
        public double offeredRate;
        /** How long the drain took, milliseconds. */
        public long drainMs;
        /** Server CPU time per delivered message in the window, microseconds; -1 when unknown. */
        public double serverCpuUsPerMessage;
        /** Bytes the server caused to be written to disk per delivered message in the window; -1 when unknown. */
        public double serverDiskWriteBytesPerMessage;
        /** This process's CPU time per delivered message in the window, microseconds. */
        public double loadgenCpuUsPerMessage;
        /** Messages of earlier runs that arrived during this one. */
        public long foreign;
        /** Sessions whose connection went away during the run and that were not logged in again at its end. */
        public int sessionsAwayAtEnd;
        /** CPU µs per delivered message of each {@link Settings#cpuPids} process; null for one that went away. */
        public Map<String, Double> cpuUsPerMessageByProcess = new LinkedHashMap<>();
    }
}
