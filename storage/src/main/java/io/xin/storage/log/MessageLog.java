package io.xin.storage.log;

import java.nio.ByteBuffer;

/**
 * An append-only log of entries, the truth the switch's state is built from: one per journal shard. An entry is
 * an opaque run of bytes (a journal batch); its position is a byte offset that only grows, never reused, even
 * after the entries before it are deleted.
 * <p>
 * The contract is small on purpose, so that a log kept elsewhere (a replicated one) can fill it:
 * <ul>
 *   <li>{@link #append} by one writer thread; an entry is readable at once, durable after {@link #sync()};</li>
 *   <li>{@link #durablePosition()}: everything before it survives a crash of the process (and, when the fsync
 *       policy is {@code batch}, of the machine);</li>
 *   <li>{@link #read}: entries forward from a position, any thread;</li>
 *   <li>{@link #truncateBefore}: drops whole stretches of entries no longer needed, any thread.</li>
 * </ul>
 */
public interface MessageLog extends AutoCloseable
{
    /**
     * Appends one entry. Single writer thread.
     *
     * @param entry the entry's bytes, from its position to its limit: at least one, at most the log's maximum entry
     *              size. Copied before this returns; its position and limit are left as they were.
     * @return the entry's position, which {@link #read} starts from to find it again.
     * @throws LogException if it cannot be written: the log accepts no more appends.
     */
    long append(ByteBuffer entry);

    /**
     * Makes every entry appended so far durable as the fsync policy says: forced to the device for {@code batch},
     * handed to the operating system for {@code never}. Single writer thread.
     *
     * @return the durable position: the end of the last entry appended.
     * @throws LogException if the force fails: the log accepts no more appends.
     */
    long sync();

    /** The end of the last entry made durable by {@link #sync()}. Any thread. */
    long durablePosition();

    /** The end of the last entry appended, where the next one goes. Any thread. */
    long endPosition();

    /** The position of the first entry still held (of the oldest segment). Any thread. */
    long startPosition();

    /**
     * Reads entries forward, each checked against its checksum. Any thread.
     *
     * @param fromPosition the position of an entry, or {@link #endPosition()}; at least {@link #startPosition()}.
     * @param handler      given each entry in order; the buffer is valid only during the call.
     * @param maxEntries   the most entries to read.
     * @return the position after the last entry read ({@code fromPosition} when none was).
     * @throws LogException if an entry fails its checksum or the position is not an entry's.
     */
    long read(long fromPosition, EntryHandler handler, int maxEntries);

    /**
     * Deletes every segment whose entries all lie before {@code position}; never the segment appends go to. Any
     * thread.
     *
     * @return the segments deleted.
     */
    int truncateBefore(long position);

    /** Closes the files; appends and reads fail afterwards. Idempotent. */
    @Override
    void close();

    /** Receives entries from {@link #read}. */
    @FunctionalInterface
    interface EntryHandler
    {
        /**
         * @param position where the entry starts in the log.
         * @param entry    the entry's bytes, from its position to its limit; read only, valid during this call only.
         */
        void onEntry(long position, ByteBuffer entry);
    }
}
