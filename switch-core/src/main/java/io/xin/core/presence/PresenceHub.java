package io.xin.core.presence;

import io.netty.channel.Channel;
import io.xin.core.device.Session;
import io.xin.core.journal.FriendChanges;
import io.xin.core.journal.JournalShard;
import io.xin.core.social.SocialFeed;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.FriendState;
import io.xin.protocol.pb.Presence;
import io.xin.protocol.pb.PresenceUpdate;
import io.xin.storage.FriendStore;
import io.xin.storage.RelationRecord;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Presence on one node, on a thread of its own: which users have a device online here, who their friends are, and
 * the PresenceUpdate pushes to the friends' devices, coalesced and paced per receiving device
 * ({@link PresencePacer}). The dispatchers say when a device logs in or leaves; the journals say, once applied, when a
 * relation or a privacy setting changes ({@link FriendChanges}). Nothing here runs on a ring thread: a login of a user
 * with thousands of friends costs the ring a queue offer, and this thread a range read and the pushes.
 * <p>
 * Rules. A user's presence reaches a friend only while the user's own view of the friend is FRIEND (so a user it
 * blocked never gets it) and the friend's view of the user is FRIEND; a user who hides its presence, or whose view
 * is not FRIEND, is shown as offline with last seen 0 (the same entry, so hiding and blocking look alike). Last seen
 * is when the user's last device here left, rounded down to the minute, remembered since this process started. At
 * login a device gets a snapshot of every friend; then changes. The friend rows are the subscriptions: they are read
 * at a user's first login here and kept up to date by the journals' notices, so they survive reconnects.
 * <p>
 * In cluster mode ({@link SocialFeed}) each node publishes its own users' changes (first device in, last device out,
 * hiding) and is told of every other node's: a user served elsewhere is kept here as its last published state
 * ({@link RemoteUser}), and its friends with a device here are told from the user's friend rows, which every node
 * holds (standby copies of all shards). A change of a user's friend rows publishes its state again, so that a new
 * friend served by another node is told too; so does a node's start, for every user online here (the new node
 * reads the feed from its end).
 * <p>
 * The command queue is filled by any thread; every other field is owned by the presence thread.
 */
public final class PresenceHub implements Agent, FriendChanges, SocialFeed.PresenceListener
{
    private static final long MINUTE_MS = TimeUnit.MINUTES.toMillis(1);
    private static final int FRIEND = FriendState.FRIEND_STATE_FRIEND_VALUE;

    private final FriendStore store;
    private final FriendStore.Reader reader;
    private final SwitchCounters counters;
    /** Epoch milliseconds, for last seen. */
    private final LongSupplier clockMs;
    /** Milliseconds that only move forward, for the pacing. */
    private final LongSupplier monotonicMs;
    private final PresencePacer<Session> pacer;
    private final Queue<Command> commands = new ConcurrentLinkedQueue<>();
    /** Users with a device online here, by user id. */
    private final Long2ObjectHashMap<OnlineUser> online = new Long2ObjectHashMap<>();
    /** When each user seen since start last left (rounded down to the minute); grows with the users seen. */
    private final Long2LongHashMap lastSeen = new Long2LongHashMap(0);
    /** Cluster mode: the last state other nodes published of their users; grows with the users seen. */
    private final Long2ObjectHashMap<RemoteUser> remote = new Long2ObjectHashMap<>();
    /** Cluster mode: where this node's users' changes go; null on a single node. */
    private final SocialFeed feed;
    /** The presence thread, once it runs; woken by a command while it parks idle. */
    private volatile Thread thread;
    private volatile boolean parkedIdle;

    /**
     * @param clockMs        epoch milliseconds (last seen).
     * @param monotonicMs    milliseconds that never go back (pacing).
     * @param pushIntervalMs at most one push per device this often.
     * @param feed           cluster mode's social feed, or null on a single node.
     */
    public PresenceHub(
        final FriendStore store,
        final SwitchCounters counters,
        final LongSupplier clockMs,
        final LongSupplier monotonicMs,
        final long pushIntervalMs,
        final SocialFeed feed)
    {
        this.feed = feed;
        this.store = store;
        this.reader = store.newReader();
        this.counters = counters;
        this.clockMs = clockMs;
        this.monotonicMs = monotonicMs;
        this.pacer = new PresencePacer<>(pushIntervalMs);
    }

    // ------------------------------------------------------------------------------------- any thread

    /** A device logged in (its LoginOk is queued before anything this writes to it). Any thread. */
    public void online(final Session session)
    {
        submit(new Command(Command.ONLINE, session, 0, 0, 0, 0, null));
    }

    /** A device left. Any thread; a device never reported online is ignored. */
    public void offline(final Session session)
    {
        submit(new Command(Command.OFFLINE, session, 0, 0, 0, 0, null));
    }

    @Override
    public void relationChanged(final long userId, final long peerId, final int oldState, final int newState)
    {
        if (oldState == FRIEND || newState == FRIEND)
        {
            // Nothing else changes what anyone sees of anyone.
            submit(new Command(Command.RELATION, null, userId, peerId, oldState, newState, null));
        }
    }

    /**
     * Cluster mode: a relation record of a user of a shard this node keeps a standby copy of was applied here. The
     * owner's node tells its own users; this node tells the peer, if it serves the peer, what it now may see of the
     * user: a friendship accepted on another node reaches its other side whichever of the hand-off and the standby
     * copy comes first. Any thread.
     *
     * @param state the user's view of the peer now, a {@code FriendState} number (0 for none).
     */
    public void standbyRelationApplied(final long userId, final long peerId, final int state)
    {
        submit(new Command(Command.STANDBY_RELATION, null, userId, peerId, 0, state, null));
    }

    @Override
    public void privacyChanged(final long userId, final int flags)
    {
        submit(new Command(Command.PRIVACY, null, userId, 0, 0, flags, null));
    }

    /** Another node's user's presence, from the social feed. Any thread. */
    @Override
    public void remotePresence(
        final String nodeId, final long userId, final boolean online, final long lastSeenMs, final boolean hidden)
    {
        submit(new Command(Command.REMOTE, null, userId, lastSeenMs, online ? 1 : 0, hidden ? 1 : 0, nodeId));
    }

    /** A node took a journal shard, from the social feed. Any thread. */
    @Override
    public void shardServed(final String nodeId, final int shard, final int shardCount)
    {
        submit(new Command(Command.SHARD_SERVED, null, 0, shardCount, shard, 0, nodeId));
    }

    @Override
    public void republish()
    {
        submit(new Command(Command.REPUBLISH, null, 0, 0, 0, 0, null));
    }

    private void submit(final Command command)
    {
        commands.offer(command);
        wake();
    }

    /** Ends the presence thread's park, if it is in one: for a command, or for a close. Any thread. */
    public void wake()
    {
        final Thread presenceThread = thread;
        if (parkedIdle && presenceThread != null)
        {
            LockSupport.unpark(presenceThread);
        }
    }

    /**
     * The idle strategy of the hub's runner: park until the next device's turn or a command, at most
     * {@code maxParkNs}.
     */
    public IdleStrategy idleStrategy(final long maxParkNs)
    {
        return new HubIdleStrategy(maxParkNs);
    }

    // ------------------------------------------------------------------------------------- presence thread

    @Override
    public void onStart()
    {
        thread = Thread.currentThread();
    }

    @Override
    public int doWork()
    {
        int work = 0;
        Command command;
        while ((command = commands.poll()) != null)
        {
            switch (command.type)
            {
                case Command.ONLINE -> onOnline(command.session);
                case Command.OFFLINE -> onOffline(command.session);
                case Command.RELATION -> onRelation(command.userId, command.peerId, command.oldState, command.value);
                case Command.REMOTE -> onRemote(command.nodeId, command.userId, command.oldState == 1,
                    command.peerId, command.value == 1);
                case Command.REPUBLISH -> online.forEach(this::publish);
                case Command.STANDBY_RELATION -> onStandbyRelation(command.userId, command.peerId);
                case Command.SHARD_SERVED -> onShardServed(command.nodeId, command.oldState, (int)command.peerId);
                default -> onPrivacy(command.userId, command.value);
            }
            work++;
        }
        return work + pacer.poll(monotonicMs.getAsLong(), this::push);
    }

    private void onOnline(final Session session)
    {
        final long userId = session.userId();
        OnlineUser user = online.get(userId);
        final boolean first = user == null;
        if (first)
        {
            user = load(userId);
            online.put(userId, user);
            // Served here now: what another node said of the user before it moved is history.
            remote.remove(userId);
        }
        user.sessions.add(session);
        if (first)
        {
            tellFriends(userId, user);
            publish(userId, user);
        }
        // The snapshot: every friend, as this user may see it.
        final LongHashSet.LongIterator friends = user.friends.iterator();
        while (friends.hasNext())
        {
            pacer.offer(session, seenBy(friends.nextValue(), userId));
        }
    }

    private void onOffline(final Session session)
    {
        final long userId = session.userId();
        final OnlineUser user = online.get(userId);
        if (user == null || !user.sessions.remove(session))
        {
            return;
        }
        pacer.remove(session);
        if (user.sessions.isEmpty())
        {
            online.remove(userId);
            final long nowMs = clockMs.getAsLong();
            lastSeen.put(userId, Math.max(MINUTE_MS, nowMs - Math.floorMod(nowMs, MINUTE_MS)));
            tellFriends(userId, user);
            publish(userId, null);
        }
    }

    /** A user's own view of a peer changed to or from FRIEND. */
    private void onRelation(final long userId, final long peerId, final int oldState, final int newState)
    {
        final OnlineUser user = online.get(userId);
        if (user != null)
        {
            if (newState == FRIEND)
            {
                user.friends.add(peerId);
            }
            else
            {
                user.friends.remove(peerId);
            }
            // What the user sees of the peer: a new friend's state, or a former friend's retracted.
            offerAll(user, newState == FRIEND ? seenBy(peerId, userId) : hidden(peerId));
        }
        // What the peer sees of the user hangs on the user's view too.
        final OnlineUser peer = online.get(peerId);
        if (peer != null && peer.friends.contains(userId))
        {
            offerAll(peer, seenBy(userId, peerId));
        }
        else if (peer == null && feed != null)
        {
            // The peer may be online on another node, which learns of this change of the user's rows from the
            // user's state published again (it reads the rows from its standby copy).
            publish(userId, user);
        }
    }

    /** The user's view of the peer, written by another node, is in the local store now. */
    private void onStandbyRelation(final long userId, final long peerId)
    {
        if (online.containsKey(userId))
        {
            // Served here after all (a shard that just moved): its own journal reports its changes.
            return;
        }
        final OnlineUser peer = online.get(peerId);
        if (peer != null && peer.friends.contains(userId))
        {
            offerAll(peer, seenBy(userId, peerId));
        }
    }

    private void onPrivacy(final long userId, final int flags)
    {
        final OnlineUser user = online.get(userId);
        if (user != null)
        {
            user.hidden = (flags & FriendStore.HIDES_PRESENCE) != 0;
            tellFriends(userId, user);
        }
        publish(userId, user);
    }

    /**
     * Another node's user: remembers the state, then tells this node's online friends of it. The friends come from
     * the user's rows in the local store. A user served here is this node's to tell, whatever others say.
     */
    private void onRemote(
        final String nodeId, final long userId, final boolean isOnline, final long lastSeenMs, final boolean hidden)
    {
        if (online.containsKey(userId))
        {
            return;
        }
        RemoteUser state = remote.get(userId);
        if (state == null)
        {
            state = new RemoteUser();
            remote.put(userId, state);
        }
        if (isOnline)
        {
            state.servedBy = nodeId;
        }
        else if (state.servedBy != null && !state.servedBy.equals(nodeId))
        {
            // A late word of a node the user left: all of a user's devices sit on one node, the newer one.
            return;
        }
        else
        {
            state.servedBy = null;
            state.lastSeenMs = Math.max(state.lastSeenMs, lastSeenMs);
        }
        state.hidden = hidden;
        tellFriendsOfRemote(userId);
    }

    /**
     * A node took a shard: the users of that shard another node was serving are served there no more. Those the new
     * owner serves it says so next (its logins follow this on the same partition); the rest left when their node
     * did, and are seen last now.
     */
    private void onShardServed(final String nodeId, final int shard, final int shardCount)
    {
        final long nowMs = clockMs.getAsLong();
        final long seenMs = Math.max(MINUTE_MS, nowMs - Math.floorMod(nowMs, MINUTE_MS));
        final Long2ObjectHashMap<RemoteUser>.EntryIterator users = remote.entrySet().iterator();
        while (users.hasNext())
        {
            users.next();
            final long userId = users.getLongKey();
            final RemoteUser state = users.getValue();
            if (state.servedBy != null && !state.servedBy.equals(nodeId) && JournalShard.of(userId, shardCount) == shard)
            {
                state.servedBy = null;
                state.lastSeenMs = Math.max(state.lastSeenMs, seenMs);
                tellFriendsOfRemote(userId);
            }
        }
    }

    /** Offers another node's user, as each may see it, to its friends online here, read from its rows here. */
    private void tellFriendsOfRemote(final long userId)
    {
        for (final RelationRecord relation : store.readRelations(userId))
        {
            final long friendId = relation.peerId();
            final OnlineUser friend = relation.state() == FRIEND ? online.get(friendId) : null;
            if (friend != null && friend.friends.contains(userId))
            {
                offerAll(friend, seenBy(userId, friendId));
            }
        }
    }

    /** Cluster mode: tells the other nodes of a user of this node; {@code user} null when it has no device here. */
    private void publish(final long userId, final OnlineUser user)
    {
        if (feed == null)
        {
            return;
        }
        final boolean hidden = user != null ? user.hidden : hides(reader.readPrivacy(userId));
        feed.publishPresence(userId, user != null, user != null ? 0 : lastSeen.get(userId), hidden);
    }

    /** Offers a user's presence (as each may see it) to every online friend that counts the user as a friend. */
    private void tellFriends(final long userId, final OnlineUser user)
    {
        final LongHashSet.LongIterator friends = user.friends.iterator();
        while (friends.hasNext())
        {
            final long friendId = friends.nextValue();
            final OnlineUser friend = online.get(friendId);
            if (friend != null && friend.friends.contains(userId))
            {
                offerAll(friend, seenBy(userId, friendId));
            }
        }
    }

    private void offerAll(final OnlineUser receiver, final Presence entry)
    {
        for (int i = 0, size = receiver.sessions.size(); i < size; i++)
        {
            pacer.offer(receiver.sessions.get(i), entry);
        }
    }

    /** What {@code viewerId} may see of {@code userId}: its state, or hidden. */
    private Presence seenBy(final long userId, final long viewerId)
    {
        final OnlineUser user = online.get(userId);
        final RemoteUser elsewhere = user == null ? remote.get(userId) : null;
        final boolean visible = user != null ?
            !user.hidden && user.friends.contains(viewerId) :
            reader.readState(userId, viewerId) == FRIEND &&
                !(elsewhere != null ? elsewhere.hidden : hides(reader.readPrivacy(userId)));
        if (!visible)
        {
            return hidden(userId);
        }
        final boolean isOnline = user != null || elsewhere != null && elsewhere.servedBy != null;
        return Presence.newBuilder()
            .setUserId(userId)
            .setOnline(isOnline)
            .setLastSeenMs(isOnline ? 0 :
                Math.max(lastSeen.get(userId), elsewhere != null ? elsewhere.lastSeenMs : 0))
            .build();
    }

    /** Offline, never seen: what a hidden user, and anyone whose view of the viewer is not FRIEND, looks like. */
    private static Presence hidden(final long userId)
    {
        return Presence.newBuilder().setUserId(userId).build();
    }

    private static boolean hides(final int flags)
    {
        return flags != FriendStore.NO_SETTINGS && (flags & FriendStore.HIDES_PRESENCE) != 0;
    }

    private OnlineUser load(final long userId)
    {
        final OnlineUser user = new OnlineUser();
        for (final RelationRecord relation : store.readRelations(userId))
        {
            if (relation.state() == FRIEND)
            {
                user.friends.add(relation.peerId());
            }
        }
        user.hidden = hides(reader.readPrivacy(userId));
        return user;
    }

    private boolean push(final Session session, final List<Presence> entries)
    {
        if (session.isClosed())
        {
            // Its offline command is on its way and forgets it.
            return true;
        }
        final Channel channel = session.channel();
        if (channel != null && !channel.isWritable())
        {
            // Kept, coalescing, until the device reads again: presence is never worth a slow device's buffer.
            return false;
        }
        session.writeAndFlush(Frame.newBuilder().setPresence(PresenceUpdate.newBuilder().addAllEntries(entries))
            .build(), false);
        counters.presencePushes.increment();
        return true;
    }

    @Override
    public void onClose()
    {
        commands.clear();
        reader.close();
    }

    @Override
    public String roleName()
    {
        return "xin-presence";
    }

    /** A user with a device online here. Owned by the presence thread. */
    private static final class OnlineUser
    {
        final List<Session> sessions = new ArrayList<>(2);
        /** The user's own FRIEND views, by peer id. */
        final LongHashSet friends = new LongHashSet();
        boolean hidden;
    }

    /** Cluster mode: a user served by another node, as that node last published it. Owned by the presence thread. */
    private static final class RemoteUser
    {
        /** The node with the user's devices, null while it has none. */
        String servedBy;
        long lastSeenMs;
        boolean hidden;
    }

    /**
     * Work for the presence thread, from a dispatcher, a journal or the social feed (REMOTE: peerId holds last seen,
     * oldState online, value hidden; SHARD_SERVED: oldState the shard, peerId the shard count).
     */
    private record Command(
        int type, Session session, long userId, long peerId, int oldState, int value, String nodeId)
    {
        static final int ONLINE = 1;
        static final int OFFLINE = 2;
        static final int RELATION = 3;
        static final int PRIVACY = 4;
        static final int REMOTE = 5;
        static final int REPUBLISH = 6;
        static final int STANDBY_RELATION = 7;
        static final int SHARD_SERVED = 8;
    }

    /** Runs on the presence thread, so it reads the pacer. */
    private final class HubIdleStrategy implements IdleStrategy
    {
        private final long maxParkNs;

        HubIdleStrategy(final long maxParkNs)
        {
            this.maxParkNs = maxParkNs;
        }

        @Override
        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        @Override
        public void idle()
        {
            // A device due now whose push waits for it to read again is looked at each millisecond, no faster.
            final long untilMs = Math.max(1, pacer.msUntilDue(monotonicMs.getAsLong()));
            final long parkNs = untilMs >= TimeUnit.NANOSECONDS.toMillis(maxParkNs) ?
                maxParkNs : TimeUnit.MILLISECONDS.toNanos(untilMs);
            parkedIdle = true;
            if (commands.isEmpty())
            {
                LockSupport.parkNanos(this, parkNs);
            }
            parkedIdle = false;
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "presence";
        }
    }
}
