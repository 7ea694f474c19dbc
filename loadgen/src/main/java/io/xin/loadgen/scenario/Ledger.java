package io.xin.loadgen.scenario;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The fate of every message of a run, by message number: sent, acknowledged, delivered how many
 * times. One int per message, in chunks allocated as the run grows:
 * <pre>
 *   delivered count (bits 2..31) | acked (bit 1) | sent (bit 0)
 * </pre>
 * The scheduling thread {@link #sent(long) records sends} in increasing order and is the only one that
 * allocates chunks; event loops record acks and deliveries of messages already sent, so every chunk
 * they touch exists.
 */
public final class Ledger
{
    private static final int SENT = 1;
    private static final int ACKED = 2;
    private static final int DELIVERED_ONE = 4;
    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
    private static final int MAX_CHUNKS = 1 << 15;

    private final AtomicReferenceArray<AtomicIntegerArray> chunks = new AtomicReferenceArray<>(MAX_CHUNKS);
    /** Highest message number sent plus one. Written by the scheduling thread. */
    private volatile long sentCount;

    /**
     * Record that message {@code index} went out. Called by one thread, with increasing indexes.
     *
     * @param index message number, from 0.
     */
    public void sent(final long index)
    {
        final int chunk = (int)(index >>> CHUNK_SHIFT);
        if (chunk >= MAX_CHUNKS)
        {
            throw new IllegalStateException("more than " + ((long)MAX_CHUNKS << CHUNK_SHIFT) + " messages in one run");
        }
        AtomicIntegerArray states = chunks.get(chunk);
        if (states == null)
        {
            states = new AtomicIntegerArray(1 << CHUNK_SHIFT);
            chunks.set(chunk, states);
        }
        states.getAndUpdate((int)(index & CHUNK_MASK), state -> state | SENT);
        sentCount = Math.max(sentCount, index + 1);
    }

    /**
     * @param index message number of a message sent.
     * @return true the first time, false for a second ack of the same message.
     */
    public boolean acked(final long index)
    {
        final int before = states(index).getAndUpdate((int)(index & CHUNK_MASK), state -> state | ACKED);
        return (before & ACKED) == 0;
    }

    /**
     * @param index message number of a message sent.
     * @return how many times it had been delivered before: anything but 0 is a duplicate.
     */
    public int delivered(final long index)
    {
        return states(index).getAndAdd((int)(index & CHUNK_MASK), DELIVERED_ONE) >>> 2;
    }

    /**
     * @param index message number.
     * @return whether it was sent and not yet delivered (a message still owed to its recipient).
     */
    public boolean isOutstanding(final long index)
    {
        final AtomicIntegerArray states = chunks.get((int)(index >>> CHUNK_SHIFT));
        if (states == null)
        {
            return false;
        }
        final int state = states.get((int)(index & CHUNK_MASK));
        return (state & SENT) != 0 && state >>> 2 == 0;
    }

    /**
     * Count every message's fate. Exact once the run has stopped sending and its event loops are idle.
     *
     * @return the counts.
     */
    public Tally tally()
    {
        final Tally tally = new Tally();
        final long count = sentCount;
        for (long index = 0; index < count; index++)
        {
            final AtomicIntegerArray states = chunks.get((int)(index >>> CHUNK_SHIFT));
            final int state = states == null ? 0 : states.get((int)(index & CHUNK_MASK));
            if ((state & SENT) == 0)
            {
                continue;
            }
            final boolean acked = (state & ACKED) != 0;
            final int deliveries = state >>> 2;
            tally.sent++;
            tally.acked += acked ? 1 : 0;
            tally.delivered += deliveries > 0 ? 1 : 0;
            tally.duplicates += Math.max(0, deliveries - 1);
            if (deliveries == 0)
            {
                if (acked)
                {
                    tally.lost++;
                }
                else
                {
                    tally.unackedUndelivered++;
                }
            }
            else if (!acked)
            {
                tally.deliveredUnacked++;
            }
        }
        return tally;
    }

    private AtomicIntegerArray states(final long index)
    {
        final AtomicIntegerArray states = chunks.get((int)(index >>> CHUNK_SHIFT));
        if (states == null)
        {
            throw new IllegalStateException("message " + index + " was never sent");
        }
        return states;
    }

    /**
     * Counts of a run's messages by fate.
     */
    public static final class Tally
    {
        /** Messages sent (each counted once, resends included in it). */
        public long sent;
        /** Messages acknowledged by the switch: durably stored. */
        public long acked;
        /** Messages delivered at least once. */
        public long delivered;
        /** Deliveries beyond the first of a message. */
        public long duplicates;
        /** Acknowledged, never delivered: a broken promise. */
        public long lost;
        /** Neither acknowledged nor delivered (refused, timed out, or the target does not ack). */
        public long unackedUndelivered;
        /** Delivered without an ack reaching the sender (the ack was lost or still in flight). */
        public long deliveredUnacked;
    }
}
