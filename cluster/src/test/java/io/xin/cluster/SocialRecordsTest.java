package io.xin.cluster;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocialRecordsTest
{
    @Test
    void shouldRoundTripPresence()
    {
        final SocialRecords.Presence online = new SocialRecords.Presence("node-é", 42, true, 0, false);
        assertEquals(online, SocialRecords.decodePresence(SocialRecords.encode(online)));
        final SocialRecords.Presence left = new SocialRecords.Presence("b", Long.MAX_VALUE, false, 1_700_000_040_000L,
            true);
        assertEquals(left, SocialRecords.decodePresence(SocialRecords.encode(left)));
    }

    @Test
    void shouldRefuseWhatIsNotAPresenceRecord()
    {
        final byte[] value = SocialRecords.encode(new SocialRecords.Presence("node", 7, true, 0, false));
        assertNull(SocialRecords.decodePresence(null));
        assertNull(SocialRecords.decodePresence(Arrays.copyOf(value, value.length - 1)), "node id cut short");
        assertNull(SocialRecords.decodePresence(Arrays.copyOf(value, value.length + 1)), "trailing bytes");
        value[0] = 99;
        assertNull(SocialRecords.decodePresence(value), "another kind");
    }

    @Test
    void shouldTellARepublishRequestFromPresence()
    {
        final byte[] request = SocialRecords.encodeRepublish("node-2");
        assertEquals("node-2", SocialRecords.decodeRepublish(request));
        assertNull(SocialRecords.decodePresence(request));
        assertNull(SocialRecords.decodeRepublish(
            SocialRecords.encode(new SocialRecords.Presence("node", 7, true, 0, false))));
    }

    @Test
    void shouldRoundTripNearbyEventsWithTheirCellOnly()
    {
        final SocialRecords.Nearby shake = new SocialRecords.Nearby("node-1", 3, 42, 0x8931_0e15_6dfffffL,
            1_700_000_000_123L, 9);
        final byte[] value = SocialRecords.encode(shake);
        assertEquals(shake, SocialRecords.decodeNearby(value));
        assertEquals(1 + 1 + 8 + 8 + 8 + 8 + 2 + "node-1".length(), value.length, "nothing but the fields");
        assertNull(SocialRecords.decodePresence(value));
        assertNull(SocialRecords.decodeRepublish(value));
        assertNull(SocialRecords.decodeNearby(Arrays.copyOf(value, value.length - 1)));
        assertNull(SocialRecords.decodeNearby(SocialRecords.encodeRepublish("node-1")));
    }

    @Test
    void shouldTellAShardTakenFromEveryOtherKind()
    {
        final byte[] value = SocialRecords.encodeShardServed("node-3", 17);
        assertEquals(new SocialRecords.ShardServed("node-3", 17), SocialRecords.decodeShardServed(value));
        assertNull(SocialRecords.decodePresence(value));
        assertNull(SocialRecords.decodeNearby(value));
        assertNull(SocialRecords.decodeRepublish(value));
        assertNull(SocialRecords.decodeShardServed(SocialRecords.encodeRepublish("node-3")));
        assertNull(SocialRecords.decodeShardServed(Arrays.copyOf(value, 5)), "no node id");
        value[1] = (byte)0x80;
        assertNull(SocialRecords.decodeShardServed(value), "a negative shard");
    }

    @Test
    void shouldNameANodeRestartedUnderItsIdAsAnotherSender()
    {
        final ClusterConfig config = new ClusterConfig().bootstrapServers("127.0.0.1:9092").nodeId("node-1")
            .advertisedAddress("127.0.0.1:7700");
        final String before = new ClusterSocialFeed(config).sender();
        final String after = new ClusterSocialFeed(config).sender();
        assertTrue(before.startsWith("node-1#") && after.startsWith("node-1#"), before + " " + after);
        assertNotEquals(before, after, "what the process before said of its users is over once the new one serves");
    }

    @Test
    void shouldRoundTripRegistrationsAndTombstones()
    {
        final byte[] tag = new byte[SocialRecords.TAG_LENGTH];
        Arrays.fill(tag, (byte)7);
        final byte[] key = SocialRecords.registrationKey(0x80000001, 99);
        final SocialRecords.Registration registration = SocialRecords.decodeRegistration(key, tag);
        assertEquals(0x80000001, registration.keyId());
        assertEquals(99, registration.userId());
        assertArrayEquals(tag, registration.tag());
        final SocialRecords.Registration removal = SocialRecords.decodeRegistration(key, null);
        assertEquals(99, removal.userId());
        assertNull(removal.tag());
        assertNull(SocialRecords.decodeRegistration(key, new byte[15]), "a tag is 16 bytes");
        assertNull(SocialRecords.decodeRegistration(new byte[8], tag), "a key is key id and user id");
    }
}
