package io.xin.storage;

/**
 * The switch's durable state in one RocksDB with column families:
 * <pre>
 *   inbox:  user_id(8 BE) | seq(8 BE)                    -> message bytes          (TTL: retention)
 *   dedupe: sender_id(8 BE) | client_msg_id(UTF-8)       -> msg_id(8) | sender_seq(8) | time_ms(8)  (TTL: dedupe retention)
 *   meta:   'h' | user_id(8 BE)                          -> head seq(8 BE)         (never expires)
 *           'c' | user_id(8 BE) | device_id(UTF-8)        -> cursor seq(8 BE)
 *           'm'                                          -> last msg_id(8 BE)
 * </pre>
 * Threading: the store starts no threads. The {@code read*Head*}, {@code readDedupe},
 * {@code readCursor}, {@link #newBatch()} and {@link #write(JournalBatch)} methods are for the
 * single journal writer; {@link #readInbox} may be called from any thread concurrently.
 */
public final class XinStore implements AutoCloseable
{
    // Implementation in progress: see the storage issue.
}
