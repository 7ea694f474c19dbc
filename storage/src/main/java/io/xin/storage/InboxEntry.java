package io.xin.storage;

/**
 * One stored inbox entry.
 *
 * @param seq     position in the inbox, from 1.
 * @param message the stored message bytes, as the journal wrote them.
 */
public record InboxEntry(long seq, byte[] message)
{
}
