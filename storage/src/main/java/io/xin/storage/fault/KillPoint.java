package io.xin.storage.fault;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Test only: points on a message's path where a crash test can halt the process, as a power cut
 * or {@code kill -9} would, to prove that nothing acknowledged is lost wherever the switch dies.
 * <p>
 * Armed by the system property {@value #PROPERTY}{@code =POINT:N}: the N-th time the process
 * reaches POINT it calls {@link Runtime#halt(int)} with {@value #HALT_EXIT_CODE} (no shutdown
 * hooks, no flush, no close). Unset, as in production, every {@link #reach(KillPoint)} compares a
 * constant null and the JIT removes it.
 */
public enum KillPoint
{
    /** An event loop published a Send to the ring; nothing is written yet. */
    AFTER_RING_PUBLISH,
    /** The journal's append of a batch to its message log returned (durable); no ack is sent yet. */
    AFTER_WRITE_BEFORE_ACK,
    /** The acks and pushes of a batch are released to the dispatcher; the batch is not yet applied to RocksDB. */
    AFTER_ACK_BEFORE_INDEX,
    /** At open, a chunk of the log's unapplied tail has been applied to RocksDB, not yet all of it. */
    DURING_REPLAY,
    /** The dispatcher wrote and flushed the acks and pushes of a batch. */
    AFTER_ACK,
    /** The dispatcher wrote a message's ack and its push to the recipient, not yet to the sender's other devices. */
    MID_DELIVERY,
    /** A message log is rolling: the new segment file is created, no append has gone to it yet. */
    DURING_LOG_ROLL,
    /** A message log's truncateBefore deleted its first segment and not yet the next. */
    DURING_LOG_RETENTION;

    public static final String PROPERTY = "xin.test.killPoint";
    public static final int HALT_EXIT_CODE = 86;

    private static final KillPoint ARMED;
    private static final AtomicLong REMAINING = new AtomicLong();

    static
    {
        final String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank())
        {
            ARMED = null;
        }
        else
        {
            final int colon = spec.indexOf(':');
            ARMED = valueOf(colon < 0 ? spec : spec.substring(0, colon));
            REMAINING.set(colon < 0 ? 1 : Long.parseLong(spec.substring(colon + 1)));
        }
    }

    /**
     * Halts the process if this point is armed and reached for the N-th time.
     */
    public static void reach(final KillPoint point)
    {
        if (ARMED == point && REMAINING.decrementAndGet() == 0)
        {
            Runtime.getRuntime().halt(HALT_EXIT_CODE);
        }
    }
}
