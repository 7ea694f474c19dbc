package io.xin.cluster;

import io.xin.core.TestDevices;
import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three switches on one Kafka broker: messages between users owned by different nodes, and a node leaving.
 */
@Tag("cluster")
@Timeout(180)
class ClusterIT
{
    private static final int WAIT_MS = 15_000;
    private static KafkaTestCluster kafka;
    private static int clusters;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private final TestDevices devices = new TestDevices();
    private final java.util.List<io.xin.client.XinClient> clients = new java.util.ArrayList<>();

    @BeforeAll
    static void startKafka() throws Exception
    {
        kafka = KafkaTestCluster.single();
    }

    @AfterAll
    static void stopKafka() throws Exception
    {
        kafka.close();
    }

    @AfterEach
    void tearDown()
    {
        clients.forEach(io.xin.client.XinClient::close);
        devices.closeClients();
        if (cluster != null)
        {
            cluster.close();
        }
        devices.close();
    }

    private TestCluster newCluster()
    {
        cluster = new TestCluster(kafka.bootstrapServers(), dir, "it" + ++clusters);
        return cluster;
    }

    @Test
    void shouldDeliverBetweenUsersOfDifferentNodesInOrder() throws Exception
    {
        final TestCluster cluster = newCluster();
        final TestCluster.Node one = cluster.start("one");
        final TestCluster.Node two = cluster.start("two");
        cluster.awaitAllOwned(30_000);
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);

        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        final Device bobDevice = devices.connect(two.server, bob, "phone");
        final Set<Long> msgIds = new HashSet<>();
        for (int i = 1; i <= 30; i++)
        {
            final SendAck ack = aliceDevice.client.send(bob, "a-" + i, text("hi " + i))
                .get(WAIT_MS, TimeUnit.MILLISECONDS);
            assertEquals(i, ack.getSeq());
            assertTrue(msgIds.add(ack.getMsgId()), "msg ids are unique");
        }
        for (int i = 1; i <= 30; i++)
        {
            final Message message = bobDevice.next();
            assertNotNull(message, "message " + i + " reached bob on the other node");
            assertEquals(i, message.getSeq());
            assertEquals("hi " + i, message.getContent().getBody().toStringUtf8());
            assertTrue(msgIds.contains(message.getMsgId()));
        }
        final SendAck reply = bobDevice.client.send(alice, "b-1", text("hello back"))
            .get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(31, reply.getSeq());
        Message back = aliceDevice.next();
        while (back.getFromUserId() == alice)
        {
            back = aliceDevice.next();
        }
        assertEquals("hello back", back.getContent().getBody().toStringUtf8());
        assertEquals(31, back.getSeq());
        final SyncResult page = bobDevice.client.sync(0, 100).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(31, page.getMessagesCount());
    }

    @Test
    void shouldRedirectEveryDeviceOfAUserToItsOwnerAndDeliverToAll() throws Exception
    {
        final TestCluster cluster = newCluster();
        final TestCluster.Node one = cluster.start("one");
        final TestCluster.Node two = cluster.start("two");
        cluster.awaitAllOwned(30_000);
        final long carol = cluster.userOwnedBy(two, 1);
        final long dave = cluster.userOwnedBy(one, 1);

        // Both of carol's devices start at the node that does not own her: each is redirected to the owner.
        final Device phone = connectVia(one, carol, "phone");
        final Device tablet = connectVia(one, carol, "tablet");
        final Device daveDevice = connectVia(two, dave, "phone");
        assertEquals(2, two.server.xin().counters().loginsSucceeded.sum(), "carol's devices are on her owner");
        assertEquals(1, one.server.xin().counters().loginsSucceeded.sum(), "dave is on his");

        final SendAck ack = daveDevice.client.send(carol, "d-1", text("to both devices"))
            .get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals("to both devices", phone.next().getContent().getBody().toStringUtf8());
        assertEquals(ack.getMsgId(), tablet.next().getMsgId());

        // A second login of the same device id on any node kicks the first, as on one node.
        final Device phoneAgain = connectVia(one, carol, "phone");
        assertTrue(phone.kicked.await(WAIT_MS, TimeUnit.MILLISECONDS), "the older phone session was kicked");
        final SyncResult page = phoneAgain.client.sync(0, 10).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, page.getMessagesCount());
        assertEquals(ack.getMsgId(), page.getMessages(0).getMsgId());
    }

    /** A device whose only seed is {@code first}: a node that may not own the user. */
    private Device connectVia(final TestCluster.Node first, final long userId, final String deviceId) throws Exception
    {
        final Device device = new Device();
        device.client = io.xin.client.XinClient.builder()
            .addresses(java.util.List.of(new java.net.InetSocketAddress("127.0.0.1", first.server.port())))
            .tokenSupplier(() -> first.server.token(userId))
            .deviceId(deviceId)
            .reconnectInitialDelayMs(50)
            .reconnectMaxDelayMs(500)
            .listener(device)
            .build();
        clients.add(device.client);
        device.loginOk = device.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        return device;
    }

    @Test
    void shouldServeUsersOfALeavingNodeFromAnotherWithTheirHistory() throws Exception
    {
        final TestCluster cluster = newCluster();
        final TestCluster.Node one = cluster.start("one");
        final TestCluster.Node two = cluster.start("two");
        cluster.awaitAllOwned(30_000);
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);
        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        final SendAck[] acks = new SendAck[20];
        for (int i = 0; i < acks.length; i++)
        {
            acks[i] = aliceDevice.client.send(bob, "m-" + i, text("m " + i)).get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        aliceDevice.close();

        cluster.stop(one);
        cluster.awaitAllOwned(30_000);
        final TestCluster.Node owner = cluster.ownerOf(alice);
        assertEquals(two, owner);

        final Device again = devices.connect(owner.server, alice, "tablet");
        assertEquals(20, again.loginOk.getHeadSeq(), "alice's inbox moved with her shard");
        final SendAck resent = again.client.send(bob, "m-7", text("m 7")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(resent.getDuplicate(), "the dedupe records moved too");
        assertEquals(acks[7].getMsgId(), resent.getMsgId());
        assertEquals(acks[7].getSeq(), resent.getSeq());
        final SendAck next = again.client.send(bob, "m-new", text("new")).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertFalse(next.getDuplicate());
        assertEquals(21, next.getSeq());
        for (final SendAck ack : acks)
        {
            assertTrue(next.getMsgId() != ack.getMsgId());
        }

        final Device bobDevice = devices.connect(owner.server, bob, "phone");
        final SyncResult page = bobDevice.client.sync(0, 100).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(21, page.getMessagesCount(), "every message reached bob exactly once");
    }
}
