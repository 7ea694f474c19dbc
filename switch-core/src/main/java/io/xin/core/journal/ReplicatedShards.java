package io.xin.core.journal;

import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * The journal shards' logs when they are replicated outside the switch (cluster mode): which shards this node owns
 * now, and the append of a batch together with the hand-offs it makes to other shards. Single-node switches have
 * none; their journals append to the store's own logs.
 * <p>
 * A node appends to a shard's log only while it owns the shard, under the epoch of that ownership: an append under
 * an epoch the log has since fenced fails, so two nodes never hand out the same seq.
 */
public interface ReplicatedShards
{
    /**
     * @param shard a journal shard.
     * @return a positive epoch while this node owns the shard, the same for as long as it keeps it and new each time
     * it takes it again; 0 while it does not. Any thread.
     */
    long ownerEpoch(int shard);

    /**
     * Called once by the switch, after its journals are built and before their rings start.
     *
     * @param store     the switch's store, opened with replicated logs.
     * @param journals  every shard's journal, in shard order: hand-offs read from the replicated queues go to them.
     * @param movedAway tells the switch a shard is no longer this node's: its sessions are sent elsewhere.
     * @param relations told of the relation records applied to the copies of shards this node does not own.
     */
    void attach(XinStore store, Journal[] journals, IntConsumer movedAway, XinStore.RelationsApplied relations);

    /**
     * Appends the batch to the shard's log, each hand-off to the hand-off queue of its recipient's shard, and how far
     * this shard has taken its own incoming hand-offs, all or nothing: durable (replicated) when this returns.
     * Journal thread of the shard.
     *
     * @param shard               the batch's shard.
     * @param epoch               the ownership the journal holds, from {@link #ownerEpoch(int)}.
     * @param batch               the batch, not empty.
     * @param handoffs            the batch's messages for users of other shards, in send order (may be empty).
     * @param handoffsTakenBefore the position in this shard's incoming hand-offs before which every hand-off is in
     *                            this or an earlier batch, or -1 when the batch takes none.
     * @return the shard's log position after the batch's entry.
     * @throws RuntimeException when the append failed or its outcome is unknown: the journal acknowledges nothing of
     *                          the batch and gives up the shard ({@link #lost}).
     */
    long append(int shard, long epoch, JournalBatch batch, List<Handoff> handoffs, long handoffsTakenBefore);

    /**
     * The journal gave up the shard after an append failed: from now {@link #ownerEpoch(int)} answers 0 until the
     * shard is restored from its log and owned again. Journal thread of the shard.
     */
    void lost(int shard, long epoch, RuntimeException cause);
}
