package io.xin.core.journal;

import io.xin.storage.JournalBatch;

/**
 * How the journal makes a batch durable: {@code XinStore::append} (to the shard's message log) in production; tests
 * wrap it to inject storage failures.
 */
@FunctionalInterface
public interface JournalWriter
{
    /**
     * @throws io.xin.storage.StorageException when the batch was not made durable.
     */
    void write(JournalBatch batch);
}
