package io.xin.core.status;

/**
 * Told of each journal batch once it is written, on the journal thread: for distributions (batch
 * sizes, write latency) that counters cannot keep. Must be cheap and must not block.
 */
@FunctionalInterface
public interface JournalBatchObserver
{
    JournalBatchObserver NONE = (events, writeNanos) -> {};

    /**
     * @param events     ring events in the batch.
     * @param writeNanos time the RocksDB write (and fsync) took, in nanoseconds.
     */
    void onJournalBatchWritten(int events, long writeNanos);
}
