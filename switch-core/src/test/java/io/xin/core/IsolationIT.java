package io.xin.core;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.xin.protocol.pb.Ack;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mallory (user 3), logged in with her own token, tries every frame against Alice (1) and Bob (2):
 * crafted sync positions and acks, another user's device id and client_msg_id, sender fields
 * smuggled in as unknown fields, and a token whose subject she edited. Nothing of theirs comes back
 * and nothing of theirs moves.
 */
@Timeout(60)
class IsolationIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final long MALLORY = 3;

    @TempDir
    static Path dataDir;
    private static TestSwitch server;

    @BeforeAll
    static void start() throws IOException
    {
        server = new TestSwitch(dataDir);
        try (RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            for (int i = 0; i < 5; i++)
            {
                alice.send(RawClient.text(i + 1, BOB, "secret-" + i, "for bob only " + i));
                assertTrue(alice.readUntil(Frame.BodyCase.SEND_ACK, 5_000).hasSendAck());
            }
        }
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    @Test
    void shouldNeverReturnAnotherUsersInboxWhateverTheSyncPosition() throws IOException
    {
        try (RawClient mallory = RawClient.loggedIn(server.port(), server.token(MALLORY), "phone"))
        {
            for (final long afterSeq : new long[]{ 0, 1, 4, 5, 1L << 40, Long.MAX_VALUE, -1 })
            {
                mallory.send(Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(9).setAfterSeq(afterSeq)).build());
                Frame answer = mallory.read();
                while (answer.getBodyCase() != Frame.BodyCase.SYNC_RESULT)
                {
                    if (answer.hasError())
                    {
                        // The previous page's write may not have completed on the switch yet (one sync at a
                        // time per session): BUSY says when to ask again, as a client does.
                        assertEquals(ErrorCode.BUSY, answer.getError().getCode(), answer.toString());
                        sleep(answer.getError().getRetryAfterMs());
                        mallory.send(Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(9).setAfterSeq(afterSeq))
                            .build());
                    }
                    answer = mallory.read();
                }
                final SyncResult page = answer.getSyncResult();
                for (final Message message : page.getMessagesList())
                {
                    assertTrue(message.getFromUserId() == MALLORY || message.getToUserId() == MALLORY,
                        "after_seq " + afterSeq + " returned someone else's message: " + message);
                    assertFalse(message.getContent().getBody().toStringUtf8().contains("for bob only"));
                }
            }
        }
    }

    @Test
    void shouldKeepAcksToOwnDeviceCursor() throws IOException
    {
        try (RawClient mallory = RawClient.loggedIn(server.port(), server.token(MALLORY), "phone"))
        {
            mallory.send(Frame.newBuilder().setAck(Ack.newBuilder().setUpToSeq(5)).build());
            mallory.send(Frame.newBuilder().setAck(Ack.newBuilder().setUpToSeq(Long.MAX_VALUE)).build());
        }
        try (RawClient bob = new RawClient(server.port()))
        {
            bob.send(RawClient.login(server.token(BOB), "phone"));
            final LoginOk ok = bob.read().getLoginOk();
            assertTrue(ok.getHeadSeq() >= 5);
            assertEquals(0, ok.getCursorSeq(), "Bob's cursor did not move");
        }
        try (RawClient mallory = new RawClient(server.port()))
        {
            mallory.send(RawClient.login(server.token(MALLORY), "phone"));
            final LoginOk ok = mallory.read().getLoginOk();
            assertEquals(ok.getHeadSeq(), ok.getCursorSeq(), "clamped to her own inbox's head, not Bob's");
        }
    }

    @Test
    void shouldNotKickAnotherUsersDeviceWithTheSameDeviceId() throws IOException
    {
        try (RawClient bob = RawClient.loggedIn(server.port(), server.token(BOB), "tablet");
            RawClient mallory = RawClient.loggedIn(server.port(), server.token(MALLORY), "tablet"))
        {
            mallory.send(RawClient.text(1, BOB, "hello-bob", "hi"));
            assertTrue(mallory.readUntil(Frame.BodyCase.SEND_ACK, 5_000).hasSendAck());
            final Frame pushed = bob.readUntil(Frame.BodyCase.DELIVER, 5_000);
            assertEquals(MALLORY, pushed.getDeliver().getMessage().getFromUserId(), "Bob still connected, not kicked");
        }
    }

    @Test
    void shouldTreatAnotherUsersClientMsgIdAsANewMessageOfHerOwn() throws IOException
    {
        try (RawClient mallory = RawClient.loggedIn(server.port(), server.token(MALLORY), "laptop"))
        {
            mallory.send(RawClient.text(1, ALICE, "secret-0", "mine"));
            final SendAck ack = mallory.readUntil(Frame.BodyCase.SEND_ACK, 5_000).getSendAck();
            assertFalse(ack.getDuplicate(), "Alice's dedupe record is not Mallory's");
            mallory.send(Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(2)).build());
            final SyncResult own = mallory.readUntil(Frame.BodyCase.SYNC_RESULT, 5_000).getSyncResult();
            for (final Message message : own.getMessagesList())
            {
                assertEquals(MALLORY, message.getFromUserId());
                assertFalse(message.getContent().getBody().toStringUtf8().contains("for bob only"));
            }
        }
    }

    @Test
    void shouldIgnoreSenderFieldsSmuggledIntoASend() throws IOException
    {
        try (RawClient mallory = RawClient.loggedIn(server.port(), server.token(MALLORY), "desk");
            RawClient bob = RawClient.loggedIn(server.port(), server.token(BOB), "desk"))
        {
            // A sender's user and device, as fields Send does not have (numbers past its last field).
            final Send forged = RawClient.text(1, BOB, "forged-1", "from alice, honest").getSend().toBuilder()
                .setUnknownFields(UnknownFieldSet.newBuilder()
                    .addField(14, UnknownFieldSet.Field.newBuilder().addVarint(ALICE).build())
                    .addField(12, UnknownFieldSet.Field.newBuilder().addVarint(ALICE).build())
                    .addField(13, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFrom("phone", StandardCharsets.UTF_8)).build())
                    .build())
                .build();
            mallory.send(Frame.newBuilder().setSend(forged).build());
            assertTrue(mallory.readUntil(Frame.BodyCase.SEND_ACK, 5_000).hasSendAck());
            final Message received = bob.readUntil(Frame.BodyCase.DELIVER, 5_000).getDeliver().getMessage();
            assertEquals(MALLORY, received.getFromUserId());
            assertEquals("desk", received.getFromDeviceId());
        }
    }

    @Test
    void shouldRefuseATokenWhoseSubjectWasEdited() throws IOException
    {
        final String[] parts = server.token(MALLORY).split("\\.");
        final String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("\"sub\":\"" + MALLORY + "\"", "\"sub\":\"" + ALICE + "\"");
        assertTrue(payload.contains("\"sub\":\"" + ALICE + "\""), payload);
        final String edited = parts[0] + "." +
            Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." +
            parts[2];
        try (RawClient client = new RawClient(server.port()))
        {
            client.send(RawClient.login(edited, "phone"));
            assertEquals(ErrorCode.AUTH_FAILED, client.read().getLoginError().getCode());
        }
    }

    private static void sleep(final long ms) throws java.io.InterruptedIOException
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }
}
