package io.xin.cluster;

import io.xin.core.TestDevices;
import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replication factor 3 with two in-sync replicas required: a broker stopped while messages flow costs no
 * acknowledged message, and the switches keep acknowledging with the two brokers left.
 */
@Tag("cluster")
@Tag("slow")
@Timeout(240)
class BrokerFailureIT
{
    private static final int MESSAGES = 300;
    private static final int WAIT_MS = 30_000;

    @TempDir
    Path dir;
    private KafkaTestCluster kafka;
    private TestCluster cluster;
    private final TestDevices devices = new TestDevices();

    @AfterEach
    void tearDown() throws Exception
    {
        devices.closeClients();
        if (cluster != null)
        {
            cluster.close();
        }
        devices.close();
        if (kafka != null)
        {
            kafka.close();
        }
    }

    @Test
    void shouldLoseNothingAcknowledgedWhenABrokerStopsUnderLoad() throws Exception
    {
        kafka = KafkaTestCluster.threeBrokers();
        cluster = new TestCluster(kafka.bootstrapServers(), dir, "brokers").replication((short)3, 2);
        final TestCluster.Node one = cluster.start("one");
        final TestCluster.Node two = cluster.start("two");
        cluster.awaitAllOwned(60_000);
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);
        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        final Device bobDevice = devices.connect(two.server, bob, "phone");

        final List<CompletableFuture<SendAck>> sends = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++)
        {
            if (i == MESSAGES / 3)
            {
                // Not the controller quorum: brokers only. Partitions it led elect a new leader from the ISR.
                kafka.stopBroker(kafka.brokerIds().iterator().next());
            }
            sends.add(aliceDevice.client.send(bob, "m-" + i, text("m " + i)));
            if (i % 20 == 0)
            {
                sends.get(i).get(WAIT_MS, TimeUnit.MILLISECONDS);
            }
        }
        final List<SendAck> acked = new ArrayList<>();
        for (final CompletableFuture<SendAck> send : sends)
        {
            acked.add(send.get(WAIT_MS, TimeUnit.MILLISECONDS));
        }
        for (int i = 0; i < MESSAGES; i++)
        {
            assertFalse(acked.get(i).getDuplicate());
            assertEquals(i + 1, acked.get(i).getSeq(), "alice's own copies are gapless and in order");
        }
        // The acks say durable; the hand-offs to bob's node follow through Kafka: wait for the pushes.
        for (int i = 0; i < MESSAGES; i++)
        {
            final Message pushed = bobDevice.messages.poll(60, TimeUnit.SECONDS);
            assertTrue(pushed != null, "push " + (i + 1) + " reached bob");
        }
        final List<Message> received = new ArrayList<>();
        long after = 0;
        while (received.size() < MESSAGES)
        {
            final SyncResult page = bobDevice.client.sync(after, 200).get(WAIT_MS, TimeUnit.MILLISECONDS);
            if (page.getMessagesCount() == 0)
            {
                break;
            }
            received.addAll(page.getMessagesList());
            after = page.getMessages(page.getMessagesCount() - 1).getSeq();
        }
        assertEquals(MESSAGES, received.size(), "every acknowledged message reached bob once");
        for (int i = 0; i < MESSAGES; i++)
        {
            assertEquals(i + 1, received.get(i).getSeq());
            assertEquals(acked.get(i).getMsgId(), received.get(i).getMsgId(), "in send order");
        }
        assertTrue(one.cluster.appends() + two.cluster.appends() > 0);
    }
}
