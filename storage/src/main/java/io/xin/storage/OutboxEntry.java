package io.xin.storage;

/**
 * A message stored by the sender's journal shard and not yet appended to the inbox of its
 * recipient, who belongs to another shard.
 *
 * @param msgId       the message id.
 * @param recipientId the recipient whose inbox still lacks it.
 * @param message     the stored message bytes, without seq.
 */
public record OutboxEntry(long msgId, long recipientId, byte[] message)
{
}
