package io.xin.core.journal;

/**
 * A message the sender's journal shard has stored (in the sender's inbox, the dedupe index and the
 * outbox) for a recipient owned by another shard, on its way to that shard, which appends it to the
 * recipient's inbox and deletes the outbox record in one write, then has its dispatcher push it.
 * <p>
 * Written by the sending journal before it is queued, then owned by the receiving journal, then read
 * by the receiving dispatcher; the queue and the ring order those accesses.
 */
public final class Handoff
{
    final long msgId;
    final long recipientId;
    final byte[] stored;
    long recipientSeq;

    public Handoff(final long msgId, final long recipientId, final byte[] stored)
    {
        this.msgId = msgId;
        this.recipientId = recipientId;
        this.stored = stored;
    }

    public long recipientId()
    {
        return recipientId;
    }

    /** The stored message's bytes, without seq. */
    public byte[] stored()
    {
        return stored;
    }

    /** The seq the recipient's shard gave it; set once that shard has written it. */
    public long recipientSeq()
    {
        return recipientSeq;
    }
}
