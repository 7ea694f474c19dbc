package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelResult;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GroupEvent;
import io.xin.protocol.pb.GroupMember;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.GroupResult;
import io.xin.protocol.pb.GroupRole;
import io.xin.protocol.pb.Message;
import io.xin.storage.AudienceBatch;
import io.xin.storage.AudienceStore;
import io.xin.storage.ChannelRecord;
import io.xin.storage.DedupeRecord;
import io.xin.storage.GroupRecord;
import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The journal's handling of groups and channels (official accounts): membership checks and fan-out
 * on write for groups, the post timeline and follows for channels. It runs on the journal thread,
 * inside the journal's batch, so a membership change and the messages around it are ordered by the
 * one ring and written by the same atomic writes; seqs and msg_ids come from the journal.
 * <p>
 * Groups and channels are cached once read (membership is small; a channel's followers are not
 * cached, they stay in RocksDB). The caches are the authority for the next change, like the journal's
 * head cache: after a failed write they are dropped and read again.
 * <p>
 * All fields are owned by the journal thread.
 */
final class Audiences
{
    static final byte ROLE_MEMBER = 0;
    static final byte ROLE_ADMIN = 1;
    static final byte ROLE_OWNER = 2;
    private static final long NOT_MEMBER = -1;

    private final Journal journal;
    private final JournalBatch batch;
    private final AudienceStore store;
    private final XinStore inboxStore;
    private final AudienceBatch puts;
    private final SwitchCounters counters;
    private final LongSupplier clockMs;
    private final int maxGroupMembers;
    private final int maxChannelPublishers;
    /** Groups read or changed since start (or since the last failed write). */
    private final Long2ObjectHashMap<GroupState> groups = new Long2ObjectHashMap<>();
    /** Channels read or changed since start (or since the last failed write). */
    private final Long2ObjectHashMap<ChannelState> channels = new Long2ObjectHashMap<>();
    /** Posts of the current batch by publisher, channel and client_msg_id, so a resend within one batch is caught. */
    private final Map<String, SwitchEvent> batchPosts = new HashMap<>();
    private long lastId;
    private long lastWrittenId;

    Audiences(
        final Journal journal,
        final XinStore store,
        final JournalBatch batch,
        final SwitchCounters counters,
        final LongSupplier clockMs,
        final int maxGroupMembers,
        final int maxChannelPublishers)
    {
        this.journal = journal;
        this.batch = batch;
        this.inboxStore = store;
        this.store = store.audiences();
        this.puts = this.store.newBatch(batch);
        this.counters = counters;
        this.clockMs = clockMs;
        this.maxGroupMembers = maxGroupMembers;
        this.maxChannelPublishers = maxChannelPublishers;
        this.lastId = this.store.readLastId();
        this.lastWrittenId = lastId;
    }

    // ------------------------------------------------------------------------------------------ groups

    /**
     * A send to a group that the dedupe index has not seen: checks membership, then appends the
     * message to every member's inbox (the sender's own included) in this batch.
     *
     * @return true when stored (in this batch); false when refused.
     */
    boolean onGroupSend(final SwitchEvent event, final long senderId)
    {
        final GroupState group = group(event.groupId);
        if (group == null)
        {
            return refuse(event, ErrorCode.NO_SUCH_GROUP, "no group " + event.groupId);
        }
        if (group.role(senderId) == NOT_MEMBER)
        {
            return refuse(event, ErrorCode.NOT_A_MEMBER, "not a member of group " + event.groupId);
        }
        final long nowMs = clockMs.getAsLong();
        final long msgId = journal.nextMsgId();
        final Message message = Message.newBuilder()
            .setMsgId(msgId)
            .setFromUserId(senderId)
            .setGroupId(group.groupId)
            .setFromDeviceId(event.session.deviceId())
            .setClientMsgId(event.clientMsgId)
            .setServerTimeMs(nowMs)
            .setContent(event.content)
            .build();
        final AudienceWork work = fanOut(message, group, null);
        final long senderSeq = seqOf(work, senderId);
        batch.putDedupe(senderId, event.clientMsgIdBytes, event.clientMsgIdLength, msgId, senderSeq, nowMs);
        counters.groupMessagesStored.increment();
        counters.groupInboxCopies.add(work.count);
        event.result = SwitchEvent.RESULT_OK;
        event.msgId = msgId;
        event.senderSeq = senderSeq;
        event.serverTimeMs = nowMs;
        event.message = message;
        event.audience = work;
        return true;
    }

    /**
     * @return true when the op changed or read something (it is part of the batch); false when refused.
     */
    boolean onGroupOp(final SwitchEvent event)
    {
        final GroupOp op = (GroupOp)event.request;
        final long actor = event.session.userId();
        if (op.getOp() == GroupOpType.GROUP_CREATE)
        {
            return create(event, op, actor);
        }
        final GroupState group = group(op.getGroupId());
        if (group == null)
        {
            return refuse(event, ErrorCode.NO_SUCH_GROUP, "no group " + op.getGroupId());
        }
        final long actorRole = group.role(actor);
        if (op.getOp() == GroupOpType.GROUP_JOIN)
        {
            return join(event, group, actor, actorRole);
        }
        if (actorRole == NOT_MEMBER)
        {
            return refuse(event, ErrorCode.NOT_A_MEMBER, "not a member of group " + group.groupId);
        }
        return switch (op.getOp())
        {
            case GROUP_ADD_MEMBERS -> addMembers(event, op, group, actor);
            case GROUP_LEAVE -> leave(event, group, actor);
            case GROUP_REMOVE_MEMBERS -> removeMembers(event, op, group, actor, actorRole);
            case GROUP_RENAME -> rename(event, op, group, actor, actorRole);
            case GROUP_LIST_MEMBERS -> list(event, group);
            case GROUP_ADD_ADMINS, GROUP_REMOVE_ADMINS -> admins(event, op, group, actor, actorRole);
            default -> refuse(event, ErrorCode.BAD_REQUEST, "unknown group op " + op.getOpValue());
        };
    }

    private boolean create(final SwitchEvent event, final GroupOp op, final long actor)
    {
        final long[] invited = distinctOthers(op.getUserIdsList(), actor);
        if (invited.length + 1 > maxGroupMembers)
        {
            return refuse(event, ErrorCode.GROUP_FULL, "a group holds at most " + maxGroupMembers + " members");
        }
        final long refusing = journal.friends().firstRefusing(invited, invited.length, actor);
        if (refusing != 0)
        {
            // The whole op: a group is not made without someone who was asked for.
            return refuse(event, ErrorCode.NOT_FRIENDS, Friends.notFriends(refusing));
        }
        final GroupState group = new GroupState(++lastId, actor, op.getName(), op.getOpen());
        groups.put(group.groupId, group);
        puts.putGroup(group.groupId, actor, group.open, group.name);
        group.roles.put(actor, ROLE_OWNER);
        puts.putMember(group.groupId, actor, ROLE_OWNER);
        for (final long userId : invited)
        {
            group.roles.put(userId, ROLE_MEMBER);
            puts.putMember(group.groupId, userId, ROLE_MEMBER);
        }
        counters.groupsCreated.increment();
        return changed(event, group, actor, GroupOpType.GROUP_CREATE, invited, 0, null);
    }

    private boolean join(final SwitchEvent event, final GroupState group, final long actor, final long actorRole)
    {
        if (actorRole != NOT_MEMBER)
        {
            return unchanged(event, group, GroupOpType.GROUP_JOIN);
        }
        if (!group.open)
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "group " + group.groupId + " is not open; ask a member to add you");
        }
        if (group.roles.size() + 1 > maxGroupMembers)
        {
            return refuse(event, ErrorCode.GROUP_FULL, "group " + group.groupId + " has " + maxGroupMembers + " members");
        }
        group.roles.put(actor, ROLE_MEMBER);
        puts.putMember(group.groupId, actor, ROLE_MEMBER);
        return changed(event, group, actor, GroupOpType.GROUP_JOIN, new long[]{ actor }, 0, null);
    }

    private boolean addMembers(final SwitchEvent event, final GroupOp op, final GroupState group, final long actor)
    {
        final LongArrayList added = new LongArrayList();
        for (final long userId : distinctOthers(op.getUserIdsList(), actor))
        {
            if (group.role(userId) == NOT_MEMBER)
            {
                added.addLong(userId);
            }
        }
        if (added.isEmpty())
        {
            return unchanged(event, group, GroupOpType.GROUP_ADD_MEMBERS);
        }
        if (group.roles.size() + added.size() > maxGroupMembers)
        {
            return refuse(event, ErrorCode.GROUP_FULL, "group " + group.groupId + " would pass " + maxGroupMembers +
                " members");
        }
        final long[] adding = added.toLongArray();
        final long refusing = journal.friends().firstRefusing(adding, adding.length, actor);
        if (refusing != 0)
        {
            return refuse(event, ErrorCode.NOT_FRIENDS, Friends.notFriends(refusing));
        }
        for (int i = 0; i < added.size(); i++)
        {
            group.roles.put(added.getLong(i), ROLE_MEMBER);
            puts.putMember(group.groupId, added.getLong(i), ROLE_MEMBER);
        }
        return changed(event, group, actor, GroupOpType.GROUP_ADD_MEMBERS, added.toLongArray(), 0, null);
    }

    private boolean leave(final SwitchEvent event, final GroupState group, final long actor)
    {
        final long role = group.role(actor);
        group.roles.remove(actor);
        puts.deleteMember(group.groupId, actor);
        long newOwner = 0;
        if (role == ROLE_OWNER && !group.roles.isEmpty())
        {
            newOwner = successor(group);
            group.ownerId = newOwner;
            group.roles.put(newOwner, ROLE_OWNER);
            puts.putMember(group.groupId, newOwner, ROLE_OWNER);
            puts.putGroup(group.groupId, newOwner, group.open, group.name);
        }
        return changed(event, group, actor, GroupOpType.GROUP_LEAVE, new long[]{ actor }, newOwner, new long[]{ actor });
    }

    private boolean removeMembers(
        final SwitchEvent event, final GroupOp op, final GroupState group, final long actor, final long actorRole)
    {
        if (actorRole < ROLE_ADMIN)
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "only the owner or an admin may remove members");
        }
        final LongArrayList removed = new LongArrayList();
        for (final long userId : distinctOthers(op.getUserIdsList(), actor))
        {
            final long role = group.role(userId);
            if (role == NOT_MEMBER)
            {
                continue;
            }
            if (role >= actorRole)
            {
                return refuse(event, ErrorCode.NOT_ALLOWED, "user " + userId + " is " +
                    (role == ROLE_OWNER ? "the owner" : "an admin") + "; only the owner may remove an admin");
            }
            removed.addLong(userId);
        }
        if (removed.isEmpty())
        {
            return unchanged(event, group, GroupOpType.GROUP_REMOVE_MEMBERS);
        }
        final long[] gone = removed.toLongArray();
        for (final long userId : gone)
        {
            group.roles.remove(userId);
            puts.deleteMember(group.groupId, userId);
        }
        return changed(event, group, actor, GroupOpType.GROUP_REMOVE_MEMBERS, gone, 0, gone);
    }

    private boolean rename(
        final SwitchEvent event, final GroupOp op, final GroupState group, final long actor, final long actorRole)
    {
        if (actorRole < ROLE_ADMIN)
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "only the owner or an admin may rename the group");
        }
        group.name = op.getName();
        puts.putGroup(group.groupId, group.ownerId, group.open, group.name);
        return changed(event, group, actor, GroupOpType.GROUP_RENAME, new long[0], 0, null);
    }

    private boolean admins(
        final SwitchEvent event, final GroupOp op, final GroupState group, final long actor, final long actorRole)
    {
        if (actorRole != ROLE_OWNER)
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "only the owner may change admins");
        }
        final boolean add = op.getOp() == GroupOpType.GROUP_ADD_ADMINS;
        final byte newRole = add ? ROLE_ADMIN : ROLE_MEMBER;
        final LongArrayList changedUsers = new LongArrayList();
        for (final long userId : distinctOthers(op.getUserIdsList(), actor))
        {
            final long role = group.role(userId);
            if (role == NOT_MEMBER)
            {
                return refuse(event, ErrorCode.NOT_A_MEMBER, "user " + userId + " is not a member of group " +
                    group.groupId);
            }
            if (role != newRole)
            {
                changedUsers.addLong(userId);
            }
        }
        if (changedUsers.isEmpty())
        {
            return unchanged(event, group, op.getOp());
        }
        final long[] users = changedUsers.toLongArray();
        for (final long userId : users)
        {
            group.roles.put(userId, newRole);
            puts.putMember(group.groupId, userId, newRole);
        }
        return changed(event, group, actor, op.getOp(), users, 0, null);
    }

    private boolean list(final SwitchEvent event, final GroupState group)
    {
        final long[] members = group.sortedMembers();
        final GroupResult.Builder result = result(event, group, GroupOpType.GROUP_LIST_MEMBERS);
        for (final long userId : members)
        {
            result.addMembers(GroupMember.newBuilder().setUserId(userId).setRoleValue((int)group.role(userId)));
        }
        return answer(event, Frame.newBuilder().setGroupResult(result).build(), new AudienceWork());
    }

    /** The owner's successor: the lowest-id admin, else the lowest-id member. */
    private static long successor(final GroupState group)
    {
        long admin = Long.MAX_VALUE;
        long member = Long.MAX_VALUE;
        final Long2LongHashMap.KeyIterator users = group.roles.keySet().iterator();
        while (users.hasNext())
        {
            final long userId = users.nextValue();
            if (group.role(userId) == ROLE_ADMIN)
            {
                admin = Math.min(admin, userId);
            }
            member = Math.min(member, userId);
        }
        return admin != Long.MAX_VALUE ? admin : member;
    }

    /**
     * Appends a GROUP_EVENT message to every member's inbox (and to {@code alsoTo}, who just left)
     * and answers the requester.
     */
    private boolean changed(
        final SwitchEvent event,
        final GroupState group,
        final long actor,
        final GroupOpType type,
        final long[] users,
        final long newOwner,
        final long[] alsoTo)
    {
        final GroupEvent.Builder change = GroupEvent.newBuilder().setOp(type).setActorUserId(actor).setName(group.name);
        for (final long userId : users)
        {
            change.addUserIds(userId);
        }
        if (newOwner != 0)
        {
            change.setNewOwnerUserId(newOwner);
        }
        final Message message = Message.newBuilder()
            .setMsgId(journal.nextMsgId())
            .setFromUserId(actor)
            .setGroupId(group.groupId)
            .setFromDeviceId(event.session.deviceId())
            .setServerTimeMs(clockMs.getAsLong())
            .setContent(Content.newBuilder().setType(ContentType.GROUP_EVENT).setBody(change.build().toByteString()))
            .build();
        final AudienceWork work = fanOut(message, group, alsoTo);
        counters.groupMembershipChanges.increment();
        final GroupResult.Builder result = result(event, group, type)
            .setSeq(seqOf(work, actor))
            .setMsgId(message.getMsgId());
        return answer(event, Frame.newBuilder().setGroupResult(result).build(), work);
    }

    private boolean unchanged(final SwitchEvent event, final GroupState group, final GroupOpType type)
    {
        return answer(event, Frame.newBuilder().setGroupResult(result(event, group, type)).build(), new AudienceWork());
    }

    private static GroupResult.Builder result(final SwitchEvent event, final GroupState group, final GroupOpType type)
    {
        return GroupResult.newBuilder()
            .setRequestId(event.requestId)
            .setOp(type)
            .setGroupId(group.groupId)
            .setName(group.name)
            .setMemberCount(group.roles.size())
            .setOpen(group.open);
    }

    /** Puts the message in the inbox of every member and of {@code alsoTo}; each gets the next seq of its inbox. */
    private AudienceWork fanOut(final Message message, final GroupState group, final long[] alsoTo)
    {
        final int capacity = group.roles.size() + (alsoTo == null ? 0 : alsoTo.length);
        final AudienceWork work = new AudienceWork();
        work.message = message;
        work.userIds = new long[capacity];
        work.seqs = new long[capacity];
        final byte[] stored = message.toByteArray();
        work.stored = stored;
        // Into the log once, however many inboxes take it.
        batch.payload(stored, stored.length);
        final Long2LongHashMap.KeyIterator members = group.roles.keySet().iterator();
        while (members.hasNext())
        {
            append(work, members.nextValue(), stored);
        }
        if (alsoTo != null)
        {
            for (final long userId : alsoTo)
            {
                append(work, userId, stored);
            }
        }
        return work;
    }

    private void append(final AudienceWork work, final long userId, final byte[] stored)
    {
        final long seq = journal.nextSeq(userId);
        batch.putInboxPayload(userId, seq);
        work.userIds[work.count] = userId;
        work.seqs[work.count] = seq;
        work.count++;
    }

    private static long seqOf(final AudienceWork work, final long userId)
    {
        for (int i = 0; i < work.count; i++)
        {
            if (work.userIds[i] == userId)
            {
                return work.seqs[i];
            }
        }
        return 0;
    }

    private GroupState group(final long groupId)
    {
        GroupState group = groups.get(groupId);
        if (group == null)
        {
            final GroupRecord record = store.readGroup(groupId);
            if (record == null)
            {
                return null;
            }
            group = new GroupState(groupId, record.ownerId(), record.name(), record.open());
            for (int i = 0; i < record.memberIds().length; i++)
            {
                group.roles.put(record.memberIds()[i], record.roles()[i]);
            }
            groups.put(groupId, group);
        }
        return group;
    }

    // ---------------------------------------------------------------------------------------- channels

    /**
     * @return true when the op changed or read something (it is part of the batch); false when refused.
     */
    boolean onChannelOp(final SwitchEvent event)
    {
        final ChannelOp op = (ChannelOp)event.request;
        final long actor = event.session.userId();
        if (op.getOp() == ChannelOpType.CHANNEL_CREATE)
        {
            final ChannelState channel = new ChannelState(++lastId, actor, op.getName(), 0);
            channel.publishers.add(actor);
            channels.put(channel.channelId, channel);
            puts.putChannel(channel.channelId, actor, channel.name);
            puts.putPublisher(channel.channelId, actor);
            counters.channelsCreated.increment();
            return answer(event, channelResult(event, channel, ChannelOpType.CHANNEL_CREATE).build(), new AudienceWork());
        }
        final ChannelState channel = channel(op.getChannelId());
        if (channel == null)
        {
            return refuse(event, ErrorCode.NO_SUCH_CHANNEL, "no channel " + op.getChannelId());
        }
        return switch (op.getOp())
        {
            case CHANNEL_POST -> post(event, op, channel, actor);
            case CHANNEL_FOLLOW -> follow(event, channel, new long[]{ actor }, ChannelOpType.CHANNEL_FOLLOW);
            case CHANNEL_UNFOLLOW -> unfollow(event, channel, actor);
            case CHANNEL_IMPORT_FOLLOWERS -> actor != channel.ownerId ?
                refuse(event, ErrorCode.NOT_ALLOWED, "only the owner may import followers") :
                follow(event, channel, distinctOthers(op.getUserIdsList(), 0), ChannelOpType.CHANNEL_IMPORT_FOLLOWERS);
            case CHANNEL_ADD_PUBLISHERS, CHANNEL_REMOVE_PUBLISHERS -> publishers(event, op, channel, actor);
            default -> refuse(event, ErrorCode.BAD_REQUEST, "unknown channel op " + op.getOpValue());
        };
    }

    private boolean post(final SwitchEvent event, final ChannelOp op, final ChannelState channel, final long actor)
    {
        if (!channel.publishers.contains(actor))
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "not a publisher of channel " + channel.channelId);
        }
        // A post dedupes per channel: the same id posted to two channels is two posts.
        final String batchKey = actor + "/" + channel.channelId + "/" + op.getClientMsgId();
        final SwitchEvent earlier = batchPosts.get(batchKey);
        final ByteString clientMsgId = op.getClientMsgIdBytes();
        final byte[] clientMsgIdBytes = event.clientMsgIdArray(clientMsgId.size());
        clientMsgId.copyTo(clientMsgIdBytes, 0);
        final DedupeRecord found = earlier != null ? null :
            inboxStore.readPostDedupe(actor, channel.channelId, clientMsgIdBytes, clientMsgId.size());
        final DedupeRecord record = found != null && isPostOf(channel.channelId, found) ? found : null;
        if (earlier != null || record != null)
        {
            counters.duplicateSends.increment();
            final ChannelResult.Builder result = channelResult(event, channel, ChannelOpType.CHANNEL_POST)
                .setDuplicate(true);
            if (earlier != null)
            {
                final ChannelResult first = earlier.audience.response.getChannelResult();
                result.setSeq(first.getSeq()).setMsgId(first.getMsgId()).setServerTimeMs(first.getServerTimeMs());
            }
            else
            {
                result.setSeq(record.senderSeq()).setMsgId(record.msgId()).setServerTimeMs(record.serverTimeMs());
            }
            return answer(event, result.build(), new AudienceWork());
        }
        final long nowMs = clockMs.getAsLong();
        final long msgId = journal.nextMsgId();
        final long seq = ++channel.headSeq;
        final Message post = Message.newBuilder()
            .setMsgId(msgId)
            .setFromUserId(actor)
            .setChannelId(channel.channelId)
            .setFromDeviceId(event.session.deviceId())
            .setClientMsgId(op.getClientMsgId())
            .setServerTimeMs(nowMs)
            .setContent(op.getContent())
            .build();
        puts.putPost(channel.channelId, seq, post.toByteArray());
        batch.putPostDedupe(actor, channel.channelId, clientMsgIdBytes, clientMsgId.size(), msgId, seq, nowMs);
        counters.channelPostsStored.increment();
        final AudienceWork work = new AudienceWork();
        work.channelId = channel.channelId;
        work.post = post.toBuilder().setSeq(seq).build();
        batchPosts.put(batchKey, event);
        return answer(event, channelResult(event, channel, ChannelOpType.CHANNEL_POST)
            .setSeq(seq).setMsgId(msgId).setServerTimeMs(nowMs).build(), work);
    }

    /**
     * Whether a dedupe record found for a post to {@code channelId} shows that post was stored before. A record
     * under the channel's own key does. A record of an older form (under the channel-less post key, or without
     * a kind under the Send's key) names no channel: it is this channel's post only when the channel's timeline
     * holds its msg_id at its seq, msg_ids being unique switch-wide. Reading the timeline costs only such an old
     * record's hit. A post that has left the timeline reads as another channel's, so its repost is stored again: a
     * duplicate post, never a lost one.
     */
    private boolean isPostOf(final long channelId, final DedupeRecord record)
    {
        return switch (record.kind())
        {
            case CHANNEL_POST -> true;
            case UNSCOPED_POST, UNTAGGED -> timelineHolds(channelId, record.senderSeq(), record.msgId());
            default -> false;
        };
    }

    private boolean timelineHolds(final long channelId, final long seq, final long msgId)
    {
        return seq > 0 && Journal.holdsAt(store.readTimeline(channelId, seq - 1, 1, Integer.MAX_VALUE), seq, msgId);
    }

    private boolean follow(final SwitchEvent event, final ChannelState channel, final long[] users, final ChannelOpType type)
    {
        final LongArrayList started = new LongArrayList();
        long followSeq = channel.headSeq;
        for (final long userId : users)
        {
            final long existing = store.readFollowSeq(channel.channelId, userId);
            if (existing >= 0)
            {
                followSeq = existing;
                continue;
            }
            puts.putFollow(channel.channelId, userId, channel.headSeq);
            started.addLong(userId);
        }
        counters.channelFollows.add(started.size());
        final AudienceWork work = new AudienceWork();
        work.channelId = channel.channelId;
        work.follow = true;
        work.followers = started.isEmpty() ? null : started.toLongArray();
        final ChannelResult.Builder result = channelResult(event, channel, type).setCount(started.size());
        if (type == ChannelOpType.CHANNEL_FOLLOW)
        {
            result.setSeq(followSeq);
        }
        return answer(event, result.build(), work);
    }

    private boolean unfollow(final SwitchEvent event, final ChannelState channel, final long actor)
    {
        puts.deleteFollow(channel.channelId, actor);
        final AudienceWork work = new AudienceWork();
        work.channelId = channel.channelId;
        work.followers = new long[]{ actor };
        return answer(event, channelResult(event, channel, ChannelOpType.CHANNEL_UNFOLLOW).build(), work);
    }

    private boolean publishers(final SwitchEvent event, final ChannelOp op, final ChannelState channel, final long actor)
    {
        if (actor != channel.ownerId)
        {
            return refuse(event, ErrorCode.NOT_ALLOWED, "only the owner may change publishers");
        }
        final boolean add = op.getOp() == ChannelOpType.CHANNEL_ADD_PUBLISHERS;
        final long[] users = distinctOthers(op.getUserIdsList(), 0);
        if (add)
        {
            int after = channel.publishers.size();
            for (final long userId : users)
            {
                after += channel.publishers.contains(userId) ? 0 : 1;
            }
            if (after > maxChannelPublishers)
            {
                return refuse(event, ErrorCode.NOT_ALLOWED, "a channel has at most " + maxChannelPublishers +
                    " publishers");
            }
        }
        for (final long userId : users)
        {
            if (add && channel.publishers.add(userId))
            {
                puts.putPublisher(channel.channelId, userId);
            }
            else if (!add && channel.publishers.remove(userId))
            {
                puts.deletePublisher(channel.channelId, userId);
            }
        }
        return answer(event, channelResult(event, channel, op.getOp()).setCount(channel.publishers.size()).build(),
            new AudienceWork());
    }

    private static ChannelResult.Builder channelResult(
        final SwitchEvent event, final ChannelState channel, final ChannelOpType type)
    {
        return ChannelResult.newBuilder()
            .setRequestId(event.requestId)
            .setOp(type)
            .setChannelId(channel.channelId)
            .setHeadSeq(channel.headSeq);
    }

    private boolean answer(final SwitchEvent event, final ChannelResult result, final AudienceWork work)
    {
        return answer(event, Frame.newBuilder().setChannelResult(result).build(), work);
    }

    /**
     * At login: every channel the user follows, with its head, for LoginOk and the online-follower
     * registry. One range read in meta per login.
     */
    void onLogin(final SwitchEvent event)
    {
        final long[] follows = store.readFollows(event.session.userId());
        if (follows.length == 0)
        {
            return;
        }
        final int channelCount = follows.length / 2;
        final long[] heads = new long[3 * channelCount];
        int n = 0;
        for (int i = 0; i < channelCount; i++)
        {
            final ChannelState channel = channel(follows[2 * i]);
            if (channel == null)
            {
                continue;
            }
            heads[n++] = channel.channelId;
            heads[n++] = follows[2 * i + 1];
            heads[n++] = channel.headSeq;
        }
        final AudienceWork work = new AudienceWork();
        work.channelHeads = n == heads.length ? heads : Arrays.copyOf(heads, n);
        event.audience = work;
    }

    private ChannelState channel(final long channelId)
    {
        ChannelState channel = channels.get(channelId);
        if (channel == null)
        {
            final ChannelRecord record = store.readChannel(channelId);
            if (record == null)
            {
                return null;
            }
            channel = new ChannelState(channelId, record.ownerId(), record.name(), record.headSeq());
            for (final long publisher : record.publisherIds())
            {
                channel.publishers.add(publisher);
            }
            channels.put(channelId, channel);
        }
        return channel;
    }

    // ------------------------------------------------------------------------------------------- batch

    /** Adds the last group or channel id to the batch when it moved. */
    void beforeWrite()
    {
        if (lastId != lastWrittenId)
        {
            puts.putLastId(lastId);
        }
    }

    void onWritten()
    {
        lastWrittenId = lastId;
        batchPosts.clear();
    }

    /** What is cached is now ahead of the disk: forget it and read it again. */
    void onWriteFailed()
    {
        groups.clear();
        channels.clear();
        lastId = lastWrittenId;
        batchPosts.clear();
    }

    private static boolean refuse(final SwitchEvent event, final ErrorCode code, final String message)
    {
        final AudienceWork work = new AudienceWork();
        work.refusal = code;
        work.refusalMessage = message;
        event.audience = work;
        event.result = SwitchEvent.RESULT_REFUSED;
        return false;
    }

    private static boolean answer(final SwitchEvent event, final Frame response, final AudienceWork work)
    {
        work.response = response;
        event.audience = work;
        event.result = SwitchEvent.RESULT_OK;
        return true;
    }

    /** The positive ids of the list, each once, without {@code except}. */
    private static long[] distinctOthers(final List<Long> userIds, final long except)
    {
        final LongHashSet seen = new LongHashSet();
        final LongArrayList distinct = new LongArrayList();
        for (int i = 0, size = userIds.size(); i < size; i++)
        {
            final long userId = userIds.get(i);
            if (userId > 0 && userId != except && seen.add(userId))
            {
                distinct.addLong(userId);
            }
        }
        return distinct.toLongArray();
    }

    /** A group's owner, name and members with their roles. Owned by the journal thread. */
    private static final class GroupState
    {
        final long groupId;
        final boolean open;
        long ownerId;
        String name;
        final Long2LongHashMap roles = new Long2LongHashMap(NOT_MEMBER);

        GroupState(final long groupId, final long ownerId, final String name, final boolean open)
        {
            this.groupId = groupId;
            this.ownerId = ownerId;
            this.name = name;
            this.open = open;
        }

        long role(final long userId)
        {
            return roles.get(userId);
        }

        long[] sortedMembers()
        {
            final long[] members = new long[roles.size()];
            int i = 0;
            final Long2LongHashMap.KeyIterator users = roles.keySet().iterator();
            while (users.hasNext())
            {
                members[i++] = users.nextValue();
            }
            Arrays.sort(members);
            return members;
        }
    }

    /** A channel's owner, name, head and publishers. Owned by the journal thread. */
    private static final class ChannelState
    {
        final long channelId;
        final long ownerId;
        final String name;
        long headSeq;
        final LongHashSet publishers = new LongHashSet();

        ChannelState(final long channelId, final long ownerId, final String name, final long headSeq)
        {
            this.channelId = channelId;
            this.ownerId = ownerId;
            this.name = name;
            this.headSeq = headSeq;
        }
    }
}
