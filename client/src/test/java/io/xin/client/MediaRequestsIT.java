package io.xin.client;

import io.xin.protocol.pb.Error;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.xin.client.Frames.USER_ID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * UploadTicket and MediaUrl against a scripted fake server: each answer completes the future of its request id.
 */
@Timeout(20)
class MediaRequestsIT
{
    private static final long WAIT_S = 5;

    private FakeServer server;
    private XinClient client;

    @BeforeEach
    void start() throws InterruptedException
    {
        server = new FakeServer();
    }

    @AfterEach
    void stop()
    {
        if (client != null)
        {
            client.close();
        }
        server.close();
    }

    @Test
    void shouldCompleteTicketAndUrlRequestsByRequestId() throws Exception
    {
        final FakeConnection connection = connect();
        final byte[] sha256 = new byte[32];
        sha256[0] = 7;

        final CompletableFuture<UploadTicketResult> ticket = client.uploadTicket(1_000, "image/png", sha256, 0);
        final CompletableFuture<MediaUrlResult> url = client.mediaUrl("ab".repeat(32), "token-of-the-ref");
        final UploadTicket asked = connection.next(Frame.BodyCase.UPLOAD_TICKET).getUploadTicket();
        final MediaUrl askedUrl = connection.next(Frame.BodyCase.MEDIA_URL).getMediaUrl();
        assertEquals(1_000, asked.getSizeBytes());
        assertEquals("image/png", asked.getContentType());
        assertArrayEquals(sha256, asked.getSha256().toByteArray());
        assertEquals("token-of-the-ref", askedUrl.getAccessToken());

        // Answered out of order: each goes to its own request.
        connection.write(Frame.newBuilder().setMediaUrlResult(MediaUrlResult.newBuilder()
            .setRequestId(askedUrl.getRequestId()).setBlobKey(askedUrl.getBlobKey()).setUrl("http://x/b")).build());
        connection.write(Frame.newBuilder().setUploadTicketResult(UploadTicketResult.newBuilder()
            .setRequestId(asked.getRequestId()).setUploadUrl("http://x/u").setOffset(10)).build());

        assertEquals("http://x/b", url.get(WAIT_S, TimeUnit.SECONDS).getUrl());
        assertEquals(10, ticket.get(WAIT_S, TimeUnit.SECONDS).getOffset());
    }

    @Test
    void shouldFailATicketWithTheServersCode() throws Exception
    {
        final FakeConnection connection = connect();

        final CompletableFuture<UploadTicketResult> ticket = client.uploadTicket(1_000, "video/mp4", new byte[32], 10);
        final UploadTicket asked = connection.next(Frame.BodyCase.UPLOAD_TICKET).getUploadTicket();
        connection.write(Frame.newBuilder().setError(Error.newBuilder().setRequestId(asked.getRequestId())
            .setCode(ErrorCode.QUOTA_EXCEEDED).setMessage("over quota")).build());

        final ExecutionException ex =
            assertThrows(ExecutionException.class, () -> ticket.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(ErrorCode.QUOTA_EXCEEDED, assertInstanceOf(XinClientException.class, ex.getCause()).code());
    }

    @Test
    void shouldRefuseAMalformedTicketWithoutAsking() throws Exception
    {
        connect();

        final CompletableFuture<UploadTicketResult> ticket = client.uploadTicket(1_000, "image/png", new byte[31], 0);

        final ExecutionException ex =
            assertThrows(ExecutionException.class, () -> ticket.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(XinClientException.class, ex.getCause()).code());
        assertFalse(ticket.isCancelled());
    }

    private FakeConnection connect() throws Exception
    {
        client = XinClient.builder().host("127.0.0.1").port(server.port()).token("token-1").deviceId("phone")
            .build();
        final CompletableFuture<LoginOk> connected = client.connect();
        final FakeConnection connection = server.accept();
        connection.loginOk(USER_ID, 0, 0);
        connected.get(WAIT_S, TimeUnit.SECONDS);
        return connection;
    }
}
