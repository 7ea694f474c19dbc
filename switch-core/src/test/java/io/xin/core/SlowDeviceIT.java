package io.xin.core;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A device that stops reading is not buffered without bound: its pushes are dropped once its
 * channel is not writable, the sender is still acknowledged, and when the device drains it is
 * told to sync, and the sync returns everything.
 */
@Timeout(120)
class SlowDeviceIT
{
    private static final int MESSAGES = 3_000;
    private static final int BODY_BYTES = 2_048;

    @Test
    void shouldDropPushesToUnreadableDeviceAndTellItToSync(@TempDir final Path dataDir) throws Exception
    {
        try (TestSwitch server = switchWithSmallWriteBuffers(dataDir, MESSAGES);
            RawClient bob = loggedInBob(server))
        {
            try (XinClient alice = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(1)).deviceId("phone").build())
            {
                alice.connect().get(10, TimeUnit.SECONDS);
                sendAndAwaitAcks(alice, "slow-", MESSAGES);
            }
            final long dropped = server.xin().counters().pushesDropped.sum();
            assertTrue(dropped > 0, "pushes to a device that does not read must be dropped, not buffered");

            // Bob reads again: what was written reaches him, and hints to sync up to the dropped seqs.
            // Between them, pushes and hints cover the whole inbox.
            long lastPushed = 0;
            long hintedHead = 0;
            int hints = 0;
            while (true)
            {
                final Frame frame;
                try
                {
                    frame = bob.read(1_000);
                }
                catch (final SocketTimeoutException ex)
                {
                    break;
                }
                switch (frame.getBodyCase())
                {
                    case DELIVER -> lastPushed = Math.max(lastPushed, frame.getDeliver().getMessage().getSeq());
                    case SYNC_HINT ->
                    {
                        hints++;
                        hintedHead = Math.max(hintedHead, frame.getSyncHint().getHeadSeq());
                    }
                    default -> throw new AssertionError("unexpected " + frame);
                }
            }
            assertTrue(hints > 0, "a device whose pushes were dropped is told to sync");
            assertEquals(MESSAGES, Math.max(lastPushed, hintedHead), "pushes and hints cover the inbox");

            long synced = 0;
            long afterSeq = 0;
            while (afterSeq < MESSAGES)
            {
                bob.send(Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(afterSeq + 1).setAfterSeq(afterSeq))
                    .build());
                Frame answer = bob.read();
                while (answer.getBodyCase() != Frame.BodyCase.SYNC_RESULT && answer.getBodyCase() != Frame.BodyCase.ERROR)
                {
                    answer = bob.read();
                }
                if (answer.getBodyCase() == Frame.BodyCase.ERROR)
                {
                    // The switch takes one sync page at a time and none while earlier answers are unread:
                    // BUSY says when to ask again, as a client does.
                    assertEquals(ErrorCode.BUSY, answer.getError().getCode(), answer.toString());
                    Thread.sleep(answer.getError().getRetryAfterMs());
                    continue;
                }
                final SyncResult page = answer.getSyncResult();
                for (int i = 0; i < page.getMessagesCount(); i++)
                {
                    assertEquals(afterSeq + i + 1, page.getMessages(i).getSeq());
                }
                synced += page.getMessagesCount();
                afterSeq = page.getLastSeq();
                assertEquals(MESSAGES, page.getHeadSeq());
            }
            assertEquals(MESSAGES, synced, "everything is in the inbox");
        }
    }

    @Test
    void shouldHintAgainAfterEachSlowEpisodeWithTheHighestDroppedSeqSoFar(@TempDir final Path dataDir) throws Exception
    {
        final int perEpisode = 1_000;
        try (TestSwitch server = switchWithSmallWriteBuffers(dataDir, perEpisode);
            RawClient bob = loggedInBob(server))
        {
            try (XinClient alice = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(1)).deviceId("phone").build())
            {
                alice.connect().get(10, TimeUnit.SECONDS);
                long highestHint = 0;
                for (int episode = 1; episode <= 2; episode++)
                {
                    // Bob reads nothing while a burst arrives, then everything: one slow episode each.
                    sendAndAwaitAcks(alice, "episode-" + episode + "-", perEpisode);
                    int hints = 0;
                    while (true)
                    {
                        final Frame frame;
                        try
                        {
                            frame = bob.read(1_000);
                        }
                        catch (final SocketTimeoutException ex)
                        {
                            break;
                        }
                        if (frame.getBodyCase() == Frame.BodyCase.SYNC_HINT)
                        {
                            final long head = frame.getSyncHint().getHeadSeq();
                            assertTrue(head >= highestHint, "a hint never goes back: " + head + " < " + highestHint);
                            highestHint = head;
                            hints++;
                        }
                    }
                    assertTrue(hints > 0, "episode " + episode + " ends with a hint");
                    assertTrue(highestHint > (long)(episode - 1) * perEpisode,
                        "episode " + episode + " hints at its own dropped seqs: " + highestHint);
                }
            }
        }
    }

    /** A switch whose pushes to a device that does not read are dropped after a few KiB. */
    private static TestSwitch switchWithSmallWriteBuffers(final Path dataDir, final int maxInFlightSends)
    {
        return new TestSwitch(dataDir, ctx -> ctx
            .writeBufferWaterMarks(4 * 1024, 8 * 1024)
            .ringSize(8192)
            .maxInFlightSendsPerSession(maxInFlightSends));
    }

    /** Bob, user 2, logged in over a raw socket with a small receive buffer, reading only when told to. */
    private static RawClient loggedInBob(final TestSwitch server) throws Exception
    {
        final RawClient bob = new RawClient(server.port(), 4096);
        bob.send(RawClient.login(server.token(2), "phone"));
        assertEquals(Frame.BodyCase.LOGIN_OK, bob.read().getBodyCase());
        return bob;
    }

    /** Alice sends {@code count} file messages of {@link #BODY_BYTES} to Bob and waits for every ack. */
    private static void sendAndAwaitAcks(final XinClient alice, final String idPrefix, final int count) throws Exception
    {
        final ByteString body = ByteString.copyFrom(new byte[BODY_BYTES]);
        final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            acks.add(alice.send(2, idPrefix + i, Content.newBuilder().setType(ContentType.FILE).setBody(body).build()));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }
}
