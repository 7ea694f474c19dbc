package io.xin.core.sync;

import io.xin.protocol.pb.FriendEntry;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.FriendResult;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.PrivacySettings;
import io.xin.storage.FriendStore;
import io.xin.storage.RelationRecord;
import io.xin.storage.XinStore;

/**
 * A FRIEND_LIST answer, read on a sync thread: a page of the relations of the requester (friends, blocked users,
 * requests sent and received, by user id), whether more follow, and its privacy settings as they apply (the switch's
 * default for a user who never set them). Read after every log is applied up to where it was appended when the read
 * began, so the list holds every change the requester was already answered for.
 */
final class FriendLists
{
    private FriendLists()
    {
    }

    /**
     * @param maxBytes the page's relations stop at about this many bytes (a relation is about its size on the wire).
     */
    static Frame answer(
        final XinStore store, final long userId, final long requestId, final long afterUserId, final int limit,
        final int maxBytes, final boolean strangersAllowedByDefault)
    {
        final FriendStore.FriendList list = store.friends().readFriendList(userId, afterUserId, limit, maxBytes);
        final FriendResult.Builder result = FriendResult.newBuilder()
            .setRequestId(requestId)
            .setOp(FriendOpType.FRIEND_LIST)
            .setMore(list.more());
        for (final RelationRecord relation : list.relations())
        {
            result.addEntries(FriendEntry.newBuilder()
                .setUserId(relation.peerId())
                .setStateValue(relation.state())
                .setGreeting(relation.greeting()));
        }
        final int flags = list.privacy();
        result.setSettings(flags == FriendStore.NO_SETTINGS ?
            PrivacySettings.newBuilder().setAllowStrangers(strangersAllowedByDefault).build() :
            PrivacySettings.newBuilder()
                .setAllowStrangers((flags & FriendStore.ALLOWS_STRANGERS) != 0)
                .setHidePresence((flags & FriendStore.HIDES_PRESENCE) != 0)
                .build());
        return Frame.newBuilder().setFriendResult(result).build();
    }
}
