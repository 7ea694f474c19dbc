package io.xin.loadgen.scenario;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.xin.client.XinClient;
import io.xin.loadgen.rate.OpenLoopSchedule;
import io.xin.loadgen.report.Measurements;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.GroupResult;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.agrona.collections.LongHashSet;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code group} scenario: the fleet's users in groups of {@code groupSize} (users {@code k*S ..
 * (k+1)*S-1} form group k), every member online, an open-loop total rate of sends to a random group
 * from a random member. Each send should reach every other member once: the run measures the ack
 * latency, the latency to every member copy (from the send's intended time, so free of coordinated
 * omission), and counts member copies lost and duplicated.
 */
public final class GroupRun implements Fleet.Sink
{
    private static final int HEADER_BYTES = 24;
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Fleet fleet;
    private final int groupSize;
    private final Measurements measurements;
    private final long runId = ThreadLocalRandom.current().nextLong();
    private final long[] groupIds;
    /** Distinct copies received per send index. */
    private AtomicIntegerArray copies;
    /** msg_ids each session has seen; each written by that session's event loop only. */
    private final LongHashSet[] seen;
    private final LongAdder copyDuplicates = new LongAdder();
    private volatile long measureFromNs = Long.MAX_VALUE;

    public GroupRun(final Fleet fleet, final int groupSize, final Measurements measurements)
    {
        if (groupSize < 2 || groupSize > fleet.size())
        {
            throw new IllegalArgumentException("group size must be 2..users: " + groupSize);
        }
        this.fleet = fleet;
        this.groupSize = groupSize;
        this.measurements = measurements;
        this.groupIds = new long[fleet.size() / groupSize];
        this.seen = new LongHashSet[fleet.size()];
        for (int i = 0; i < seen.length; i++)
        {
            seen[i] = new LongHashSet();
        }
    }

    /**
     * Creates every group: its first member creates it with the others.
     *
     * @return milliseconds it took.
     */
    public long createGroups(final long timeoutMs) throws Exception
    {
        final long startNs = System.nanoTime();
        final List<CompletableFuture<GroupResult>> created = new ArrayList<>();
        for (int g = 0; g < groupIds.length; g++)
        {
            final long[] members = new long[groupSize - 1];
            for (int m = 1; m < groupSize; m++)
            {
                members[m - 1] = fleet.session(g * groupSize + m).userId();
            }
            created.add(fleet.session(g * groupSize).client().createGroup("loadgen-" + g, false, members));
        }
        for (int g = 0; g < groupIds.length; g++)
        {
            groupIds[g] = created.get(g).get(timeoutMs, TimeUnit.MILLISECONDS).getGroupId();
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    public int groups()
    {
        return groupIds.length;
    }

    /**
     * Sends for warm-up plus duration at {@code ratePerSecond}, then waits up to {@code drainMs} for
     * every member copy.
     */
    public Outcome run(
        final double ratePerSecond, final long warmupMs, final long durationMs, final long drainMs, final int payloadBytes,
        final long seed) throws InterruptedException
    {
        final long startNs = System.nanoTime();
        final long warmupNs = TimeUnit.MILLISECONDS.toNanos(warmupMs);
        final OpenLoopSchedule schedule = new OpenLoopSchedule(
            startNs, ratePerSecond, warmupNs + TimeUnit.MILLISECONDS.toNanos(durationMs));
        final int count = (int)Math.min(Integer.MAX_VALUE, schedule.count());
        copies = new AtomicIntegerArray(count);
        final boolean[] acked = new boolean[count];
        measureFromNs = startNs + warmupNs;
        fleet.sink(this);
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] padding = new byte[Math.max(0, payloadBytes - HEADER_BYTES)];
        int index = 0;
        while (index < count)
        {
            final long nowNs = System.nanoTime();
            final long due = Math.min(count, schedule.dueBy(nowNs));
            if (index >= due)
            {
                LockSupport.parkNanos(Math.min(MAX_PARK_NS, schedule.intendedNs(index) - nowNs));
                continue;
            }
            while (index < due)
            {
                send(random, index, schedule.intendedNs(index), padding, acked);
                index++;
            }
        }
        final long windowS = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - measureFromNs);
        final long expected = (long)count * (groupSize - 1);
        final long drainDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMs);
        while (System.nanoTime() < drainDeadlineNs && measurements.delivered.sum() < expected)
        {
            Thread.sleep(10);
        }
        Thread.sleep(50);
        fleet.sink(Fleet.Sink.NONE);

        final Outcome outcome = new Outcome();
        outcome.sends = count;
        outcome.expectedCopies = expected;
        for (int i = 0; i < count; i++)
        {
            final int got = copies.get(i);
            outcome.copies += got;
            synchronized (acked)
            {
                if (acked[i])
                {
                    outcome.acked++;
                    outcome.lostCopies += groupSize - 1 - got;
                }
            }
        }
        outcome.duplicateCopies = copyDuplicates.sum();
        outcome.windowMs = windowS;
        return outcome;
    }

    private void send(
        final SplittableRandom random, final int index, final long intendedNs, final byte[] padding, final boolean[] acked)
    {
        final int group = random.nextInt(groupIds.length);
        final XinClient sender = fleet.session(group * groupSize + random.nextInt(groupSize)).client();
        final byte[] body = new byte[HEADER_BYTES + padding.length];
        putLong(body, 0, runId);
        putLong(body, 8, index);
        putLong(body, 16, intendedNs);
        final Content content = Content.newBuilder().setType(ContentType.CUSTOM)
            .setBody(UnsafeByteOperations.unsafeWrap(body)).build();
        measurements.sent.increment();
        sender.sendToGroup(groupIds[group], Long.toString(runId & Long.MAX_VALUE, 36) + "-g" + index, content)
            .whenComplete((SendAck ack, Throwable failure) ->
            {
                if (failure != null)
                {
                    measurements.failedSends.increment();
                    return;
                }
                synchronized (acked)
                {
                    acked[index] = true;
                }
                measurements.acked.increment();
                if (intendedNs >= measureFromNs)
                {
                    measurements.recordAck(System.nanoTime() - intendedNs);
                }
            });
    }

    @Override
    public void onMessage(final Session session, final Message message)
    {
        if (message.getGroupId() == 0 || message.getFromUserId() == session.userId() ||
            message.getContent().getType() != ContentType.CUSTOM)
        {
            return;
        }
        final ByteString body = message.getContent().getBody();
        if (body.size() < HEADER_BYTES || getLong(body, 0) != runId)
        {
            return;
        }
        final long nowNs = System.nanoTime();
        if (!seen[session.userIndex()].add(message.getMsgId()))
        {
            copyDuplicates.increment();
            measurements.duplicates.increment();
            return;
        }
        final int index = (int)getLong(body, 8);
        final long intendedNs = getLong(body, 16);
        copies.incrementAndGet(index);
        measurements.delivered.increment();
        if (intendedNs >= measureFromNs)
        {
            measurements.recordDeliver(nowNs - intendedNs);
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
     * What a group run did.
     */
    public static final class Outcome
    {
        public long sends;
        public long acked;
        public long expectedCopies;
        public long copies;
        public long lostCopies;
        public long duplicateCopies;
        public long windowMs;
    }
}
