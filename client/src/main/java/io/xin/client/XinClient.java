package io.xin.client;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelResult;
import io.xin.protocol.pb.ChannelSync;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.FriendOp;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.FriendResult;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.GroupResult;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.PresenceUpdate;
import io.xin.protocol.pb.PrivacySettings;
import io.xin.protocol.pb.NearbyOp;
import io.xin.protocol.pb.NearbyRequest;
import io.xin.protocol.pb.NearbyResult;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.ShakeRequest;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.SyncResult;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A client of the Xin switch: one session of one device of one user.
 * <p>
 * {@link #connect()} opens a connection and logs in. From the first successful login on, the client
 * keeps the session up by itself until {@link #close()} or until the server says another login of
 * this device replaced it ({@link Listener#onKicked(String)}): it sends heartbeats, reconnects with
 * jittered exponential backoff, logs in again, syncs what it missed and resends every unacknowledged
 * send with its original client_msg_id (the server deduplicates on it).
 * <p>
 * Received messages reach {@link Listener#onMessage(Message)} once each, in inbox order, whether they
 * were pushed or synced; gaps in the pushes are filled by syncing.
 * <p>
 * <pre>{@code
 * try (XinClient client = XinClient.builder()
 *     .host("127.0.0.1").port(7800)
 *     .tokenSupplier(tokens::current)
 *     .deviceId("phone-1")
 *     .listener(new XinClient.Listener()
 *     {
 *         public void onMessage(final Message message)
 *         {
 *             inbox.store(message);
 *         }
 *     })
 *     .build())
 * {
 *     client.connect().join();
 *     final SendAck ack = client.send(peerUserId, text).join();
 * }
 * }</pre>
 * <p>
 * Threading: the client lives on one Netty event loop (its own single-thread group, or one loop of
 * the group given to {@link Builder#eventLoopGroup(EventLoopGroup)}); every mutable piece of its state
 * is owned by that loop. The public methods may be called from any thread: they hand the work to the
 * loop and return at once. Listener callbacks run on the loop and futures complete on it, so neither
 * may block.
 */
public final class XinClient implements AutoCloseable
{
    private static final long CLOSE_WAIT_MS = 5_000;
    private static final Base64.Encoder CLIENT_MSG_ID_ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final EventLoopGroup ownedGroup;
    private final EventLoop eventLoop;
    private final ClientConductor conductor;
    private final AtomicBoolean closeRequested = new AtomicBoolean();

    private XinClient(final Builder builder)
    {
        if (builder.eventLoopGroup != null)
        {
            ownedGroup = null;
            eventLoop = builder.eventLoopGroup.next();
        }
        else
        {
            ownedGroup = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("xin-client", true), NioIoHandler.newFactory());
            eventLoop = ownedGroup.next();
        }
        conductor = new ClientConductor(builder, eventLoop);
    }

    /**
     * A builder with the defaults; {@code host}, {@code port}, a token and {@code deviceId} are required.
     *
     * @return a new builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Connect and log in, or join the login in progress.
     * <p>
     * Completes with the server's LoginOk. Before the session was first established it fails with a
     * {@link XinClientException}: the LoginError's code when the server refused the login,
     * {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when the connection failed; the client then stays
     * {@link State#DISCONNECTED} and {@code connect()} may be called again. Once the session is
     * established, a call while reconnecting completes at the next successful login. Called when
     * already logged in, it completes at once with the latest LoginOk. Called after
     * {@link State#KICKED}, it logs in again, taking the session back from the other instance.
     *
     * @return completes on the client's event loop.
     */
    public CompletableFuture<LoginOk> connect()
    {
        final CompletableFuture<LoginOk> future = new CompletableFuture<>();
        execute(() -> conductor.onConnect(future), future);
        return future;
    }

    /**
     * Send a message under a fresh, random client_msg_id (128 bits, base64url).
     *
     * @param toUserId recipient's user id.
     * @param content  what to send.
     * @return completes with the SendAck once the message is durably stored; see
     * {@link #send(long, String, Content)}.
     */
    public CompletableFuture<SendAck> send(final long toUserId, final Content content)
    {
        return send(toUserId, newClientMsgId(), content);
    }

    /**
     * Send a message under the caller's idempotency key.
     * <p>
     * The send stays pending until acknowledged: it is resent with the same client_msg_id when no ack
     * came within {@link Builder#ackTimeoutMs(long)}, when the server was BUSY or RATE_LIMITED (each refused send
     * after its own retry_after_ms, in issue order, once the sends sent after it are answered), and after every
     * relogin.
     * Sends issued while not logged in are queued and sent after the next login. A client_msg_id
     * already pending shares that send's outcome. The future fails with a {@link XinClientException}
     * carrying the server's code when the server refused the message for good (BAD_REQUEST, ...), and
     * with {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when the client was closed or kicked first.
     *
     * @param toUserId    recipient's user id.
     * @param clientMsgId unique per sender, 1..64 bytes of UTF-8.
     * @param content     what to send.
     * @return completes with the SendAck on the client's event loop.
     */
    public CompletableFuture<SendAck> send(final long toUserId, final String clientMsgId, final Content content)
    {
        Objects.requireNonNull(clientMsgId, "clientMsgId");
        Objects.requireNonNull(content, "content");
        final int lengthBytes = utf8LengthBytes(clientMsgId);
        if (lengthBytes < 1 || lengthBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
        {
            return CompletableFuture.failedFuture(new XinClientException(
                ErrorCode.BAD_REQUEST, "clientMsgId must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES +
                " bytes of UTF-8, was " + lengthBytes));
        }

        final CompletableFuture<SendAck> future = new CompletableFuture<>();
        execute(() -> conductor.onSend(toUserId, clientMsgId, content, future), future);
        return future;
    }

    /**
     * Send a message under the caller's idempotency key, kept until acknowledged and resent exactly as
     * {@link #send(long, String, Content)} does, but without a future: the outcome reaches the listener, as
     * {@link Listener#onSendAck(SendAck)} or {@link Listener#onSendFailed(String, XinClientException)}. For a
     * caller that matches acks to its sends itself (the load generator), at no future or completion stage per message.
     * A client_msg_id already pending is not sent again; its outcome is reported once.
     *
     * @param toUserId    recipient's user id.
     * @param clientMsgId unique per sender, 1..64 bytes of UTF-8.
     * @param content     what to send.
     * @throws IllegalArgumentException when clientMsgId is not 1..64 bytes of UTF-8.
     * @throws XinClientException       when the client's event loop has shut down.
     */
    public void sendTracked(final long toUserId, final String clientMsgId, final Content content)
    {
        Objects.requireNonNull(clientMsgId, "clientMsgId");
        Objects.requireNonNull(content, "content");
        final int lengthBytes = utf8LengthBytes(clientMsgId);
        if (lengthBytes < 1 || lengthBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
        {
            throw new IllegalArgumentException("clientMsgId must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES +
                " bytes of UTF-8, was " + lengthBytes);
        }
        try
        {
            eventLoop.execute(() -> conductor.onSend(toUserId, 0, clientMsgId, content, null));
        }
        catch (final RejectedExecutionException ex)
        {
            // No loop left to call the listener on: the caller hears it here.
            throw new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "client closed: event loop shut down", ex);
        }
    }

    /**
     * Send a message at most once, without tracking it: no future, no resend, no local copy in this
     * device's inbox. For traffic where a lost message does not matter, and for measuring a peer that
     * does not acknowledge (the load generator's bare relay). The server's ack, if any, is ignored.
     * Dropped when not logged in.
     *
     * @param toUserId    recipient's user id.
     * @param clientMsgId 1..64 bytes of UTF-8 (not checked here).
     * @param content     what to send.
     */
    public void sendUntracked(final long toUserId, final String clientMsgId, final Content content)
    {
        execute(() -> conductor.onSendUntracked(toUserId, clientMsgId, content), null);
    }

    /**
     * A raw Sync request: one page of the inbox, as the server returns it. Does not change the
     * client's state: the messages are not passed to the listener and {@link #lastSeq()} does not move.
     *
     * @param afterSeq page starts after this seq.
     * @param limit    largest number of messages, 0 for the server's maximum.
     * @return completes with the page (asked again after the server's delay when it answers BUSY, as it
     *         does while this client's own gap sync is in flight); fails if not logged in, on any other
     *         error, or if the connection is lost first.
     */
    public CompletableFuture<SyncResult> sync(final long afterSeq, final int limit)
    {
        if (afterSeq < 0 || limit < 0)
        {
            throw new IllegalArgumentException("afterSeq and limit must not be negative: " + afterSeq + ", " + limit);
        }
        final CompletableFuture<SyncResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRawSync(afterSeq, limit, future), future);
        return future;
    }

    /**
     * Send a message to every member of a group under a fresh client_msg_id; see
     * {@link #sendToGroup(long, String, Content)}.
     */
    public CompletableFuture<SendAck> sendToGroup(final long groupId, final Content content)
    {
        return sendToGroup(groupId, newClientMsgId(), content);
    }

    /**
     * Send a message to every member of a group: it is stored once per member's inbox (this user's
     * own included) in one durable write, then pushed to their online devices. Kept pending and resent
     * like {@link #send(long, String, Content)}; fails with NOT_A_MEMBER or NO_SUCH_GROUP.
     *
     * @param groupId     the group, positive.
     * @param clientMsgId unique per sender, 1..64 bytes of UTF-8.
     * @param content     what to send.
     * @return completes with the SendAck (seq of the copy in this user's inbox) on the client's event loop.
     */
    public CompletableFuture<SendAck> sendToGroup(final long groupId, final String clientMsgId, final Content content)
    {
        Objects.requireNonNull(clientMsgId, "clientMsgId");
        Objects.requireNonNull(content, "content");
        if (groupId <= 0)
        {
            return CompletableFuture.failedFuture(new XinClientException(ErrorCode.BAD_REQUEST,
                "groupId must be positive: " + groupId));
        }
        final int lengthBytes = utf8LengthBytes(clientMsgId);
        if (lengthBytes < 1 || lengthBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
        {
            return CompletableFuture.failedFuture(new XinClientException(
                ErrorCode.BAD_REQUEST, "clientMsgId must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES +
                " bytes of UTF-8, was " + lengthBytes));
        }
        final CompletableFuture<SendAck> future = new CompletableFuture<>();
        execute(() -> conductor.onSend(0, groupId, clientMsgId, content, future), future);
        return future;
    }

    /**
     * A group operation as built by the caller (the request id is set here). Not resent after a lost
     * connection: GROUP_CREATE is not idempotent, the others are (repeating one changes nothing).
     *
     * @param op the operation; see {@code GroupOpType} in docs/protocol.md for who may do what.
     * @return completes with the GroupResult, or fails with the server's code (NOT_A_MEMBER,
     *         NOT_ALLOWED, GROUP_FULL, NO_SUCH_GROUP, BAD_REQUEST) or when not logged in.
     */
    public CompletableFuture<GroupResult> group(final GroupOp.Builder op)
    {
        final GroupOp template = op.build();
        final CompletableFuture<GroupResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setGroupOp(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    /** Creates a group owned by this user with the given first members. */
    public CompletableFuture<GroupResult> createGroup(final String name, final boolean open, final long... members)
    {
        return group(GroupOp.newBuilder().setOp(GroupOpType.GROUP_CREATE).setName(name).setOpen(open)
            .addAllUserIds(ids(members)));
    }

    /** Runs {@code op} on {@code groupId} with the given users (add, remove, admins) or none (join, leave, list). */
    public CompletableFuture<GroupResult> group(final GroupOpType op, final long groupId, final long... userIds)
    {
        return group(GroupOp.newBuilder().setOp(op).setGroupId(groupId).addAllUserIds(ids(userIds)));
    }

    /** Renames a group (owner or admin). */
    public CompletableFuture<GroupResult> renameGroup(final long groupId, final String name)
    {
        return group(GroupOp.newBuilder().setOp(GroupOpType.GROUP_RENAME).setGroupId(groupId).setName(name));
    }

    /**
     * A friend operation as built by the caller (the request id is set here). Not resent after a lost connection;
     * every op but FRIEND_REQUEST's greeting is idempotent (repeating one changes nothing), so asking again is safe.
     *
     * @param op the operation; see "Friends, blocks and presence" in docs/protocol.md.
     * @return completes with the FriendResult (the requester's relation to the user after the op), or fails with the
     *         server's code (NOT_ALLOWED, BAD_REQUEST, or RATE_LIMITED with {@link XinClientException#retryAfterMs()}
     *         when a new request is over the user's budget: it refills in minutes, so it is the caller's to retry)
     *         or when not logged in.
     */
    public CompletableFuture<FriendResult> friend(final FriendOp.Builder op)
    {
        final FriendOp template = op.build();
        final CompletableFuture<FriendResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setFriendOp(template.toBuilder().setRequestId(requestId)).build(), future, false), future);
        return future;
    }

    /** Asks {@code userId} to be friends; to one who asked this user first, it is an acceptance. */
    public CompletableFuture<FriendResult> requestFriend(final long userId, final String greeting)
    {
        return friend(FriendOp.newBuilder().setOp(FriendOpType.FRIEND_REQUEST).setUserId(userId)
            .setGreeting(greeting == null ? "" : greeting));
    }

    /** Accepts the friend request of {@code userId}. */
    public CompletableFuture<FriendResult> acceptFriend(final long userId)
    {
        return friend(FriendOpType.FRIEND_ACCEPT, userId);
    }

    /** Declines the friend request of {@code userId}. */
    public CompletableFuture<FriendResult> declineFriend(final long userId)
    {
        return friend(FriendOpType.FRIEND_DECLINE, userId);
    }

    /** Ends a friendship (or a pending request) with {@code userId}, on both sides. */
    public CompletableFuture<FriendResult> removeFriend(final long userId)
    {
        return friend(FriendOpType.FRIEND_REMOVE, userId);
    }

    /**
     * Blocks {@code userId}: it can no longer message this user, add it to groups, send it requests or see its
     * presence, and is never told.
     */
    public CompletableFuture<FriendResult> block(final long userId)
    {
        return friend(FriendOpType.FRIEND_BLOCK, userId);
    }

    public CompletableFuture<FriendResult> unblock(final long userId)
    {
        return friend(FriendOpType.FRIEND_UNBLOCK, userId);
    }

    /**
     * This user's friends, blocked users and pending requests ({@code entries}, every page of them, by user id) and
     * privacy ({@code settings}). Pages are asked one after another (the switch answers one list or sync at a time
     * per device); for a very long list, {@link #friends(long, int)} reads a page at a time.
     */
    public CompletableFuture<FriendResult> friends()
    {
        return friendPages(FriendResult.newBuilder(), 0);
    }

    /**
     * One page of this user's views: those of users above {@code afterUserId}, at most {@code limit} (0: the switch's
     * page size); {@code more} says whether the next page starts after the last entry.
     */
    public CompletableFuture<FriendResult> friends(final long afterUserId, final int limit)
    {
        return friend(FriendOp.newBuilder().setOp(FriendOpType.FRIEND_LIST).setAfterUserId(afterUserId)
            .setLimit(limit));
    }

    private CompletableFuture<FriendResult> friendPages(final FriendResult.Builder all, final long afterUserId)
    {
        return friends(afterUserId, 0).thenCompose(page ->
        {
            all.mergeFrom(page);
            if (!page.getMore() || page.getEntriesCount() == 0)
            {
                return CompletableFuture.completedFuture(all.setMore(false).build());
            }
            return friendPages(all, page.getEntries(page.getEntriesCount() - 1).getUserId());
        });
    }

    /**
     * @param allowStrangers users who are not friends may send this user 1:1 messages and add it to groups.
     * @param hidePresence   friends do not see this user's online state or last seen.
     */
    public CompletableFuture<FriendResult> setPrivacy(final boolean allowStrangers, final boolean hidePresence)
    {
        return friend(FriendOp.newBuilder().setOp(FriendOpType.FRIEND_SET_PRIVACY).setSettings(
            PrivacySettings.newBuilder().setAllowStrangers(allowStrangers).setHidePresence(hidePresence)));
    }

    private CompletableFuture<FriendResult> friend(final FriendOpType op, final long userId)
    {
        return friend(FriendOp.newBuilder().setOp(op).setUserId(userId));
    }

    /**
     * A channel (official account) operation as built by the caller (the request id is set here).
     *
     * @return completes with the ChannelResult, or fails with the server's code (NO_SUCH_CHANNEL,
     *         NOT_ALLOWED, BAD_REQUEST) or when not logged in.
     */
    public CompletableFuture<ChannelResult> channel(final ChannelOp.Builder op)
    {
        final ChannelOp template = op.build();
        final CompletableFuture<ChannelResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setChannelOp(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    /** Creates a channel; this user is its owner and first publisher. */
    public CompletableFuture<ChannelResult> createChannel(final String name)
    {
        return channel(ChannelOp.newBuilder().setOp(ChannelOpType.CHANNEL_CREATE).setName(name));
    }

    /** Runs {@code op} on {@code channelId} with the given users (publishers, import) or none (follow, unfollow). */
    public CompletableFuture<ChannelResult> channel(final ChannelOpType op, final long channelId, final long... userIds)
    {
        return channel(ChannelOp.newBuilder().setOp(op).setChannelId(channelId).addAllUserIds(ids(userIds)));
    }

    /**
     * Posts to a channel (publishers only). Idempotent on (this user, clientMsgId): post again with the
     * same id after a failure and the switch answers with the original seq, {@code duplicate} set.
     */
    public CompletableFuture<ChannelResult> post(final long channelId, final String clientMsgId, final Content content)
    {
        return channel(ChannelOp.newBuilder().setOp(ChannelOpType.CHANNEL_POST).setChannelId(channelId)
            .setClientMsgId(clientMsgId).setContent(content));
    }

    /**
     * A contact discovery request as built by the caller (the request id is set here); {@link ContactDiscovery}
     * runs the whole protocol on top of it. Asked again after BUSY; a RATE_LIMITED answer fails it with the
     * server's {@link XinClientException#retryAfterMs()}.
     *
     * @return completes with the DiscoveryResult, or fails with the server's code (RATE_LIMITED, KEY_ROTATED,
     *         BAD_REQUEST, NOT_ALLOWED) or when not logged in.
     */
    public CompletableFuture<DiscoveryResult> discovery(final DiscoveryRequest.Builder request)
    {
        final DiscoveryRequest template = request.build();
        final CompletableFuture<DiscoveryResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setDiscovery(template.toBuilder().setRequestId(requestId)).build(), future, false), future);
        return future;
    }

    /**
     * Opts in to people nearby, or refreshes this user's location there. The switch keeps only the H3 cell the
     * location falls in (about 0.1 km²), never the coordinates, until the answer's {@code expires_at_ms}; others
     * see this user with a distance band, never a distance. Asked again after the server's delay when it answers
     * RATE_LIMITED or BUSY.
     *
     * @param latitude  degrees, -90..90 (WGS 84).
     * @param longitude degrees, -180..180.
     * @return completes with the NearbyResult; fails with LOCATION_REFUSED (coordinates off the globe, or too far
     *         from the last report for the time since), NOT_ALLOWED (a switch that does not serve people nearby),
     *         or when not logged in.
     */
    public CompletableFuture<NearbyResult> reportLocation(final double latitude, final double longitude)
    {
        return nearbyRequest(NearbyRequest.newBuilder().setOp(NearbyOp.NEARBY_REPORT)
            .setLatitude(latitude).setLongitude(longitude));
    }

    /**
     * One page of the people near this user's last reported location: closest bands first, up to 20 km, users who
     * blocked this one or whom it blocked left out.
     *
     * @param offset users to skip: 0, then the previous page's {@code next_offset}.
     * @param limit  the page size; 0 for the server's largest.
     * @return completes with the NearbyResult ({@code next_offset} 0 when there are no more); fails with
     *         BAD_REQUEST when this user has no location there (never reported, left, or expired).
     */
    public CompletableFuture<NearbyResult> nearby(final int offset, final int limit)
    {
        if (offset < 0 || limit < 0)
        {
            throw new IllegalArgumentException("offset and limit must not be negative: " + offset + ", " + limit);
        }
        return nearbyRequest(NearbyRequest.newBuilder().setOp(NearbyOp.NEARBY_QUERY).setOffset(offset)
            .setLimit(limit));
    }

    /**
     * Opts out of people nearby: the switch forgets this user's cell at once.
     */
    public CompletableFuture<NearbyResult> leaveNearby()
    {
        return nearbyRequest(NearbyRequest.newBuilder().setOp(NearbyOp.NEARBY_LEAVE));
    }

    private CompletableFuture<NearbyResult> nearbyRequest(final NearbyRequest.Builder request)
    {
        final NearbyRequest template = request.build();
        final CompletableFuture<NearbyResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setNearby(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    /**
     * Shakes without a location: pairs with anyone who shakes within the switch's window.
     *
     * @return completes with the final ShakeResult: MATCHED (the partner, and a band when both gave a location) or
     *         EXPIRED (nobody in the window); the interim WAITING is not passed on.
     */
    public CompletableFuture<ShakeResult> shake()
    {
        return shakeRequest(ShakeRequest.newBuilder());
    }

    /**
     * Shakes at a location: pairs with someone who shakes within the switch's window and, when both give a
     * location, within its distance. The switch keeps only the cell, and only until the shake ends.
     *
     * @param latitude  degrees, -90..90.
     * @param longitude degrees, -180..180.
     * @return completes with the final ShakeResult, MATCHED or EXPIRED; fails with LOCATION_REFUSED for
     *         coordinates off the globe.
     */
    public CompletableFuture<ShakeResult> shake(final double latitude, final double longitude)
    {
        return shakeRequest(ShakeRequest.newBuilder().setHasLocation(true).setLatitude(latitude)
            .setLongitude(longitude));
    }

    private CompletableFuture<ShakeResult> shakeRequest(final ShakeRequest.Builder request)
    {
        final ShakeRequest template = request.build();
        final CompletableFuture<ShakeResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setShake(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    /**
     * A raw ChannelSync page. Does not move this client's channel cursor nor call the listener; the
     * client pages followed channels by itself (see {@link Listener#onChannelPost(Message)}).
     */
    public CompletableFuture<ChannelSyncResult> channelSync(
        final long channelId, final long afterSeq, final int limit, final boolean includeHistory)
    {
        final CompletableFuture<ChannelSyncResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setChannelSync(ChannelSync.newBuilder().setRequestId(requestId).setChannelId(channelId)
                .setAfterSeq(afterSeq).setLimit(limit).setIncludeHistory(includeHistory)).build(), future), future);
        return future;
    }

    /**
     * The seq up to which this client handed a channel's posts to {@link Listener#onChannelPost(Message)}.
     *
     * @return the cursor, -1 when this client knows of no follow of the channel. Event loop only (from a
     *         listener callback), as it reads the loop's state.
     */
    public long channelCursor(final long channelId)
    {
        return conductor.channelCursor(channelId);
    }

    /**
     * Asks where to upload a photo, video, voice note or file (media, docs/protocol.md). Asking again for the same
     * bytes while their upload is in progress answers with that upload and its offset, so a client that lost its
     * ticket resumes. {@link io.xin.client.media.MediaUploader} does the rest.
     *
     * @param sizeBytes   the exact size of the bytes to upload (the ciphertext of an encrypted attachment).
     * @param contentType "image/jpeg", "audio/ogg", ...: its family sets the size limit.
     * @param sha256      SHA-256 of those bytes, 32 bytes.
     * @param durationMs  voice and video: length in milliseconds, else 0.
     * @return completes with the UploadTicketResult, or fails with the server's code (MEDIA_TOO_LARGE,
     *         QUOTA_EXCEEDED, BAD_REQUEST) or when not logged in.
     */
    public CompletableFuture<UploadTicketResult> uploadTicket(
        final long sizeBytes, final String contentType, final byte[] sha256, final int durationMs)
    {
        Objects.requireNonNull(contentType, "contentType");
        if (sha256 == null || sha256.length != 32 || sizeBytes < 1 || durationMs < 0)
        {
            return CompletableFuture.failedFuture(new XinClientException(ErrorCode.BAD_REQUEST,
                "uploadTicket needs a positive size, a 32-byte SHA-256 and a duration >= 0"));
        }
        final UploadTicket template = UploadTicket.newBuilder().setSizeBytes(sizeBytes).setContentType(contentType)
            .setSha256(ByteString.copyFrom(sha256)).setDurationMs(durationMs).build();
        final CompletableFuture<UploadTicketResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setUploadTicket(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    /**
     * Asks for a short-lived URL to download a blob a received message references.
     *
     * @param blobKey     MediaRef.blob_key.
     * @param accessToken MediaRef.access_token, as the switch stamped it on the stored message.
     * @return completes with the MediaUrlResult, or fails with the server's code (BAD_MEDIA_REF) or when not
     *         logged in.
     */
    public CompletableFuture<MediaUrlResult> mediaUrl(final String blobKey, final String accessToken)
    {
        final MediaUrl template = MediaUrl.newBuilder().setBlobKey(Objects.requireNonNull(blobKey, "blobKey"))
            .setAccessToken(Objects.requireNonNull(accessToken, "accessToken")).build();
        final CompletableFuture<MediaUrlResult> future = new CompletableFuture<>();
        execute(() -> conductor.onRequest(requestId -> Frame.newBuilder()
            .setMediaUrl(template.toBuilder().setRequestId(requestId)).build(), future), future);
        return future;
    }

    private static List<Long> ids(final long[] ids)
    {
        final List<Long> list = new ArrayList<>(ids.length);
        for (final long id : ids)
        {
            list.add(id);
        }
        return list;
    }

    /**
     * Tell the server this device has every message up to and including {@code upToSeq}. Only needed
     * with {@link Builder#autoAck(boolean) autoAck(false)}. Sent when logged in, otherwise after the
     * next login.
     *
     * @param upToSeq highest seq the application has processed.
     */
    public void ack(final long upToSeq)
    {
        execute(() -> conductor.onAck(upToSeq), null);
    }

    /**
     * The highest seq handed to {@link Listener#onMessage(Message)}; every seq below it was handed over
     * or removed by retention. Before the first login, the builder's {@code initialSeq} (0 if unset).
     *
     * @return the seq; safe to read from any thread.
     */
    public long lastSeq()
    {
        return conductor.lastSeqView();
    }

    /**
     * The user id from the latest LoginOk.
     *
     * @return the user id, 0 before the first login; safe to read from any thread.
     */
    public long userId()
    {
        return conductor.userIdView();
    }

    /**
     * @return the session's state; safe to read from any thread.
     */
    public State state()
    {
        return conductor.state();
    }

    /**
     * @return the number of sends not yet acknowledged; safe to read from any thread.
     */
    public int pendingSends()
    {
        return conductor.pendingSendsView();
    }

    /**
     * Stop: no more reconnects, the connection is closed, pending send, sync and connect futures fail
     * with a {@link XinClientException} saying the client was closed, and an event loop group the
     * client created is shut down. Idempotent. Called off the event loop it waits (a few seconds at
     * most) for that to finish; called on the event loop (from a callback) it does not wait.
     */
    @Override
    public void close()
    {
        if (!closeRequested.compareAndSet(false, true))
        {
            return;
        }

        final CompletableFuture<Void> closed = new CompletableFuture<>();
        try
        {
            eventLoop.execute(() ->
            {
                conductor.onClose();
                closed.complete(null);
            });
        }
        catch (final RejectedExecutionException ex)
        {
            closed.complete(null);
        }

        final boolean mayWait = !eventLoop.inEventLoop();
        if (mayWait)
        {
            try
            {
                closed.get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final Exception ignore)
            {
                // Closing goes on regardless.
            }
        }

        if (ownedGroup != null)
        {
            final io.netty.util.concurrent.Future<?> terminated =
                ownedGroup.shutdownGracefully(0, CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
            if (mayWait)
            {
                terminated.awaitUninterruptibly(CLOSE_WAIT_MS);
            }
        }
    }

    @Override
    public String toString()
    {
        return "XinClient{" + conductor + '}';
    }

    /**
     * A fresh client_msg_id: 128 random bits, base64url without padding (22 characters).
     *
     * @return the id.
     */
    public static String newClientMsgId()
    {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        final byte[] bytes = new byte[16];
        long bits = random.nextLong();
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)bits;
            bits >>>= 8;
        }
        bits = random.nextLong();
        for (int i = 8; i < 16; i++)
        {
            bytes[i] = (byte)bits;
            bits >>>= 8;
        }
        return CLIENT_MSG_ID_ENCODER.encodeToString(bytes);
    }

    static int utf8LengthBytes(final String value)
    {
        int lengthBytes = 0;
        for (int i = 0, length = value.length(); i < length; i++)
        {
            final char c = value.charAt(i);
            if (c < 0x80)
            {
                lengthBytes += 1;
            }
            else if (c < 0x800)
            {
                lengthBytes += 2;
            }
            else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(value.charAt(i + 1)))
            {
                lengthBytes += 4;
                i++;
            }
            else
            {
                lengthBytes += 3;
            }
        }
        return lengthBytes;
    }

    private void execute(final Runnable task, final CompletableFuture<?> future)
    {
        try
        {
            eventLoop.execute(task);
        }
        catch (final RejectedExecutionException ex)
        {
            if (future != null)
            {
                future.completeExceptionally(
                    new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "client closed: event loop shut down", ex));
            }
        }
    }

    /**
     * The session's life.
     */
    public enum State
    {
        /** Built; {@link #connect()} not called yet. */
        NEW,
        /** Connecting or logging in. */
        CONNECTING,
        /** Logged in: sends go out, messages come in. */
        LOGGED_IN,
        /**
         * No connection. Waiting to reconnect when the session was established and auto reconnect is on;
         * otherwise waiting for {@link #connect()}.
         */
        DISCONNECTED,
        /** A newer login of this device replaced the session; no automatic reconnect. */
        KICKED,
        /** {@link #close()} was called. Final. */
        CLOSED
    }

    /**
     * Receives what happens to the session. Every callback runs on the client's event loop and must not
     * block it; an exception thrown by a callback is logged and otherwise ignored.
     */
    public interface Listener
    {
        /**
         * The next message of this user's inbox: each seq once, strictly increasing, pushes and sync
         * pages merged.
         *
         * @param message the stored message.
         */
        default void onMessage(final Message message)
        {
        }

        /**
         * A login (the first or a relogin) succeeded, before the sync and the resends it triggers.
         *
         * @param ok the server's answer.
         */
        default void onLogin(final LoginOk ok)
        {
        }

        /**
         * The state changed.
         *
         * @param state the new state.
         */
        default void onStateChange(final State state)
        {
        }

        /**
         * A newer login of this device replaced this one; the client will not reconnect. Not called for
         * {@code Kicked{reason: "moved"}}: that is {@link #onMoved(String)}.
         *
         * @param reason the server's reason.
         */
        default void onKicked(final String reason)
        {
        }

        /**
         * Cluster mode: the node does not serve this user (a login answered {@code MOVED}), or stopped serving
         * it ({@code Kicked{reason: "moved"}}). The client keeps its pending sends and connects to
         * {@code address}, or, when it is empty, to the seed addresses ({@link Builder#addresses(List)}); the
         * sends go again after the next login.
         *
         * @param address "host:port" of the node that serves the user, or "" when the server named none.
         */
        default void onMoved(final String address)
        {
        }

        /**
         * The server is going away; the client reconnects after the delay it asked for.
         *
         * @param goAway reason and delay.
         */
        default void onGoAway(final GoAway goAway)
        {
        }

        /**
         * The server reported an error, or refused a login (then presented as a fatal Error with the
         * LoginError's code, message and retry delay).
         *
         * @param error the error.
         */
        default void onError(final io.xin.protocol.pb.Error error)
        {
        }

        /**
         * A post of a followed channel, once each and in seq order per channel: pushed, or paged by the
         * client after login, after a follow, or when a push skipped seqs.
         *
         * @param post the post, with {@code channel_id} and its timeline {@code seq}.
         */
        default void onChannelPost(final Message post)
        {
        }

        /**
         * A friend change the switch wrote to this user's inbox (a request, an acceptance, a decline, a removal, or
         * this user's own block or unblock), just after {@link #onMessage(Message)} of the same message: in inbox
         * order, once each.
         *
         * @param event   the change, parsed from the message's body.
         * @param message the FRIEND_EVENT message.
         */
        default void onFriendEvent(final FriendEvent event, final Message message)
        {
        }

        /**
         * Online state and last seen of friends: a snapshot after each login (when this user has friends), then the
         * changes, at most one update per push interval, the latest state of each friend that changed.
         *
         * @param update the entries, by user id.
         */
        default void onPresence(final PresenceUpdate update)
        {
        }

        /**
         * A send was acknowledged, just before its future completes.
         *
         * @param ack the ack.
         */

        default void onSendAck(final SendAck ack)
        {
        }

        /**
         * A send failed for good (refused by the server, too large, or the client was closed or kicked first), just
         * before its future, if it has one, fails.
         *
         * @param clientMsgId the send's client_msg_id.
         * @param failure     why, with the server's code when the server refused it.
         */
        default void onSendFailed(final String clientMsgId, final XinClientException failure)
        {
        }
    }

    /**
     * Configuration of a {@link XinClient}. Not thread-safe; {@link #build()} copies what it needs.
     */
    public static final class Builder
    {
        /** Listener that ignores everything. */
        static final Listener NO_OP_LISTENER = new Listener()
        {
        };

        String host;
        int port;
        /** The seed addresses; null when only {@link #host(String)} and {@link #port(int)} are given. */
        List<InetSocketAddress> addresses;
        Supplier<String> tokenSupplier;
        String deviceId;
        Listener listener = NO_OP_LISTENER;
        EventLoopGroup eventLoopGroup;
        long initialSeq = -1;
        boolean autoReconnect = true;
        long reconnectInitialDelayMs = 500;
        long reconnectMaxDelayMs = 30_000;
        long ackTimeoutMs = 10_000;
        boolean autoAck = true;
        boolean passOwnSends = true;
        long ackDelayMs = 1_000;
        int syncPageLimit = 0;
        long connectTimeoutMs = 10_000;
        int maxFrameLengthBytes = ProtocolLimits.DEFAULT_CLIENT_MAX_FRAME_LENGTH_BYTES;
        SslContext sslContext;
        String clientVersion = "xin-java/0.1";
        java.net.InetAddress localAddress;
        Class<? extends io.netty.channel.Channel> channelType = io.netty.channel.socket.nio.NioSocketChannel.class;

        private Builder()
        {
        }

        /**
         * @param host the switch's (or load balancer's) host name or address; resolved on the event loop
         *             at every connect, so an address avoids blocking it on DNS.
         * @return this.
         */
        public Builder host(final String host)
        {
            this.host = host;
            return this;
        }

        /**
         * @param port the switch's TCP port.
         * @return this.
         */
        public Builder port(final int port)
        {
            this.port = port;
            return this;
        }

        /**
         * Seed addresses, instead of {@link #host(String)} and {@link #port(int)}: every node of a cluster, or its
         * load balancer. The client connects to the first; when a connection attempt fails (no connection, or
         * closed before its login succeeded), the next attempt goes to the next seed, round robin. A node that does
         * not serve the user redirects the client ({@code MOVED}; see {@link Listener#onMoved(String)}). The host
         * of each address is resolved at every connect, on the event loop: give unresolved addresses
         * ({@link InetSocketAddress#createUnresolved}) or literal IP addresses.
         *
         * @param addresses one or more addresses; copied.
         * @return this.
         */
        public Builder addresses(final List<InetSocketAddress> addresses)
        {
            Objects.requireNonNull(addresses, "addresses");
            this.addresses = List.copyOf(addresses);
            return this;
        }

        /** The seeds: {@link #addresses(List)}, or the one host and port. */
        List<InetSocketAddress> seeds()
        {
            return addresses != null ? addresses : List.of(InetSocketAddress.createUnresolved(host, port));
        }

        /**
         * @param token the JWT sent at every login; use {@link #tokenSupplier(Supplier)} when it expires.
         * @return this.
         */
        public Builder token(final String token)
        {
            Objects.requireNonNull(token, "token");
            this.tokenSupplier = () -> token;
            return this;
        }

        /**
         * @param tokenSupplier called on the event loop at every (re)login for the JWT to send; must not
         *                      block.
         * @return this.
         */
        public Builder tokenSupplier(final Supplier<String> tokenSupplier)
        {
            this.tokenSupplier = tokenSupplier;
            return this;
        }

        /**
         * @param deviceId stable id of this device for its user, 1..64 bytes of UTF-8.
         * @return this.
         */
        public Builder deviceId(final String deviceId)
        {
            this.deviceId = deviceId;
            return this;
        }

        /**
         * @param listener receives messages and session events on the event loop.
         * @return this.
         */
        public Builder listener(final Listener listener)
        {
            this.listener = listener;
            return this;
        }

        /**
         * @param eventLoopGroup a group to share, of the transport {@link #channelType(Class)} names (the client
         *                       uses one of its loops and never shuts it down); by default the client creates
         *                       a single-thread NIO group of its own.
         * @return this.
         */
        public Builder eventLoopGroup(final EventLoopGroup eventLoopGroup)
        {
            this.eventLoopGroup = eventLoopGroup;
            return this;
        }

        /**
         * @param initialSeq the highest seq the application already has (from its own store); -1, the
         *                   default, starts from the device's cursor reported at the first login.
         * @return this.
         */
        public Builder initialSeq(final long initialSeq)
        {
            this.initialSeq = initialSeq;
            return this;
        }

        /**
         * @param autoReconnect whether to reconnect after the session was lost; default true.
         * @return this.
         */
        public Builder autoReconnect(final boolean autoReconnect)
        {
            this.autoReconnect = autoReconnect;
            return this;
        }

        /**
         * @param reconnectInitialDelayMs ceiling of the first reconnect delay in milliseconds; default 500.
         * @return this.
         */
        public Builder reconnectInitialDelayMs(final long reconnectInitialDelayMs)
        {
            this.reconnectInitialDelayMs = reconnectInitialDelayMs;
            return this;
        }

        /**
         * @param reconnectMaxDelayMs largest ceiling of a reconnect delay in milliseconds; default 30 000.
         * @return this.
         */
        public Builder reconnectMaxDelayMs(final long reconnectMaxDelayMs)
        {
            this.reconnectMaxDelayMs = reconnectMaxDelayMs;
            return this;
        }

        /**
         * @param ackTimeoutMs resend an unacknowledged send, same client_msg_id, on the same connection
         *                     after this many milliseconds; default 10 000.
         * @return this.
         */
        public Builder ackTimeoutMs(final long ackTimeoutMs)
        {
            this.ackTimeoutMs = ackTimeoutMs;
            return this;
        }

        /**
         * @param autoAck whether to acknowledge messages once the listener has them (one Ack per
         *                {@link #ackDelayMs(long) ackDelayMs}); default true. Otherwise call {@link XinClient#ack(long)}.
         * @return this.
         */
        public Builder autoAck(final boolean autoAck)
        {
            this.autoAck = autoAck;
            return this;
        }

        /**
         * @param passOwnSends whether a message this client sent reaches {@link Listener#onMessage(Message)} as the
         *                     inbox message its SendAck makes of it (default true). With false the inbox moves past
         *                     its seq without building the message, for a sender that keeps its own copy (it has the
         *                     content and the {@link SendAck}); it still comes in a sync page like any message
         *                     when the client syncs past it (after a gap or a relogin).
         * @return this.
         */
        public Builder passOwnSends(final boolean passOwnSends)
        {
            this.passOwnSends = passOwnSends;
            return this;
        }

        /**
         * @param ackDelayMs with {@code autoAck}, how long the cursor {@code Ack} waits after the first message it
         *                   covers, so that it covers every message of that span; default 1 000. 0 acknowledges
         *                   at the end of every read of the socket. At a few messages a second per device this cuts
         *                   the Acks (each a frame, a ring event and a storage write on the switch) to about one
         *                   a second. Messages are never held back by it; only the stored cursor lags.
         * @return this.
         */
        public Builder ackDelayMs(final long ackDelayMs)
        {
            if (ackDelayMs < 0)
            {
                throw new IllegalArgumentException("ackDelayMs must be >= 0: " + ackDelayMs);
            }
            this.ackDelayMs = ackDelayMs;
            return this;
        }

        /**
         * @param syncPageLimit messages per sync page; default 0, the server's maximum.
         * @return this.
         */
        public Builder syncPageLimit(final int syncPageLimit)
        {
            this.syncPageLimit = syncPageLimit;
            return this;
        }

        /**
         * @param connectTimeoutMs give up a connect attempt, TCP connect and login included, after this
         *                         many milliseconds; default 10 000.
         * @return this.
         */
        public Builder connectTimeoutMs(final long connectTimeoutMs)
        {
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        /**
         * @param maxFrameLengthBytes largest frame accepted from the server, length prefix excluded;
         *                            default {@link ProtocolLimits#DEFAULT_CLIENT_MAX_FRAME_LENGTH_BYTES}.
         * @return this.
         */
        public Builder maxFrameLengthBytes(final int maxFrameLengthBytes)
        {
            this.maxFrameLengthBytes = maxFrameLengthBytes;
            return this;
        }

        /**
         * Connect through TLS. The context decides what is trusted, e.g.
         * {@code SslContextBuilder.forClient().trustManager(caCertificateFile).build()}; the host given to
         * {@link #host(String)} is checked against the server's certificate.
         *
         * @param sslContext a client context, or null for plain TCP (the default).
         * @return this.
         */
        public Builder sslContext(final SslContext sslContext)
        {
            if (sslContext != null && !sslContext.isClient())
            {
                throw new IllegalArgumentException("sslContext must be a client context");
            }
            this.sslContext = sslContext;
            return this;
        }

        /**
         * @param clientVersion free-form, sent at login for the server's logs and metrics.
         * @return this.
         */
        public Builder clientVersion(final String clientVersion)
        {
            this.clientVersion = clientVersion;
            return this;
        }

        /**
         * @param localAddress the local (source) address every connection binds to, with an ephemeral
         *                     port; null, the default, lets the kernel choose. Spreading many clients over
         *                     several source addresses (127.0.0.1, 127.0.0.2, ...) lifts the limit of about
         *                     28,000 ephemeral ports per source address and destination.
         * @return this.
         */
        public Builder localAddress(final java.net.InetAddress localAddress)
        {
            this.localAddress = localAddress;
            return this;
        }

        /**
         * @param channelType the socket channel class matching the {@link #eventLoopGroup(EventLoopGroup)}'s
         *                    transport (e.g. {@code EpollSocketChannel} on an epoll group); default
         *                    {@code NioSocketChannel}.
         * @return this.
         */
        public Builder channelType(final Class<? extends io.netty.channel.Channel> channelType)
        {
            this.channelType = channelType;
            return this;
        }

        /**
         * Validate and build. The client does nothing until {@link XinClient#connect()}.
         *
         * @return a new client.
         * @throws IllegalArgumentException if a setting is missing or out of range.
         */
        public XinClient build()
        {
            if (addresses != null)
            {
                require(!addresses.isEmpty(), "addresses must not be empty");
                for (final InetSocketAddress address : addresses)
                {
                    require(address.getPort() > 0, "every address needs a port: " + address);
                }
            }
            else
            {
                require(host != null && !host.isEmpty(), "host (or addresses) is required");
                require(port > 0 && port <= 65_535, "port must be 1..65535: " + port);
            }
            require(tokenSupplier != null, "token or tokenSupplier is required");
            require(deviceId != null, "deviceId is required");
            final int deviceIdBytes = utf8LengthBytes(deviceId);
            require(deviceIdBytes >= 1 && deviceIdBytes <= ProtocolLimits.MAX_ID_LENGTH_BYTES,
                "deviceId must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES + " bytes of UTF-8: " + deviceIdBytes);
            require(listener != null, "listener must not be null");
            require(initialSeq >= -1, "initialSeq must be -1 or a seq: " + initialSeq);
            require(reconnectInitialDelayMs > 0, "reconnectInitialDelayMs must be positive: " + reconnectInitialDelayMs);
            require(reconnectMaxDelayMs >= reconnectInitialDelayMs,
                "reconnectMaxDelayMs must be at least reconnectInitialDelayMs: " + reconnectMaxDelayMs);
            require(ackTimeoutMs > 0, "ackTimeoutMs must be positive: " + ackTimeoutMs);
            require(syncPageLimit >= 0, "syncPageLimit must not be negative: " + syncPageLimit);
            require(connectTimeoutMs > 0 && connectTimeoutMs <= Integer.MAX_VALUE,
                "connectTimeoutMs must be 1.." + Integer.MAX_VALUE + ": " + connectTimeoutMs);
            require(maxFrameLengthBytes > 0, "maxFrameLengthBytes must be positive: " + maxFrameLengthBytes);
            require(clientVersion != null, "clientVersion must not be null");
            require(channelType != null, "channelType must not be null");
            return new XinClient(this);
        }

        private static void require(final boolean condition, final String message)
        {
            if (!condition)
            {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
