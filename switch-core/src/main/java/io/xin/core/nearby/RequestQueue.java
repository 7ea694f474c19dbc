package io.xin.core.nearby;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A bounded many-to-one queue on one array, lock-free: the event loops offer, the one consumer thread drains. It is
 * Agrona's {@code ManyToOneConcurrentArrayQueue} algorithm on {@link VarHandle}s (Agrona 2's own reaches into
 * {@code jdk.internal.misc.Unsafe}, which the JVM does not open to it without flags): a producer claims a slot by
 * moving the tail with a compare-and-set, then publishes the element into it with a release store; the consumer
 * takes the element at the head once it is there (acquire), clears the slot and moves the head on (release), which
 * frees the slot for the producers. Nothing is allocated per element.
 *
 * @param <E> the elements, never null.
 */
final class RequestQueue<E>
{
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;
    private static final VarHandle HEAD_CACHE;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(RequestQueue.class, "tail", long.class);
            HEAD = lookup.findVarHandle(RequestQueue.class, "head", long.class);
            HEAD_CACHE = lookup.findVarHandle(RequestQueue.class, "headCache", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Object[] slots;
    private final int mask;
    private final int capacity;
    /** The next slot a producer claims. Moved by the producers (compare-and-set). */
    private volatile long tail;
    /** A recent head, read by the producers instead of the consumer's own to keep that line quiet. */
    private volatile long headCache;
    /** The next slot the consumer takes. Written by the consumer only. */
    private volatile long head;

    /**
     * @param capacity at least 2; rounded up to a power of two.
     */
    RequestQueue(final int capacity)
    {
        if (capacity < 2 || capacity > 1 << 30)
        {
            throw new IllegalArgumentException("capacity must be 2..2^30: " + capacity);
        }
        this.capacity = Integer.highestOneBit(capacity - 1) << 1;
        this.mask = this.capacity - 1;
        this.slots = new Object[this.capacity];
    }

    /**
     * Any thread.
     *
     * @return false when the queue is full (the element was not added).
     */
    boolean offer(final E element)
    {
        Objects.requireNonNull(element, "element");
        long limit = (long)HEAD_CACHE.getAcquire(this) + capacity;
        long claimed;
        do
        {
            claimed = (long)TAIL.getVolatile(this);
            if (claimed >= limit)
            {
                limit = (long)HEAD.getVolatile(this) + capacity;
                if (claimed >= limit)
                {
                    return false;
                }
                HEAD_CACHE.setRelease(this, limit - capacity);
            }
        }
        while (!TAIL.compareAndSet(this, claimed, claimed + 1));
        SLOT.setRelease(slots, (int)(claimed & mask), element);
        return true;
    }

    /**
     * The consumer thread only.
     *
     * @return the oldest element, or null when none is there yet (a producer that claimed the next slot may not
     * have published into it yet).
     */
    @SuppressWarnings("unchecked")
    E poll()
    {
        final long current = (long)HEAD.getOpaque(this);
        final int index = (int)(current & mask);
        final Object element = SLOT.getAcquire(slots, index);
        if (element == null)
        {
            return null;
        }
        SLOT.setOpaque(slots, index, null);
        HEAD.setRelease(this, current + 1);
        return (E)element;
    }

    /**
     * The consumer thread only: takes up to {@code limit} elements in order.
     *
     * @return how many were taken.
     */
    int drain(final Consumer<E> consumer, final int limit)
    {
        int taken = 0;
        E element;
        while (taken < limit && (element = poll()) != null)
        {
            consumer.accept(element);
            taken++;
        }
        return taken;
    }

    /**
     * @return elements claimed and not yet taken (an estimate while producers run). Any thread.
     */
    int size()
    {
        final long size = (long)TAIL.getVolatile(this) - (long)HEAD.getVolatile(this);
        return (int)Math.max(0, Math.min(size, capacity));
    }

    /**
     * @return true when nothing is claimed and not taken. Any thread.
     */
    boolean isEmpty()
    {
        return (long)TAIL.getVolatile(this) == (long)HEAD.getVolatile(this);
    }

    int capacity()
    {
        return capacity;
    }
}
