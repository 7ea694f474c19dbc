package io.xin.core;

import io.xin.core.auth.TokenIssuer;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad input gets its documented error and a closed connection, while the server and
 * a bystander session carry on.
 */
@Timeout(60)
class BadInputIT
{
    private static final int LOGIN_TIMEOUT_MS = 300;
    private static final int IDLE_TIMEOUT_MS = 500;
    private static final int BYSTANDER_IDLE_TIMEOUT_MS = 60_000;
    private static final int MAX_PRE_LOGIN_FRAME = 1024;
    private static final int MAX_FRAME = 4096;

    @TempDir
    static Path dataDir;
    private static TestSwitch server;
    private static RawClient bystander;
    private static long bystanderRequests = 100;

    @BeforeAll
    static void start() throws IOException
    {
        server = new TestSwitch(dataDir, ctx -> ctx
            .loginTimeoutMs(LOGIN_TIMEOUT_MS)
            .idleTimeoutMs(BYSTANDER_IDLE_TIMEOUT_MS)
            .maxPreLoginFrameLengthBytes(MAX_PRE_LOGIN_FRAME)
            .maxFrameLengthBytes(MAX_FRAME));
        bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander");
    }

    @AfterAll
    static void stop() throws IOException
    {
        bystander.close();
        server.close();
    }

    @Test
    void shouldRejectFrameBeforeLogin() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            client.send(RawClient.text(1, 2, "m1", "hello"));
            assertFatalError(client, ErrorCode.NOT_LOGGED_IN);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectTokenWithBadSignature() throws IOException
    {
        final String forged = new TokenIssuer("some-other-secret-that-is-long-enough-too").issue(5, Duration.ofHours(1));
        try (RawClient client = new RawClient(server.port()))
        {
            client.send(RawClient.login(forged, "phone"));
            assertLoginError(client, ErrorCode.AUTH_FAILED);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectExpiredToken() throws IOException
    {
        final String expired = new TokenIssuer(TestSwitch.SECRET)
            .issue(5, Instant.now().minus(Duration.ofHours(2)), Duration.ofHours(1));
        try (RawClient client = new RawClient(server.port()))
        {
            client.send(RawClient.login(expired, "phone"));
            assertLoginError(client, ErrorCode.TOKEN_EXPIRED);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectMalformedToken() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            client.send(RawClient.login("not.a.jwt", "phone"));
            assertLoginError(client, ErrorCode.AUTH_FAILED);
        }
    }

    @Test
    void shouldRejectFrameLongerThanPreLoginLimitBeforeReadingIt() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            // Only the prefix is sent: the server must refuse without waiting for the body.
            client.sendLengthPrefix(MAX_PRE_LOGIN_FRAME + 1);
            assertFatalError(client, ErrorCode.FRAME_TOO_LARGE);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectFrameLongerThanMaxFrameLengthAfterLogin() throws IOException
    {
        try (RawClient client = RawClient.loggedIn(server.port(), server.token(6), "phone"))
        {
            client.send(RawClient.text(2, 7, "big", "x".repeat(MAX_FRAME)));
            assertFatalError(client, ErrorCode.FRAME_TOO_LARGE);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectMalformedProtobuf() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            // Field 1 (login), wire type 2, length 50, but only three bytes follow in the frame.
            client.sendRaw(new byte[]{ 5, 0x0A, 50, 1, 2, 3 });
            assertFatalError(client, ErrorCode.BAD_FRAME);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectUnknownFrameType() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            // Field 99, varint 1: valid protobuf, but no body the protocol knows.
            client.sendRaw(new byte[]{ 3, (byte)0x98, 0x06, 0x01 });
            assertFatalError(client, ErrorCode.UNKNOWN_FRAME);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectUnknownFrameTypeAfterLogin() throws IOException
    {
        try (RawClient client = RawClient.loggedIn(server.port(), server.token(8), "phone"))
        {
            client.sendRaw(new byte[]{ 0 });
            assertFatalError(client, ErrorCode.UNKNOWN_FRAME);
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectGarbageBytes() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            client.sendRaw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(40).getBytes(StandardCharsets.US_ASCII));
            final Frame frame = client.read();
            assertEquals(Frame.BodyCase.ERROR, frame.getBodyCase());
            assertTrue(frame.getError().getCode() == ErrorCode.BAD_FRAME ||
                frame.getError().getCode() == ErrorCode.FRAME_TOO_LARGE, frame.toString());
            assertTrue(client.closedWithin(2_000));
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldRejectInvalidVarintPrefix() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            client.sendRaw(new byte[]{ (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, 0x01 });
            final Frame frame = client.read();
            assertEquals(Frame.BodyCase.ERROR, frame.getBodyCase());
            assertTrue(client.closedWithin(2_000));
        }
    }

    @Test
    void shouldCloseConnectionThatNeverLogsIn() throws IOException
    {
        try (RawClient client = new RawClient(server.port()))
        {
            final Frame frame = client.read(LOGIN_TIMEOUT_MS * 10);
            assertEquals(ErrorCode.LOGIN_TIMEOUT, frame.getError().getCode());
            assertTrue(frame.getError().getFatal());
            assertTrue(client.closedWithin(2_000));
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldCloseSilentSession(@TempDir final Path otherDataDir) throws IOException
    {
        try (TestSwitch quick = new TestSwitch(otherDataDir, ctx -> ctx.idleTimeoutMs(IDLE_TIMEOUT_MS)))
        {
            final String token = quick.token(10);
            try (RawClient client = new RawClient(quick.port()))
            {
                client.send(RawClient.login(token, "phone"));
                final Frame loginOk = client.read();
                assertEquals(IDLE_TIMEOUT_MS, loginOk.getLoginOk().getIdleTimeoutMs());
                final Frame frame = client.read(IDLE_TIMEOUT_MS * 10);
                assertEquals(ErrorCode.IDLE_TIMEOUT, frame.getError().getCode());
                assertTrue(client.closedWithin(2_000));
            }
            try (RawClient client = RawClient.loggedIn(quick.port(), quick.token(11), "phone"))
            {
                for (int i = 0; i < 6; i++)
                {
                    client.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(i)).build());
                    assertEquals(i, client.read().getPong().getRequestId());
                    assertFalse(client.closedWithin(IDLE_TIMEOUT_MS / 3), "a session that pings stays open");
                }
            }
        }
        assertBystanderStillServed();
    }

    @Test
    void shouldAnswerBadRequestWithoutClosing() throws IOException
    {
        try (RawClient client = RawClient.loggedIn(server.port(), server.token(12), "phone"))
        {
            client.send(RawClient.text(3, 0, "to-nobody", "hi"));
            final Frame frame = client.read();
            assertEquals(ErrorCode.BAD_REQUEST, frame.getError().getCode());
            assertFalse(frame.getError().getFatal());
            assertEquals(3, frame.getError().getRequestId());
            client.send(RawClient.text(4, 13, "fine", "hi"));
            assertEquals(4, client.readUntil(Frame.BodyCase.SEND_ACK, 5_000).getSendAck().getRequestId());
        }
    }

    private static void assertFatalError(final RawClient client, final ErrorCode code) throws IOException
    {
        final Frame frame = client.read();
        assertEquals(Frame.BodyCase.ERROR, frame.getBodyCase(), frame.toString());
        assertEquals(code, frame.getError().getCode(), frame.toString());
        assertTrue(frame.getError().getFatal());
        assertTrue(client.closedWithin(2_000), "connection should be closed after a fatal error");
    }

    private static void assertLoginError(final RawClient client, final ErrorCode code) throws IOException
    {
        final Frame frame = client.read();
        assertEquals(Frame.BodyCase.LOGIN_ERROR, frame.getBodyCase(), frame.toString());
        assertEquals(code, frame.getLoginError().getCode(), frame.toString());
        assertTrue(client.closedWithin(2_000), "connection should be closed after a login error");
    }

    private static synchronized void assertBystanderStillServed() throws IOException
    {
        final long requestId = ++bystanderRequests;
        bystander.send(RawClient.text(requestId, 9, "self-" + requestId, "still here"));
        final SendAck ack = bystander.readUntil(Frame.BodyCase.SEND_ACK, 5_000).getSendAck();
        assertEquals(requestId, ack.getRequestId());
        // The bystander must keep its session alive across the idle timeout of these tests.
        bystander.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(requestId)).build());
        bystander.readUntil(Frame.BodyCase.PONG, 5_000);
    }
}
