package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.xin.core.device.Session;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.core.sync.SyncReader;
import io.xin.protocol.pb.ChannelSync;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.Sync;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The routing of Ping, Ack, Sync, ChannelSync and GroupOp and their immediate refusals, with a ring nothing
 * consumes (so it fills), a sync reader whose queue takes nothing, a fixed wall clock, and no channel.
 */
class RequestRouterTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    private final RingBuffer<SwitchEvent> ring = RingBuffer.createMultiProducer(SwitchEvent::new, 4);
    private final SwitchStatus status = new SwitchStatus();
    private final SwitchCounters counters = new SwitchCounters();
    /** Queue capacity 0: every page is refused as the queue being full, and no reader thread needs a store. */
    private final SyncReader syncReader = new SyncReader(null, counters, 1, 0, 1024);
    private final Session session = new Session(null, 1, "phone");

    @SuppressWarnings("unchecked")
    private RequestRouter router(final boolean servesAudiences)
    {
        return new RequestRouter(new RingBuffer[]{ ring }, syncReader, status, counters, () -> NOW_MS, 100, 2, 200,
            servesAudiences);
    }

    private final RequestRouter router = router(true);

    {
        // Nothing consumes the ring: it fills after its four slots.
        ring.addGatingSequences(new Sequence());
    }

    @AfterEach
    void close()
    {
        syncReader.close();
    }

    @Test
    void shouldAnswerPingWithServerTimeOnlyWhileThePeerReads()
    {
        final Frame pong = router.ping(9, true);
        assertEquals(9, pong.getPong().getRequestId());
        assertEquals(NOW_MS, pong.getPong().getServerTimeMs());
        assertNull(router.ping(9, false));
    }

    @Test
    void shouldPublishAnAckThatMovesTheCursorAndSkipItWhenTheRingIsFull()
    {
        router.ack(session, 5);
        assertEquals(5, session.cursorSeq());
        assertEquals(0, ring.getCursor());
        router.ack(session, 5);
        router.ack(session, 3);
        assertEquals(0, ring.getCursor(), "an ack at or below the cursor is not published");
        for (int i = 0; i < 3; i++)
        {
            ring.tryPublishEvent(SwitchEvent.CLOSE_TRANSLATOR, session);
        }
        router.ack(session, 9);
        assertEquals(5, session.cursorSeq(), "skipped on a full ring; the next Ack supersedes it");
    }

    @Test
    void shouldRefuseASyncWhileAnswersAreUnreadOrOneIsInFlightOrTheQueueIsFull()
    {
        final Sync sync = Sync.newBuilder().setRequestId(3).setAfterSeq(0).build();
        assertBusy(router.sync(session, sync, false), "earlier answers not read yet");
        assertFalse(session.syncInFlight());
        assertBusy(router.sync(session, sync, true), "sync queue full");
        assertFalse(session.syncInFlight(), "a refused page leaves the way clear");
        session.tryStartSync();
        assertBusy(router.sync(session, sync, true), "one sync at a time per session");
        assertEquals(3, counters.busyRejections.sum());
    }

    @Test
    void shouldRefuseAChannelSyncWithoutAChannel()
    {
        final Frame answer = router.channelSync(session, ChannelSync.newBuilder().setRequestId(4).build(), true);
        assertEquals(ErrorCode.BAD_REQUEST, answer.getError().getCode());
        assertEquals(4, answer.getError().getRequestId());
    }

    @Test
    void shouldCheckAGroupOpThenStatusThenShardsThenInFlight()
    {
        final GroupOp bad = GroupOp.newBuilder().setRequestId(6).setOp(GroupOpType.GROUP_RENAME).build();
        final GroupOp leave = GroupOp.newBuilder().setRequestId(7).setOp(GroupOpType.GROUP_LEAVE).setGroupId(10).build();
        status.startDraining();
        assertEquals(ErrorCode.BAD_REQUEST, router.groupOp(session, bad).getError().getCode());
        assertEquals(ErrorCode.SHUTTING_DOWN, router.groupOp(session, leave).getError().getCode());
        final SwitchStatus running = new SwitchStatus();
        @SuppressWarnings("unchecked")
        final RequestRouter sharded = new RequestRouter(new RingBuffer[]{ ring, ring }, syncReader, running, counters,
            () -> NOW_MS, 100, 2, 200, false);
        assertEquals(ErrorCode.NOT_ALLOWED, sharded.groupOp(session, leave).getError().getCode());
        @SuppressWarnings("unchecked")
        final RequestRouter open = new RequestRouter(new RingBuffer[]{ ring }, syncReader, running, counters,
            () -> NOW_MS, 100, 2, 200, true);
        assertNull(open.groupOp(session, leave));
        assertNull(open.groupOp(session, leave));
        assertBusy(open.groupOp(session, leave), "server busy");
        assertEquals(2, session.inFlightSends(), "in flight as sends are, the refused one not counted");
        assertEquals(1, ring.getCursor());
    }

    private static void assertBusy(final Frame answer, final String reason)
    {
        assertEquals(ErrorCode.BUSY, answer.getError().getCode());
        assertEquals(reason, answer.getError().getMessage());
        assertEquals(200, answer.getError().getRetryAfterMs());
    }
}
