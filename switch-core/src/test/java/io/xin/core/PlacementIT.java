package io.xin.core;

import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.Error;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Kicked;
import io.xin.protocol.pb.LoginOk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cluster mode on one switch over raw sockets: a login of a user the placement puts elsewhere is answered
 * {@code Error{MOVED}}, and {@code moveOut} sends a shard's devices away after the answers of what they sent
 * before it, storing nothing they send after it.
 */
@Timeout(60)
class PlacementIT
{
    private static final int SHARDS = 2;

    @TempDir
    Path dataDir;

    /** Where each user is served; absent: here. */
    private final Map<Long, String> elsewhere = new ConcurrentHashMap<>();

    private TestSwitch start()
    {
        return new TestSwitch(dataDir, ctx -> ctx
            .journalShards(SHARDS)
            .movedRetryAfterMs(300)
            .placement(elsewhere::get));
    }

    /** A user of {@code shard} at or above {@code from}. */
    private static long userOf(final int shard, final long from)
    {
        long userId = from;
        while (JournalShard.of(userId, SHARDS) != shard)
        {
            userId++;
        }
        return userId;
    }

    @Test
    void shouldAnswerALoginOfAUserServedElsewhereWithMovedAndClose() throws Exception
    {
        try (TestSwitch xin = start())
        {
            elsewhere.put(7L, "node-2.example:7800");
            elsewhere.put(8L, "");
            try (RawClient client = new RawClient(xin.port()))
            {
                client.send(RawClient.login(xin.token(7), "phone"));
                final Frame answer = client.read();
                assertTrue(answer.hasError(), answer.toString());
                final Error moved = answer.getError();
                assertEquals(ErrorCode.MOVED, moved.getCode());
                assertEquals(1, moved.getRequestId(), "the Login's request id");
                assertTrue(moved.getFatal());
                assertEquals("node-2.example:7800", moved.getAddress());
                assertEquals(0, moved.getRetryAfterMs(), "a node is named: go there at once");
                assertTrue(client.closedWithin(5_000));
            }
            try (RawClient client = new RawClient(xin.port()))
            {
                client.send(RawClient.login(xin.token(8), "phone"));
                final Error moved = client.read().getError();
                assertEquals(ErrorCode.MOVED, moved.getCode());
                assertEquals("", moved.getAddress());
                assertEquals(300, moved.getRetryAfterMs(), "movedRetryAfterMs when no node serves the user yet");
                assertTrue(client.closedWithin(5_000));
            }
            try (RawClient client = new RawClient(xin.port()))
            {
                client.send(RawClient.login(xin.token(9), "phone"));
                assertTrue(client.read().hasLoginOk(), "a user served here logs in");
            }
            elsewhere.remove(7L);
            RawClient.loggedIn(xin.port(), xin.token(7), "phone").close();
        }
    }

    @Test
    void shouldAckWhatWasSentBeforeAMoveOutThenKickAndStoreNothingSentAfter() throws Exception
    {
        final long alice = userOf(0, 100);
        final long bob = userOf(1, 100);
        try (TestSwitch xin = start())
        {
            try (RawClient aliceClient = RawClient.loggedIn(xin.port(), xin.token(alice), "phone");
                RawClient bobClient = RawClient.loggedIn(xin.port(), xin.token(bob), "phone"))
            {
                // Pipelined right before the move: published to the ring ahead of it.
                aliceClient.send(RawClient.text(2, bob, "before-move", "hi"));
                assertEquals(Frame.BodyCase.DELIVER, bobClient.readUntil(Frame.BodyCase.DELIVER, 5_000).getBodyCase());

                elsewhere.put(alice, "node-2.example:7800");
                aliceClient.send(RawClient.text(3, bob, "racing-the-move", "hi again"));
                xin.xin().moveOut(0);
                // Published after the move: the journal must not store it.
                aliceClient.send(RawClient.text(4, bob, "after-move", "lost?"));

                int acks = 0;
                Frame frame;
                while (!(frame = aliceClient.read()).hasKicked())
                {
                    if (frame.hasSendAck())
                    {
                        acks++;
                        assertNotEquals("after-move", frame.getSendAck().getClientMsgId(), frame.toString());
                    }
                }
                final Kicked kicked = frame.getKicked();
                assertEquals("moved", kicked.getReason());
                assertEquals("node-2.example:7800", kicked.getAddress());
                assertTrue(acks <= 2, "the pipelined send's ack, maybe the racing one's");
                assertTrue(aliceClient.closedWithin(5_000));

                // Shard 1 did not move: bob stays.
                bobClient.send(Frame.newBuilder().setPing(io.xin.protocol.pb.Ping.newBuilder().setRequestId(9))
                    .build());
                assertTrue(bobClient.readUntil(Frame.BodyCase.PONG, 5_000).hasPong());
            }

            // Served here again: alice's inbox holds the send from before the move, and never the one after it.
            elsewhere.remove(alice);
            try (RawClient again = new RawClient(xin.port()))
            {
                again.send(RawClient.login(xin.token(alice), "phone"));
                final LoginOk ok = again.read().getLoginOk();
                assertTrue(ok.getHeadSeq() == 1 || ok.getHeadSeq() == 2, ok.toString());
                again.send(RawClient.text(5, bob, "after-move", "now stored"));
                final Frame ack = again.readUntil(Frame.BodyCase.SEND_ACK, 5_000);
                assertTrue(!ack.getSendAck().getDuplicate(), "the send after the move was not stored: " + ack);
                assertEquals(ok.getHeadSeq() + 1, ack.getSendAck().getSeq());
            }
        }
    }

    @Test
    void shouldRefuseAShardOutOfRange() throws Exception
    {
        try (TestSwitch xin = start())
        {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> xin.xin().moveOut(SHARDS));
        }
    }
}
