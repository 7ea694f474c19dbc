package io.xin.core;

/**
 * How each journal shard's ring is run: which threads its journal and its dispatcher are on, as Aeron's
 * {@code ThreadingMode} says which threads the media driver's agents share. The config file and the command
 * line spell it as the number of threads per shard ({@code ring-threads-per-shard = 1 | 2}).
 */
public enum RingThreads
{
    /**
     * One thread per shard runs the journal and then the dispatcher over each batch (the ring's
     * {@code JournalThenDispatcher}): no hand-off and no wake-up between the write and the replies, one runnable
     * thread fewer per shard.
     */
    ONE_THREAD(1),

    /**
     * The journal on a thread of its own and the dispatcher on another behind it, which the journal wakes at the end
     * of each written batch (the ring's {@code SignallingHandler}): the dispatcher's replies overlap the next batch's
     * write.
     */
    TWO_THREADS(2);

    private final int threadsPerShard;

    RingThreads(final int threadsPerShard)
    {
        this.threadsPerShard = threadsPerShard;
    }

    /**
     * @return the ring threads of each shard, as the config file and the command line spell this mode.
     */
    public int threadsPerShard()
    {
        return threadsPerShard;
    }

    /**
     * @param threadsPerShard the config file's and command line's spelling: 1 or 2.
     * @return the mode with that many threads per shard.
     * @throws IllegalArgumentException naming the setting, for any other number.
     */
    public static RingThreads ofThreadsPerShard(final int threadsPerShard)
    {
        for (final RingThreads mode : values())
        {
            if (mode.threadsPerShard == threadsPerShard)
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("ringThreadsPerShard must be 1 or 2: " + threadsPerShard);
    }
}
