package io.xin.core.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One logged-in device: what the ring, the dispatcher and the sync readers need to know of a
 * connection. Created by the session's event loop at login; immutable identity, a few flags
 * shared across threads, each documented with its owner.
 * <p>
 * A million of these live at once, so the cross-thread flags are plain fields updated through
 * {@link VarHandle}s rather than atomic objects of their own (48 bytes a session saved).
 */
public final class Session
{
    private static final VarHandle IN_FLIGHT_SENDS;
    private static final VarHandle MUST_SYNC;
    private static final VarHandle SYNC_IN_FLIGHT;
    private static final VarHandle QUEUED_BYTES;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            IN_FLIGHT_SENDS = lookup.findVarHandle(Session.class, "inFlightSends", int.class);
            MUST_SYNC = lookup.findVarHandle(Session.class, "mustSync", boolean.class);
            SYNC_IN_FLIGHT = lookup.findVarHandle(Session.class, "syncInFlight", boolean.class);
            QUEUED_BYTES = lookup.findVarHandle(Session.class, "queuedBytes", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /**
     * The connection's channel; null while the session is parked (see {@link Waker}), a new one after it
     * wakes (set by the transport's parking, on the event loop). Read by any thread, which may hold a channel the
     * session has since left: what is written to that one is passed on to the current channel by the session
     * handler, on the loop.
     */
    private volatile Channel channel;
    /** The session's event loop, which it keeps across parking. */
    private final EventLoop eventLoop;
    /** Null in tests that make sessions without a handler (they never park). */
    private final Waker handler;
    private final long userId;
    /** The device id in UTF-8, kept once: cursor keys and stored messages take the bytes, logs make the string. */
    private final byte[] deviceIdBytes;

    /** Set by the event loop when the channel closes; read by the dispatcher. */
    private volatile boolean closed;
    /** Sends published and not yet answered: incremented by the event loop, decremented by the dispatcher. */
    private volatile int inFlightSends;
    /** Pushes were dropped while the channel was not writable: set by the dispatcher, cleared by the event loop. */
    private volatile boolean mustSync;
    /** Highest seq the dispatcher dropped a push for. */
    private volatile long droppedUpToSeq;
    /** One sync page in flight at a time: set by the event loop, cleared by the sync reader. */
    private volatile boolean syncInFlight;
    /**
     * Bytes the dispatcher has queued for this channel in a task its event loop has not yet run, which Netty's
     * pending-bytes count does not see yet: added by the dispatcher, subtracted by the event loop as it writes them.
     */
    private volatile int queuedBytes;
    /** Highest cursor this device acknowledged. Owned by the event loop. */
    private long cursorSeq;
    /** The device's cursor as stored: a cursor only moves forward. Owned by the journal thread. */
    private long storedCursorSeq;
    /** Whether the dispatcher wrote to this channel in the current batch. Owned by the dispatcher thread. */
    private boolean flushPending;
    /**
     * How many times the user's shard had moved out (cluster mode) when the journal took this login: a session
     * logged in before a move takes no sends after it. Owned by the journal thread.
     */
    private int moveOutEpoch;

    public Session(final Channel channel, final long userId, final String deviceId)
    {
        this(channel, userId, deviceId, null);
    }

    public Session(final Channel channel, final long userId, final String deviceId, final Waker handler)
    {
        this.channel = channel;
        this.eventLoop = channel != null && channel.isRegistered() ? channel.eventLoop() : null;
        this.handler = handler;
        this.userId = userId;
        this.deviceIdBytes = deviceId.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The current channel, or null while parked. Any thread; writers on the event loop use {@link #writeOnLoop},
     * {@link #flushOnLoop} and {@link #pushOnLoop}, which wake a parked session.
     */
    public Channel channel()
    {
        return channel;
    }

    /** Event loop: the session's channel, woken first when parked; null only if it was closed while parked. */
    private Channel channelOnLoop()
    {
        final Channel current = channel;
        return current != null || handler == null ? current : handler.wake();
    }

    /**
     * Event loop: writes {@code frame} (a {@code Frame}, or a {@code ByteBuf} encoded already) to the session's
     * channel without a flush, waking the session if it is parked; a session closed while parked releases it.
     * Writers on the loop need not know that the channel can change.
     */
    public void writeOnLoop(final Object frame)
    {
        final Channel current = channelOnLoop();
        // A closed channel releases what it is given; a session closed while parked has none.
        if (current != null)
        {
            current.write(frame, current.voidPromise());
        }
        else
        {
            ReferenceCountUtil.release(frame);
        }
    }

    /**
     * Event loop: flushes what {@link #writeOnLoop} wrote; and when a push was dropped for bytes that were still
     * queued for the loop while the channel itself is writable, lets the handler send the sync hint now (no
     * writability change may come to do it).
     */
    public void flushOnLoop()
    {
        final Channel current = channelOnLoop();
        if (current == null)
        {
            return;
        }
        current.flush();
        if (mustSync && current.isWritable())
        {
            current.pipeline().fireChannelWritabilityChanged();
        }
    }

    /** What {@link #pushOnLoop} did with a push. */
    public enum Push
    {
        /** Written and flushed. */
        SENT,
        /** The channel does not take more now (its peer reads too slowly): not written. */
        NOT_WRITABLE,
        /** The session's channel is closed, or the session was closed while parked: not written. */
        CLOSED
    }

    /**
     * Event loop: writes and flushes a retained duplicate of {@code frame} (encoded already) when the session's
     * channel is open and writable, waking the session if it is parked. The caller keeps its own reference, so one
     * buffer serves every session of a loop; a push the channel cannot take now is not written at all.
     */
    public Push pushOnLoop(final ByteBuf frame)
    {
        final Channel current = channelOnLoop();
        if (current == null || !current.isActive())
        {
            return Push.CLOSED;
        }
        if (!current.isWritable())
        {
            return Push.NOT_WRITABLE;
        }
        current.writeAndFlush(frame.retainedDuplicate(), current.voidPromise());
        return Push.SENT;
    }

    /** Event loop: parked (null) or woken (the new channel). */
    public void channel(final Channel channel)
    {
        this.channel = channel;
    }

    public EventLoop eventLoop()
    {
        return eventLoop != null ? eventLoop : channel.eventLoop();
    }

    /** The allocator of the session's frames: the channel's (Netty's default), also while parked. */
    public ByteBufAllocator alloc()
    {
        final Channel current = channel;
        return current != null ? current.alloc() : ByteBufAllocator.DEFAULT;
    }

    /** Bytes the channel takes before it is not writable; a parked session's outbound buffer is empty. Any thread. */
    public long bytesBeforeUnwritable()
    {
        final Channel current = channel;
        return current != null ? current.bytesBeforeUnwritable() : handler.writeBufferHighWaterMarkBytes();
    }

    /**
     * Any thread: writes and flushes {@code frame} on the session's loop, waking the session if it is parked, and
     * closes the connection after it when {@code thenClose}.
     */
    public void writeAndFlush(final Object frame, final boolean thenClose)
    {
        final Channel current = channel;
        if (current != null)
        {
            if (thenClose)
            {
                current.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
            }
            else
            {
                current.writeAndFlush(frame, current.voidPromise());
            }
            return;
        }
        eventLoop.execute(() ->
        {
            final Channel woken = channelOnLoop();
            if (woken == null)
            {
                ReferenceCountUtil.release(frame);
            }
            else if (thenClose)
            {
                woken.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
            }
            else
            {
                woken.writeAndFlush(frame, woken.voidPromise());
            }
        });
    }

    public long userId()
    {
        return userId;
    }

    /** Made from the bytes on each call (group events and logs; the 1:1 path uses {@link #deviceIdBytes}). */
    public String deviceId()
    {
        return new String(deviceIdBytes, StandardCharsets.UTF_8);
    }

    /** Whether this session is of the same device id as {@code other} (a newer login replaces an older one). */
    public boolean sameDevice(final Session other)
    {
        return Arrays.equals(deviceIdBytes, other.deviceIdBytes);
    }

    public byte[] deviceIdBytes()
    {
        return deviceIdBytes;
    }

    public boolean isClosed()
    {
        return closed;
    }

    public void markClosed()
    {
        closed = true;
    }

    /**
     * Event loop: counts a send about to be published.
     *
     * @return sends in flight, this one included.
     */
    public int incrementInFlightSends()
    {
        return (int)IN_FLIGHT_SENDS.getAndAdd(this, 1) + 1;
    }

    /** Event loop (a send not published) or dispatcher (a send answered). */
    public void decrementInFlightSends()
    {
        IN_FLIGHT_SENDS.getAndAdd(this, -1);
    }

    public int inFlightSends()
    {
        return inFlightSends;
    }

    /**
     * Dispatcher thread: a push for {@code seq} was dropped; the device must sync up to it.
     */
    public void pushDropped(final long seq)
    {
        if (seq > droppedUpToSeq)
        {
            droppedUpToSeq = seq;
        }
        mustSync = true;
    }

    /**
     * Event loop: claims the must-sync mark.
     *
     * @return the highest dropped seq, or 0 when nothing was dropped.
     */
    public long takeMustSync()
    {
        return MUST_SYNC.compareAndSet(this, true, false) ? droppedUpToSeq : 0;
    }

    /** True while pushes were dropped and the device has not yet been told to sync. Any thread. */
    public boolean mustSyncPending()
    {
        return mustSync;
    }

    /** Bytes queued for this channel by the dispatcher and not yet written to it. Any thread. */
    public int queuedBytes()
    {
        return queuedBytes;
    }

    /**
     * Dispatcher (queues, {@code bytes > 0}) or event loop (writes, {@code bytes < 0}).
     */
    public void addQueuedBytes(final int bytes)
    {
        QUEUED_BYTES.getAndAdd(this, bytes);
    }

    public boolean tryStartSync()
    {
        return SYNC_IN_FLIGHT.compareAndSet(this, false, true);
    }

    /** Sync reader: the page is written; the device may ask for the next. */
    public void syncDone()
    {
        syncInFlight = false;
    }

    public boolean syncInFlight()
    {
        return syncInFlight;
    }

    public long cursorSeq()
    {
        return cursorSeq;
    }

    public void cursorSeq(final long cursorSeq)
    {
        this.cursorSeq = cursorSeq;
    }

    /** Journal thread. */
    public long storedCursorSeq()
    {
        return storedCursorSeq;
    }

    /** Journal thread. */
    public void storedCursorSeq(final long storedCursorSeq)
    {
        this.storedCursorSeq = storedCursorSeq;
    }

    /** Journal thread. */
    public int moveOutEpoch()
    {
        return moveOutEpoch;
    }

    /** Journal thread, at login. */
    public void moveOutEpoch(final int moveOutEpoch)
    {
        this.moveOutEpoch = moveOutEpoch;
    }

    /** Dispatcher thread. */
    public boolean flushPending()
    {
        return flushPending;
    }

    /** Dispatcher thread. */
    public void flushPending(final boolean flushPending)
    {
        this.flushPending = flushPending;
    }

    @Override
    public String toString()
    {
        final Channel current = channel;
        return "Session{user=" + userId + ", device=" + deviceId() + ", remote=" +
            (current != null ? current.remoteAddress() : "(parked)") + '}';
    }

    /**
     * The connection handler a session belongs to, which can park it (drop its channel, keep the socket) and wake
     * it. Implemented by the session layer above, so that the ring, the dispatcher and the sync readers know a
     * session without knowing its handler.
     */
    public interface Waker
    {
        /**
         * Event loop: gives a parked session a channel again.
         *
         * @return the session's channel, or null when it was closed while parked.
         */
        Channel wake();

        /** The high water mark of the session's channel: a parked session's outbound buffer is empty. Any thread. */
        long writeBufferHighWaterMarkBytes();
    }
}
