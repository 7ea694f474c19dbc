package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Content;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.JournalBatch;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A journal shard over a replicated log (cluster mode), driven one batch at a time against a real RocksDB and a
 * recording log: it writes only while it owns the shard, appends hand-offs with the batch instead of an outbox,
 * gives the shard up when an append fails, and starts afresh when it owns the shard again.
 */
@Timeout(30)
class ReplicatedJournalIT
{
    private static final int SHARDS = 2;

    @TempDir
    Path dataDir;

    private XinStore store;
    private final SwitchStatus status = new SwitchStatus();
    private final RecordingLog log = new RecordingLog();
    private final java.util.concurrent.atomic.AtomicLong clockMs = new java.util.concurrent.atomic.AtomicLong(1_000);
    private Journal journal;
    private long sequence;
    private long shard0User;
    private long shard0Other;
    private long shard1User;

    /** What the journal appended, and the ownership it is told. */
    private static final class RecordingLog implements ReplicatedShards
    {
        long epoch;
        long end;
        RuntimeException failure;
        final List<List<Long>> handoffRecipients = new ArrayList<>();
        final List<Long> takenBefore = new ArrayList<>();
        final List<Long> lostEpochs = new ArrayList<>();

        @Override
        public long ownerEpoch(final int shard)
        {
            return epoch;
        }

        @Override
        public void attach(
            final XinStore store, final Journal[] journals, final IntConsumer movedAway,
            final XinStore.RelationsApplied relations)
        {
        }

        @Override
        public long append(
            final int shard, final long epoch, final JournalBatch batch, final List<Handoff> handoffs,
            final long handoffsTakenBefore)
        {
            assertEquals(this.epoch, epoch, "appends under the epoch it owns");
            if (failure != null)
            {
                throw failure;
            }
            final List<Long> recipients = new ArrayList<>();
            handoffs.forEach(handoff -> recipients.add(handoff.recipientId()));
            handoffRecipients.add(recipients);
            takenBefore.add(handoffsTakenBefore);
            end += 2;
            return end;
        }

        @Override
        public void lost(final int shard, final long epoch, final RuntimeException cause)
        {
            lostEpochs.add(epoch);
            if (this.epoch == epoch)
            {
                this.epoch = 0;
            }
        }
    }

    @BeforeEach
    void open()
    {
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER).replicatedLogs(true));
        journal = new Journal(new JournalContext()
            .store(store).status(status).counters(new SwitchCounters()).clock(clockMs::get)
            .shardCount(SHARDS).replicatedShards(log).strangersAllowedByDefault(true), 0);
        shard0User = userOf(0, 1);
        shard0Other = userOf(0, shard0User + 1);
        shard1User = userOf(1, 1);
    }

    @AfterEach
    void close()
    {
        journal.onShutdown();
        store.close();
    }

    private static long userOf(final int shard, final long from)
    {
        long user = from;
        while (JournalShard.of(user, SHARDS) != shard)
        {
            user++;
        }
        return user;
    }

    private SwitchEvent send(final long from, final long to, final String clientMsgId)
    {
        final SwitchEvent event = new SwitchEvent();
        SwitchEvent.SEND_TRANSLATOR.translateTo(event, 0, new Session(null, from, "phone"),
            io.xin.protocol.pb.Send.newBuilder().setRequestId(1).setToUserId(to).setClientMsgId(clientMsgId)
                .setContent(Content.newBuilder().setTypeValue(1)
                    .setBody(ByteString.copyFrom(clientMsgId, StandardCharsets.UTF_8)))
                .build());
        return event;
    }

    private void batch(final SwitchEvent... events)
    {
        for (int i = 0; i < events.length; i++)
        {
            journal.onEvent(events[i], ++sequence, i == events.length - 1);
        }
    }

    @Test
    void shouldWriteNothingForAShardItDoesNotOwn()
    {
        final SwitchEvent refused = send(shard0User, shard0Other, "m-1");
        batch(refused);

        assertEquals(SwitchEvent.RESULT_FAILED, refused.result);
        assertTrue(log.handoffRecipients.isEmpty(), "nothing appended");
        assertEquals(0, store.readInbox(shard0User, 0, 10, 1 << 20).entries().size());
        assertFalse(status.isStorageFailed(), "not owning a shard is not a storage failure");
    }

    @Test
    void shouldAppendHandoffsWithTheBatchAndKeepNoOutbox()
    {
        log.epoch = 1;
        final SwitchEvent local = send(shard0User, shard0Other, "m-1");
        final SwitchEvent remote = send(shard0User, shard1User, "m-2");
        batch(local, remote);

        assertEquals(SwitchEvent.RESULT_OK, local.result);
        assertEquals(SwitchEvent.RESULT_OK, remote.result);
        assertEquals(List.of(List.of(shard1User)), log.handoffRecipients, "the cross-shard send goes with the batch");
        assertEquals(List.of(-1L), log.takenBefore, "no incoming hand-off was taken");
        assertTrue(store.readOutbox().isEmpty(), "no outbox in cluster mode");
        assertEquals(2, store.readInbox(shard0User, 0, 10, 1 << 20).entries().size());
        assertEquals(0, local.msgId & ((1 << Journal.MSG_ID_SHARD_BITS) - 1), "the shard is in the id's low bits");
        assertTrue(remote.msgId > local.msgId);
        assertEquals(2, store.appliedPosition(0), "RocksDB records the log position it holds");
    }

    @Test
    void shouldAppendIncomingHandoffsOfItsOwnershipAndRecordHowFarItTookThem()
    {
        log.epoch = 3;
        final byte[] stored = new byte[] {1, 2, 3};
        journal.handOff(new Handoff(7L << Journal.MSG_ID_SHARD_BITS | 1, shard0User, stored, 41, 3));
        journal.handOff(new Handoff(8L << Journal.MSG_ID_SHARD_BITS | 1, shard0Other, stored, 40, 2));
        batch(send(shard0Other, shard0User, "m-1"));

        assertEquals(List.of(42L), log.takenBefore, "consumed up to the hand-off at 41");
        assertEquals(2, store.readInbox(shard0User, 0, 10, 1 << 20).entries().size(),
            "the hand-off and the send");
        assertEquals(1, store.readInbox(shard0Other, 0, 10, 1 << 20).entries().size(),
            "the hand-off read under an older ownership is dropped: the next owner reads it again");
    }

    @Test
    void shouldGiveUpTheShardWhenAnAppendFailsAndResumeIdsWhenOwnedAgain()
    {
        log.epoch = 1;
        final SwitchEvent first = send(shard0User, shard0Other, "m-1");
        batch(first);
        assertEquals(SwitchEvent.RESULT_OK, first.result);

        log.failure = new IllegalStateException("fenced");
        final SwitchEvent failed = send(shard0User, shard0Other, "m-2");
        batch(failed);
        assertEquals(SwitchEvent.RESULT_FAILED, failed.result, "never acknowledged");
        assertEquals(List.of(1L), log.lostEpochs);
        assertFalse(status.isStorageFailed(), "only the shard is given up, not the switch");

        log.failure = null;
        final SwitchEvent meanwhile = send(shard0User, shard0Other, "m-2");
        batch(meanwhile);
        assertEquals(SwitchEvent.RESULT_FAILED, meanwhile.result, "not owned until restored");

        log.epoch = 2;
        final SwitchEvent again = send(shard0User, shard0Other, "m-2");
        batch(again);
        assertEquals(SwitchEvent.RESULT_OK, again.result);
        assertEquals(2, again.senderSeq, "the head is read again from the store: the failed batch left nothing");
        assertTrue(again.msgId >>> Journal.MSG_ID_SHARD_BITS > first.msgId >>> Journal.MSG_ID_SHARD_BITS +
            Journal.MSG_ID_BLOCK - 1, "ids resume after the reservation, never reused");
    }

    @Test
    void shouldWriteNoHeadsOfAShardThatMovedWhileTheRingWasIdle()
    {
        log.epoch = 1;
        batch(send(shard0User, shard0Other, "m-1"));
        final int appends = log.takenBefore.size();

        log.epoch = 0;
        clockMs.addAndGet(Journal.MSG_ID_BLOCK * 1_000);
        journal.onTimeout(sequence);

        assertEquals(appends, log.takenBefore.size(), "no append for a shard owned elsewhere");
        assertFalse(status.isStorageFailed(), "a moved shard is not a storage failure");
    }

    @Test
    void shouldGiveUpTheShardWhenAnIdleWriteOfHeadsIsFenced()
    {
        log.epoch = 1;
        batch(send(shard0User, shard0Other, "m-1"));

        log.failure = new IllegalStateException("fenced");
        clockMs.addAndGet(Journal.MSG_ID_BLOCK * 1_000);
        journal.onTimeout(sequence);

        assertEquals(List.of(1L), log.lostEpochs);
        assertFalse(status.isStorageFailed(), "only the shard is given up");
    }
}
