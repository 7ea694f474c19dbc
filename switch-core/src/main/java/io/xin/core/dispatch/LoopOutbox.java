package io.xin.core.dispatch;

import io.netty.util.ReferenceCountUtil;
import io.xin.core.device.Session;

import java.util.Arrays;

/**
 * What one dispatcher batch writes to the channels of one event loop, handed to that loop as one task
 * at the end of the batch: the loop writes every frame in order, then flushes each channel once. One
 * task and one wake-up per event loop per batch, instead of a task per frame and another per flush.
 * <p>
 * Filled by the dispatcher thread, then run by the event loop, which clears {@link #inFlight} when done so
 * the dispatcher may fill it again; {@link io.netty.channel.EventLoop#execute} and that volatile flag order
 * those accesses.
 */
final class LoopOutbox implements Runnable
{
    private static final int INITIAL_CAPACITY = 64;

    /** Set by the dispatcher when it hands the outbox to the loop, cleared by the loop once it has run it. */
    private volatile boolean inFlight;
    private Session[] targets = new Session[INITIAL_CAPACITY];
    private Object[] frames = new Object[INITIAL_CAPACITY];
    private int[] frameBytes = new int[INITIAL_CAPACITY];
    private int frameCount;
    /** Each session written (or refused a push) in this batch, once. */
    private Session[] touched = new Session[INITIAL_CAPACITY];
    private int touchedCount;

    boolean inFlight()
    {
        return inFlight;
    }

    /** Dispatcher thread, just before {@code execute}. */
    void handOver()
    {
        inFlight = true;
    }

    boolean isEmpty()
    {
        return frameCount == 0 && touchedCount == 0;
    }

    /** Dispatcher thread: queues a frame ({@code Frame} or encoded {@code ByteBuf}) of {@code bytes}. */
    void add(final Session session, final Object frame, final int bytes)
    {
        if (frameCount == targets.length)
        {
            final int capacity = frameCount * 2;
            targets = Arrays.copyOf(targets, capacity);
            frames = Arrays.copyOf(frames, capacity);
            frameBytes = Arrays.copyOf(frameBytes, capacity);
        }
        targets[frameCount] = session;
        frames[frameCount] = frame;
        frameBytes[frameCount] = bytes;
        frameCount++;
        session.addQueuedBytes(bytes);
    }

    /** Dispatcher thread: the session is to be flushed (and checked for a missed sync hint) by this task. */
    void touch(final Session session)
    {
        if (touchedCount == touched.length)
        {
            touched = Arrays.copyOf(touched, touchedCount * 2);
        }
        touched[touchedCount++] = session;
    }

    /** Dispatcher thread, after a batch: the sessions touched, to clear their flags. */
    Session touched(final int index)
    {
        return touched[index];
    }

    int touchedCount()
    {
        return touchedCount;
    }

    /** On the event loop. */
    @Override
    public void run()
    {
        try
        {
            for (int i = 0; i < frameCount; i++)
            {
                final Session session = targets[i];
                final Object frame = frames[i];
                targets[i] = null;
                frames[i] = null;
                session.writeOnLoop(frame);
                session.addQueuedBytes(-frameBytes[i]);
            }
            for (int i = 0; i < touchedCount; i++)
            {
                final Session session = touched[i];
                touched[i] = null;
                // A push refused for bytes still queued here, with the channel itself writable, gets its sync
                // hint from this flush.
                session.flushOnLoop();
            }
        }
        finally
        {
            frameCount = 0;
            touchedCount = 0;
            inFlight = false;
        }
    }

    /** Dispatcher thread: the event loop refused the task (it is shutting down); drop what it held. */
    void discard()
    {
        for (int i = 0; i < frameCount; i++)
        {
            targets[i].addQueuedBytes(-frameBytes[i]);
            ReferenceCountUtil.release(frames[i]);
            targets[i] = null;
            frames[i] = null;
        }
        Arrays.fill(touched, 0, touchedCount, null);
        frameCount = 0;
        touchedCount = 0;
        inFlight = false;
    }
}
