package io.xin.core.official;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the pacer agent synchronously with a clock the test advances: it pushes no faster than its
 * rate, in chunks, once to each online follower, the same encoded post to each.
 */
class ChannelPacerTest
{
    private static final long CHANNEL = 7;

    private final SwitchCounters counters = new SwitchCounters();
    private final OnlineFollowers followers = new OnlineFollowers();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private long nowNs = 1_000_000_000L;

    @AfterEach
    void closeChannels()
    {
        for (final EmbeddedChannel channel : channels)
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldEndAnIdleParkWhenAPostIsOffered() throws Exception
    {
        final ChannelPacer pacer = new ChannelPacer(followers, counters, () -> nowNs, 1_000, 10, 16);
        final org.agrona.concurrent.IdleStrategy idle = pacer.idleStrategy(1_000_000, TimeUnit.MINUTES.toNanos(10));
        final java.util.concurrent.CountDownLatch parked = new java.util.concurrent.CountDownLatch(1);
        final Thread pacerThread = new Thread(() ->
        {
            pacer.onStart();
            parked.countDown();
            idle.idle(0);
        }, "test-pacer");
        pacerThread.start();
        parked.await();

        // Whether the offer lands before the park (the pacer sees the queued post and does not park) or during
        // it (the offer unparks it), the thread returns long before the ten-minute idle park.
        assertTrue(pacer.offer(post(1)));
        pacerThread.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(pacerThread.isAlive(), "an offered post ends the idle park");
        pacer.onClose();
    }

    @Test
    void shouldPushNoFasterThanItsRateInChunks()
    {
        final ChannelPacer pacer = new ChannelPacer(followers, counters, () -> nowNs, 1_000, 10, 16);
        for (int i = 0; i < 25; i++)
        {
            followers.add(CHANNEL, follower(100 + i));
        }
        assertTrue(pacer.offer(post(1)));

        assertEquals(0, pacer.doWork(), "no budget yet");
        nowNs += TimeUnit.MILLISECONDS.toNanos(4);
        assertEquals(4, pacer.doWork(), "4 ms at 1,000 per second");
        nowNs += TimeUnit.MILLISECONDS.toNanos(100);
        assertEquals(10, pacer.doWork(), "at most one chunk per step");
        nowNs += TimeUnit.MILLISECONDS.toNanos(100);
        assertEquals(10, pacer.doWork());
        nowNs += TimeUnit.MILLISECONDS.toNanos(100);
        assertEquals(1, pacer.doWork(), "the rest");
        nowNs += TimeUnit.MILLISECONDS.toNanos(100);
        assertEquals(0, pacer.doWork(), "done");

        int pushed = 0;
        for (final EmbeddedChannel channel : channels)
        {
            channel.runPendingTasks();
            final ByteBuf push = channel.readOutbound();
            if (push != null)
            {
                pushed++;
                push.release();
            }
            assertNull(channel.readOutbound(), "once per follower");
        }
        assertEquals(25, pushed);
        assertEquals(25, counters.channelPushesSent.sum());
        assertEquals(1, counters.channelPostsPaced.sum());
    }

    @Test
    void shouldSkipClosedFollowersAndRefusePostsBeyondItsQueue()
    {
        final ChannelPacer pacer = new ChannelPacer(followers, counters, () -> nowNs, 1_000_000, 100, 2);
        final Session open = follower(1);
        final EmbeddedChannel closedChannel = newChannel();
        final Session closed = new Session(closedChannel, 2, "phone");
        closedChannel.close();
        followers.add(CHANNEL, open);
        followers.add(CHANNEL, closed);

        assertTrue(pacer.offer(post(1)));
        assertTrue(pacer.offer(post(2)));
        assertFalse(pacer.offer(post(3)), "queue of 2 is full");
        assertEquals(1, counters.channelPostsNotPaced.sum());

        nowNs += TimeUnit.MILLISECONDS.toNanos(10);
        pacer.doWork();
        nowNs += TimeUnit.MILLISECONDS.toNanos(10);
        pacer.doWork();
        final EmbeddedChannel openChannel = (EmbeddedChannel)open.channel();
        openChannel.runPendingTasks();
        for (long seq = 1; seq <= 2; seq++)
        {
            final ByteBuf push = openChannel.readOutbound();
            try
            {
                final Frame frame = Frame.parseDelimitedFrom(new io.netty.buffer.ByteBufInputStream(push));
                assertEquals(seq, frame.getChannelPush().getMessage().getSeq());
            }
            catch (final java.io.IOException ex)
            {
                throw new AssertionError(ex);
            }
            finally
            {
                push.release();
            }
        }
        assertEquals(2, counters.channelPushesSent.sum(), "the closed follower got nothing");
        pacer.onClose();
    }

    @Test
    void shouldForgetAFollowerSetOnceItsLastSessionLeaves()
    {
        final Session session = follower(1);
        followers.add(CHANNEL, session);
        assertEquals(1, followers.count(CHANNEL));
        followers.remove(CHANNEL, session);
        assertEquals(0, followers.count(CHANNEL));
        assertEquals(0, followers.snapshot(CHANNEL).length);
    }

    private Session follower(final long userId)
    {
        return new Session(newChannel(), userId, "phone");
    }

    private EmbeddedChannel newChannel()
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return channel;
    }

    private static Message post(final long seq)
    {
        return Message.newBuilder().setChannelId(CHANNEL).setSeq(seq).setMsgId(seq).build();
    }
}
