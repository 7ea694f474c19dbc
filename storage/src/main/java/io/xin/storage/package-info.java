/**
 * The switch's durable state: per-user inboxes with gapless sequence heads, the (sender,
 * client_msg_id) dedupe index, device cursors and the last message id, in one RocksDB opened as a
 * TtlDB and built from the message logs ({@link io.xin.storage.log}). {@link io.xin.storage.XinStore} is
 * the whole API; each journal thread is the single writer of its shard, appending a
 * {@link io.xin.storage.JournalBatch} per Disruptor batch (group commit) to its log and then applying it,
 * and sync reads come from any thread. The store starts one thread, its log checkpoints, and logs nothing.
 */
package io.xin.storage;
