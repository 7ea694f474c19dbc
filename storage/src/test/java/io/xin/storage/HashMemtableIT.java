package io.xin.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;

/**
 * The inbox and dedupe memtables hashed by user ({@link StoreConfig#hashMemtable}) against data written with and
 * without it: pages, heads and dedupe lookups answer as with RocksDB's skip list, from the memtable (the WAL
 * replayed into it), from SST files written with or without the prefix extractor, after switching the setting
 * either way, under retention and with two writers at once. Every other store test runs with it too
 * ({@link XinStoreHashMemtableIT}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HashMemtableIT
{
    private static final int SENDERS = 300;

    @TempDir
    Path tempDir;

    @Test
    void shouldReadRecordsWrittenWithoutThePrefixExtractorAfterReopeningWithItAndBack() throws IOException
    {
        // Without: half the records compacted into SST files (whole-key filters only), half left in the WAL.
        try (XinStore store = XinStore.open(config(false)))
        {
            putRecords(store, "old-sst-", 1);
            putEntries(store, 1, 3);
            store.compact();
            putRecords(store, "old-wal-", 2);
            putEntries(store, 4, 2);
        }
        assertFalse(dedupeOptionsInUse().contains("HashSkipListRepFactory"), dedupeOptionsInUse());
        // With: the WAL is replayed into the hash memtable; new records go to files with prefix filters too.
        try (XinStore store = XinStore.open(config(true)))
        {
            assertTrue(dedupeOptionsInUse().contains("HashSkipListRepFactory"), dedupeOptionsInUse());
            assertTrue(dedupeOptionsInUse().contains("prefix_extractor=rocksdb.FixedPrefix.8"), dedupeOptionsInUse());
            assertRecords(store, "old-sst-", 1);
            assertRecords(store, "old-wal-", 2);
            assertEntries(store, 5);
            putRecords(store, "new-sst-", 3);
            putEntries(store, 6, 4);
            store.compact();
            putRecords(store, "new-mem-", 4);
            putEntries(store, 10, 1);
            assertEntries(store, 10);
            assertRecords(store, "old-sst-", 1);
            assertRecords(store, "old-wal-", 2);
            assertRecords(store, "new-sst-", 3);
            assertRecords(store, "new-mem-", 4);
        }
        // And back: files written with the prefix extractor open without it.
        try (XinStore store = XinStore.open(config(false)))
        {
            assertRecords(store, "old-sst-", 1);
            assertRecords(store, "old-wal-", 2);
            assertRecords(store, "new-sst-", 3);
            assertRecords(store, "new-mem-", 4);
            assertEntries(store, 10);
        }
    }

    @Test
    void shouldRefuseTheSkipListInsertHintWithAHashMemtable()
    {
        final StoreConfig config = config(true).memtableInsertHint(true);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> XinStore.open(config));
        assertTrue(ex.getMessage().contains("hashMemtable"), ex.getMessage());
        config(false).memtableInsertHint(true).validate();
    }

    @Test
    void shouldAnswerMissesWithPrefixesOfStoredIdsAndNeighbouringSenders()
    {
        try (XinStore store = XinStore.open(config(true)); JournalBatch batch = store.newBatch())
        {
            batch.putDedupe(5, bytes("c-1"), 1001, 17, 123);
            batch.putDedupe(Long.MAX_VALUE, bytes("c-1"), 1002, 18, 124);
            store.write(batch);
            for (int pass = 0; pass < 2; pass++)
            {
                assertEquals(new DedupeRecord(1001, 17, 123), store.readDedupe(5, bytes("c-1")));
                assertEquals(new DedupeRecord(1002, 18, 124), store.readDedupe(Long.MAX_VALUE, bytes("c-1")));
                assertNull(store.readDedupe(5, bytes("c-")));
                assertNull(store.readDedupe(5, bytes("c-10")));
                assertNull(store.readDedupe(5, new byte[0]));
                assertNull(store.readDedupe(4, bytes("c-1")));
                assertNull(store.readDedupe(6, bytes("c-1")));
                assertNull(store.readDedupe(Long.MAX_VALUE - 1, bytes("c-1")));
                store.compact();
            }
        }
    }

    @Test
    void shouldAnswerMissesFromTheBloomFiltersOfFilesWrittenWithoutThePrefixExtractor()
    {
        try (XinStore store = XinStore.open(config(false)))
        {
            putRecords(store, "stored-", 1);
            store.compact();
        }
        try (XinStore store = XinStore.open(config(true)))
        {
            final PerfContext perf = store.db().getPerfContext();
            store.db().setPerfLevel(PerfLevel.ENABLE_COUNT);
            try
            {
                perf.reset();
                for (int sender = 1; sender <= SENDERS; sender++)
                {
                    assertNull(store.readDedupe(sender, bytes("missing")));
                }
                assertTrue(perf.getBloomSstMissCount() > SENDERS * 9L / 10,
                    "SST bloom answered " + perf.getBloomSstMissCount() + " of " + SENDERS + " misses");
            }
            finally
            {
                store.db().setPerfLevel(PerfLevel.DISABLE);
            }
        }
    }

    @Test
    void shouldExpireRecordsAfterTheDedupeRetention() throws InterruptedException
    {
        try (XinStore store = XinStore.open(config(true).dedupeRetentionSeconds(1)))
        {
            putRecords(store, "c-", 1);
            assertRecords(store, "c-", 1);
            // TtlDB keeps a value while write_time_s + ttl_s >= now_s, in whole seconds: 2.5 s is always past that.
            Thread.sleep(2_500);
            store.compact();
            for (int sender = 1; sender <= SENDERS; sender++)
            {
                assertNull(store.readDedupe(sender, bytes("c-" + sender)));
            }
        }
    }

    @Test
    void shouldKeepEveryRecordOfTwoJournalsWritingAtOnce() throws Exception
    {
        final int batches = 200;
        try (XinStore store = XinStore.open(config(true)))
        {
            final ExecutorService journals = Executors.newFixedThreadPool(2);
            try
            {
                final Future<?>[] done = new Future<?>[2];
                for (int shard = 0; shard < 2; shard++)
                {
                    final int first = 1 + shard * SENDERS;
                    final int journalShard = shard;
                    done[shard] = journals.submit(() ->
                    {
                        // Each journal appends to its own shard's log, as the switch's do.
                        try (JournalBatch batch = store.newBatch(journalShard))
                        {
                            for (int b = 0; b < batches; b++)
                            {
                                for (int sender = first; sender < first + SENDERS; sender += 10)
                                {
                                    batch.putDedupe(sender, bytes("b-" + b), b, sender, 1);
                                }
                                store.write(batch);
                            }
                        }
                    });
                }
                done[0].get(30, TimeUnit.SECONDS);
                done[1].get(30, TimeUnit.SECONDS);
            }
            finally
            {
                journals.shutdownNow();
            }
            for (int sender = 1; sender <= 2 * SENDERS; sender += 10)
            {
                for (int b = 0; b < batches; b++)
                {
                    assertEquals(new DedupeRecord(b, sender, 1), store.readDedupe(sender, bytes("b-" + b)));
                }
            }
        }
    }

    /** The dedupe column family's section of the options file RocksDB wrote at the last open. */
    private String dedupeOptionsInUse() throws IOException
    {
        final Path optionsFile;
        try (Stream<Path> files = Files.list(tempDir.resolve("db")))
        {
            optionsFile = files.filter(file -> file.getFileName().toString().startsWith("OPTIONS-"))
                .max(Comparator.comparingLong(file -> Long.parseLong(file.getFileName().toString().substring(8))))
                .orElseThrow();
        }
        final String options = Files.readString(optionsFile, UTF_8);
        final int start = options.indexOf("[CFOptions \"" + XinStore.DEDUPE_CF + "\"]");
        final int end = options.indexOf("[TableOptions/BlockBasedTable \"" + XinStore.DEDUPE_CF + "\"]");
        assertTrue(start >= 0 && end > start, "no dedupe section in " + optionsFile);
        return options.substring(start, end);
    }

    private StoreConfig config(final boolean hashMemtable)
    {
        return new StoreConfig()
            .dataDir(tempDir.resolve("db"))
            .fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * 1024 * 1024)
            .writeBufferBytes(1024 * 1024)
            .hashMemtable(hashMemtable);
    }

    /** Three records per sender, client message ids {@code prefix + sender + "-" + 0..2}. */
    private static void putRecords(final XinStore store, final String prefix, final long tag)
    {
        try (JournalBatch batch = store.newBatch())
        {
            for (int sender = 1; sender <= SENDERS; sender++)
            {
                batch.putDedupe(sender, bytes(prefix + sender), tag, sender, sender * 10L);
                for (int i = 0; i < 3; i++)
                {
                    batch.putDedupe(sender, bytes(prefix + sender + "-" + i), tag, sender, i);
                }
            }
            store.write(batch);
        }
    }

    private static void assertRecords(final XinStore store, final String prefix, final long tag)
    {
        for (int sender = 1; sender <= SENDERS; sender++)
        {
            assertEquals(new DedupeRecord(tag, sender, sender * 10L), store.readDedupe(sender, bytes(prefix + sender)));
            for (int i = 0; i < 3; i++)
            {
                assertEquals(new DedupeRecord(tag, sender, i), store.readDedupe(sender, bytes(prefix + sender + "-" + i)));
            }
            assertNull(store.readDedupe(sender, bytes(prefix + sender + "-3")));
            assertNull(store.readDedupe(sender + SENDERS, bytes(prefix + sender)));
        }
    }

    /** Entries {@code firstSeq..} for every sender, without heads: a head is read from the last entry then. */
    private static void putEntries(final XinStore store, final long firstSeq, final int count)
    {
        try (JournalBatch batch = store.newBatch())
        {
            for (int user = 1; user <= SENDERS; user++)
            {
                for (long seq = firstSeq; seq < firstSeq + count; seq++)
                {
                    batch.putInbox(user, seq, bytes(user + ":" + seq));
                }
            }
            store.write(batch);
        }
    }

    private static void assertEntries(final XinStore store, final long lastSeq)
    {
        for (int user = 1; user <= SENDERS; user++)
        {
            assertEquals(lastSeq, store.readHeadSeq(user));
            final InboxPage page = store.readInbox(user, 0, 1000, 1 << 20);
            assertEquals(lastSeq, page.headSeq());
            assertEquals(lastSeq, page.entries().size());
            for (int i = 0; i < lastSeq; i++)
            {
                assertEquals(i + 1, page.entries().get(i).seq());
                assertEquals(user + ":" + (i + 1), new String(page.entries().get(i).message(), UTF_8));
            }
            final InboxPage tail = store.readInbox(user, lastSeq - 1, 1000, 1 << 20);
            assertEquals(1, tail.entries().size());
            assertEquals(lastSeq, tail.headSeq());
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(UTF_8);
    }
}
