package io.xin.core;

import io.xin.client.XinClientException;
import io.xin.core.TestDevices.Device;
import io.xin.core.journal.JournalShard;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.FriendEntry;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.FriendResult;
import io.xin.protocol.pb.FriendState;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Presence;
import io.xin.protocol.pb.PresenceUpdate;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.xin.core.TestDevices.WAIT_MS;
import static io.xin.core.TestDevices.assertRefused;
import static io.xin.core.TestDevices.await;
import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Friends, blocks, privacy and presence end to end over real sockets, a real RocksDB and the real client, with the
 * protocol's default privacy (strangers refused): requests and their answers on both sides, the send check, blocks
 * that the blocked user cannot tell from a refusal of strangers, the same rules across two journal shards, presence
 * to friends only, and rows that survive a restart.
 */
@Timeout(120)
class FriendsIT
{
    /** The switch's wall clock, stopped at the test's start: last seen is rounded down to the minute. */
    private static final long NOW_MS = System.currentTimeMillis();

    @TempDir
    Path dataDir;
    private TestSwitch server;
    private TestDevices clients;
    private final AtomicLong clockMs = new AtomicLong(NOW_MS);
    /** Presence entries of each device taken from its updates and not yet looked at. */
    private final Map<Device, Deque<Presence>> presenceEntries = new HashMap<>();

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

    private void start(final int journalShards)
    {
        server = new TestSwitch(dataDir, ctx -> ctx
            .strangersAllowedByDefault(false)
            .journalShards(journalShards)
            // Pushed at once, so that a test waits for nothing; PresencePacerTest covers the pacing.
            .presencePushIntervalMs(0)
            .clock(clockMs::get));
        clients = new TestDevices(server);
    }

    /** The first user id after {@code from} whose journal shard is {@code shard} of {@code shards}. */
    private static long userOnShard(final int shard, final int shards, final long from)
    {
        long user = from;
        while (JournalShard.of(user, shards) != shard)
        {
            user++;
        }
        return user;
    }

    @Test
    void shouldMakeFriendsOnRequestAndAcceptAndTellBothSides() throws Exception
    {
        start(1);
        final Device alice = clients.connect(1, "phone");
        final Device bob = clients.connect(2, "phone");
        requestAndAccept(alice, 1, bob, 2);
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2 })
    void shouldDeclineAndRemoveOnBothSides(final int shards) throws Exception
    {
        start(shards);
        final long aliceId = userOnShard(0, shards, 1);
        final long bobId = userOnShard(shards - 1, shards, aliceId + 1);
        final Device alice = clients.connect(aliceId, "phone");
        final Device bob = clients.connect(bobId, "phone");

        await(alice.client.requestFriend(bobId, "hi"));
        assertEquals(FriendOpType.FRIEND_REQUEST, nextEvent(bob).getOp());
        final FriendResult declined = await(bob.client.declineFriend(aliceId));
        assertEquals(FriendState.FRIEND_STATE_NONE, declined.getState());
        assertEquals(FriendOpType.FRIEND_DECLINE, nextEvent(alice, FriendOpType.FRIEND_DECLINE).getOp());
        assertTrue(await(alice.client.friends()).getEntriesList().isEmpty(), "a declined request is gone");
        assertTrue(await(bob.client.friends()).getEntriesList().isEmpty());

        drain(alice, bob);
        requestAndAccept(alice, aliceId, bob, bobId);
        final FriendResult removed = await(bob.client.removeFriend(aliceId));
        assertEquals(FriendState.FRIEND_STATE_NONE, removed.getState());
        final FriendEvent told = nextEvent(alice, FriendOpType.FRIEND_REMOVE);
        assertEquals(bobId, told.getActorUserId());
        assertEquals(aliceId, told.getUserId());
        assertTrue(await(alice.client.friends()).getEntriesList().isEmpty());
        assertTrue(await(bob.client.friends()).getEntriesList().isEmpty());
        assertRefused(ErrorCode.NOT_FRIENDS, alice.client.send(bobId, text("still friends?")));
        // Idempotent: removing again changes nothing and tells nobody.
        assertEquals(FriendState.FRIEND_STATE_NONE, await(bob.client.removeFriend(aliceId)).getState());
        assertRefused(ErrorCode.NOT_ALLOWED, bob.client.acceptFriend(aliceId));
        assertRefused(ErrorCode.BAD_REQUEST, bob.client.requestFriend(bobId, "me"));
        assertRefused(ErrorCode.BAD_REQUEST, bob.client.requestFriend(aliceId, "x".repeat(257)));
    }

    @Test
    void shouldTakeARequestToSomeoneWhoAskedFirstAsTheAcceptance() throws Exception
    {
        start(1);
        final Device alice = clients.connect(1, "phone");
        final Device bob = clients.connect(2, "phone");
        await(alice.client.requestFriend(2, "hello"));
        nextEvent(bob);
        assertEquals(FriendState.FRIEND_STATE_FRIEND, await(bob.client.requestFriend(1, "hello too")).getState());
        assertEquals(FriendOpType.FRIEND_ACCEPT, nextEvent(alice, FriendOpType.FRIEND_ACCEPT).getOp());
        assertEquals(List.of(entry(2, FriendState.FRIEND_STATE_FRIEND)),
            await(alice.client.friends()).getEntriesList());
    }

    @Test
    void shouldMakeFriendsOfRequestsThatCrossBetweenTwoShards() throws Exception
    {
        start(2);
        final int pairs = 8;
        final Device[] left = new Device[pairs];
        final Device[] right = new Device[pairs];
        final long[] leftIds = new long[pairs];
        final long[] rightIds = new long[pairs];
        long next = 1;
        for (int i = 0; i < pairs; i++)
        {
            leftIds[i] = userOnShard(0, 2, next);
            rightIds[i] = userOnShard(1, 2, leftIds[i] + 1);
            next = rightIds[i] + 1;
            left[i] = clients.connect(leftIds[i], "phone");
            right[i] = clients.connect(rightIds[i], "phone");
        }
        // Both ask at once: whichever way the two hand-offs meet the two journals, both end up friends.
        final List<CompletableFuture<FriendResult>> requests = new ArrayList<>();
        for (int i = 0; i < pairs; i++)
        {
            requests.add(left[i].client.requestFriend(rightIds[i], "left"));
            requests.add(right[i].client.requestFriend(leftIds[i], "right"));
        }
        for (final CompletableFuture<FriendResult> request : requests)
        {
            await(request);
        }
        for (int i = 0; i < pairs; i++)
        {
            assertEquals(List.of(entry(rightIds[i], FriendState.FRIEND_STATE_FRIEND)), awaitFriends(left[i]));
            assertEquals(List.of(entry(leftIds[i], FriendState.FRIEND_STATE_FRIEND)), awaitFriends(right[i]));
            await(left[i].client.send(rightIds[i], text("friends")));
            await(right[i].client.send(leftIds[i], text("friends")));
        }
    }

    @Test
    void shouldRefuseStrangersByDefaultAndTakeThemWhenTheRecipientAllowsStrangers() throws Exception
    {
        start(1);
        final Device alice = clients.connect(1, "phone");
        final Device bob = clients.connect(2, "phone");

        final XinClientException refused = refusal(alice.client.send(2, "to-bob-1", text("hello stranger")));
        assertEquals(ErrorCode.NOT_FRIENDS, refused.code());
        final SyncResult bobsInbox = await(bob.client.sync(0, 100));
        assertTrue(bobsInbox.getMessagesList().isEmpty(), "nothing stored for the recipient");
        assertEquals(0, bobsInbox.getHeadSeq());
        assertEquals(0, await(alice.client.sync(0, 100)).getHeadSeq(), "nor in the sender's own inbox");
        assertEquals(1, server.xin().counters().notFriendsRefusals.sum());

        final FriendResult open = await(bob.client.setPrivacy(true, false));
        assertTrue(open.getSettings().getAllowStrangers());
        await(alice.client.send(2, "to-bob-2", text("hello again")));
        assertEquals("hello again", bob.next().getContent().getBody().toStringUtf8());
        assertTrue(await(bob.client.friends()).getSettings().getAllowStrangers());

        // A stranger may be added to a group only by the same rule.
        final Device carol = clients.connect(3, "phone");
        assertRefused(ErrorCode.NOT_FRIENDS, alice.client.createGroup("trio", false, 2, 3));
        final long groupId = await(alice.client.createGroup("pair", false, 2)).getGroupId();
        assertRefused(ErrorCode.NOT_FRIENDS, alice.client.group(GroupOpType.GROUP_ADD_MEMBERS, groupId, 3));
        assertEquals(2, await(alice.client.group(GroupOpType.GROUP_LIST_MEMBERS, groupId)).getMemberCount(),
            "a refused add adds nobody");
        assertNull(carol.messages.poll(300, TimeUnit.MILLISECONDS), "carol hears of neither group");
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2 })
    void shouldNeverLetABlockedUserMessageOrAddTheBlockerNorTellItOfTheBlock(final int shards) throws Exception
    {
        start(shards);
        final long bobId = userOnShard(0, shards, 1);
        final long aliceId = userOnShard(shards - 1, shards, bobId + 1);
        final long carolId = userOnShard(shards - 1, shards, aliceId + 1);
        final Device bob = clients.connect(bobId, "phone");
        final Device alice = clients.connect(aliceId, "phone");
        final Device carol = clients.connect(carolId, "phone");
        requestAndAccept(alice, aliceId, bob, bobId);
        await(alice.client.send(bobId, text("friends talk")));

        final FriendResult blocked = await(bob.client.block(aliceId));
        assertEquals(FriendState.FRIEND_STATE_BLOCKED, blocked.getState());
        // Bob's own devices learn of the block; once his list shows it, his batch is applied for every shard.
        assertEquals(FriendOpType.FRIEND_BLOCK, nextEvent(bob, FriendOpType.FRIEND_BLOCK).getOp());
        assertEquals(List.of(entry(aliceId, FriendState.FRIEND_STATE_BLOCKED)),
            await(bob.client.friends()).getEntriesList());
        // Alice's view is simply gone: she cannot tell a block from a friendship her friend ended.
        assertTrue(awaitEntries(alice, 0).isEmpty());

        final XinClientException byBlocked = refusal(alice.client.send(bobId, text("why?")));
        final XinClientException byStranger = refusal(carol.client.send(bobId, text("hello")));
        assertEquals(ErrorCode.NOT_FRIENDS, byBlocked.code());
        assertEquals(byStranger.code(), byBlocked.code());
        assertEquals(byStranger.getMessage(), byBlocked.getMessage(), "a block reads as a refusal of strangers");

        // Not even when Bob takes strangers: a block is a block.
        await(bob.client.setPrivacy(true, false));
        await(bob.client.friends());
        await(carol.client.send(bobId, text("strangers welcome")));
        assertRefused(ErrorCode.NOT_FRIENDS, alice.client.send(bobId, text("and me?")));
        if (shards == 1)
        {
            assertRefused(ErrorCode.NOT_FRIENDS, alice.client.createGroup("us", false, bobId));
        }

        // A request looks sent to Alice, and Bob never hears of it.
        bob.messages.clear();
        assertEquals(FriendState.FRIEND_STATE_REQUEST_SENT,
            await(alice.client.requestFriend(bobId, "sorry")).getState());
        assertEquals(FriendOpType.FRIEND_REQUEST, nextEvent(alice, FriendOpType.FRIEND_REQUEST).getOp());
        for (final FriendEvent event : alice.friendEvents)
        {
            assertNotEquals(FriendOpType.FRIEND_BLOCK, event.getOp(), "the blocked user is never told");
        }

        // Once unblocked (and taking strangers), Bob gets Alice's next message: it came after her request, on the
        // same way, so by then the request was seen and dropped.
        await(bob.client.unblock(aliceId));
        await(bob.client.friends());
        await(alice.client.send(bobId, "after-unblock", text("unblocked, and strangers welcome")));
        Message last;
        do
        {
            last = bob.next();
            if (last.getContent().getType() == ContentType.FRIEND_EVENT)
            {
                // Bob's shard decides a request when its hand-off arrives: on two shards, Alice's may arrive only
                // after the unblock, and is then an ordinary request. Nothing else of Alice's reaches him.
                final FriendEvent event = FriendEvent.parseFrom(last.getContent().getBody());
                assertTrue(event.getActorUserId() == bobId ||
                    shards > 1 && event.getOp() == FriendOpType.FRIEND_REQUEST && event.getActorUserId() == aliceId,
                    "bob hears only of his own changes: " + event);
            }
        }
        while (!"after-unblock".equals(last.getClientMsgId()));
        assertTrue(await(bob.client.friends()).getEntriesList().isEmpty(), "the request made while blocked is gone");
    }

    @Test
    void shouldShowPresenceToFriendsOnlyAndHideItWhenAskedOrBlocked() throws Exception
    {
        start(1);
        final Device alice = clients.connect(1, "phone");
        final Device bob = clients.connect(2, "phone");
        final Device carol = clients.connect(3, "phone");
        final Device dave = clients.connect(4, "phone");
        requestAndAccept(alice, 1, bob, 2);
        requestAndAccept(carol, 3, bob, 2);

        // Each side sees the new friend online; a stranger sees nothing.
        awaitPresence(alice, online(2));
        awaitPresence(bob, online(1));
        awaitPresence(bob, online(3));

        // A second device gets a snapshot of every friend.
        final Device bobTablet = clients.connect(2, "tablet");
        assertEquals(List.of(online(1), online(3)), nextPresence(bobTablet).getEntriesList());
        bobTablet.close();
        bob.close();
        final long minute = NOW_MS - NOW_MS % 60_000;
        awaitPresence(alice, offline(2, minute));
        awaitPresence(carol, offline(2, minute));

        // Carol hides: Bob, when he comes back, sees her as offline and never seen, as if she were blocking him.
        await(carol.client.setPrivacy(false, true));
        await(carol.client.friends());
        final Device bobAgain = clients.connect(2, "phone");
        assertEquals(List.of(online(1), offline(3, 0)), nextPresence(bobAgain).getEntriesList());

        // Bob blocks Alice: she sees him hidden at once, and never online again.
        await(bobAgain.client.block(1));
        awaitPresence(alice, offline(2, 0));
        bobAgain.close();
        final Device bobLast = clients.connect(2, "laptop");
        assertEquals(List.of(offline(3, 0)), nextPresence(bobLast).getEntriesList(), "alice is no friend now");
        awaitPresence(carol, online(2));
        final List<Presence> later = new ArrayList<>(presenceEntries.get(alice));
        final PresenceUpdate late = alice.presence.poll(300, TimeUnit.MILLISECONDS);
        if (late != null)
        {
            later.addAll(late.getEntriesList());
        }
        assertTrue(later.stream().noneMatch(Presence::getOnline), "the blocked user never sees the blocker online: " +
            later);
        final Device aliceTablet = clients.connect(1, "tablet");
        assertNull(aliceTablet.presence.poll(300, TimeUnit.MILLISECONDS), "alice has no friend left: no snapshot");
        assertTrue(dave.presence.isEmpty(), "a stranger never gets presence");
        assertTrue(server.xin().counters().presencePushes.sum() > 0);
    }

    @Test
    void shouldKeepRelationsPrivacyAndTheirRulesAcrossARestart() throws Exception
    {
        start(1);
        Device alice = clients.connect(1, "phone");
        Device bob = clients.connect(2, "phone");
        requestAndAccept(alice, 1, bob, 2);
        await(alice.client.requestFriend(3, "pending"));
        await(bob.client.block(4));
        await(bob.client.setPrivacy(true, true));
        await(bob.client.friends());

        clients.closeClients();
        server.restart();

        alice = clients.connect(1, "phone");
        bob = clients.connect(2, "phone");
        final Device carol = clients.connect(3, "phone");
        final Device dave = clients.connect(4, "phone");
        assertEquals(List.of(entry(2, FriendState.FRIEND_STATE_FRIEND),
                FriendEntry.newBuilder().setUserId(3).setState(FriendState.FRIEND_STATE_REQUEST_SENT)
                    .setGreeting("pending").build()),
            await(alice.client.friends()).getEntriesList());
        final FriendResult bobs = await(bob.client.friends());
        assertEquals(List.of(entry(1, FriendState.FRIEND_STATE_FRIEND), entry(4, FriendState.FRIEND_STATE_BLOCKED)),
            bobs.getEntriesList());
        assertTrue(bobs.getSettings().getAllowStrangers());
        assertTrue(bobs.getSettings().getHidePresence());
        assertEquals(FriendState.FRIEND_STATE_REQUEST_RECEIVED,
            await(carol.client.friends()).getEntries(0).getState());

        await(alice.client.send(2, text("still friends")));
        await(carol.client.send(2, text("strangers are welcome")));
        assertRefused(ErrorCode.NOT_FRIENDS, dave.client.send(2, text("still blocked")));
        assertRefused(ErrorCode.NOT_FRIENDS, dave.client.send(3, text("carol takes friends only")));
    }

    @Test
    void shouldHoldNewRequestsToTheSendersBudgetAndPageTheList() throws Exception
    {
        // 3 at once, then one a minute; pages of 2.
        server = new TestSwitch(dataDir, ctx -> ctx
            .strangersAllowedByDefault(false)
            .presencePushIntervalMs(0)
            .clock(clockMs::get)
            .friendRequestBurst(3)
            .friendRequestsPerHour(60)
            .friendListPageEntries(2));
        clients = new TestDevices(server);
        final Device alice = clients.connect(1, "phone");
        final Device eve = clients.connect(20, "phone");
        for (long peer = 10; peer < 13; peer++)
        {
            await(alice.client.requestFriend(peer, "hello " + peer));
        }
        assertEquals(FriendState.FRIEND_STATE_REQUEST_SENT, await(alice.client.requestFriend(10, "again")).getState(),
            "a repeat costs nothing");
        final XinClientException limited = assertRefused(ErrorCode.RATE_LIMITED, alice.client.requestFriend(13, ""));
        assertTrue(limited.retryAfterMs() > 0 && limited.retryAfterMs() <= 60_000, limited.getMessage());
        assertEquals(FriendState.FRIEND_STATE_NONE, await(alice.client.friends()).getEntriesList().stream()
            .filter(entry -> entry.getUserId() == 13).findAny().map(FriendEntry::getState)
            .orElse(FriendState.FRIEND_STATE_NONE), "a refused request changes nothing");
        await(eve.client.requestFriend(1, "from eve"));
        assertEquals(FriendState.FRIEND_STATE_FRIEND, await(alice.client.acceptFriend(20)).getState(),
            "accepting costs nothing");

        clockMs.addAndGet(limited.retryAfterMs());
        await(alice.client.requestFriend(13, "a minute later"));
        assertRefused(ErrorCode.RATE_LIMITED, alice.client.requestFriend(14, ""));

        // 10, 11 | 12, 13 | 20: a limit above the page size is cut to it.
        final FriendResult first = await(alice.client.friends(0, 0));
        assertEquals(List.of(10L, 11L), ids(first));
        assertTrue(first.getMore());
        final FriendResult second = await(alice.client.friends(11, 50));
        assertEquals(List.of(12L, 13L), ids(second));
        assertTrue(second.getMore());
        final FriendResult last = await(alice.client.friends(13, 1));
        assertEquals(List.of(20L), ids(last));
        assertFalse(last.getMore());
        assertEquals(List.of(10L, 11L, 12L, 13L, 20L), ids(await(alice.client.friends())), "every page");
        assertRefused(ErrorCode.BAD_REQUEST, alice.client.friends(-1, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2 })
    void shouldDropRequestsBeyondTheRecipientsPendingOnesUntilItAnswersOne(final int shards) throws Exception
    {
        server = new TestSwitch(dataDir, ctx -> ctx
            .strangersAllowedByDefault(false)
            .journalShards(shards)
            .presencePushIntervalMs(0)
            .clock(clockMs::get)
            .maxPendingFriendRequests(2));
        clients = new TestDevices(server);
        final long aliceId = userOnShard(0, shards, 100);
        final Device alice = clients.connect(aliceId, "phone");
        // Senders on the other shard too when there are two: the limit holds for hand-offs and same-shard requests.
        final long[] senders = { userOnShard(0, shards, 200), userOnShard(shards - 1, shards, 300),
            userOnShard(0, shards, 400) };
        for (final long sender : senders)
        {
            final Device device = clients.connect(sender, "phone");
            assertEquals(FriendState.FRIEND_STATE_REQUEST_SENT,
                await(device.client.requestFriend(aliceId, "hi from " + sender)).getState(), "the sender cannot tell");
        }
        nextEvent(alice, FriendOpType.FRIEND_REQUEST);
        nextEvent(alice, FriendOpType.FRIEND_REQUEST);
        assertEquals(List.of(senders[0], senders[1]), ids(await(alice.client.friends())),
            "the third waits nowhere: two were pending");
        assertEquals(1, server.xin().counters().friendRequestsDropped.sum());

        await(alice.client.declineFriend(senders[0]));
        final Device late = clients.connect(userOnShard(shards - 1, shards, 500), "phone");
        await(late.client.requestFriend(aliceId, "room now"));
        assertEquals(FriendOpType.FRIEND_REQUEST, nextEvent(alice, FriendOpType.FRIEND_REQUEST).getOp());
        assertEquals(List.of(senders[1], late.client.userId()), ids(await(alice.client.friends())));

        // Counted again from the store after a restart, with the same answer.
        clients.closeClients();
        server.restart();
        final Device another = clients.connect(userOnShard(0, shards, 600), "phone");
        await(another.client.requestFriend(aliceId, "full again"));
        final Device aliceAgain = clients.connect(aliceId, "phone");
        assertEquals(List.of(senders[1], late.client.userId()), ids(await(aliceAgain.client.friends())));
    }

    private static List<Long> ids(final FriendResult result)
    {
        return result.getEntriesList().stream().map(FriendEntry::getUserId).toList();
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Alice asks, Bob accepts: both see FRIEND, each hears of the other's step, and they may talk. */
    private static void requestAndAccept(final Device alice, final long aliceId, final Device bob, final long bobId)
        throws Exception
    {
        final FriendResult sent = await(alice.client.requestFriend(bobId, "hi, it is alice"));
        assertEquals(FriendState.FRIEND_STATE_REQUEST_SENT, sent.getState());
        assertEquals(bobId, sent.getUserId());
        final FriendEvent request = nextEvent(bob, FriendOpType.FRIEND_REQUEST);
        assertEquals(aliceId, request.getActorUserId());
        assertEquals(bobId, request.getUserId());
        assertEquals("hi, it is alice", request.getGreeting());
        assertEquals(List.of(FriendEntry.newBuilder().setUserId(aliceId)
                .setState(FriendState.FRIEND_STATE_REQUEST_RECEIVED).setGreeting("hi, it is alice").build()),
            withState(await(bob.client.friends()).getEntriesList(), aliceId));

        final FriendResult accepted = await(bob.client.acceptFriend(aliceId));
        assertEquals(FriendState.FRIEND_STATE_FRIEND, accepted.getState());
        final FriendEvent acceptance = nextEvent(alice, FriendOpType.FRIEND_ACCEPT);
        assertEquals(bobId, acceptance.getActorUserId());
        assertEquals(List.of(entry(bobId, FriendState.FRIEND_STATE_FRIEND)),
            withState(await(alice.client.friends()).getEntriesList(), bobId));
        assertEquals(List.of(entry(aliceId, FriendState.FRIEND_STATE_FRIEND)),
            withState(await(bob.client.friends()).getEntriesList(), aliceId));
        await(alice.client.send(bobId, text("we are friends")));
        await(bob.client.send(aliceId, text("we are")));
    }

    private static List<FriendEntry> withState(final List<FriendEntry> entries, final long userId)
    {
        return entries.stream().filter(e -> e.getUserId() == userId).toList();
    }

    /** The list once it holds {@code size} entries: a change that reached the user's shard by hand-off. */
    private static List<FriendEntry> awaitEntries(final Device device, final int size) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        List<FriendEntry> entries = await(device.client.friends()).getEntriesList();
        while (entries.size() != size && System.nanoTime() < deadline)
        {
            entries = await(device.client.friends()).getEntriesList();
        }
        return entries;
    }

    /** The list once every entry is FRIEND (the other side's answer may still be on its way between shards). */
    private static List<FriendEntry> awaitFriends(final Device device) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        List<FriendEntry> entries = await(device.client.friends()).getEntriesList();
        while (entries.stream().anyMatch(e -> e.getState() != FriendState.FRIEND_STATE_FRIEND) &&
            System.nanoTime() < deadline)
        {
            entries = await(device.client.friends()).getEntriesList();
        }
        return entries;
    }

    private static FriendEntry entry(final long userId, final FriendState state)
    {
        return FriendEntry.newBuilder().setUserId(userId).setState(state).build();
    }

    private static Presence online(final long userId)
    {
        return Presence.newBuilder().setUserId(userId).setOnline(true).build();
    }

    private static Presence offline(final long userId, final long lastSeenMs)
    {
        return Presence.newBuilder().setUserId(userId).setLastSeenMs(lastSeenMs).build();
    }

    private static PresenceUpdate nextPresence(final Device device) throws InterruptedException
    {
        final PresenceUpdate update = device.presence.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(update, "expected a presence update");
        return update;
    }

    /**
     * Waits for {@code expected} among the device's presence entries, entry by entry (several friends' changes may
     * come in one update), skipping others: presence is eventually consistent (a new friendship may show the friend
     * hidden until the friend's own side is written).
     */
    private void awaitPresence(final Device device, final Presence expected) throws InterruptedException
    {
        final Deque<Presence> entries = presenceEntries.computeIfAbsent(device, d -> new ArrayDeque<>());
        while (true)
        {
            if (entries.isEmpty())
            {
                entries.addAll(nextPresence(device).getEntriesList());
            }
            if (entries.poll().equals(expected))
            {
                return;
            }
        }
    }

    private static FriendEvent nextEvent(final Device device) throws InterruptedException
    {
        final FriendEvent event = device.friendEvents.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(event, "expected a friend event");
        return event;
    }

    /** The next friend event of that op, skipping the device's own earlier ones. */
    private static FriendEvent nextEvent(final Device device, final FriendOpType op) throws InterruptedException
    {
        while (true)
        {
            final FriendEvent event = nextEvent(device);
            if (event.getOp() == op)
            {
                return event;
            }
        }
    }

    private static List<Message> drain(final Device... devices)
    {
        final List<Message> drained = new ArrayList<>();
        for (final Device device : devices)
        {
            device.messages.drainTo(drained);
            device.friendEvents.clear();
        }
        return drained;
    }

    private static XinClientException refusal(final CompletableFuture<?> future)
    {
        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> future.get(WAIT_MS, TimeUnit.MILLISECONDS));
        return assertInstanceOf(XinClientException.class, failure.getCause());
    }
}
