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
    /** Where it was read from in a replicated hand-off queue (cluster mode); -1 when handed over in this process. */
    final long sourcePosition;
    /** The recipient shard's ownership it was read under (cluster mode): stale once the shard changed hands. */
    final long ownerEpoch;
    long recipientSeq;

    public Handoff(final long msgId, final long recipientId, final byte[] stored)
    {
        this(msgId, recipientId, stored, -1, 0);
    }

    /**
     * @param sourcePosition the hand-off's position in the recipient shard's replicated hand-off queue.
     * @param ownerEpoch     the recipient shard's ownership it was read under: a journal drops a hand-off read under
     *                       another, which the shard's next owner reads again from the queue.
     */
    public Handoff(
        final long msgId, final long recipientId, final byte[] stored, final long sourcePosition, final long ownerEpoch)
    {
        this.msgId = msgId;
        this.recipientId = recipientId;
        this.stored = stored;
        this.sourcePosition = sourcePosition;
        this.ownerEpoch = ownerEpoch;
    }

    public long msgId()
    {
        return msgId;
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
