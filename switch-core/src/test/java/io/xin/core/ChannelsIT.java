package io.xin.core;

import io.xin.core.TestDevices.Device;
import io.xin.protocol.pb.ChannelHead;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelResult;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.TtlDB;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.await;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channels (official accounts) end to end over real sockets, a real RocksDB and the real client:
 * posts stored once and read at sync from each follower's cursor, paced pushes to online followers,
 * follow from the head, unfollow, publisher rights, idempotent posts, and restart.
 */
@Timeout(120)
class ChannelsIT
{
    private static final long BRAND = 1;
    private static final long FAN = 2;

    @TempDir
    Path dataDir;
    private TestSwitch server;
    private TestDevices clients;

    @AfterEach
    void tearDown()
    {
        if (clients != null)
        {
            clients.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    private void start()
    {
        server = new TestSwitch(dataDir);
        clients = new TestDevices(server);
    }

    @Test
    void shouldGiveAFollowerOfflineDuringThreePostsAllThreeAtSync() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("news")).getChannelId();
        final Device fan = clients.connect(FAN, "phone");
        await(fan.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));
        fan.close();

        for (int i = 1; i <= 3; i++)
        {
            final ChannelResult posted = await(brand.client.post(channelId, "post-" + i, text("post " + i)));
            assertEquals(i, posted.getSeq());
        }

        final Device back = clients.connect(FAN, "phone");
        assertEquals(List.of(ChannelHead.newBuilder().setChannelId(channelId).setFollowSeq(0).setHeadSeq(3).build()),
            back.loginOk.getChannelsList());
        for (int i = 1; i <= 3; i++)
        {
            final Message post = back.nextPost();
            assertEquals(channelId, post.getChannelId());
            assertEquals(i, post.getSeq());
            assertEquals("post " + i, post.getContent().getBody().toStringUtf8());
            assertEquals(BRAND, post.getFromUserId());
        }
        assertNull(back.posts.poll(300, TimeUnit.MILLISECONDS), "each post once");
        assertNull(back.messages.poll(10, TimeUnit.MILLISECONDS), "posts are not copied into the inbox");
        assertEquals(3, server.xin().counters().channelPostsStored.sum(), "each post stored once");
    }

    @Test
    void shouldPushPostsToOnlineFollowersInOrder() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("live")).getChannelId();
        final Device phone = clients.connect(FAN, "phone");
        final Device tablet = clients.connect(FAN, "tablet");
        final Device other = clients.connect(3, "phone");
        await(phone.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));
        await(other.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));

        for (int i = 1; i <= 20; i++)
        {
            brand.client.post(channelId, "p" + i, text(Integer.toString(i)));
        }
        for (final Device device : List.of(phone, tablet, other))
        {
            for (int i = 1; i <= 20; i++)
            {
                assertEquals(i, device.nextPost().getSeq());
            }
        }
        assertTrue(server.xin().counters().channelPushesSent.sum() > 0, "delivered by push, not only by sync");
    }

    @Test
    void shouldStartAFollowAtTheHeadUnlessHistoryIsAsked() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("archive")).getChannelId();
        await(brand.client.post(channelId, "old-1", text("old 1")));
        await(brand.client.post(channelId, "old-2", text("old 2")));

        final Device fan = clients.connect(FAN, "phone");
        final ChannelResult follow = await(fan.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));
        assertEquals(2, follow.getSeq(), "follows from the head");
        final ChannelSyncResult fresh = await(fan.client.channelSync(channelId, 0, 0, false));
        assertEquals(0, fresh.getMessagesCount());
        assertEquals(2, fresh.getLastSeq());
        final ChannelSyncResult history = await(fan.client.channelSync(channelId, 0, 0, true));
        assertEquals(List.of("old 1", "old 2"),
            history.getMessagesList().stream().map(m -> m.getContent().getBody().toStringUtf8()).toList());

        await(brand.client.post(channelId, "new-1", text("new 1")));
        assertEquals("new 1", fan.nextPost().getContent().getBody().toStringUtf8());
    }

    @Test
    void shouldStopDeliveryAfterUnfollow() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("bye")).getChannelId();
        final Device fan = clients.connect(FAN, "phone");
        await(fan.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));
        await(brand.client.post(channelId, "before", text("before")));
        assertEquals(1, fan.nextPost().getSeq());

        await(fan.client.channel(ChannelOpType.CHANNEL_UNFOLLOW, channelId));
        await(brand.client.post(channelId, "after", text("after")));
        assertNull(fan.posts.poll(500, TimeUnit.MILLISECONDS), "no push after unfollow");
        assertRefused(ErrorCode.NOT_FOLLOWING, fan.client.channelSync(channelId, 0, 0, false));

        fan.close();
        final Device back = clients.connect(FAN, "phone");
        assertEquals(0, back.loginOk.getChannelsCount(), "no longer listed at login");
        assertNull(back.posts.poll(300, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldLetOnlyPublishersPostAndAnswerARepostAsDuplicate() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final Device editor = clients.connect(5, "laptop");
        final long channelId = await(brand.client.createChannel("brand")).getChannelId();
        assertRefused(ErrorCode.NOT_ALLOWED, editor.client.post(channelId, "e-1", text("not yet")));
        assertRefused(ErrorCode.NOT_ALLOWED, editor.client.channel(ChannelOpType.CHANNEL_ADD_PUBLISHERS, channelId, 5));
        assertRefused(ErrorCode.NO_SUCH_CHANNEL, editor.client.post(channelId + 1000, "e-0", text("where?")));

        await(brand.client.channel(ChannelOpType.CHANNEL_ADD_PUBLISHERS, channelId, 5));
        final ChannelResult first = await(editor.client.post(channelId, "e-1", text("now")));
        final ChannelResult again = await(editor.client.post(channelId, "e-1", text("now")));
        assertFalse(first.getDuplicate());
        assertTrue(again.getDuplicate());
        assertEquals(first.getSeq(), again.getSeq());
        assertEquals(first.getMsgId(), again.getMsgId());
        assertEquals(1, again.getHeadSeq(), "stored once");
    }

    @Test
    void shouldStoreAndDeliverASendAndAPostThatShareAClientMsgIdAsTwoMessages() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("shared-ids")).getChannelId();
        final Device fan = clients.connect(FAN, "phone");
        await(fan.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));

        final ChannelResult post1 = await(brand.client.post(channelId, "id-1", text("post 1")));
        final SendAck send1 = await(brand.client.send(FAN, "id-1", text("direct 1")));
        assertFalse(send1.getDuplicate(), "a post's id does not make a send a duplicate");
        final SendAck send2 = await(brand.client.send(FAN, "id-2", text("direct 2")));
        final ChannelResult post2 = await(brand.client.post(channelId, "id-2", text("post 2")));
        assertFalse(post2.getDuplicate(), "a send's id does not make a post a duplicate");
        assertEquals(2, post2.getSeq());

        assertEquals(List.of("direct 1", "direct 2"), List.of(bodyOf(fan.next()), bodyOf(fan.next())));
        assertEquals(List.of("post 1", "post 2"), List.of(bodyOf(fan.nextPost()), bodyOf(fan.nextPost())));
        assertEquals(List.of("direct 1", "direct 2"), inboxTexts(FAN), "both sends stored");

        assertResendsAnsweredByTheirOwnKind(brand, channelId, post1, send1, post2, send2);

        server.restart();
        await(brand.client.connect());
        assertResendsAnsweredByTheirOwnKind(brand, channelId, post1, send1, post2, send2);
        assertEquals(3, await(brand.client.post(channelId, "id-3", text("post 3"))).getSeq());
        assertFalse(await(brand.client.send(FAN, "id-3", text("direct 3"))).getDuplicate(), "after a restart");
        assertFalse(await(brand.client.send(FAN, "id-4", text("direct 4"))).getDuplicate());
        final ChannelResult post4 = await(brand.client.post(channelId, "id-4", text("post 4")));
        assertFalse(post4.getDuplicate(), "after a restart");
        assertEquals(4, post4.getSeq());
        // Pipelined, so most likely in one journal batch, where neither is written yet when the other is looked up.
        final CompletableFuture<ChannelResult> post5 = brand.client.post(channelId, "id-5", text("post 5"));
        final CompletableFuture<SendAck> send5 = brand.client.send(FAN, "id-5", text("direct 5"));
        final CompletableFuture<SendAck> send6 = brand.client.send(FAN, "id-6", text("direct 6"));
        final CompletableFuture<ChannelResult> post6 = brand.client.post(channelId, "id-6", text("post 6"));
        assertFalse(await(post5).getDuplicate());
        assertFalse(await(send5).getDuplicate());
        assertFalse(await(send6).getDuplicate());
        assertFalse(await(post6).getDuplicate());
        assertEquals(List.of("direct 1", "direct 2", "direct 3", "direct 4", "direct 5", "direct 6"), inboxTexts(FAN));
        assertEquals(List.of("direct 3", "direct 4", "direct 5", "direct 6"),
            List.of(bodyOf(fan.next()), bodyOf(fan.next()), bodyOf(fan.next()), bodyOf(fan.next())));
        assertEquals(6, await(post6).getHeadSeq());
    }

    @Test
    void shouldStoreAndDeliverPostsOfOneClientMsgIdToTwoChannelsAsTwoPosts() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelA = await(brand.client.createChannel("channel-a")).getChannelId();
        final long channelB = await(brand.client.createChannel("channel-b")).getChannelId();
        final Device fanA = clients.connect(FAN, "phone");
        final Device fanB = clients.connect(3, "phone");
        await(fanA.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelA));
        await(fanB.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelB));
        // A is one post ahead of B, so a seq of one channel is never by chance right for the other.
        assertEquals(1, await(brand.client.post(channelA, "a-only", text("a only"))).getSeq());

        final ChannelResult inA = await(brand.client.post(channelA, "same", text("in A")));
        final ChannelResult inB = await(brand.client.post(channelB, "same", text("in B")));
        assertFalse(inA.getDuplicate());
        assertEquals(2, inA.getSeq());
        assertFalse(inB.getDuplicate(), "a post in A does not make a post of its id in B a duplicate");
        assertEquals(1, inB.getSeq(), "B's own seq");
        assertTrue(inB.getMsgId() != inA.getMsgId(), "two messages");
        assertEquals(List.of("a only", "in A"), List.of(bodyOf(fanA.nextPost()), bodyOf(fanA.nextPost())));
        final Message deliveredB = fanB.nextPost();
        assertEquals(List.of(channelB, 1L, "in B"),
            List.of(deliveredB.getChannelId(), deliveredB.getSeq(), bodyOf(deliveredB)));
        assertNull(fanB.posts.poll(300, TimeUnit.MILLISECONDS), "B's follower gets B's post only");

        assertRepostsAnsweredByTheirOwnChannel(brand, channelA, inA, channelB, inB);
        // Pipelined, so most likely in one journal batch, where neither is written yet when the other is looked up.
        final CompletableFuture<ChannelResult> pipedA = brand.client.post(channelA, "piped", text("piped A"));
        final CompletableFuture<ChannelResult> pipedB = brand.client.post(channelB, "piped", text("piped B"));
        assertFalse(await(pipedA).getDuplicate());
        assertFalse(await(pipedB).getDuplicate(), "pipelined into B");
        assertEquals(List.of(3L, 2L), List.of(await(pipedA).getSeq(), await(pipedB).getSeq()));
        assertEquals("piped A", bodyOf(fanA.nextPost()));
        assertEquals("piped B", bodyOf(fanB.nextPost()));

        server.restart();
        await(brand.client.connect());
        assertRepostsAnsweredByTheirOwnChannel(brand, channelA, inA, channelB, inB);
        assertTrue(await(brand.client.post(channelB, "piped", text("piped B"))).getDuplicate(), "after a restart");
        final ChannelResult laterA = await(brand.client.post(channelA, "later", text("later A")));
        final ChannelResult laterB = await(brand.client.post(channelB, "later", text("later B")));
        assertFalse(laterB.getDuplicate(), "after a restart");
        assertEquals(List.of(4L, 3L), List.of(laterA.getSeq(), laterB.getSeq()));
        assertEquals(List.of("in B", "piped B", "later B"), timelineTexts(channelB), "all of B's posts stored");
        assertEquals(List.of("a only", "in A", "piped A", "later A"), timelineTexts(channelA));
    }

    private static void assertRepostsAnsweredByTheirOwnChannel(
        final Device brand, final long channelA, final ChannelResult inA, final long channelB, final ChannelResult inB)
        throws Exception
    {
        final ChannelResult repostB = await(brand.client.post(channelB, "same", text("in B")));
        assertTrue(repostB.getDuplicate());
        assertEquals(List.of(inB.getSeq(), inB.getMsgId()), List.of(repostB.getSeq(), repostB.getMsgId()),
            "B's seq and msg_id");
        final ChannelResult repostA = await(brand.client.post(channelA, "same", text("in A")));
        assertTrue(repostA.getDuplicate());
        assertEquals(List.of(inA.getSeq(), inA.getMsgId()), List.of(repostA.getSeq(), repostA.getMsgId()),
            "A's seq and msg_id");
    }

    private List<String> timelineTexts(final long channelId)
    {
        return server.xin().store().audiences().readTimeline(channelId, 0, 100, 1 << 20).entries().stream()
            .map(entry -> bodyOf(parse(entry.message())))
            .toList();
    }

    @Test
    void shouldTellAPostFromASendByARecordWrittenBeforeRecordsCarriedTheirKind() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("upgraded")).getChannelId();
        final SendAck oldSend = await(brand.client.send(FAN, "old-send", text("direct before")));
        final ChannelResult oldPost = await(brand.client.post(channelId, "old-post", text("post before")));
        assertEquals(1, oldPost.getSeq(), "the brand's inbox seq 1 holds the send, not this post");

        final long otherChannel = await(brand.client.createChannel("other")).getChannelId();

        server.close();
        untagDedupeRecords(dataDir, BRAND, "old-send", channelId, "old-post");
        server.start();
        await(brand.client.connect());

        final ChannelResult repost = await(brand.client.post(channelId, "old-post", text("post before")));
        assertTrue(repost.getDuplicate(), "an old post's record still answers its repost");
        assertEquals(oldPost.getMsgId(), repost.getMsgId());
        final SendAck resend = await(brand.client.send(FAN, "old-send", text("direct before")));
        assertTrue(resend.getDuplicate(), "an old send's record still answers its resend");
        assertEquals(oldSend.getSeq(), resend.getSeq());
        assertEquals(oldSend.getMsgId(), resend.getMsgId());

        assertFalse(await(brand.client.send(FAN, "old-post", text("direct after"))).getDuplicate(),
            "an old post's record never answers a send");
        final ChannelResult post = await(brand.client.post(channelId, "old-send", text("post after")));
        assertFalse(post.getDuplicate(), "an old send's record never answers a post");
        assertEquals(2, post.getSeq());
        assertEquals(List.of("direct before", "direct after"), inboxTexts(FAN));
        final ChannelResult elsewhere = await(brand.client.post(otherChannel, "old-post", text("post elsewhere")));
        assertFalse(elsewhere.getDuplicate(), "an old post's record answers a post to its own channel only");
        assertEquals(1, elsewhere.getSeq());
        assertEquals(List.of("post elsewhere"), timelineTexts(otherChannel));
    }

    @Test
    void shouldAnswerAPostByARecordWrittenBeforeKeysHeldTheChannelOnlyInItsChannel() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelA = await(brand.client.createChannel("before-a")).getChannelId();
        final long channelB = await(brand.client.createChannel("before-b")).getChannelId();
        final Device fanB = clients.connect(3, "phone");
        await(fanB.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelB));
        await(brand.client.post(channelA, "first", text("first")));
        final ChannelResult oldPost = await(brand.client.post(channelA, "old-post", text("post before")));
        assertEquals(2, oldPost.getSeq());

        server.close();
        unscopePostRecord(dataDir, BRAND, channelA, "old-post");
        server.start();
        await(brand.client.connect());
        await(fanB.client.connect());

        final ChannelResult repost = await(brand.client.post(channelA, "old-post", text("post before")));
        assertTrue(repost.getDuplicate(), "an old post's record still answers its repost");
        assertEquals(List.of(oldPost.getSeq(), oldPost.getMsgId()), List.of(repost.getSeq(), repost.getMsgId()));
        final ChannelResult inB = await(brand.client.post(channelB, "old-post", text("post in B")));
        assertFalse(inB.getDuplicate(), "an old post's record in A never answers a post to B");
        assertEquals(1, inB.getSeq());
        assertEquals("post in B", bodyOf(fanB.nextPost()));
        final ChannelResult repostB = await(brand.client.post(channelB, "old-post", text("post in B")));
        assertTrue(repostB.getDuplicate());
        assertEquals(List.of(inB.getSeq(), inB.getMsgId()), List.of(repostB.getSeq(), repostB.getMsgId()));
        assertEquals(List.of("first", "post before"), timelineTexts(channelA));
        assertEquals(List.of("post in B"), timelineTexts(channelB));
    }

    /** Moves a post's dedupe record to the key a switch used before keys held the channel: sender | 0xFF | id. */
    private static void unscopePostRecord(
        final Path dataDir, final long senderId, final long channelId, final String postId) throws Exception
    {
        withDedupe(dataDir, (db, dedupe) ->
        {
            final byte[] postKey = dedupeKey(senderId, postTag(channelId), postId);
            final byte[] postValue = db.get(dedupe, postKey);
            assertEquals(25, postValue.length, "a post's record with its kind");
            db.delete(dedupe, postKey);
            db.put(dedupe, dedupeKey(senderId, new byte[]{ (byte)0xFF }, postId), postValue);
        });
    }

    /**
     * Rewrites the dedupe records of a send and a post as a switch wrote them before records carried their
     * kind: 24 bytes, both under the send's key (sender_id | client_msg_id).
     */
    private static void untagDedupeRecords(
        final Path dataDir, final long senderId, final String sendId, final long channelId, final String postId)
        throws Exception
    {
        withDedupe(dataDir, (db, dedupe) ->
        {
            final byte[] sendKey = dedupeKey(senderId, new byte[0], sendId);
            db.put(dedupe, sendKey, Arrays.copyOf(db.get(dedupe, sendKey), 24));
            final byte[] postKey = dedupeKey(senderId, postTag(channelId), postId);
            final byte[] postValue = db.get(dedupe, postKey);
            db.delete(dedupe, postKey);
            db.put(dedupe, dedupeKey(senderId, new byte[0], postId), Arrays.copyOf(postValue, 24));
        });
    }

    private interface DedupeEdit
    {
        void apply(TtlDB db, ColumnFamilyHandle dedupe) throws Exception;
    }

    /** Opens a closed switch's data directory as plain RocksDB and edits its dedupe column family. */
    private static void withDedupe(final Path dataDir, final DedupeEdit edit) throws Exception
    {
        final List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (final String name : List.of("default", "inbox", "dedupe", "meta", "timeline"))
        {
            descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8)));
        }
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions();
            TtlDB db = TtlDB.open(options, dataDir.toString(), descriptors, handles, List.of(0, 0, 0, 0, 0), false))
        {
            edit.apply(db, handles.get(2));
            handles.forEach(ColumnFamilyHandle::close);
        }
    }

    /** What follows the sender id in a post's dedupe key: 0xFE | channel_id(8 BE). */
    private static byte[] postTag(final long channelId)
    {
        return ByteBuffer.allocate(1 + Long.BYTES).put((byte)0xFE).putLong(channelId).array();
    }

    private static byte[] dedupeKey(final long senderId, final byte[] tag, final String clientMsgId)
    {
        final byte[] id = clientMsgId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(Long.BYTES + tag.length + id.length).putLong(senderId).put(tag).put(id).array();
    }

    private static void assertResendsAnsweredByTheirOwnKind(
        final Device brand, final long channelId, final ChannelResult post1, final SendAck send1,
        final ChannelResult post2, final SendAck send2) throws Exception
    {
        final SendAck resend1 = await(brand.client.send(FAN, "id-1", text("direct 1")));
        assertTrue(resend1.getDuplicate());
        assertEquals(send1.getSeq(), resend1.getSeq(), "the send's own inbox seq, not the post's channel seq");
        assertEquals(send1.getMsgId(), resend1.getMsgId());
        final ChannelResult repost1 = await(brand.client.post(channelId, "id-1", text("post 1")));
        assertTrue(repost1.getDuplicate());
        assertEquals(post1.getSeq(), repost1.getSeq());
        assertEquals(post1.getMsgId(), repost1.getMsgId());
        final ChannelResult repost2 = await(brand.client.post(channelId, "id-2", text("post 2")));
        assertTrue(repost2.getDuplicate());
        assertEquals(post2.getMsgId(), repost2.getMsgId());
        final SendAck resend2 = await(brand.client.send(FAN, "id-2", text("direct 2")));
        assertTrue(resend2.getDuplicate());
        assertEquals(send2.getMsgId(), resend2.getMsgId());
    }

    private List<String> inboxTexts(final long userId)
    {
        return server.xin().store().readInbox(userId, 0, 100, 1 << 20).entries().stream()
            .map(entry -> bodyOf(parse(entry.message())))
            .toList();
    }

    private static Message parse(final byte[] stored)
    {
        try
        {
            return Message.parseFrom(stored);
        }
        catch (final com.google.protobuf.InvalidProtocolBufferException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static String bodyOf(final Message message)
    {
        return message.getContent().getBody().toStringUtf8();
    }

    @Test
    void shouldKeepChannelsFollowsAndPostsAcrossRestart() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final long channelId = await(brand.client.createChannel("durable")).getChannelId();
        final Device fan = clients.connect(FAN, "phone");
        await(fan.client.channel(ChannelOpType.CHANNEL_FOLLOW, channelId));
        fan.close();
        await(brand.client.post(channelId, "d-1", text("one")));

        server.restart();
        await(brand.client.connect());
        final ChannelResult second = await(brand.client.post(channelId, "d-2", text("two")));
        assertEquals(2, second.getSeq(), "the head survived");
        assertTrue(await(brand.client.post(channelId, "d-1", text("one"))).getDuplicate(), "dedupe survived");

        final Device back = clients.connect(FAN, "phone");
        assertEquals(2, back.loginOk.getChannels(0).getHeadSeq());
        assertEquals("one", back.nextPost().getContent().getBody().toStringUtf8());
        assertEquals("two", back.nextPost().getContent().getBody().toStringUtf8());
        assertEquals(List.of(FAN), java.util.Arrays.stream(
            server.xin().store().audiences().readFollowers(channelId)).boxed().toList());
    }

    @Test
    void shouldImportFollowersOnlyForTheOwner() throws Exception
    {
        start();
        final Device brand = clients.connect(BRAND, "console");
        final Device fan = clients.connect(FAN, "phone");
        final long channelId = await(brand.client.createChannel("import")).getChannelId();
        assertRefused(ErrorCode.NOT_ALLOWED, fan.client.channel(ChannelOpType.CHANNEL_IMPORT_FOLLOWERS, channelId, 7));
        final long[] users = new long[1_000];
        for (int i = 0; i < users.length; i++)
        {
            users[i] = 1_000 + i;
        }
        users[0] = FAN;
        assertEquals(1_000, await(brand.client.channel(ChannelOpType.CHANNEL_IMPORT_FOLLOWERS, channelId, users))
            .getCount());
        assertEquals(0, await(brand.client.channel(ChannelOpType.CHANNEL_IMPORT_FOLLOWERS, channelId, users))
            .getCount(), "followers already following are not counted again");

        await(brand.client.post(channelId, "i-1", text("to everyone")));
        assertEquals("to everyone", fan.nextPost().getContent().getBody().toStringUtf8(), "imported online: pushed");
    }
}
