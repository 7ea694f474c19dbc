package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.codec.SendView;
import io.xin.protocol.pb.Content;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal driven synchronously, one Disruptor batch at a time, against a real RocksDB: deduplication
 * within a batch and across batches, and the stored message of every send.
 */
@Timeout(30)
class JournalIT
{
    @TempDir
    Path dataDir;

    private XinStore store;
    private Journal journal;
    private final Session alice = new Session(null, 1, "phone");
    private final Session bob = new Session(null, 2, "phone");
    private long sequence;
    /** Puts in each write, for keys per message. */
    private final AtomicLong lastWritePuts = new AtomicLong();
    private final AtomicLong clockMs = new AtomicLong(1_000);

    @BeforeEach
    void open()
    {
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER));
        journal = new Journal(new JournalContext()
            .store(store).status(new SwitchStatus()).counters(new SwitchCounters()).clock(() -> 1_000L)
            .strangersAllowedByDefault(true), 0);
    }

    @AfterEach
    void close()
    {
        journal.onShutdown();
        store.close();
    }

    private static SwitchEvent send(final Session sender, final long to, final String clientMsgId)
    {
        return sendInto(new SwitchEvent(), sender, to, clientMsgId);
    }

    /** Translates a send into a slot that may have carried others, as the ring reuses its preallocated events. */
    private static SwitchEvent sendInto(final SwitchEvent slot, final Session sender, final long to, final String clientMsgId)
    {
        SwitchEvent.SEND_TRANSLATOR.translateTo(slot, 0, sender, sendOf(to, clientMsgId));
        return slot;
    }

    /** The same send read in place by a logged-in session's decoder, then translated into the slot. */
    private static SwitchEvent sendViewInto(
        final SwitchEvent slot, final Session sender, final long to, final String clientMsgId)
    {
        final io.xin.protocol.pb.Frame frame = io.xin.protocol.pb.Frame.newBuilder().setSend(sendOf(to, clientMsgId)).build();
        final ByteBuf encoded = Unpooled.buffer();
        try
        {
            FrameEncoder.writeFrame(frame, encoded);
            final SendView view = SendViewDecoder.INSTANCE.read(encoded);
            SwitchEvent.SEND_VIEW_TRANSLATOR.translateTo(slot, 0, sender, view);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
        finally
        {
            encoded.release();
        }
        return slot;
    }

    /** A 1:1 send whose body is its client_msg_id. */
    private static io.xin.protocol.pb.Send sendOf(final long to, final String clientMsgId)
    {
        return io.xin.protocol.pb.Send.newBuilder()
            .setRequestId(1)
            .setToUserId(to)
            .setClientMsgId(clientMsgId)
            .setContent(Content.newBuilder().setTypeValue(1)
                .setBody(ByteString.copyFrom(clientMsgId, StandardCharsets.UTF_8)))
            .build();
    }

    /** A logged-in session's decoder, read from directly. */
    private static final class SendViewDecoder extends FrameDecoder
    {
        static final SendViewDecoder INSTANCE = new SendViewDecoder();
        private final List<Object> out = new ArrayList<>();

        SendViewDecoder()
        {
            super(64 * 1024);
            passSendViews();
        }

        SendView read(final ByteBuf in)
        {
            out.clear();
            try
            {
                decode(null, in, out);
            }
            catch (final Exception ex)
            {
                throw new AssertionError(ex);
            }
            return (SendView)out.get(0);
        }
    }

    /** What the dispatcher does with each event once done with it, before the ring hands the slot to the next. */
    private static void dispatched(final SwitchEvent... events)
    {
        for (final SwitchEvent event : events)
        {
            event.release();
        }
    }

    private void batch(final SwitchEvent... events)
    {
        batch(journal, events);
    }

    private void batch(final Journal target, final SwitchEvent... events)
    {
        for (int i = 0; i < events.length; i++)
        {
            target.onEvent(events[i], ++sequence, i == events.length - 1);
        }
    }

    /** A journal with the test clock, counting the puts of each write, over the test's store. */
    private Journal countingJournal(final long headWriteIntervalMs)
    {
        return new Journal(new JournalContext()
            .store(store)
            .journalWriter(journalStore -> batch ->
            {
                lastWritePuts.set(batch.count());
                journalStore.append(batch);
            })
            .status(new SwitchStatus())
            .counters(new SwitchCounters())
            .clock(clockMs::get)
            .strangersAllowedByDefault(true)
            .headWriteIntervalMs(headWriteIntervalMs), 0);
    }

    /** 16 sends, each between two users not seen in the batch before. */
    private static SwitchEvent[] sendsBetweenDistinctUsers(final long firstUser, final String prefix)
    {
        final SwitchEvent[] sends = new SwitchEvent[16];
        for (int i = 0; i < sends.length; i++)
        {
            sends[i] = send(new Session(null, firstUser + 2L * i, "phone"), firstUser + 2L * i + 1, prefix + i);
        }
        return sends;
    }

    @Test
    void shouldPutThreeKeysPerMessageAndTheHeadsOncePerInterval()
    {
        final Journal counting = countingJournal(5_000);
        try
        {
            batch(counting, sendsBetweenDistinctUsers(100, "a"));
            assertEquals(3 * 16 + 1, lastWritePuts.get(), "two inbox entries and a dedupe record each, one msg_id block");

            clockMs.addAndGet(4_999);
            batch(counting, sendsBetweenDistinctUsers(200, "b"));
            assertEquals(3 * 16, lastWritePuts.get(), "no head within the interval");

            clockMs.addAndGet(1);
            batch(counting, sendsBetweenDistinctUsers(300, "c"));
            assertEquals(3 * 16 + 3 * 32, lastWritePuts.get(), "the heads of the 96 users moved since the last write");

            clockMs.addAndGet(1);
            batch(counting, sendsBetweenDistinctUsers(300, "d"));
            assertEquals(3 * 16, lastWritePuts.get(), "the interval starts again");
        }
        finally
        {
            counting.onShutdown();
        }
    }

    @Test
    void shouldWriteHeadsWithEveryBatchWhenTheIntervalIsZero()
    {
        final Journal counting = countingJournal(0);
        try
        {
            batch(counting, sendsBetweenDistinctUsers(100, "a"));
            assertEquals(3 * 16 + 32 + 1, lastWritePuts.get());
            batch(counting, sendsBetweenDistinctUsers(100, "b"));
            assertEquals(3 * 16 + 32, lastWritePuts.get());
        }
        finally
        {
            counting.onShutdown();
        }
    }

    @Test
    void shouldWriteWaitingHeadsWhenTheRingIsIdlePastTheInterval()
    {
        final Journal counting = countingJournal(5_000);
        try
        {
            batch(counting, sendsBetweenDistinctUsers(100, "a"));
            lastWritePuts.set(0);
            counting.onTimeout(sequence);
            assertEquals(0, lastWritePuts.get(), "not yet due");

            clockMs.addAndGet(5_000);
            counting.onTimeout(sequence);
            assertEquals(32, lastWritePuts.get(), "every waiting head, alone");

            lastWritePuts.set(0);
            clockMs.addAndGet(5_000);
            counting.onTimeout(sequence);
            assertEquals(0, lastWritePuts.get(), "nothing waits");
        }
        finally
        {
            counting.onShutdown();
        }
    }

    @Test
    void shouldContinueEveryInboxAfterACrashThatLostTheHeadsInMemory()
    {
        final Journal crashed = countingJournal(60_000);
        batch(crashed, send(alice, 2, "m1"), send(alice, 2, "m2"), send(bob, 1, "m3"));
        // No onShutdown: the heads (alice 3, bob 3) were never written; the journal that takes over reads the inboxes.
        final Journal next = countingJournal(60_000);
        try
        {
            final SwitchEvent after = send(alice, 2, "m4");
            batch(next, after);
            assertEquals(4, after.senderSeq());
            assertEquals(4, after.recipientSeq());
            assertTrue(after.msgId() > 3, "msg_id " + after.msgId() + " was not handed out before");
        }
        finally
        {
            next.onShutdown();
            crashed.onShutdown();
        }
    }

    @Test
    void shouldReserveMsgIdsInBlocksWrittenWithTheFirstMessageOfEachBlock()
    {
        final Journal counting = countingJournal(60_000);
        final int block = (int)Journal.MSG_ID_BLOCK;
        try
        {
            long lastId = 0;
            int sent = 0;
            while (sent < block)
            {
                final SwitchEvent one = send(alice, 2, "id" + sent++);
                batch(counting, one);
                lastId = one.msgId();
                assertTrue(store.readLastMsgId() >= lastId, "the reservation covers every id used");
            }
            assertEquals(block, lastId);
            assertEquals(block, store.readLastMsgId(), "one block so far");
            assertEquals(3, lastWritePuts.get(), "no reservation within the block");

            final SwitchEvent firstOfNextBlock = send(alice, 2, "id" + sent);
            batch(counting, firstOfNextBlock);
            assertEquals(block + 1, firstOfNextBlock.msgId());
            assertEquals(2L * block, store.readLastMsgId(), "the next block, in the write of its first message");
            assertEquals(4, lastWritePuts.get());

            // A crash here: whoever starts next resumes after the whole reserved block.
            final Journal restarted = countingJournal(60_000);
            final SwitchEvent afterCrash = send(bob, 1, "after-crash");
            batch(restarted, afterCrash);
            assertEquals(2L * block + 1, afterCrash.msgId());
            restarted.onShutdown();
        }
        finally
        {
            counting.onShutdown();
        }
    }

    @Test
    void shouldRecordTheExactLastMsgIdAndEveryHeadAtACleanStop()
    {
        final Journal counting = countingJournal(60_000);
        final SwitchEvent first = send(alice, 2, "m1");
        final SwitchEvent second = send(bob, 1, "m2");
        batch(counting, first, second);
        assertEquals(Journal.MSG_ID_BLOCK, store.readLastMsgId());

        counting.onShutdown();

        assertEquals(second.msgId(), store.readLastMsgId(), "a clean restart skips no id");
        assertEquals(2 + 1, lastWritePuts.get(), "both heads and the last msg_id");
    }

    @Test
    void shouldAnswerAResendWithinOneBatchAsADuplicateOfTheSameSendersEarlierSend()
    {
        final SwitchEvent first = send(alice, 2, "m1");
        final SwitchEvent second = send(alice, 2, "m2");
        final SwitchEvent resend = send(alice, 2, "m1");
        final SwitchEvent otherSender = send(bob, 1, "m1");
        batch(first, second, resend, otherSender);

        assertEquals(SwitchEvent.RESULT_OK, first.result());
        assertEquals(SwitchEvent.RESULT_OK, second.result());
        assertEquals(SwitchEvent.RESULT_DUPLICATE, resend.result());
        assertEquals(first.msgId(), resend.msgId());
        assertEquals(first.senderSeq(), resend.senderSeq());
        assertEquals(SwitchEvent.RESULT_OK, otherSender.result(), "the same client_msg_id from another sender is new");
        assertNotEquals(first.msgId(), otherSender.msgId());
    }

    @Test
    void shouldAnswerAResendInALaterBatchFromTheStore()
    {
        final SwitchEvent first = send(alice, 2, "m1");
        final SwitchEvent second = send(alice, 2, "m2");
        batch(first, second);
        final SwitchEvent resend = send(alice, 2, "m2");
        batch(resend);

        assertEquals(SwitchEvent.RESULT_DUPLICATE, resend.result());
        assertEquals(second.msgId(), resend.msgId());
        assertEquals(second.senderSeq(), resend.senderSeq());
    }

    @Test
    void shouldRecogniseAResendWhoseIdIsShorterThanTheSlotsLastId()
    {
        final SwitchEvent slot = new SwitchEvent();
        batch(sendInto(slot, alice, 2, "m1"));
        final long firstMsgId = slot.msgId();
        dispatched(slot);
        batch(sendInto(slot, alice, 2, "m1-and-more"));
        final long longerMsgId = slot.msgId();
        assertEquals(SwitchEvent.RESULT_OK, slot.result(), "an id that only starts with another is new");
        dispatched(slot);

        // The slot's array still holds "m1-and-more" past the first two bytes.
        batch(sendInto(slot, alice, 2, "m1"));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result());
        assertEquals(firstMsgId, slot.msgId());
        assertEquals(1, slot.senderSeq());
        dispatched(slot);

        batch(sendViewInto(slot, alice, 2, "m1-and-more"));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result());
        assertEquals(longerMsgId, slot.msgId());
        dispatched(slot);
        batch(sendViewInto(slot, alice, 2, "m1"));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result(), "read in place");
        assertEquals(firstMsgId, slot.msgId());
    }

    @Test
    void shouldRecogniseAResendWhoseIdIsLongerThanTheSlotsLastId()
    {
        final String longest = "x".repeat(io.xin.protocol.ProtocolLimits.MAX_ID_LENGTH_BYTES);
        final String longer = "y".repeat(SwitchEvent.INITIAL_CLIENT_MSG_ID_BYTES + 1);
        final SwitchEvent slot = new SwitchEvent();
        batch(sendViewInto(slot, alice, 2, "m1"));
        dispatched(slot);
        batch(sendViewInto(slot, alice, 2, longer));
        final long longerMsgId = slot.msgId();
        assertEquals(longer, stored(slot).getClientMsgId(), "the slot's array grew");
        dispatched(slot);
        batch(sendInto(slot, alice, 2, longest));
        final long longestMsgId = slot.msgId();
        assertEquals(SwitchEvent.RESULT_OK, slot.result());
        dispatched(slot);

        batch(sendInto(slot, alice, 2, "m2"));
        dispatched(slot);
        batch(sendInto(slot, alice, 2, longer));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result());
        assertEquals(longerMsgId, slot.msgId());
        dispatched(slot);
        batch(sendViewInto(slot, alice, 2, longest));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result());
        assertEquals(longestMsgId, slot.msgId());
    }

    @Test
    void shouldCompareOnlyEachSlotsOwnIdWithinABatchOfReusedSlots()
    {
        final SwitchEvent[] ring = { new SwitchEvent(), new SwitchEvent(), new SwitchEvent() };
        batch(sendInto(ring[0], alice, 2, "abc-long-id"), sendInto(ring[1], alice, 2, "abcdef"),
            sendInto(ring[2], alice, 2, "ab"));
        final long longMsgId = ring[0].msgId();
        dispatched(ring);

        // Every slot now holds a shorter id than before; "abc" must not match their stale tails, nor they its.
        batch(sendInto(ring[0], alice, 2, "abc"), sendViewInto(ring[1], alice, 2, "abc"),
            sendInto(ring[2], alice, 2, "abc-long-id"));
        assertEquals(SwitchEvent.RESULT_OK, ring[0].result());
        assertEquals(SwitchEvent.RESULT_DUPLICATE, ring[1].result(), "a resend in the same batch");
        assertEquals(ring[0].msgId(), ring[1].msgId());
        assertEquals(SwitchEvent.RESULT_DUPLICATE, ring[2].result(), "a resend of an earlier batch");
        assertEquals(longMsgId, ring[2].msgId());
        assertEquals("abc", stored(ring[0]).getClientMsgId());
        assertEquals("abc", ring[1].clientMsgId());
        assertEquals(3, ring[1].clientMsgIdLength());
    }

    @Test
    void shouldRecogniseAResendIntoAReusedSlotAfterARestart()
    {
        final SwitchEvent slot = new SwitchEvent();
        batch(sendViewInto(slot, alice, 2, "before-restart"));
        final long msgId = slot.msgId();
        dispatched(slot);
        batch(sendInto(slot, alice, 2, "b"));
        dispatched(slot);
        journal.onShutdown();
        store.close();

        open();
        batch(sendInto(slot, alice, 2, "before"));
        assertEquals(SwitchEvent.RESULT_OK, slot.result(), "a prefix of a stored id is new");
        dispatched(slot);
        batch(sendViewInto(slot, alice, 2, "before-restart"));
        assertEquals(SwitchEvent.RESULT_DUPLICATE, slot.result());
        assertEquals(msgId, slot.msgId());
        assertEquals(1, slot.senderSeq());
    }

    @Test
    void shouldGiveEverySendOfABatchItsOwnStoredMessage()
    {
        final SwitchEvent first = send(alice, 2, "m1");
        final SwitchEvent second = send(alice, 2, "m2");
        batch(first, second);

        final Message firstStored = stored(first);
        final Message secondStored = stored(second);
        assertEquals("m1", firstStored.getClientMsgId());
        assertEquals("m1", firstStored.getContent().getBody().toStringUtf8());
        assertEquals(first.msgId(), firstStored.getMsgId());
        assertEquals("m2", secondStored.getClientMsgId());
        assertEquals(second.msgId(), secondStored.getMsgId());
        assertEquals(1, first.senderSeq());
        assertEquals(2, second.senderSeq());
        assertEquals(1, first.recipientSeq());
        assertEquals(2, second.recipientSeq());
    }

    private static Message stored(final SwitchEvent event)
    {
        try
        {
            return Message.parseFrom(java.util.Arrays.copyOf(event.stored(), event.storedLength()));
        }
        catch (final com.google.protobuf.InvalidProtocolBufferException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
