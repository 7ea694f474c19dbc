package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.core.session.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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

    @BeforeEach
    void open()
    {
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER));
        journal = new Journal(store, store::write, new SwitchStatus(), new SwitchCounters(), () -> 1_000L);
    }

    @AfterEach
    void close()
    {
        journal.onShutdown();
        store.close();
    }

    private static SwitchEvent send(final Session sender, final long to, final String clientMsgId)
    {
        final SwitchEvent event = new SwitchEvent();
        SwitchEvent.SEND_TRANSLATOR.translateTo(event, 0, sender, io.xin.protocol.pb.Send.newBuilder()
            .setRequestId(1)
            .setToUserId(to)
            .setClientMsgId(clientMsgId)
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
