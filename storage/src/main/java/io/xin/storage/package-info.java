/**
 * The switch's durable state: per-user inboxes with gapless sequence heads, the (sender,
 * client_msg_id) dedupe index, device cursors and the last message id, in one RocksDB opened as a
 * TtlDB. {@link io.xin.storage.XinStore} is the whole API; the journal thread is its single writer,
 * committing a {@link io.xin.storage.JournalBatch} per Disruptor batch (group commit), and sync reads
 * come from any thread. The package starts no threads and logs nothing.
 */
package io.xin.storage;
