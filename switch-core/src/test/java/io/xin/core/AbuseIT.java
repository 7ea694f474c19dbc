package io.xin.core;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.core.auth.TokenIssuer;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncResult;
import io.xin.core.status.SwitchCounters;
import io.xin.storage.InboxEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Abuse from the network: each case is met by its defence, with the other sessions served and the
 * heap (measured before, during and after) bounded.
 */
@Timeout(120)
class AbuseIT
{
    private static final int WAIT_MS = 10_000;

    @TempDir
    Path dataDir;

    @Test
    void shouldCloseSlowlorisConnectionsAtLoginTimeout() throws Exception
    {
        final int connections = 300;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.loginTimeoutMs(500));
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander"))
        {
            final HeapProbe heap = new HeapProbe("slowloris").before();
            final byte[] login = delimited(RawClient.login(server.token(1), "phone"));
            final List<RawClient> slow = new ArrayList<>();
            for (int i = 0; i < connections; i++)
            {
                slow.add(new RawClient(server.port()));
            }
            // A byte at a time, never a whole frame: the login timer is not reset by bytes.
            int open = connections;
            for (int b = 0; b < login.length - 1 && open > 0; b++)
            {
                open = 0;
                for (final RawClient client : slow)
                {
                    try
                    {
                        client.sendRaw(new byte[]{ login[b] });
                        open++;
                    }
                    catch (final IOException closed)
                    {
                        // closed by the server: what should happen
                    }
                }
                if (b == 2)
                {
                    heap.during();
                }
                Thread.sleep(20);
            }
            int closed = 0;
            for (final RawClient client : slow)
            {
                if (client.closedWithin(WAIT_MS))
                {
                    closed++;
                }
                client.close();
            }
            assertEquals(connections, closed, "every slowloris connection is closed");
            assertTrue(server.xin().counters().loginTimeouts.sum() >= connections);
            assertBystanderServed(bystander);
            heap.after("connections=" + connections + " closed=" + closed);
        }
    }

    @Test
    @Tag("slow")
    void shouldCloseHalfOpenFloodAndRefusePastPerAddressCap() throws Exception
    {
        final int connections = 1_500;
        final int cap = 1_000;
        // A login timeout longer than it takes to open them all, so that none is closed meanwhile.
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.loginTimeoutMs(8_000).maxConnectionsPerAddress(cap));
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander"))
        {
            final HeapProbe heap = new HeapProbe("half-open flood").before();
            final List<RawClient> flood = new ArrayList<>();
            for (int i = 0; i < connections; i++)
            {
                flood.add(new RawClient(server.port()));
            }
            heap.during();
            int refused = 0;
            int timedOut = 0;
            for (final RawClient client : flood)
            {
                final Frame first = client.read(2 * WAIT_MS);
                if (first.getError().getCode() == ErrorCode.BUSY)
                {
                    refused++;
                }
                else if (first.getError().getCode() == ErrorCode.LOGIN_TIMEOUT)
                {
                    timedOut++;
                }
                assertTrue(client.closedWithin(WAIT_MS));
                client.close();
            }
            // The bystander holds one of the cap's places.
            assertEquals(connections - cap + 1, refused, "connections past the per-address cap are refused at once");
            assertEquals(cap - 1, timedOut, "the rest are closed at the login timeout");
            assertBystanderServed(bystander);
            heap.after("connections=" + connections + " refused=" + refused + " timed-out=" + timedOut);
        }
    }

    @Test
    void shouldStopReadingFromClientThatNeverReadsAndServeOthers() throws Exception
    {
        final long requestBytes = 64L << 20;
        final int inboxMessages = 200;
        try (TestSwitch server = new TestSwitch(dataDir);
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander");
            RawClient sink = new RawClient(server.port(), 4096))
        {
            // 200 messages of 2 KiB in the sink's inbox: every Sync answers 400 KiB, which is never
            // dropped. A client that asks and never reads is the worst amplifier there is.
            try (RawClient filler = RawClient.loggedIn(server.port(), server.token(2), "phone"))
            {
                final String body = "x".repeat(2_048);
                for (int i = 0; i < inboxMessages; i++)
                {
                    filler.send(RawClient.text(i + 1, 1, "fill-" + i, body));
                }
                for (int i = 0; i < inboxMessages; i++)
                {
                    assertTrue(filler.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).hasSendAck());
                }
            }
            sink.send(RawClient.login(server.token(1), "phone"));
            assertEquals(Frame.BodyCase.LOGIN_OK, sink.read().getBodyCase());
            final HeapProbe heap = new HeapProbe("never-reading client").before();

            final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
            for (int i = 0; i < 1_024; i++)
            {
                Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(i + 1)).build().writeDelimitedTo(chunk);
                Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(i + 1)).build().writeDelimitedTo(chunk);
            }
            final byte[] bytes = chunk.toByteArray();
            final AtomicLong written = new AtomicLong();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    while (written.get() < requestBytes)
                    {
                        sink.sendRaw(bytes);
                        written.addAndGet(bytes.length);
                    }
                }
                catch (final IOException closed)
                {
                    // the test closed the socket
                }
            }, "never-reading-writer");
            writer.setDaemon(true);
            writer.start();

            final SwitchCounters counters = server.xin().counters();
            await().atMost(Duration.ofSeconds(60)).until(() -> counters.readsPaused.sum() > 0);
            await().atMost(Duration.ofSeconds(60)).until(() -> pausedFor(counters, 500));
            assertTrue(writer.isAlive(), "the client is held by TCP: the switch stopped reading from it");
            final long served = counters.syncsServed.sum();
            final long during = heap.during();
            assertBystanderServed(bystander);

            sink.close();
            writer.join(WAIT_MS);
            await().atMost(Duration.ofSeconds(30)).until(() -> counters.sessionsOpen.get() == 1);
            final long after = heap.after("request-bytes-written=" + written.get() + " syncs-answered=" + served);
            assertTrue(during - heap.beforeBytes() < 48L << 20, "heap bounded while the client does not read");
            assertTrue(after - heap.beforeBytes() < 16L << 20, "heap returns once it is gone");
        }
    }

    /** True when the switch read no frame for {@code ms}. */
    private static boolean pausedFor(final SwitchCounters counters, final long ms) throws InterruptedException
    {
        final long frames = counters.framesIn.sum();
        Thread.sleep(ms);
        return counters.framesIn.sum() == frames;
    }

    @Test
    void shouldThrottleSendsAboveRateWithErrorThenCloseSessionThatIgnoresIt() throws Exception
    {
        final int rate = 20;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.sendRateLimit(rate, rate)
            .maxRateLimitedSendsPerSession(100));
            RawClient client = RawClient.loggedIn(server.port(), server.token(1), "phone"))
        {
            final HeapProbe heap = new HeapProbe("send flood").before();
            final int burst = 2 * rate;
            for (int i = 0; i < burst; i++)
            {
                client.send(RawClient.text(i + 1, 2, "f-" + i, "flood"));
            }
            int acked = 0;
            int limited = 0;
            for (int i = 0; i < burst; i++)
            {
                final Frame answer = client.read();
                if (answer.hasSendAck())
                {
                    acked++;
                }
                else
                {
                    assertEquals(ErrorCode.RATE_LIMITED, answer.getError().getCode(), answer.toString());
                    assertFalse(answer.getError().getFatal(), "throttled, not disconnected");
                    assertTrue(answer.getError().getRetryAfterMs() > 0);
                    limited++;
                }
            }
            assertTrue(acked >= rate && limited > 0, "acked " + acked + ", limited " + limited);
            client.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(7)).build());
            assertEquals(7, client.readUntil(Frame.BodyCase.PONG, WAIT_MS).getPong().getRequestId());
            heap.during();

            try
            {
                for (int i = 0; i < 200; i++)
                {
                    client.send(RawClient.text(1000 + i, 2, "g-" + i, "flood"));
                }
            }
            catch (final IOException closedMidFlood)
            {
                // The switch closes the session after its refusals run out, perhaps before the flood ends: the
                // flood's last writes then meet the closed connection. What it was sent before is still read.
            }
            Frame last;
            do
            {
                last = client.read();
            }
            while (!last.getError().getFatal());
            assertEquals(ErrorCode.RATE_LIMITED, last.getError().getCode());
            assertTrue(client.closedWithin(WAIT_MS));
            assertEquals(1, server.xin().counters().rateLimitedSessionsClosed.sum());
            heap.after("acked=" + acked + " limited=" + limited + " then closed");
        }
    }

    @Test
    void shouldDeliverEverySendInOrderWhenTheClientIsRateLimited() throws Exception
    {
        final int messages = 150;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.sendRateLimit(100, 10));
            XinClient alice = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(1)).deviceId("phone").build();
            XinClient bob = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(2)).deviceId("phone").build())
        {
            alice.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
            bob.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
            final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
            for (int i = 0; i < messages; i++)
            {
                acks.add(alice.send(2, "o-" + i, Content.newBuilder().setType(ContentType.TEXT)
                    .setBody(ByteString.copyFromUtf8("o-" + i)).build()));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertTrue(server.xin().counters().rateLimitedSends.sum() > 0, "the limit must have refused sends");
            final SyncResult inbox = CrashLoad.syncPage(bob, 0);
            assertEquals(messages, inbox.getMessagesCount());
            for (int i = 0; i < messages; i++)
            {
                final Message message = inbox.getMessages(i);
                assertEquals("o-" + i, message.getClientMsgId(), "per-pair order holds through RATE_LIMITED");
                assertEquals(i + 1, message.getSeq());
            }
        }
    }

    @Test
    void shouldAckEveryOneOfTwoThousandPipelinedSendsWithEachRefusedAboutOnce() throws Exception
    {
        final int messages = 2_000;
        final int perSecond = 1_000;
        final int burst = 50;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.sendRateLimit(perSecond, burst)
            .maxRateLimitedSendsPerSession(10 * messages));
            XinClient alice = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(1)).deviceId("phone").build())
        {
            alice.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
            final List<CompletableFuture<SendAck>> acks = new ArrayList<>();
            for (int i = 0; i < messages; i++)
            {
                acks.add(alice.send(2, "p-" + i, Content.newBuilder().setType(ContentType.TEXT)
                    .setBody(ByteString.copyFromUtf8("p-" + i)).build()));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            final long refusals = server.xin().counters().rateLimitedSends.sum();
            assertTrue(refusals > 0, "the limit must have refused sends");
            // Each send past the burst is refused once as it arrives in the first flight; a client that waits
            // each refused send's own retry_after_ms finds the bucket ready for it. Hammering refuses the same
            // sends again and again (tens of thousands of refusals for these 2,000 sends).
            assertTrue(refusals < messages, "refusals " + refusals + " of " + messages + " sends");
            final List<InboxEntry> inbox = server.xin().store().readInbox(2, 0, 2 * messages, 1 << 26).entries();
            assertEquals(messages, inbox.size());
            for (int i = 0; i < messages; i++)
            {
                assertEquals("p-" + i, Message.parseFrom(inbox.get(i).message()).getClientMsgId(),
                    "per-pair order holds through RATE_LIMITED");
            }
        }
    }

    @Test
    void shouldRefuseAddressAfterRepeatedBadTokens() throws Exception
    {
        final int maxFailures = 5;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.maxLoginFailuresPerAddressPerMinute(maxFailures));
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander"))
        {
            final HeapProbe heap = new HeapProbe("bad tokens").before();
            final String forged = new TokenIssuer("an-attacker-guessing-the-secret-key-0123").issue(1, Duration.ofHours(1));
            for (int i = 0; i < maxFailures; i++)
            {
                try (RawClient client = new RawClient(server.port()))
                {
                    client.send(RawClient.login(forged, "phone"));
                    assertEquals(ErrorCode.AUTH_FAILED, client.read().getLoginError().getCode());
                }
            }
            heap.during();
            // Even a good token is refused from this address now, before it is read.
            try (RawClient client = new RawClient(server.port()))
            {
                final Frame refusal = client.read();
                assertEquals(ErrorCode.RATE_LIMITED, refusal.getError().getCode(), refusal.toString());
                assertTrue(refusal.getError().getFatal());
                assertTrue(refusal.getError().getRetryAfterMs() > 0);
                assertTrue(client.closedWithin(WAIT_MS));
            }
            assertBystanderServed(bystander);
            heap.after("failures=" + maxFailures + " refused=" + server.xin().counters().connectionsRefused.sum());
        }
    }

    @Test
    @Tag("slow")
    void shouldRefuseAddressOpeningConnectionsTooFast() throws Exception
    {
        final int perSecond = 10;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.maxNewConnectionsPerAddressPerSecond(perSecond)))
        {
            final HeapProbe heap = new HeapProbe("connection rate").before();
            final int attempts = 6 * perSecond;
            int refused = 0;
            final List<RawClient> clients = new ArrayList<>();
            final long startNs = System.nanoTime();
            for (int i = 0; i < attempts; i++)
            {
                clients.add(new RawClient(server.port()));
            }
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            heap.during();
            for (final RawClient client : clients)
            {
                try
                {
                    final Frame first = client.read(300);
                    assertEquals(ErrorCode.RATE_LIMITED, first.getError().getCode());
                    refused++;
                }
                catch (final SocketTimeoutException admitted)
                {
                    // admitted: the switch waits for its Login
                }
                client.close();
            }
            // A burst of twice the rate is admitted, plus what refilled while connecting (the accept
            // loop admits a little after the connect returns: one more second of refill at most).
            final int mostAdmitted = 2 * perSecond + (int)Math.ceil(perSecond * (seconds + 1));
            assertTrue(refused >= attempts - mostAdmitted, "refused " + refused + " of " + attempts + " in " + seconds + " s");
            assertTrue(refused <= attempts - 2 * perSecond, "refused " + refused + " of " + attempts);
            heap.after("attempts=" + attempts + " refused=" + refused);
        }
    }

    @Test
    void shouldBanDeviceThatReconnectsInATightLoop() throws Exception
    {
        final int perMinute = 5;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.maxLoginsPerDevicePerMinute(perMinute)
            .deviceBanMs(60_000)))
        {
            final HeapProbe heap = new HeapProbe("flapping device").before();
            for (int i = 0; i < perMinute; i++)
            {
                RawClient.loggedIn(server.port(), server.token(7), "phone").close();
            }
            heap.during();
            try (RawClient client = new RawClient(server.port()))
            {
                client.send(RawClient.login(server.token(7), "phone"));
                final Frame answer = client.read();
                assertEquals(ErrorCode.TOO_MANY_LOGINS, answer.getLoginError().getCode(), answer.toString());
                final int retryAfterMs = answer.getLoginError().getRetryAfterMs();
                assertTrue(retryAfterMs > 59_000 && retryAfterMs <= 60_001, "retry after the ban: " + retryAfterMs);
                assertTrue(client.closedWithin(WAIT_MS));
            }
            // Only that device is banned: the user's other device and other users log in.
            RawClient.loggedIn(server.port(), server.token(7), "tablet").close();
            RawClient.loggedIn(server.port(), server.token(8), "phone").close();
            assertEquals(1, server.xin().counters().loginsBanned.sum());
            heap.after("logins=" + perMinute + " then banned");
        }
    }

    @Test
    void shouldRejectDeeplyNestedPayloadWithoutRecursingIntoIt() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander"))
        {
            final HeapProbe heap = new HeapProbe("nested payload").before();
            // An unknown group (field 15) opened 1,500 times: protobuf's recursion limit (100) stops it.
            final int depth = 1_500;
            final byte[] body = new byte[2 * depth];
            java.util.Arrays.fill(body, 0, depth, (byte)((15 << 3) | 3));
            java.util.Arrays.fill(body, depth, 2 * depth, (byte)((15 << 3) | 4));
            try (RawClient client = new RawClient(server.port()))
            {
                client.sendLengthPrefix(body.length);
                client.sendRaw(body);
                final Frame error = client.read();
                assertEquals(ErrorCode.BAD_FRAME, error.getError().getCode(), error.toString());
                assertTrue(client.closedWithin(WAIT_MS));
            }
            // Logged in, nested inside a Send's content, under the larger limit.
            try (RawClient client = RawClient.loggedIn(server.port(), server.token(1), "phone"))
            {
                final byte[] content = new byte[2 * 20_000];
                java.util.Arrays.fill(content, 0, 20_000, (byte)((15 << 3) | 3));
                java.util.Arrays.fill(content, 20_000, content.length, (byte)((15 << 3) | 4));
                final ByteArrayOutputStream send = new ByteArrayOutputStream();
                // Frame.send (3) { to_user_id (2): 2, client_msg_id (3): "n", content (4): <nested> }
                final ByteArrayOutputStream inner = new ByteArrayOutputStream();
                inner.write(new byte[]{ 0x10, 0x02, 0x1a, 0x01, 'n', 0x22 });
                writeVarint(inner, content.length);
                inner.write(content);
                send.write(0x1a);
                writeVarint(send, inner.size());
                inner.writeTo(send);
                client.sendLengthPrefix(send.size());
                client.sendRaw(send.toByteArray());
                heap.during();
                final Frame error = client.read();
                assertEquals(ErrorCode.BAD_FRAME, error.getError().getCode(), error.toString());
                assertTrue(client.closedWithin(WAIT_MS));
            }
            assertBystanderServed(bystander);
            heap.after("depth=" + depth + " and 20000");
        }
    }

    @Test
    void shouldRefuseOversizeSendFromItsLengthPrefix() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.maxFrameLengthBytes(4_096));
            RawClient bystander = RawClient.loggedIn(server.port(), server.token(9), "bystander");
            RawClient client = RawClient.loggedIn(server.port(), server.token(1), "phone"))
        {
            final HeapProbe heap = new HeapProbe("oversize payload").before();
            client.sendLengthPrefix(1 << 28);
            heap.during();
            assertEquals(ErrorCode.FRAME_TOO_LARGE, client.read().getError().getCode());
            assertTrue(client.closedWithin(WAIT_MS));
            assertBystanderServed(bystander);
            heap.after("announced=256 MiB limit=4 KiB");
        }
    }

    private static void assertBystanderServed(final RawClient bystander) throws IOException
    {
        final long requestId = System.nanoTime() & 0xFFFFFF;
        bystander.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(requestId)).build());
        assertEquals(requestId, bystander.readUntil(Frame.BodyCase.PONG, WAIT_MS).getPong().getRequestId());
    }

    private static byte[] delimited(final Frame frame) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        frame.writeDelimitedTo(out);
        return out.toByteArray();
    }

    private static void writeVarint(final ByteArrayOutputStream out, final int value)
    {
        int v = value;
        while ((v & ~0x7F) != 0)
        {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }
}
