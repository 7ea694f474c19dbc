package io.xin.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XinStoreIT
{
    private static final byte[] PHONE = "phone".getBytes(UTF_8);
    private static final byte[] LAPTOP = "laptop".getBytes(UTF_8);

    @TempDir
    Path tempDir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    @Test
    void shouldReadBackInboxEntriesExactlyAsWritten()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);

        batch.putInbox(1, 1, bytes("hello"));
        batch.putInbox(1, 2, new byte[0]);
        batch.putInbox(1, 3, bytes("world"));
        batch.putHead(1, 3);
        store.write(batch);

        final InboxPage page = store.readInbox(1, 0, 10, 1 << 20);
        assertEquals(3, page.headSeq());
        assertFalse(page.hasMore());
        assertSeqs(page, 1, 2, 3);
        assertArrayEquals(bytes("hello"), page.entries().get(0).message());
        assertArrayEquals(new byte[0], page.entries().get(1).message());
        assertArrayEquals(bytes("world"), page.entries().get(2).message());
        assertEquals(3, store.readHeadSeq(1));
    }

    @Test
    void shouldReturnEmptyPageAndZeroHeadForNeverUsedInbox()
    {
        final XinStore store = open(config());
        writeEntries(store, 6, 1, 3, 10);
        writeEntries(store, 8, 1, 3, 10);

        final InboxPage page = store.readInbox(7, 0, 10, 1024);
        assertTrue(page.entries().isEmpty());
        assertEquals(0, page.headSeq());
        assertFalse(page.hasMore());
        assertEquals(0, store.readHeadSeq(7));
        assertEquals(0, store.readHeadSeq(1));
        assertEquals(0, store.readHeadSeq(Long.MAX_VALUE));
    }

    @Test
    void shouldRecoverHeadFromMetaAfterReopen()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        writeEntries(store, 42, 1, 5, 10);
        store.close();

        store = open(config);
        assertEquals(5, store.readHeadSeq(42));
        assertEquals(5, store.readInbox(42, 0, 100, 1 << 20).headSeq());
        assertSeqs(store.readInbox(42, 0, 100, 1 << 20), 1, 2, 3, 4, 5);
    }

    @Test
    void shouldRecoverHeadFromInboxKeysWhenHeadRecordMissing()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);
        for (long seq = 1; seq <= 4; seq++)
        {
            batch.putInbox(9, seq, bytes("m" + seq));
        }
        batch.putInbox(10, 1, bytes("other"));
        batch.putHead(10, 1);
        store.write(batch);
        batch.close();
        store.close();

        store = open(config);
        assertEquals(4, store.readHeadSeq(9));
        assertEquals(4, store.readInbox(9, 0, 10, 1 << 20).headSeq());
        assertEquals(1, store.readHeadSeq(10));
    }

    @Test
    void shouldReturnHigherOfRecordedHeadAndLastEntry()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putInbox(3, 1, bytes("a"));
        batch.putHead(3, 7);
        store.write(batch);

        assertEquals(7, store.readHeadSeq(3));
        assertEquals(7, store.readInbox(3, 0, 10, 1024).headSeq());

        batch.putInbox(3, 9, bytes("b"));
        store.write(batch);

        assertEquals(9, store.readHeadSeq(3));
        assertEquals(9, store.readInbox(3, 0, 10, 1024).headSeq());
    }

    @Test
    void shouldRoundTripDedupeRecord()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);
        batch.putDedupe(5, bytes("c-1"), 1001, 17, 1_700_000_000_123L);
        batch.putDedupe(5, bytes("c-2"), 1002, 18, 1_700_000_000_456L);
        store.write(batch);

        assertEquals(new DedupeRecord(1001, 17, 1_700_000_000_123L), store.readDedupe(5, bytes("c-1")));
        assertEquals(new DedupeRecord(1002, 18, 1_700_000_000_456L), store.readDedupe(5, bytes("c-2")));
        batch.close();
        store.close();

        store = open(config);
        assertEquals(new DedupeRecord(1001, 17, 1_700_000_000_123L), store.readDedupe(5, bytes("c-1")));
    }

    @Test
    void shouldKeepTheDedupeRecordsOfASendAndAPostOfOneClientMsgIdApart()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);
        final byte[] id = bytes("same-id");
        // The post first: its record must not answer the send, nor be overwritten by the send's.
        batch.putPostDedupe(5, 11, id, id.length, 2001, 3, 1_000);
        store.write(batch);
        assertNull(store.readDedupe(5, id), "a post's record is no send's");
        batch.putDedupe(5, id, 1002, 17, 2_000);
        batch.putPostDedupe(5, 11, bytes("post-only"), 9, 2002, 4, 3_000);
        batch.putDedupe(5, bytes("send-only"), 1003, 18, 4_000);
        store.write(batch);

        assertKindsApart(store, id);
        batch.close();
        store.close();
        store = open(config);
        assertKindsApart(store, id);
    }

    private static void assertKindsApart(final XinStore store, final byte[] id)
    {
        assertEquals(new DedupeRecord(1002, 17, 2_000, DedupeRecord.Kind.SEND), store.readDedupe(5, id));
        assertEquals(new DedupeRecord(1002, 17, 2_000, DedupeRecord.Kind.SEND), store.readDedupe(5, id, id.length));
        assertEquals(new DedupeRecord(2001, 3, 1_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 11, id, id.length));
        assertNull(store.readDedupe(5, bytes("post-only")));
        assertEquals(new DedupeRecord(2002, 4, 3_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 11, bytes("post-only"), 9));
        assertNull(store.readPostDedupe(5, 11, bytes("send-only"), 9));
        assertNull(store.readPostDedupe(6, 11, id, id.length), "another sender");
    }

    @Test
    void shouldKeepThePostRecordsOfOneClientMsgIdInTwoChannelsApart()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);
        final byte[] id = bytes("same-id");
        batch.putPostDedupe(5, 11, id, id.length, 2001, 7, 1_000);
        store.write(batch);
        assertNull(store.readPostDedupe(5, 12, id, id.length), "a post in channel 11 is none in channel 12");
        batch.putPostDedupe(5, 12, id, id.length, 2002, 1, 2_000);
        // A channel id whose bytes are UTF-8 (here "ab" and six NULs): never mistaken for part of an id.
        batch.putPostDedupe(5, 0x6162_0000_0000_0000L, id, id.length, 2003, 2, 3_000);
        store.write(batch);

        assertChannelsApart(store, id);
        batch.close();
        store.close();
        store = open(config);
        assertChannelsApart(store, id);
    }

    private static void assertChannelsApart(final XinStore store, final byte[] id)
    {
        assertEquals(new DedupeRecord(2001, 7, 1_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 11, id, id.length));
        assertEquals(new DedupeRecord(2002, 1, 2_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 12, id, id.length));
        assertEquals(new DedupeRecord(2003, 2, 3_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 0x6162_0000_0000_0000L, id, id.length));
        assertNull(store.readPostDedupe(5, 13, id, id.length), "a channel never posted to");
        assertNull(store.readPostDedupe(6, 11, id, id.length), "another publisher");
        assertNull(store.readDedupe(5, id), "no send");
        final byte[] spelled = bytes("ab\0\0\0\0\0\0same-id");
        assertNull(store.readDedupe(5, spelled), "a send's id that spells the channel");
        assertThrows(IllegalArgumentException.class, () -> store.readPostDedupe(5, 0, id, id.length));
    }

    @Test
    void shouldReadAPostRecordWrittenBeforeKeysHeldTheChannelAsUnscoped() throws Exception
    {
        final StoreConfig config = config();
        open(config).close();
        final byte[] id = bytes("old-post");
        final byte[] key = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.UNSCOPED_POST, id, id.length)];
        Layout.dedupeKey(key, DedupeRecord.Kind.UNSCOPED_POST, 5, 0, id, id.length);
        writeRawDedupe(config, key, dedupeValue(2001, 3, 1_000, (byte)'P'));

        final XinStore store = open(config);
        final DedupeRecord unscoped = new DedupeRecord(2001, 3, 1_000, DedupeRecord.Kind.UNSCOPED_POST);
        assertEquals(unscoped, store.readPostDedupe(5, 11, id, id.length), "read for any channel: the caller judges");
        assertEquals(unscoped, store.readPostDedupe(5, 12, id, id.length));
        assertNull(store.readDedupe(5, id), "never a send's");
        assertNull(store.readPostDedupe(6, 11, id, id.length), "another publisher");

        final JournalBatch batch = batch(store);
        batch.putPostDedupe(5, 12, id, id.length, 2002, 1, 2_000);
        store.write(batch);
        assertEquals(new DedupeRecord(2002, 1, 2_000, DedupeRecord.Kind.CHANNEL_POST),
            store.readPostDedupe(5, 12, id, id.length), "the channel's own key first");
        assertEquals(unscoped, store.readPostDedupe(5, 11, id, id.length));
    }

    @Test
    void shouldReadARecordWrittenWithoutAKindAsUntaggedUntilARecordWithAKindReplacesIt() throws Exception
    {
        final StoreConfig config = config();
        open(config).close();
        writeUntaggedDedupe(config, 5, bytes("old"), 1001, 7, 1_000);

        final XinStore store = open(config);
        final DedupeRecord untagged = new DedupeRecord(1001, 7, 1_000, DedupeRecord.Kind.UNTAGGED);
        assertEquals(untagged, store.readDedupe(5, bytes("old")));
        assertEquals(untagged, store.readPostDedupe(5, 11, bytes("old"), 3),
            "a post made before records carried their kind is under the send's key");

        final JournalBatch batch = batch(store);
        batch.putDedupe(5, bytes("old"), 1005, 9, 2_000);
        store.write(batch);
        assertEquals(new DedupeRecord(1005, 9, 2_000, DedupeRecord.Kind.SEND), store.readDedupe(5, bytes("old")));
        assertNull(store.readPostDedupe(5, 11, bytes("old"), 3), "a send's record with its kind never answers a post");
    }

    /** Writes a dedupe value as a store did before records carried their kind: 24 bytes under a Send's key. */
    private static void writeUntaggedDedupe(
        final StoreConfig config, final long senderId, final byte[] clientMsgId, final long msgId, final long seq,
        final long timeMs) throws Exception
    {
        final byte[] key = new byte[Layout.LONG_LENGTH + clientMsgId.length];
        Layout.dedupeKey(key, senderId, clientMsgId, clientMsgId.length);
        writeRawDedupe(config, key, Arrays.copyOf(dedupeValue(msgId, seq, timeMs, (byte)0),
            Layout.UNTAGGED_DEDUPE_VALUE_LENGTH));
    }

    private static byte[] dedupeValue(final long msgId, final long seq, final long timeMs, final byte kind)
    {
        final byte[] value = new byte[Layout.DEDUPE_VALUE_LENGTH];
        Layout.putLong(value, Layout.DEDUPE_MSG_ID_OFFSET, msgId);
        Layout.putLong(value, Layout.DEDUPE_SENDER_SEQ_OFFSET, seq);
        Layout.putLong(value, Layout.DEDUPE_TIME_MS_OFFSET, timeMs);
        value[Layout.DEDUPE_KIND_OFFSET] = kind;
        return value;
    }

    /** Puts a dedupe record as given, past the store's API, as an older store wrote it. */
    private static void writeRawDedupe(final StoreConfig config, final byte[] key, final byte[] value) throws Exception
    {
        final List<org.rocksdb.ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (final byte[] name : List.of(org.rocksdb.RocksDB.DEFAULT_COLUMN_FAMILY, bytes(XinStore.INBOX_CF),
            bytes(XinStore.DEDUPE_CF), bytes(XinStore.META_CF), bytes(XinStore.TIMELINE_CF)))
        {
            descriptors.add(new org.rocksdb.ColumnFamilyDescriptor(name));
        }
        final List<org.rocksdb.ColumnFamilyHandle> handles = new ArrayList<>();
        try (org.rocksdb.DBOptions options = new org.rocksdb.DBOptions();
            org.rocksdb.TtlDB db = org.rocksdb.TtlDB.open(options, config.dataDir().toString(), descriptors, handles,
                List.of(0, 0, 0, 0, 0), false))
        {
            db.put(handles.get(2), key, value);
            handles.forEach(org.rocksdb.ColumnFamilyHandle::close);
        }
    }

    @Test
    void shouldKeyADedupeRecordGivenAsThePrefixOfAReusedArrayExactlyAsOneGivenAsItsOwnArray()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);
        final byte[] slot = new byte[64];
        Arrays.fill(slot, (byte)'~');
        System.arraycopy(bytes("c-10"), 0, slot, 0, 4);
        batch.putDedupe(5, slot, 4, 1010, 10, 1_000);
        // The same array reused for a shorter id: its stale tail ("0~~~") is not part of the key.
        System.arraycopy(bytes("c-1"), 0, slot, 0, 3);
        batch.putDedupe(5, slot, 3, 1001, 1, 2_000);
        store.write(batch);

        assertEquals(new DedupeRecord(1010, 10, 1_000), store.readDedupe(5, bytes("c-10")));
        assertEquals(new DedupeRecord(1001, 1, 2_000), store.readDedupe(5, bytes("c-1")));
        assertNull(store.readDedupe(5, slot, 2), "c- was never stored");
        batch.putDedupe(6, bytes("c-2"), 2002, 2, 3_000);
        store.write(batch);
        batch.close();
        store.close();

        store = open(config);
        try (JournalReader reader = store.newJournalReader())
        {
            assertEquals(new DedupeRecord(1001, 1, 2_000), reader.readDedupe(5, slot, 3), "after a restart");
            System.arraycopy(bytes("c-10"), 0, slot, 0, 4);
            assertEquals(new DedupeRecord(1010, 10, 1_000), reader.readDedupe(5, slot, 4));
            System.arraycopy(bytes("c-2"), 0, slot, 0, 3);
            assertEquals(new DedupeRecord(2002, 2, 3_000), reader.readDedupe(6, slot, 3), "put as its own array");
            assertNull(reader.readDedupe(5, slot, 3), "c-2 of another sender");
        }
    }

    @Test
    void shouldRejectADedupeIdLongerThanItsArray()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        assertThrows(IndexOutOfBoundsException.class, () -> batch.putDedupe(5, new byte[2], 3, 1, 1, 1));
        assertEquals(0, batch.count(), "nothing was put");
        assertThrows(IndexOutOfBoundsException.class, () -> store.readDedupe(5, new byte[2], 3));
    }

    @Test
    void shouldReturnNullForAbsentDedupeRecord()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putDedupe(5, bytes("c-1"), 1001, 17, 123);
        store.write(batch);

        assertNull(store.readDedupe(5, bytes("c-2")));
        assertNull(store.readDedupe(5, bytes("c-")));
        assertNull(store.readDedupe(5, bytes("c-10")));
        assertNull(store.readDedupe(6, bytes("c-1")));
        assertNull(store.readDedupe(4, bytes("c-1")));
    }

    @Test
    void shouldRoundTripClientMsgIdsAndDeviceIdsLongerThanInitialBuffers()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        final byte[] longClientMsgId = new byte[1000];
        Arrays.fill(longClientMsgId, (byte)'x');
        final byte[] longDeviceId = new byte[700];
        Arrays.fill(longDeviceId, (byte)'d');

        batch.putDedupe(5, longClientMsgId, 1, 2, 3);
        batch.putCursor(5, longDeviceId, 44);
        batch.putDedupe(5, bytes("short"), 4, 5, 6);
        store.write(batch);

        assertEquals(new DedupeRecord(1, 2, 3), store.readDedupe(5, longClientMsgId));
        assertEquals(44, store.readCursor(5, longDeviceId));
        assertEquals(new DedupeRecord(4, 5, 6), store.readDedupe(5, bytes("short")));
    }

    @Test
    void shouldRoundTripCursorsPerDevice()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        final JournalBatch batch = batch(store);

        assertEquals(0, store.readCursor(1, PHONE));

        batch.putCursor(1, PHONE, 10);
        batch.putCursor(1, LAPTOP, 4);
        batch.putCursor(2, PHONE, 99);
        store.write(batch);

        assertEquals(10, store.readCursor(1, PHONE));
        assertEquals(4, store.readCursor(1, LAPTOP));
        assertEquals(99, store.readCursor(2, PHONE));
        assertEquals(0, store.readCursor(3, PHONE));
        assertEquals(0, store.readCursor(1, bytes("phon")));

        batch.putCursor(1, PHONE, 12);
        store.write(batch);
        assertEquals(12, store.readCursor(1, PHONE));
        batch.close();
        store.close();

        store = open(config);
        assertEquals(12, store.readCursor(1, PHONE));
        assertEquals(4, store.readCursor(1, LAPTOP));
    }

    @Test
    void shouldRoundTripLastMsgId()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        assertEquals(0, store.readLastMsgId());

        final JournalBatch batch = batch(store);
        batch.putLastMsgId(123_456_789_012L);
        store.write(batch);
        assertEquals(123_456_789_012L, store.readLastMsgId());
        batch.close();
        store.close();

        store = open(config);
        assertEquals(123_456_789_012L, store.readLastMsgId());
    }

    @Test
    void shouldReadTheHighestLastMsgIdOfAnyShard()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putLastMsgId(0, 40);
        batch.putLastMsgId(3, 97);
        batch.putLastMsgId(1, 55);
        store.write(batch);
        assertEquals(97, store.readLastMsgId());

        batch.putLastMsgId(0, 120);
        store.write(batch);
        assertEquals(120, store.readLastMsgId(), "shard 0 writes the key a single journal always used");
    }

    @Test
    void shouldKeepOutboxRecordsInMsgIdOrderUntilDeleted()
    {
        final StoreConfig config = config();
        XinStore store = open(config);
        JournalBatch batch = batch(store);
        batch.putOutbox(7, 300, new byte[]{ 7 });
        batch.putOutbox(5, 200, new byte[]{ 5 });
        batch.putOutbox(5, 100, new byte[]{ 6 });
        store.write(batch);
        batch.close();
        store.close();

        store = open(config);
        final List<OutboxEntry> entries = store.readOutbox();
        assertEquals(3, entries.size());
        assertEquals(List.of(5L, 5L, 7L), entries.stream().map(OutboxEntry::msgId).toList());
        assertEquals(List.of(100L, 200L, 300L), entries.stream().map(OutboxEntry::recipientId).toList());
        assertArrayEquals(new byte[]{ 6 }, entries.get(0).message());

        batch = batch(store);
        batch.putInbox(200, 1, new byte[]{ 5 });
        batch.deleteOutbox(5, 200);
        store.write(batch);
        assertEquals(List.of(100L, 300L), store.readOutbox().stream().map(OutboxEntry::recipientId).toList());
        assertEquals(0, store.readLastMsgId(), "outbox records are not message id records");
    }

    @Test
    void shouldGiveEachJournalReaderItsOwnBuffers()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putHead(1, 10);
        batch.putHead(2, 20);
        batch.putCursor(1, PHONE, 4);
        store.write(batch);
        try (JournalReader first = store.newJournalReader();
            JournalReader second = store.newJournalReader())
        {
            assertEquals(10, first.readHeadSeq(1));
            assertEquals(20, second.readHeadSeq(2));
            assertEquals(4, first.readCursor(1, PHONE));
            assertEquals(0, second.readCursor(2, PHONE));
            assertNull(second.readDedupe(1, new byte[]{ 1 }));
        }
    }

    @Test
    void shouldPageInboxByLimit()
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 10, 10);

        InboxPage page = store.readInbox(1, 0, 4, 1 << 20);
        assertSeqs(page, 1, 2, 3, 4);
        assertTrue(page.hasMore());
        assertEquals(10, page.headSeq());

        page = store.readInbox(1, 4, 4, 1 << 20);
        assertSeqs(page, 5, 6, 7, 8);
        assertTrue(page.hasMore());

        page = store.readInbox(1, 8, 4, 1 << 20);
        assertSeqs(page, 9, 10);
        assertFalse(page.hasMore());

        page = store.readInbox(1, 6, 4, 1 << 20);
        assertSeqs(page, 7, 8, 9, 10);
        assertFalse(page.hasMore());
        assertEquals(10, page.headSeq());

        page = store.readInbox(1, 10, 4, 1 << 20);
        assertSeqs(page);
        assertFalse(page.hasMore());
        assertEquals(10, page.headSeq());

        page = store.readInbox(1, Long.MAX_VALUE, 4, 1 << 20);
        assertSeqs(page);
        assertFalse(page.hasMore());
        assertEquals(10, page.headSeq());
    }

    @Test
    void shouldPageInboxByMaxBytes()
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 5, 100);

        InboxPage page = store.readInbox(1, 0, 100, 250);
        assertSeqs(page, 1, 2);
        assertTrue(page.hasMore());

        page = store.readInbox(1, 0, 100, 300);
        assertSeqs(page, 1, 2, 3);
        assertTrue(page.hasMore());

        page = store.readInbox(1, 3, 100, 300);
        assertSeqs(page, 4, 5);
        assertFalse(page.hasMore());
        assertEquals(5, page.headSeq());
    }

    @Test
    void shouldReturnOneEntryLargerThanMaxBytes()
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 3, 1000);

        InboxPage page = store.readInbox(1, 0, 100, 10);
        assertSeqs(page, 1);
        assertEquals(1000, page.entries().get(0).message().length);
        assertTrue(page.hasMore());

        page = store.readInbox(1, 2, 100, 10);
        assertSeqs(page, 3);
        assertFalse(page.hasMore());
    }

    @Test
    void shouldIsolateInboxesOfAdjacentAndExtremeUserIds()
    {
        final XinStore store = open(config());
        final long[] userIds = { 1, 2, 255, 256, 257, 65_535, 65_536, Long.MAX_VALUE - 1, Long.MAX_VALUE };
        for (int i = 0; i < userIds.length; i++)
        {
            writeEntries(store, userIds[i], 1, i + 1, 8);
        }

        for (int i = 0; i < userIds.length; i++)
        {
            final long userId = userIds[i];
            final int count = i + 1;
            final InboxPage page = store.readInbox(userId, 0, 100, 1 << 20);
            assertEquals(count, page.entries().size(), "user " + userId);
            assertEquals(count, page.headSeq(), "user " + userId);
            assertFalse(page.hasMore(), "user " + userId);
            for (int j = 0; j < count; j++)
            {
                assertEquals(j + 1, page.entries().get(j).seq());
                assertArrayEquals(message(userId, j + 1, 8), page.entries().get(j).message());
            }
            assertEquals(count, store.readHeadSeq(userId), "user " + userId);

            final InboxPage limited = store.readInbox(userId, 0, count, 1 << 20);
            assertFalse(limited.hasMore(), "user " + userId);
        }
        assertEquals(0, store.readHeadSeq(3));
        assertEquals(0, store.readHeadSeq(Long.MAX_VALUE - 2));
        assertTrue(store.readInbox(Long.MAX_VALUE - 2, 0, 100, 1 << 20).entries().isEmpty());
    }

    @Test
    void shouldIsolateUsersWithoutHeadRecords()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putInbox(Long.MAX_VALUE, 3, bytes("max"));
        batch.putInbox(Long.MAX_VALUE - 1, 5, bytes("max-1"));
        batch.putInbox(1, 2, bytes("one"));
        store.write(batch);

        assertEquals(3, store.readHeadSeq(Long.MAX_VALUE));
        assertEquals(5, store.readHeadSeq(Long.MAX_VALUE - 1));
        assertEquals(2, store.readHeadSeq(1));
        assertEquals(0, store.readHeadSeq(2));
        assertSeqs(store.readInbox(Long.MAX_VALUE, 0, 10, 1024), 3);
        assertSeqs(store.readInbox(Long.MAX_VALUE - 1, 0, 10, 1024), 5);
    }

    @Test
    void shouldClearBatchAfterWrite()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        final long emptySizeBytes = batch.dataSizeBytes();

        batch.putInbox(1, 1, bytes("a"));
        batch.putHead(1, 1);
        batch.putDedupe(1, bytes("c"), 1, 1, 1);
        batch.putCursor(1, PHONE, 1);
        batch.putLastMsgId(1);
        assertEquals(5, batch.count());
        assertTrue(batch.dataSizeBytes() > emptySizeBytes);

        store.write(batch);
        assertEquals(0, batch.count());
        assertEquals(emptySizeBytes, batch.dataSizeBytes());

        store.write(batch);
        assertEquals(1, store.readHeadSeq(1));

        batch.putInbox(1, 2, bytes("b"));
        batch.clear();
        assertEquals(0, batch.count());
        store.write(batch);
        assertEquals(1, store.readHeadSeq(1));
    }

    @Test
    void shouldFailWriteAfterCloseWithStorageExceptionAndClearBatch()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        batch.putInbox(1, 1, bytes("a"));
        store.close();

        final StorageException ex = assertThrows(StorageException.class, () -> store.write(batch));
        assertTrue(ex.getMessage().contains("journal append"), ex.getMessage());
        assertEquals(0, batch.count());

        assertThrows(StorageException.class, () -> batch.putInbox(1, 2, bytes("b")));
        assertThrows(StorageException.class, () -> store.readHeadSeq(1));
        assertThrows(StorageException.class, store::readLastMsgId);
        assertThrows(StorageException.class, () -> store.readDedupe(1, bytes("c")));
        assertThrows(StorageException.class, () -> store.readCursor(1, PHONE));
        assertThrows(StorageException.class, () -> store.readInbox(1, 0, 1, 1));
        assertThrows(StorageException.class, store::compact);
        assertThrows(StorageException.class, store::newBatch);

        store.close();
    }

    @Test
    void shouldRejectUseOfClosedBatch()
    {
        final XinStore store = open(config());
        final JournalBatch batch = store.newBatch();
        batch.close();
        batch.close();

        assertThrows(IllegalStateException.class, () -> batch.putInbox(1, 1, bytes("a")));
        assertThrows(IllegalStateException.class, () -> store.write(batch));
        assertEquals(0, batch.count());
        batch.clear();
    }

    @Test
    void shouldRejectBatchOfAnotherStore()
    {
        final XinStore store = open(config());
        final XinStore other = open(config().dataDir(tempDir.resolve("other")));
        final JournalBatch otherBatch = batch(other);
        otherBatch.putInbox(1, 1, bytes("a"));

        assertThrows(IllegalArgumentException.class, () -> store.write(otherBatch));
    }

    @Test
    void shouldRejectInvalidArguments()
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);

        assertThrows(IllegalArgumentException.class, () -> store.readInbox(0, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.readInbox(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.readInbox(1, -1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> store.readInbox(1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> store.readInbox(1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> store.readHeadSeq(0));
        assertThrows(IllegalArgumentException.class, () -> batch.putInbox(0, 1, bytes("a")));
        assertThrows(IllegalArgumentException.class, () -> batch.putInbox(1, 0, bytes("a")));
        assertThrows(IllegalArgumentException.class, () -> batch.putInbox(1, -5, bytes("a")));
        assertEquals(0, batch.count());
    }

    @Test
    void shouldRejectInvalidConfigAndUnopenableDirectory() throws Exception
    {
        assertThrows(IllegalArgumentException.class, () -> XinStore.open(new StoreConfig()));
        assertThrows(IllegalArgumentException.class, () -> XinStore.open(config().retentionSeconds(-1)));

        final Path file = Files.writeString(tempDir.resolve("not-a-directory"), "x");
        assertThrows(StorageException.class, () -> XinStore.open(config().dataDir(file)));
    }

    @Test
    void shouldCloseIdempotently()
    {
        final XinStore store = XinStore.open(config());
        store.close();
        store.close();
    }

    @Test
    void shouldExpireEntriesButKeepHeadAfterRetention() throws InterruptedException
    {
        final StoreConfig config = config().retentionSeconds(1).dedupeRetentionSeconds(1);
        final XinStore store = open(config);
        writeEntries(store, 1, 1, 3, 10);
        final JournalBatch batch = batch(store);
        batch.putDedupe(1, bytes("c-1"), 77, 3, 1);
        batch.putCursor(1, PHONE, 2);
        batch.putLastMsgId(77);
        store.write(batch);
        assertEquals(3, store.readInbox(1, 0, 10, 1 << 20).entries().size());
        assertNotNull(store.readDedupe(1, bytes("c-1")));

        // TtlDB keeps a value while write_time_s + ttl_s >= now_s, in whole seconds: 2.5 s is always past that.
        Thread.sleep(2_500);
        store.compact();

        final InboxPage page = store.readInbox(1, 0, 10, 1 << 20);
        assertTrue(page.entries().isEmpty());
        assertFalse(page.hasMore());
        assertEquals(3, page.headSeq());
        assertEquals(3, store.readHeadSeq(1));
        assertNull(store.readDedupe(1, bytes("c-1")));
        assertEquals(2, store.readCursor(1, PHONE));
        assertEquals(77, store.readLastMsgId());

        writeEntries(store, 1, store.readHeadSeq(1) + 1, 1, 10);
        assertSeqs(store.readInbox(1, 0, 10, 1 << 20), 4);
    }

    @ParameterizedTest
    @EnumSource(FsyncPolicy.class)
    void shouldSurviveReopenUnderEachFsyncPolicy(final FsyncPolicy fsyncPolicy)
    {
        final StoreConfig config = config().fsyncPolicy(fsyncPolicy);
        XinStore store = open(config);
        assertSame(config, store.config());
        for (long seq = 1; seq <= 20; seq += 5)
        {
            writeEntries(store, 11, seq, 5, 32);
        }
        store.close();

        store = open(config);
        final InboxPage page = store.readInbox(11, 0, 100, 1 << 20);
        assertEquals(20, page.entries().size());
        assertEquals(20, page.headSeq());
        assertEquals(20, store.readHeadSeq(11));
        for (final InboxEntry entry : page.entries())
        {
            assertArrayEquals(message(11, entry.seq(), 32), entry.message());
        }
    }

    @Test
    void shouldReadConsistentPagesWhileJournalWrites() throws Exception
    {
        final XinStore store = open(config());
        final JournalBatch batch = batch(store);
        final int batches = 300;
        final int entriesPerBatch = 7;
        final AtomicBoolean writing = new AtomicBoolean(true);
        final ExecutorService reader = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Integer> pagesRead = reader.submit(() ->
            {
                int pages = 0;
                while (writing.get() || pages == 0)
                {
                    final InboxPage page = store.readInbox(1, 0, Integer.MAX_VALUE, Integer.MAX_VALUE);
                    assertEquals(page.headSeq(), page.entries().size());
                    assertEquals(0, page.headSeq() % entriesPerBatch);
                    for (int i = 0; i < page.entries().size(); i++)
                    {
                        assertEquals(i + 1, page.entries().get(i).seq());
                    }
                    pages++;
                }
                return pages;
            });

            long seq = 0;
            for (int b = 0; b < batches; b++)
            {
                for (int i = 0; i < entriesPerBatch; i++)
                {
                    seq++;
                    batch.putInbox(1, seq, message(1, seq, 16));
                }
                batch.putHead(1, seq);
                store.write(batch);
            }
            writing.set(false);

            assertTrue(pagesRead.get(30, TimeUnit.SECONDS) > 0);
            assertEquals((long)batches * entriesPerBatch, store.readHeadSeq(1));
        }
        finally
        {
            writing.set(false);
            reader.shutdownNow();
            assertTrue(reader.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldFailReadsRacingCloseWithStorageException() throws Exception
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 50, 64);
        final ExecutorService reader = Executors.newSingleThreadExecutor();
        try
        {
            final AtomicBoolean started = new AtomicBoolean();
            final Future<StorageException> failure = reader.submit(() ->
            {
                while (true)
                {
                    try
                    {
                        assertEquals(50, store.readInbox(1, 0, 100, 1 << 20).entries().size());
                        started.set(true);
                    }
                    catch (final StorageException ex)
                    {
                        return ex;
                    }
                }
            });
            while (!started.get())
            {
                Thread.onSpinWait();
            }
            store.close();

            assertTrue(failure.get(30, TimeUnit.SECONDS).getMessage().contains("store is closed"));
        }
        finally
        {
            reader.shutdownNow();
            assertTrue(reader.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldRewriteHeadsFromTheInboxAtOpenAfterAStopThatHeldThem() throws Exception
    {
        final XinStore first = XinStore.open(config());
        first.holdHeads();
        try (JournalBatch batch = first.newBatch())
        {
            batch.putInbox(5, 1, bytes("a"));
            batch.putInbox(5, 2, bytes("b"));
            batch.putHead(6, 1);
            batch.putInbox(6, 1, bytes("c"));
            batch.putInbox(6, 2, bytes("d"));
            batch.putInbox(6, 3, bytes("e"));
            batch.putInbox(Long.MAX_VALUE, 9, bytes("f"));
            first.write(batch);
        }
        first.close(); // held, never released: as after a kill

        final XinStore reopened = open(config());

        assertEquals(3, reopened.headsRepairedAtOpen(), "users 5, 6 and Long.MAX_VALUE");
        assertEquals(2, recordedHead(reopened, 5));
        assertEquals(3, recordedHead(reopened, 6));
        assertEquals(9, recordedHead(reopened, Long.MAX_VALUE));
        assertEquals(0, recordedHead(reopened, 7));
    }

    @Test
    void shouldRepairNothingAfterEveryHolderReleasedItsHeadsWritten()
    {
        final XinStore first = XinStore.open(config());
        first.holdHeads();
        first.holdHeads();
        writeEntries(first, 5, 1, 2, 10);
        first.releaseHeads(true);
        first.releaseHeads(true);
        first.close();

        final XinStore reopened = open(config());
        assertEquals(0, reopened.headsRepairedAtOpen());
        reopened.close();
        final XinStore again = open(config());
        assertEquals(0, again.headsRepairedAtOpen(), "the mark is gone");
    }

    @Test
    void shouldKeepTheMarkWhenAHolderReleasesHeadsUnwritten()
    {
        final XinStore first = XinStore.open(config());
        first.holdHeads();
        try (JournalBatch batch = first.newBatch())
        {
            batch.putInbox(5, 1, bytes("a"));
            first.write(batch);
        }
        first.releaseHeads(false);
        first.close();

        final XinStore reopened = open(config());
        assertEquals(1, reopened.headsRepairedAtOpen());
        assertEquals(1, recordedHead(reopened, 5));
    }

    @Test
    void shouldAnswerDedupeMissesFromTheBloomFiltersOfTheMemtableAndTheSstFiles() throws Exception
    {
        final XinStore store = open(config());
        final int records = 2_000;
        try (JournalBatch batch = store.newBatch())
        {
            for (int sender = 1; sender <= records; sender++)
            {
                batch.putDedupe(sender, bytes("stored"), sender, 1, 1_000);
            }
            store.write(batch);
        }
        final PerfContext perf = store.db().getPerfContext();
        store.db().setPerfLevel(PerfLevel.ENABLE_COUNT);
        try
        {
            perf.reset();
            for (int sender = 1; sender <= records; sender++)
            {
                assertNull(store.readDedupe(sender, bytes("missing")));
            }
            assertTrue(perf.getBloomMemtableMissCount() > records * 9L / 10,
                "memtable bloom answered " + perf.getBloomMemtableMissCount() + " of " + records + " misses");

            store.compact();
            perf.reset();
            for (int sender = 1; sender <= records; sender++)
            {
                assertNull(store.readDedupe(sender, bytes("missing")));
                assertNotNull(store.readDedupe(sender, bytes("stored")));
            }
            assertTrue(perf.getBloomSstMissCount() > records * 9L / 10,
                "SST bloom answered " + perf.getBloomSstMissCount() + " of " + records + " misses");
            assertTrue(perf.getBloomSstHitCount() >= records, "the hits passed the filter: " + perf.getBloomSstHitCount());
        }
        finally
        {
            store.db().setPerfLevel(PerfLevel.DISABLE);
        }
    }

    /** The head record alone, without the inbox's last key. */
    private static long recordedHead(final XinStore store, final long userId)
    {
        final byte[] key = new byte[Layout.META_USER_KEY_LENGTH];
        Layout.headKey(key, userId);
        try
        {
            final byte[] value = store.db().get(store.metaHandle(), key);
            return value == null ? 0 : Layout.getLong(value, 0);
        }
        catch (final org.rocksdb.RocksDBException ex)
        {
            throw new StorageException("read", ex);
        }
    }

    @Test
    void shouldCheckpointWhatWasWrittenIntoAStoreThatOpensAndVerifies()
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 50, 100);
        writeEntries(store, 2, 1, 5, 100);
        final Path copy = tempDir.resolve("checkpoint");
        store.checkpoint(copy);
        writeEntries(store, 1, 51, 10, 100);
        assertThrows(StorageException.class, () -> store.checkpoint(copy), "an existing directory");

        final XinStore restored = open(config().dataDir(copy));
        assertEquals(2, restored.verify());
        assertEquals(50, restored.readHeadSeq(1), "the copy ends at the checkpoint");
        assertEquals(50, restored.readInbox(1, 0, 100, 1 << 20).entries().size());
        assertEquals(5, restored.readHeadSeq(2));
    }

    @Test
    void shouldFailVerifyForAHeadBelowItsInboxEntries()
    {
        final XinStore store = open(config());
        writeEntries(store, 1, 1, 3, 10);
        writeEntries(store, 2, 1, 3, 10);
        assertEquals(2, store.verify());
        try (JournalBatch batch = store.newBatch())
        {
            batch.putInbox(2, 4, bytes("beyond the head"));
            store.write(batch);
        }
        final StorageException fault = assertThrows(StorageException.class, store::verify);
        assertTrue(fault.getMessage().contains("user 2 has inbox entries up to seq 4 but a recorded head of 3"),
            fault.getMessage());
    }

    StoreConfig config()
    {
        return new StoreConfig()
            .dataDir(tempDir.resolve("db"))
            .fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * 1024 * 1024)
            .writeBufferBytes(1024 * 1024);
    }

    private XinStore open(final StoreConfig config)
    {
        final XinStore store = XinStore.open(config);
        toClose.add(store);
        return store;
    }

    private JournalBatch batch(final XinStore store)
    {
        final JournalBatch batch = store.newBatch();
        toClose.add(batch);
        return batch;
    }

    private static void writeEntries(
        final XinStore store, final long userId, final long firstSeq, final int count, final int messageLength)
    {
        try (JournalBatch batch = store.newBatch())
        {
            final long lastSeq = firstSeq + count - 1;
            for (long seq = firstSeq; seq <= lastSeq; seq++)
            {
                batch.putInbox(userId, seq, message(userId, seq, messageLength));
            }
            batch.putHead(userId, lastSeq);
            store.write(batch);
        }
    }

    private static byte[] message(final long userId, final long seq, final int length)
    {
        final byte[] message = new byte[length];
        for (int i = 0; i < length; i++)
        {
            message[i] = (byte)(userId * 31 + seq * 7 + i);
        }
        return message;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(UTF_8);
    }

    private static void assertSeqs(final InboxPage page, final long... expectedSeqs)
    {
        final long[] seqs = page.entries().stream().mapToLong(InboxEntry::seq).toArray();
        assertArrayEquals(expectedSeqs, seqs, "seqs " + Arrays.toString(seqs));
    }
}
