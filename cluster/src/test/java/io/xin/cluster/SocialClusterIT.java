package io.xin.cluster;

import io.xin.client.ContactDiscovery;
import io.xin.core.TestDevices;
import io.xin.core.TestDevices.Device;
import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.DistanceBand;
import io.xin.protocol.pb.FriendEntry;
import io.xin.protocol.pb.FriendState;
import io.xin.protocol.pb.Presence;
import io.xin.protocol.pb.NearbyResult;
import io.xin.protocol.pb.NearbyUser;
import io.xin.protocol.pb.PresenceUpdate;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.ShakeState;
import io.xin.social.discovery.KeyRing;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.DistanceBands;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The social layer across two switches on one Kafka broker, its users on different nodes: presence of a friend
 * served by the other node, people nearby and shake across nodes (and no coordinate in the feed), and a number
 * registered on one node found by discovery on the other (and by a node that joins later, at its first try).
 */
@Tag("cluster")
@Tag("slow")
@Timeout(120)
class SocialClusterIT
{
    private static final int WAIT_MS = 15_000;
    private static final long SHAKE_WINDOW_MS = 2_000;
    /** Two places about a kilometre apart, in one coarse cell (so one partition of the feed). */
    private static final double[][] PLACES = {
        { 31.2304167, 121.4737011 },
        { 31.2391357, 121.4805679 },
    };
    private static final SecureRandom RANDOM = new SecureRandom();
    private static KafkaTestCluster kafka;
    private static int clusters;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private TestCluster.Node one;
    private TestCluster.Node two;
    private final TestDevices devices = new TestDevices();

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
        devices.closeClients();
        if (cluster != null)
        {
            cluster.close();
        }
        devices.close();
    }

    /** Two nodes that share a discovery key, pushing presence at once. */
    private void startTwoNodes() throws Exception
    {
        final Path keyFile = dir.resolve("discovery.keys");
        final byte[] seed = new byte[32];
        RANDOM.nextBytes(seed);
        Files.writeString(keyFile, KeyRing.file(1, seed, 0, null));
        cluster = new TestCluster(kafka.bootstrapServers(), dir, "social" + ++clusters)
            .settings(ctx -> ctx.presencePushIntervalMs(0).discoveryKeyFile(keyFile).shake(SHAKE_WINDOW_MS, 0));
        one = cluster.start("one");
        two = cluster.start("two");
        cluster.awaitAllOwned(30_000);
        awaitReady(one);
        awaitReady(two);
    }

    @Test
    void shouldShowAFriendOnTheOtherNodeOnlineAndNotABlockedUser() throws Exception
    {
        startTwoNodes();
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);
        // Carol shares Bob's shard, so her presence records share his partition of the social topic: what Alice is
        // told of Bob comes after whatever she would have been told of Carol.
        final long carol = sameShard(bob);

        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        Device bobDevice = devices.connect(two.server, bob, "phone");
        Device carolDevice = devices.connect(two.server, carol, "phone");
        await(aliceDevice.client.requestFriend(bob, "hi"));
        await(aliceDevice.client.requestFriend(carol, "hi"));
        awaitState(bobDevice, alice, FriendState.FRIEND_STATE_REQUEST_RECEIVED);
        awaitState(carolDevice, alice, FriendState.FRIEND_STATE_REQUEST_RECEIVED);
        await(bobDevice.client.acceptFriend(alice));
        await(carolDevice.client.acceptFriend(alice));
        awaitState(aliceDevice, bob, FriendState.FRIEND_STATE_FRIEND);
        awaitState(aliceDevice, carol, FriendState.FRIEND_STATE_FRIEND);
        // Alice's side of the friendship and node one's copy of Bob's side arrive in either order: she is shown Bob
        // online once both are there, whichever came last.
        awaitEntry(aliceDevice, bob, true, new ArrayList<>());
        await(aliceDevice.client.block(carol));

        // Bob leaves and comes back on his node; Carol, blocked, comes back before him.
        bobDevice.close();
        carolDevice.close();
        final Presence bobLeft = awaitEntry(aliceDevice, bob, false, new ArrayList<>());
        assertTrue(bobLeft.getLastSeenMs() > 0, "last seen comes with the friend's leaving: " + bobLeft);
        // From here on: Carol was shown online while she was a friend, before the block.
        final List<Presence> seen = new ArrayList<>();
        carolDevice = devices.connect(two.server, carol, "tablet");
        bobDevice = devices.connect(two.server, bob, "tablet");
        awaitEntry(aliceDevice, bob, true, seen);
        assertFalse(seen.stream().anyMatch(p -> p.getUserId() == carol && p.getOnline()),
            "the blocked user is never shown online: " + seen);

        // A new device of Alice gets a snapshot with Bob, who is served by the other node, online.
        final Device aliceTablet = devices.connect(one.server, alice, "tablet");
        final Presence inSnapshot = awaitEntry(aliceTablet, bob, true, new ArrayList<>());
        assertEquals(0, inSnapshot.getLastSeenMs());
        assertTrue(one.cluster.social().applied() > 0, "node one applied presence of node two's users");
        assertTrue(two.cluster.social().published() > 0);
        assertNotNull(carolDevice.loginOk);
    }

    @Test
    void shouldShowTheFriendsOfANodeThatDiesOfflineOnceItsShardsAreTaken() throws Exception
    {
        startTwoNodes();
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);
        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        final Device bobDevice = devices.connect(two.server, bob, "phone");
        await(aliceDevice.client.requestFriend(bob, "hi"));
        awaitState(bobDevice, alice, FriendState.FRIEND_STATE_REQUEST_RECEIVED);
        await(bobDevice.client.acceptFriend(alice));
        awaitEntry(aliceDevice, bob, true, new ArrayList<>());

        // Node two goes silent, as one killed would: its feed first, so Bob's leaving is never published.
        two.cluster.social().close();
        bobDevice.close();
        cluster.stop(two);

        final List<Presence> seen = new ArrayList<>();
        final Presence bobGone = awaitEntry(aliceDevice, bob, false, seen);
        assertTrue(bobGone.getLastSeenMs() > 0, "seen last when his node's shards were taken: " + seen);
        assertNotEquals(0, one.cluster.ownerEpoch(JournalShard.of(bob, TestCluster.PARTITIONS)));
    }

    @Test
    void shouldSeeAndShakeWithUsersOfTheOtherNodeAndPublishOnlyCells() throws Exception
    {
        startTwoNodes();
        final long alice = cluster.userOwnedBy(one, 1);
        final long bob = cluster.userOwnedBy(two, 1);
        final Device aliceDevice = devices.connect(one.server, alice, "phone");
        final Device bobDevice = devices.connect(two.server, bob, "phone");

        // Bob reports on node two, then Alice on node one: one coarse cell, one partition, so when Alice's report is
        // answered (applied on its way back) node one has applied Bob's too.
        await(bobDevice.client.reportLocation(PLACES[1][0], PLACES[1][1]));
        final NearbyResult reported = await(aliceDevice.client.reportLocation(PLACES[0][0], PLACES[0][1]));
        assertTrue(reported.getExpiresAtMs() > 0);
        final NearbyResult seen = await(aliceDevice.client.nearby(0, 0));
        assertEquals(List.of(bob), seen.getUsersList().stream().map(NearbyUser::getUserId).toList());
        assertEquals(DistanceBand.forNumber(DistanceBands.band(Cells.centreDistanceKm(
            Cells.cellOf(PLACES[0][0], PLACES[0][1], 9), Cells.cellOf(PLACES[1][0], PLACES[1][1], 9)))),
            seen.getUsers(0).getBand());
        assertEquals(List.of(alice),
            await(bobDevice.client.nearby(0, 0)).getUsersList().stream().map(NearbyUser::getUserId).toList());
        // Bob leaves on his node: gone from Alice's page on hers once her next event is back.
        await(bobDevice.client.leaveNearby());
        await(aliceDevice.client.reportLocation(PLACES[0][0], PLACES[0][1]));
        assertEquals(0, await(aliceDevice.client.nearby(0, 0)).getUsersCount());

        // A shake on each node: paired with each other, each told by its own node.
        final CompletableFuture<ShakeResult> aliceShake = aliceDevice.client.shake();
        final CompletableFuture<ShakeResult> bobShake = bobDevice.client.shake();
        final ShakeResult aliceMatched = await(aliceShake);
        final ShakeResult bobMatched = await(bobShake);
        assertEquals(ShakeState.SHAKE_MATCHED, aliceMatched.getState());
        assertEquals(bob, aliceMatched.getUserId());
        assertEquals(ShakeState.SHAKE_MATCHED, bobMatched.getState());
        assertEquals(alice, bobMatched.getUserId());
        // A shake alone expires after the window, through a tick every node applies.
        assertEquals(ShakeState.SHAKE_EXPIRED, await(aliceDevice.client.shake()).getState());

        // The feed's records hold cells, never a coordinate.
        final List<byte[]> records = readAll(cluster.config("reader").topic(ClusterSocialFeed.SOCIAL));
        int nearbyEvents = 0;
        for (final byte[] record : records)
        {
            for (final double[] place : PLACES)
            {
                for (final double degrees : place)
                {
                    assertFalse(contains(record, ByteBuffer.allocate(8).putDouble(degrees).array()));
                    assertFalse(contains(record, ByteBuffer.allocate(4).putFloat((float)degrees).array()));
                    assertFalse(contains(record, Double.toString(degrees).substring(0, 6)
                        .getBytes(StandardCharsets.UTF_8)));
                }
            }
            final SocialRecords.Nearby event = SocialRecords.decodeNearby(record);
            if (event != null)
            {
                nearbyEvents++;
                assertTrue(event.cell() == 0 || Cells.isCell(event.cell()) && Cells.resolution(event.cell()) == 9,
                    "an H3 cell at resolution 9, or none: " + event);
            }
            else
            {
                assertTrue(SocialRecords.decodePresence(record) != null ||
                    SocialRecords.decodeRepublish(record) != null || SocialRecords.decodeShardServed(record) != null,
                    "a presence record, a republish request or a shard taken");
            }
        }
        assertTrue(nearbyEvents >= 6, "reports, a leave, shakes and a tick: " + nearbyEvents);
    }

    @Test
    void shouldFindANumberRegisteredOnTheOtherNode() throws Exception
    {
        startTwoNodes();
        final long dave = cluster.userOwnedBy(two, 1);
        final long erin = cluster.userOwnedBy(one, 1);
        final String number = "+8613800138000";
        final Device daveDevice = devices.connect(two.server, dave, "phone");
        await(new ContactDiscovery(daveDevice.client, "86").register(number));

        final Device erinDevice = devices.connect(one.server, erin, "phone");
        final ContactDiscovery discovery = new ContactDiscovery(erinDevice.client, "86");
        final List<String> book = List.of("13800138000", "+8613900139000");
        Map<String, Long> found = await(discovery.discover(book));
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        // Node one applies the registration when it reads the directory topic: a few milliseconds after the ack.
        while (found.isEmpty() && System.nanoTime() - deadline < 0)
        {
            found = await(discovery.discover(book));
        }
        assertEquals(Map.of("+8613800138000", dave), found);

        // A node that joins later reads the directory before it is ready: its first MATCH finds the number.
        final TestCluster.Node three = cluster.start("three");
        cluster.awaitAllOwned(30_000);
        awaitReady(three);
        final Device fayDevice = devices.connect(three.server, cluster.userOwnedBy(three, 1), "phone");
        assertEquals(Map.of("+8613800138000", dave),
            await(new ContactDiscovery(fayDevice.client, "86").discover(book)));
        assertTrue(three.cluster.social().registrationsApplied() > 0);

        // The topic holds tags, never the number, in any spelling.
        final List<byte[]> records = readAll(cluster.config("reader").topic(ClusterSocialFeed.DIRECTORY));
        assertFalse(records.isEmpty());
        for (final byte[] record : records)
        {
            if (record == null)
            {
                continue;
            }
            assertEquals(SocialRecords.TAG_LENGTH, record.length);
            assertFalse(contains(record, number.getBytes(StandardCharsets.UTF_8)));
            assertFalse(contains(record, "13800138000".getBytes(StandardCharsets.UTF_8)));
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static void awaitReady(final TestCluster.Node node) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!node.cluster.isReady())
        {
            assertTrue(System.nanoTime() - deadline < 0, node.id + " did not read the directory in time");
            Thread.sleep(20);
        }
    }

    /** Another user of the same journal shard (and so of the same node and the same social partition). */
    private static long sameShard(final long userId)
    {
        final int shard = JournalShard.of(userId, TestCluster.PARTITIONS);
        long other = userId + 1;
        while (JournalShard.of(other, TestCluster.PARTITIONS) != shard)
        {
            other++;
        }
        return other;
    }

    /** Waits until the device's own view of {@code peer} is {@code state} (a change that crosses shards). */
    private static void awaitState(final Device device, final long peer, final FriendState state) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (true)
        {
            for (final FriendEntry entry : await(device.client.friends()).getEntriesList())
            {
                if (entry.getUserId() == peer && entry.getState() == state)
                {
                    return;
                }
            }
            assertTrue(System.nanoTime() - deadline < 0, "user " + peer + " never became " + state);
        }
    }

    /** The first entry of {@code userId} with that online state, keeping every entry looked at in {@code seen}. */
    private static Presence awaitEntry(
        final Device device, final long userId, final boolean online, final List<Presence> seen)
        throws InterruptedException
    {
        while (true)
        {
            final PresenceUpdate update = device.presence.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(update, "no presence of user " + userId + " (online " + online + ") after " + seen);
            for (final Presence entry : update.getEntriesList())
            {
                seen.add(entry);
                if (entry.getUserId() == userId && entry.getOnline() == online)
                {
                    return entry;
                }
            }
        }
    }

    /** Every record value of a topic, from the start to its end now. */
    private static List<byte[]> readAll(final String topic)
    {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        final List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic, Duration.ofSeconds(10))
                .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)))
            {
                assertTrue(System.nanoTime() - deadline < 0, "topic " + topic + " not read to its end");
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100)))
                {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static boolean contains(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
