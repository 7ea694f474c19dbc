package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.device.Session;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.status.SwitchCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Push-back on an embedded channel whose clock the test moves: when a session stops being read, and the check
 * that reads it again.
 */
class PushBackTest
{
    private static final int MAX_IN_FLIGHT = 2;
    private static final int RING_SIZE = 8;

    private final SwitchCounters counters = new SwitchCounters();
    private final RingBuffer<SwitchEvent> ring = RingBuffer.createSingleProducer(SwitchEvent::new, RING_SIZE);
    @SuppressWarnings("unchecked")
    private final PushBack pushBack = new PushBack(MAX_IN_FLIGHT, RING_SIZE, new RingBuffer[]{ ring }, counters);
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final Session session = new Session(channel, 1, "phone");

    @AfterEach
    void close()
    {
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldReadAWritableSessionWithRoomForSends()
    {
        session.incrementInFlightSends();
        assertFalse(pushBack.mustPause(channel, session));
    }

    @Test
    void shouldPauseAtTheInFlightLimit()
    {
        session.incrementInFlightSends();
        session.incrementInFlightSends();
        assertTrue(pushBack.mustPause(channel, session));
        session.decrementInFlightSends();
        assertFalse(pushBack.mustPause(channel, session));
    }

    @Test
    void shouldPauseWhileThePeerDoesNotRead()
    {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        channel.write(Unpooled.wrappedBuffer(new byte[8]));
        assertTrue(pushBack.mustPause(channel, session));
    }

    @Test
    void shouldPauseWhileTheRingIsThreeQuartersFull()
    {
        // A consumer that takes nothing: claimed slots stay taken.
        ring.addGatingSequences(new Sequence());
        ring.next(RING_SIZE - RING_SIZE / 4);
        assertFalse(pushBack.mustPause(channel, session), "a quarter free");
        ring.next();
        assertTrue(pushBack.mustPause(channel, session), "less than a quarter free");
    }

    @Test
    void shouldStopReadingAndCheckAgainAfterTheResumeDelay()
    {
        channel.freezeTime();
        final AtomicInteger checks = new AtomicInteger();

        pushBack.pause(channel, checks::incrementAndGet);

        assertFalse(channel.config().isAutoRead());
        assertEquals(1, counters.readsPaused.sum());
        channel.advanceTimeBy(PushBack.RESUME_CHECK_MS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertEquals(0, checks.get());
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertEquals(1, checks.get());

        pushBack.checkLater(channel, checks::incrementAndGet);
        channel.advanceTimeBy(PushBack.RESUME_CHECK_MS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertEquals(2, checks.get());
        assertFalse(channel.config().isAutoRead(), "a check alone does not read");

        pushBack.resume(channel);
        assertTrue(channel.config().isAutoRead());
        assertEquals(1, counters.readsPaused.sum());
    }
}
