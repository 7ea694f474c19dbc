package io.xin.core;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.XinClient;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Past capacity: storage slowed to 20 ms a batch and a 64-slot ring, while clients pipeline far more
 * than it can take. The switch must push back (stop reading the senders, answer BUSY to what still
 * finds the ring full) instead of growing, keep its heap bounded, and serve everything once storage
 * is fast again, in order.
 */
@Timeout(180)
class OverloadIT
{
    private static final int SENDERS = 4;
    private static final int PER_SENDER = 1_500;
    private static final long RECIPIENT = 100;

    @TempDir
    Path dataDir;

    private volatile boolean slowStorage = true;

    @Test
    void shouldPushBackWhenStorageLagsAndRecoverWithEverySendInOrder() throws Exception
    {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx
            .ringSize(64)
            .busyRetryAfterMs(20)
            .journalWriter(store -> batch ->
            {
                if (slowStorage)
                {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                store.append(batch);
            })))
        {
            final SwitchCounters counters = server.xin().counters();
            final HeapProbe heap = new HeapProbe("overload").before();
            final List<XinClient> clients = new ArrayList<>();
            final List<List<CompletableFuture<SendAck>>> acks = new ArrayList<>();
            final ByteString body = ByteString.copyFrom(new byte[512]);
            for (int s = 1; s <= SENDERS; s++)
            {
                final XinClient client = XinClient.builder().host("127.0.0.1").port(server.port())
                    .token(server.token(s)).deviceId("phone").eventLoopGroup(group).ackTimeoutMs(60_000).build();
                client.connect().get(10, TimeUnit.SECONDS);
                clients.add(client);
                final List<CompletableFuture<SendAck>> sent = new ArrayList<>();
                for (int i = 0; i < PER_SENDER; i++)
                {
                    sent.add(client.send(RECIPIENT, "s" + s + "-" + i,
                        Content.newBuilder().setType(ContentType.FILE).setBody(body).build()));
                }
                acks.add(sent);
            }

            await().atMost(Duration.ofSeconds(60)).until(() -> counters.readsPaused.sum() > 0);
            final long during = heap.during();
            final long storedWhileSlow = counters.messagesStored.sum();
            assertTrue(storedWhileSlow < SENDERS * PER_SENDER, "storage is the bottleneck: " + storedWhileSlow);

            slowStorage = false;
            for (final List<CompletableFuture<SendAck>> sent : acks)
            {
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            }
            assertEquals(SENDERS * PER_SENDER, counters.messagesStored.sum(), "every send stored once");

            // Per-pair order in the recipient's inbox, read page by page.
            try (XinClient reader = XinClient.builder().host("127.0.0.1").port(server.port())
                .token(server.token(RECIPIENT)).deviceId("reader").eventLoopGroup(group).build())
            {
                reader.connect().get(10, TimeUnit.SECONDS);
                final int[] next = new int[SENDERS + 1];
                long after = 0;
                int read = 0;
                while (true)
                {
                    final SyncResult page = CrashLoad.syncPage(reader, after);
                    for (final Message message : page.getMessagesList())
                    {
                        final int sender = (int)message.getFromUserId();
                        assertEquals("s" + sender + "-" + next[sender], message.getClientMsgId());
                        next[sender]++;
                        read++;
                    }
                    after = page.getLastSeq();
                    if (!page.getHasMore())
                    {
                        break;
                    }
                }
                assertEquals(SENDERS * PER_SENDER, read);
            }
            clients.forEach(XinClient::close);
            final long after = heap.after("sends=" + SENDERS * PER_SENDER + " ring=64 reads-paused=" +
                counters.readsPaused.sum() + " busy=" + counters.busyRejections.sum() + " stored-while-slow=" +
                storedWhileSlow);
            assertTrue(during - heap.beforeBytes() < 64L << 20, "heap bounded while past capacity");
            assertTrue(after - heap.beforeBytes() < 32L << 20, "heap returns after");
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
