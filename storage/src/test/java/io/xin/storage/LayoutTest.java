package io.xin.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class LayoutTest
{
    @Test
    void shouldEncodeInboxKeyAsBigEndianUserThenSeq()
    {
        final byte[] key = new byte[Layout.INBOX_KEY_LENGTH];
        Layout.inboxKey(key, 0x0102030405060708L, 0x1112131415161718L);

        assertArrayEquals(
            new byte[]{ 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 }, key);
        assertEquals(0x0102030405060708L, Layout.inboxUserId(key));
        assertEquals(0x1112131415161718L, Layout.inboxSeq(key));
    }

    @Test
    void shouldOrderInboxKeysNumericallyForPositiveSeqs()
    {
        final byte[] lower = new byte[Layout.INBOX_KEY_LENGTH];
        final byte[] higher = new byte[Layout.INBOX_KEY_LENGTH];
        Layout.inboxKey(lower, 1, 255);
        Layout.inboxKey(higher, 1, 256);

        assertTrue(Arrays.compareUnsigned(lower, higher) < 0);
    }

    @Test
    void shouldBoundLargestUserBelowWrappedPrefix()
    {
        final byte[] key = new byte[Layout.INBOX_KEY_LENGTH];
        Layout.inboxKey(key, Long.MAX_VALUE, Long.MAX_VALUE);
        final byte[] upperBound = Layout.userPrefix(Long.MAX_VALUE + 1);

        assertTrue(Arrays.compareUnsigned(key, upperBound) < 0);
        assertTrue(Arrays.compareUnsigned(Layout.userPrefix(Long.MAX_VALUE), key) < 0);
    }

    @Test
    void shouldEncodeMetaKeysWithTags()
    {
        final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
        Layout.headKey(headKey, 258);
        assertArrayEquals(new byte[]{ 'h', 0, 0, 0, 0, 0, 0, 1, 2 }, headKey);

        final byte[] deviceId = { 'p', 'h' };
        final byte[] cursorKey = new byte[Layout.cursorKeyLength(deviceId)];
        Layout.cursorKey(cursorKey, 258, deviceId);
        assertArrayEquals(new byte[]{ 'c', 0, 0, 0, 0, 0, 0, 1, 2, 'p', 'h' }, cursorKey);

        final ByteBuffer cursorKeyBuffer = ByteBuffer.allocate(64);
        Layout.cursorKey(cursorKeyBuffer, 258, deviceId);
        final byte[] fromBuffer = new byte[cursorKeyBuffer.remaining()];
        cursorKeyBuffer.get(fromBuffer);
        assertArrayEquals(cursorKey, fromBuffer);

        assertArrayEquals(new byte[]{ 'm' }, Layout.lastMsgIdKey());
    }

    @Test
    void shouldEncodeDedupeKeyTheSameFromArrayAndBuffer()
    {
        final byte[] clientMsgId = { 'a', 'b', 'c' };
        final byte[] key = new byte[Layout.dedupeKeyLength(clientMsgId, clientMsgId.length)];
        Layout.dedupeKey(key, 7, clientMsgId, clientMsgId.length);
        assertArrayEquals(new byte[]{ 0, 0, 0, 0, 0, 0, 0, 7, 'a', 'b', 'c' }, key);

        final ByteBuffer buffer = ByteBuffer.allocate(64);
        Layout.dedupeKey(buffer, 7, clientMsgId, clientMsgId.length);
        final byte[] fromBuffer = new byte[buffer.remaining()];
        buffer.get(fromBuffer);
        assertArrayEquals(key, fromBuffer);
    }

    @Test
    void shouldKeyAPostsDedupeRecordByChannelApartFromASendsOfTheSameId()
    {
        final byte[] clientMsgId = { 'a', 'b', 'c', 'x' };
        assertEquals(8 + 1 + 8 + 3, Layout.dedupeKeyLength(DedupeRecord.Kind.CHANNEL_POST, clientMsgId, 3));
        final byte[] key = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.CHANNEL_POST, clientMsgId, 3)];
        Layout.dedupeKey(key, DedupeRecord.Kind.CHANNEL_POST, 7, 258, clientMsgId, 3);
        assertArrayEquals(
            new byte[]{ 0, 0, 0, 0, 0, 0, 0, 7, (byte)0xFE, 0, 0, 0, 0, 0, 0, 1, 2, 'a', 'b', 'c' }, key);
        assertEquals(258, Layout.dedupePostChannelId(key));

        final ByteBuffer buffer = ByteBuffer.allocate(64);
        Layout.dedupeKey(buffer, DedupeRecord.Kind.CHANNEL_POST, 7, 258, clientMsgId, 3);
        final byte[] fromBuffer = new byte[buffer.remaining()];
        buffer.get(fromBuffer);
        assertArrayEquals(key, fromBuffer);
    }

    @Test
    void shouldKeyAPostWrittenBeforeKeysHeldTheChannelWithoutIt()
    {
        final byte[] clientMsgId = { 'a', 'b', 'c' };
        final byte[] key = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.UNSCOPED_POST, clientMsgId, 3)];
        Layout.dedupeKey(key, DedupeRecord.Kind.UNSCOPED_POST, 7, 258, clientMsgId, 3);
        assertArrayEquals(new byte[]{ 0, 0, 0, 0, 0, 0, 0, 7, (byte)0xFF, 'a', 'b', 'c' }, key, "no channel");

        final ByteBuffer buffer = ByteBuffer.allocate(64);
        Layout.dedupeKey(buffer, DedupeRecord.Kind.UNSCOPED_POST, 7, 258, clientMsgId, 3);
        final byte[] fromBuffer = new byte[buffer.remaining()];
        buffer.get(fromBuffer);
        assertArrayEquals(key, fromBuffer);
    }

    @Test
    void shouldNeverGiveAChannelPostTheKeyOfAnOlderFormWhoseIdSpellsTheChannel()
    {
        // NUL is UTF-8, so a channel-less post key's id may begin with the 8 bytes of a channel id.
        final byte[] id = { 'a', 'b' };
        final byte[] spelling = { 0, 0, 0, 0, 0, 0, 1, 2, 'a', 'b' };
        final byte[] post = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.CHANNEL_POST, id, 2)];
        Layout.dedupeKey(post, DedupeRecord.Kind.CHANNEL_POST, 7, 258, id, 2);
        final byte[] unscoped = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.UNSCOPED_POST, spelling, 10)];
        Layout.dedupeKey(unscoped, DedupeRecord.Kind.UNSCOPED_POST, 7, 0, spelling, 10);
        final byte[] send = new byte[Layout.dedupeKeyLength(DedupeRecord.Kind.SEND, spelling, 10)];
        Layout.dedupeKey(send, DedupeRecord.Kind.SEND, 7, 0, spelling, 10);
        assertEquals(post.length, unscoped.length);
        assertArrayEquals(Arrays.copyOfRange(post, 9, post.length), Arrays.copyOfRange(unscoped, 9, unscoped.length));
        assertFalse(Arrays.equals(post, unscoped), "the same bytes but the one after the sender id");
        assertEquals(Layout.DEDUPE_POST_TAG, post[8]);
        assertEquals(Layout.DEDUPE_UNSCOPED_POST_TAG, unscoped[8]);
        assertEquals(0, send[8]);
    }

    @Test
    void shouldKeyOnlyTheIdsLengthOfALongerArray()
    {
        final byte[] slot = { 'a', 'b', 'c', 'x', 'y' };
        assertEquals(8 + 3, Layout.dedupeKeyLength(slot, 3));
        final byte[] key = new byte[64];
        key[11] = 'z';
        Layout.dedupeKey(key, 7, slot, 3);
        assertArrayEquals(new byte[]{ 0, 0, 0, 0, 0, 0, 0, 7, 'a', 'b', 'c', 'z' }, Arrays.copyOf(key, 12));

        final ByteBuffer buffer = ByteBuffer.allocate(64);
        Layout.dedupeKey(buffer, 7, slot, 3);
        assertEquals(8 + 3, buffer.remaining());
        final byte[] fromBuffer = new byte[buffer.remaining()];
        buffer.get(fromBuffer);
        assertArrayEquals(Arrays.copyOf(key, 11), fromBuffer);
    }

    @Test
    void shouldRejectADedupeIdLengthOutsideItsArray()
    {
        final byte[] slot = new byte[4];
        assertThrows(IndexOutOfBoundsException.class, () -> Layout.dedupeKeyLength(slot, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> Layout.dedupeKeyLength(slot, -1));
    }

    @Test
    void shouldRejectNonPositiveIds()
    {
        assertThrows(IllegalArgumentException.class, () -> Layout.checkId("userId", 0));
        assertThrows(IllegalArgumentException.class, () -> Layout.checkId("userId", -1));
        Layout.checkId("userId", 1);
    }
}
