package io.xin.core.official;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.ChannelPush;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Pushes each new channel post to the channel's online followers at a bounded rate, on a thread of
 * its own: the post was written once by the journal; here it is encoded once, and each follower's
 * event loop gets one task per chunk that writes the same bytes to its followers' connections and
 * flushes them. The rate ({@code channelPushesPerSecond}) and the chunk ({@code channelPushChunk})
 * bound how much event-loop time a broadcast takes per millisecond, so 1:1 messages handled by the
 * same loops are not queued behind 200,000 pushes.
 * <p>
 * Pushes are hints: a follower whose connection is not writable is skipped (counted), and catches up
 * with ChannelSync. Posts wait in a bounded queue; when it is full a post is not pushed at all.
 * <p>
 * The dispatcher thread offers posts ({@link #offer}); every other field is owned by the pacer thread.
 */
public final class ChannelPacer implements Agent
{
    private final OnlineFollowers followers;
    private final SwitchCounters counters;
    private final LongSupplier nanoClock;
    private final long pushesPerSecond;
    private final int chunk;
    /** Lock-free for the dispatcher; bounded by {@link #queued} (Agrona's array queues need Unsafe access). */
    private final Queue<Message> posts = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final int queueCapacity;

    /** The post being pushed, encoded once; null when idle. */
    private ByteBuf current;
    private Session[] targets;
    private int next;
    /** Pushes the rate allows now, accumulated since the last chunk and capped at one chunk. */
    private double budget;
    private long lastNs;
    /** The pacer's thread, set when it starts; the dispatcher unparks it when it offers a post to an idle pacer. */
    private volatile Thread thread;
    /** Raised by the pacer thread while it parks with no post queued or being pushed. */
    private volatile boolean parkedIdle;

    /**
     * @param pushesPerSecond pushes per second across all posts, at least 1.
     * @param chunk           followers handed to event loops per step, at least 1.
     * @param queueCapacity   posts waiting to be pushed.
     */
    public ChannelPacer(
        final OnlineFollowers followers,
        final SwitchCounters counters,
        final LongSupplier nanoClock,
        final int pushesPerSecond,
        final int chunk,
        final int queueCapacity)
    {
        this.followers = followers;
        this.counters = counters;
        this.nanoClock = nanoClock;
        this.pushesPerSecond = pushesPerSecond;
        this.chunk = chunk;
        this.queueCapacity = queueCapacity;
        this.lastNs = nanoClock.getAsLong();
    }

    /**
     * Queues a post for pushing. Dispatcher thread.
     *
     * @param post the stored post with its channel id and timeline seq.
     * @return false when the queue is full (the post is not pushed; followers read it at sync).
     */
    public boolean offer(final Message post)
    {
        if (queued.incrementAndGet() > queueCapacity)
        {
            queued.decrementAndGet();
            counters.channelPostsNotPaced.increment();
            return false;
        }
        posts.offer(post);
        // After the queued count was raised (a volatile write): a pacer that raised its flag before then
        // is seen here, and one that raises it later sees the count and does not park.
        wake();
        return true;
    }

    /** Ends the pacer thread's idle park, if it is in one: for a post, or for a close. Any thread. */
    public void wake()
    {
        final Thread pacerThread = thread;
        if (parkedIdle && pacerThread != null)
        {
            LockSupport.unpark(pacerThread);
        }
    }

    /**
     * The idle strategy of the pacer's runner: while a post waits for its rate budget, park {@code pacingParkNs};
     * with nothing queued, park until {@link #offer} wakes the thread, at most {@code idleParkNs}. So an idle
     * switch's pacer wakes a few times a second, not a thousand.
     */
    public IdleStrategy idleStrategy(final long pacingParkNs, final long idleParkNs)
    {
        return new PacerIdleStrategy(pacingParkNs, idleParkNs);
    }

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    @Override
    public int doWork()
    {
        final long nowNs = nanoClock.getAsLong();
        budget = Math.min(chunk, budget + (nowNs - lastNs) * (double)pushesPerSecond / TimeUnit.SECONDS.toNanos(1));
        lastNs = nowNs;
        if (current == null && !startNext())
        {
            return 0;
        }
        final int n = Math.min((int)budget, targets.length - next);
        if (n <= 0)
        {
            return 0;
        }
        budget -= n;
        handOver(next, next + n);
        next += n;
        if (next == targets.length)
        {
            finish();
        }
        return n;
    }

    private boolean startNext()
    {
        final Message post = posts.poll();
        if (post == null)
        {
            return false;
        }
        queued.decrementAndGet();
        targets = followers.snapshot(post.getChannelId());
        next = 0;
        final Frame frame = Frame.newBuilder().setChannelPush(ChannelPush.newBuilder().setMessage(post)).build();
        final int length = FrameEncoder.encodedLength(frame);
        current = Unpooled.directBuffer(length, length);
        try
        {
            FrameEncoder.writeFrame(frame, current);
        }
        catch (final java.io.IOException ex)
        {
            // Writing into a buffer sized for the frame cannot fail; if it did, drop this post's pushes.
            current.release();
            current = null;
            counters.channelPostsNotPaced.increment();
            return false;
        }
        if (targets.length == 0)
        {
            finish();
            return false;
        }
        return true;
    }

    /** One task per event loop for the followers in {@code [from, to)}. */
    private void handOver(final int from, final int to)
    {
        final Map<EventLoop, List<Session>> byLoop = new IdentityHashMap<>();
        for (int i = from; i < to; i++)
        {
            final Session session = targets[i];
            if (session.isClosed())
            {
                continue;
            }
            byLoop.computeIfAbsent(session.eventLoop(), loop -> new ArrayList<>()).add(session);
        }
        for (final Map.Entry<EventLoop, List<Session>> entry : byLoop.entrySet())
        {
            final List<Session> channels = entry.getValue();
            final ByteBuf push = current.retainedDuplicate();
            try
            {
                entry.getKey().execute(() -> pushAll(channels, push));
            }
            catch (final RejectedExecutionException ex)
            {
                // The loop is shutting down: its sessions are closing anyway.
                push.release();
            }
        }
    }

    /** On the followers' event loop. */
    private void pushAll(final List<Session> sessions, final ByteBuf push)
    {
        try
        {
            for (int i = 0, size = sessions.size(); i < size; i++)
            {
                // A parked follower wakes for the post.
                switch (sessions.get(i).pushOnLoop(push))
                {
                    case SENT -> counters.channelPushesSent.increment();
                    case NOT_WRITABLE -> counters.channelPushesDropped.increment();
                    case CLOSED ->
                    {
                    }
                }
            }
        }
        finally
        {
            push.release();
        }
    }

    private void finish()
    {
        current.release();
        current = null;
        targets = null;
        counters.channelPostsPaced.increment();
    }

    @Override
    public void onClose()
    {
        if (current != null)
        {
            current.release();
            current = null;
        }
        while (posts.poll() != null)
        {
            counters.channelPostsNotPaced.increment();
        }
    }

    @Override
    public String roleName()
    {
        return "xin-channel-pacer";
    }

    /** Runs on the pacer thread, so it reads the pacer's own state. */
    private final class PacerIdleStrategy implements IdleStrategy
    {
        private final long pacingParkNs;
        private final long idleParkNs;

        PacerIdleStrategy(final long pacingParkNs, final long idleParkNs)
        {
            this.pacingParkNs = pacingParkNs;
            this.idleParkNs = idleParkNs;
        }

        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            if (current != null)
            {
                LockSupport.parkNanos(pacingParkNs);
                return;
            }
            parkedIdle = true;
            if (queued.get() == 0)
            {
                LockSupport.parkNanos(this, idleParkNs);
            }
            parkedIdle = false;
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "pacer";
        }
    }
}
