package io.xin.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Relations and privacy settings: written through a journal batch, read back by point reads and range reads,
 * rebuilt from the message log when RocksDB never held them, and kept apart from every other user's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FriendStoreIT
{
    private static final byte FRIEND = 1;
    private static final byte REQUEST_RECEIVED = 3;
    private static final byte BLOCKED = 4;

    @TempDir
    Path tempDir;

    @Test
    void shouldReadBackRelationsAndPrivacyAfterReopening()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            final FriendBatch puts = store.friends().newBatch(batch);
            puts.putRelation(10, 12, FRIEND, null);
            puts.putRelation(10, 11, REQUEST_RECEIVED, "hello, it is me");
            puts.putRelation(10, 13, BLOCKED, "");
            puts.putRelation(10, 14, FRIEND, null);
            puts.deleteRelation(10, 14);
            puts.putRelation(11, 10, (byte)2, "hello, it is me");
            puts.putPrivacy(10, (byte)(FriendStore.ALLOWS_STRANGERS | FriendStore.HIDES_PRESENCE));
            store.write(batch);
        }

        try (XinStore store = XinStore.open(config()); FriendStore.Reader reader = store.friends().newReader())
        {
            final List<RelationRecord> relations = store.friends().readRelations(10);
            assertEquals(List.of(new RelationRecord(11, REQUEST_RECEIVED, "hello, it is me"),
                new RelationRecord(12, FRIEND, ""), new RelationRecord(13, BLOCKED, "")), relations);
            assertEquals(List.of(new RelationRecord(10, (byte)2, "hello, it is me")),
                store.friends().readRelations(11));
            assertTrue(store.friends().readRelations(9).isEmpty());
            assertTrue(store.friends().readRelations(12).isEmpty(), "a view is one user's, not the pair's");

            assertEquals(FRIEND, reader.readState(10, 12));
            assertEquals(REQUEST_RECEIVED, reader.readState(10, 11), "a value with a greeting reads its state");
            assertEquals(0, reader.readState(10, 14), "deleted");
            assertEquals(0, reader.readState(12, 10));
            assertEquals(FriendStore.ALLOWS_STRANGERS | FriendStore.HIDES_PRESENCE, reader.readPrivacy(10));
            assertEquals(FriendStore.NO_SETTINGS, reader.readPrivacy(11));

            final FriendStore.FriendList list = store.friends().readFriendList(10);
            assertEquals(3, list.relations().size());
            assertEquals(FriendStore.ALLOWS_STRANGERS | FriendStore.HIDES_PRESENCE, list.privacy());
            assertEquals(FriendStore.NO_SETTINGS, store.friends().readFriendList(11).privacy());
        }
    }

    @Test
    void shouldRebuildRelationsFromTheLogWhenRocksDbNeverHeldThem()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            final FriendBatch puts = store.friends().newBatch(batch);
            puts.putRelation(1, 2, FRIEND, null);
            puts.putPrivacy(1, FriendStore.ALLOWS_STRANGERS);
            store.append(batch);
            // No apply: as if the process died after the acknowledgement.
        }

        try (XinStore store = XinStore.open(config()); FriendStore.Reader reader = store.friends().newReader())
        {
            assertEquals(1, store.logEntriesReplayedAtOpen());
            assertEquals(FRIEND, reader.readState(1, 2));
            assertEquals(FriendStore.ALLOWS_STRANGERS, reader.readPrivacy(1));
        }
    }

    @Test
    void shouldRefuseStateZeroAndOverlongGreetings()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            final FriendBatch puts = store.friends().newBatch(batch);
            assertThrows(IllegalArgumentException.class, () -> puts.putRelation(1, 2, (byte)0, null));
            assertThrows(IllegalArgumentException.class, () -> puts.putRelation(1, 2, FRIEND, "x".repeat(1025)));
            assertThrows(IllegalArgumentException.class, () -> puts.putRelation(0, 2, FRIEND, null));
            assertEquals(0, batch.count());
        }
    }

    @Test
    void shouldPageAFriendListByPeerIdWithinEntriesAndBytes()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            final FriendBatch puts = store.friends().newBatch(batch);
            for (long peer = 100; peer < 110; peer++)
            {
                puts.putRelation(10, peer, FRIEND, peer == 105 ? "x".repeat(200) : null);
            }
            puts.putRelation(11, 1, FRIEND, null);
            store.write(batch);

            final List<Long> seen = new ArrayList<>();
            long after = 0;
            int pages = 0;
            FriendStore.FriendList page;
            do
            {
                page = store.friends().readFriendList(10, after, 3, Integer.MAX_VALUE);
                page.relations().forEach(relation -> seen.add(relation.peerId()));
                after = page.relations().get(page.relations().size() - 1).peerId();
                pages++;
            }
            while (page.more());
            assertEquals(4, pages, "3 + 3 + 3 + 1");
            assertEquals(List.of(100L, 101L, 102L, 103L, 104L, 105L, 106L, 107L, 108L, 109L), seen);
            assertTrue(store.friends().readFriendList(10, 109, 3, Integer.MAX_VALUE).relations().isEmpty());

            // 18 bytes a relation without a greeting (17 of key, 1 of state): 100 bytes hold 5; 105's greeting ends
            // the page before it, and a page always holds one relation, however long.
            final FriendStore.FriendList bounded = store.friends().readFriendList(10, 0, 100, 100);
            assertEquals(5, bounded.relations().size());
            assertTrue(bounded.more());
            final FriendStore.FriendList longOne = store.friends().readFriendList(10, 104, 100, 100);
            assertEquals(1, longOne.relations().size());
            assertEquals(105, longOne.relations().get(0).peerId());
            assertTrue(longOne.more());
        }
    }

    @Test
    void shouldTellOfEachRelationAppliedFromAReplicatedLogOnceItIsReadable()
    {
        final List<long[]> told = new ArrayList<>();
        try (XinStore store = XinStore.open(config().replicatedLogs(true)); JournalBatch batch = store.newBatch();
            FriendStore.Reader reader = store.friends().newReader())
        {
            final FriendBatch puts = store.friends().newBatch(batch);
            puts.putRelation(10, 12, FRIEND, "greeting bytes follow the state");
            puts.putRelation(11, 10, BLOCKED, null);
            puts.deleteRelation(10, 14);
            puts.putPrivacy(10, FriendStore.HIDES_PRESENCE);

            store.applyReplicated(0, List.of(batch.entry()), 1, (userId, peerId, state) ->
            {
                told.add(new long[]{ userId, peerId, state });
                assertEquals(state, reader.readState(userId, peerId), "readable when told");
            });
            assertEquals(1, store.appliedPosition(0));
        }

        assertEquals(3, told.size(), "the privacy record is not a relation");
        assertArrayEquals(new long[]{ 10, 12, FRIEND }, told.get(0));
        assertArrayEquals(new long[]{ 11, 10, BLOCKED }, told.get(1));
        assertArrayEquals(new long[]{ 10, 14, 0 }, told.get(2));
    }

    private StoreConfig config()
    {
        return new StoreConfig().dataDir(tempDir.resolve("db")).fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * 1024 * 1024).writeBufferBytes(1024 * 1024);
    }
}
