package io.xin.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.TtlDB;
import org.rocksdb.WriteOptions;

/**
 * Data directories the message log did not write: one of the previous layout, where RocksDB's own write-ahead log
 * held every write and there is no {@code log/} directory, and one whose {@code log/} directory is gone, as in a
 * restored backup (a RocksDB checkpoint carries no message log). Each must open with everything it held, take new
 * writes through the log, and keep them across reopens, a replay of an unapplied entry included.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpgradeIT
{
    private static final int USERS = 3;
    private static final int ENTRIES = 20;
    private static final long LAST_MSG_ID = 500;
    private static final long TIME_MS = 1_700_000_000_000L;

    /** How the previous layout's writes were left on disk. */
    enum Legacy
    {
        /** Only in RocksDB's write-ahead log: closed without a flush, as after a crash. */
        WAL_ONLY,
        /** Flushed to SST files before the close. */
        FLUSHED
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Legacy.class)
    void shouldOpenDataOfThePreviousLayoutAndWriteThroughTheLog(final Legacy legacy) throws Exception
    {
        final Path data = dir.resolve("data");
        writePreviousLayout(data, legacy == Legacy.FLUSHED);
        assertFalse(Files.exists(data.resolve(ShardLogs.LOG_DIR)), "the previous layout has no message log");
        if (legacy == Legacy.WAL_ONLY)
        {
            assertEquals(List.of(), files(data, ".sst"), "the writes are only in RocksDB's write-ahead log");
            assertTrue(files(data, ".log").stream().anyMatch(UpgradeIT::nonEmpty), "a non-empty RocksDB WAL file");
        }
        else
        {
            assertFalse(files(data, ".sst").isEmpty(), "the writes are in SST files");
        }

        try (XinStore store = XinStore.open(config(data)))
        {
            assertEquals(0, store.logEntriesReplayedAtOpen());
            assertPreviousLayoutReadable(store);

            // Applied: a new message for user 1.
            try (JournalBatch batch = store.newBatch())
            {
                batch.putInbox(1, ENTRIES + 1, bytes("new 1"));
                batch.putHead(1, ENTRIES + 1);
                batch.putDedupe(1, bytes("c" + (ENTRIES + 1)), LAST_MSG_ID + 1, ENTRIES + 1, TIME_MS);
                batch.putLastMsgId(LAST_MSG_ID + 1);
                store.write(batch);
            }
            assertInbox(store, 1, ENTRIES + 1);
            assertEquals(LAST_MSG_ID + 1, store.readDedupe(1, bytes("c" + (ENTRIES + 1))).msgId());

            // Appended and never applied, as when the process stops between the acks and the apply.
            try (JournalBatch batch = store.newBatch())
            {
                batch.putInbox(2, ENTRIES + 1, bytes("new 2"));
                batch.putHead(2, ENTRIES + 1);
                batch.putLastMsgId(LAST_MSG_ID + 2);
                store.append(batch);
            }
        }
        assertTrue(Files.isDirectory(data.resolve(ShardLogs.LOG_DIR).resolve("shard-0")), "the log is written");

        try (XinStore store = XinStore.open(config(data)))
        {
            assertEquals(1, store.logEntriesReplayedAtOpen(), "the unapplied entry is replayed");
            assertAllReadable(store);
        }
        try (XinStore store = XinStore.open(config(data)))
        {
            assertEquals(0, store.logEntriesReplayedAtOpen(), "the close flushed what the replay applied");
            assertAllReadable(store);
        }
    }

    /**
     * A data directory whose log is gone (a restored backup carries none): it opens with what RocksDB holds, and the
     * log begins again at position 0, below the position RocksDB recorded as applied for the log that was.
     */
    @Test
    void shouldKeepWorkingWhenTheLogDirectoryIsRemoved() throws Exception
    {
        final Path data = dir.resolve("data");
        final long endBefore = writeThroughLog(data);
        deleteLogDirectory(data);

        final long endAfter;
        try (XinStore store = XinStore.open(config(data)))
        {
            assertFalse(Files.exists(data.resolve(ShardLogs.LOG_DIR).resolve("shard-0")), "no log until a journal");
            assertLogWritten(store);
            try (JournalBatch batch = store.newBatch())
            {
                batch.putInbox(1, ENTRIES + 1, bytes("new 1"));
                batch.putHead(1, ENTRIES + 1);
                endAfter = store.append(batch);
                store.apply(batch);
            }
            assertTrue(endAfter < endBefore, "positions restart: " + endAfter + " after " + endBefore);
            assertInbox(store, 1, ENTRIES + 1);
        }
        try (XinStore store = XinStore.open(config(data)))
        {
            assertInbox(store, 1, ENTRIES + 1);
            assertInbox(store, 2, ENTRIES);
            // Appended and never applied: the next open replays it.
            try (JournalBatch batch = store.newBatch())
            {
                batch.putInbox(2, ENTRIES + 1, bytes("new 2"));
                batch.putHead(2, ENTRIES + 1);
                store.append(batch);
            }
        }
        try (XinStore store = XinStore.open(config(data)))
        {
            assertEquals(1, store.logEntriesReplayedAtOpen());
            assertInbox(store, 1, ENTRIES + 1);
            assertInbox(store, 2, ENTRIES + 1);
        }
    }

    /**
     * The first entry a log begun again holds, appended and not applied when the process stops, must be replayed
     * like any other: RocksDB still records the old log's larger applied position then.
     */
    @Test
    void shouldReplayTheFirstEntryOfALogBegunAgain() throws Exception
    {
        final Path data = dir.resolve("data");
        writeThroughLog(data);
        deleteLogDirectory(data);

        try (XinStore store = XinStore.open(config(data)))
        {
            try (JournalBatch batch = store.newBatch())
            {
                batch.putInbox(1, ENTRIES + 1, bytes("new 1"));
                batch.putHead(1, ENTRIES + 1);
                store.append(batch);
            }
        }
        try (XinStore store = XinStore.open(config(data)))
        {
            assertEquals(1, store.logEntriesReplayedAtOpen(), "the entry appended to the new log is replayed");
            assertInbox(store, 1, ENTRIES + 1);
        }
    }

    /** Writes the inboxes of {@link #writePreviousLayout} through the store instead; returns the log's end. */
    private long writeThroughLog(final Path data)
    {
        try (XinStore store = XinStore.open(config(data));
            JournalBatch batch = store.newBatch())
        {
            long end = 0;
            for (long user = 1; user <= USERS; user++)
            {
                for (long seq = 1; seq <= ENTRIES; seq++)
                {
                    batch.putInbox(user, seq, message(user, seq));
                    batch.putHead(user, seq);
                    end = store.append(batch);
                    store.apply(batch);
                }
            }
            assertTrue(end > 0, "the log holds the writes");
            return end;
        }
    }

    private void assertLogWritten(final XinStore store)
    {
        for (long user = 1; user <= USERS; user++)
        {
            assertInbox(store, user, ENTRIES);
        }
    }

    private static void deleteLogDirectory(final Path data) throws IOException
    {
        try (Stream<Path> files = Files.walk(data.resolve(ShardLogs.LOG_DIR)))
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.delete(file);
            }
        }
    }

    /**
     * A RocksDB as the switch wrote it before the message log: TtlDB with the store's column families and TTLs,
     * every write through RocksDB's own write-ahead log.
     *
     * @param flush whether to flush the memtables before the close; if not, the writes stay in the WAL only.
     */
    private static void writePreviousLayout(final Path data, final boolean flush) throws Exception
    {
        Files.createDirectories(data);
        final StoreConfig config = config(data);
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
            DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                // No flush at the close either: the WAL alone holds the writes.
                .setAvoidFlushDuringShutdown(true);
            WriteOptions writeOptions = new WriteOptions())
        {
            final List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor(bytes(XinStore.INBOX_CF), cfOptions),
                new ColumnFamilyDescriptor(bytes(XinStore.DEDUPE_CF), cfOptions),
                new ColumnFamilyDescriptor(bytes(XinStore.META_CF), cfOptions),
                new ColumnFamilyDescriptor(bytes(XinStore.TIMELINE_CF), cfOptions));
            final List<Integer> ttls = List.of(0, (int)config.retentionSeconds(), (int)config.dedupeRetentionSeconds(),
                0, (int)config.retentionSeconds());
            try (TtlDB db = TtlDB.open(dbOptions, data.toString(), descriptors, handles, ttls, false))
            {
                final ColumnFamilyHandle inbox = handles.get(1);
                final ColumnFamilyHandle dedupe = handles.get(2);
                final ColumnFamilyHandle meta = handles.get(3);
                final byte[] inboxKey = new byte[Layout.INBOX_KEY_LENGTH];
                final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
                for (long user = 1; user <= USERS; user++)
                {
                    for (long seq = 1; seq <= ENTRIES; seq++)
                    {
                        Layout.inboxKey(inboxKey, user, seq);
                        db.put(inbox, writeOptions, inboxKey, message(user, seq));
                    }
                    Layout.headKey(headKey, user);
                    db.put(meta, writeOptions, headKey, longValue(ENTRIES));
                }
                for (long seq = 1; seq <= ENTRIES; seq++)
                {
                    final byte[] clientMsgId = bytes("c" + seq);
                    final byte[] key = new byte[Layout.dedupeKeyLength(clientMsgId, clientMsgId.length)];
                    Layout.dedupeKey(key, 1, clientMsgId, clientMsgId.length);
                    final byte[] value = new byte[Layout.DEDUPE_VALUE_LENGTH];
                    Layout.putLong(value, Layout.DEDUPE_MSG_ID_OFFSET, LAST_MSG_ID - ENTRIES + seq);
                    Layout.putLong(value, Layout.DEDUPE_SENDER_SEQ_OFFSET, seq);
                    Layout.putLong(value, Layout.DEDUPE_TIME_MS_OFFSET, TIME_MS);
                    value[Layout.DEDUPE_KIND_OFFSET] = DedupeRecord.Kind.SEND.tag;
                    db.put(dedupe, writeOptions, key, value);
                }
                // A record of before records carried their kind: 24 bytes.
                final byte[] oldId = bytes("old");
                final byte[] oldKey = new byte[Layout.dedupeKeyLength(oldId, oldId.length)];
                Layout.dedupeKey(oldKey, 2, oldId, oldId.length);
                final byte[] oldValue = new byte[Layout.UNTAGGED_DEDUPE_VALUE_LENGTH];
                Layout.putLong(oldValue, Layout.DEDUPE_MSG_ID_OFFSET, 7);
                Layout.putLong(oldValue, Layout.DEDUPE_SENDER_SEQ_OFFSET, 3);
                Layout.putLong(oldValue, Layout.DEDUPE_TIME_MS_OFFSET, TIME_MS);
                db.put(dedupe, writeOptions, oldKey, oldValue);
                db.put(meta, writeOptions, Layout.lastMsgIdKey(), longValue(LAST_MSG_ID));
                if (flush)
                {
                    try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true))
                    {
                        db.flush(flushOptions, handles);
                    }
                }
            }
            finally
            {
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
    }

    private static void assertPreviousLayoutReadable(final XinStore store)
    {
        for (long user = 1; user <= USERS; user++)
        {
            assertInbox(store, user, ENTRIES);
            assertEquals(ENTRIES, store.readHeadSeq(user));
        }
        for (long seq = 1; seq <= ENTRIES; seq++)
        {
            final DedupeRecord record = store.readDedupe(1, bytes("c" + seq));
            assertNotNull(record, "dedupe record c" + seq);
            assertEquals(new DedupeRecord(LAST_MSG_ID - ENTRIES + seq, seq, TIME_MS, DedupeRecord.Kind.SEND), record);
        }
        assertEquals(new DedupeRecord(7, 3, TIME_MS, DedupeRecord.Kind.UNTAGGED), store.readDedupe(2, bytes("old")));
    }

    private static void assertAllReadable(final XinStore store)
    {
        assertInbox(store, 1, ENTRIES + 1);
        assertInbox(store, 2, ENTRIES + 1);
        assertInbox(store, 3, ENTRIES);
        assertEquals(ENTRIES + 1, store.readHeadSeq(2));
        assertEquals(LAST_MSG_ID + 1, store.readDedupe(1, bytes("c" + (ENTRIES + 1))).msgId());
        assertEquals(LAST_MSG_ID - ENTRIES + 1, store.readDedupe(1, bytes("c1")).msgId());
        assertEquals(LAST_MSG_ID + 2, store.readLastMsgId());
    }

    /** Entries 1..{@code head}: those of the old layout, then the one written new. */
    private static void assertInbox(final XinStore store, final long user, final long head)
    {
        final InboxPage page = store.readInbox(user, 0, 1000, 1 << 20);
        assertEquals(head, page.headSeq(), "head of user " + user);
        assertEquals(head, page.entries().size(), "entries of user " + user);
        for (int i = 0; i < head; i++)
        {
            final InboxEntry entry = page.entries().get(i);
            assertEquals(i + 1, entry.seq());
            final byte[] expected = i < ENTRIES ? message(user, i + 1) : bytes("new " + user);
            assertArrayEquals(expected, entry.message(), "user " + user + " seq " + (i + 1));
        }
    }

    private static StoreConfig config(final Path data)
    {
        return new StoreConfig()
            .dataDir(data)
            .fsyncPolicy(FsyncPolicy.BATCH)
            .blockCacheBytes(8L * 1024 * 1024)
            .writeBufferBytes(1024 * 1024);
    }

    private static List<Path> files(final Path data, final String suffix) throws IOException
    {
        try (Stream<Path> files = Files.list(data))
        {
            return files.filter(file -> file.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    private static boolean nonEmpty(final Path file)
    {
        try
        {
            return Files.size(file) > 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static byte[] message(final long user, final long seq)
    {
        return bytes("message " + seq + " to " + user);
    }

    private static byte[] longValue(final long value)
    {
        final byte[] bytes = new byte[Layout.LONG_LENGTH];
        Layout.putLong(bytes, 0, value);
        return bytes;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(UTF_8);
    }
}
