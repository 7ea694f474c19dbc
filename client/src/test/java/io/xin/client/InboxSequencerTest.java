package io.xin.client;

import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static io.xin.client.Frames.message;
import static io.xin.client.Frames.syncResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class InboxSequencerTest
{
    private final List<Long> delivered = new ArrayList<>();
    private final List<Long> syncRequests = new ArrayList<>();
    private final List<Long> ownSends = new ArrayList<>();
    private final InboxSequencer.Output output = new InboxSequencer.Output()
    {
        @Override
        public void onMessage(final Message message)
        {
            if (!delivered.isEmpty())
            {
                assertTrue(message.getSeq() > delivered.get(delivered.size() - 1), "not increasing");
            }
            delivered.add(message.getSeq());
        }

        @Override
        public void onOwnSend(final long seq)
        {
            ownSends.add(seq);
        }

        @Override
        public void requestSync(final long afterSeq)
        {
            syncRequests.add(afterSeq);
        }
    };

    @Test
    void shouldPassOnNextSeqAndDropDuplicates()
    {
        final InboxSequencer inbox = online(0, 0);

        inbox.onDeliver(message(1));
        inbox.onDeliver(message(2));
        inbox.onDeliver(message(1));
        inbox.onDeliver(message(2));

        assertEquals(List.of(1L, 2L), delivered);
        assertEquals(2, inbox.lastSeq());
        assertTrue(syncRequests.isEmpty());
    }

    @Test
    void shouldMovePastOwnSendsWithoutAMessageAndSyncWhenOneSkipsASeq()
    {
        final InboxSequencer inbox = online(0, 0);
        inbox.onDeliver(message(1));
        inbox.onOwnSend(2);
        inbox.onOwnSend(2);
        inbox.onDeliver(message(3));

        assertEquals(List.of(1L, 3L), delivered);
        assertEquals(List.of(2L), ownSends);
        assertEquals(3, inbox.lastSeq());
        assertTrue(syncRequests.isEmpty());

        inbox.onOwnSend(5);

        assertEquals(List.of(2L), ownSends, "a seq beyond the next is a gap, not passed on");
        assertEquals(List.of(3L), syncRequests);
        assertEquals(5, inbox.knownHeadSeq());
    }

    @Test
    void shouldSyncFromLastSeqOnGapAndDropThePush()
    {
        final InboxSequencer inbox = online(0, 0);
        inbox.onDeliver(message(1));

        inbox.onDeliver(message(3));

        assertEquals(List.of(1L), delivered);
        assertEquals(List.of(1L), syncRequests);
        assertTrue(inbox.syncInFlight());

        inbox.onSyncResult(syncResult(1, 3, 3, false, 2, 3));

        assertEquals(List.of(1L, 2L, 3L), delivered);
        assertFalse(inbox.syncInFlight());
        assertEquals(List.of(1L), syncRequests);
    }

    @Test
    void shouldKeepOneSyncInFlightAndSyncAgainForWhatArrivedMeanwhile()
    {
        final InboxSequencer inbox = online(0, 0);
        inbox.onDeliver(message(2));
        inbox.onDeliver(message(3));
        inbox.onDeliver(message(5));

        assertEquals(List.of(0L), syncRequests);

        inbox.onSyncResult(syncResult(1, 3, 3, false, 1, 2, 3));

        assertEquals(List.of(1L, 2L, 3L), delivered);
        assertEquals(List.of(0L, 3L), syncRequests);

        inbox.onSyncResult(syncResult(2, 5, 5, false, 4, 5));

        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
        assertEquals(List.of(0L, 3L), syncRequests);
    }

    @Test
    void shouldPassOnNextPushWhileSyncingWithoutDuplicatingItFromThePage()
    {
        final InboxSequencer inbox = online(0, 0);
        inbox.onDeliver(message(3));
        inbox.onDeliver(message(1));

        inbox.onSyncResult(syncResult(1, 3, 3, false, 1, 2, 3));

        assertEquals(List.of(1L, 2L, 3L), delivered);
    }

    @Test
    void shouldPageWhileHasMore()
    {
        final InboxSequencer inbox = online(2, 6);

        assertEquals(List.of(2L), syncRequests);
        inbox.onSyncResult(syncResult(1, 4, 6, true, 3, 4));
        assertEquals(List.of(2L, 4L), syncRequests);
        inbox.onSyncResult(syncResult(2, 6, 6, false, 5, 6));

        assertEquals(List.of(3L, 4L, 5L, 6L), delivered);
        assertEquals(List.of(2L, 4L), syncRequests);
        assertEquals(6, inbox.lastSeq());
    }

    @Test
    void shouldSkipSeqsRemovedByRetentionWithoutAskingAgain()
    {
        final InboxSequencer inbox = online(0, 10);

        inbox.onSyncResult(syncResult(1, 10, 10, false, 8, 10));

        assertEquals(List.of(8L, 10L), delivered);
        assertEquals(10, inbox.lastSeq());
        assertEquals(List.of(0L), syncRequests);

        inbox.onDeliver(message(11));
        assertEquals(List.of(8L, 10L, 11L), delivered);
    }

    @Test
    void shouldAdvancePastEmptyPageCoveringRemovedRange()
    {
        final InboxSequencer inbox = online(0, 4);

        inbox.onSyncResult(syncResult(1, 4, 4, false));

        assertTrue(delivered.isEmpty());
        assertEquals(4, inbox.lastSeq());
        assertEquals(List.of(0L), syncRequests);
    }

    @Test
    void shouldNotSpinWhenServerHasNothingBeyondLastSeq()
    {
        final InboxSequencer inbox = online(0, 0);
        inbox.onDeliver(message(5));

        inbox.onSyncResult(syncResult(1, 0, 0, false));

        assertEquals(List.of(0L), syncRequests);
        assertFalse(inbox.syncInFlight());

        inbox.onHeadSeq(5);
        assertEquals(List.of(0L, 0L), syncRequests);
    }

    @Test
    void shouldSyncOnHeadAheadOnlyWhenOnline()
    {
        final InboxSequencer inbox = new InboxSequencer(output, 3);
        inbox.onHeadSeq(5);
        assertTrue(syncRequests.isEmpty());

        inbox.onOnline(5);
        assertEquals(List.of(3L), syncRequests);

        inbox.onOffline();
        assertFalse(inbox.syncInFlight());
        inbox.onOnline(4);
        assertEquals(List.of(3L, 3L), syncRequests);
    }

    @Test
    void shouldNotSyncWhenHeadIsNotAhead()
    {
        final InboxSequencer inbox = online(5, 5);
        inbox.onHeadSeq(4);
        assertTrue(syncRequests.isEmpty());
    }

    @Test
    void shouldHoldSyncAfterFailureUntilResumed()
    {
        final InboxSequencer inbox = online(0, 3);
        inbox.onSyncFailed();
        inbox.onDeliver(message(4));
        assertEquals(List.of(0L), syncRequests);

        inbox.resumeSync();
        assertEquals(List.of(0L, 0L), syncRequests);

        inbox.onSyncResult(syncResult(2, 4, 4, false, 1, 2, 3, 4));
        assertEquals(List.of(1L, 2L, 3L, 4L), delivered);
    }

    private InboxSequencer online(final long lastSeq, final long headSeq)
    {
        final InboxSequencer inbox = new InboxSequencer(output, lastSeq);
        inbox.onOnline(headSeq);
        return inbox;
    }
}
